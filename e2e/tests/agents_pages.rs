//! Browser journey of agents and what they record: an owner signs up, creates an
//! enrollment token in the UI and enrolls a computer over HTTP with the secret shown
//! there; the Agent Monitor shows it online after a heartbeat, with what waits in its
//! spool and a warning for what it dropped or had refused. The computer then reports
//! activity and a screenshot, which the Sessions and Screenshots pages show. The owner
//! saves a policy with a value out of bounds (the error shows under the field), then a
//! valid one (the change history lists it), sets an employee override and sees where
//! the effective values come from; the Overview and Account pages tell them, as the
//! person monitored, that monitoring is on, on which computer and what it records.
//! Last, they revoke the agent, and the Overview says nothing of theirs is monitored.
//!
//! A second test fills the Agent Monitor past its first page: 250 computers, "Load
//! more" brings the rest, and the live refresh keeps them all (with three more enrolled
//! meanwhile on top) without showing any twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{Context as _, ensure};
use chrono::{DateTime, Duration, Utc};
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, SignupForm, step};
use pulse_shared::agents::EnrollResponse;
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const COMPANY: &str = "Northwind Devices";
const OWNER_NAME: &str = "Olivia Owner";
const OWNER_EMAIL: &str = "olivia@northwind.test";
const PASSWORD: &str = "owner-password-42";
const HOST: &str = "olivia-laptop";

#[tokio::test]
async fn agents_policies_sessions_and_screenshots() -> anyhow::Result<()> {
    pulse_e2e::run("agents-pages", async |app, b| journey(app, b).await).await
}

#[tokio::test]
async fn the_monitor_loads_more_than_its_first_page() -> anyhow::Result<()> {
    pulse_e2e::run("agents-load-more", async |app, b| {
        load_more_journey(app, b).await
    })
    .await
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    step("signs up", signs_up(app, b)).await?;
    step("sees no computers yet", sees_no_computers_yet(b)).await?;
    let secret = step("makes an enrollment token", makes_an_enrollment_token(b)).await?;
    let credential = step(
        "a computer enrolls with the secret",
        a_computer_enrolls(b, &http, &secret),
    )
    .await?;
    step(
        "the monitor shows it online",
        the_monitor_shows_it_online(b),
    )
    .await?;
    step(
        "keeps the keyboard's place while the monitor refreshes",
        keeps_focus_across_refreshes(b, &http, &credential),
    )
    .await?;
    step(
        "searches and filters the monitor",
        searches_and_filters_the_monitor(b),
    )
    .await?;
    step("sets the company policy", sets_the_company_policy(b)).await?;
    step(
        "overrides the owner's policy",
        overrides_the_owners_policy(b),
    )
    .await?;
    step(
        "is told that monitoring is on for them",
        is_told_that_monitoring_is_on(b),
    )
    .await?;
    step(
        "the computer reports work and screenshots",
        the_computer_reports_work(b, &http, &credential),
    )
    .await?;
    step("sees the sessions", sees_the_sessions(b)).await?;
    step(
        "browses and deletes screenshots",
        browses_and_deletes_screenshots(b),
    )
    .await?;
    step(
        "revokes the agent",
        revokes_the_agent(b, &http, &credential),
    )
    .await?;
    step(
        "is told that nothing of theirs is monitored",
        is_told_that_nothing_is_monitored(b),
    )
    .await?;
    Ok(())
}

async fn signs_up(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let owner = SignupForm {
        company: COMPANY,
        name: OWNER_NAME,
        email: OWNER_EMAIL,
        password: PASSWORD,
    };
    pulse_e2e::sign_up(app, b, &owner).await?;
    Ok(())
}

/// No computers yet; the nav offers the four new pages to an owner.
async fn sees_no_computers_yet(b: &Browser) -> anyhow::Result<()> {
    b.goto("/agents").await?;
    b.wait_for(r#"[data-testid="agents"] tr.table-empty"#)
        .await?;
    for page in ["agents", "sessions", "screenshots", "policies"] {
        b.wait_for(&format!(r#"a.nav-link[data-nav="{page}"]"#))
            .await?;
    }
    b.screenshot_both("agents-empty").await?;
    Ok(())
}

/// An enrollment token for the owner's own computer, made in the UI.
async fn makes_an_enrollment_token(b: &Browser) -> anyhow::Result<String> {
    b.click(r#"[data-testid="create-enrollment-token"]"#)
        .await?;
    b.fill(r#"dialog[open] input[name="name"]"#, "Olivia's laptop")
        .await?;
    let people = b
        .find_all(r#"dialog[open] select[name="user_id"] option"#)
        .await?;
    ensure!(
        people.len() == 2,
        "the employee list has {} entries",
        people.len()
    );
    b.wait_for(r#"dialog[open] select[name="user_id"]"#)
        .await?
        .select_by_index(1)
        .await?;
    b.fill(r#"dialog[open] input[name="max_uses"]"#, "0")
        .await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    b.wait_for_text("#token-uses-error", "1 to 10,000").await?;
    b.fill(r#"dialog[open] input[name="max_uses"]"#, "2")
        .await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    let secret = b
        .attr(r#"dialog[open] [data-testid="enrollment-secret"]"#, "value")
        .await?
        .unwrap_or_default();
    ensure!(
        secret.starts_with("pet_"),
        "the secret shown was {secret:?}"
    );
    let command = b
        .wait_for(r#"dialog[open] [data-testid="enrollment-command"]"#)
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(
        command.starts_with("pulse-agent enroll --server http://") && command.ends_with(&secret),
        "the install command was {command:?}"
    );
    b.screenshot_both("agents-enroll").await?;
    b.click(r#"dialog[open] [data-testid="enrollment-done"]"#)
        .await?;
    b.wait_dialogs_closed().await?;
    b.wait_for(r#"[data-testid="enrollment-tokens"] tr[data-token-name="Olivia's laptop"]"#)
        .await?;
    Ok(secret)
}

/// The computer enrolls with the secret from the page and says it is alive.
async fn a_computer_enrolls(
    b: &Browser,
    http: &reqwest::Client,
    secret: &str,
) -> anyhow::Result<String> {
    let enrolled: EnrollResponse = http
        .post(b.url("/api/v1/agent/enroll"))
        .json(&json!({
            "token": secret,
            "hostname": HOST,
            "os": "Ubuntu 24.04 (x86_64)",
            "agent_version": "0.1.0",
            "employee_email": null,
        }))
        .send()
        .await?
        .error_for_status()
        .context("enrolling with the secret shown in the UI")?
        .json()
        .await?;
    let credential = enrolled.credential;
    heartbeat(b, http, &credential, 1_250).await?;
    Ok(credential)
}

/// The monitor polls: the computer shows up online without a reload.
async fn the_monitor_shows_it_online(b: &Browser) -> anyhow::Result<()> {
    let row = agent_row();
    b.wait_for(&format!(r#"{row}[data-agent-status="online"]"#))
        .await?;
    b.wait_for_text(&format!(r#"{row} [data-testid="agent-status"]"#), "Online")
        .await?;
    b.wait_for_text(&format!("{row} .cell-employee"), OWNER_NAME)
        .await?;
    // The totals follow within a round of the presence job.
    b.wait_for_text(r#"[data-testid="agents-card"] .card-header"#, "1 online")
        .await?;
    // The heartbeat's spool report: what waits, and a warning for what was lost.
    for (what, says) in [
        ("agent-spool-pending", "1,250 items waiting to be sent"),
        ("agent-spool-dropped", "12 items dropped: spool full"),
        ("agent-spool-refused", "3 items refused by the server"),
    ] {
        b.wait_for_text(&format!(r#"{row} [data-testid="{what}"]"#), says)
            .await?;
    }
    b.screenshot_both("agents").await?;
    b.stacks_on_a_phone(r#"[data-testid="agents"]"#, "agents-table")
        .await?;
    b.stacks_on_a_phone(
        r#"[data-testid="enrollment-tokens"]"#,
        "enrollment-tokens-table",
    )
    .await
}

/// Someone on the keyboard waits on the computer's Revoke while the monitor refreshes
/// and the row changes (its spool empties a little): the focus stays on that button.
async fn keeps_focus_across_refreshes(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
) -> anyhow::Result<()> {
    let revoke = format!(r#"{} [data-testid="agent-revoke"]"#, agent_row());
    // From the search field above the table, as someone on the keyboard goes.
    b.click("#agents-search").await?;
    b.tab_to(&revoke, false, 10).await?;
    heartbeat(b, http, credential, 1_000).await?;
    b.wait_for_text(
        &format!(r#"{} [data-testid="agent-spool-pending"]"#, agent_row()),
        "1,000 items waiting to be sent",
    )
    .await?;
    ensure!(
        b.focus_is_on(&revoke).await?,
        "the refresh took the focus from Revoke to {:?}",
        b.focused().await?
    );
    Ok(())
}

/// As the person monitored (the owner's own laptop), the Overview and the Account page
/// say that monitoring is on, name the computer, and say what the policy set above
/// records: screenshots every 10 minutes unblurred, web domains (their override), no
/// window titles, at all hours.
async fn is_told_that_monitoring_is_on(b: &Browser) -> anyhow::Result<()> {
    let notice = r#"[data-testid="monitoring"][data-monitored="true"]"#;
    for (page, name) in [
        ("/", "overview-monitoring"),
        ("/account", "account-monitoring"),
    ] {
        b.goto(page).await?;
        b.wait_for_text(notice, "Monitoring is on for you").await?;
        b.wait_for_text(
            &format!(r#"{notice} [data-testid="monitoring-computer"][data-host="{HOST}"]"#),
            "Last seen",
        )
        .await?;
        for (what, says) in [
            ("Applications", "Which application is in front"),
            ("Window titles", "Not recorded"),
            ("Web domains", "The site of the browser's page"),
            ("Screenshots", "One every 10 minutes or so, not blurred"),
            ("Idle", "After 5 minutes without input"),
            ("When", "At all hours"),
            ("Never recorded", "Nothing"),
        ] {
            b.wait_for_text(&format!(r#"{notice} [data-recorded="{what}"] dd"#), says)
                .await?;
        }
        b.screenshot_both(name).await?;
        b.fits_a_phone().await?;
    }
    Ok(())
}

/// Once the laptop is revoked, nothing of theirs reports: the Overview says so.
async fn is_told_that_nothing_is_monitored(b: &Browser) -> anyhow::Result<()> {
    b.goto("/").await?;
    b.wait_for_text(
        r#"[data-testid="monitoring"][data-monitored="false"]"#,
        "Nothing of yours is monitored",
    )
    .await?;
    b.screenshot_both("overview-not-monitored").await?;
    Ok(())
}

/// The search (answered by the server) finds it by employee and hides it for
/// anything else; so does the status filter.
async fn searches_and_filters_the_monitor(b: &Browser) -> anyhow::Result<()> {
    let row = agent_row();
    b.fill(r#"input[name="q"]"#, "olivia").await?;
    b.wait_for(&row).await?;
    b.fill(r#"input[name="q"]"#, "nobody-here").await?;
    b.wait_for(r#"[data-testid="agents"] tr.table-empty"#)
        .await?;
    b.click(r#"[data-page="agents"] .filter-clear"#).await?;
    b.wait_for(&row).await?;
    b.wait_for(r#"select[name="status_filter"]"#)
        .await?
        .select_by_value("revoked")
        .await?;
    b.wait_for(r#"[data-testid="agents"] tr.table-empty"#)
        .await?;
    b.click(r#"[data-page="agents"] .filter-clear"#).await?;
    b.wait_for(&row).await?;
    Ok(())
}

/// Policies: a value out of bounds is refused under its field, before anything is sent.
async fn sets_the_company_policy(b: &Browser) -> anyhow::Result<()> {
    b.goto("/policies").await?;
    let company_form = r#"[data-testid="policy-form"][data-level="company"]"#;
    b.wait_for(company_form).await?;
    b.fill(
        &format!(r#"{company_form} input[name="heartbeat_secs"]"#),
        "5",
    )
    .await?;
    b.click(r#"[data-testid="policy-save"]"#).await?;
    b.wait_for_text("#policy-heartbeat_secs-error", "Use 10 to 300 seconds.")
        .await?;
    screenshot_at(b, r#"[data-testid="policy-form"]"#, "policies-invalid").await?;
    // A valid default, with screenshots on (the computer sends one below).
    b.fill(
        &format!(r#"{company_form} input[name="heartbeat_secs"]"#),
        "60",
    )
    .await?;
    b.wait_for(&format!(r#"{company_form} select[name="screenshot_mode"]"#))
        .await?
        .select_by_value("interval")
        .await?;
    b.click(r#"[data-testid="policy-save"]"#).await?;
    let history = r#"[data-testid="policy-history"] tr[data-audit-action="policy.updated"]"#;
    b.wait_for_text(history, "Heartbeat").await?;
    b.wait_for_text(history, "Screenshots").await?;
    ensure!(
        b.find_all("#policy-heartbeat_secs-error:not(:empty)")
            .await?
            .is_empty(),
        "the heartbeat error stayed after a valid save"
    );
    screenshot_at(b, r#"[data-testid="policy-history"]"#, "policies-history").await?;
    Ok(())
}

/// An override for the owner: web addresses recorded for them only.
async fn overrides_the_owners_policy(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"button.segment[data-level="employee"]"#).await?;
    let employee_form = r#"[data-testid="policy-form"][data-level="employee"]"#;
    b.wait_for(employee_form).await?;
    b.click(&format!(
        r#"{employee_form} input[name="override-track_urls"]"#
    ))
    .await?;
    b.click(&format!(
        r#"{employee_form} [data-setting="track_urls"] .switch"#
    ))
    .await?;
    screenshot_at(b, r#"[data-testid="policy-card"]"#, "policies-override").await?;
    b.click(r#"[data-testid="policy-save"]"#).await?;
    b.wait_for(r#"[data-testid="policy-history"] tr[data-audit-action="policy.override_set"]"#)
        .await?;
    b.wait_for(
        r#"[data-testid="effective-policy"] tr[data-setting="track_urls"][data-source="Employee override"]"#,
    )
    .await?;
    b.wait_for(
        r#"[data-testid="effective-policy"] tr[data-setting="heartbeat_secs"][data-source="Company default"]"#,
    )
    .await?;
    screenshot_at(
        b,
        r#"[data-testid="effective-policy"]"#,
        "policies-effective",
    )
    .await?;
    Ok(())
}

/// The computer reports a stretch of work and a screenshot.
async fn the_computer_reports_work(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    heartbeat(b, http, credential, 1_250).await?;
    let stored = send_activity(b, http, credential, now).await?;
    ensure!(stored.0 == 4, "the batch stored {stored:?}");
    send_screenshot(b, http, credential, now - Duration::minutes(15)).await?;
    send_screenshot(b, http, credential, now - Duration::minutes(5)).await?;
    Ok(())
}

/// Sessions: the day's timeline and list, and the owner's totals in the team view.
async fn sees_the_sessions(b: &Browser) -> anyhow::Result<()> {
    b.goto("/sessions").await?;
    b.wait_for(r#"[data-testid="sessions-timeline"] .timeline-session"#)
        .await?;
    b.wait_for_text(r#"[data-testid="sessions"] tr[data-session-id]"#, "code")
        .await?;
    b.wait_for_text(
        r#"[data-testid="sessions-totals"] [data-total="sessions"]"#,
        "1",
    )
    .await?;
    b.wait_for_text(r#"[data-testid="sessions-summary"]"#, OWNER_NAME)
        .await?;
    b.screenshot_both("sessions").await?;
    // The day before has nothing; "Today" comes back.
    b.click(r#"[data-testid="day-prev"]"#).await?;
    b.wait_for(r#"[data-testid="sessions"] tr.table-empty"#)
        .await?;
    b.screenshot_both("sessions-empty").await?;
    b.click(r#"[data-testid="day-today"]"#).await?;
    b.wait_for(r#"[data-testid="sessions"] tr[data-session-id]"#)
        .await?;
    Ok(())
}

/// Screenshots: thumbnails load as they come into view; the lightbox shows the full
/// image, steps to the next one and deletes it. The owner opening their own
/// screenshots is no "view by someone else".
async fn browses_and_deletes_screenshots(b: &Browser) -> anyhow::Result<()> {
    b.goto("/screenshots").await?;
    let loaded = r#"[data-testid="screenshot-grid"] .shot[data-loaded="true"] img"#;
    b.eventually("two thumbnails", async || {
        Ok((b.find_all(loaded).await?.len() == 2).then_some(()))
    })
    .await?;
    b.screenshot_both("screenshots").await?;
    b.click(r#"[data-testid="screenshot-grid"] li:first-child .shot"#)
        .await?;
    b.wait_for(r#"dialog[open] [data-testid="lightbox-image"]"#)
        .await?;
    b.wait_for_text(r#"dialog[open] [data-testid="lightbox-facts"]"#, "1 of 2")
        .await?;
    b.wait_for_text(
        r#"dialog[open] [data-testid="screenshot-views"]"#,
        "Nobody else",
    )
    .await?;
    b.screenshot_both("screenshots-lightbox").await?;
    b.click(r#"dialog[open] [data-testid="lightbox-next"]"#)
        .await?;
    b.wait_for_text(r#"dialog[open] [data-testid="lightbox-facts"]"#, "2 of 2")
        .await?;
    b.wait_for(r#"dialog[open] [data-testid="lightbox-image"]"#)
        .await?;
    b.click(r#"dialog[open] [data-testid="screenshot-delete"]"#)
        .await?;
    b.click(r#"dialog[open] [data-testid="confirm"]"#).await?;
    b.wait_for_text(r#"dialog[open] [data-testid="lightbox-facts"]"#, "1 of 1")
        .await?;
    b.click(r#"dialog[open] .dialog-close"#).await?;
    b.wait_dialogs_closed().await?;
    b.eventually("one thumbnail left", async || {
        Ok((b
            .find_all(r#"[data-testid="screenshot-grid"] .shot"#)
            .await?
            .len()
            == 1)
            .then_some(()))
    })
    .await?;
    b.wait_for_text(r#"[data-testid="my-screenshot-views"]"#, "Nobody else")
        .await?;
    screenshot_at(
        b,
        r#"[data-testid="my-screenshot-views"]"#,
        "screenshots-views",
    )
    .await?;
    Ok(())
}

/// Revoking the agent, behind a confirmation; its next heartbeat is refused.
async fn revokes_the_agent(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
) -> anyhow::Result<()> {
    let row = agent_row();
    b.goto("/agents").await?;
    b.click(&format!(r#"{row} [data-testid="agent-revoke"]"#))
        .await?;
    b.wait_for_text("dialog[open]", HOST).await?;
    b.screenshot_both("agents-revoke").await?;
    b.click(r#"dialog[open] [data-testid="confirm"]"#).await?;
    b.wait_dialogs_closed().await?;
    b.wait_for(&format!(r#"{row}[data-agent-status="revoked"]"#))
        .await?;
    ensure!(
        b.find_all(&format!(r#"{row} [data-testid="agent-revoke"]"#))
            .await?
            .is_empty(),
        "a revoked agent still offers Revoke"
    );
    let refused = http
        .post(b.url("/api/v1/agent/heartbeat"))
        .bearer_auth(credential)
        .json(&json!({"state": "active", "sent_at": Utc::now()}))
        .send()
        .await?;
    ensure!(
        refused.status() == 401,
        "a revoked agent's heartbeat answered {}",
        refused.status()
    );
    b.screenshot_both("agents-revoked").await?;
    Ok(())
}

/// A heartbeat with a troubled spool: `pending` items waiting, some dropped, some
/// refused.
async fn heartbeat(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
    pending: u32,
) -> anyhow::Result<()> {
    let spool = json!({"pending": pending, "dropped": 12, "dead_letters": 3});
    http.post(b.url("/api/v1/agent/heartbeat"))
        .bearer_auth(credential)
        .json(&json!({"state": "active", "sent_at": Utc::now(), "spool": spool}))
        .send()
        .await?
        .error_for_status()
        .context("sending a heartbeat")?;
    Ok(())
}

/// Forty minutes of work ending a minute ago: three applications and an idle spell.
/// Answers (stored, duplicates).
async fn send_activity(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(u64, u64)> {
    let start = now - Duration::minutes(41);
    let event = |offset_mins: i64, secs: u32, app: &str, active: u32, idle: bool| {
        json!({
            "id": uuid::Uuid::new_v4(),
            "app": app,
            "title": null,
            "url": null,
            "started_at": start + Duration::minutes(offset_mins),
            "duration_secs": secs,
            "keystrokes": active * 2,
            "mouse_events": active,
            "active_secs": active,
            "idle": idle,
        })
    };
    let batch = json!({"events": [
        event(0, 1_200, "code", 1_100, false),
        event(20, 600, "firefox", 500, false),
        event(30, 240, "code", 0, true),
        event(34, 360, "slack", 300, false),
    ]});
    let receipt: serde_json::Value = http
        .post(b.url("/api/v1/agent/activity"))
        .bearer_auth(credential)
        .json(&batch)
        .send()
        .await?
        .error_for_status()
        .context("sending activity")?
        .json()
        .await?;
    Ok((
        receipt["stored"].as_u64().unwrap_or_default(),
        receipt["duplicates"].as_u64().unwrap_or_default(),
    ))
}

async fn send_screenshot(
    b: &Browser,
    http: &reqwest::Client,
    credential: &str,
    captured_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    http.post(b.url("/api/v1/agent/screenshots"))
        .bearer_auth(credential)
        .query(&[
            ("id", uuid::Uuid::new_v4().to_string()),
            ("captured_at", captured_at.to_rfc3339()),
            ("monitor", "0".to_owned()),
        ])
        .header("content-type", "image/png")
        .body(desktop_png(960, 600))
        .send()
        .await?
        .error_for_status()
        .context("uploading a screenshot")?;
    Ok(())
}

/// Like [`Browser::screenshot_both`], with the element matching `css` scrolled to the
/// top at each width (a resize moves what the viewport shows).
async fn screenshot_at(b: &Browser, css: &str, name: &str) -> anyhow::Result<()> {
    b.wait_for(css).await?;
    for viewport in [pulse_e2e::DESKTOP, pulse_e2e::PHONE] {
        b.set_viewport(viewport).await?;
        b.client()
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                vec![json!(css)],
            )
            .await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        b.screenshot(&format!("{name}-{}", viewport.name)).await?;
    }
    b.set_viewport(pulse_e2e::DESKTOP).await?;
    Ok(())
}

/// A PNG that looks a little like a desktop: a title bar, a sidebar and text lines.
/// Encoded by hand (stored deflate blocks) to need no image crate in the tests.
fn desktop_png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::with_capacity((height * (width * 3 + 1)) as usize);
    for y in 0..height {
        raw.push(0); // no filter
        for x in 0..width {
            let pixel: [u8; 3] = if y < 36 {
                [40, 44, 52]
            } else if x < 200 {
                [230, 232, 240]
            } else if (y - 36) % 28 < 10 && x > 240 && x < 240 + (y * 7 % 500) {
                [120, 130, 160]
            } else {
                [250, 250, 252]
            };
            raw.extend_from_slice(&pixel);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    for (index, block) in raw.chunks(65_535).enumerate() {
        let last = index == raw.len().div_ceil(65_535) - 1;
        zlib.push(u8::from(last));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1_u32, 0_u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// The Agent Monitor's row of the owner's computer.
fn agent_row() -> String {
    format!(r#"tr[data-agent-host="{HOST}"]"#)
}

/// How many computers the load-more test starts with: more than the first page's 200.
const FLEET: usize = 250;

/// 250 computers: the first 200 show with "Load more"; it brings the other 50, and the
/// count says so. Three more enroll: the next refresh puts them on top and keeps every
/// row loaded, none twice. Then all 253 go offline at once: one alert says so, and its
/// link opens the Agent Monitor on those computers.
async fn load_more_journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let owner = SignupRequest {
        company_name: "Fleet Holdings".into(),
        name: "Fiona Fleet".into(),
        email: "fiona@fleet.test".into(),
        password: PASSWORD.into(),
    };
    let (_, secret) = app.monitored_owner(&owner, &json!({}), FLEET + 3).await?;
    let http = reqwest::Client::new();
    let mut credentials = step(
        "250 computers enroll",
        enroll_fleet(b, &http, &secret, 1..=FLEET),
    )
    .await?;
    b.sign_in(&owner.email, PASSWORD).await?;
    b.goto("/agents").await?;
    step("the first 200 show", async {
        wait_for_agent_rows(b, 200).await?;
        b.wait_for_text(
            r#"[data-testid="agents-shown"]"#,
            "Showing 200 of 250 computers",
        )
        .await?;
        b.wait_for(r#"[data-testid="agents-card"] [data-testid="load-more"]"#)
            .await?;
        b.screenshot_both_at(r#"[data-testid="agents-shown"]"#, "agents-load-more")
            .await
    })
    .await?;
    step("Load more brings the other 50", async {
        b.click(r#"[data-testid="agents-card"] [data-testid="load-more"]"#)
            .await?;
        wait_for_agent_rows(b, FLEET).await?;
        b.wait_for_text(
            r#"[data-testid="agents-shown"]"#,
            "Showing 250 of 250 computers",
        )
        .await?;
        ensure!(
            b.find_all(r#"[data-testid="agents-card"] [data-testid="load-more"]"#)
                .await?
                .is_empty(),
            "nothing more to load"
        );
        b.screenshot_both_at(r#"[data-testid="agents-shown"]"#, "agents-all-loaded")
            .await?;
        b.fits_a_phone().await
    })
    .await?;
    step("three more enroll: the refresh keeps all 253", async {
        credentials.extend(enroll_fleet(b, &http, &secret, FLEET + 1..=FLEET + 3).await?);
        wait_for_agent_rows(b, FLEET + 3).await?;
        b.wait_for_text(
            r#"[data-testid="agents-shown"]"#,
            "Showing 253 of 253 computers",
        )
        .await?;
        // The newest on top, the oldest still at the bottom.
        let hosts = agent_hosts(b).await?;
        ensure!(
            hosts.first().map(String::as_str) == Some("fleet-253")
                && hosts.last().map(String::as_str) == Some("fleet-001"),
            "newest first, down to the oldest: {:?} … {:?}",
            hosts.first(),
            hosts.last()
        );
        // A few more refreshes (every 5 s) change nothing.
        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        wait_for_agent_rows(b, FLEET + 3).await
    })
    .await?;
    step(
        "the whole fleet goes offline: one alert, which lists its computers",
        async {
            // Each reports once; then the presence job's rounds, as it runs them: online,
            // then silent past the heartbeat and its grace.
            let before = app.now();
            for credential in &credentials {
                heartbeat(b, &http, credential, 0).await?;
            }
            // The server writes heartbeats down every couple of seconds.
            let reported = format!(
                "SELECT count(*) FROM agents WHERE last_seen_at >= '{}'",
                before.to_rfc3339()
            );
            b.eventually("the heartbeats to be written down", async || {
                Ok((app.scalar(&reported).await? == credentials.len() as i64).then_some(()))
            })
            .await?;
            let db = app.db()?;
            let seen = app.now();
            for minutes in [0, 2, 3] {
                pulse_backend::testing::presence_rounds(&db, seen + Duration::minutes(minutes))
                    .await?;
            }
            b.goto("/alerts").await?;
            b.wait_for_text(r#"[data-testid="alerts"]"#, "253 computers went offline")
                .await?;
            b.click(r#"[data-testid="alerts"] [data-testid="alert-computers"]"#)
                .await?;
            b.wait_for(r#"[data-testid="agents-of-alert"]"#).await?;
            ensure!(
                b.path().await?.starts_with("/agents"),
                "the alert's link went to {}",
                b.path().await?
            );
            // Its 253 computers, 200 at a time. (Their status is the server's, whose
            // clock has not moved on with the rounds above: they still show online.)
            wait_for_agent_rows(b, 200).await?;
            b.click(r#"[data-testid="agents-card"] [data-testid="load-more"]"#)
                .await?;
            wait_for_agent_rows(b, FLEET + 3).await?;
            b.screenshot_both("agents-of-alert").await
        },
    )
    .await?;
    Ok(())
}

/// Enrolls computers `fleet-<n>` for the owner, one after another (so that their ids,
/// and the monitor's order, follow `n`).
async fn enroll_fleet(
    b: &Browser,
    http: &reqwest::Client,
    secret: &str,
    numbers: std::ops::RangeInclusive<usize>,
) -> anyhow::Result<Vec<String>> {
    let mut credentials = Vec::new();
    for n in numbers {
        let enrolled: EnrollResponse = http
            .post(b.url("/api/v1/agent/enroll"))
            .json(&json!({
                "token": secret,
                "hostname": format!("fleet-{n:03}"),
                "os": "Windows 11 (x86_64)",
                "agent_version": "0.1.0",
                "employee_email": null,
            }))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("enrolling fleet-{n:03}"))?
            .json()
            .await?;
        credentials.push(enrolled.credential);
    }
    Ok(credentials)
}

/// The host names of the monitor's rows, top to bottom.
async fn agent_hosts(b: &Browser) -> anyhow::Result<Vec<String>> {
    let hosts = b
        .client()
        .execute(
            "return [...document.querySelectorAll('[data-testid=\"agents\"] tr[data-agent-host]')]\
             .map(row => row.dataset.agentHost);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(hosts)?)
}

/// Waits until the monitor shows exactly `expected` rows, each computer once.
async fn wait_for_agent_rows(b: &Browser, expected: usize) -> anyhow::Result<()> {
    let last = std::cell::RefCell::new(Vec::new());
    let found = b
        .eventually(&format!("{expected} computers listed"), async || {
            let hosts = agent_hosts(b).await?;
            let mut distinct = hosts.clone();
            distinct.sort();
            distinct.dedup();
            ensure!(
                distinct.len() == hosts.len(),
                "a computer is listed twice among {} rows",
                hosts.len()
            );
            let done = hosts.len() == expected;
            *last.borrow_mut() = hosts;
            Ok(done.then_some(()))
        })
        .await;
    found.map_err(|error| anyhow::anyhow!("{error:#} ({} rows)", last.borrow().len()))
}
