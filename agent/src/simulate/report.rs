//! What the simulated agents did: counters and latencies shared by every agent task,
//! and the report printed at the end (text, or JSON with `--json`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// The calls an agent makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Enroll,
    Heartbeat,
    Policy,
    Activity,
    Screenshot,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Enroll,
        Kind::Heartbeat,
        Kind::Policy,
        Kind::Activity,
        Kind::Screenshot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Enroll => "enroll",
            Kind::Heartbeat => "heartbeat",
            Kind::Policy => "policy",
            Kind::Activity => "activity",
            Kind::Screenshot => "screenshot",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One call kind's tally.
#[derive(Default)]
struct Calls {
    /// Attempts that got an answer, with their round-trip times.
    latencies: Mutex<Vec<Duration>>,
    /// Calls that ended in success.
    succeeded: AtomicU64,
    /// Attempts answered 429/503 (or another 5xx), or not answered at all, and retried.
    retried: AtomicU64,
    /// Attempts that failed without an answer (connection refused or reset, timeout).
    unanswered: AtomicU64,
    /// Calls the server refused for good (4xx), or given up on at the end.
    failed: AtomicU64,
}

/// Shared by every agent task.
#[derive(Default)]
pub struct Stats {
    calls: [Calls; 5],
    pub enrolled: AtomicU64,
    pub events_sent: AtomicU64,
    pub events_stored: AtomicU64,
    pub events_duplicate: AtomicU64,
    /// Answered but not stored: the minutes they covered were reported already.
    pub events_dropped: AtomicU64,
    /// Cut short or dropped by the server for covering reported minutes.
    pub events_overlapping: AtomicU64,
    pub events_rejected: AtomicU64,
    pub batches_sent: AtomicU64,
    pub batches_accepted: AtomicU64,
    pub screenshots_sent: AtomicU64,
    pub screenshots_stored: AtomicU64,
    first_error: Mutex<Option<String>>,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Stats {
    pub fn answered(&self, kind: Kind, latency: Duration) {
        if let Ok(mut latencies) = self.calls[kind.index()].latencies.lock() {
            latencies.push(latency);
        }
    }

    pub fn unanswered(&self, kind: Kind) {
        add(&self.calls[kind.index()].unanswered, 1);
    }

    pub fn retried(&self, kind: Kind) {
        add(&self.calls[kind.index()].retried, 1);
    }

    pub fn succeeded(&self, kind: Kind) {
        add(&self.calls[kind.index()].succeeded, 1);
    }

    pub fn failed(&self, kind: Kind, why: impl FnOnce() -> String) {
        add(&self.calls[kind.index()].failed, 1);
        if let Ok(mut first) = self.first_error.lock()
            && first.is_none()
        {
            *first = Some(format!("{}: {}", kind.name(), why()));
        }
    }

    pub fn add(counter: &AtomicU64, n: usize) {
        add(counter, u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// Events accepted so far (stored now or already before, or dropped as covering
    /// minutes reported already: answered, and not to be sent again).
    pub fn events_accepted(&self) -> u64 {
        read(&self.events_stored) + read(&self.events_duplicate) + read(&self.events_dropped)
    }

    /// A one-line summary for the progress output: totals so far, and the p99 of the
    /// calls answered since the previous line (`marks` holds where each kind's
    /// latencies stood then, and is moved on), so a slow moment shows when it happens.
    pub fn progress_line(&self, elapsed: Duration, marks: &mut [usize; 5]) -> String {
        let mut recent_p99 = |kind: Kind| {
            let Ok(latencies) = self.calls[kind.index()].latencies.lock() else {
                return None;
            };
            let mark = &mut marks[kind.index()];
            let mut recent = latencies.get(*mark..).unwrap_or_default().to_vec();
            *mark = latencies.len();
            recent.sort_unstable();
            millis(percentile(&recent, 99.0))
        };
        let (beats_p99, batches_p99) = (recent_p99(Kind::Heartbeat), recent_p99(Kind::Activity));
        format!(
            "{:>5.0}s  heartbeats {} (p99 {} ms)  batches {} (p99 {} ms)  events sent {} accepted {}  retries {}  failed {}",
            elapsed.as_secs_f64(),
            read(&self.calls[Kind::Heartbeat.index()].succeeded),
            show_ms(beats_p99),
            read(&self.calls[Kind::Activity.index()].succeeded),
            show_ms(batches_p99),
            read(&self.events_sent),
            self.events_accepted(),
            Kind::ALL
                .iter()
                .map(|&k| read(&self.calls[k.index()].retried))
                .sum::<u64>(),
            Kind::ALL
                .iter()
                .map(|&k| read(&self.calls[k.index()].failed))
                .sum::<u64>(),
        )
    }

    fn latencies(&self, kinds: &[Kind]) -> Vec<Duration> {
        let mut all = Vec::new();
        for kind in kinds {
            if let Ok(latencies) = self.calls[kind.index()].latencies.lock() {
                all.extend_from_slice(&latencies);
            }
        }
        all.sort_unstable();
        all
    }

    fn summary(&self, kind: Kind) -> CallSummary {
        let calls = &self.calls[kind.index()];
        let latencies = self.latencies(&[kind]);
        CallSummary {
            succeeded: read(&calls.succeeded),
            failed: read(&calls.failed),
            retried: read(&calls.retried),
            unanswered: read(&calls.unanswered),
            latency: Latency::of(&latencies),
        }
    }

    /// The report of a run of `agents` agents over `measured` (the steady phase, from
    /// the agents' start until the last one stopped).
    pub fn report(
        &self,
        mode: &'static str,
        agents: usize,
        enrolling: Duration,
        measured: Duration,
    ) -> Report {
        let calls = Kind::ALL
            .iter()
            .map(|&kind| (kind.name(), self.summary(kind)))
            .filter(|(_, summary)| summary.latency.answered > 0 || summary.unanswered > 0)
            .collect();
        // The agent calls of the steady phase: everything but enrollment.
        let steady = self.latencies(&[
            Kind::Heartbeat,
            Kind::Policy,
            Kind::Activity,
            Kind::Screenshot,
        ]);
        let sent = read(&self.events_sent);
        let accepted = self.events_accepted();
        let seconds = measured.as_secs_f64().max(0.001);
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let per_second = |n: u64| (n as f64 / seconds * 10.0).round() / 10.0;
        Report {
            mode,
            agents,
            enrolled: read(&self.enrolled),
            enroll_s: (enrolling.as_secs_f64() * 10.0).round() / 10.0,
            measured_s: (seconds * 10.0).round() / 10.0,
            events_sent: sent,
            events_accepted: accepted,
            events_stored: read(&self.events_stored),
            events_duplicate: read(&self.events_duplicate),
            events_overlapping: read(&self.events_overlapping),
            events_rejected: read(&self.events_rejected),
            events_lost: sent.saturating_sub(accepted),
            batches_sent: read(&self.batches_sent),
            batches_accepted: read(&self.batches_accepted),
            screenshots_sent: read(&self.screenshots_sent),
            screenshots_stored: read(&self.screenshots_stored),
            events_per_s: per_second(accepted),
            rows_per_s: per_second(read(&self.events_stored)),
            latency: Latency::of(&steady),
            calls,
            first_error: self.first_error.lock().ok().and_then(|e| e.clone()),
        }
    }
}

/// Round-trip times of answered attempts, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Latency {
    pub answered: usize,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Latency {
    /// From latencies sorted ascending.
    pub fn of(sorted: &[Duration]) -> Self {
        Self {
            answered: sorted.len(),
            p50_ms: millis(percentile(sorted, 50.0)),
            p90_ms: millis(percentile(sorted, 90.0)),
            p99_ms: millis(percentile(sorted, 99.0)),
            max_ms: millis(sorted.last().copied()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CallSummary {
    pub succeeded: u64,
    /// Refused for good (4xx), or still failing when the run ended.
    pub failed: u64,
    /// Attempts tried again after 429/503/5xx or no answer.
    pub retried: u64,
    /// Attempts with no answer (connection errors, timeouts).
    pub unanswered: u64,
    #[serde(flatten)]
    pub latency: Latency,
}

/// What `pulse-agent simulate` prints at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `steady` (heartbeats and batches on their intervals) or `flood` (batches back to back).
    pub mode: &'static str,
    pub agents: usize,
    /// Agents with a credential (enrolled now or earlier).
    pub enrolled: u64,
    /// The enrollment phase (agents without a saved credential).
    pub enroll_s: f64,
    /// From the agents' start until the last one stopped.
    pub measured_s: f64,
    pub events_sent: u64,
    /// Stored now, or already stored by an earlier attempt (duplicates).
    pub events_accepted: u64,
    pub events_stored: u64,
    pub events_duplicate: u64,
    /// Cut short or dropped by the server: they covered minutes this computer had
    /// reported already (none, unless runs of one agent's credential overlap in time).
    pub events_overlapping: u64,
    /// Refused as invalid (422) or otherwise for good.
    pub events_rejected: u64,
    /// Sent but never accepted by the end: rejected, or given up on.
    pub events_lost: u64,
    pub batches_sent: u64,
    pub batches_accepted: u64,
    pub screenshots_sent: u64,
    pub screenshots_stored: u64,
    pub events_per_s: f64,
    /// Rows the server stored per second (accepted minus duplicates).
    pub rows_per_s: f64,
    /// Every answered agent call after enrollment (heartbeat, policy, activity, screenshot).
    #[serde(flatten)]
    pub latency: Latency,
    /// Per call kind.
    pub calls: std::collections::BTreeMap<&'static str, CallSummary>,
    pub first_error: Option<String>,
}

impl Report {
    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} agents ({} mode) for {:.1} s, after {:.1} s enrolling\n\
             events: sent {}, accepted {} ({} stored, {} duplicates), {} overlapping, rejected {}, lost {}\n\
             batches: sent {}, accepted {}; screenshots: sent {}, stored {}\n\
             throughput: {:.1} events/s accepted, {:.1} rows/s stored\n\
             latency of agent calls: p50 {} ms, p90 {} ms, p99 {} ms, max {} ms over {} answers\n\n\
             {:<11} {:>9} {:>7} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}\n",
            self.agents,
            self.mode,
            self.measured_s,
            self.enroll_s,
            self.events_sent,
            self.events_accepted,
            self.events_stored,
            self.events_duplicate,
            self.events_overlapping,
            self.events_rejected,
            self.events_lost,
            self.batches_sent,
            self.batches_accepted,
            self.screenshots_sent,
            self.screenshots_stored,
            self.events_per_s,
            self.rows_per_s,
            show_ms(self.latency.p50_ms),
            show_ms(self.latency.p90_ms),
            show_ms(self.latency.p99_ms),
            show_ms(self.latency.max_ms),
            self.latency.answered,
            "call",
            "succeeded",
            "failed",
            "retried",
            "unanswered",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
        );
        for (name, call) in &self.calls {
            out.push_str(&format!(
                "{name:<11} {:>9} {:>7} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}\n",
                call.succeeded,
                call.failed,
                call.retried,
                call.unanswered,
                show_ms(call.latency.p50_ms),
                show_ms(call.latency.p90_ms),
                show_ms(call.latency.p99_ms),
                show_ms(call.latency.max_ms),
            ));
        }
        if let Some(error) = &self.first_error {
            out.push_str(&format!("\nfirst failure: {error}\n"));
        }
        out
    }
}

/// The `p`-th percentile (0–100) of `sorted` by the nearest-rank method: the smallest
/// value that at least `p` % of the values do not exceed. `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// Milliseconds with microsecond resolution.
pub fn millis(duration: Option<Duration>) -> Option<f64> {
    duration.map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0)
}

fn show_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "–".to_owned(), |ms| format!("{ms:.1}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        for (p, expected) in [
            (50.0, 50),
            (90.0, 90),
            (99.0, 99),
            (100.0, 100),
            (0.0, 1),
            (99.9, 100),
        ] {
            assert_eq!(
                percentile(&hundred, p),
                Some(Duration::from_millis(expected)),
                "p{p}"
            );
        }
        let thousand: Vec<Duration> = (1..=1000).map(Duration::from_millis).collect();
        assert_eq!(
            percentile(&thousand, 99.0),
            Some(Duration::from_millis(990))
        );
        let small = ms(&[10, 20, 30]);
        assert_eq!(percentile(&small, 50.0), Some(Duration::from_millis(20)));
        assert_eq!(percentile(&small, 99.0), Some(Duration::from_millis(30)));
        assert_eq!(percentile(&ms(&[7]), 50.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn the_report_counts_lost_events_and_call_latencies() {
        let stats = Stats::default();
        Stats::add(&stats.events_sent, 100);
        Stats::add(&stats.events_stored, 70);
        Stats::add(&stats.events_duplicate, 20);
        Stats::add(&stats.events_rejected, 5);
        for latency in ms(&[1, 2, 3, 4, 100]) {
            stats.answered(Kind::Activity, latency);
        }
        stats.answered(Kind::Enroll, Duration::from_secs(9));
        stats.succeeded(Kind::Activity);
        stats.retried(Kind::Activity);
        stats.failed(Kind::Activity, || "422: invalid".to_owned());
        stats.failed(Kind::Heartbeat, || "later".to_owned());
        let report = stats.report("steady", 3, Duration::ZERO, Duration::from_secs(10));
        assert_eq!(report.events_accepted, 90);
        assert_eq!(report.events_lost, 10);
        assert_eq!(report.rows_per_s, 7.0);
        assert_eq!(report.events_per_s, 9.0);
        // Enrollment is not an agent call of the steady phase.
        assert_eq!(report.latency.max_ms, Some(100.0));
        assert_eq!(report.latency.p50_ms, Some(3.0));
        assert_eq!(report.calls["activity"].retried, 1);
        assert_eq!(report.calls["enroll"].latency.p50_ms, Some(9000.0));
        assert_eq!(
            report.first_error.as_deref(),
            Some("activity: 422: invalid")
        );
        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["p99_ms"], 100.0);
        assert_eq!(json["calls"]["activity"]["p50_ms"], 3.0);
        assert!(report.text().contains("lost 10"));
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(millis(Some(Duration::from_micros(12_345))), Some(12.345));
        assert_eq!(millis(None), None);
    }
}
