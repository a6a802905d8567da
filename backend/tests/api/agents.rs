//! Agents: enrollment with good and bad tokens, seats, heartbeats with their spool
//! reports, the policy with its ETag, revocation, and what people see of their own
//! monitoring.

use chrono::{DateTime, Utc};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::agents::{
    Agent, AgentCounts, AgentState, AgentStatus, EnrollResponse, EnrollmentToken,
    EnrollmentTokenCreated, HeartbeatResponse, SpoolReport,
};
use pulse_shared::alerts::Alert;
use pulse_shared::policies::{EffectivePolicy, MonitoringResponse, ScreenshotMode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::agents::{agent_call, enroll, enroll_with, heartbeat, heartbeat_with, token};
use crate::common::fixtures::employee_policy;
use crate::common::{Org, Session, fields, get, get_json, json, post, scalar, send, sql};

/// A company-wide token enrolls employees and managers; the people who run the company
/// are enrolled only with a token made for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_wide_token_enrolls_no_owner_or_admin() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "reach").await;
    let (_, anyone) = token(&app, &org.admin, None).await;
    for person in [&org.owner, &org.admin] {
        let email = person.body.me.user.email.clone();
        let refused = enroll_with(&app, &anyone, Some(&email), "boss-pc").await;
        assert_eq!(refused.status(), 422, "{email}");
        // A problem document, read as JSON: its shape is what clients parse.
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "/employee_email");
        assert_eq!(problem["errors"][0]["code"], "not_allowed");
    }
    let manager = org.manager.body.me.user.email.clone();
    assert_eq!(
        enroll_with(&app, &anyone, Some(&manager), "mgr-pc")
            .await
            .status(),
        201
    );
    let admin = org.admin.body.me.user.id.to_string();
    let (_, named) = token(&app, &org.owner, Some(&admin)).await;
    assert_eq!(
        enroll_with(&app, &named, None, "admin-pc").await.status(),
        201
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM agents").await,
        2,
        "nothing enrolled by the refusals"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_are_unknown_revoked_expired_or_used_up_enroll_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "tokens").await;
    let email = org.employee.body.me.user.email.clone();

    let unknown = enroll_with(&app, "pet_made_up", Some(&email), "pc").await;
    assert_eq!(unknown.status(), 401);

    let (revoked, secret) = token(&app, &org.admin, None).await;
    let gone = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/enrollment-tokens/{revoked}"),
        None,
    )
    .await;
    assert_eq!(gone.status(), 204);
    let refused = enroll_with(&app, &secret, Some(&email), "pc").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("revoked"));

    let (expired, secret) = token(&app, &org.admin, None).await;
    sql(
        &app,
        &format!(
            "UPDATE enrollment_tokens SET expires_at = '{}'::timestamptz - interval '1 minute'
              WHERE id = '{expired}'",
            app.now().to_rfc3339()
        ),
    )
    .await;
    let refused = enroll_with(&app, &secret, Some(&email), "pc").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("expired"));

    let once = post(
        &app,
        &org.admin,
        "/api/v1/enrollment-tokens",
        &json!({"name": "One laptop", "expires_in_hours": 1, "max_uses": 1}),
    )
    .await;
    let secret = json::<EnrollmentTokenCreated>(once).await.secret;
    assert_eq!(
        enroll_with(&app, &secret, Some(&email), "pc-1")
            .await
            .status(),
        201
    );
    let refused = enroll_with(&app, &secret, Some(&email), "pc-2").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("used"));

    // Bad host facts and unknown employees are named; the token keeps its use.
    let (id, secret) = token(&app, &org.admin, None).await;
    let bad = enroll_with(&app, &secret, Some(&email), "").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(fields(&bad.json().await.unwrap()), ["/hostname"]);
    let stranger = enroll_with(&app, &secret, Some("nobody@elsewhere.test"), "pc").await;
    assert_eq!(fields(&stranger.json().await.unwrap()), ["/employee_email"]);
    let tokens: Page<EnrollmentToken> =
        get_json(&app, &org.admin, "/api/v1/enrollment-tokens").await;
    let used = tokens
        .items
        .iter()
        .find(|t| t.id.to_string() == id)
        .unwrap()
        .uses;
    assert_eq!(used, 0);

    // A token made for one employee enrolls them without an address.
    let employee = org.employee.body.me.user.id.to_string();
    let (_, secret) = token(&app, &org.admin, Some(&employee)).await;
    let enrolled = enroll_with(&app, &secret, None, "emma-laptop").await;
    assert_eq!(enrolled.status(), 201);
    let body: EnrollResponse = json(enrolled).await;
    assert_eq!(body.user_id.to_string(), employee);
    assert!(body.credential.starts_with("pag_"));
}

/// The seats in use, kept by triggers, follow every way agents come and go, however
/// many of one person's agents a statement touches, and always equal a recount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_in_use_follow_enrollments_revocations_and_deletions() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "seat-count").await;
    let used = async || {
        let kept = scalar(&app, "SELECT sum(seats_used) FROM companies").await;
        let recount = scalar(
            &app,
            "SELECT count(DISTINCT user_id) FROM agents WHERE revoked_at IS NULL",
        )
        .await;
        assert_eq!(kept, recount, "the kept count drifted from a recount");
        kept
    };
    assert_eq!(used().await, 0);
    enroll(&app, &org, &org.employee, "a").await;
    enroll(&app, &org, &org.employee, "b").await;
    assert_eq!(used().await, 1, "a second computer takes no seat");
    enroll(&app, &org, &org.outsider, "c").await;
    assert_eq!(used().await, 2);
    sql(
        &app,
        "UPDATE agents SET last_seen_at = now(), presence = 'online'",
    )
    .await;
    assert_eq!(used().await, 2, "heartbeats and presence change no seat");
    sql(
        &app,
        "UPDATE agents SET revoked_at = now() WHERE hostname = 'a'",
    )
    .await;
    assert_eq!(used().await, 2, "the employee still has computer b");
    sql(
        &app,
        "UPDATE agents SET revoked_at = now() WHERE hostname IN ('b', 'c')",
    )
    .await;
    assert_eq!(used().await, 0, "one statement freed two people's seats");
    enroll(&app, &org, &org.employee, "d").await;
    enroll(&app, &org, &org.employee, "e").await;
    sql(&app, "DELETE FROM agents WHERE hostname IN ('d', 'e')").await;
    assert_eq!(used().await, 0, "deleting both computers freed one seat");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_stops_at_the_seat_limit_but_a_second_computer_is_free() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "seats").await;
    sql(&app, "UPDATE companies SET seat_limit = 2").await;
    enroll(&app, &org, &org.employee, "a").await;
    enroll(&app, &org, &org.employee, "b").await;
    enroll(&app, &org, &org.outsider, "c").await;
    let (_, secret) = token(&app, &org.owner, None).await;
    let email = org.manager.body.me.user.email.clone();
    let full = enroll_with(&app, &secret, Some(&email), "d").await;
    assert_eq!(full.status(), 409);
    assert!(full.text().await.unwrap().contains("seats"));
    // Revoking the outsider's only agent frees their seat.
    let agents: Page<Agent> = get_json(&app, &org.owner, "/api/v1/agents").await;
    let outsiders = agents
        .items
        .iter()
        .find(|agent| agent.hostname == "c")
        .unwrap()
        .id;
    let revoked = send(
        &app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/agents/{outsiders}"),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        enroll_with(&app, &secret, Some(&email), "d").await.status(),
        201
    );
}

/// The hosts an agent list answers, in its order.
async fn hosts(app: &TestApp, who: &Session, query: &str) -> Vec<String> {
    let page: Page<Agent> = get_json(app, who, &format!("/api/v1/agents?{query}")).await;
    page.items.into_iter().map(|agent| agent.hostname).collect()
}

/// With thousands of computers the Agent Monitor asks the server, not the page, for
/// what it looks for: by host, by employee, by status, and the totals per status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_are_filtered_by_host_employee_and_status_and_counted_within_reach() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "monitor").await;
    let laptop = enroll(&app, &org, &org.employee, "emma-laptop").await;
    enroll(&app, &org, &org.employee, "emma-desktop").await;
    enroll(&app, &org, &org.manager, "mgr-mac").await;
    let other = enroll(&app, &org, &org.outsider, "other-pc").await;
    assert_eq!(
        heartbeat(&app, &laptop.credential, "active").await.status(),
        200
    );
    pulse_backend::worker::presence::round(&app.db().unwrap(), app.now())
        .await
        .unwrap();
    let revoked = send(
        &app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/agents/{}", other.agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);

    let admin = &org.admin;
    assert_eq!(hosts(&app, admin, "q=LAPTOP").await, ["emma-laptop"]);
    let employee = org.employee.body.me.user.name.clone();
    assert_eq!(
        hosts(&app, admin, &format!("q={employee}")).await,
        ["emma-desktop", "emma-laptop"],
        "an employee's name finds their computers"
    );
    assert_eq!(hosts(&app, admin, "q=%25").await, Vec::<String>::new());
    assert_eq!(hosts(&app, admin, "status=online").await, ["emma-laptop"]);
    assert_eq!(
        hosts(&app, admin, "status=offline").await,
        ["mgr-mac", "emma-desktop"]
    );
    assert_eq!(hosts(&app, admin, "status=revoked").await, ["other-pc"]);
    assert_eq!(
        hosts(&app, admin, "status=offline&q=emma").await,
        ["emma-desktop"]
    );
    // Paging keeps the filter.
    let first: Page<Agent> = get_json(&app, admin, "/api/v1/agents?status=offline&limit=1").await;
    let cursor = first.next_cursor.unwrap();
    assert_eq!(
        hosts(
            &app,
            admin,
            &format!("status=offline&limit=1&cursor={cursor}")
        )
        .await,
        ["emma-desktop"]
    );
    // A filter never widens reach: the employee's search finds only their own.
    assert_eq!(
        hosts(&app, &org.employee, "q=mac").await,
        Vec::<String>::new()
    );

    let counts =
        async |who: &Session| -> AgentCounts { get_json(&app, who, "/api/v1/agents/counts").await };
    let counted = |online, offline, missing, revoked| AgentCounts {
        online,
        offline,
        missing,
        revoked,
    };
    assert_eq!(counts(admin).await, counted(1, 2, 0, 1));
    assert_eq!(counts(&org.employee).await, counted(1, 1, 0, 0));
    assert_eq!(counts(&org.outsider).await, counted(0, 0, 0, 1));

    let long = get(
        &app,
        admin,
        &format!("/api/v1/agents?q={}", "x".repeat(101)),
    )
    .await;
    assert_eq!(long.status(), 422);
    assert_eq!(fields(&long.json().await.unwrap()), ["q"]);
    let unknown = get(&app, admin, "/api/v1/agents?status=asleep").await;
    assert_eq!(unknown.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_bring_agents_online_and_a_revoked_agent_is_refused() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "heartbeat")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let agents = async |who: &Session| -> Vec<Agent> {
        get_json::<Page<Agent>>(&app, who, "/api/v1/agents")
            .await
            .items
    };

    assert_eq!(
        agents(&org.admin).await[0].status,
        AgentStatus::Offline,
        "never heard from yet"
    );

    let beat = heartbeat(&app, credential, "active").await;
    assert_eq!(beat.status(), 200);
    let beat: HeartbeatResponse = json(beat).await;
    assert_eq!(beat.policy_version, enrolled.policy_version);
    let listed = agents(&org.admin).await;
    assert_eq!(listed[0].status, AgentStatus::Online);
    assert_eq!(listed[0].state, Some(AgentState::Active));

    // Who sees which agents: the manager of the employee's team and the employee do;
    // another employee does not.
    assert_eq!(agents(&org.manager).await.len(), 1);
    assert_eq!(agents(&org.employee).await.len(), 1);
    assert_eq!(agents(&org.outsider).await.len(), 0);

    let bad = agent_call(
        &app,
        credential,
        Method::POST,
        "/api/v1/agent/heartbeat",
        Some(json!({"state": "dancing", "sent_at": app.now()})),
    )
    .await;
    assert_eq!(bad.status(), 422);

    let revoked = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{}", enrolled.agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(heartbeat(&app, credential, "active").await.status(), 401);
    let policy = agent_call(&app, credential, Method::GET, "/api/v1/agent/policy", None).await;
    assert_eq!(policy.status(), 401);
    // People's tokens are not device credentials, and the other way round.
    assert_eq!(
        heartbeat(&app, &org.admin.access_token, "active")
            .await
            .status(),
        401
    );
    let as_person = app
        .client()
        .get(app.url("/api/v1/me"))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(as_person.status(), 401);
    assert_eq!(agents(&org.admin).await[0].status, AgentStatus::Revoked);
}

/// The spool report of a heartbeat reaches the agent as admins, managers and the employee
/// see it, once the batcher has written it. A heartbeat without one clears it: the report
/// is always the latest heartbeat's, as of `last_seen_at`, never an old one beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_report_the_spool_and_one_without_a_report_clears_it() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "spool")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let spool = async |who: &Session| -> Option<SpoolReport> {
        let agents = get_json::<Page<Agent>>(&app, who, "/api/v1/agents").await;
        assert_eq!(agents.items.len(), 1);
        agents.items[0].spool
    };
    assert_eq!(spool(&org.admin).await, None, "nothing reported yet");

    // Two heartbeats, likely in one flush: the later one's report is the one kept.
    let first = agent_call(
        &app,
        credential,
        Method::POST,
        "/api/v1/agent/heartbeat",
        Some(json!({"state": "active", "sent_at": app.now(), "spool": {"pending": 5, "dropped": 0, "dead_letters": 0}})),
    )
    .await;
    assert_eq!(first.status(), 200);
    let troubled = SpoolReport {
        pending: 1_250,
        dropped: 12,
        dead_letters: 3,
    };
    let beat = heartbeat_with(
        &app,
        credential,
        json!({"state": "idle", "spool": troubled}),
    )
    .await;
    assert_eq!(beat.status(), 200);
    for who in [&org.admin, &org.manager, &org.employee] {
        assert_eq!(spool(who).await, Some(troubled));
    }

    // A report that is not one is refused, and the stored one stays.
    for bad in [
        json!({"pending": -1, "dropped": 0, "dead_letters": 0}),
        json!({"pending": 1, "dropped": 0}),
        json!({"pending": 1, "dropped": 0, "dead_letters": 0, "size": 10}),
    ] {
        let refused = agent_call(
            &app,
            credential,
            Method::POST,
            "/api/v1/agent/heartbeat",
            Some(json!({"state": "active", "sent_at": app.now(), "spool": bad})),
        )
        .await;
        assert_eq!(refused.status(), 422, "{bad}");
    }
    assert_eq!(spool(&org.admin).await, Some(troubled));

    let emptied = SpoolReport {
        pending: 0,
        ..troubled
    };
    heartbeat_with(
        &app,
        credential,
        json!({"state": "active", "spool": emptied}),
    )
    .await;
    assert_eq!(spool(&org.admin).await, Some(emptied));

    // An agent that sends no report (the simulator, an agent keeping no spool).
    let beat = heartbeat(&app, credential, "active").await;
    assert_eq!(beat.status(), 200);
    assert_eq!(spool(&org.admin).await, None);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM agents WHERE spool_dropped IS NOT NULL"
        )
        .await,
        0
    );
}

/// `/me/monitoring` tells each person about their own computers and policy only: the
/// employee sees their laptop and what their policy records; the manager of their team,
/// the admin and an API key see that nothing of theirs is monitored; a revoked computer
/// is no longer listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_sees_whether_and_how_they_are_monitored() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "monitoring")
        .screenshots(json!({"blur_screenshots": true, "track_urls": true}))
        .with_employee_agent("emma-laptop")
        .await;
    employee_policy(
        &app,
        &org,
        &org.employee,
        json!({"excluded_apps": ["keepassxc"], "idle_threshold_secs": 600}),
    )
    .await;
    heartbeat(&app, &enrolled.credential, "active").await;
    let monitoring = async |who: &Session| -> MonitoringResponse {
        get_json(&app, who, "/api/v1/me/monitoring").await
    };

    let mine = monitoring(&org.employee).await;
    assert!(mine.is_monitored());
    assert_eq!(mine.computers.len(), 1);
    let laptop = &mine.computers[0];
    assert_eq!(
        (laptop.id, laptop.hostname.as_str(), laptop.status),
        (enrolled.agent_id, "emma-laptop", AgentStatus::Online)
    );
    assert_eq!(laptop.user_id, org.employee.body.me.user.id);
    assert!(laptop.last_seen_at.is_some());
    let effective: EffectivePolicy = get_json(
        &app,
        &org.employee,
        &format!(
            "/api/v1/policies/effective/{}",
            org.employee.body.me.user.id
        ),
    )
    .await;
    assert_eq!(mine.settings, effective.settings);
    assert_eq!(mine.settings.screenshot_mode, ScreenshotMode::Interval);
    assert!(mine.settings.blur_screenshots && mine.settings.track_urls);
    assert_eq!(mine.settings.excluded_apps, ["keepassxc"]);
    assert_eq!(mine.settings.idle_threshold_secs, 600);

    // Seeing others' computers elsewhere does not make them one's own.
    for who in [
        &org.manager,
        &org.admin,
        &org.owner,
        &org.api_key,
        &org.outsider,
    ] {
        let theirs = monitoring(who).await;
        assert!(theirs.computers.is_empty(), "{:?}", who.body.me.user.role);
        assert!(
            !theirs
                .settings
                .excluded_apps
                .contains(&"keepassxc".to_owned())
        );
    }
    let unsigned = app.get("/api/v1/me/monitoring").await.unwrap();
    assert_eq!(unsigned.status(), 401);

    let revoked = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{}", enrolled.agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    assert!(!monitoring(&org.employee).await.is_monitored());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_is_served_with_an_etag_and_304_while_unchanged() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "etag")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();

    let first = agent_call(&app, credential, Method::GET, "/api/v1/agent/policy", None).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let policy: EffectivePolicy = json(first).await;
    assert_eq!(etag, format!("\"{}\"", policy.version));
    assert_eq!(policy.settings.heartbeat_secs, 30);

    let cached = app
        .client()
        .get(app.url("/api/v1/agent/policy"))
        .bearer_auth(credential)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert!(cached.bytes().await.unwrap().is_empty());

    // A change for the employee's team changes the version, the heartbeat says so, and
    // the old ETag no longer matches.
    let team = format!("/api/v1/policies/teams/{}", org.team_a);
    send(
        &app,
        &org.admin,
        Method::PUT,
        &team,
        Some(&json!({"heartbeat_secs": 15})),
    )
    .await;
    let beat: HeartbeatResponse = json(heartbeat(&app, credential, "idle").await).await;
    assert_ne!(beat.policy_version, policy.version);
    let fresh = app
        .client()
        .get(app.url("/api/v1/agent/policy"))
        .bearer_auth(credential)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    let fresh: EffectivePolicy = json(fresh).await;
    assert_eq!(fresh.settings.heartbeat_secs, 15);
    assert_eq!(fresh.version, beat.policy_version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_alert_per_transition_between_online_and_offline() {
    use pulse_backend::worker::presence::round as presence_round;
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "presence")
        .with_employee_agent("emma-laptop")
        .await;
    let db = app.db().unwrap();
    let credential = enrolled.credential.as_str();
    let alerts = async |who: &Session, kind: &str| -> Vec<Alert> {
        get_json::<Page<Alert>>(&app, who, &format!("/api/v1/alerts?kind={kind}"))
            .await
            .items
    };
    let now = || app.now();

    // Never heard from: stays offline, no alert. First contact: online, no alert.
    assert_eq!(presence_round(&db, now()).await.unwrap(), Some(0));
    heartbeat(&app, credential, "active").await;
    assert_eq!(presence_round(&db, now()).await.unwrap(), Some(1));
    assert!(alerts(&org.owner, "agent_online").await.is_empty());

    // Silent past its heartbeat interval and the grace period: offline, alerted once,
    // to admins and the employee's manager.
    let later = now() + chrono::Duration::minutes(2);
    assert_eq!(presence_round(&db, later).await.unwrap(), Some(1));
    assert_eq!(
        presence_round(&db, later + chrono::Duration::minutes(5))
            .await
            .unwrap(),
        Some(0)
    );
    let offline = alerts(&org.manager, "agent_offline").await;
    assert_eq!(offline.len(), 1);
    assert_eq!(offline[0].title, "emma-laptop is offline");
    assert_eq!(offline[0].subject.agent_id, Some(enrolled.agent_id));
    assert_eq!(alerts(&org.admin, "agent_offline").await.len(), 1);
    assert!(alerts(&org.outsider, "agent_offline").await.is_empty());

    // Back: one "back online", and the offline condition is closed.
    heartbeat(&app, credential, "active").await;
    assert_eq!(presence_round(&db, now()).await.unwrap(), Some(1));
    assert_eq!(alerts(&org.owner, "agent_online").await.len(), 1);
    // Thirty days of silence: missing (from online: also an offline alert, the second).
    let month = now() + chrono::Duration::days(31);
    assert_eq!(presence_round(&db, month).await.unwrap(), Some(1));
    assert_eq!(alerts(&org.owner, "agent_offline").await.len(), 2);
    let agents: Page<Agent> = get_json(&app, &org.owner, "/api/v1/agents").await;
    assert_eq!(
        agents.items[0].status,
        AgentStatus::Online,
        "the list uses the server's clock, not the rounds' moved one"
    );
}

/// `count` computers of `person` that last reported at `seen`, named `{host}-1`… and
/// written straight to the table (as many as a large company's fleet, without enrolling
/// each).
async fn computers(app: &TestApp, person: &Session, host: &str, count: u32, seen: DateTime<Utc>) {
    sql(
        app,
        &format!(
            "INSERT INTO agents (company_id, id, user_id, hostname, os, agent_version,
                                 secret_hash, last_seen_at)
             SELECT u.company_id, gen_random_uuid(), u.id, '{host}-' || n, 'Linux', '1.0',
                    sha256(('{host}' || n)::bytea), '{seen}'::timestamptz
               FROM users u, generate_series(1, {count}) n
              WHERE u.email = '{email}'",
            email = person.body.me.user.email,
            seen = seen.to_rfc3339(),
        ),
    )
    .await;
}

/// Every presence round at `now`, as the job runs them.
async fn rounds(db: &pulse_backend::db::Db, now: DateTime<Utc>) -> usize {
    pulse_backend::testing::presence_rounds(db, now)
        .await
        .unwrap()
}

/// The computers `who` is shown for `GET /api/v1/agents?{query}`, every page.
async fn listed(app: &TestApp, who: &Session, query: &str) -> Vec<Agent> {
    let mut agents = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Page<Agent> = get_json(
            app,
            who,
            &format!("/api/v1/agents?{query}&limit=200{cursor}"),
        )
        .await;
        agents.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return agents,
        }
    }
}

/// A whole fleet going offline in one round is one alert, "1,234 computers went
/// offline", for the owners, admins and the managers of the employees concerned, and
/// the Agents page lists those computers; a few computers of another company going
/// offline at the same time are alerted one by one. Coming back is silent until the
/// last computer of the fleet is back, then one "back online" closes the fleet alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_going_offline_at_once_raises_one_alert_that_lists_its_computers() {
    let app = TestApp::spawn().await.unwrap();
    let fleet = Org::create(&app, "fleet").await;
    let few = Org::create(&app, "few").await;
    let db = app.db().unwrap();
    let start = app.now();
    computers(&app, &fleet.employee, "pc", 1_234, start).await;
    computers(&app, &few.employee, "desk", 3, start).await;
    let alerts = async |who: &Session, kind: &str| -> Vec<Alert> {
        get_json::<Page<Alert>>(&app, who, &format!("/api/v1/alerts?kind={kind}"))
            .await
            .items
    };

    // Online (first contact: no alert), then silent past the heartbeat and grace.
    assert_eq!(rounds(&db, start).await, 1_237);
    let silent = start + chrono::Duration::minutes(2);
    assert_eq!(rounds(&db, silent).await, 1_237);
    assert_eq!(rounds(&db, silent + chrono::Duration::minutes(1)).await, 0);

    let raised = alerts(&fleet.owner, "fleet_offline").await;
    assert_eq!(raised.len(), 1);
    let outage = &raised[0];
    assert_eq!(outage.title, "1,234 computers went offline");
    assert_eq!(outage.agent_count, Some(1_234));
    assert!(
        outage.body.contains("last reported between"),
        "{}",
        outage.body
    );
    assert!(alerts(&fleet.owner, "agent_offline").await.is_empty());
    assert_eq!(alerts(&fleet.admin, "fleet_offline").await.len(), 1);
    assert_eq!(
        alerts(&fleet.manager, "fleet_offline").await.len(),
        1,
        "the employee's manager is told, as of one computer"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alert_recipients r
               JOIN alerts a ON a.company_id = r.company_id AND a.id = r.alert_id
              WHERE a.kind = 'fleet_offline'"
        )
        .await,
        3,
        "the owner, the admin and the manager, once each"
    );

    // The list behind it: every computer, once, and only those.
    let query = format!("alert={}", outage.id);
    let shown = listed(&app, &fleet.owner, &query).await;
    let mut hosts: Vec<&str> = shown.iter().map(|agent| agent.hostname.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    assert_eq!(hosts.len(), 1_234);
    assert!(hosts.iter().all(|host| host.starts_with("pc-")));
    assert_eq!(
        listed(&app, &fleet.manager, &format!("{query}&status=offline"))
            .await
            .len(),
        1_234
    );
    assert!(
        listed(&app, &few.owner, &query).await.is_empty(),
        "another company's alert lists nothing of it"
    );

    // The other company: three computers, three alerts, by name.
    let single = alerts(&few.owner, "agent_offline").await;
    let mut titles: Vec<&str> = single.iter().map(|alert| alert.title.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        [
            "desk-1 is offline",
            "desk-2 is offline",
            "desk-3 is offline"
        ]
    );
    assert!(alerts(&few.owner, "fleet_offline").await.is_empty());
    assert!(single.iter().all(|alert| alert.agent_count.is_none()));

    // All but one of the fleet report again, and the three: the three are back one by
    // one; the fleet's computers are ticked off without a word.
    let back = silent + chrono::Duration::minutes(5);
    sql(
        &app,
        &format!(
            "UPDATE agents SET last_seen_at = '{back}'::timestamptz
              WHERE hostname <> 'pc-1234'",
            back = back.to_rfc3339()
        ),
    )
    .await;
    assert_eq!(rounds(&db, back).await, 1_236);
    assert_eq!(alerts(&few.owner, "agent_online").await.len(), 3);
    assert!(alerts(&fleet.owner, "agent_online").await.is_empty());
    assert!(alerts(&fleet.owner, "fleet_online").await.is_empty());
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alert_agents WHERE back_online_at IS NULL"
        )
        .await,
        1,
        "pc-1234 is still away"
    );

    // The last one: one "back online" for the fleet, and its alert is closed.
    sql(
        &app,
        &format!(
            "UPDATE agents SET last_seen_at = '{back}'::timestamptz WHERE hostname = 'pc-1234'",
            back = back.to_rfc3339()
        ),
    )
    .await;
    assert_eq!(rounds(&db, back).await, 1);
    assert_eq!(rounds(&db, back).await, 0);
    let returned = alerts(&fleet.manager, "fleet_online").await;
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].title, "1,234 computers are back online");
    assert_eq!(returned[0].agent_count, Some(1_234));
    assert!(alerts(&fleet.owner, "agent_online").await.is_empty());
    assert_eq!(
        listed(&app, &fleet.owner, &format!("alert={}", returned[0].id))
            .await
            .len(),
        1_234
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alerts WHERE kind = 'fleet_offline' AND resolved_at IS NULL"
        )
        .await,
        0
    );

    // Offline again: a new outage, a new alert, once.
    let again = back + chrono::Duration::minutes(2);
    assert_eq!(rounds(&db, again).await, 1_237);
    assert_eq!(rounds(&db, again).await, 0);
    assert_eq!(alerts(&fleet.owner, "fleet_offline").await.len(), 2);
    assert_eq!(alerts(&few.owner, "agent_offline").await.len(), 6);
}

/// The threshold is inclusive: as many computers as [`FLEET_AT_LEAST`] make a fleet,
/// one fewer are alerted one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_starts_at_the_threshold() {
    use pulse_backend::alerting::fleet::FLEET_AT_LEAST;
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "threshold").await;
    let db = app.db().unwrap();
    let start = app.now();
    let at = u32::try_from(FLEET_AT_LEAST).unwrap();
    computers(&app, &org.employee, "team", at, start).await;
    computers(&app, &org.outsider, "solo", at - 1, start).await;
    rounds(&db, start).await;
    // Only the employee's computers stop; the outsider's report on.
    sql(
        &app,
        &format!(
            "UPDATE agents SET last_seen_at = '{later}'::timestamptz WHERE hostname LIKE 'solo-%'",
            later = (start + chrono::Duration::minutes(2)).to_rfc3339()
        ),
    )
    .await;
    rounds(&db, start + chrono::Duration::minutes(2)).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alerts WHERE kind = 'fleet_offline'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(&app, "SELECT max(agent_count)::bigint FROM alerts").await,
        i64::from(at)
    );
    // Then the outsider's, one fewer than a fleet: one alert each.
    rounds(&db, start + chrono::Duration::minutes(4)).await;
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM alerts WHERE kind = 'agent_offline'"
        )
        .await,
        i64::from(at - 1)
    );

    // All of the fleet but team-1 report again; team-1 is revoked instead: the fleet is
    // over, its "back online" counts the computers back and says one was revoked.
    let back = start + chrono::Duration::minutes(6);
    sql(
        &app,
        &format!(
            "UPDATE agents SET last_seen_at = '{back}'::timestamptz
              WHERE hostname LIKE 'team-%' AND hostname <> 'team-1'",
            back = back.to_rfc3339()
        ),
    )
    .await;
    rounds(&db, back).await;
    let online = async || -> Vec<Alert> {
        get_json::<Page<Alert>>(&app, &org.owner, "/api/v1/alerts?kind=fleet_online")
            .await
            .items
    };
    assert!(online().await.is_empty(), "team-1 is still away");
    let shown: Page<Agent> = get_json(&app, &org.owner, "/api/v1/agents?q=team-1").await;
    let team_1 = shown
        .items
        .iter()
        .find(|agent| agent.hostname == "team-1")
        .unwrap();
    let revoked = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{}", team_1.id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    let closed = online().await;
    assert_eq!(closed.len(), 1);
    assert_eq!(
        closed[0].title,
        format!("{} computers are back online", at - 1)
    );
    assert!(
        closed[0].body.ends_with("apart from 1 revoked since."),
        "{}",
        closed[0].body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_is_online_for_its_own_heartbeat_interval() {
    use pulse_backend::worker::presence::round as presence_round;
    let app = TestApp::spawn().await.unwrap();
    let (org, slow) = Org::builder(&app, "interval")
        .with_employee_agent("emma-laptop")
        .await;
    let db = app.db().unwrap();
    let quick = enroll(&app, &org, &org.outsider, "otto-desktop").await;
    let emma = org.employee.body.me.user.id;
    let set = send(
        &app,
        &org.admin,
        Method::PUT,
        &format!("/api/v1/policies/employees/{emma}"),
        Some(&json!({"heartbeat_secs": 300})),
    )
    .await;
    assert_eq!(set.status(), 200);
    for agent in [&slow, &quick] {
        heartbeat(&app, &agent.credential, "active").await;
    }
    assert_eq!(presence_round(&db, app.now()).await.unwrap(), Some(2));
    // Two minutes on: past the company's 30 s + grace, within Emma's 300 s.
    let later = app.now() + chrono::Duration::minutes(2);
    assert_eq!(presence_round(&db, later).await.unwrap(), Some(1));
    let agents: Page<Agent> = get_json(&app, &org.owner, "/api/v1/agents").await;
    let status = |host: &str| {
        agents
            .items
            .iter()
            .find(|agent| agent.hostname == host)
            .map(|agent| (agent.status, agent.user_name.clone()))
            .unwrap()
    };
    assert_eq!(status("emma-laptop").0, AgentStatus::Online);
    assert_eq!(status("emma-laptop").1, org.employee.body.me.user.name);
    assert_eq!(
        status("otto-desktop").0,
        AgentStatus::Online,
        "the list is computed now, not at `later`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_forgets_a_revoked_agent_and_an_old_policy() {
    let app = TestApp::spawn().await.unwrap();
    let replica = app.replica().unwrap();
    let (org, enrolled) = Org::builder(&app, "replicas")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.clone();
    let beat_on_b = async || {
        app.client()
            .post(format!("{}/api/v1/agent/heartbeat", replica.base_url))
            .bearer_auth(&credential)
            .json(&json!({"state": "active", "sent_at": app.now()}))
            .send()
            .await
            .unwrap()
    };
    // Replica B now holds the agent and its policy in memory.
    let first: HeartbeatResponse = json(beat_on_b().await).await;
    assert_eq!(first.policy_version, enrolled.policy_version);

    // A policy change through replica A reaches B's answers.
    let changed = send(
        &app,
        &org.admin,
        Method::PUT,
        &format!(
            "/api/v1/policies/employees/{}",
            org.employee.body.me.user.id
        ),
        Some(&json!({"heartbeat_secs": 60})),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let mut version = first.policy_version.clone();
    for _ in 0..100 {
        version = json::<HeartbeatResponse>(beat_on_b().await)
            .await
            .policy_version;
        if version != first.policy_version {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_ne!(
        version, first.policy_version,
        "B still answers the old policy"
    );

    // A revocation through replica A: B refuses the agent.
    let revoked = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{}", enrolled.agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    let mut status = 200;
    for _ in 0..100 {
        status = beat_on_b().await.status().as_u16();
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401, "B still accepts a revoked agent");
}
