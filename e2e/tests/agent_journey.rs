//! The agent journey end to end: a simulated agent (the `pulse-agent simulate` code,
//! run in process) enrolls with a token and reports; the Agent Monitor shows it online
//! without a reload. The agent stops; the presence job turns it offline, the Agent
//! Monitor follows and the "agent offline" alert reaches the bell. Its work then shows
//! on the Sessions page and its screenshots on the Screenshots page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::{Context as _, ensure};
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, serve, step};
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const OWNER_EMAIL: &str = "sim1@journey.test";
const PASSWORD: &str = "journey-password-42";
/// The Agent Monitor's rows of agents.
const AGENT_ROW: &str = r#"[data-testid="agents"] tr[data-agent-host]"#;

#[tokio::test]
async fn a_simulated_agent_goes_online_then_offline_with_an_alert() -> anyhow::Result<()> {
    let app = serve(|config| {
        // Presence is recomputed every second, as a live server does every ten.
        config.presence_every = Duration::from_secs(1);
    })
    .await?;
    let token = prepare(&app).await?;
    let browser = Browser::start(&app.base_url).await?;
    let outcome = journey(&app, &token, &browser).await;
    if outcome.is_err() {
        browser.record_failure("agent-journey").await;
    }
    if let Err(error) = browser.close().await {
        eprintln!("warning: closing the browser: {error:#}");
    }
    outcome
}

/// Signs the owner up (they will be the monitored employee too), makes their policy
/// quick (10 s heartbeats, screenshots on) and answers an enrollment token.
async fn prepare(app: &TestApp) -> anyhow::Result<String> {
    let owner = SignupRequest {
        company_name: "Journey Ltd".into(),
        name: "Sam Sim".into(),
        email: OWNER_EMAIL.into(),
        password: PASSWORD.into(),
    };
    let policy = json!({"heartbeat_secs": 10, "screenshot_mode": "interval"});
    let (_, token) = app.monitored_owner(&owner, &policy, 5).await?;
    Ok(token)
}

async fn journey(app: &TestApp, token: &str, b: &Browser) -> anyhow::Result<()> {
    step("signs in and sees no agents yet", sees_no_agents_yet(b)).await?;
    step(
        "a simulated agent shows online and reports",
        a_simulated_agent_shows_online(app, token, b),
    )
    .await?;
    let unread_before = unread(b).await?;
    step(
        "the stopped agent turns offline with an alert",
        the_stopped_agent_turns_offline_with_an_alert(b, unread_before),
    )
    .await?;
    step(
        "its work shows as sessions and screenshots",
        its_work_shows_as_sessions_and_screenshots(b),
    )
    .await?;
    Ok(())
}

async fn sees_no_agents_yet(b: &Browser) -> anyhow::Result<()> {
    b.sign_in(OWNER_EMAIL, PASSWORD).await?;
    b.goto("/agents").await?;
    b.wait_for(r#"[data-testid="agents"] tr.table-empty"#)
        .await?;
    Ok(())
}

/// The simulator: one agent, quick heartbeats, a batch every 2 s, a screenshot every 3 s.
async fn a_simulated_agent_shows_online(
    app: &TestApp,
    token: &str,
    b: &Browser,
) -> anyhow::Result<()> {
    let options = pulse_agent::simulate::Options {
        screenshot_every: Some(Duration::from_secs(3)),
        ..pulse_agent::simulate::Options::steady(token, 1, Duration::from_secs(600))
    };
    let server = app.base_url.clone();
    let simulator = tokio::spawn(async move { pulse_agent::simulate::run(&server, options).await });

    // Online in the Agent Monitor, without a reload.
    let row = AGENT_ROW;
    b.wait_for_within(
        &format!(r#"{row}[data-agent-status="online"]"#),
        Duration::from_secs(30),
    )
    .await
    .context("the simulated agent never showed online")?;
    b.screenshot_both("journey-agent-online").await?;
    // Let it report a few batches and screenshots, then stop it.
    b.eventually("three batches and a screenshot stored", async || {
        let batches = app
            .scalar("SELECT count(DISTINCT received_at) FROM activity_events")
            .await?;
        let shots = app.scalar("SELECT count(*) FROM screenshots").await?;
        Ok((batches >= 3 && shots >= 1).then_some(()))
    })
    .await?;
    simulator.abort();
    Ok(())
}

/// Silent past its 10 s heartbeat and the 30 s grace: offline, and alerted once.
async fn the_stopped_agent_turns_offline_with_an_alert(
    b: &Browser,
    unread_before: u64,
) -> anyhow::Result<()> {
    let row = AGENT_ROW;
    b.wait_for_within(
        &format!(r#"{row}[data-agent-status="offline"]"#),
        Duration::from_secs(90),
    )
    .await
    .context("the stopped agent never showed offline")?;
    b.eventually("the offline alert reaching the bell", async || {
        Ok((unread(b).await? > unread_before).then_some(()))
    })
    .await?;
    b.screenshot_both("journey-agent-offline").await?;
    b.click(r#"[data-testid="alert-bell"]"#).await?;
    b.wait_for_text(r#"[data-testid="alert-menu"]"#, "is offline")
        .await?;
    b.screenshot_both("journey-alert").await?;
    Ok(())
}

/// Its work, as sessions and screenshots.
async fn its_work_shows_as_sessions_and_screenshots(b: &Browser) -> anyhow::Result<()> {
    b.goto("/sessions").await?;
    b.wait_for(r#"[data-testid="sessions-timeline"] .timeline-session"#)
        .await?;
    b.screenshot_both("journey-sessions").await?;
    b.goto("/screenshots").await?;
    let thumbs = b
        .eventually("screenshot thumbnails", async || {
            let shots = b
                .find_all(r#"[data-testid="screenshot-grid"] .shot[data-loaded="true"]"#)
                .await?;
            Ok((!shots.is_empty()).then_some(shots.len()))
        })
        .await?;
    ensure!(thumbs >= 1, "no screenshot shown");
    b.screenshot_both("journey-screenshots").await?;
    Ok(())
}

/// The bell's unread count.
async fn unread(b: &Browser) -> anyhow::Result<u64> {
    Ok(b.attr(r#"[data-testid="alert-bell"]"#, "data-unread")
        .await?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}
