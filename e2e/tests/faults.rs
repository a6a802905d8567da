//! Faults with nothing lost. Simulated agents (the `pulse-agent simulate` code, in
//! process) report while the network between the server and Postgres is cut for 30 s:
//! a TCP proxy in between cuts every open connection (pool, LISTEN, jobs) and refuses
//! new ones. Once it is back, without restarting the server, `/readyz` must answer 200
//! within 5 s, every event the agents sent must be stored exactly once, and the work
//! sessions must be built from them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use pulse_backend::clock::Clock;
use pulse_backend::testing::{TcpProxy, TestApp};
use pulse_shared::activity::{ActivityRecord, WorkSession};
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const AGENTS: usize = 10;
/// How long the agents report; the cut lies inside it.
const REPORTING: Duration = Duration::from_secs(60);
const CUT_AFTER: Duration = Duration::from_secs(10);
const CUT_FOR: Duration = Duration::from_secs(30);
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
    let owner = SignupRequest {
        company_name: "Faults Ltd".into(),
        name: "Fay Faults".into(),
        email: "faults@faults.test".into(),
        password: "faults-password-42".into(),
    };
    let (access, token) = app.monitored_owner(&owner, &json!({}), AGENTS).await?;
    let started = chrono::Utc::now();

    let options = pulse_agent::simulate::Options {
        // Calls the cut left failing retry for up to a minute after the agents stop.
        drain: Duration::from_secs(60),
        seed: 11,
        ..pulse_agent::simulate::Options::steady(&token, AGENTS, REPORTING)
    };
    let server = app.base_url.clone();
    let simulator = tokio::spawn(async move { pulse_agent::simulate::run(&server, options).await });

    tokio::time::sleep(CUT_AFTER).await;
    database.set_down(true);
    tokio::time::sleep(CUT_FOR).await;
    let ready_during_cut = app.get("/readyz").await?.status();
    database.set_down(false);
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
        "database cut for {} s: {} events sent, {} accepted ({} stored at once, {} answered as duplicates of an earlier attempt), {} lost; {} on the server, {} distinct; /readyz 503 during the cut ({ready_during_cut}), 200 again after {recovered:.2?}",
        CUT_FOR.as_secs(),
        report.events_sent,
        report.events_accepted,
        report.events_stored,
        report.events_duplicate,
        report.events_lost,
        events.len(),
        ids.len(),
    );
    ensure!(
        ready_during_cut.is_server_error(),
        "/readyz answered {ready_during_cut} without its database"
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
    sessions_cover(&app, &access, &events).await
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
