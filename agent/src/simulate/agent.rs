//! One simulated agent: enrollment, then heartbeats, activity batches and screenshots on
//! jittered intervals (`steady`), or batches back to back (`flood`). Every call is
//! retried with backoff while the server is busy or unreachable, re-sending the same
//! bytes (and event ids) so nothing is lost or stored twice.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pulse_shared::activity::ActivityBatch;
use pulse_shared::agents::{AgentState, EnrollRequest};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};
use uuid::Uuid;

use super::events::Workday;
use super::png;
use super::report::{Kind, Stats};
use crate::client::api::{Api, Attempt, Outcome, PolicyAnswer, ScreenshotMeta};
use crate::client::backoff::{Backoff, jittered};
use crate::client::credentials::SavedAgent;

/// Shortest and longest pause between retries of one call.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(30));

/// Set once, when the run should end: the moment it was asked to.
pub type StopSignal = watch::Receiver<Option<Instant>>;

/// The intervals and sizes every agent follows.
#[derive(Debug, Clone)]
pub struct Plan {
    pub heartbeat: Duration,
    pub batch: Duration,
    pub batch_events: usize,
    pub screenshot_every: Option<Duration>,
    /// How long calls in flight at the stop may keep retrying.
    pub drain: Duration,
    pub seed: u64,
}

/// What every agent task shares.
pub struct Shared {
    pub api: Api,
    pub stats: Stats,
    pub plan: Plan,
    pub stop: StopSignal,
}

/// Why a call did not succeed.
#[derive(Debug)]
pub enum Failure {
    Refused(StatusCode),
    /// Still failing when the run's drain time ran out.
    GaveUp,
}

impl Shared {
    /// `attempt` until it succeeds, is refused, or the run ends and its drain time is
    /// over; every answer's latency is recorded.
    pub async fn persist<T, F, Fut>(
        &self,
        kind: Kind,
        rng: &mut fastrand::Rng,
        mut attempt: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let mut backoff = Backoff::new(BACKOFF.0, BACKOFF.1);
        loop {
            let Attempt { outcome, latency } = attempt().await;
            match latency {
                Some(latency) => self.stats.answered(kind, latency),
                None => self.stats.unanswered(kind),
            }
            let why = match outcome {
                Outcome::Done(value) => {
                    self.stats.succeeded(kind);
                    return Ok(value);
                }
                Outcome::Refused { status, detail } => {
                    self.stats.failed(kind, || format!("{status}: {detail}"));
                    return Err(Failure::Refused(status));
                }
                Outcome::Retry { after, why } => {
                    let pause = backoff.next(after, rng);
                    if self.past_drain(Instant::now() + pause) {
                        self.stats
                            .failed(kind, || format!("still failing when the run ended: {why}"));
                        return Err(Failure::GaveUp);
                    }
                    self.stats.retried(kind);
                    sleep(pause).await;
                    why
                }
            };
            if self.past_drain(Instant::now()) {
                self.stats
                    .failed(kind, || format!("still failing when the run ended: {why}"));
                return Err(Failure::GaveUp);
            }
        }
    }

    /// Whether `at` is after the stop plus the drain time.
    fn past_drain(&self, at: Instant) -> bool {
        self.stop
            .borrow()
            .is_some_and(|stopped| at > stopped + self.plan.drain)
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.borrow().is_some()
    }
}

/// Enrolls agent `n` with `token`, as the employee the pattern names.
pub async fn enroll(
    shared: &Shared,
    n: usize,
    token: &str,
    email_pattern: &str,
) -> Result<SavedAgent, Failure> {
    let request = EnrollRequest {
        token: token.to_owned(),
        hostname: format!("sim-{n:05}"),
        os: "Simulated Linux (x86_64)".to_owned(),
        agent_version: concat!(env!("CARGO_PKG_VERSION"), "-sim").to_owned(),
        employee_email: Some(email_pattern.replace("{n}", &n.to_string())),
    };
    let mut rng = fastrand::Rng::with_seed(shared.plan.seed ^ n as u64);
    let enrolled = shared
        .persist(Kind::Enroll, &mut rng, || shared.api.enroll(&request))
        .await?;
    Stats::add(&shared.stats.enrolled, 1);
    Ok(SavedAgent {
        agent_id: enrolled.agent_id,
        user_id: enrolled.user_id,
        credential: enrolled.credential,
    })
}

/// One enrolled agent.
pub struct Agent {
    n: usize,
    authorization: HeaderValue,
    workday: Workday,
    rng: fastrand::Rng,
    policy_version: Option<String>,
}

impl Agent {
    /// Agent `n`; its timeline starts at `start`.
    pub fn new(
        n: usize,
        credential: &str,
        seed: u64,
        start: chrono::DateTime<Utc>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            n,
            authorization: HeaderValue::from_str(&format!("Bearer {credential}"))?,
            workday: Workday::new(n, seed, start),
            rng: fastrand::Rng::with_seed(seed.rotate_left(17) ^ n as u64),
            policy_version: None,
        })
    }

    /// Heartbeats, batches and screenshots on their intervals until the run stops; the
    /// call in flight then finishes. The first of each comes at a random point of its
    /// first interval, so agents started together spread their calls evenly.
    pub async fn live(mut self, shared: Arc<Shared>) {
        let plan = shared.plan.clone();
        let mut stop = shared.stop.clone();
        let started = Instant::now();
        let mut next_beat = started + plan.heartbeat.mul_f64(self.rng.f64());
        let first_batch = plan.batch.mul_f64(self.rng.f64());
        let mut next_batch = started + first_batch;
        // The first batch covers the time since the run began: an earlier run of the
        // same agent may have reported up to a moment ago, and one computer does not
        // report the same minutes twice.
        self.workday.jump_to(Utc::now());
        let mut next_shot = plan
            .screenshot_every
            .map(|every| started + every.mul_f64(self.rng.f64()));
        loop {
            let next = next_shot.map_or(next_beat.min(next_batch), |shot| {
                shot.min(next_beat).min(next_batch)
            });
            tokio::select! {
                biased;
                _ = stop.wait_for(Option::is_some) => return,
                () = sleep_until(next) => {}
            }
            let now = Instant::now();
            let outcome = if now >= next_batch {
                next_batch = now + jittered(plan.batch, &mut self.rng);
                let events = self.workday.fill_until(Utc::now(), plan.batch_events);
                self.send_batch(&shared, events).await
            } else if now >= next_beat {
                next_beat = now + jittered(plan.heartbeat, &mut self.rng);
                self.heartbeat(&shared).await
            } else if let (Some(at), Some(every)) = (next_shot, plan.screenshot_every) {
                debug_assert!(now >= at);
                next_shot = Some(now + jittered(every, &mut self.rng));
                let taken = self.screenshot(&shared).await;
                if let Err(Failure::Refused(StatusCode::FORBIDDEN)) = taken {
                    // The policy takes no screenshots of this employee: stop, and fetch
                    // the policy again with the next heartbeat.
                    next_shot = None;
                    self.policy_version = None;
                }
                taken
            } else {
                Ok(())
            };
            if let Err(Failure::Refused(StatusCode::UNAUTHORIZED)) = outcome {
                // Revoked, or enrolled on another server: a real agent would enroll again.
                return;
            }
        }
    }

    /// Sends one batch of `count` spooled events after another until the run stops:
    /// agents catching up after an outage, as fast as the server takes them.
    pub async fn flood_one(&mut self, shared: &Shared, count: usize) -> Result<(), Failure> {
        let events = self.workday.replay(count);
        // Keep replayed time in the past; wrap round before it catches up with now.
        if self.workday.cursor() > Utc::now() - chrono::Duration::hours(1) {
            self.workday
                .jump_to(Utc::now() - chrono::Duration::days(28));
        }
        self.send_batch(shared, events).await
    }

    async fn send_batch(
        &mut self,
        shared: &Shared,
        events: Vec<pulse_shared::activity::ActivityEvent>,
    ) -> Result<(), Failure> {
        let stats = &shared.stats;
        let count = events.len();
        if count == 0 {
            return Ok(());
        }
        let body = match shared.api.batch_body(&ActivityBatch { events }) {
            Ok(body) => body,
            Err(error) => {
                stats.failed(Kind::Activity, || format!("encoding a batch: {error}"));
                return Ok(());
            }
        };
        Stats::add(&stats.batches_sent, 1);
        Stats::add(&stats.events_sent, count);
        let authorization = &self.authorization;
        let sent = shared
            .persist(Kind::Activity, &mut self.rng, || {
                shared.api.activity(authorization, body.clone())
            })
            .await;
        match sent {
            Ok(receipt) => {
                Stats::add(&stats.batches_accepted, 1);
                Stats::add(&stats.events_stored, receipt.stored as usize);
                Stats::add(&stats.events_duplicate, receipt.duplicates as usize);
                let answered = receipt.stored as usize + receipt.duplicates as usize;
                Stats::add(&stats.events_dropped, count.saturating_sub(answered));
                Stats::add(&stats.events_overlapping, receipt.overlapping as usize);
                Ok(())
            }
            Err(failure) => {
                if matches!(failure, Failure::Refused(_)) {
                    Stats::add(&stats.events_rejected, count);
                }
                Err(failure)
            }
        }
    }

    /// A heartbeat; the policy is fetched again when its version changed.
    async fn heartbeat(&mut self, shared: &Shared) -> Result<(), Failure> {
        let state = if self.workday.is_idle() {
            AgentState::Idle
        } else {
            AgentState::Active
        };
        let authorization = &self.authorization;
        let answer = shared
            .persist(Kind::Heartbeat, &mut self.rng, || {
                shared.api.heartbeat(authorization, state, None)
            })
            .await?;
        if self.policy_version.as_deref() == Some(answer.policy_version.as_str()) {
            return Ok(());
        }
        let held = self.policy_version.clone();
        let fetched = shared
            .persist(Kind::Policy, &mut self.rng, || {
                shared.api.policy(authorization, held.as_deref())
            })
            .await?;
        self.policy_version = Some(match fetched {
            PolicyAnswer::Changed(version, _) if !version.is_empty() => version,
            _ => answer.policy_version,
        });
        Ok(())
    }

    async fn screenshot(&mut self, shared: &Shared) -> Result<(), Failure> {
        let seed = u32::try_from(self.n % 1_000_000).unwrap_or(0) ^ self.rng.u32(..);
        let image = match png::screenshot(160, 100, seed) {
            Ok(image) => image,
            Err(error) => {
                shared
                    .stats
                    .failed(Kind::Screenshot, || format!("making a PNG: {error}"));
                return Ok(());
            }
        };
        let (id, captured_at) = (Uuid::now_v7(), Utc::now());
        Stats::add(&shared.stats.screenshots_sent, 1);
        let authorization = &self.authorization;
        shared
            .persist(Kind::Screenshot, &mut self.rng, || {
                let meta = ScreenshotMeta {
                    id,
                    captured_at,
                    monitor: 0,
                    content_type: "image/png",
                };
                shared.api.screenshot(authorization, meta, image.clone())
            })
            .await?;
        Stats::add(&shared.stats.screenshots_stored, 1);
        Ok(())
    }
}
