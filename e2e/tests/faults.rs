//! Faults with nothing lost. Simulated agents (the `pulse-agent simulate` code, in
//! process) report while
//! - the network between the server and Postgres is cut for 30 s: a TCP proxy in
//!   between cuts every open connection (pool, LISTEN, jobs) and refuses new ones;
//! - Postgres itself is stopped (`pg_ctl stop -m fast`, which ends every session) and
//!   started again 5 s later, on a cluster of the test's own.
//!
//! Once the database is back, without restarting the server, `/readyz` must answer 200
//! within 5 s, every event the agents sent must be stored exactly once, and the work
//! sessions must be built from them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use pulse_backend::clock::Clock;
use pulse_backend::testing::{TcpProxy, TestApp, TestDb};
use pulse_shared::activity::{ActivityRecord, WorkSession};
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const AGENTS: usize = 10;
/// How long the agents report; the cut lies inside it.
const REPORTING: Duration = Duration::from_secs(60);
/// When the fault begins.
const FAULT_AFTER: Duration = Duration::from_secs(10);
/// How long the network to Postgres is cut.
const CUT_FOR: Duration = Duration::from_secs(30);
/// How long Postgres stays stopped before it starts again.
const DOWN_FOR: Duration = Duration::from_secs(5);
/// The longest `/readyz` may take to answer 200 once the database is back.
const RECOVERY: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_the_database_off_for_30_s_loses_nothing() -> anyhow::Result<()> {
    let postgres = postgres_addr()?;
    let database = TcpProxy::start(&postgres, false).await?;
    let app = TestApp::spawn_with(|config| {
        config.clock = Clock::system();
        let proxied = config.database_url.replacen(&postgres, &database.addr, 1);
        config
            .set_database_url(proxied)
            .expect("the proxied URL is one");
    })
    .await?;
    let cut = async {
        tokio::time::sleep(FAULT_AFTER).await;
        database.set_down(true);
        tokio::time::sleep(CUT_FOR).await;
        let ready = app.get("/readyz").await?.status();
        database.set_down(false);
        Ok(ready)
    };
    report_through(
        &app,
        &format!("database cut for {} s", CUT_FOR.as_secs()),
        cut,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_postgres_loses_nothing() -> anyhow::Result<()> {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await??;
    let db = TestDb::migrated_on(&cluster.url("postgres")).await?;
    let objects =
        std::env::temp_dir().join(format!("pulse-objects-{}", uuid::Uuid::new_v4().simple()));
    let app = TestApp::spawn_on_with(db, objects, |config| config.clock = Clock::system()).await?;
    let cluster = std::sync::Arc::new(cluster);
    let restart = async {
        tokio::time::sleep(FAULT_AFTER).await;
        let stopping = cluster.clone();
        tokio::task::spawn_blocking(move || stopping.pg_ctl(&["stop", "-m", "fast"])).await??;
        tokio::time::sleep(DOWN_FOR).await;
        let ready = app.get("/readyz").await?.status();
        let starting = cluster.clone();
        tokio::task::spawn_blocking(move || starting.pg_ctl(&["start"])).await??;
        Ok(ready)
    };
    let outcome = report_through(
        &app,
        &format!(
            "Postgres stopped for {} s and started again",
            DOWN_FOR.as_secs()
        ),
        restart,
    )
    .await;
    drop(app);
    outcome
}

/// Runs the simulated agents through `fault`, which breaks the database, waits, asks
/// `/readyz` while it is broken and gives it back: then `/readyz` must recover within
/// [`RECOVERY`], every event sent must be stored exactly once, and the work sessions
/// must span them.
async fn report_through(
    app: &TestApp,
    fault_name: &str,
    fault: impl Future<Output = anyhow::Result<reqwest::StatusCode>>,
) -> anyhow::Result<()> {
    let owner = SignupRequest {
        company_name: "Faults Ltd".into(),
        name: "Fay Faults".into(),
        email: "faults@faults.test".into(),
        password: "faults-password-42".into(),
    };
    let (access, token) = app.monitored_owner(&owner, &json!({}), AGENTS).await?;
    let started = chrono::Utc::now();

    let options = pulse_agent::simulate::Options {
        // Calls the fault left failing retry for up to a minute after the agents stop.
        drain: Duration::from_secs(60),
        seed: 11,
        ..pulse_agent::simulate::Options::steady(&token, AGENTS, REPORTING)
    };
    let server = app.base_url.clone();
    let simulator = tokio::spawn(async move { pulse_agent::simulate::run(&server, options).await });

    let ready_during_fault = fault.await?;
    let back = Instant::now();
    let recovered = loop {
        if app.get("/readyz").await?.status().is_success() {
            break back.elapsed();
        }
        if back.elapsed() > Duration::from_secs(60) {
            bail!("/readyz never answered 200 after the database came back");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let report = simulator.await.context("the simulator panicked")??;
    let events: Vec<ActivityRecord> = app
        .list_all(
            &access,
            "/api/v1/activity",
            started - chrono::Duration::minutes(5),
            chrono::Utc::now() + chrono::Duration::minutes(5),
        )
        .await?;
    let ids: HashSet<_> = events.iter().map(|event| event.id).collect();
    eprintln!(
        "{fault_name}: {} events sent, {} accepted ({} stored at once, {} answered as duplicates of an earlier attempt), {} lost; {} on the server, {} distinct; /readyz {ready_during_fault} during the fault, 200 again after {recovered:.2?}",
        report.events_sent,
        report.events_accepted,
        report.events_stored,
        report.events_duplicate,
        report.events_lost,
        events.len(),
        ids.len(),
    );
    ensure!(
        ready_during_fault.is_server_error(),
        "/readyz answered {ready_during_fault} without its database"
    );
    ensure!(
        recovered <= RECOVERY,
        "/readyz took {recovered:.2?} to recover"
    );
    ensure!(
        report.events_lost == 0 && report.events_rejected == 0,
        "events were lost: {}",
        report.text()
    );
    ensure!(
        report.events_sent > 0 && report.events_accepted == report.events_sent,
        "not every event sent was accepted: {}",
        report.text()
    );
    ensure!(
        ids.len() == events.len(),
        "{} events stored twice",
        events.len() - ids.len()
    );
    ensure!(
        events.len() as u64 == report.events_sent,
        "{} events sent, {} on the server",
        report.events_sent,
        events.len()
    );
    sessions_cover(app, &access, &events).await
}

/// A Postgres cluster of the test's own, on a free port, which the test may stop and
/// start without disturbing the shared one. Run as the `postgres` OS user when the
/// test runs as root (`initdb` refuses root). Stopped and removed on drop.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn start() -> anyhow::Result<Self> {
        let bin = PathBuf::from(std::env::var("PULSE_TEST_PG_BINDIR").context(
            "PULSE_TEST_PG_BINDIR names no directory of initdb and pg_ctl (`cargo xtask test` sets it)",
        )?);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let data = std::env::temp_dir().join(format!("pulse-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data)?;
        let uid = String::from_utf8(Command::new("id").arg("-u").output()?.stdout)?;
        let cluster = Self {
            bin,
            data,
            port,
            as_postgres: uid.trim() == "0",
        };
        if cluster.as_postgres {
            run(Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&cluster.data))?;
        }
        run(cluster
            .tool("initdb")
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-D",
            ])
            .arg(&cluster.data))?;
        cluster.pg_ctl(&["start"])?;
        Ok(cluster)
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// `pg_ctl` with `args`, waiting for it to finish its work.
    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.display()
        );
        run(self
            .tool("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("log"))
            .args(["-o", &options, "-w", "-t", "60"])
            .args(args))
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir("/").stdout(Stdio::null());
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// `host:port` of the test database server.
fn postgres_addr() -> anyhow::Result<String> {
    let url = std::env::var("PULSE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .context("PULSE_TEST_DATABASE_URL is not set (`cargo xtask test` sets it)")?;
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    ensure!(
        host.contains(':'),
        "the test database URL names no port: {url}"
    );
    Ok(host.to_owned())
}

/// Waits for the work sessions to span the events, from the first start to the last end.
async fn sessions_cover(
    app: &TestApp,
    access: &str,
    events: &[ActivityRecord],
) -> anyhow::Result<()> {
    let first = events
        .iter()
        .map(|e| e.started_at)
        .min()
        .context("no events")?;
    let last = events
        .iter()
        .map(|e| e.started_at + chrono::Duration::seconds(i64::from(e.duration_secs)))
        .max()
        .context("no events")?;
    let from = (first - chrono::Duration::minutes(5)).to_rfc3339();
    let to = (last + chrono::Duration::minutes(5)).to_rfc3339();
    let mut sessions: Vec<WorkSession> = Vec::new();
    for _ in 0..60 {
        sessions = app
            .client()
            .get(app.url("/api/v1/sessions"))
            .bearer_auth(access)
            .query(&[("from", from.as_str()), ("to", to.as_str())])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let start = sessions.iter().map(|s| s.started_at).min();
        let end = sessions.iter().map(|s| s.ended_at).max();
        if start.is_some_and(|start| start <= first) && end.is_some_and(|end| end >= last) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the sessions never spanned the events from {first} to {last}: {sessions:#?}")
}
