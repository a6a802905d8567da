//! The `ingest` part of `cargo xtask bench`: how many agents one server carries, and
//! how fast it stores activity next to Postgres on its own.
//!
//! Two stages, each on a fresh `pulse_bench_ingest` database (dropped at the end) with
//! its own server and one company (`pulse-bench ingest-setup`) whose agents enroll
//! through the API first (`pulse-agent simulate --duration 0`, credentials kept in a
//! file the later runs reuse):
//! 1. capacity, `--flood-agents` agents: `pulse-bench ingest-direct` writes batches with
//!    the API's own `insert_events`, `--in-flight` at a time, for `--flood-secs`; then
//!    `pulse-agent simulate --flood` sends the same batches through the API, the same
//!    number at a time, for as long. After each, the wait for the session builder to
//!    empty its queue, so one run's backlog does not load the next;
//! 2. steps, as many agents as the largest step: `pulse-agent simulate` with N agents
//!    (a heartbeat every 30 s, a batch of 20 events every 60 s) for `--step-secs`, N
//!    stepping up until a step misses the target (p99 of agent calls under 100 ms, no
//!    event lost). Capacity runs on its own database so that its agents, quiet
//!    afterwards, never go offline (an alert each) while the steps are measured.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::{
    Binaries, Machine, Options, Running, figure, machine_words, mib, publish, rss_kib, thousands,
};
use crate::postgres::{self, Server};
use crate::sh::{Ctx, capture, step};

/// The database of this part, recreated empty at every run.
const DATABASE: &str = "pulse_bench_ingest";
/// The target a step must meet to count as carried.
const P99_TARGET_MS: f64 = 100.0;
const HEARTBEAT_SECS: u64 = 30;
const BATCH_SECS: u64 = 60;
const BATCH_EVENTS: usize = 20;
/// The longest wait for the session builder to catch up after a capacity run.
const SESSIONS_CATCH_UP: Duration = Duration::from_secs(120);
/// How often memory and CPU are sampled while a load runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Linux reports CPU time in `/proc/<pid>/stat` in these ticks per second (`USER_HZ`,
/// 100 on every architecture Pulse runs on).
const TICKS_PER_SEC: f64 = 100.0;

pub(super) fn ingest(
    ctx: &Ctx,
    binaries: &Binaries,
    server: Option<&Server>,
    admin_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    let mut steps_wanted = options.agents.clone();
    steps_wanted.sort_unstable();
    steps_wanted.dedup();
    let Some(&most) = steps_wanted.last() else {
        bail!("--agents names no step");
    };
    let flood_agents = options.flood_agents.min(most).max(1);
    let work = ctx.state_dir().join("bench/ingest");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;

    // Capacity first, on a database of its own: its agents then never go quiet
    // (offline, with an alert each) while the stepped runs are measured.
    let mut stage = Stage::prepare(
        ctx,
        binaries,
        server,
        admin_url,
        &work.join("capacity"),
        flood_agents,
    )?;
    step(format_args!(
        "ingest: direct: insert_events straight into Postgres, {} batches of {BATCH_EVENTS} in flight, {} s",
        options.in_flight, options.flood_secs
    ));
    let out = capture(
        ctx.cmd(&binaries.client)
            .args(["ingest-direct", "--database-url", &stage.url])
            .args(["--in-flight", &options.in_flight.to_string()])
            .args(["--agents", &flood_agents.to_string()])
            .args(["--batch-events", &BATCH_EVENTS.to_string()])
            .args(["--duration-secs", &options.flood_secs.to_string()]),
    )?;
    let mut direct: Value = serde_json::from_str(out.trim())
        .with_context(|| format!("pulse-bench ingest-direct printed no JSON: {out}"))?;
    direct["sessions_caught_up_s"] = json!(stage.sessions_caught_up(ctx, server)?);
    step(format_args!(
        "ingest: direct: {} rows/s; sessions caught up {} s later",
        direct["rows_per_s"], direct["sessions_caught_up_s"]
    ));

    // The same flood twice: first with the policies switched off, then as served.
    // The second run writes into tables the first has grown, so the ratio, if
    // anything, overstates what row-level security costs.
    stage.row_security(ctx, server, false)?;
    let without_rls = stage.flood(
        ctx,
        server,
        options,
        flood_agents,
        "flood without row-level security",
    )?;
    stage.row_security(ctx, server, true)?;
    let flood = stage.flood(ctx, server, options, flood_agents, "flood")?;
    stage.running.stop();

    let mut stage = Stage::prepare(ctx, binaries, server, admin_url, &work.join("steps"), most)?;
    let enrollment = stage.enrollment.clone();
    let mut steps = Vec::new();
    let mut stopped = None;
    for &agents in &steps_wanted {
        step(format_args!(
            "ingest: {} agents for {} s",
            thousands(agents as u64),
            options.step_secs
        ));
        let measured = sampled(
            stage
                .simulate(agents)
                .args(["--duration", &format!("{}s", options.step_secs)]),
            stage.running.pid(),
        )?;
        let mut result = measured.into_step();
        let shortfall = shortfall(&result, agents);
        result["within_target"] = json!(shortfall.is_none());
        step(format_args!("ingest: {}", one_line(&result)));
        steps.push(result);
        if let Some(reason) = shortfall {
            step(format_args!("ingest: not stepping up further: {reason}"));
            stopped = Some(format!(
                "stepping up stopped at {} agents: {reason}",
                thousands(agents as u64)
            ));
            break;
        }
    }
    stage.running.stop();
    // Millions of rows nobody reads again: give the space back.
    step(format_args!("ingest: dropping database {DATABASE}"));
    crate::sh::run(postgres::psql(ctx, server, admin_url).args([
        "-c",
        "SET client_min_messages = warning",
        "-c",
        &format!("DROP DATABASE IF EXISTS \"{DATABASE}\" WITH (FORCE)"),
    ]))?;

    let sustained = steps
        .iter()
        .filter(|s| s["within_target"] == json!(true))
        .max_by_key(|s| s["agents"].as_u64().unwrap_or(0));
    let total = |key: &str| {
        steps
            .iter()
            .map(|s| s[key].as_u64().unwrap_or(0))
            .sum::<u64>()
    };
    let (api, direct_rate) = (
        flood["rows_per_s"].as_f64().unwrap_or(0.0),
        direct["rows_per_s"].as_f64().unwrap_or(0.0),
    );
    let results = json!({
        "benchmark": "ingest",
        "date": machine.date,
        "commit": machine.commit,
        "machine": machine.to_json(),
        "server": "pulse serve, release build, PULSE_* settings at their defaults (HTTP workers: one per core; database pool: 16)",
        "heartbeat_secs": HEARTBEAT_SECS,
        "batch_secs": BATCH_SECS,
        "batch_events": BATCH_EVENTS,
        "step_secs": options.step_secs,
        "p99_target_ms": P99_TARGET_MS,
        "agents_sustained": sustained.map(|s| s["agents"].clone()),
        "p50_ms": sustained.map(|s| s["p50_ms"].clone()),
        "p99_ms": sustained.map(|s| s["p99_ms"].clone()),
        "events_sent": total("events_sent"),
        "events_lost": total("events_lost"),
        "api_rows_per_s": api,
        "direct_rows_per_s": direct_rate,
        "api_to_direct_ratio": (direct_rate > 0.0).then(|| (api / direct_rate * 1000.0).round() / 1000.0),
        "in_flight": options.in_flight,
        "flood_secs": options.flood_secs,
        "enrollment": {
            "agents": most,
            "seconds": enrollment["enroll_s"],
            "p50_ms": enrollment["calls"]["enroll"]["p50_ms"],
            "p99_ms": enrollment["calls"]["enroll"]["p99_ms"],
            "retried": enrollment["calls"]["enroll"]["retried"],
        },
        "rls_to_no_rls_ratio": ratio(&flood, &without_rls),
        "flood": flood,
        "flood_without_rls": without_rls,
        "direct": direct,
        "steps": steps,
        "stopped": stopped,
    });
    publish(ctx, "ingest", &results, &section(&results))
}

/// A fresh database, a server on it, one company with `agents` employees, and that
/// many agents enrolled through the API, their credentials kept for the runs.
struct Stage {
    url: String,
    running: Running,
    tokens: String,
    credentials: std::path::PathBuf,
    agent_binary: std::path::PathBuf,
    /// The enrolling run's report.
    enrollment: Value,
}

impl Stage {
    fn prepare(
        ctx: &Ctx,
        binaries: &Binaries,
        server: Option<&Server>,
        admin_url: &str,
        dir: &std::path::Path,
        agents: usize,
    ) -> anyhow::Result<Self> {
        let url = postgres::with_database(admin_url, DATABASE)
            .with_context(|| format!("not a postgres://host/… URL: {admin_url}"))?;
        postgres::recreate_database(ctx, server, admin_url, DATABASE)?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        step(format_args!(
            "ingest: starting the server (log: {})",
            dir.join("server.log").display()
        ));
        let running = Running::start(ctx, &binaries.server, &url, dir, &[])?;
        step(format_args!(
            "ingest: a company with {} employees and seats (pulse-bench ingest-setup)",
            thousands(agents as u64)
        ));
        let out = capture(
            ctx.cmd(&binaries.client)
                .args([
                    "ingest-setup",
                    "--server",
                    &running.url(),
                    "--database-url",
                    &url,
                    "--mail-port",
                    &running.mail_port.to_string(),
                ])
                .args(["--employees", &agents.to_string()]),
        )?;
        let setup: Value = serde_json::from_str(out.trim())
            .with_context(|| format!("pulse-bench ingest-setup printed no JSON: {out}"))?;
        let tokens: Vec<&str> = setup["tokens"]
            .as_array()
            .context("pulse-bench ingest-setup printed no tokens")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let mut stage = Self {
            url,
            running,
            tokens: tokens.join(","),
            credentials: dir.join("credentials.json"),
            agent_binary: binaries.agent.clone(),
            enrollment: Value::Null,
        };
        step(format_args!(
            "ingest: enrolling {} agents through the API",
            thousands(agents as u64)
        ));
        let enrolled = sampled(
            stage.simulate(agents).args(["--duration", "0"]),
            stage.running.pid(),
        )?;
        let report = enrolled.report;
        if report["enrolled"].as_u64() != Some(agents as u64) {
            bail!(
                "only {} of {agents} agents enrolled: {}",
                report["enrolled"],
                report["first_error"]
            );
        }
        step(format_args!(
            "ingest: enrolled in {} s (p50 {} ms, p99 {} ms)",
            report["enroll_s"],
            report["calls"]["enroll"]["p50_ms"],
            report["calls"]["enroll"]["p99_ms"]
        ));
        stage.enrollment = report;
        Ok(stage)
    }

    /// Switches the row-level security of every company table on or off (the
    /// policies stay; only whether they apply changes).
    fn row_security(&self, ctx: &Ctx, server: Option<&Server>, on: bool) -> anyhow::Result<()> {
        let switch = if on { "ENABLE" } else { "DISABLE" };
        crate::sh::run(postgres::psql(ctx, server, &self.url).args([
            "-c",
            &format!(
                "DO $$ DECLARE t regclass; BEGIN \
                 FOR t IN SELECT DISTINCT polrelid::regclass FROM pg_policy WHERE polname = 'tenant' LOOP \
                 EXECUTE format('ALTER TABLE %s {switch} ROW LEVEL SECURITY', t); END LOOP; END $$"
            ),
        ]))
    }

    /// `flood_agents`' batches through the API, `--in-flight` at a time, for
    /// `--flood-secs`; then the wait for the session builder to catch up.
    fn flood(
        &self,
        ctx: &Ctx,
        server: Option<&Server>,
        options: &Options,
        flood_agents: usize,
        name: &str,
    ) -> anyhow::Result<Value> {
        step(format_args!(
            "ingest: {name}: {} agents' batches through the API, {} in flight, {} s",
            thousands(flood_agents as u64),
            options.in_flight,
            options.flood_secs
        ));
        let flood = sampled(
            self.simulate(flood_agents)
                .arg("--flood")
                .args(["--in-flight", &options.in_flight.to_string()])
                .args(["--duration", &format!("{}s", options.flood_secs)]),
            self.running.pid(),
        )?;
        let mut flood = flood.into_step();
        flood["sessions_caught_up_s"] = json!(self.sessions_caught_up(ctx, server)?);
        step(format_args!(
            "ingest: {name}: {} rows/s, p99 {} ms, {} events lost; sessions caught up {} s later",
            flood["rows_per_s"],
            flood["p99_ms"],
            flood["events_lost"],
            flood["sessions_caught_up_s"]
        ));
        Ok(flood)
    }

    /// `pulse-agent simulate` for the first `agents` agents of this stage.
    fn simulate(&self, agents: usize) -> Command {
        let mut cmd = Command::new(&self.agent_binary);
        cmd.args(["simulate", "--server", &self.running.url()])
            .args(["--enroll-token", &self.tokens])
            .args(["--agents", &agents.to_string()])
            .arg("--credentials")
            .arg(&self.credentials)
            .args(["--heartbeat-secs", &HEARTBEAT_SECS.to_string()])
            .args(["--batch-secs", &BATCH_SECS.to_string()])
            .args(["--batch-events", &BATCH_EVENTS.to_string()])
            .args(["--progress-secs", "10", "--json"]);
        cmd
    }

    /// Seconds until the server's session builder has folded every queued batch into
    /// work sessions (`None`: not within two minutes), so one run's backlog does not
    /// load the next.
    fn sessions_caught_up(
        &self,
        ctx: &Ctx,
        server: Option<&Server>,
    ) -> anyhow::Result<Option<f64>> {
        let started = Instant::now();
        while started.elapsed() < SESSIONS_CATCH_UP {
            let queued = capture(
                postgres::psql(ctx, server, &self.url)
                    .args(["-tAc", "SELECT count(*) FROM session_queue"]),
            )?;
            if queued.trim() == "0" {
                return Ok(Some(round1(started.elapsed().as_secs_f64())));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Ok(None)
    }
}

/// What one simulator run printed, with what the machine's processes spent meanwhile.
struct Sampled {
    report: Value,
    wall: Duration,
    server_peak_kib: u64,
    server_cpu: f64,
    postgres_cpu: f64,
    client_cpu: f64,
    client_peak_kib: u64,
    /// Cores the whole machine kept busy on average, whoever used them.
    machine_busy: f64,
}

impl Sampled {
    /// The report with rates and the processes' shares of the machine added.
    fn into_step(self) -> Value {
        let mut step = self.report;
        let seconds = step["measured_s"].as_f64().unwrap_or(0.0).max(0.001);
        let wall = self.wall.as_secs_f64().max(0.001);
        let rate = |calls: &Value| round1(calls["succeeded"].as_f64().unwrap_or(0.0) / seconds);
        step["heartbeats_per_s"] = json!(rate(&step["calls"]["heartbeat"]));
        step["batches_per_s"] = json!(rate(&step["calls"]["activity"]));
        step["retried"] = json!(step["calls"].as_object().map_or(0, |calls| {
            calls
                .values()
                .map(|c| c["retried"].as_u64().unwrap_or(0))
                .sum::<u64>()
        }));
        step["server_rss_peak_mib"] = json!(mib(self.server_peak_kib));
        step["client_rss_peak_mib"] = json!(mib(self.client_peak_kib));
        // Cores busy on average over the client's run.
        step["server_cpu_cores"] = json!(round2(self.server_cpu / wall));
        step["postgres_cpu_cores"] = json!(round2(self.postgres_cpu / wall));
        step["client_cpu_cores"] = json!(round2(self.client_cpu / wall));
        step["machine_busy_cores"] = json!(round2(self.machine_busy));
        // Everything else on the machine: other people's builds and tests compete too.
        step["other_cpu_cores"] = json!(round2(
            (self.machine_busy - (self.server_cpu + self.postgres_cpu + self.client_cpu) / wall)
                .max(0.0)
        ));
        step
    }
}

/// Runs `cmd` (a `pulse-agent simulate --json`), sampling the server's memory and the
/// CPU time of the server, Postgres and the simulator until it ends.
fn sampled(cmd: &mut Command, server_pid: u32) -> anyhow::Result<Sampled> {
    let started = Instant::now();
    let (server_before, postgres_before) = (cpu_seconds(server_pid), postgres_cpu_seconds());
    let machine_before = machine_ticks();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("could not start pulse-agent simulate")?;
    let (mut server_peak_kib, mut client_peak_kib, mut client_cpu) = (0, 0, 0.0);
    loop {
        server_peak_kib = server_peak_kib.max(rss_kib(server_pid).unwrap_or(0));
        client_peak_kib = client_peak_kib.max(rss_kib(child.id()).unwrap_or(0));
        client_cpu = cpu_seconds(child.id()).unwrap_or(client_cpu);
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    let wall = started.elapsed();
    let server_cpu = cpu_seconds(server_pid)
        .zip(server_before)
        .map_or(0.0, |(a, b)| a - b);
    let postgres_cpu = postgres_cpu_seconds() - postgres_before;
    let machine_busy =
        machine_ticks()
            .zip(machine_before)
            .map_or(0.0, |((busy, total), (busy0, total0))| {
                let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
                (busy - busy0) as f64 / (total - total0).max(1) as f64 * cores
            });
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("pulse-agent simulate failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(stdout.trim())
        .with_context(|| format!("pulse-agent simulate printed no JSON report: {stdout}"))?;
    Ok(Sampled {
        report,
        wall,
        server_peak_kib,
        server_cpu,
        postgres_cpu,
        client_cpu,
        client_peak_kib,
        machine_busy,
    })
}

/// (busy, total) CPU ticks of the whole machine so far, from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    stat_machine_ticks(&stat)
}

/// The `cpu` line of `/proc/stat`: idle and iowait are idle, the rest busy.
fn stat_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// User plus system CPU seconds of process `pid` so far.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_ticks(&stat).map(|ticks| ticks as f64 / TICKS_PER_SEC)
}

/// CPU seconds of every `postgres` process (the server's backends and Postgres's own).
fn postgres_cpu_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut ticks = 0;
    for entry in entries.flatten() {
        let path = entry.path().join("stat");
        if let Ok(stat) = std::fs::read_to_string(&path)
            && stat_command(&stat) == Some("postgres")
        {
            ticks += stat_cpu_ticks(&stat).unwrap_or(0);
        }
    }
    ticks as f64 / TICKS_PER_SEC
}

/// The command name of a `/proc/<pid>/stat` line: `1234 (postgres) S …` → `postgres`.
fn stat_command(stat: &str) -> Option<&str> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    stat.get(open + 1..close)
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in ticks. The
/// command name may hold spaces, so fields are counted after its closing parenthesis.
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name come field 3 (state) onwards: utime is field 14, index 11 here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Why a step does not count as carried, if it does not.
fn shortfall(step: &Value, agents: usize) -> Option<String> {
    let ran = step["agents"].as_u64().unwrap_or(0);
    let lost = step["events_lost"].as_u64().unwrap_or(0);
    let sent = step["events_sent"].as_u64().unwrap_or(0);
    match step["p99_ms"].as_f64() {
        _ if ran < agents as u64 => Some(format!("only {ran} of {agents} agents ran")),
        _ if sent == 0 => Some("no event was sent".to_owned()),
        _ if lost > 0 => Some(format!("{lost} of {sent} events lost")),
        None => Some("no call was answered".to_owned()),
        Some(p99) if p99 >= P99_TARGET_MS => Some(format!(
            "p99 {p99:.1} ms is not under {P99_TARGET_MS:.0} ms"
        )),
        Some(_) => None,
    }
}

fn one_line(step: &Value) -> String {
    format!(
        "{} heartbeats/s, {} batches/s, {} events/s; p50 {} ms, p99 {} ms, max {} ms; {} retried, {} of {} events lost; CPU cores: server {}, Postgres {}, client {}, other {}",
        step["heartbeats_per_s"],
        step["batches_per_s"],
        step["events_per_s"],
        step["p50_ms"],
        step["p99_ms"],
        step["max_ms"],
        step["retried"],
        step["events_lost"],
        step["events_sent"],
        step["server_cpu_cores"],
        step["postgres_cpu_cores"],
        step["client_cpu_cores"],
        step["other_cpu_cores"],
    )
}

/// The `ingest` section of `BENCHMARKS.md`, from the results file's content.
fn section(results: &Value) -> String {
    let mut out = format!(
        "## Agents and activity ingest\n\
         \n\
         One `pulse serve` (release build, default settings: one HTTP worker per core, a\n\
         database pool of 16) on a fresh database, one company whose employees were\n\
         inserted in bulk; every agent enrolled through the API first. Each row runs N\n\
         simulated agents (`pulse-agent simulate`: one tokio task per agent, one shared\n\
         HTTP client) for {} s: a heartbeat every {} s and a batch of {} activity events\n\
         every {} s per agent (±10 %, the first of each at a random point of its first\n\
         interval, so the load is even; that first batch covers only the time since the\n\
         row began, as one computer never reports the same minutes twice, so it holds\n\
         fewer events when that time is short). Latencies are every answered agent call\n\
         (heartbeats, policy fetches, batches), measured by the simulator; a row is\n\
         carried when its p99 is under {} ms and no event was lost (every batch stored\n\
         by the end, retries included). Stepping up stops at the first row that is not.\n\
         CPU is the cores each process kept busy on average (user + system time over the\n\
         row's wall time); the machine has {}. \"Other\" is everything else that ran on it\n\
         meanwhile (the machine is shared: other builds and tests compete for the cores).\n\n",
        results["step_secs"],
        results["heartbeat_secs"],
        results["batch_events"],
        results["batch_secs"],
        results["p99_target_ms"],
        results["machine"]["cores"],
    );
    out.push_str(
        "| agents | heartbeats/s | batches/s | events/s | p50 | p90 | p99 | max | retried | lost | server CPU | Postgres CPU | simulator CPU | other CPU | server RSS | carried |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |\n",
    );
    let empty = Vec::new();
    for step in results["steps"].as_array().unwrap_or(&empty) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} ms | {} ms | {} ms | {} ms | {} | {} / {} | {} | {} | {} | {} | {} MiB | {} |\n",
            thousands(step["agents"].as_u64().unwrap_or(0)),
            figure(&step["heartbeats_per_s"], 0),
            figure(&step["batches_per_s"], 0),
            figure(&step["events_per_s"], 0),
            figure(&step["p50_ms"], 1),
            figure(&step["p90_ms"], 1),
            figure(&step["p99_ms"], 1),
            figure(&step["max_ms"], 1),
            thousands(step["retried"].as_u64().unwrap_or(0)),
            thousands(step["events_lost"].as_u64().unwrap_or(0)),
            thousands(step["events_sent"].as_u64().unwrap_or(0)),
            figure(&step["server_cpu_cores"], 2),
            figure(&step["postgres_cpu_cores"], 2),
            figure(&step["client_cpu_cores"], 2),
            figure(&step["other_cpu_cores"], 2),
            figure(&step["server_rss_peak_mib"], 1),
            if step["within_target"] == json!(true) { "yes" } else { "no" },
        ));
    }
    match results["agents_sustained"].as_u64() {
        Some(agents) => out.push_str(&format!(
            "\n**Carried: {} agents** (p50 {} ms, p99 {} ms).",
            thousands(agents),
            figure(&results["p50_ms"], 1),
            figure(&results["p99_ms"], 1),
        )),
        None => out.push_str("\n**No row was carried.**"),
    }
    if let Some(stopped) = results["stopped"].as_str() {
        out.push_str(&format!(" Not stepped further: {stopped}."));
    }
    out.push('\n');
    let (flood, direct, enrollment) = (
        &results["flood"],
        &results["direct"],
        &results["enrollment"],
    );
    out.push_str(&format!(
        "\nIngest capacity, on a database of its own: {in_flight} batches of {events} events in \
         flight at once for {secs} s, replaying days-old events of {agents} agents in turn (as \
         agents catching up after an outage do). Straight into Postgres with the API's own \
         statement (`pulse-bench ingest-direct`: `db::activity::insert_events`, which stores \
         the rows and queues them for the session builder, one connection per batch in \
         flight) **{direct} rows/s** (p50 {dp50} ms, p99 {dp99} ms); through the API \
         (`pulse-agent simulate --flood`: HTTP, device credential, validation, policy \
         trimming, the check against minutes the agent reported already (one more indexed \
         query), the same statement) **{api} rows/s** (batch p50 {fp50} ms, p99 {fp99} ms; \
         {lost} events lost): the API reaches {ratio} of what Postgres takes alone. Work \
         sessions are built off the request path by the server's session builder, which \
         runs during both and emptied its queue {ddrain} after the direct run and {fdrain} \
         after the flood. The direct run comes first, so the API writes into the larger \
         table.\n",
        in_flight = results["in_flight"],
        events = results["batch_events"],
        secs = results["flood_secs"],
        agents = thousands(direct["agents"].as_u64().unwrap_or(0)),
        api = thousands(results["api_rows_per_s"].as_f64().unwrap_or(0.0).round() as u64),
        fp50 = figure(&flood["calls"]["activity"]["p50_ms"], 1),
        fp99 = figure(&flood["calls"]["activity"]["p99_ms"], 1),
        lost = thousands(flood["events_lost"].as_u64().unwrap_or(0)),
        direct = thousands(results["direct_rows_per_s"].as_f64().unwrap_or(0.0).round() as u64),
        dp50 = figure(&direct["p50_ms"], 1),
        dp99 = figure(&direct["p99_ms"], 1),
        ratio = results["api_to_direct_ratio"]
            .as_f64()
            .map_or_else(|| "–".to_owned(), |r| format!("{:.0} %", r * 100.0)),
        ddrain = caught_up(&direct["sessions_caught_up_s"]),
        fdrain = caught_up(&flood["sessions_caught_up_s"]),
    ));
    if let Some(ratio) = results["rls_to_no_rls_ratio"].as_f64() {
        let without = &results["flood_without_rls"];
        out.push_str(&format!(
            "\nRow-level security: the same flood, just before, with the company policies \
             switched off (`ALTER TABLE … DISABLE ROW LEVEL SECURITY` on every company \
             table; the server still sets its company per connection): **{} rows/s** (batch \
             p50 {} ms, p99 {} ms). With the policies on, the API keeps **{:.1} %** of that. \
             The run with them comes second and writes into the larger table, so the cost, \
             if anything, is overstated.\n",
            thousands(without["rows_per_s"].as_f64().unwrap_or(0.0).round() as u64),
            figure(&without["calls"]["activity"]["p50_ms"], 1),
            figure(&without["calls"]["activity"]["p99_ms"], 1),
            ratio * 100.0,
        ));
    }
    out.push_str(&format!(
        "\nEnrollment: {} agents through `POST /api/v1/agent/enroll`, 8 at a time, in {} s \
         (p50 {} ms, p99 {} ms); each takes the company's seat lock, so enrollments of one \
         company run one after another.\n",
        thousands(enrollment["agents"].as_u64().unwrap_or(0)),
        figure(&enrollment["seconds"], 0),
        figure(&enrollment["p50_ms"], 1),
        figure(&enrollment["p99_ms"], 1),
    ));
    let others = results["steps"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .chain([flood, &results["flood_without_rls"]])
        .filter_map(|step| step["other_cpu_cores"].as_f64())
        .fold(0.0, f64::max);
    if others >= 0.25 {
        out.push_str(&format!(
            "\nOther work on the machine took up to {others:.2} cores during this run, so every \
             figure here is a lower bound for a machine of its own.\n"
        ));
    }
    let machine = &results["machine"];
    out.push_str(&format!(
        "\nMeasured {} at commit `{}` on {}; the server, Postgres {} and the simulator all ran on this one machine. Raw figures: `bench/results/ingest.json`.\n",
        results["date"].as_str().unwrap_or("?"),
        results["commit"].as_str().unwrap_or("?"),
        machine_words(machine),
        machine["postgres"].as_str().unwrap_or("(version unknown)"),
    ));
    out
}

/// `12.5 s later`-style words for a catch-up time (`null`: not within the wait).
fn caught_up(seconds: &Value) -> String {
    seconds.as_f64().map_or_else(
        || format!("not within {} s", SESSIONS_CATCH_UP.as_secs()),
        |s| format!("{s:.1} s"),
    )
}

/// Rows per second of `with` over those of `without`, to three places.
fn ratio(with: &Value, without: &Value) -> Option<f64> {
    let (with, without) = (
        with["rows_per_s"].as_f64()?,
        without["rows_per_s"].as_f64()?,
    );
    (without > 0.0).then(|| (with / without * 1000.0).round() / 1000.0)
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn reads_cpu_ticks_from_proc_stat() {
        let stat = "4242 (pulse worker 1) S 1 4242 4242 0 -1 4194560 1234 0 0 0 350 75 0 0 20 0 9 0 123 456 789";
        assert_eq!(stat_command(stat), Some("pulse worker 1"));
        assert_eq!(stat_cpu_ticks(stat), Some(425));
        assert_eq!(stat_cpu_ticks("garbage"), None);
        let machine = "cpu  100 5 50 800 20 1 4 0 0 0\ncpu0 50 2 25 400 10 0 2 0 0 0\n";
        assert_eq!(stat_machine_ticks(machine), Some((160, 980)));
    }

    #[test]
    fn the_benchmarks_section_renders_the_results_file() {
        super::super::assert_section_renders("ingest", section);
    }

    #[test]
    fn a_step_is_carried_under_the_target_with_nothing_lost() {
        let step = |p99: f64, lost: u64, agents: u64| json!({"agents": agents, "p99_ms": p99, "events_lost": lost, "events_sent": 1000});
        assert_eq!(shortfall(&step(40.0, 0, 100), 100), None);
        assert!(shortfall(&step(100.0, 0, 100), 100).is_some());
        assert!(shortfall(&step(40.0, 1, 100), 100).is_some());
        assert!(shortfall(&step(40.0, 0, 99), 100).is_some());
        assert!(shortfall(&json!({"agents": 100, "events_sent": 0}), 100).is_some());
    }
}
