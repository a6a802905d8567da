//! Browser journey of reports: an owner signs up; through the API they set working hours
//! Monday to Friday 09:00–17:00 in a fixed zone (with web addresses recorded), make a
//! team, join it and enroll a computer, which reports two hours a working day since last
//! Monday (VS Code, YouTube in Firefox, Slack, an idle spell; one late start). After the
//! session builder has run, the owner reads the Reports page for that team this month by
//! day, person and app, as chart and table; exports CSV and Excel (the files land in the
//! download folder, and the same URLs answer with the right types); prints (the button
//! calls `window.print`, and under print media the app around the report is gone); reads
//! attendance; makes YouTube productive on the Categories page and sees the split change;
//! and finds the week on the Overview, which takes in a new alert live. Last, the
//! Account page subscribes them to weekly report e-mails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use anyhow::{Context as _, ensure};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Timelike, Utc};
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, SignupForm, downloaded, step};
use pulse_shared::agents::{EnrollResponse, EnrollmentTokenCreated};
use pulse_shared::auth::SessionResponse;
use pulse_shared::policies::{PolicySettings, Weekday, WorkingHours};
use pulse_shared::teams::Team;
use serde_json::{Value, json};

const COMPANY: &str = "Fabrikam Studio";
const OWNER_NAME: &str = "Rosa Reporter";
const OWNER_EMAIL: &str = "rosa@fabrikam.test";
const PASSWORD: &str = "owner-password-42";
const TEAM: &str = "Design";
const YOUTUBE: &str = "firefox · youtube.com";

#[tokio::test]
async fn reports_exports_categories_and_the_overview() -> anyhow::Result<()> {
    pulse_e2e::run("reports", async |app, b| journey(app, b).await).await
}

/// What the test knows: its clock and zone, the days worked, and who is who.
struct World {
    http: reqwest::Client,
    token: String,
    owner: String,
    team: String,
    offset: FixedOffset,
    today: NaiveDate,
    /// The days with activity, oldest first.
    days: Vec<Day>,
    downloads: PathBuf,
}

/// One working day as uploaded.
#[derive(Debug, Clone, Copy)]
struct Day {
    date: NaiveDate,
    /// VS Code before YouTube: an hour this week, 45 minutes last week.
    code_secs: i64,
    /// Started at 09:40 rather than 09:00.
    late: bool,
    /// Two more hours of VS Code from 15:00 to 17:00 (days before today).
    afternoon: bool,
}

impl Day {
    const YOUTUBE_SECS: i64 = 1_800;
    const SLACK_SECS: i64 = 1_200;
    const IDLE_SECS: i64 = 600;
    const AFTERNOON_SECS: i64 = 7_200;

    /// Active time in VS Code.
    fn code(self) -> i64 {
        self.code_secs
            + if self.afternoon {
                Self::AFTERNOON_SECS
            } else {
                0
            }
    }
    fn active(self) -> i64 {
        self.code() + Self::YOUTUBE_SECS + Self::SLACK_SECS
    }
    fn worked(self) -> i64 {
        self.active() + Self::IDLE_SECS
    }
    /// The morning alone: what there was by noon.
    fn morning(self) -> i64 {
        self.code_secs + Self::YOUTUBE_SECS + Self::SLACK_SECS + Self::IDLE_SECS
    }
    /// VS Code and Slack are productive in the built-in catalogue; YouTube is not.
    fn productive(self) -> i64 {
        self.code() + Self::SLACK_SECS
    }
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    step("signs up", signs_up(app, b)).await?;
    let world = step("sets up the company over the API", sets_up(app)).await?;
    let credential = step(
        "a computer reports two weeks of work",
        reports_work(app, b, &world),
    )
    .await?;
    let month = step("reads the time report", reads_the_time_report(b, &world)).await?;
    step("exports CSV and Excel", exports(app, b, &world, &month)).await?;
    step("prints the report", prints(b)).await?;
    step("reads attendance", reads_attendance(b, &world)).await?;
    step("makes YouTube productive", makes_youtube_productive(b)).await?;
    step(
        "sees the split change",
        sees_the_split_change(b, &world, &month),
    )
    .await?;
    step(
        "reads the overview",
        reads_the_overview(b, &world, &credential),
    )
    .await?;
    step("subscribes to report e-mails", subscribes(b, &world)).await?;
    let _ = std::fs::remove_dir_all(&world.downloads);
    Ok(())
}

async fn signs_up(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let owner = SignupForm {
        company: COMPANY,
        name: OWNER_NAME,
        email: OWNER_EMAIL,
        password: PASSWORD,
    };
    pulse_e2e::sign_up(app, b, &owner).await
}

/// Working hours in the browser's zone (where it is about noon now), web addresses
/// recorded; a team with the owner in it; a computer enrolled for the owner.
async fn sets_up(app: &TestApp) -> anyhow::Result<World> {
    let http = reqwest::Client::new();
    let session: SessionResponse = http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": OWNER_EMAIL, "password": PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = session.access_token;
    let owner = session.me.user.id.to_string();
    let now = app.now();
    let zone = pulse_e2e::midday_zone(now);
    let offset = FixedOffset::east_opt((12 - now.hour() as i32) * 3_600).context("offset")?;
    let policy = PolicySettings {
        working_hours: Some(WorkingHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: "09:00".to_owned(),
            end: "17:00".to_owned(),
        }),
        time_zone: zone.clone(),
        track_urls: true,
        ..PolicySettings::default()
    };
    http.put(app.url("/api/v1/policies/company"))
        .bearer_auth(&token)
        .json(&policy)
        .send()
        .await?
        .error_for_status()
        .with_context(|| format!("saving the policy in {zone}"))?;
    let team: Team = http
        .post(app.url("/api/v1/teams"))
        .bearer_auth(&token)
        .json(&json!({ "name": TEAM }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let team = team.id.to_string();
    http.patch(app.url(&format!("/api/v1/people/{owner}")))
        .bearer_auth(&token)
        .json(&json!({ "team_id": team }))
        .send()
        .await?
        .error_for_status()
        .context("putting the owner in the team")?;

    let today = now.with_timezone(&offset).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let last_monday = monday - Duration::days(7);
    let days = (0..=(today - last_monday).num_days())
        .map(|n| last_monday + Duration::days(n))
        .filter(|date| date.weekday().num_days_from_monday() < 5)
        .map(|date| Day {
            date,
            code_secs: if date >= monday { 3_600 } else { 2_700 },
            late: date == last_monday + Duration::days(2),
            afternoon: date < today,
        })
        .collect();
    let downloads =
        std::env::temp_dir().join(format!("pulse-e2e-downloads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&downloads);
    std::fs::create_dir_all(&downloads)?;
    Ok(World {
        http,
        token,
        owner,
        team,
        offset,
        today,
        days,
        downloads,
    })
}

/// Enrolls the owner's computer and uploads every day's events, then folds them into
/// sessions and rollups as the worker would. Answers the computer's credential.
async fn reports_work(app: &TestApp, b: &Browser, world: &World) -> anyhow::Result<String> {
    let created: EnrollmentTokenCreated = world
        .http
        .post(b.url("/api/v1/enrollment-tokens"))
        .bearer_auth(&world.token)
        .json(&json!({
            "name": "Rosa's desktop",
            "user_id": world.owner,
            "expires_in_hours": 24,
            "max_uses": 1,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let enrolled: EnrollResponse = world
        .http
        .post(b.url("/api/v1/agent/enroll"))
        .json(&json!({
            "token": created.secret,
            "hostname": "rosa-desktop",
            "os": "Ubuntu 24.04 (x86_64)",
            "agent_version": "0.1.0",
            "employee_email": null,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let events: Vec<Value> = world
        .days
        .iter()
        .flat_map(|day| day_events(*day, world.offset))
        .collect();
    let receipt: Value = world
        .http
        .post(b.url("/api/v1/agent/activity"))
        .bearer_auth(&enrolled.credential)
        .json(&json!({ "events": events }))
        .send()
        .await?
        .error_for_status()
        .context("uploading the activity")?
        .json()
        .await?;
    ensure!(
        receipt["stored"].as_u64() == Some(events.len() as u64),
        "stored {receipt} of {} events",
        events.len()
    );
    heartbeat(b, world, &enrolled.credential).await?;
    pulse_backend::worker::sessions::round(&app.db()?, app.now()).await?;
    Ok(enrolled.credential)
}

/// A day's events in local time: VS Code from 09:00 (09:40 when late), YouTube in
/// Firefox for 30 minutes, Slack for 20, then 10 idle minutes in VS Code; on days
/// before today, VS Code again from 15:00 to 17:00.
fn day_events(day: Day, offset: FixedOffset) -> Vec<Value> {
    let midnight = offset
        .from_local_datetime(&day.date.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|midnight| midnight.to_utc())
        .unwrap_or_default();
    let start_min = if day.late { 9 * 60 + 40 } else { 9 * 60 };
    let start = midnight + Duration::minutes(start_min);
    let event = |at: DateTime<Utc>, secs: i64, app: &str, url: Option<&str>, idle: bool| {
        json!({
            "id": uuid::Uuid::new_v4(),
            "app": app,
            "title": null,
            "url": url,
            "started_at": at,
            "duration_secs": secs,
            "keystrokes": if idle { 0 } else { secs },
            "mouse_events": if idle { 0 } else { secs / 2 },
            "active_secs": if idle { 0 } else { secs * 9 / 10 },
            "idle": idle,
        })
    };
    let youtube_at = start + Duration::seconds(day.code_secs);
    let slack_at = youtube_at + Duration::seconds(Day::YOUTUBE_SECS);
    let idle_at = slack_at + Duration::seconds(Day::SLACK_SECS);
    let mut events = vec![
        event(start, day.code_secs, "code", None, false),
        event(
            youtube_at,
            Day::YOUTUBE_SECS,
            "firefox",
            Some("https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
            false,
        ),
        event(slack_at, Day::SLACK_SECS, "slack", None, false),
        event(idle_at, Day::IDLE_SECS, "code", None, true),
    ];
    if day.afternoon {
        let three = midnight + Duration::hours(15);
        events.push(event(three, 3_600, "code", None, false));
        events.push(event(
            three + Duration::hours(1),
            3_600,
            "code",
            None,
            false,
        ));
    }
    events
}

async fn heartbeat(b: &Browser, world: &World, credential: &str) -> anyhow::Result<()> {
    world
        .http
        .post(b.url("/api/v1/agent/heartbeat"))
        .bearer_auth(credential)
        .json(&json!({"state": "active", "sent_at": Utc::now()}))
        .send()
        .await?
        .error_for_status()
        .context("sending a heartbeat")?;
    Ok(())
}

/// The range the report shows and the days of it that were worked.
struct Range {
    from: NaiveDate,
    to: NaiveDate,
    days: Vec<Day>,
}

impl Range {
    fn query(&self, world: &World, rest: &str) -> String {
        format!(
            "from={}&to={}&team_id={}{rest}",
            self.from, self.to, world.team
        )
    }
    fn sum(&self, figure: impl Fn(Day) -> i64) -> i64 {
        self.days.iter().map(|day| figure(*day)).sum()
    }
}

/// The team's report this month (last week when this month has no working day yet):
/// by day as a chart and a table, by person, by app.
async fn reads_the_time_report(b: &Browser, world: &World) -> anyhow::Result<Range> {
    b.goto("/reports").await?;
    b.wait_for(r#"[data-testid="time-report"]"#).await?;
    let team_option = format!(
        r#"select[name="team_filter"] option[value="{}"]"#,
        world.team
    );
    b.wait_for(&team_option).await?;
    b.wait_for(r#"select[name="team_filter"]"#)
        .await?
        .select_by_value(&world.team)
        .await?;
    b.wait_for_text(r#"[data-testid="report-summary"]"#, TEAM)
        .await?;
    let first = world.today.with_day(1).unwrap_or(world.today);
    let mut range = Range {
        from: first,
        to: world.today,
        days: world
            .days
            .iter()
            .copied()
            .filter(|day| day.date >= first)
            .collect(),
    };
    if range.days.is_empty() {
        b.click(r#"button[data-preset="LastWeek"]"#).await?;
        let monday = world.days[0].date;
        range = Range {
            from: monday,
            to: monday + Duration::days(6),
            days: world
                .days
                .iter()
                .copied()
                .filter(|day| day.date < monday + Duration::days(7))
                .collect(),
        };
    }
    b.screenshot_both("reports").await?;
    let wanted = format!("{}", range.from);
    b.eventually("the range in the URL", async || {
        let url = b.client().current_url().await?;
        Ok(url
            .query()
            .is_some_and(|query| query.contains(&wanted))
            .then_some(()))
    })
    .await?;

    // By day, as a chart: a column per day, whose tooltip tells the split.
    let day = *range.days.last().context("a day worked")?;
    let tip = format!(
        "Productive {}, Unproductive {}",
        hours_minutes(day.productive()),
        hours_minutes(Day::YOUTUBE_SECS)
    );
    b.eventually(&format!("a column saying {tip:?}"), async || {
        let tips = b
            .client()
            .execute(
                r#"return Array.from(document.querySelectorAll('[data-testid="time-report"][data-group="day"] .chart-mark > title')).map(t => t.textContent);"#,
                vec![],
            )
            .await?;
        let tips: Vec<String> = serde_json::from_value(tips)?;
        Ok(tips.iter().any(|text| text.contains(&tip)).then_some(()))
    })
    .await?;
    b.wait_for_text(
        r#"[data-testid="time-report"] [data-stat="worked"]"#,
        &hours_minutes(range.sum(Day::worked)),
    )
    .await?;
    b.screenshot_both_at(r#"[data-testid="time-report"]"#, "reports-chart")
        .await?;

    // The same as a table.
    b.click(r#".report-switches button.segment[data-segment="table"]"#)
        .await?;
    let row = format!(
        r#"[data-testid="report-table"] tr[data-key="{}"]"#,
        day.date
    );
    b.wait_for_text(
        &format!(r#"{row} td[data-label="Worked"]"#),
        &hours_minutes(day.worked()),
    )
    .await?;
    b.wait_for_text(
        &format!(r#"{row} td[data-label="Active"]"#),
        &hours_minutes(day.active()),
    )
    .await?;
    b.screenshot_both_at(r#"[data-testid="time-report"]"#, "reports-table")
        .await?;
    fits_a_phone(b, "the report as a table").await?;

    // By person: the owner's whole range.
    group_by(b, "person").await?;
    let row = format!(
        r#"[data-testid="report-table"] tr[data-key="{}"]"#,
        world.owner
    );
    b.wait_for_text(&row, OWNER_NAME).await?;
    b.wait_for_text(
        &format!(r#"{row} td[data-label="Worked"]"#),
        &hours_minutes(range.sum(Day::worked)),
    )
    .await?;

    // By app: VS Code, YouTube and Slack with their active time and classification.
    group_by(b, "app").await?;
    let expected = [
        ("code", range.sum(Day::code), "productive"),
        (YOUTUBE, range.sum(|_| Day::YOUTUBE_SECS), "unproductive"),
        ("slack", range.sum(|_| Day::SLACK_SECS), "productive"),
    ];
    for (label, active, class) in expected {
        let want = (hours_minutes(active), class.to_owned());
        b.eventually(&format!("{label} at {want:?}"), async || {
            Ok(app_rows(b)
                .await?
                .into_iter()
                .any(|(name, time, productivity)| {
                    name == label
                        && (time.as_str(), productivity.as_str())
                            == (want.0.as_str(), want.1.as_str())
                })
                .then_some(()))
        })
        .await?;
    }
    let productive =
        pulse_shared::reports::percent(range.sum(Day::productive), range.sum(Day::active));
    b.wait_for_text(
        r#"[data-testid="time-report"] [data-stat="productive"]"#,
        &format!("{productive} %"),
    )
    .await?;
    b.screenshot_both_at(r#"[data-testid="time-report"]"#, "reports-apps-table")
        .await?;
    b.click(r#".report-switches button.segment[data-segment="chart"]"#)
        .await?;
    b.wait_for(r#"[data-testid="time-report"][data-group="app"] .chart-svg"#)
        .await?;
    b.screenshot_both_at(r#"[data-testid="time-report"]"#, "reports-apps-chart")
        .await?;
    Ok(range)
}

/// Chooses a grouping and waits for its report.
async fn group_by(b: &Browser, group: &str) -> anyhow::Result<()> {
    b.wait_for(r#"select[name="group"]"#)
        .await?
        .select_by_value(group)
        .await?;
    b.wait_for(&format!(
        r#"[data-testid="time-report"][data-group="{group}"] [data-testid="report-table"]"#
    ))
    .await?;
    Ok(())
}

/// The rows of the report by app as shown: name, active time, classification.
async fn app_rows(b: &Browser) -> anyhow::Result<Vec<(String, String, String)>> {
    let rows = b
        .client()
        .execute(
            r#"return Array.from(document.querySelectorAll('[data-testid="report-table"] tbody tr[data-key]:not([data-key="total"])')).map(tr => [
                tr.querySelector('.cell-title').textContent.trim(),
                (tr.querySelector('td[data-label="Active"]') || {}).textContent || '',
                ((tr.querySelector('[data-productivity]') || {}).dataset || {}).productivity || '',
            ]);"#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(rows)?)
}

/// CSV and Excel: the page says it saved them, the browser's download folder gets them,
/// and the same report over HTTP has the right type and content.
async fn exports(app: &TestApp, b: &Browser, world: &World, range: &Range) -> anyhow::Result<()> {
    b.allow_downloads(&world.downloads).await?;
    // Exports come with the paid plans: on Free the page says so.
    b.click(r#"[data-testid="report-csv"]"#).await?;
    wait_for_toast(b, "Report exports are").await?;
    app.set_plan(OWNER_EMAIL, pulse_shared::billing::PlanId::Pro)
        .await?;
    b.click(r#"[data-testid="report-csv"]"#).await?;
    wait_for_toast(b, "rows to pulse-time-report-").await?;
    b.click(r#"[data-testid="report-xlsx"]"#).await?;
    wait_for_toast(b, "Exported to pulse-time-report-").await?;
    for extension in ["csv", "xlsx"] {
        let file = b
            .eventually(
                &format!("a .{extension} in the download folder"),
                async || Ok(downloaded(&world.downloads, extension)),
            )
            .await?;
        let bytes = std::fs::read(&file)?;
        match extension {
            "csv" => {
                let text = String::from_utf8_lossy(&bytes);
                ensure!(
                    text.contains("youtube.com") && text.contains("code"),
                    "the CSV saved:\n{text}"
                );
            }
            _ => ensure!(
                bytes.starts_with(b"PK\x03\x04"),
                "the spreadsheet saved is no zip"
            ),
        }
    }

    let query = range.query(world, "&group=app");
    let csv = world
        .http
        .get(b.url(&format!("/api/v1/reports/time.csv?{query}")))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()?;
    let kind = content_type(&csv);
    ensure!(kind.starts_with("text/csv"), "the CSV came as {kind}");
    let text = csv.text().await?;
    ensure!(
        text.lines().any(|line| line.contains("youtube.com")),
        "a youtube.com line in the CSV:\n{text}"
    );
    let xlsx = world
        .http
        .get(b.url(&format!("/api/v1/reports/time.xlsx?{query}")))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()?;
    let kind = content_type(&xlsx);
    ensure!(
        kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "the spreadsheet came as {kind}"
    );
    ensure!(
        xlsx.bytes().await?.starts_with(b"PK\x03\x04"),
        "the spreadsheet is a zip"
    );
    Ok(())
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// "Print" calls the browser's print (replaced here by a counter: a headless print
/// dialog would show nothing); under print media the navigation, switches and filters
/// are gone and the chart and the table both show.
async fn prints(b: &Browser) -> anyhow::Result<()> {
    b.client()
        .execute(
            "window.__printed = 0; window.print = () => { window.__printed += 1; };",
            vec![],
        )
        .await?;
    b.click(r#"[data-testid="report-print"]"#).await?;
    let printed = b
        .client()
        .execute("return window.__printed;", vec![])
        .await?;
    ensure!(
        printed == json!(1),
        "window.print was called {printed} times"
    );

    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await?;
    let shown = b
        .client()
        .execute(
            r#"const shown = s => { const e = document.querySelector(s); return !!e && getComputedStyle(e).display !== 'none'; };
               return ['.sidebar', '.report-switches', '[data-testid="report-filters"]', '.page-report .report-chart', '.page-report .report-table', '[data-testid="report-summary"]'].map(shown);"#,
            vec![],
        )
        .await?;
    ensure!(
        shown == json!([false, false, false, true, true, true]),
        "under print media (sidebar, switches, filters, chart, table, heading) show as {shown}"
    );
    // The report takes the page's width, not the hidden sidebar's column.
    let share = b
        .client()
        .execute(
            r#"return document.querySelector('[data-testid="time-report"]').getBoundingClientRect().width / window.innerWidth;"#,
            vec![],
        )
        .await?;
    ensure!(
        share.as_f64().is_some_and(|share| share > 0.8),
        "under print media the report is {share} of the page wide"
    );
    b.screenshot("reports-print-desktop").await?;
    b.cdp("Emulation.setEmulatedMedia", json!({ "media": "" }))
        .await?;
    Ok(())
}

/// Attendance since last Monday: last Wednesday started late, the other days on time.
async fn reads_attendance(b: &Browser, world: &World) -> anyhow::Result<()> {
    let from = world.days[0].date;
    b.goto(&format!(
        "/reports?tab=attendance&from={from}&to={}&team_id={}",
        world.today, world.team
    ))
    .await?;
    b.wait_for(r#"[data-testid="attendance-report"]"#).await?;
    for day in &world.days {
        let status = if day.late { "late_start" } else { "on_time" };
        b.wait_for(&format!(
            r#"[data-testid="attendance"] tr[data-day="{}"][data-status="{status}"]"#,
            day.date
        ))
        .await?;
    }
    b.wait_for_text(
        r#"[data-testid="attendance-report"] [data-stat="late start"]"#,
        "1",
    )
    .await?;
    b.screenshot_both_at(r#"[data-testid="attendance-report"]"#, "reports-attendance")
        .await?;
    fits_a_phone(b, "the attendance report").await?;
    Ok(())
}

/// A company rule: youtube.com counts as productive.
async fn makes_youtube_productive(b: &Browser) -> anyhow::Result<()> {
    b.goto("/settings/categories").await?;
    b.click(r#"[data-testid="rule-add"]"#).await?;
    b.wait_for(r#"dialog[open] [data-testid="rule-form"]"#)
        .await?;
    b.wait_for(r#"dialog[open] select[name="field"]"#)
        .await?
        .select_by_value("domain")
        .await?;
    b.fill(r#"dialog[open] input[name="pattern"]"#, "youtube.com")
        .await?;
    b.wait_for(r#"dialog[open] select[name="productivity"]"#)
        .await?
        .select_by_value("productive")
        .await?;
    b.fill(r#"dialog[open] input[name="category"]"#, "Research")
        .await?;
    b.wait_for_text(
        r#"dialog[open] [data-testid="rule-preview"]"#,
        "youtube.com",
    )
    .await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    wait_for_toast(b, "Saved the rule for “youtube.com”").await?;
    b.wait_dialogs_closed().await?;
    b.wait_for_text(r#"[data-testid="category-rules"]"#, "youtube.com")
        .await?;
    b.screenshot_both("categories").await?;
    Ok(())
}

/// The same report by app: YouTube is productive now, nothing unproductive is left.
async fn sees_the_split_change(b: &Browser, world: &World, range: &Range) -> anyhow::Result<()> {
    b.goto(&format!(
        "/reports?{}",
        range.query(world, "&group=app&view=table")
    ))
    .await?;
    let want = hours_minutes(range.sum(|_| Day::YOUTUBE_SECS));
    b.eventually("YouTube counted as productive", async || {
        Ok(app_rows(b)
            .await?
            .into_iter()
            .any(|(name, time, productivity)| {
                name == YOUTUBE && time == want && productivity == "productive"
            })
            .then_some(()))
    })
    .await?;
    b.wait_for_text(
        r#"[data-testid="report-table"] tr[data-key="total"] td[data-label="Unproductive"]"#,
        "0 min",
    )
    .await?;
    b.wait_for_text(
        r#"[data-testid="time-report"] [data-stat="productive"]"#,
        "100 %",
    )
    .await?;
    Ok(())
}

/// The overview: this week's hours and their trend against last week, today, the team,
/// attendance today, seats; a new alert shows up without a reload.
async fn reads_the_overview(b: &Browser, world: &World, credential: &str) -> anyhow::Result<()> {
    heartbeat(b, world, credential).await?;
    b.goto("/").await?;
    let monday =
        world.today - Duration::days(i64::from(world.today.weekday().num_days_from_monday()));
    let this_week: i64 = world
        .days
        .iter()
        .filter(|day| day.date >= monday)
        .map(|day| day.worked())
        .sum();
    let today: i64 = world
        .days
        .iter()
        .filter(|day| day.date == world.today)
        .map(|day| day.worked())
        .sum();
    // Last week up to this moment a week ago: whole days, then the morning of today's
    // weekday (its afternoon is yet to come).
    let last_week: i64 = world
        .days
        .iter()
        .filter(|day| day.date < monday)
        .map(
            |day| match (day.date + Duration::days(7)).cmp(&world.today) {
                std::cmp::Ordering::Less => day.worked(),
                std::cmp::Ordering::Equal => day.morning(),
                std::cmp::Ordering::Greater => 0,
            },
        )
        .sum();
    let trend = pulse_shared::reports::trend_percent(this_week, last_week).context("a trend")?;
    b.wait_for_text(
        r#"[data-tile="week"] .tile-value"#,
        &hours_minutes(this_week),
    )
    .await?;
    // A quarter of an hour more VS Code each morning than last week.
    ensure!(trend > 0, "this week {this_week} s against {last_week} s");
    b.wait_for_text(r#"[data-testid="week-trend"]"#, &format!("+{trend} %"))
        .await?;
    b.wait_for_text(r#"[data-tile="today"] .tile-value"#, &hours_minutes(today))
        .await?;
    b.wait_for_text(r#"[data-tile="agents"]"#, "1 online")
        .await?;
    b.wait_for_text(r#"[data-tile="seats"] .tile-value"#, "1")
        .await?;
    b.wait_for(r#"[data-testid="overview-teams"] .chart-svg"#)
        .await?;
    let working_day = world.today.weekday().num_days_from_monday() < 5;
    if working_day {
        b.wait_for_text(
            r#"[data-testid="overview-attendance"] [data-count="on-time"] dd"#,
            "1",
        )
        .await?;
    } else {
        b.wait_for_text(
            r#"[data-testid="overview-attendance"]"#,
            "Nothing to count yet today",
        )
        .await?;
    }
    b.wait_for_text(r#"[data-testid="my-profile"]"#, COMPANY)
        .await?;
    b.screenshot_both("overview-dashboard").await?;
    fits_a_phone(b, "the overview").await?;
    b.click(r#"[data-testid="overview-teams"] button.segment[data-segment="table"]"#)
        .await?;
    b.wait_for_text(
        r#"[data-testid="overview-teams"] [data-testid="report-table"]"#,
        TEAM,
    )
    .await?;
    b.screenshot_both_at(r#"[data-testid="overview-teams"]"#, "overview-teams-table")
        .await?;

    world
        .http
        .post(b.url("/api/v1/alerts/test"))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()
        .context("raising a test alert")?;
    b.wait_for_text(r#"[data-testid="overview-alerts"]"#, "Test alert")
        .await?;
    Ok(())
}

/// Weekly report e-mails, chosen on the Account page and kept by the server.
async fn subscribes(b: &Browser, world: &World) -> anyhow::Result<()> {
    b.goto("/account").await?;
    b.wait_for_text(r#"[data-testid="report-emails-hint"]"#, "07:00 your time")
        .await?;
    b.wait_for(r#"[data-testid="report-emails-save"]:not([disabled])"#)
        .await?;
    b.wait_for(r#"select[name="frequency"]"#)
        .await?
        .select_by_value("weekly")
        .await?;
    b.click(r#"[data-testid="report-emails-save"]"#).await?;
    wait_for_toast(b, "each Monday at 07:00").await?;
    let saved: Value = world
        .http
        .get(b.url("/api/v1/me/report-subscription"))
        .bearer_auth(&world.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        saved == json!({ "frequency": "weekly" }),
        "the server keeps {saved}"
    );
    b.screenshot_both_at(r#"[data-testid="report-emails"]"#, "account-report-emails")
        .await?;
    Ok(())
}

/// At phone width the page does not scroll sideways (its content wraps instead).
async fn fits_a_phone(b: &Browser, what: &str) -> anyhow::Result<()> {
    b.set_viewport(pulse_e2e::PHONE).await?;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let widths = b
        .client()
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await?;
    b.set_viewport(pulse_e2e::DESKTOP).await?;
    let (scrolled, shown): (u64, u64) = serde_json::from_value(widths)?;
    ensure!(
        scrolled <= shown,
        "{what} is {scrolled} px wide on a {shown} px phone"
    );
    Ok(())
}

/// Waits until some toast says `needle` (older toasts may still be showing); says
/// which toasts it saw otherwise.
async fn wait_for_toast(b: &Browser, needle: &str) -> anyhow::Result<()> {
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    let found = b
        .eventually(&format!("a toast saying {needle:?}"), async || {
            for toast in b.find_all(r#"[data-testid="toast"]"#).await? {
                let Ok(text) = toast.text().await else {
                    continue;
                };
                if text.contains(needle) {
                    return Ok(Some(()));
                }
                if !seen.borrow().contains(&text) {
                    seen.borrow_mut().push(text);
                }
            }
            Ok(None)
        })
        .await;
    found.map_err(|error| error.context(format!("toasts seen: {:?}", seen.borrow())))
}

/// As the app writes durations: `7 h 05 min`, `45 min`.
fn hours_minutes(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}
