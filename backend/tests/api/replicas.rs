//! A replica killed with SIGKILL while a second keeps serving. Simulated agents (the
//! `pulse-agent simulate` library) report through a balancer (`testing::TcpProxy` over
//! two servers on one database: a real `pulse serve` process and the test's own app);
//! the process is killed in the middle. Every event the agents sent is stored exactly
//! once, the work sessions are built, and the surviving replica was never restarted.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pulse_backend::testing::{TcpProxy, TestApp};

use crate::common::{Org, agents, scalar};

const AGENTS: usize = 8;
const REPORTING: Duration = Duration::from_secs(30);
const KILL_AFTER: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_with_sigkill_loses_nothing_while_another_serves() {
    let app = TestApp::spawn_with(|config| {
        config.clock = pulse_backend::clock::Clock::system();
    })
    .await
    .unwrap();
    let org = Org::create(&app, "replicas").await;
    let mut doomed = Replica::start(&app);
    doomed.wait_until_ready().await;
    let survivor = app.base_url.trim_start_matches("http://").to_owned();
    let balancer = TcpProxy::balance(&[doomed.addr.clone(), survivor], false)
        .await
        .unwrap();
    let employee = org.employee.body.me.user.id.to_string();
    let (_, token) = agents::token(&app, &org.admin, Some(&employee)).await;

    let options = pulse_agent::simulate::Options {
        drain: Duration::from_secs(30),
        seed: 5,
        ..pulse_agent::simulate::Options::steady(&token, AGENTS, REPORTING)
    };
    let server = format!("http://{}", balancer.addr);
    let simulator = tokio::spawn(async move { pulse_agent::simulate::run(&server, options).await });
    tokio::time::sleep(KILL_AFTER).await;
    let served = balancer.connections();
    assert!(
        served.iter().all(|&connections| connections > 0),
        "both replicas serve before the kill: {served:?} connections"
    );
    doomed.kill();
    let report = simulator.await.unwrap().unwrap();

    let company = org.employee.body.me.user.company_id;
    let stored = scalar(
        &app,
        &format!("SELECT count(*) FROM activity_events WHERE company_id = '{company}'"),
    )
    .await;
    let distinct = scalar(
        &app,
        &format!("SELECT count(DISTINCT id) FROM activity_events WHERE company_id = '{company}'"),
    )
    .await;
    eprintln!(
        "replica killed after {} s: {} events sent, {} accepted ({} answered as duplicates of an earlier attempt), {} lost; {stored} stored, {distinct} distinct",
        KILL_AFTER.as_secs(),
        report.events_sent,
        report.events_accepted,
        report.events_duplicate,
        report.events_lost,
    );
    assert!(report.events_sent > 0, "{}", report.text());
    assert_eq!(report.events_lost, 0, "{}", report.text());
    assert_eq!(
        report.events_accepted,
        report.events_sent,
        "{}",
        report.text()
    );
    assert_eq!(stored, distinct, "an event was stored twice");
    assert_eq!(u64::try_from(stored).unwrap(), report.events_sent);

    // The survivor builds the sessions of everything stored, the killed replica's too.
    let started = Instant::now();
    loop {
        pulse_backend::worker::sessions::round(&app.db().unwrap(), app.now())
            .await
            .unwrap();
        let queued = scalar(
            &app,
            &format!("SELECT count(*) FROM session_queue WHERE company_id = '{company}'"),
        )
        .await;
        if queued == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{queued} events never left the session queue"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sessions = scalar(
        &app,
        &format!("SELECT count(*) FROM work_sessions WHERE company_id = '{company}'"),
    )
    .await;
    assert!(sessions > 0, "no work sessions were built");
    let ready = app.get("/readyz").await.unwrap().status();
    assert_eq!(ready, 200, "the surviving replica is not ready");
}

/// A `pulse serve` process on the test app's database and object store.
struct Replica {
    addr: String,
    child: Child,
}

impl Replica {
    fn start(app: &TestApp) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_pulse"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.db.url)
            .env("PULSE_BIND", &addr)
            .env("PULSE_OBJECT_STORE", &app.objects_dir)
            .env("PULSE_DIST_DIR", &app.config.dist_dir)
            .env(
                "PULSE_JWT_SECRET",
                "a-replica-of-the-fault-test-0123456789abcdef",
            )
            .env("PULSE_DB_POOL_SIZE", "4")
            .env("PULSE_WORKERS", "1")
            .env("PULSE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { addr, child }
    }

    async fn wait_until_ready(&self) {
        let url = format!("http://{}/readyz", self.addr);
        for _ in 0..300 {
            if let Ok(answer) = reqwest::get(&url).await
                && answer.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replica never became ready");
    }

    /// SIGKILL: no graceful stop, no flush.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
