//! The real agent on a real (virtual) X11 desktop against the real server: Xvfb and
//! openbox, two xterm windows with known classes and titles (one non-ASCII, one on the
//! policy's exclusion list), focused, typed into and clicked with xdotool, while
//! `pulse-agent run` reports through a recording proxy to a `TestApp`. The server must
//! hold the events with those apps, titles and input counts; the excluded window's
//! title must not be in any byte the agent sent. Others check that screenshots are
//! blurred before they leave the computer and never taken of an excluded app, that
//! nothing is recorded outside the policy's working hours, and that a minute without
//! the server, with the agent killed meanwhile, arrives once when it is back.
//!
//! Needs Xvfb, openbox, xdotool and xterm (`cargo xtask test` installs them); without
//! Xvfb the test says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use anyhow::{Context as _, ensure};
use chrono::Datelike as _;
use common::{
    Harness, SECRET_CLASS, SECRET_TITLE, WORK_CLASS, WORK_TITLE, screenshots, terminate,
    usual_policy, wait_for_events,
};
use pulse_agent::capture::Platform as _;
use pulse_backend::testing::TestApp;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_reports_what_is_in_front_and_keeps_excluded_apps_private() -> anyhow::Result<()>
{
    let Some(h) = Harness::enrolled("agent-home", &usual_policy(true)).await? else {
        return Ok(());
    };
    let (app, access, desktop) = (&h.app, h.access.as_str(), &h.desktop);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(h.home.join("config/credential.json"))?.permissions(),
    );
    ensure!(mode & 0o777 == 0o600, "the credential file is {mode:o}");

    // The first screenshot 3 s after the policy came, with the work window in front.
    let (mut running, log) = h.run(&["--flush-secs", "2", "--first-screenshot-secs", "3"])?;
    // The agent fetches the policy (titles on, Secretapp excluded) first.
    log.wait_for("applies", Duration::from_secs(20)).await?;

    desktop.focus(WORK_CLASS)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    desktop.xdotool(&["type", "--delay", "50", "hello world"])?;
    // Click inside the window: a click elsewhere would bring another one to the front.
    let work = desktop.window(WORK_CLASS)?;
    desktop.xdotool(&["mousemove", "--window", &work, "40", "40"])?;
    desktop.xdotool(&["click", "1"])?;
    desktop.xdotool(&["click", "1"])?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The screenshot is taken while the work window is in front.
    log.wait_for("took a screenshot", Duration::from_secs(10))
        .await?;
    desktop.focus(SECRET_CLASS)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    desktop.xdotool(&["type", "--delay", "50", "pin"])?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    desktop.focus(WORK_CLASS)?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // SIGTERM: the open event is spooled; a restart sends it.
    let stopped = terminate(&mut running)?;
    ensure!(
        stopped.success(),
        "the agent stopped with {stopped}: {}",
        log.text()
    );
    let status = h.status()?;
    ensure!(status.contains("Monitoring is ON"), "{status}");
    let (mut again, log_again) = h.run(&["--flush-secs", "2"])?;

    let events = wait_for_events(app, access, |events| {
        events.iter().filter(|e| e.app == WORK_CLASS).count() >= 2
            && events.iter().any(|e| e.app == "Private")
            && events
                .iter()
                .filter(|e| e.app == WORK_CLASS)
                .map(|e| e.keystrokes)
                .sum::<i32>()
                >= 11
    })
    .await;
    terminate(&mut again)?;
    let events = events.with_context(|| format!("agent log:\n{}", log.text()))?;

    let work: Vec<_> = events.iter().filter(|e| e.app == WORK_CLASS).collect();
    ensure!(
        work.iter().all(|e| e.title.as_deref() == Some(WORK_TITLE)),
        "titles: {work:?}"
    );
    let keys: i32 = work.iter().map(|e| e.keystrokes).sum();
    let clicks: i32 = work.iter().map(|e| e.mouse_events).sum();
    ensure!(
        (11..=30).contains(&keys),
        "11 key presses typed, {keys} counted: {work:?}"
    );
    ensure!(clicks >= 2, "2 clicks, {clicks} counted: {work:?}");
    ensure!(work.iter().any(|e| e.active_secs >= 1));
    let private: Vec<_> = events.iter().filter(|e| e.app == "Private").collect();
    ensure!(private.iter().all(|e| e.title.is_none()), "{private:?}");
    ensure!(
        !events.iter().any(|e| e.app == SECRET_CLASS),
        "the excluded app was named: {events:?}"
    );
    let shots = screenshots(app, access).await?;
    ensure!(
        shots.len() == 1,
        "one screenshot in the first minute: {shots:?}\n{}{}",
        log.text(),
        log_again.text()
    );
    ensure!(
        (shots[0]["width"].as_i64(), shots[0]["height"].as_i64()) == (Some(1280), Some(800)),
        "the screenshot is not of the 1280 × 800 screen: {shots:?}"
    );
    ensure!(shots[0]["format"] == "jpeg", "{shots:?}");
    // Not just redacted by the server: never sent at all.
    let sent = h.proxy.sent_text();
    ensure!(
        sent.contains(WORK_TITLE),
        "the recording proxy saw no batch"
    );
    ensure!(
        !sent.contains(SECRET_TITLE) && !sent.contains(SECRET_CLASS),
        "the excluded window left the computer"
    );
    Ok(())
}

/// The backend goes away for a minute (the proxy in front of it refuses and cuts
/// connections) while the agent records typing; the agent is killed with SIGKILL in the
/// middle of it and started again. Once the backend is back, every key typed is on the
/// server exactly once, no two events overlap, and the events cover the minute but for
/// the moments no agent ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_recorded_while_the_server_is_away_arrives_once_even_after_sigkill()
-> anyhow::Result<()> {
    let Some(h) = Harness::enrolled("agent-fault", &usual_policy(false)).await? else {
        return Ok(());
    };
    let (app, access, desktop, proxy) = (&h.app, h.access.as_str(), &h.desktop, &h.proxy);
    desktop.focus(WORK_CLASS)?;
    let (mut first, log) = h.run(&["--flush-secs", "1"])?;
    log.wait_for("applies", Duration::from_secs(20)).await?;
    wait_for_events(app, access, |events| !events.is_empty()).await?;

    proxy.set_down(true);
    let down_at = chrono::Utc::now();
    desktop.xdotool(&["type", "--delay", "50", "abcde"])?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    first.kill()?; // SIGKILL: no chance to flush
    first.wait()?;
    let status = h.status()?;
    ensure!(
        !status.contains("spooled      0 events"),
        "nothing was spooled while the server was away: {status}"
    );
    let (mut second, _) = h.run(&["--flush-secs", "1"])?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    desktop.xdotool(&["type", "--delay", "50", "fghij"])?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let outage = Duration::from_secs(60);
    let away_for = (chrono::Utc::now() - down_at).to_std()?;
    tokio::time::sleep(outage.saturating_sub(away_for)).await;
    let up_at = chrono::Utc::now();
    proxy.set_down(false);

    let events = wait_for_events(app, access, |events| {
        events.iter().map(|e| e.keystrokes).sum::<i32>() >= 10
            && events.iter().any(|e| e.started_at >= up_at)
    })
    .await;
    terminate(&mut second)?;
    let mut events = events?;
    let keys: i32 = events.iter().map(|e| e.keystrokes).sum();
    ensure!(
        keys == 10,
        "10 keys typed while the server was away, {keys} stored: {events:#?}"
    );
    ensure!(
        events
            .iter()
            .any(|e| e.started_at >= down_at && e.started_at < up_at),
        "nothing from the outage arrived: {events:#?}"
    );
    events.sort_by_key(|e| e.started_at);
    for pair in events.windows(2) {
        let end = pair[0].started_at + chrono::Duration::seconds(i64::from(pair[0].duration_secs));
        ensure!(end <= pair[1].started_at, "events overlap: {pair:#?}");
    }
    // Between the SIGKILL and the restart (about a second) nothing ran; the rest of
    // the minute is on the server.
    let covered: i64 = events
        .iter()
        .map(|e| {
            let start = e.started_at.max(down_at);
            let end =
                (e.started_at + chrono::Duration::seconds(i64::from(e.duration_secs))).min(up_at);
            (end - start).num_seconds().max(0)
        })
        .sum();
    ensure!(
        covered >= 50,
        "the events cover {covered} s of the {} s outage: {events:#?}",
        (up_at - down_at).num_seconds()
    );
    let status = h.status()?;
    ensure!(status.contains("0 dead letters"), "{status}");
    Ok(())
}

/// With blur on, the screenshot is blurred before it leaves the computer: the JPEG the
/// agent sent has a tenth of the sharp edges of the same screen captured sharp. While an
/// excluded app is in front, no screenshot is taken at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_are_blurred_on_the_computer_and_never_taken_of_an_excluded_app()
-> anyhow::Result<()> {
    let policy = json!({
        "excluded_apps": [SECRET_CLASS.to_lowercase()],
        "screenshot_mode": "interval",
        "screenshot_interval_mins": 1,
        "blur_screenshots": true,
    });
    let Some(h) = Harness::enrolled("agent-blur", &policy).await? else {
        return Ok(());
    };
    let (app, access, desktop) = (&h.app, h.access.as_str(), &h.desktop);
    let run = ["--first-screenshot-secs", "3"];

    // The excluded app in front when the screenshot is due: none is taken.
    desktop.focus(SECRET_CLASS)?;
    let (mut first, log) = h.run(&run)?;
    log.wait_for(
        "no screenshot: an excluded application is in front",
        Duration::from_secs(30),
    )
    .await?;
    terminate(&mut first)?;

    // The work window in front: one is taken, blurred.
    desktop.focus(WORK_CLASS)?;
    let (mut second, log_second) = h.run(&run)?;
    log_second
        .wait_for("took a screenshot", Duration::from_secs(30))
        .await?;
    let shots = screenshots(app, access).await?;
    terminate(&mut second)?;
    ensure!(
        shots.len() == 1,
        "one screenshot, taken with the work window in front: {shots:?}\n{}{}",
        log.text(),
        log_second.text()
    );
    let sent = sent_jpegs(&h.proxy.sent_bytes());
    ensure!(sent.len() == 1, "{} screenshots sent", sent.len());

    // The same screen, captured sharp here.
    let mut x11 = pulse_agent::capture::x11::X11::connect_to(Some(&desktop.display))?;
    let monitor = x11.monitors()?.remove(0);
    let sharp = pulse_agent::screenshot::encode(x11.screenshot(&monitor)?, false)?;
    let (sharp, blurred) = (sharp_edges(&sharp)?, sharp_edges(&sent[0])?);
    ensure!(
        sharp >= 200 && blurred * 10 <= sharp,
        "the screenshot sent is not blurred: {blurred} sharp edges against {sharp} in the same screen captured sharp"
    );
    Ok(())
}

/// Outside the policy's working hours the agent records nothing, sends no activity,
/// and reports itself paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_recorded_outside_working_hours() -> anyhow::Result<()> {
    // A working day that is neither today nor tomorrow, whatever today is.
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).weekday();
    let policy = json!({
        "heartbeat_secs": 10,
        "time_zone": "UTC",
        "working_hours": {
            "days": [day.to_string().to_lowercase()],
            "start": "00:00",
            "end": "23:59",
        },
    });
    let Some(h) = Harness::enrolled("agent-hours", &policy).await? else {
        return Ok(());
    };
    let (app, access, desktop) = (&h.app, h.access.as_str(), &h.desktop);
    desktop.focus(WORK_CLASS)?;
    let (mut running, log) = h.run(&["--flush-secs", "1"])?;
    log.wait_for(
        "outside the policy's working hours",
        Duration::from_secs(30),
    )
    .await?;
    desktop.xdotool(&["type", "--delay", "50", "after hours"])?;
    let paused = wait_for_agent_state(app, access, "paused").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    terminate(&mut running)?;
    paused.with_context(|| log.text())?;
    let status = h.status()?;
    ensure!(
        status.contains("spooled      0 events") && status.contains("nothing at other times"),
        "{status}"
    );
    let sent = h.proxy.sent_text();
    ensure!(
        sent.contains("/agent/heartbeat") && !sent.contains("/agent/activity"),
        "activity was sent outside working hours"
    );
    Ok(())
}

/// A revoked computer's agent keeps what it records, says so in `status`, and resumes
/// without a restart once the computer is enrolled again: what was typed meanwhile
/// arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_computer_keeps_its_spool_and_resumes_when_enrolled_again() -> anyhow::Result<()>
{
    let Some(h) = Harness::enrolled("agent-revoked", &usual_policy(false)).await? else {
        return Ok(());
    };
    let (app, access, desktop) = (&h.app, h.access.as_str(), &h.desktop);
    desktop.focus(WORK_CLASS)?;
    let (mut running, log) = h.run(&["--flush-secs", "1"])?;
    log.wait_for("applies", Duration::from_secs(20)).await?;
    wait_for_events(app, access, |events| !events.is_empty()).await?;

    let agents: Value = app
        .client()
        .get(app.url("/api/v1/agents"))
        .bearer_auth(access)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let first = agents["items"][0]["id"]
        .as_str()
        .context("no agent")?
        .to_owned();
    app.client()
        .delete(app.url(&format!("/api/v1/agents/{first}")))
        .bearer_auth(access)
        .send()
        .await?
        .error_for_status()?;
    desktop.xdotool(&["type", "--delay", "50", "revoked"])?;
    let outcome = async {
        log.wait_for("no longer accepts", Duration::from_secs(30))
            .await?;
        let status = h.status()?;
        ensure!(status.contains("REFUSED"), "{status}");
        h.enroll()?;
        log.wait_for("a new credential", Duration::from_secs(60))
            .await?;
        let events = wait_for_events(app, access, |events| {
            events.iter().map(|e| e.keystrokes).sum::<i32>() >= 7
        })
        .await?;
        let keys: i32 = events.iter().map(|e| e.keystrokes).sum();
        ensure!(
            keys == 7,
            "7 keys typed while revoked, {keys} stored: {events:#?}"
        );
        let status = h.status()?;
        ensure!(!status.contains("REFUSED"), "{status}");
        Ok(())
    }
    .await;
    terminate(&mut running)?;
    outcome.with_context(|| log.text())
}

/// Waits for the agent to be reported in `state` (its heartbeats are written in batches).
async fn wait_for_agent_state(app: &TestApp, access: &str, state: &str) -> anyhow::Result<()> {
    let mut agents = Value::Null;
    for _ in 0..60 {
        agents = app
            .client()
            .get(app.url("/api/v1/agents"))
            .bearer_auth(access)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if agents["items"][0]["state"] == state {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("the agent was never reported {state}: {agents}")
}

/// The JPEG images in the bytes the agent sent (each screenshot is one request's body).
fn sent_jpegs(bytes: &[u8]) -> Vec<Vec<u8>> {
    let starts =
        (0..bytes.len().saturating_sub(3)).filter(|&i| bytes[i..i + 3] == [0xff, 0xd8, 0xff]);
    starts
        .filter_map(|start| {
            let end = (start + 2..bytes.len() - 1).find(|&i| bytes[i..i + 2] == [0xff, 0xd9])?;
            Some(bytes[start..end + 2].to_vec())
        })
        .filter(|jpeg| image::load_from_memory(jpeg).is_ok())
        .collect()
}

/// How many neighbouring pixels differ sharply in brightness: the edges of text and
/// window borders, which a blur smooths away.
fn sharp_edges(jpeg: &[u8]) -> anyhow::Result<usize> {
    let image = image::load_from_memory(jpeg)?.to_luma8();
    Ok(image
        .rows()
        .map(|row| {
            let row: Vec<u8> = row.map(|pixel| pixel[0]).collect();
            row.windows(2).filter(|w| w[0].abs_diff(w[1]) > 64).count()
        })
        .sum())
}
