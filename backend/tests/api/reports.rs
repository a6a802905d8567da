//! Reports against figures worked out by hand on a small week of one person: two
//! computers reporting the same minutes, idle time, a DST change, a batch arriving
//! after its hour was rolled up, an absence, and rules changed afterwards.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pulse_backend::clock::Clock;
use pulse_backend::testing::TestApp;
use pulse_shared::reports::{
    Attendance, AttendanceReport, CategoryRule, Overview, Productivity, RulePreview, Subject,
    TimeReport,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::activity::upload;
use crate::common::agents::enroll;
use crate::common::fixtures::company_policy;
use crate::common::{Org, Session, fields, get, get_json, json, post, scalar};

/// Friday 2026-04-03, 17:00 in Berlin: the week before is over.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 3, 15, 0, 0).unwrap()
}

/// A March day's UTC time.
fn march(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0).unwrap()
}

/// `secs` of `app` (on `url`) from `start`, as events of at most an hour.
fn stretch(
    app: &str,
    url: Option<&str>,
    start: DateTime<Utc>,
    secs: i64,
    idle: bool,
) -> Vec<Value> {
    let mut events = Vec::new();
    let mut at = start;
    let mut left = secs;
    while left > 0 {
        let piece = left.min(3_600);
        events.push(json!({
            "id": Uuid::new_v4(),
            "app": app,
            "url": url,
            "started_at": at,
            "duration_secs": piece,
            "keystrokes": if idle { 0 } else { piece },
            "mouse_events": if idle { 0 } else { piece / 2 },
            "active_secs": if idle { 0 } else { piece },
            "idle": idle,
        }));
        at += Duration::seconds(piece);
        left -= piece;
    }
    events
}

const YOUTUBE: Option<&str> = Some("https://www.youtube.com/watch?v=42");

async fn send_batch(app: &TestApp, credential: &str, events: Vec<Vec<Value>>) {
    let events: Vec<Value> = events.into_iter().flatten().collect();
    let response = upload(app, credential, &events).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn settle(app: &TestApp) {
    pulse_backend::worker::sessions::round(&app.db().unwrap(), app.now())
        .await
        .unwrap();
}

/// The company of the week: Berlin time, working hours Monday to Friday 09:00–17:00,
/// sites recorded; the employee's two computers report the week described below.
async fn the_week() -> (TestApp, Org) {
    the_week_seen_at(now()).await
}

/// The same week, with the server's clock starting at `at`.
async fn the_week_seen_at(at: DateTime<Utc>) -> (TestApp, Org) {
    let app = TestApp::spawn_with(|config| config.clock = Clock::starting_at(at))
        .await
        .unwrap();
    let org = Org::create(&app, "reports").await;
    company_policy(
        &app,
        &org,
        json!({
            "time_zone": "Europe/Berlin",
            "track_urls": true,
            "working_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"},
        }),
    )
    .await;
    let laptop = enroll(&app, &org, &org.employee, "emma-laptop").await;
    let desktop = enroll(&app, &org, &org.employee, "emma-desktop").await;
    // Thursday 26 (UTC+1): code 09:00–11:00, idle until 11:30, YouTube until 13:00.
    // Sunday 29, the night clocks go forward: code 01:30 CET – 03:30 CEST.
    // Monday 30 (UTC+2): code from 09:20 (late) to 12:30.
    send_batch(
        &app,
        &laptop.credential,
        vec![
            stretch("code", None, march(26, 8, 0), 7_200, false),
            stretch("code", None, march(26, 10, 0), 1_800, true),
            stretch("firefox", YOUTUBE, march(26, 10, 30), 5_400, false),
            stretch("code", None, march(29, 0, 30), 3_600, false),
            stretch("code", None, march(30, 7, 20), 11_400, false),
        ],
    )
    .await;
    settle(&app).await;
    // Then the desktop's Thursday: Slack 10:30–11:15, over code and then over idle
    // time already rolled up (that idle time becomes active).
    send_batch(
        &app,
        &desktop.credential,
        vec![stretch("slack", None, march(26, 9, 30), 2_700, false)],
    )
    .await;
    settle(&app).await;
    // Later, the rest of Monday (into the hour already rolled up) until 17:00, a call
    // 00:30–01:30 on Tuesday night, and Tuesday 09:00–17:00.
    send_batch(
        &app,
        &laptop.credential,
        vec![
            stretch("code", None, march(30, 10, 30), 16_200, false),
            stretch("zoom", None, march(30, 22, 30), 3_600, false),
            stretch("code", None, march(31, 7, 0), 28_800, false),
        ],
    )
    .await;
    settle(&app).await;
    (app, org)
}

async fn report(app: &TestApp, who: &Session, query: &str) -> TimeReport {
    get_json(app, who, &format!("/api/v1/reports/time?{query}")).await
}

/// `(key, worked, active, idle, productive, neutral, unproductive)` of each row.
fn figures(report: &TimeReport) -> Vec<(String, i64, i64, i64, i64, i64, i64)> {
    report
        .rows
        .iter()
        .map(|row| {
            let f = &row.figures;
            (
                row.key.clone(),
                f.worked_secs,
                f.active_secs,
                f.idle_secs,
                f.productive_secs,
                f.neutral_secs,
                f.unproductive_secs,
            )
        })
        .collect()
}

fn day(
    key: &str,
    worked: i64,
    active: i64,
    productive: i64,
    unproductive: i64,
) -> (String, i64, i64, i64, i64, i64, i64) {
    (
        key.to_owned(),
        worked,
        active,
        worked - active,
        productive,
        0,
        unproductive,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_week_adds_up_by_day_hour_app_and_time_zone() {
    let (app, org) = the_week().await;
    let emma = org.employee.body.me.user.id;
    let week = format!("from=2026-03-26&to=2026-03-31&user_id={emma}");

    let by_day = report(&app, &org.owner, &format!("{week}&group=day")).await;
    assert_eq!(
        by_day.time_zone, "Europe/Berlin",
        "the company's zone by default"
    );
    assert_eq!(
        figures(&by_day),
        vec![
            // 4 h of wall time: Slack's minutes over code count once, over idle time
            // they are active. Code and Slack are productive, YouTube is not.
            day("2026-03-26", 14_400, 13_500, 8_100, 5_400),
            day("2026-03-27", 0, 0, 0, 0),
            day("2026-03-28", 0, 0, 0, 0),
            day("2026-03-29", 3_600, 3_600, 3_600, 0),
            // 09:20–17:00, half of it sent after the hour it joins was rolled up.
            day("2026-03-30", 27_600, 27_600, 27_600, 0),
            // The call after midnight belongs to Tuesday in Berlin.
            day("2026-03-31", 32_400, 32_400, 32_400, 0),
        ]
    );
    assert_eq!(by_day.total.worked_secs, 78_000);
    assert_eq!(by_day.total.activity_percent, 99);

    let in_utc = report(&app, &org.owner, &format!("{week}&group=day&time_zone=UTC")).await;
    let active: Vec<(String, i64)> = in_utc
        .rows
        .iter()
        .map(|row| (row.key.clone(), row.figures.active_secs))
        .collect();
    assert_eq!(active[4], ("2026-03-30".to_owned(), 31_200));
    assert_eq!(active[5], ("2026-03-31".to_owned(), 28_800));

    // The DST night: local 02:00 never happened; 01:30–02:00 and 03:00–03:30.
    let night = report(
        &app,
        &org.owner,
        &format!("from=2026-03-29&to=2026-03-29&user_id={emma}&group=hour"),
    )
    .await;
    let hours: Vec<i64> = night.rows[..5]
        .iter()
        .map(|row| row.figures.active_secs)
        .collect();
    assert_eq!(hours, vec![0, 1_800, 0, 1_800, 0]);
    assert_eq!(night.rows[1].key, "2026-03-29T01");

    let apps = report(
        &app,
        &org.owner,
        &format!("from=2026-03-26&to=2026-03-26&user_id={emma}&group=app"),
    )
    .await;
    let rows: Vec<(String, i64, Option<Productivity>, Option<String>)> = apps
        .rows
        .iter()
        .map(|row| {
            (
                row.label.clone(),
                row.figures.active_secs,
                row.productivity,
                row.category.clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "code".to_owned(),
                7_200,
                Some(Productivity::Productive),
                Some("Development".to_owned())
            ),
            (
                "firefox · youtube.com".to_owned(),
                5_400,
                Some(Productivity::Unproductive),
                Some("Entertainment".to_owned())
            ),
            (
                "slack".to_owned(),
                900,
                Some(Productivity::Productive),
                Some("Communication".to_owned())
            ),
        ]
    );
    assert_eq!(
        (apps.total.worked_secs, apps.total.idle_secs),
        (14_400, 900)
    );

    // Four months and a bit, for everyone: whole months from the month rollups, the
    // days of April from the day rollups; the same figures.
    let months = report(
        &app,
        &org.owner,
        "from=2025-12-01&to=2026-04-02&group=month",
    )
    .await;
    let keys: Vec<&str> = months.rows.iter().map(|row| row.key.as_str()).collect();
    assert_eq!(
        keys,
        ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
    );
    assert_eq!(
        figures(&months)[3],
        day("2026-03", 78_000, 77_100, 71_700, 5_400)
    );
    let apps_long = report(&app, &org.owner, "from=2025-12-15&to=2026-04-02&group=app").await;
    assert_eq!(apps_long.total.worked_secs, 78_000);
    assert_eq!(
        apps_long.rows[0].figures.active_secs,
        7_200 + 3_600 + 27_600 + 28_800
    );

    // The hours' applications add up to the hours, and the days to the hours.
    let apart = scalar(
        &app,
        "SELECT (SELECT sum(active_secs) FROM activity_hours)
              - (SELECT sum(active_secs) FROM activity_hour_subjects)",
    )
    .await;
    assert_eq!(apart, 0);
    let days = scalar(
        &app,
        "SELECT sum(active_secs + idle_secs)::int8 FROM activity_days",
    )
    .await;
    assert_eq!(days, 78_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_rule_changes_past_reports_at_once() {
    let (app, org) = the_week().await;
    let emma = org.employee.body.me.user.id;
    let thursday = format!("from=2026-03-26&to=2026-03-26&user_id={emma}");
    let split = async |who: &Session| {
        let report = report(&app, who, &format!("{thursday}&group=day")).await;
        let f = &report.rows[0].figures;
        (f.productive_secs, f.neutral_secs, f.unproductive_secs)
    };
    assert_eq!(split(&org.owner).await, (8_100, 0, 5_400));

    let research = json!({"field": "domain", "match": "exact", "pattern": "YouTube.com",
                          "productivity": "productive", "category": "Research"});
    let created = post(&app, &org.owner, "/api/v1/category-rules", &research).await;
    assert_eq!(created.status(), 201);
    let rule: CategoryRule = json(created).await;
    assert_eq!(split(&org.owner).await, (13_500, 0, 0));

    // Only for Emma: Slack is a distraction; everyone else keeps the company's view.
    let chat = json!({"field": "app", "match": "wildcard", "pattern": "sl*ck",
                      "productivity": "unproductive", "category": "Chat", "user_id": emma});
    assert_eq!(
        post(&app, &org.owner, "/api/v1/category-rules", &chat)
            .await
            .status(),
        201
    );
    assert_eq!(split(&org.manager).await, (12_600, 0, 900));
    let categories = report(&app, &org.owner, &format!("{thursday}&group=category")).await;
    let by_category: Vec<(String, i64)> = categories
        .rows
        .iter()
        .map(|row| (row.key.clone(), row.figures.active_secs))
        .collect();
    assert_eq!(
        by_category,
        vec![
            ("Development".to_owned(), 7_200),
            ("Research".to_owned(), 5_400),
            ("Chat".to_owned(), 900)
        ]
    );

    let removed = crate::common::send(
        &app,
        &org.owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/category-rules/{}", rule.id),
        None,
    )
    .await;
    assert_eq!(removed.status(), 204);
    assert_eq!(split(&org.owner).await, (7_200, 0, 6_300));
    let audited = scalar(
        &app,
        "SELECT count(*) FROM audit_events WHERE action LIKE 'category_rule.%'",
    )
    .await;
    assert_eq!(audited, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_follows_each_working_day() {
    let (app, org) = the_week().await;
    let emma = org.employee.body.me.user.id;
    let attendance: AttendanceReport = get_json(
        &app,
        &org.manager,
        &format!("/api/v1/reports/attendance?from=2026-03-26&to=2026-03-31&user_id={emma}"),
    )
    .await;
    let days: Vec<(String, Attendance, Option<u32>, Option<u32>)> = attendance
        .days
        .iter()
        .map(|d| (d.day.to_string(), d.status, d.late_by_mins, d.early_by_mins))
        .collect();
    assert_eq!(
        days,
        vec![
            (
                "2026-03-26".to_owned(),
                Attendance::EarlyEnd,
                None,
                Some(240)
            ),
            ("2026-03-27".to_owned(), Attendance::Absent, None, None),
            ("2026-03-29".to_owned(), Attendance::DayOff, None, None),
            (
                "2026-03-30".to_owned(),
                Attendance::LateStart,
                Some(20),
                None
            ),
            ("2026-03-31".to_owned(), Attendance::OnTime, None, None),
        ]
    );
    let s = &attendance.summary;
    assert_eq!(
        (s.on_time, s.late_start, s.early_end, s.absent),
        (1, 1, 1, 1)
    );
    assert_eq!(attendance.days[0].first_activity_at, Some(march(26, 8, 0)));
    // A grace period of half an hour forgives Monday's 20 minutes.
    let lenient: AttendanceReport = get_json(
        &app,
        &org.owner,
        &format!(
            "/api/v1/reports/attendance?from=2026-03-30&to=2026-03-30&user_id={emma}&grace_mins=30"
        ),
    )
    .await;
    assert_eq!(lenient.days[0].status, Attendance::OnTime);

    let csv = get(
        &app,
        &org.owner,
        &format!("/api/v1/reports/attendance.csv?from=2026-03-26&to=2026-03-31&user_id={emma}"),
    )
    .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(
        text.lines().nth(4).unwrap().contains("late_start"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_see_only_what_their_role_reaches() {
    let (app, org) = the_week().await;
    let emma = org.employee.body.me.user.id;
    let week = "from=2026-03-26&to=2026-03-31";
    // An employee's report is their own, whatever they ask for.
    let own = report(&app, &org.employee, &format!("{week}&group=person")).await;
    assert_eq!(own.rows.len(), 1);
    assert_eq!(own.total.worked_secs, 78_000);
    let theirs = get(
        &app,
        &org.outsider,
        &format!("/api/v1/reports/time?{week}&group=day&user_id={emma}"),
    )
    .await;
    assert_eq!(theirs.status(), 404);
    // The manager sees team Alpha: themself and Emma.
    let team = report(&app, &org.manager, &format!("{week}&group=person")).await;
    assert_eq!(team.rows.len(), 2);
    let by_team = report(&app, &org.owner, &format!("{week}&group=team")).await;
    let alpha: Vec<(&str, i64)> = by_team
        .rows
        .iter()
        .map(|row| (row.label.as_str(), row.figures.worked_secs))
        .collect();
    assert_eq!(alpha, vec![("Alpha", 78_000), ("Beta", 0)]);

    let csv = get(
        &app,
        &org.owner,
        &format!("/api/v1/reports/time.csv?{week}&group=day"),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("time-2026-03-26-2026-03-31-by-day.csv")
    );
    let text = csv.text().await.unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 6 + 1,
        "header, six days, total: {text}"
    );
    assert!(
        text.contains("2026-03-26,Thu 2026-03-26,14400,4,13500,900,94,8100,0,5400"),
        "{text}"
    );
    let workbook = get(
        &app,
        &org.owner,
        &format!("/api/v1/reports/time.xlsx?{week}&group=day"),
    )
    .await;
    assert_eq!(workbook.status(), 200);
    assert_eq!(
        workbook.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = workbook.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip file");
    let names = String::from_utf8_lossy(&bytes);
    assert!(
        names.contains("xl/worksheets/sheet1.xml"),
        "a workbook with a sheet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_report_queries_name_the_parameter() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "report-errors").await;
    for (query, field) in [
        ("from=2026-03-10&to=2026-03-01&group=day", "to"),
        ("from=2025-01-01&to=2026-03-01&group=day", "to"),
        ("from=2026-01-01&to=2026-03-01&group=hour", "to"),
        (
            "from=2026-03-01&to=2026-03-02&group=day&time_zone=Mars/Olympus",
            "time_zone",
        ),
    ] {
        let response = get(&app, &org.owner, &format!("/api/v1/reports/time?{query}")).await;
        assert_eq!(response.status(), 422, "{query}");
        assert_eq!(
            fields(&json::<Value>(response).await),
            vec![field],
            "{query}"
        );
    }
    let grace = get(
        &app,
        &org.owner,
        "/api/v1/reports/attendance?from=2026-03-01&to=2026-03-02&grace_mins=500",
    )
    .await;
    assert_eq!(fields(&json::<Value>(grace).await), vec!["grace_mins"]);
    let unknown = get(
        &app,
        &org.owner,
        "/api/v1/reports/time?from=2026-03-01&to=2026-03-02&group=hourly",
    )
    .await;
    assert_eq!(unknown.status(), 422);
    assert_eq!(fields(&json::<Value>(unknown).await), vec!["query"]);
    // Exports are a paid feature.
    org.move_to(&app, "free").await;
    let export = get(
        &app,
        &org.owner,
        "/api/v1/reports/time.csv?from=2026-03-01&to=2026-03-02&group=day",
    )
    .await;
    assert_eq!(export.status(), 402);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_checked_previewed_and_kept_to_admins() {
    let (app, org) = the_week().await;
    let bad = json!({"field": "app", "match": "regex", "pattern": "co(de", "productivity": "productive", "category": " "});
    let refused = post(&app, &org.owner, "/api/v1/category-rules", &bad).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        fields(&json::<Value>(refused).await),
        vec!["/category", "/pattern"]
    );

    let rule = json!({"field": "app", "match": "regex", "pattern": "co.e|sl.*", "productivity": "neutral", "category": "Tools"});
    let preview: RulePreview =
        json(post(&app, &org.owner, "/api/v1/category-rules/preview", &rule).await).await;
    let matched: Vec<(&str, &str)> = preview
        .matches
        .iter()
        .map(|s| (s.label.as_str(), s.decided_by.as_str()))
        .collect();
    assert_eq!(matched, vec![("code", "catalogue"), ("slack", "catalogue")]);
    assert_eq!(preview.total, 2);
    assert_eq!(
        preview.matches[0].recent_secs,
        3_600 + 27_600 + 28_800 + 7_200
    );

    assert_eq!(
        post(&app, &org.manager, "/api/v1/category-rules", &rule)
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&app, &org.employee, "/api/v1/category-rules")
            .await
            .status(),
        403
    );
    let subjects: Vec<Subject> =
        get_json(&app, &org.manager, "/api/v1/category-rules/subjects").await;
    let zoom = subjects.iter().find(|s| s.app == "zoom").unwrap();
    assert_eq!(
        (zoom.productivity, zoom.category.as_str()),
        (Productivity::Productive, "Meetings")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_compares_this_week_with_the_last() {
    let (app, org) = the_week().await;
    let overview: Overview = get_json(&app, &org.owner, "/api/v1/overview").await;
    assert_eq!(overview.today.to_string(), "2026-04-03");
    assert_eq!(overview.people, 5);
    assert_eq!(overview.today_figures.worked_secs, 0);
    // Monday and Tuesday in Berlin, against last Thursday up to this moment a week ago.
    assert_eq!(overview.this_week.worked_secs, 27_600 + 32_400);
    assert_eq!(overview.last_week.worked_secs, 14_400);
    assert_eq!(overview.week_trend_percent, Some(317));
    let teams: Vec<(&str, i64)> = overview
        .teams
        .iter()
        .map(|row| (row.label.as_str(), row.figures.worked_secs))
        .collect();
    assert_eq!(teams, vec![("Alpha", 60_000), ("Beta", 0)]);
    // Friday 17:00 and Emma did not work today (the others have no computer to judge).
    assert_eq!(overview.attendance_today.absent, 1);
    assert_eq!((overview.agents.offline, overview.working_now), (2, 0));
    assert_eq!(overview.seats.map(|s| s.used), Some(1));

    let own: Overview = get_json(&app, &org.employee, "/api/v1/overview").await;
    assert_eq!((own.people, own.this_week.worked_secs), (1, 60_000));
    assert!(own.seats.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_summary_arrives_on_monday_morning() {
    // Monday 6 April, 07:30 in Berlin.
    let (app, org) = the_week_seen_at(Utc.with_ymd_and_hms(2026, 4, 6, 5, 30, 0).unwrap()).await;
    let weekly = json!({"frequency": "weekly"});
    let put = |who| {
        crate::common::send(
            &app,
            who,
            reqwest::Method::PUT,
            "/api/v1/me/report-subscription",
            Some(&weekly),
        )
    };
    assert_eq!(put(&org.employee).await.status(), 403);
    assert_eq!(put(&org.manager).await.status(), 200);
    let db = app.db().unwrap();
    let round = pulse_backend::worker::reports::round(&db, app.now())
        .await
        .unwrap();
    assert_eq!(round.queued, 1);
    let again = pulse_backend::worker::reports::round(&db, app.now())
        .await
        .unwrap();
    assert_eq!(again.queued, 0, "one summary per period");

    let manager = org.manager.body.me.user.email.clone();
    let mut mail = Vec::new();
    for _ in 0..100 {
        mail = app.mailbox.messages_to(&manager);
        mail.retain(|message| message.contains("summary"));
        if !mail.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mail.len(), 1, "one summary e-mail");
    // Quoted-printable, as long lines are sent.
    let text = &mail[0]
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    for expected in [
        "Weekly summary: Mon 30 Mar to Sun 5 Apr 2026",
        "2 people",
        "Worked: 16 h 40 min",
        "Attendance: 1 on time, 1 late starts, 0 early ends, 3 absences",
        "employee: 16 h 40 min worked, 100 % active, 100 % productive",
        "/reports?from=2026-03-30&to=2026-04-05&group=person",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let audited = scalar(
        &app,
        "SELECT count(*) FROM audit_events WHERE action = 'report_subscription.updated'",
    )
    .await;
    assert_eq!(audited, 1);
}
