//! `cargo xtask bench [PART…]`: measures release builds of the server on this machine
//! and records the figures in `bench/results/<part>.json` and in that part's section of
//! `BENCHMARKS.md`. The server, Postgres and the load client (`pulse-bench`) share the
//! machine, so each figure is for all three on it.
//!
//! Parts: `alerts` (alert streams held open, server memory, alert fan-out latency),
//! `ingest` (agents one server carries, activity rows per second through the API next
//! to Postgres alone; see `bench/ingest.rs`), `billing` (a burst of Stripe webhook
//! events, per-event latency next to a trivial route's, each applied exactly once; see
//! `bench/billing.rs`) and `reports` (the report queries over a year of a 1,000-person
//! company written straight into Postgres; see `bench/reports.rs`) and `agent` (the
//! desktop agent's CPU and memory at ordinary work on a virtual desktop, and the size of
//! its `.deb`; see `bench/agent.rs`) and `web` (Lighthouse scores of the release SPA on a
//! simulated phone, and the bytes it downloads; see `bench/web.rs`).

mod agent;
mod billing;
mod ingest;
mod reports;
pub(crate) mod web;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::Database;
use crate::postgres::{self, Server};
use crate::sh::{Ctx, capture, free_port, run, step};

/// The database the benchmarks use, recreated empty at every run.
const DATABASE: &str = "pulse_bench";
/// How often the server's memory is sampled while the load runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Streams of the warm-up run before the idle sample: enough to grow the server's
/// database pool to its full size, so the pool is not counted as streams' memory.
const WARM_UP_STREAMS: usize = 64;
/// Streams opening at once in the stepped runs: the most that cannot exhaust the
/// server's pool of 16 database connections, since opening a stream takes two of them
/// at once (the stream handler's and the bearer-token check's). More at once can take
/// every connection with each request waiting for its second, until the pool's time
/// limit answers 503: the opening burst measures that separately.
const OPENING: usize = 8;
/// The alerts part holds every stream as one person, far past the per-person cap that
/// protects a real server: both caps are raised for it.
const ALERT_STREAM_CAPS: &[(&str, &str)] = &[
    ("PULSE_MAX_STREAMS", "100000"),
    ("PULSE_MAX_STREAMS_PER_PERSON", "100000"),
];

/// Streams opening at once in the opening burst, like clients reconnecting together.
const BURST_OPENING: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Alert streams (SSE) one server holds, its memory, and alert fan-out latency.
    Alerts,
    /// Simulated agents one server carries, and activity ingest next to Postgres alone.
    Ingest,
    /// A burst of signed Stripe webhook events: latency per event next to a trivial
    /// route's, events per second, and each applied exactly once.
    Billing,
    /// The report queries (a team's month, the company's year, one person's week by
    /// application, attendance, the overview) over a year of a company's activity.
    Reports,
    /// The desktop agent's CPU and memory at ordinary work on a virtual desktop, and
    /// the size of its `.deb`.
    Agent,
    /// Lighthouse on the release SPA (sign-in, overview, employees, agent monitor) as a
    /// phone's browser, and the compressed bytes of the app.
    Web,
}

impl Part {
    const ALL: [Part; 6] = [
        Part::Alerts,
        Part::Ingest,
        Part::Billing,
        Part::Reports,
        Part::Agent,
        Part::Web,
    ];
}

#[derive(clap::Args)]
pub struct Options {
    /// The parts to run; all of them when none is named.
    #[arg(value_enum)]
    parts: Vec<Part>,
    /// Stream counts the `alerts` part steps through. It stops stepping up after a step
    /// that could not open every stream or missed a delivery. The server and the client
    /// each need one file descriptor per stream: mind `ulimit -n`.
    #[arg(long, value_delimiter = ',', default_values_t = [1000, 5000, 10000, 15000])]
    connections: Vec<usize>,
    /// Test alerts raised, one after another, at each step.
    #[arg(long, default_value_t = 20)]
    alerts: usize,
    /// Streams of the opening burst (opened 256 at a time on a fresh server, as when
    /// every client reconnects at once); 0 skips it.
    #[arg(long, default_value_t = 1000)]
    burst: usize,
    /// Agent counts the `ingest` part steps through (all enroll first). It stops
    /// stepping up after a step whose p99 is 100 ms or more or that lost an event.
    #[arg(long, value_delimiter = ',', default_values_t = [2500, 5000, 10000, 15000, 20000, 25000, 30000])]
    agents: Vec<usize>,
    /// Seconds each `ingest` step runs: at least one whole batch interval (60 s).
    #[arg(long, default_value_t = 90)]
    step_secs: u64,
    /// Seconds of the `ingest` flood through the API, and of the direct writes.
    #[arg(long, default_value_t = 60)]
    flood_secs: u64,
    /// Requests in flight at once: batches in the `ingest` flood and direct writes,
    /// events in the `billing` burst (and its baseline).
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Webhook requests of the `billing` burst, about one in ten a redelivery.
    #[arg(long, default_value_t = 500)]
    events: usize,
    /// Agents whose batches the flood and the direct writes take in turn.
    #[arg(long, default_value_t = 2500)]
    flood_agents: usize,
    /// Employees of the `reports` part's company, each with a year of activity.
    #[arg(long, default_value_t = 1000)]
    employees: usize,
    /// Timed requests per query of the `reports` part, after 3 unmeasured ones.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Seconds of ordinary work the `agent` part measures the agent through (at least
    /// 90, so that screenshots are taken and sent).
    #[arg(long, default_value_t = 300)]
    agent_secs: u64,
    /// Lighthouse runs per page of the `web` part; the one with the median performance
    /// score is kept. Five, not three: one page's single runs spread over 10 points here.
    #[arg(long, default_value_t = 5)]
    lighthouse_runs: usize,
}

/// The release binaries.
struct Binaries {
    server: PathBuf,
    client: PathBuf,
    agent: PathBuf,
}

pub fn bench(ctx: &mut Ctx, options: &Options) -> anyhow::Result<ExitCode> {
    let (server, admin_url, bench_url) = match Database::from_env() {
        Database::External(url) => {
            step("DATABASE_URL is set: benchmarking against that server, starting no Postgres");
            let other = |name| {
                postgres::with_database(&url, name)
                    .with_context(|| format!("DATABASE_URL is not a postgres://host/… URL: {url}"))
            };
            (None, other("postgres")?, other(DATABASE)?)
        }
        Database::Local => {
            let server = postgres::ensure_installed(ctx)?;
            postgres::ensure_running(ctx, &server, None)?;
            (
                Some(server),
                postgres::local_url("postgres"),
                postgres::local_url(DATABASE),
            )
        }
    };
    raise_open_files_limit(ctx);
    let parts = if options.parts.is_empty() {
        Part::ALL.to_vec()
    } else {
        options.parts.clone()
    };
    // The `agent` part builds its own (the footprint test and the `.deb`) and needs no
    // `pulse_bench` database: alone, it leaves the last data set there.
    let servers = parts.iter().any(|part| *part != Part::Agent);
    if servers {
        // The same three for every part (`web` needs only the server): one set of
        // features, so that no part rebuilds the dependencies of another.
        step(
            "building release binaries (cargo build --release -p pulse-backend -p pulse-bench -p pulse-agent)",
        );
        run(ctx.cargo().args([
            "build",
            "--release",
            "-p",
            "pulse-backend",
            "-p",
            "pulse-bench",
            "-p",
            "pulse-agent",
        ]))?;
    }
    let release = crate::target_dir(ctx)?.join("release");
    let binaries = Binaries {
        server: release.join("pulse"),
        client: release.join("pulse-bench"),
        agent: release.join("pulse-agent"),
    };
    if servers {
        postgres::recreate_database(ctx, server.as_ref(), &admin_url, DATABASE)?;
    }
    let machine = Machine::describe(ctx, server.as_ref(), &admin_url);

    for part in parts {
        match part {
            Part::Alerts => alerts(ctx, &binaries, &bench_url, &machine, options)?,
            Part::Ingest => ingest::ingest(
                ctx,
                &binaries,
                server.as_ref(),
                &admin_url,
                &machine,
                options,
            )?,
            Part::Billing => billing::billing(
                ctx,
                &binaries,
                server.as_ref(),
                &admin_url,
                &machine,
                options,
            )?,
            Part::Reports => reports::reports(ctx, &binaries, &bench_url, &machine, options)?,
            Part::Agent => agent::agent(ctx, &admin_url, &machine, options)?,
            Part::Web => web::web(ctx, &binaries, &bench_url, &machine, options)?,
        }
    }
    step(format_args!(
        "benchmarks done in {:.0}s; see BENCHMARKS.md",
        ctx.elapsed()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Raises this process's soft limit of open files to its hard limit (children inherit
/// it): the server and the load clients hold a descriptor per connection. `prlimit`
/// from util-linux does it, since this crate forbids the `unsafe` a direct
/// `setrlimit` would take; without it the limit stays as it is.
fn raise_open_files_limit(ctx: &Ctx) {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| hard_open_files_limit(&limits))
        .map_or_else(|| "unlimited".to_owned(), |hard| hard.to_string());
    let pid = std::process::id().to_string();
    if let Err(error) =
        capture(
            ctx.cmd("prlimit")
                .args(["--pid", &pid, &format!("--nofile={hard}:")]),
        )
    {
        step(format_args!(
            "could not raise the open-files limit to {hard}: {error:#}"
        ));
    }
}

/// The hard `Max open files` of `/proc/<pid>/limits` (`None` when unlimited).
fn hard_open_files_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The `alerts` part: for each stream count, a fresh server, a warm-up, the idle
/// memory, then `pulse-bench alerts` while the server's memory is sampled.
fn alerts(
    ctx: &Ctx,
    binaries: &Binaries,
    database_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    let work = ctx.state_dir().join("bench/alerts");
    let _ = std::fs::remove_dir_all(&work);
    let mut steps = Vec::new();
    let mut stopped = None;
    for &connections in &options.connections {
        step(format_args!(
            "alerts: {connections} streams, {} alerts (server log: .pulse/bench/alerts/{connections}/server.log)",
            options.alerts
        ));
        // A fresh server per step, so each idle figure is a server that never held more.
        let mut server = Running::start(
            ctx,
            &binaries.server,
            database_url,
            &work.join(connections.to_string()),
            ALERT_STREAM_CAPS,
        )?;
        let client = LoadClient::sign_up(ctx, &binaries.client, &server)?;
        step(format_args!(
            "warm-up: {WARM_UP_STREAMS} streams, one alert"
        ));
        client.alerts(WARM_UP_STREAMS, 1, OPENING, None)?;
        // Let the server notice that the warm-up's streams closed.
        std::thread::sleep(Duration::from_secs(2));
        let idle = rss_kib(server.pid())?;
        let measured = client.alerts(connections, options.alerts, OPENING, Some(server.pid()))?;
        server.stop();

        let step_result = alerts_step(idle, measured)?;
        step(format_args!("alerts: {}", one_line(&step_result)));
        let missing = shortfall(&step_result);
        steps.push(step_result);
        if let Some(reason) = missing {
            step(format_args!("alerts: not stepping up further: {reason}"));
            stopped = Some(format!(
                "stepping up stopped at {connections} streams: {reason}"
            ));
            break;
        }
    }

    let burst = if options.burst > 0 {
        step(format_args!(
            "alerts: opening burst, {} streams {BURST_OPENING} at a time (server log: .pulse/bench/alerts/burst/server.log)",
            options.burst
        ));
        let mut server = Running::start(
            ctx,
            &binaries.server,
            database_url,
            &work.join("burst"),
            ALERT_STREAM_CAPS,
        )?;
        let client = LoadClient::sign_up(ctx, &binaries.client, &server)?;
        let mut report = client.alerts(options.burst, 1, BURST_OPENING, None)?.report;
        server.stop();
        report["in_flight"] = json!(BURST_OPENING);
        step(format_args!(
            "alerts: burst: {} of {} open in {} s after {} refused attempts",
            report["connections_open"],
            report["connections_requested"],
            report["time_to_open_all_s"],
            report["open_retries"],
        ));
        Some(report)
    } else {
        None
    };

    let results = json!({
        "benchmark": "alerts",
        "date": machine.date,
        "commit": machine.commit,
        "machine": machine.to_json(),
        "server": "pulse serve, release build, PULSE_* settings at their defaults (HTTP workers: one per core; database pool: 16) but for the stream caps, raised to 100,000 (every stream is one person's)",
        "alerts_per_step": options.alerts,
        "warm_up_streams": WARM_UP_STREAMS,
        "in_flight": OPENING,
        "steps": steps,
        "burst": burst,
        "stopped": stopped,
    });
    publish(ctx, "alerts", &results, &alerts_section(&results))
}

/// One step's figures: the client's report plus the server's memory.
fn alerts_step(idle_kib: u64, measured: Measured) -> anyhow::Result<Value> {
    let Value::Object(mut fields) = measured.report else {
        bail!(
            "pulse-bench printed something other than a JSON object: {}",
            measured.report
        );
    };
    let open = fields
        .get("connections_open")
        .and_then(Value::as_u64)
        .context("pulse-bench's report has no connections_open")?;
    let peak_kib = measured.server_peak_kib.max(idle_kib);
    let per_connection = (open > 0).then(|| round1(kib_f64(peak_kib - idle_kib) / kib_f64(open)));
    fields.insert("rss_idle_mib".into(), json!(mib(idle_kib)));
    fields.insert("rss_peak_mib".into(), json!(mib(peak_kib)));
    fields.insert("kib_per_connection".into(), json!(per_connection));
    fields.insert(
        "client_rss_peak_mib".into(),
        json!(mib(measured.client_peak_kib)),
    );
    Ok(Value::Object(fields))
}

/// Why a step does not count as holding all its streams, if it does not.
fn shortfall(step: &Value) -> Option<String> {
    let number = |key| step.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (requested, open) = (number("connections_requested"), number("connections_open"));
    let (expected, received) = (number("deliveries_expected"), number("deliveries_received"));
    if open < requested {
        Some(format!("{open} of {requested} streams opened"))
    } else if received < expected {
        Some(format!(
            "{received} of {expected} deliveries arrived in time"
        ))
    } else {
        None
    }
}

fn one_line(step: &Value) -> String {
    format!(
        "{} open in {} s; server RSS {} → {} MiB ({} KiB per stream); fan-out p50 {} ms, p99 {} ms, max {} ms; {} of {} deliveries",
        step["connections_open"],
        step["time_to_open_all_s"],
        step["rss_idle_mib"],
        step["rss_peak_mib"],
        step["kib_per_connection"],
        step["fanout_p50_ms"],
        step["fanout_p99_ms"],
        step["fanout_max_ms"],
        step["deliveries_received"],
        step["deliveries_expected"],
    )
}

/// The `alerts` section of `BENCHMARKS.md`, from the results file's content.
fn alerts_section(results: &Value) -> String {
    let mut out = String::from(
        "## Alert streams: connections held, memory, fan-out\n\
         \n\
         One `pulse serve` (release build, default settings: one HTTP worker per core, a\n\
         database pool of 16) holds N `GET /api/v1/alerts/stream` connections of one\n\
         person, opened by `pulse-bench alerts` 8 at a time (see the burst below). Then\n\
         test alerts are raised one after another (`POST /api/v1/alerts/test`), each\n\
         once the previous one reached every stream; fan-out is the time from just\n\
         before the POST until a stream has parsed the `event: alert`, over all\n\
         deliveries. Server memory is its resident set (VmRSS): idle after a warm-up\n\
         run, peak sampled every 200 ms while the streams are opened and the alerts\n\
         fan out; per stream is (peak − idle) / streams. A fresh server runs each row.\n\
         The load client reads every stream on the same cores, so fan-out includes its\n\
         own reading time, and other work on the machine shows in it.\n\n",
    );
    out.push_str(
        "| streams held | opened in | server RSS idle | server RSS peak | per stream | fan-out p50 | fan-out p99 | fan-out max | deliveries |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let empty = Vec::new();
    let steps = results["steps"].as_array().unwrap_or(&empty);
    for step in steps {
        let held = step["connections_open"].as_u64().unwrap_or(0);
        let requested = step["connections_requested"].as_u64().unwrap_or(0);
        let held = if held == requested {
            thousands(held)
        } else {
            format!("{} of {}", thousands(held), thousands(requested))
        };
        out.push_str(&format!(
            "| {held} | {} s | {} MiB | {} MiB | {} KiB | {} ms | {} ms | {} ms | {} / {} |\n",
            figure(&step["time_to_open_all_s"], 1),
            figure(&step["rss_idle_mib"], 1),
            figure(&step["rss_peak_mib"], 1),
            figure(&step["kib_per_connection"], 1),
            figure(&step["fanout_p50_ms"], 1),
            figure(&step["fanout_p99_ms"], 1),
            figure(&step["fanout_max_ms"], 1),
            thousands(step["deliveries_received"].as_u64().unwrap_or(0)),
            thousands(step["deliveries_expected"].as_u64().unwrap_or(0)),
        ));
    }
    if let Some(stopped) = results["stopped"].as_str() {
        out.push_str(&format!("\nNot stepped further: {stopped}.\n"));
    }
    let burst = &results["burst"];
    if burst.is_object() {
        out.push_str(&format!(
            "\nOpening burst, as when every client reconnects at once: {} streams asked for \
             {} at a time on a fresh server opened in {} s, after {} attempts were refused \
             (503: no database connection in time) and retried; {} failed. Opening a stream \
             holds one database connection at a time, and none once it is open; the rows \
             above open 8 at a time, so their opening times are not a burst.\n",
            thousands(burst["connections_requested"].as_u64().unwrap_or(0)),
            burst["in_flight"],
            figure(&burst["time_to_open_all_s"], 1),
            thousands(burst["open_retries"].as_u64().unwrap_or(0)),
            thousands(burst["open_failures"].as_u64().unwrap_or(0)),
        ));
    }
    let machine = &results["machine"];
    out.push_str(&format!(
        "\n{} alerts per row. Measured {} at commit `{}` on {}; the server, Postgres {} and the load client all ran on this one machine. Raw figures, with the load client's own memory: `bench/results/alerts.json`.\n",
        results["alerts_per_step"],
        results["date"].as_str().unwrap_or("?"),
        results["commit"].as_str().unwrap_or("?"),
        machine_words(machine),
        machine["postgres"].as_str().unwrap_or("(version unknown)"),
    ));
    out
}

/// `2 cores (AMD EPYC), 23.5 GiB of memory, 20,000 open files per process`.
fn machine_words(machine: &Value) -> String {
    let cores = machine["cores"].as_u64().unwrap_or(0);
    let cpu = machine["cpu"]
        .as_str()
        .map(|cpu| format!(" ({cpu})"))
        .unwrap_or_default();
    let memory = machine["memory_mib"]
        .as_u64()
        .map(|mib| format!(", {:.1} GiB of memory", kib_f64(mib) / 1024.0))
        .unwrap_or_default();
    let files = machine["open_files_limit"]
        .as_u64()
        .map(|limit| format!(", {} open files per process", thousands(limit)))
        .unwrap_or_default();
    format!("{cores} cores{cpu}{memory}{files}")
}

/// A JSON number with `decimals` places, `–` when absent.
fn figure(value: &Value, decimals: usize) -> String {
    value
        .as_f64()
        .map_or_else(|| "–".to_owned(), |n| format!("{n:.decimals$}"))
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Markers that fence each part's section in `BENCHMARKS.md`.
fn markers(part: &str) -> (String, String) {
    (
        format!("<!-- {part}:start -->"),
        format!("<!-- {part}:end -->"),
    )
}

const INTRO: &str = "# Benchmarks\n\
\n\
What one Pulse server can carry, measured by `cargo xtask bench` (all parts) or\n\
`cargo xtask bench <part>`: it builds release binaries, starts the server on a fresh\n\
`pulse_bench` database in the local Postgres, drives it with the `pulse-bench` load\n\
client and rewrites that part's section below. Every figure comes from the last such\n\
run on the machine described in its section. The server, Postgres and the load client\n\
share that machine (2 cores where CI and the developers run), so they compete for the\n\
same cores: a server of its own would do better, never worse.\n";

/// Writes `part`'s figures to `bench/results/<part>.json` and `section` (what they
/// render to) into its section of BENCHMARKS.md.
fn publish(ctx: &Ctx, part: &str, results: &Value, section: &str) -> anyhow::Result<()> {
    write(
        &ctx.root.join(format!("bench/results/{part}.json")),
        &format!("{}\n", serde_json::to_string_pretty(results)?),
    )?;
    let markdown_path = ctx.root.join("BENCHMARKS.md");
    let existing = std::fs::read_to_string(&markdown_path).ok();
    write(
        &markdown_path,
        &replace_section(existing.as_deref(), part, section),
    )?;
    step(format_args!(
        "{part}: wrote bench/results/{part}.json and the {part} section of BENCHMARKS.md"
    ));
    Ok(())
}

/// For the tests: the committed section of `part` is what its committed results render
/// to (`render`), so neither is edited by hand.
#[cfg(test)]
fn assert_section_renders(part: &str, render: fn(&Value) -> String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let Ok(results) = std::fs::read_to_string(root.join(format!("bench/results/{part}.json")))
    else {
        return;
    };
    let results: Value = serde_json::from_str(&results).unwrap_or_default();
    let doc = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
    let rendered = render(&results);
    assert!(
        doc.contains(rendered.trim_end()),
        "BENCHMARKS.md's {part} section differs from bench/results/{part}.json rendered:\n{rendered}"
    );
}

/// `doc` with the section of `part` replaced by `body` (between its markers); the
/// section is appended when the markers are missing, and the file is started with an
/// introduction when there is none.
fn replace_section(doc: Option<&str>, part: &str, body: &str) -> String {
    let (start, end) = markers(part);
    let fenced = format!("{start}\n{}\n{end}", body.trim_end());
    let doc = doc.unwrap_or(INTRO);
    if let Some(from) = doc.find(&start)
        && let Some(to) = doc[from..].find(&end).map(|at| from + at + end.len())
    {
        return format!("{}{fenced}{}", &doc[..from], &doc[to..]);
    }
    format!("{}\n\n{fenced}\n", doc.trim_end())
}

/// The machine and software the figures come from.
struct Machine {
    cores: usize,
    memory_mib: Option<u64>,
    cpu: Option<String>,
    /// Per process: it caps the streams one server (and one client) can hold.
    open_files: Option<u64>,
    postgres: Option<String>,
    date: String,
    commit: String,
}

impl Machine {
    fn describe(ctx: &Ctx, server: Option<&Server>, admin_url: &str) -> Self {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        let postgres =
            capture(postgres::psql(ctx, server, admin_url).args(["-tAc", "SHOW server_version"]))
                .ok()
                .and_then(|out| out.split_whitespace().next().map(str::to_owned));
        let commit = capture(ctx.cmd("git").args(["rev-parse", "--short", "HEAD"]))
            .map(|out| out.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_mib: kib_field(&read("/proc/meminfo"), "MemTotal").map(|kib| kib / 1024),
            cpu: cpu_model(&read("/proc/cpuinfo")),
            open_files: open_files_limit(&read("/proc/self/limits")),
            postgres,
            date: utc_date_time(now),
            commit,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "cores": self.cores,
            "memory_mib": self.memory_mib,
            "cpu": self.cpu,
            "open_files_limit": self.open_files,
            "postgres": self.postgres,
        })
    }
}

/// What one load run printed, and the peak memory seen while it ran.
struct Measured {
    report: Value,
    server_peak_kib: u64,
    client_peak_kib: u64,
}

/// `pulse-bench` acting for one fresh account of a running server.
struct LoadClient<'a> {
    ctx: &'a Ctx,
    binary: &'a Path,
    server: String,
    token: String,
}

impl<'a> LoadClient<'a> {
    /// Signs up through `pulse-bench signup`. Signing up hashes a password, which
    /// takes the server's memory for a moment, so it happens before any memory sample.
    fn sign_up(ctx: &'a Ctx, binary: &'a Path, server: &Running) -> anyhow::Result<Self> {
        let url = server.url();
        let mail_port = server.mail_port.to_string();
        let out =
            capture(
                ctx.cmd(binary)
                    .args(["signup", "--server", &url, "--mail-port", &mail_port]),
            )?;
        let signed_up: Value = serde_json::from_str(out.trim())
            .with_context(|| format!("pulse-bench signup printed no JSON: {out}"))?;
        let token = signed_up["access_token"]
            .as_str()
            .context("pulse-bench signup printed no access_token")?
            .to_owned();
        Ok(Self {
            ctx,
            binary,
            server: url,
            token,
        })
    }

    /// `pulse-bench alerts`, sampling its memory and the server's (process `server`,
    /// when given) every [`SAMPLE_EVERY`] until it ends.
    fn alerts(
        &self,
        streams: usize,
        alerts: usize,
        in_flight: usize,
        server: Option<u32>,
    ) -> anyhow::Result<Measured> {
        let mut child = self
            .ctx
            .cmd(self.binary)
            .args(["alerts", "--server", &self.server, "--token", &self.token])
            .args(["--connections", &streams.to_string()])
            .args(["--alerts", &alerts.to_string()])
            .args(["--in-flight", &in_flight.to_string()])
            // A burst may take long to open: the limit is the token's 15 minutes.
            .args(["--open-timeout-secs", "600"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {}", self.binary.display()))?;
        let (mut server_peak_kib, mut client_peak_kib) = (0, 0);
        loop {
            if let Some(pid) = server {
                server_peak_kib = server_peak_kib.max(rss_kib(pid).unwrap_or(0));
            }
            client_peak_kib = client_peak_kib.max(rss_kib(child.id()).unwrap_or(0));
            if child.try_wait()?.is_some() {
                break;
            }
            std::thread::sleep(SAMPLE_EVERY);
        }
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!(
                "pulse-bench alerts ({streams} streams) failed ({})",
                output.status
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report = serde_json::from_str(stdout.trim())
            .with_context(|| format!("pulse-bench printed no JSON report: {stdout}"))?;
        Ok(Measured {
            report,
            server_peak_kib,
            client_peak_kib,
        })
    }
}

/// A `pulse serve` of our own, stopped when dropped.
struct Running {
    child: Child,
    address: SocketAddr,
    /// Where the server sends its mail (`pulse-bench` listens there while signing up).
    mail_port: u16,
    log: PathBuf,
}

impl Running {
    /// Starts the server on a free port with its own data directory under `dir` and
    /// waits until `/readyz` answers 200.
    /// `settings`: `PULSE_*` variables that differ from the defaults for this part.
    fn start(
        ctx: &Ctx,
        binary: &Path,
        database_url: &str,
        dir: &Path,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let log = dir.join("server.log");
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        // Sign-ups prove their address by e-mail: `pulse-bench` receives it here.
        let mail_port = free_port()?;
        let mut cmd = ctx.cmd(binary);
        // The figures are for the default settings, whatever this shell has set.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PULSE_") {
                cmd.env_remove(name);
            }
        }
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("PULSE_BIND", address.to_string())
            .env("PULSE_DATA_DIR", &data)
            // No SPA is served: the benchmarks only call the API.
            .env("PULSE_DIST_DIR", dir.join("no-spa"))
            .env("PULSE_LOG", "warn")
            .env("PULSE_SMTP_URL", format!("smtp://127.0.0.1:{mail_port}"))
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let child = cmd
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let mut server = Self {
            child,
            address,
            mail_port,
            log,
        };
        server.wait_ready(Duration::from_secs(60))?;
        Ok(server)
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before it was ready; the end of {} says:\n{}",
                    self.log.display(),
                    tail(&self.log, 15)
                );
            }
            if http_get_status(self.address, "/readyz").ok() == Some(200) {
                return Ok(());
            }
            if Instant::now() > until {
                bail!(
                    "the server was not ready after {} s; see {}",
                    limit.as_secs(),
                    self.log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM (a graceful stop), then SIGKILL if it is still there after 20 s.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The status code of `GET path`: enough HTTP for a readiness probe.
fn http_get_status(address: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut status_line = String::new();
    BufReader::new(stream).read_line(&mut status_line)?;
    status_code(&status_line).with_context(|| format!("not an HTTP answer: {status_line:?}"))
}

/// `HTTP/1.1 200 OK` → 200.
fn status_code(status_line: &str) -> Option<u16> {
    let mut words = status_line.split_whitespace();
    words
        .next()
        .filter(|version| version.starts_with("HTTP/"))?;
    words.next()?.parse().ok()
}

/// The resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    kib_field(&status, "VmRSS").with_context(|| format!("{path} has no VmRSS line"))
}

/// A `Key:   1234 kB` line of `/proc/meminfo` or `/proc/<pid>/status`, in KiB.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        let number = value.trim().strip_suffix("kB")?;
        number.trim().parse().ok()
    })
}

/// The `model name` of the first processor in `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.split_whitespace().collect::<Vec<_>>().join(" "))
    })
}

/// The soft `Max open files` of `/proc/<pid>/limits` (`None` when unlimited).
fn open_files_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Seconds since the epoch as `2025-01-31 17:05 UTC`.
fn utc_date_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    let (year, month, day) = civil_date(days);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

/// Days since 1970-01-01 → (year, month, day), after Howard Hinnant's `civil_from_days`.
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

fn mib(kib: u64) -> f64 {
    round1(kib_f64(kib) / 1024.0)
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[allow(clippy::cast_precision_loss)] // memory sizes, far below 2^52
fn kib_f64(kib: u64) -> f64 {
    kib as f64
}

/// The last `lines` lines of a file, for error messages.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_and_the_rest_of_the_file_kept() {
        let doc = "# Benchmarks\n\nIntro.\n\n<!-- alerts:start -->\nold table\n<!-- alerts:end -->\n\n<!-- ingest:start -->\nother\n<!-- ingest:end -->\n";
        let updated = replace_section(Some(doc), "alerts", "new table\n");
        assert_eq!(
            updated,
            "# Benchmarks\n\nIntro.\n\n<!-- alerts:start -->\nnew table\n<!-- alerts:end -->\n\n<!-- ingest:start -->\nother\n<!-- ingest:end -->\n"
        );
        assert_eq!(
            replace_section(Some(&updated), "alerts", "new table"),
            updated
        );
    }

    #[test]
    fn a_missing_section_is_appended_and_a_missing_file_started() {
        let doc = "# Benchmarks\n\nIntro.\n";
        assert_eq!(
            replace_section(Some(doc), "alerts", "table"),
            "# Benchmarks\n\nIntro.\n\n<!-- alerts:start -->\ntable\n<!-- alerts:end -->\n"
        );
        let fresh = replace_section(None, "alerts", "table");
        assert!(fresh.starts_with(INTRO.trim_end()));
        assert!(fresh.ends_with("<!-- alerts:start -->\ntable\n<!-- alerts:end -->\n"));
        // An end marker before the start marker is not a section.
        let odd = "<!-- alerts:end -->\n<!-- alerts:start -->\n";
        assert!(replace_section(Some(odd), "alerts", "t").ends_with("<!-- alerts:end -->\n"));
    }

    #[test]
    fn reads_kib_figures_and_the_cpu_from_proc() {
        let status =
            "Name:\tpulse\nVmPeak:\t  812344 kB\nVmRSS:\t   23456 kB\nRssAnon:\t   12000 kB\n";
        assert_eq!(kib_field(status, "VmRSS"), Some(23_456));
        assert_eq!(kib_field(status, "VmHWM"), None);
        let meminfo = "MemTotal:       24683404 kB\nMemFree:        19572276 kB\n";
        assert_eq!(kib_field(meminfo, "MemTotal"), Some(24_683_404));
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC  7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model(""), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax processes             unlimited            unlimited            processes \nMax open files            20000                40000                files     \n";
        assert_eq!(open_files_limit(limits), Some(20_000));
        assert_eq!(hard_open_files_limit(limits), Some(40_000));
        assert_eq!(
            open_files_limit("Max open files  unlimited  unlimited  files\n"),
            None
        );
    }

    #[test]
    fn reads_http_status_lines() {
        assert_eq!(status_code("HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(
            status_code("HTTP/1.1 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_code("SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_code(""), None);
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc_date_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date_time(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_date_time(1_700_000_000), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn a_step_stops_the_stepping_when_it_falls_short() {
        let step = |open: u64, received: u64| {
            json!({
                "connections_requested": 1000,
                "connections_open": open,
                "deliveries_expected": open * 20,
                "deliveries_received": received,
            })
        };
        assert_eq!(shortfall(&step(1000, 20_000)), None);
        assert!(shortfall(&step(990, 19_800)).is_some());
        assert!(shortfall(&step(1000, 19_999)).is_some());
    }

    #[test]
    fn large_counts_are_grouped_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(200_000), "200,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
