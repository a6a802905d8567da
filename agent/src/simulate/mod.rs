//! `pulse-agent simulate`: many fake agents against one server, for demos and for
//! `cargo xtask bench ingest`.
//!
//! Every agent is a tokio task; all share one HTTP client and so its keep-alive pool.
//! A run has two phases: enrollment (agents without a saved credential enroll, a few
//! at a time), then the measured phase, in which the agents report until `--duration`
//! ends or Ctrl-C, and calls in flight then finish (retrying for up to `--drain`).
//! `steady` agents heartbeat and send a batch of activity on their intervals; with
//! `--flood`, `--in-flight` senders send batches back to back for the agents in turn,
//! replaying days-old events as agents do after an outage.

mod agent;
pub mod events;
mod png;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::Utc;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use self::agent::{Agent, Plan, Shared};
use self::report::Stats;
pub use self::report::{Report, percentile};
use crate::client::api;
use crate::client::credentials::Saved;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Enrollment token secrets (`pet_…`), comma-separated; agent n uses token n mod
    /// their number. One token enrolls at most 10,000 computers.
    #[arg(long = "enroll-token", value_delimiter = ',')]
    pub enroll_tokens: Vec<String>,
    /// How many agents to run.
    #[arg(long, default_value_t = 10)]
    pub agents: usize,
    /// How long the agents report after enrolling, e.g. `90s`, `2m`, `1h30m`; `0`
    /// only enrolls (with `--credentials`, to enroll ahead of later runs).
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub duration: Duration,
    /// The employee each agent enrolls for; `{n}` is the agent's number, from 1.
    #[arg(long, default_value = "sim{n}@bench.test")]
    pub employees_email_pattern: String,
    /// Seconds between heartbeats (±10 %).
    #[arg(long, default_value_t = 30)]
    pub heartbeat_secs: u64,
    /// Seconds between activity batches (±10 %).
    #[arg(long, default_value_t = 60)]
    pub batch_secs: u64,
    /// Events per batch, 1 to 1,000.
    #[arg(long, default_value_t = 20)]
    pub batch_events: usize,
    /// Upload a small generated PNG this often per agent, e.g. `5m`; none when absent.
    #[arg(long, value_parser = parse_duration)]
    pub screenshot_every: Option<Duration>,
    /// Send batches gzipped (`Content-Encoding: gzip`).
    #[arg(long)]
    pub gzip: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print progress to stderr this often, in seconds; 0 for never.
    #[arg(long, default_value_t = 5)]
    pub progress_secs: u64,
    /// Enrollments in flight at once.
    #[arg(long, default_value_t = 8)]
    pub enroll_concurrency: usize,
    /// Keep the agents' credentials in this file and reuse them: a later run enrolls
    /// only agents it has no credential for.
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// Send batches back to back (replaying old events) instead of on the interval, with
    /// no heartbeats: the server's ingest capacity.
    #[arg(long)]
    pub flood: bool,
    /// With `--flood`: batches in flight at once.
    #[arg(long, default_value_t = 16)]
    pub in_flight: usize,
    /// How long calls in flight at the end may keep retrying before their events count
    /// as lost, e.g. `30s`.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain: Duration,
    /// Longest wait for one answer, e.g. `30s`.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Seed of the made-up activity (event ids are random regardless).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Options {
    /// Steady reporting, as tests run it in process: `agents` computers enrolled with
    /// `token` (one that names its employee), for `duration`, a heartbeat every 10 s and
    /// a gzipped batch of five events every 2 s, no screenshots, no progress lines.
    pub fn steady(token: &str, agents: usize, duration: Duration) -> Self {
        Self {
            enroll_tokens: vec![token.to_owned()],
            agents,
            duration,
            // Checked, but not used with a token that names its employee.
            employees_email_pattern: "computer{n}@simulated.test".into(),
            heartbeat_secs: 10,
            batch_secs: 2,
            batch_events: 5,
            screenshot_every: None,
            gzip: true,
            json: false,
            progress_secs: 0,
            enroll_concurrency: agents.clamp(1, 4),
            credentials: None,
            flood: false,
            in_flight: 1,
            drain: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            seed: 7,
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.agents == 0 {
            bail!("--agents must be at least 1");
        }
        if !(1..=pulse_shared::activity::MAX_BATCH_EVENTS).contains(&self.batch_events) {
            bail!("--batch-events must be 1 to 1,000");
        }
        if self.heartbeat_secs == 0 || self.batch_secs == 0 {
            bail!("--heartbeat-secs and --batch-secs must be at least 1");
        }
        if self.screenshot_every.is_some_and(|every| every.is_zero()) {
            bail!("--screenshot-every must be longer than 0");
        }
        if self.flood && self.in_flight == 0 {
            bail!("--in-flight must be at least 1");
        }
        if !self.employees_email_pattern.contains("{n}") {
            bail!("--employees-email-pattern must contain {{n}}, the agent's number");
        }
        Ok(())
    }
}

/// Runs the simulation against `server` and answers its report.
pub async fn run(server: &str, options: Options) -> anyhow::Result<Report> {
    options.check()?;
    let server = server.trim_end_matches('/').to_owned();
    let (stop_tx, stop) = watch::channel(None);
    let stop_tx = Arc::new(stop_tx);
    tokio::spawn(stop_on_ctrl_c(stop_tx.clone()));
    let shared = Arc::new(Shared {
        api: api::Api::new(
            &server,
            concat!("pulse-agent-simulate/", env!("CARGO_PKG_VERSION")),
            options.gzip,
            options.request_timeout,
        )?,
        stats: Stats::default(),
        plan: Plan {
            heartbeat: Duration::from_secs(options.heartbeat_secs),
            batch: Duration::from_secs(options.batch_secs),
            batch_events: options.batch_events,
            screenshot_every: options.screenshot_every,
            drain: options.drain,
            seed: options.seed,
        },
        stop,
    });
    let progress = (options.progress_secs > 0).then(|| {
        tokio::spawn(print_progress(
            shared.clone(),
            options.agents,
            Duration::from_secs(options.progress_secs),
        ))
    });

    let enrolling = Instant::now();
    let credentials = enroll_all(&shared, &server, &options).await?;
    let enrolled_in = enrolling.elapsed();
    let mode = if options.flood { "flood" } else { "steady" };
    if shared.is_stopped() || options.duration.is_zero() {
        progress.inspect(tokio::task::JoinHandle::abort);
        return Ok(shared
            .stats
            .report(mode, options.agents, enrolled_in, Duration::ZERO));
    }
    if credentials.is_empty() {
        bail!(
            "no agent could enroll: {}",
            shared
                .stats
                .report(mode, options.agents, enrolled_in, Duration::ZERO)
                .first_error
                .unwrap_or_default()
        );
    }
    progress_line(format_args!(
        "{} agents enrolled; reporting for {} s ({mode})",
        credentials.len(),
        options.duration.as_secs()
    ));

    let started = Instant::now();
    let timer = {
        let stop_tx = stop_tx.clone();
        let duration = options.duration;
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            stop_now(&stop_tx);
        })
    };
    let mut tasks = JoinSet::new();
    let start = Utc::now();
    if options.flood {
        // Sender s takes agents s, s + in_flight, … in turn.
        let mut senders: Vec<Vec<Agent>> = (0..options.in_flight).map(|_| Vec::new()).collect();
        for (index, (n, credential)) in credentials.iter().enumerate() {
            let replay_from = start - chrono::Duration::days(28);
            senders[index % options.in_flight].push(Agent::new(
                *n,
                credential,
                options.seed,
                replay_from,
            )?);
        }
        for mut agents in senders.into_iter().filter(|agents| !agents.is_empty()) {
            let shared = shared.clone();
            let count = options.batch_events;
            tasks.spawn(async move {
                for turn in 0.. {
                    if shared.is_stopped() {
                        break;
                    }
                    let index = turn % agents.len();
                    let _ = agents[index].flood_one(&shared, count).await;
                }
            });
        }
    } else {
        for (n, credential) in &credentials {
            let agent = Agent::new(*n, credential, options.seed, start)?;
            tasks.spawn(agent.live(shared.clone()));
        }
    }
    while let Some(done) = tasks.join_next().await {
        if let Err(error) = done
            && error.is_panic()
        {
            progress_line(format_args!("an agent task panicked: {error}"));
        }
    }
    let measured = started.elapsed();
    timer.abort();
    progress.inspect(tokio::task::JoinHandle::abort);
    Ok(shared
        .stats
        .report(mode, credentials.len(), enrolled_in, measured))
}

/// The credential of every agent `1..=agents`: saved ones, and new enrollments for the
/// rest (at most `--enroll-concurrency` at a time), saved again when a file is given.
async fn enroll_all(
    shared: &Arc<Shared>,
    server: &str,
    options: &Options,
) -> anyhow::Result<Vec<(usize, String)>> {
    let mut saved = match &options.credentials {
        Some(path) => Saved::load(path, server)?,
        None => Saved {
            server: server.to_owned(),
            ..Saved::default()
        },
    };
    let missing: Vec<usize> = (1..=options.agents)
        .filter(|n| !saved.agents.contains_key(n))
        .collect();
    Stats::add(&shared.stats.enrolled, options.agents - missing.len());
    if !missing.is_empty() {
        if options.enroll_tokens.is_empty() {
            bail!(
                "{} agents have no saved credential: give --enroll-token",
                missing.len()
            );
        }
        progress_line(format_args!(
            "enrolling {} agents, {} at a time",
            missing.len(),
            options.enroll_concurrency
        ));
        let gate = Arc::new(Semaphore::new(options.enroll_concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for n in missing {
            let (shared, gate) = (shared.clone(), gate.clone());
            let token = options.enroll_tokens[n % options.enroll_tokens.len()].clone();
            let pattern = options.employees_email_pattern.clone();
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await.ok()?;
                if shared.is_stopped() {
                    return None;
                }
                agent::enroll(&shared, n, &token, &pattern)
                    .await
                    .ok()
                    .map(|agent| (n, agent))
            });
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(Some((n, agent))) = done {
                saved.agents.insert(n, agent);
            }
        }
        if let Some(path) = &options.credentials {
            saved
                .save(path)
                .with_context(|| format!("saving credentials to {}", path.display()))?;
        }
    }
    Ok(saved
        .agents
        .into_iter()
        .filter(|(n, _)| *n <= options.agents)
        .map(|(n, agent)| (n, agent.credential))
        .collect())
}

fn stop_now(stop: &watch::Sender<Option<Instant>>) {
    stop.send_if_modified(|state| {
        if state.is_some() {
            return false;
        }
        *state = Some(Instant::now());
        true
    });
}

/// The first Ctrl-C stops the run (calls in flight finish); a second one quits at once.
async fn stop_on_ctrl_c(stop: Arc<watch::Sender<Option<Instant>>>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    progress_line("stopping: calls in flight finish (Ctrl-C again to quit at once)");
    stop_now(&stop);
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

async fn print_progress(shared: Arc<Shared>, agents: usize, every: Duration) {
    let started = Instant::now();
    let mut ticker = tokio::time::interval(every);
    let mut marks = [0; 5];
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let enrolled = shared
            .stats
            .enrolled
            .load(std::sync::atomic::Ordering::Relaxed);
        progress_line(format_args!(
            "enrolled {enrolled}/{agents}  {}",
            shared.stats.progress_line(started.elapsed(), &mut marks)
        ));
    }
}

fn progress_line(message: impl std::fmt::Display) {
    eprintln!("pulse-agent simulate: {message}");
}

/// `90`, `90s`, `2m`, `1h30m`, `500ms` → a duration (bare numbers are seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?} is not a duration like 90s, 2m or 1h30m"))?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        total += match &rest[..unit] {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number * 60),
            "h" => Duration::from_secs(number * 3600),
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
                ));
            }
        };
        rest = &rest[unit..];
    }
    if text.is_empty() {
        return Err("a duration cannot be empty".to_owned());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        let cases = [
            ("90", 90_000),
            ("90s", 90_000),
            ("2m", 120_000),
            ("1h30m", 5_400_000),
            ("500ms", 500),
            ("1m30s", 90_000),
        ];
        for (text, ms) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
        for bad in ["", "m", "5x", "1.5m", "-3s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_are_checked() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            options: Options,
        }
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("simulate").chain(args.iter().copied()))
                .map(|cli| cli.options)
        };
        let options = parse(&[
            "--enroll-token",
            "a,b",
            "--agents",
            "5",
            "--duration",
            "90s",
        ]);
        let Ok(options) = options else {
            panic!("parses");
        };
        assert_eq!(options.enroll_tokens, ["a", "b"]);
        assert_eq!(options.duration, Duration::from_secs(90));
        assert_eq!(options.batch_events, 20);
        assert!(options.check().is_ok());
        for bad in [
            &["--agents", "0"][..],
            &["--batch-events", "1001"],
            &["--employees-email-pattern", "x@y.test"],
        ] {
            let options = parse(bad);
            assert!(options.is_ok_and(|o| o.check().is_err()), "{bad:?}");
        }
    }
}
