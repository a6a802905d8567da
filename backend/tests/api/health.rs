//! `/healthz`, `/readyz` and the system status, with the database up, down and back;
//! and what a request answers when the database stops it (statement and lock timeouts).

use std::time::Duration;

use pulse_backend::clock::Clock;
use pulse_backend::testing::{TcpProxy, TestApp};
use pulse_shared::Page;
use pulse_shared::audit::AuditEvent;
use pulse_shared::system::{Health, SystemStatusResponse};

use crate::common::snapshots::answer;
use crate::common::{Org, get, get_json, json, post, scalar, signup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_with_the_database_up() {
    let app = TestApp::spawn().await.unwrap();
    let healthz = app.get("/healthz").await.unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = app.get("/readyz").await.unwrap();
    assert_eq!(readyz.status(), 200);
    assert_eq!(readyz.text().await.unwrap(), "ready");
}

/// Anyone learns up or down; owners and admins also get latencies, errors and the
/// migrations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_reports_the_database_and_applied_migrations() {
    let app = TestApp::spawn().await.unwrap();
    let response = app.get("/api/v1/system/status").await.unwrap();
    assert_eq!(response.status(), 200);
    let public: SystemStatusResponse = json(response).await;
    assert!(!public.detailed);
    assert!(public.migrations.is_empty(), "{:?}", public.migrations);
    assert_eq!(public.components[0].health, Health::Up);
    assert_eq!(public.components[0].latency_ms, None);
    let org = Org::create(&app, "status").await;
    for (who, detailed) in [
        (&org.employee, false),
        (&org.manager, false),
        (&org.admin, true),
    ] {
        let status: SystemStatusResponse = get_json(&app, who, "/api/v1/system/status").await;
        assert_eq!(status.detailed, detailed);
        assert_eq!(status.migrations.is_empty(), !detailed);
    }
    let status: SystemStatusResponse = get_json(&app, &org.owner, "/api/v1/system/status").await;
    assert_eq!(status.version, env!("CARGO_PKG_VERSION"));
    let database = status
        .components
        .iter()
        .find(|c| c.name == "database")
        .unwrap();
    assert_eq!(database.health, Health::Up);
    assert!(
        status
            .migrations
            .iter()
            .any(|m| m.version == "20261125000001"),
        "{:?}",
        status.migrations
    );
    assert!(status.started_at <= status.server_time);
}

/// The server, its access tokens and its audit trail read one clock, which a test can
/// start on any day (`PULSE_TEST_NOW` does it for the whole suite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_on_the_clock_it_is_given() {
    let at: chrono::DateTime<chrono::Utc> = "2031-07-04T23:59:50Z".parse().unwrap();
    let app = TestApp::spawn_with(|config| config.clock = Clock::starting_at(at))
        .await
        .unwrap();
    let status: SystemStatusResponse = json(app.get("/api/v1/system/status").await.unwrap()).await;
    assert!((status.server_time - at).abs() < chrono::Duration::minutes(1));
    // Signed in on that day (the token's times are that day's), and audited then.
    let org = Org::create(&app, "clock").await;
    let events: Page<AuditEvent> = get_json(&app, &org.owner, "/api/v1/audit-events?limit=1").await;
    let occurred = events.items[0].occurred_at;
    assert!(
        (occurred - at).abs() < chrono::Duration::minutes(1),
        "{events:#?}"
    );
}

/// The `host:port` of a Postgres URL.
fn host_port(url: &str) -> String {
    let authority = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    authority.rsplit('@').next().unwrap().to_owned()
}

async fn readyz_status(app: &TestApp) -> u16 {
    app.client()
        .get(app.url("/readyz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_down_and_back_without_a_restart() {
    let db_url = pulse_backend::testing::TestDb::new().await.unwrap();
    let outage = TcpProxy::start(&host_port(&db_url.url), false)
        .await
        .unwrap();
    let proxied = db_url
        .url
        .replacen(&host_port(&db_url.url), &outage.addr, 1);
    let app = TestApp::spawn_with(|config| config.set_database_url(proxied).unwrap())
        .await
        .unwrap();

    assert_eq!(readyz_status(&app).await, 200);

    outage.set_down(true);
    assert_eq!(readyz_status(&app).await, 503);
    let status: SystemStatusResponse = json(app.get("/api/v1/system/status").await.unwrap()).await;
    let database = &status.components[0];
    assert_eq!(database.health, Health::Down);
    assert_eq!(
        database.detail, None,
        "no raw database error in the public answer"
    );

    outage.set_down(false);
    let mut recovered = false;
    for _ in 0..50 {
        if readyz_status(&app).await == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "readyz did not recover after the database came back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_hangs() {
    // A server that accepts connections and never answers, like a database behind a dead link.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "postgres://postgres@{}/pulse",
        black_hole.local_addr().unwrap()
    );
    let app = TestApp::spawn_with(|config| config.set_database_url(url).unwrap())
        .await
        .unwrap();
    assert_eq!(readyz_status(&app).await, 503);
    let response = app.get("/api/v1/system/status").await.unwrap();
    assert_eq!(response.status(), 200);
    drop(black_hole);
}

/// A transaction of its own on the test's database that holds `table` locked until
/// it is dropped, so that a route reading it waits on the lock.
async fn lock_table(app: &TestApp, table: &str) -> diesel_async::AsyncPgConnection {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.db.url)
        .await
        .unwrap();
    conn.batch_execute(&format!(
        "BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"
    ))
    .await
    .unwrap();
    conn
}

/// Ends the transaction of [`lock_table`].
async fn release(mut held: diesel_async::AsyncPgConnection) {
    use diesel_async::SimpleAsyncConnection;
    held.batch_execute("ROLLBACK").await.unwrap();
}

/// Asserts a 503 `timeout` problem with `Retry-After`.
async fn assert_stopped(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let answer = answer(response).await;
    assert_eq!(answer["content-type"], "application/problem+json");
    assert_eq!(answer["body"]["type"], "/problems/timeout");
    answer
}

/// A query that waits on a lock past `lock_timeout` answers 503 with `Retry-After`,
/// changes nothing, and leaves its connection fit for the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_stopped_by_the_lock_timeout_answers_503() {
    let app = TestApp::spawn_with(|config| config.db_lock_timeout = Duration::from_millis(200))
        .await
        .unwrap();
    let owner = signup(&app, "ada@example.com").await;

    let held = lock_table(&app, "audit_events").await;
    let read = get(&app, &owner, "/api/v1/audit-events").await;
    let stopped = assert_stopped(read).await;
    insta::assert_json_snapshot!("timeout_503", stopped);

    // A change waits to append to the trail, is stopped, and leaves no trace.
    let teams = scalar(&app, "SELECT count(*) FROM teams").await;
    let created = post(
        &app,
        &owner,
        "/api/v1/teams",
        &serde_json::json!({"name": "Gamma"}),
    )
    .await;
    assert_stopped(created).await;
    assert_eq!(scalar(&app, "SELECT count(*) FROM teams").await, teams);
    release(held).await;

    let events: Page<AuditEvent> = get_json(&app, &owner, "/api/v1/audit-events").await;
    assert!(!events.items.is_empty());
    let created = post(
        &app,
        &owner,
        "/api/v1/teams",
        &serde_json::json!({"name": "Gamma"}),
    )
    .await;
    assert_eq!(created.status(), 201);
}

/// A statement that runs past `statement_timeout` (here: waiting on a lock, with the
/// lock timeout longer) answers the same 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_stopped_by_the_statement_timeout_answers_503() {
    let app = TestApp::spawn_with(|config| {
        config.db_statement_timeout = Duration::from_millis(200);
        config.db_lock_timeout = Duration::from_secs(60);
    })
    .await
    .unwrap();
    let owner = signup(&app, "ada@example.com").await;

    let held = lock_table(&app, "audit_events").await;
    let stopped = assert_stopped(get(&app, &owner, "/api/v1/audit-events/verify").await).await;
    assert!(
        stopped["body"]["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("took too long")),
        "{stopped}"
    );
    release(held).await;
    assert_eq!(
        get(&app, &owner, "/api/v1/audit-events/verify")
            .await
            .status(),
        200
    );
}
