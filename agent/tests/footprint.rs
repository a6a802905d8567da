//! The agent's footprint on an ordinary desktop: the real agent (`pulse-agent run` at
//! its default settings) on a virtual X11 desktop against the real server, under the
//! policy a company would set (titles on, a screenshot every minute, not blurred), while
//! xdotool does ordinary work: a few keys a second, the mouse moved and clicked now and
//! then, the other window brought to the front every 20 s. Every second the agent's
//! CPU time and resident memory are read from `/proc/<pid>/stat` and `status`; at the
//! end the server must hold events and screenshots, so the run did the agent's real
//! work, and the figures are printed and written to `PULSE_FOOTPRINT_JSON` when set.
//!
//! Ignored by `cargo test`: it takes `PULSE_FOOTPRINT_SECS` (default 300) and measures
//! rather than checks, so it holds the figures to no target. The agent measured is
//! `PULSE_FOOTPRINT_AGENT` when set, else the one built with this test. `cargo xtask
//! bench agent` runs it in a release build and sets all three, the agent to the binary
//! its `.deb` installs. Needs Xvfb, openbox, xdotool and xterm, as `tests/x11.rs` does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use common::{
    Desktop, Log, SECRET_CLASS, WORK_CLASS, agent_command_of, list_all, prepare_with_policy,
    tempdir, which,
};
use pulse_backend::clock::Clock;
use pulse_backend::testing::TestApp;
use serde_json::{Value, json};

/// How long the run lasts when `PULSE_FOOTPRINT_SECS` is not set.
const DEFAULT_SECS: u64 = 300;
/// The shortest run that sees a screenshot: the first comes within the first minute
/// moved by the policy's jitter (30 %), then it must be uploaded.
const SHORTEST_SECS: u64 = 90;
/// The seconds after the start left out of the "after start-up" CPU figure: enrolling
/// is done, but the run opens its spool, fetches the policy and connects to X.
const STARTUP_SECS: u64 = 10;
/// The work: the other window comes to the front this often, the mouse moves and a
/// click lands in the window in front this often (seconds); a word is typed every second.
const SWITCH_EVERY: u64 = 20;
const MOVE_EVERY: u64 = 5;
const CLICK_EVERY: u64 = 15;
/// Typed a word a second with a space after it: 4 keys a second on average.
const WORDS: [&str; 8] = ["the", "quick", "fox", "and", "lazy", "dog", "said", "hi"];
/// Milliseconds between two keys of a word.
const KEY_DELAY_MS: &str = "90";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes minutes; run by `cargo xtask bench agent`"]
async fn the_agent_at_ordinary_work_uses_little_cpu_and_memory() -> anyhow::Result<()> {
    ensure!(
        which("Xvfb").is_some(),
        "Xvfb is not installed (`cargo xtask bench agent` installs it)"
    );
    let secs = match std::env::var("PULSE_FOOTPRINT_SECS") {
        Ok(secs) => secs
            .trim()
            .parse()
            .with_context(|| format!("PULSE_FOOTPRINT_SECS={secs} is not a number of seconds"))?,
        Err(_) => DEFAULT_SECS,
    };
    ensure!(
        secs >= SHORTEST_SECS,
        "PULSE_FOOTPRINT_SECS={secs}: at least {SHORTEST_SECS} s, so that a screenshot is taken"
    );
    let ticks_per_sec = clock_ticks_per_sec()?;
    let binary = std::env::var_os("PULSE_FOOTPRINT_AGENT").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_pulse-agent")),
        PathBuf::from,
    );
    let binary_bytes = std::fs::metadata(&binary)
        .with_context(|| format!("no agent at {}", binary.display()))?
        .len();

    let app = TestApp::spawn_with(|config| config.clock = Clock::system()).await?;
    let policy = json!({
        "track_titles": true,
        "screenshot_mode": "interval",
        "screenshot_interval_mins": 1,
        "blur_screenshots": false,
    });
    let (access, token) = prepare_with_policy(&app, &policy).await?;
    let desktop = Desktop::start()?;
    let home = tempdir("agent-footprint")?;
    let agent = |args: &[&str]| agent_command_of(&binary, &desktop, &home, args);
    let enrolled = agent(&["enroll", "--server", &app.base_url, "--token", &token]).output()?;
    ensure!(
        enrolled.status.success(),
        "enroll failed: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    desktop.focus(WORK_CLASS)?;

    let since = chrono::Utc::now();
    let mut running = agent(&["run"]).stderr(Stdio::piped()).spawn()?;
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let log = Log::capture(running.stderr.take().context("no stderr")?);
    log.wait_for("applies", Duration::from_secs(20)).await?;

    // Both run on threads of their own (the sampler on time whatever the work does),
    // while the server goes on in this runtime's other workers.
    let pid = running.id();
    let (samples, work) = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let sampler = scope.spawn(|| sample_every_second(pid, started, until));
            let work = ordinary_work(&desktop, until);
            (sampler.join(), work)
        })
    });
    let samples = samples
        .map_err(|_| anyhow::anyhow!("the sampler panicked"))?
        .with_context(|| format!("agent log:\n{}", log.text()))?;
    let work = work?;

    Command::new("kill")
        .arg(running.id().to_string())
        .status()?;
    let stopped = running.wait()?;
    ensure!(
        stopped.success(),
        "the agent stopped with {stopped}: {}",
        log.text()
    );

    let events = list_all(&app, &access, "/api/v1/activity", since).await?;
    let shots = list_all(&app, &access, "/api/v1/screenshots", since).await?;
    let number = |item: &Value, key: &str| item[key].as_u64().unwrap_or(0);
    let keystrokes: u64 = events.iter().map(|e| number(e, "keystrokes")).sum();
    let shot_bytes: u64 = shots.iter().map(|s| number(s, "bytes")).sum();
    ensure!(
        !events.is_empty() && keystrokes > 0,
        "the server holds no typing: {events:#?}\nagent log:\n{}",
        log.text()
    );
    ensure!(
        !shots.is_empty(),
        "the server holds no screenshot\nagent log:\n{}",
        log.text()
    );

    let figures = Figures::from_samples(&samples, ticks_per_sec)?;
    let result = json!({
        "agent_binary_bytes": binary_bytes,
        "duration_secs": round(figures.duration_secs, 1),
        "samples": samples.len(),
        "clock_ticks_per_sec": ticks_per_sec,
        "startup_secs": STARTUP_SECS,
        "cpu_secs": round(figures.cpu_secs, 2),
        "cpu_percent": round(figures.cpu_percent, 2),
        "cpu_percent_after_startup": round(figures.cpu_percent_after_startup, 2),
        "cpu_percent_busiest_10s": round(figures.cpu_percent_busiest_10s, 2),
        "rss_avg_mib": round(figures.rss_avg_mib, 1),
        "rss_p95_mib": round(figures.rss_p95_mib, 1),
        "rss_peak_mib": round(figures.rss_peak_mib, 1),
        "policy": policy,
        "switch_every_secs": SWITCH_EVERY,
        "move_every_secs": MOVE_EVERY,
        "click_every_secs": CLICK_EVERY,
        "keys_typed": work.keys,
        "clicks": work.clicks,
        "mouse_moves": work.moves,
        "window_switches": work.switches,
        "events_stored": events.len(),
        "keystrokes_stored": keystrokes,
        "screenshots_stored": shots.len(),
        "screenshot_width": shots[0]["width"],
        "screenshot_height": shots[0]["height"],
        "screenshot_avg_kib": round(shot_bytes as f64 / shots.len() as f64 / 1024.0, 1),
    });
    let text = serde_json::to_string_pretty(&result)?;
    println!("{text}");
    if let Some(path) = std::env::var_os("PULSE_FOOTPRINT_JSON") {
        std::fs::write(&path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.to_string_lossy()))?;
    }
    Ok(())
}

/// What the work did.
struct Work {
    keys: u64,
    clicks: u64,
    moves: u64,
    switches: u64,
}

/// A word typed into the window in front every second until `until`; every
/// [`SWITCH_EVERY`] s the other window comes to the front, every [`MOVE_EVERY`] s the
/// mouse moves within it and every [`CLICK_EVERY`] s it clicks there (a click elsewhere
/// would bring another window to the front). No Return: the shells in the windows run
/// nothing.
fn ordinary_work(desktop: &Desktop, until: Instant) -> anyhow::Result<Work> {
    let mut work = Work {
        keys: 0,
        clicks: 0,
        moves: 0,
        switches: 0,
    };
    let began = Instant::now();
    let mut front = WORK_CLASS;
    let mut window = desktop.window(front)?;
    for tick in 0.. {
        let at = began + Duration::from_secs(tick);
        if at >= until {
            break;
        }
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        if tick > 0 && tick % SWITCH_EVERY == 0 {
            front = if front == WORK_CLASS {
                SECRET_CLASS
            } else {
                WORK_CLASS
            };
            desktop.focus(front)?;
            window = desktop.window(front)?;
            work.switches += 1;
        }
        if tick % MOVE_EVERY == 2 {
            // Somewhere else in the window each time (an xterm is about 480 × 310).
            let x = (20 + tick * 37 % 400).to_string();
            let y = (20 + tick * 23 % 250).to_string();
            desktop.xdotool(&["mousemove", "--window", &window, &x, &y])?;
            work.moves += 1;
        }
        if tick % CLICK_EVERY == 7 {
            desktop.xdotool(&["click", "1"])?;
            work.clicks += 1;
        }
        let word = format!("{} ", WORDS[tick as usize % WORDS.len()]);
        desktop.xdotool(&["type", "--delay", KEY_DELAY_MS, &word])?;
        work.keys += word.len() as u64;
    }
    Ok(work)
}

/// One reading of the agent's process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Seconds since the agent was started.
    at_secs: f64,
    /// User and system CPU time so far, in clock ticks.
    cpu_ticks: u64,
    rss_kib: u64,
    /// The most it has been resident so far.
    hwm_kib: u64,
}

/// Reads the agent (process `pid`) a second apart, counted from `started`, until
/// `until`.
fn sample_every_second(pid: u32, started: Instant, until: Instant) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for second in 1.. {
        let at = started + Duration::from_secs(second);
        if at > until {
            break;
        }
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).context("the agent is gone")?;
        let status =
            std::fs::read_to_string(format!("/proc/{pid}/status")).context("the agent is gone")?;
        samples.push(Sample {
            at_secs: started.elapsed().as_secs_f64(),
            cpu_ticks: cpu_ticks(&stat).context("unreadable /proc/<pid>/stat")?,
            rss_kib: kib_field(&status, "VmRSS").context("no VmRSS")?,
            hwm_kib: kib_field(&status, "VmHWM").context("no VmHWM")?,
        });
    }
    Ok(samples)
}

/// The figures of a run.
#[derive(Debug)]
struct Figures {
    duration_secs: f64,
    cpu_secs: f64,
    /// Of one core, over the whole run.
    cpu_percent: f64,
    /// Of one core, from [`STARTUP_SECS`] on.
    cpu_percent_after_startup: f64,
    /// Of one core, over the busiest 10 s.
    cpu_percent_busiest_10s: f64,
    rss_avg_mib: f64,
    rss_p95_mib: f64,
    /// The most the agent was ever resident (`VmHWM`), between samples too.
    rss_peak_mib: f64,
}

impl Figures {
    fn from_samples(samples: &[Sample], ticks_per_sec: u64) -> anyhow::Result<Self> {
        let last = samples.last().context("no sample was taken")?;
        let after_startup = samples
            .iter()
            .find(|s| s.at_secs >= STARTUP_SECS as f64)
            .context("the run ended during start-up")?;
        ensure!(
            last.cpu_ticks > 0 && last.rss_kib > 0,
            "the samples measured nothing: {last:?}"
        );
        let ticks = ticks_per_sec as f64;
        let percent = |from: &Sample, to: &Sample| {
            100.0 * (to.cpu_ticks - from.cpu_ticks) as f64 / ticks / (to.at_secs - from.at_secs)
        };
        let start = Sample {
            at_secs: 0.0,
            cpu_ticks: 0,
            rss_kib: 0,
            hwm_kib: 0,
        };
        let busiest = samples
            .windows(11)
            .map(|ten| percent(&ten[0], &ten[10]))
            .fold(0.0, f64::max);
        let mut rss: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
        rss.sort_unstable();
        let mib = |kib: u64| kib as f64 / 1024.0;
        Ok(Self {
            duration_secs: last.at_secs,
            cpu_secs: last.cpu_ticks as f64 / ticks,
            cpu_percent: percent(&start, last),
            cpu_percent_after_startup: percent(after_startup, last),
            cpu_percent_busiest_10s: busiest,
            rss_avg_mib: mib(rss.iter().sum::<u64>()) / rss.len() as f64,
            rss_p95_mib: mib(rss[(rss.len() * 95).div_ceil(100) - 1]),
            rss_peak_mib: mib(last.hwm_kib),
        })
    }
}

/// `utime + stime` of a `/proc/<pid>/stat` line, in clock ticks. The fields are counted
/// after the command name's closing parenthesis, since the name may hold spaces.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of proc(5); the first after the name is field 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// A `Key:   1234 kB` line of `/proc/<pid>/status`, in KiB.
fn kib_field(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// The kernel's clock ticks per second, the unit of CPU times in `/proc` (`getconf`:
/// `sysconf` would take `unsafe`, which the workspace forbids).
fn clock_ticks_per_sec() -> anyhow::Result<u64> {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("running getconf CLK_TCK")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .with_context(|| format!("getconf CLK_TCK printed {text:?}"))
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10_f64.powi(decimals);
    (value * scale).round() / scale
}

#[test]
fn reads_cpu_time_and_memory_from_proc() {
    // A command name with spaces and a parenthesis does not shift the fields.
    let stat =
        "4242 (pulse agent) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 157 43 0 0 20 0 9 0 123 0 0";
    assert_eq!(cpu_ticks(stat), Some(200));
    assert_eq!(cpu_ticks("4242 (short"), None);
    let status = "Name:\tpulse-agent\nVmHWM:\t   31000 kB\nVmRSS:\t   23456 kB\n";
    assert_eq!(kib_field(status, "VmRSS"), Some(23_456));
    assert_eq!(kib_field(status, "VmHWM"), Some(31_000));
    assert_eq!(kib_field(status, "VmSwap"), None);
    // And this process's own files read that way.
    let own = std::fs::read_to_string("/proc/self/status").unwrap();
    assert!(kib_field(&own, "VmRSS").unwrap() > 0);
    assert!(cpu_ticks(&std::fs::read_to_string("/proc/self/stat").unwrap()).is_some());
}

#[test]
fn figures_are_cpu_shares_of_one_core_and_memory_in_mib() {
    // 20 s: 1 s of CPU in the first 10 (start-up), then 0.1 s in the next 10.
    let samples: Vec<Sample> = (1..=20_u32)
        .map(|second| Sample {
            at_secs: f64::from(second),
            cpu_ticks: u64::from(if second <= 10 {
                10 * second
            } else {
                100 + (second - 10)
            }),
            rss_kib: if second == 20 { 40 * 1024 } else { 20 * 1024 },
            hwm_kib: 45 * 1024,
        })
        .collect();
    let figures = Figures::from_samples(&samples, 100).unwrap();
    assert!((figures.cpu_secs - 1.1).abs() < 1e-9);
    assert!((figures.cpu_percent - 5.5).abs() < 1e-9);
    assert!((figures.cpu_percent_after_startup - 1.0).abs() < 1e-9);
    // From 1 s to 11 s: 0.91 s of CPU.
    assert!((figures.cpu_percent_busiest_10s - 9.1).abs() < 1e-9);
    assert!((figures.rss_avg_mib - 21.0).abs() < 1e-9);
    assert!((figures.rss_p95_mib - 20.0).abs() < 1e-9);
    assert!((figures.rss_peak_mib - 45.0).abs() < 1e-9);
}
