//! Activity: batches stored once however often they are sent, every validation rule,
//! work sessions built from the events, who sees whose, and retention.

use chrono::{DateTime, Duration, Utc};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::activity::{
    ActivityReceipt, ActivityRecord, AppUsage, SessionSummary, WorkSession,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::activity::{event, upload};
use crate::common::agents::enroll;
use crate::common::{Org, Session, fields, get, get_json, json, scalar, send, sql};

/// Folds every stored batch into sessions (the server does it within milliseconds in
/// tests; this makes it certain).
async fn settle(app: &TestApp) {
    pulse_backend::worker::sessions::round(&app.db().unwrap(), app.now())
        .await
        .unwrap();
}

async fn count(app: &TestApp, table: &str) -> i64 {
    scalar(app, &format!("SELECT count(*) FROM {table}")).await
}

/// What an upload answers, as `(stored, duplicates, overlapping)`.
async fn receipt(response: reqwest::Response) -> (u32, u32, u32) {
    let receipt: ActivityReceipt = json(response).await;
    (receipt.stored, receipt.duplicates, receipt.overlapping)
}

/// The caller's (or, with `&user_id=…` in `query`, someone's) work sessions.
async fn sessions(app: &TestApp, who: &Session, query: &str) -> Vec<WorkSession> {
    get_json(app, who, &format!("/api/v1/sessions?{query}")).await
}

fn day_around_now(app: &TestApp) -> String {
    let now = app.now();
    format!(
        "from={}&to={}",
        (now - Duration::hours(12)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + Duration::hours(12)).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// One computer cannot be busy twice at once: events covering minutes it reported
/// already are cut to the minutes not yet covered (or dropped), so its sessions never
/// hold more active time than they last; a resent batch is still a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_computer_cannot_report_the_same_minutes_twice() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "overlap")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let hour = [event(&app, "code", 60, 3600)];
    assert_eq!(
        receipt(upload(&app, credential, &hour).await).await,
        (1, 0, 0)
    );
    // The same hour again under new ids, and an hour reaching half an hour into it.
    let forged = [event(&app, "mail", 60, 3600), event(&app, "chat", 90, 3600)];
    assert_eq!(
        receipt(upload(&app, credential, &forged).await).await,
        (1, 0, 2)
    );
    assert_eq!(
        receipt(upload(&app, credential, &hour).await).await,
        (0, 1, 0)
    );
    settle(&app).await;
    let sessions = sessions(&app, &org.employee, &day_around_now(&app)).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].active_secs, 5400, "90 minutes, counted once");
    let chat = scalar(
        &app,
        "SELECT duration_secs FROM activity_events WHERE app = 'chat'",
    )
    .await;
    assert_eq!(chat, 1800, "cut to the half hour before the code hour");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_once_however_often_it_is_sent() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "batch")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let events: Vec<Value> = (0..20)
        .map(|i| event(&app, "code", 60 - i * 2, 100))
        .collect();

    let first = upload(&app, credential, &events).await;
    assert_eq!(first.status(), 200);
    assert_eq!(receipt(first).await, (20, 0, 0));
    settle(&app).await;
    let (events_before, sessions_before) = (
        count(&app, "activity_events").await,
        count(&app, "work_sessions").await,
    );
    assert_eq!((events_before, sessions_before), (20, 1));
    let active_before = sessions(&app, &org.employee, &day_around_now(&app)).await[0].active_secs;

    // The same batch again (a lost answer, a retry): nothing changes, and it says so.
    assert_eq!(
        receipt(upload(&app, credential, &events).await).await,
        (0, 20, 0)
    );
    // Half old, half new; and one id twice in the same batch.
    let mut mixed: Vec<Value> = events[10..].to_vec();
    mixed.extend((0..10).map(|i| event(&app, "firefox", 20 - i, 30)));
    mixed.push(mixed[12].clone());
    assert_eq!(
        receipt(upload(&app, credential, &mixed).await).await,
        (10, 11, 0)
    );
    assert_eq!(count(&app, "activity_events").await, 30);
    settle(&app).await;
    let sessions = sessions(&app, &org.employee, &day_around_now(&app)).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(
        sessions[0].active_secs,
        active_before + 300,
        "only the new events count"
    );

    // Gzip is accepted.
    let body = serde_json::to_vec(&json!({"events": [event(&app, "slack", 5, 60)]})).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &body).unwrap();
    let zipped = app
        .client()
        .post(app.url("/api/v1/agent/activity"))
        .bearer_auth(credential)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(count(&app, "activity_events").await, 31);

    // A revoked agent is refused, and stores nothing.
    send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{}", enrolled.agent_id),
        None,
    )
    .await;
    let refused = upload(&app, credential, &[event(&app, "code", 1, 10)]).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(count(&app, "activity_events").await, 31);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_refuses_the_batch_naming_the_event_and_field() {
    let app = TestApp::spawn().await.unwrap();
    let (_, enrolled) = Org::builder(&app, "rules")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("app", json!(""), "required"),
        ("app", json!("x".repeat(201)), "too_long"),
        ("title", json!("t".repeat(1001)), "too_long"),
        ("title", json!("bell\u{7}"), "invalid"),
        ("url", json!("u".repeat(2049)), "too_long"),
        ("duration_secs", json!(0), "too_small"),
        ("duration_secs", json!(3601), "too_large"),
        ("duration_secs", json!(-5), "invalid"),
        (
            "started_at",
            json!(app.now() + Duration::minutes(10)),
            "in_future",
        ),
        (
            "started_at",
            json!(app.now() - Duration::days(31)),
            "too_old",
        ),
        ("started_at", json!("yesterday"), "invalid"),
        // The last second chrono can hold: no end to add a duration to, and no panic.
        ("started_at", json!("+262142-12-31T23:59:59Z"), "in_future"),
        ("active_secs", json!(101), "too_large"),
        ("keystrokes", json!(100 * 100 + 1), "too_large"),
        ("mouse_events", json!(100 * 100 + 1), "too_large"),
        ("idle", json!("no"), "invalid"),
    ];
    for (field, value, code) in cases {
        let mut bad = event(&app, "code", 30, 100);
        bad[field] = value;
        let response = upload(&app, credential, &[event(&app, "code", 40, 100), bad]).await;
        assert_eq!(response.status(), 422, "{field} {code}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(
            fields(&problem),
            [format!("/events/1/{field}")],
            "{field} {code}: {problem}"
        );
        assert_eq!(problem["errors"][0]["code"], code, "{field}: {problem}");
    }
    let mut unknown = event(&app, "code", 30, 100);
    unknown["secret"] = json!(true);
    let problem: Value = upload(&app, credential, &[unknown])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fields(&problem), ["/events/0/secret"]);
    let empty = upload(&app, credential, &[]).await;
    assert_eq!(empty.status(), 422);
    assert_eq!(fields(&empty.json().await.unwrap()), ["/events"]);
    let many: Vec<Value> = (0..1001)
        .map(|i| event(&app, "code", 60, 1 + i % 3))
        .collect();
    let too_many = upload(&app, credential, &many).await;
    assert_eq!(too_many.status(), 422);
    assert_eq!(fields(&too_many.json().await.unwrap()), ["/events"]);
    // A thousand events with the longest titles and URLs fit; a body past 4 MiB does not.
    let mut full = event(&app, "code", 60, 1);
    full["title"] = json!("t".repeat(1000));
    full["url"] = json!("u".repeat(2048));
    let huge = json!({"events": vec![full; 1300]});
    let too_big = app
        .client()
        .post(app.url("/api/v1/agent/activity"))
        .bearer_auth(credential)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert_eq!(
        count(&app, "activity_events").await,
        0,
        "nothing was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_become_sessions_split_by_the_idle_threshold() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "sessions")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    // The default idle threshold is 5 minutes. Morning: 09:00–10:00 with a 4-minute
    // gap inside; then 20 minutes away; 10:20–10:40 with an idle stretch.
    let three_hours_ago = (app.now() - Duration::hours(3)).timestamp();
    let base = DateTime::<Utc>::from_timestamp(three_hours_ago - three_hours_ago % 60, 0).unwrap();
    let at = |minute: i64, app_name: &str, secs: u32, idle: bool| {
        let mut e = event(&app, app_name, 0, secs);
        e["started_at"] = json!(base + Duration::minutes(minute));
        e["idle"] = json!(idle);
        e["active_secs"] = json!(if idle { 0 } else { secs });
        e
    };
    let first = vec![at(0, "code", 1800, false), at(34, "slack", 1560, false)];
    let second = vec![
        at(80, "firefox", 600, false),
        at(90, "firefox", 300, true),
        at(95, "code", 300, false),
    ];
    assert_eq!(upload(&app, credential, &second).await.status(), 200);
    assert_eq!(upload(&app, credential, &first).await.status(), 200);
    settle(&app).await;
    let range = format!(
        "from={}&to={}",
        (base - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (base + Duration::hours(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let split = sessions(&app, &org.employee, &range).await;
    assert_eq!(split.len(), 2, "{split:#?}");
    assert_eq!(split[0].started_at, base);
    assert_eq!(split[0].ended_at, base + Duration::minutes(60));
    assert_eq!(split[0].active_secs, 3360);
    assert_eq!(split[0].idle_secs, 0);
    assert_eq!(
        split[0].top_apps[0],
        AppUsage {
            app: "code".into(),
            secs: 1800
        }
    );
    assert_eq!(split[1].active_secs, 900);
    assert_eq!(split[1].idle_secs, 300);
    assert_eq!(split[1].top_apps[0].app, "firefox");
    // The team view adds the two up, applications across both.
    let team: Vec<SessionSummary> = get_json(
        &app,
        &org.manager,
        &format!("/api/v1/sessions/summary?{range}"),
    )
    .await;
    let emma = team
        .iter()
        .find(|row| row.user_id == org.employee.body.me.user.id)
        .unwrap();
    assert_eq!(
        (emma.sessions, emma.active_secs, emma.idle_secs),
        (2, 3360 + 900, 300)
    );
    assert_eq!(
        (emma.first_started_at, emma.last_ended_at),
        (Some(base), Some(split[1].ended_at))
    );
    let apps: Vec<(&str, i64)> = emma
        .top_apps
        .iter()
        .map(|usage| (usage.app.as_str(), usage.secs))
        .collect();
    assert_eq!(apps, [("code", 2100), ("slack", 1560), ("firefox", 600)]);

    // An event filling the 20-minute gap joins the two into one.
    assert_eq!(
        upload(&app, credential, &[at(61, "terminal", 1140, false)])
            .await
            .status(),
        200
    );
    settle(&app).await;
    let merged = sessions(&app, &org.employee, &range).await;
    assert_eq!(merged.len(), 1, "{merged:#?}");
    assert_eq!(merged[0].active_secs, 3360 + 900 + 1140);
    assert_eq!(count(&app, "work_sessions").await, 1);

    // The team view: the manager sees their team with totals; the outsider is not in it.
    let team: Vec<SessionSummary> = get_json(
        &app,
        &org.manager,
        &format!("/api/v1/sessions/summary?{range}"),
    )
    .await;
    assert!(
        team.iter()
            .all(|row| row.user_id != org.outsider.body.me.user.id)
    );
    let emma = team
        .iter()
        .find(|row| row.user_id == org.employee.body.me.user.id)
        .unwrap();
    assert_eq!(emma.sessions, 1);
    assert_eq!(emma.active_secs, 5400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_see_their_own_activity_and_managers_their_teams() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "seeing")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    assert_eq!(
        upload(
            &app,
            credential,
            &[event(&app, "code", 30, 60), event(&app, "code", 29, 60)]
        )
        .await
        .status(),
        200
    );
    settle(&app).await;
    let emma = org.employee.body.me.user.id.to_string();
    let path = |who: &str| {
        format!(
            "/api/v1/activity?{}&user_id={who}&limit=1",
            day_around_now(&app)
        )
    };
    for (session, visible) in [
        (&org.employee, true),
        (&org.manager, true),
        (&org.admin, true),
        (&org.owner, true),
        (&org.outsider, false),
    ] {
        let response = get(&app, session, &path(&emma)).await;
        assert_eq!(response.status(), if visible { 200 } else { 404 });
        let sessions = get(
            &app,
            session,
            &format!("/api/v1/sessions?{}&user_id={emma}", day_around_now(&app)),
        )
        .await;
        assert_eq!(sessions.status(), if visible { 200 } else { 404 });
    }
    // Paging: one event per page, oldest first.
    let first: Page<ActivityRecord> = get_json(&app, &org.employee, &path(&emma)).await;
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.unwrap();
    let second: Page<ActivityRecord> = get_json(
        &app,
        &org.employee,
        &format!("{}&cursor={cursor}", path(&emma)),
    )
    .await;
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    assert!(first.items[0].started_at < second.items[0].started_at);
    // Ranges are bounded and ordered.
    let backwards = get(
        &app,
        &org.employee,
        "/api/v1/sessions?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z",
    )
    .await;
    assert_eq!(backwards.status(), 422);
    let too_long = get(
        &app,
        &org.employee,
        "/api/v1/activity?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z",
    )
    .await;
    assert_eq!(fields(&too_long.json().await.unwrap()), ["to"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_decides_what_is_kept_and_for_how_long() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "keep")
        .with_employee_agent("emma-laptop")
        .await;
    let credential = enrolled.credential.as_str();
    let emma = org.employee.body.me.user.id.to_string();
    let set = send(
        &app,
        &org.admin,
        Method::PUT,
        &format!("/api/v1/policies/employees/{emma}"),
        Some(&json!({
            "track_titles": false,
            "track_urls": true,
            "excluded_domains": ["bank.example"],
            "activity_retention_days": 7
        })),
    )
    .await;
    assert_eq!(set.status(), 200);
    let mut banking = event(&app, "firefox", 20, 60);
    banking["url"] = json!("https://online.bank.example/accounts");
    assert_eq!(
        upload(&app, credential, &[event(&app, "code", 30, 60), banking])
            .await
            .status(),
        200
    );
    let page: Page<ActivityRecord> = get_json(
        &app,
        &org.admin,
        &format!("/api/v1/activity?{}&user_id={emma}", day_around_now(&app)),
    )
    .await;
    let items = &page.items;
    assert_eq!(items[0].app, "code");
    assert!(items[0].title.is_none(), "titles are not tracked");
    assert_eq!(
        items[0].url.as_deref(),
        Some("https://docs.example.com/guide")
    );
    assert_eq!(items[1].app, "Private");
    assert!(items[1].url.is_none() && items[1].title.is_none());

    // Retention: eight days on, Emma's activity (7 days) goes; the outsider's (the
    // company's 180) stays.
    let outsider = enroll(&app, &org, &org.outsider, "otto-desktop").await;
    upload(&app, &outsider.credential, &[event(&app, "code", 30, 60)]).await;
    settle(&app).await;
    let db = app.db().unwrap();
    let week = app.now() + Duration::days(8);
    let rollups = async |whose: &str| {
        let mut rows = 0;
        for table in [
            "activity_hours",
            "activity_hour_subjects",
            "activity_days",
            "activity_day_subjects",
        ] {
            rows += scalar(
                &app,
                &format!("SELECT count(*) FROM {table} WHERE user_id = '{whose}'"),
            )
            .await;
        }
        rows
    };
    let (emmas, ottos) = (
        rollups(&emma).await,
        rollups(&org.outsider.body.me.user.id.to_string()).await,
    );
    assert!(
        emmas >= 4 && ottos >= 4,
        "an hour and a day each, with their applications"
    );
    assert_eq!(
        pulse_backend::worker::retention::activity_round(&db, week)
            .await
            .unwrap(),
        Some(4 + usize::try_from(emmas).unwrap()),
        "two events, their two sessions (ten minutes apart), and their report rollups"
    );
    assert_eq!(count(&app, "activity_events").await, 1);
    assert_eq!(count(&app, "work_sessions").await, 1);
    assert_eq!(
        (
            rollups(&emma).await,
            rollups(&org.outsider.body.me.user.id.to_string()).await
        ),
        (0, ottos)
    );
}

/// Events are kept in monthly partitions: made ahead by the partitions job (taking over
/// what the default partition caught for a month that had none), and dropped whole once
/// no one's retention keeps the month.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn months_of_activity_are_partitions_made_ahead_and_dropped_whole() {
    let april = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 4, 3, 12, 0, 0).unwrap();
    let app = TestApp::spawn_with(|config| {
        config.clock = pulse_backend::clock::Clock::starting_at(april);
    })
    .await
    .unwrap();
    let (_org, enrolled) = Org::builder(&app, "months")
        .with_employee_agent("emma-laptop")
        .await;
    let db = app.db().unwrap();
    let made = pulse_backend::worker::partitions::round(&db, april)
        .await
        .unwrap();
    let exists = async |table: &str| {
        scalar(
            &app,
            &format!("SELECT count(*) FROM pg_class WHERE relname = '{table}'"),
        )
        .await
            == 1
    };
    for month in ["03", "04", "05", "06"] {
        assert!(
            exists(&format!("activity_events_2026_{month}")).await,
            "{month}: {made:?}"
        );
    }
    upload(
        &app,
        &enrolled.credential,
        &[event(&app, "code", 60 * 24 * 5, 600)],
    )
    .await;
    settle(&app).await;
    assert_eq!(count(&app, "activity_events_2026_03").await, 1, "29 March");

    // An event of a month without a partition lands in the default one; the month's
    // partition, made later, takes it over.
    sql(
        &app,
        "INSERT INTO activity_events
         SELECT company_id, agent_id, gen_random_uuid(), user_id, app, title, url,
                '2025-01-15T10:00:00Z', duration_secs, keystrokes, mouse_events, active_secs,
                idle, received_at
           FROM activity_events",
    )
    .await;
    assert_eq!(count(&app, "activity_events_default").await, 1);
    let february = chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 2, 10, 0, 0, 0).unwrap();
    pulse_backend::worker::partitions::round(&db, february)
        .await
        .unwrap();
    assert_eq!(count(&app, "activity_events_default").await, 0);
    assert_eq!(count(&app, "activity_events_2025_01").await, 1);
    assert_eq!(count(&app, "activity_events").await, 2);

    // Everyone keeps 180 days (the default): in November, March and before go whole.
    let november = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 20, 0, 0, 0).unwrap();
    let round = pulse_backend::worker::partitions::round(&db, november)
        .await
        .unwrap();
    assert!(
        round
            .dropped
            .contains(&"activity_events_2025_01".to_owned()),
        "{round:?}"
    );
    assert!(
        round
            .dropped
            .contains(&"activity_events_2026_03".to_owned()),
        "{round:?}"
    );
    assert!(
        exists("activity_events_2026_06").await,
        "kept: it ends within 180 days"
    );
    assert_eq!(count(&app, "activity_events").await, 0);
}
