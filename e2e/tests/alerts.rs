//! Alerts in the browser: the bell counts alerts raised in the background without a
//! reload, on the replica that raised them and on another one; the time from raising to
//! the bell changing is measured (printed, never asserted: machines are noisy). A second
//! tab of the same person follows read marks made in the first, and the other way round,
//! at once. Then the dropdown, the Alerts page, preferences, and webhooks with a real
//! receiver.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, ensure};
use fantoccini::wd::WindowHandle;
use pulse_backend::testing::{Receiver, TestApp};
use pulse_e2e::{Browser, serve, step};
use pulse_shared::auth::{SessionResponse, SignupRequest};

const OWNER_EMAIL: &str = "olivia@alerts.test";
const PASSWORD: &str = "owner-password-42";
/// Alerts raised per replica for the latency figure.
const SAMPLES: usize = 21;

#[tokio::test]
async fn the_bell_updates_live_across_replicas() -> anyhow::Result<()> {
    let app = serve(|config| {
        config.webhooks_allow_private = true;
        config.webhook_retry_base = Duration::from_millis(200);
        config.outbox_poll = Duration::from_millis(100);
    })
    .await?;
    let replica = app.replica()?;
    let token = signup(&app).await?;

    let on_a = Browser::start(&app.base_url).await?;
    let on_b = Browser::start(&replica.base_url).await?;
    let outcome = journey(&app, &token, &on_a, &on_b).await;
    if outcome.is_err() {
        on_a.record_failure("alerts-a").await;
        on_b.record_failure("alerts-b").await;
    }
    for browser in [on_a, on_b] {
        if let Err(error) = browser.close().await {
            eprintln!("warning: closing a browser: {error:#}");
        }
    }
    outcome
}

async fn journey(app: &TestApp, token: &str, a: &Browser, b: &Browser) -> anyhow::Result<()> {
    step("both browsers sign in", both_browsers_sign_in(a, b)).await?;
    step(
        "the bell counts alerts on both replicas",
        the_bell_counts_alerts_on_both_replicas(app, token, a, b),
    )
    .await?;
    let (first, second) = step(
        "a second tab follows a read mark",
        a_second_tab_follows_a_read_mark(a),
    )
    .await?;
    step(
        "marks all read from the dropdown, and the second tab follows",
        marks_all_read_from_the_dropdown(a, &first, second),
    )
    .await?;
    step("opens the alerts page", opens_the_alerts_page(a)).await?;
    step(
        "registers a webhook and sees its deliveries",
        registers_a_webhook_and_sees_its_deliveries(a),
    )
    .await?;
    Ok(())
}

async fn both_browsers_sign_in(a: &Browser, b: &Browser) -> anyhow::Result<()> {
    a.sign_in(OWNER_EMAIL, PASSWORD).await?;
    b.sign_in(OWNER_EMAIL, PASSWORD).await?;
    wait_unread(a, 0).await?;
    wait_unread(b, 0).await?;
    Ok(())
}

/// Raised through replica A's API: A's own dashboard and B's both count it.
async fn the_bell_counts_alerts_on_both_replicas(
    app: &TestApp,
    token: &str,
    a: &Browser,
    b: &Browser,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let same = measure(app, &http, token, a, 0).await?;
    let across = measure(app, &http, token, b, SAMPLES).await?;
    wait_unread(a, 2 * SAMPLES).await?;
    report("same replica", same);
    report("other replica", across);
    Ok(())
}

/// A second window of browser A (same profile, same person) opens the Alerts page;
/// marking the newest alert read there takes it off the first window's bell at once,
/// and marking it unread again puts it back. Answers both windows' handles, the first
/// one current again.
async fn a_second_tab_follows_a_read_mark(
    a: &Browser,
) -> anyhow::Result<(WindowHandle, WindowHandle)> {
    let unread = 2 * SAMPLES;
    let first = a.client().window().await?;
    let second = a.client().new_window(false).await?.handle;
    a.client().switch_to_window(second.clone()).await?;
    a.goto("/alerts").await?;
    wait_unread(a, unread).await?;
    let newest = r#"[data-page="alerts"] tr[data-alert-id]"#;
    a.wait_for(&format!(r#"{newest}[data-unread="true"]"#))
        .await?;
    a.click(&format!(r#"{newest} [data-testid="alert-toggle-read"]"#))
        .await?;
    a.wait_for(&format!(r#"{newest}[data-unread="false"]"#))
        .await?;
    wait_unread(a, unread - 1).await?;

    a.client().switch_to_window(first.clone()).await?;
    wait_unread(a, unread - 1).await?;
    a.client().switch_to_window(second.clone()).await?;
    a.click(&format!(r#"{newest} [data-testid="alert-toggle-read"]"#))
        .await?;
    a.wait_for(&format!(r#"{newest}[data-unread="true"]"#))
        .await?;
    a.client().switch_to_window(first.clone()).await?;
    wait_unread(a, unread).await?;
    Ok((first, second))
}

/// The dropdown shows the newest; marking all read empties the count here and in the
/// second window, whose Alerts page shows every row read; then that window closes.
async fn marks_all_read_from_the_dropdown(
    a: &Browser,
    first: &WindowHandle,
    second: WindowHandle,
) -> anyhow::Result<()> {
    a.click(r#"[data-testid="alert-bell"]"#).await?;
    a.wait_for(r#"[data-testid="alert-menu"] [data-testid="alert-item"]"#)
        .await?;
    a.screenshot_both("alerts-menu").await?;
    a.click(r#"[data-testid="alert-menu"] [data-testid="alert-mark-all-read"]"#)
        .await?;
    wait_unread(a, 0).await?;

    a.client().switch_to_window(second).await?;
    wait_unread(a, 0).await?;
    a.eventually("every row of the second window's list read", async || {
        let unread = a
            .find_all(r#"[data-page="alerts"] tr[data-unread="true"]"#)
            .await?;
        let read = a
            .find_all(r#"[data-page="alerts"] tr[data-unread="false"]"#)
            .await?;
        Ok((unread.is_empty() && !read.is_empty()).then_some(()))
    })
    .await?;
    a.client().close_window().await?;
    a.client().switch_to_window(first.clone()).await?;
    Ok(())
}

/// The Alerts page: the list, filters, preferences.
async fn opens_the_alerts_page(a: &Browser) -> anyhow::Result<()> {
    a.goto("/alerts").await?;
    a.wait_for(r#"[data-page="alerts"] tr[data-alert-id]"#)
        .await?;
    a.wait_for(r#"[data-testid="alert-preferences"]"#).await?;
    a.screenshot_both("alerts").await?;
    // On a phone: a block per alert with its toggle in reach; the preferences fit too.
    a.stacks_on_a_phone(r#"[data-testid="alerts"]"#, "alerts-table")
        .await?;
    a.fits_a_phone().await?;
    Ok(())
}

/// Webhooks: register the receiver, send a test, see it delivered in the log.
async fn registers_a_webhook_and_sees_its_deliveries(a: &Browser) -> anyhow::Result<()> {
    let receiver = Receiver::start(vec![500])?;
    a.goto("/webhooks").await?;
    a.wait_for(r#"[data-page="webhooks"]"#).await?;
    a.screenshot_both("webhooks-empty").await?;
    a.click(r#"[data-testid="add-webhook"]"#).await?;
    a.fill(r#"dialog[open] input[name="url"]"#, &receiver.url)
        .await?;
    a.fill(r#"dialog[open] input[name="description"]"#, "Incident bot")
        .await?;
    a.click(r#"dialog[open] input[name="kinds"][value="agent_offline"]"#)
        .await?;
    a.click(r#"dialog[open] button[type="submit"]"#).await?;
    let secret = a
        .attr(r#"dialog[open] [data-testid="webhook-secret"]"#, "value")
        .await?
        .unwrap_or_default();
    ensure!(
        secret.starts_with("whsec_"),
        "the secret shown was {secret:?}"
    );
    a.screenshot_both("webhooks-secret").await?;
    a.click(r#"dialog[open] [data-testid="webhook-done"]"#)
        .await?;
    a.wait_dialogs_closed().await?;
    a.wait_for_text(r#"[data-page="webhooks"]"#, "Incident bot")
        .await?;
    a.click(r#"[data-testid="webhook-test"]"#).await?;
    // The receiver fails once; the retry succeeds and the log says so.
    a.eventually("two requests at the receiver", async || {
        Ok((receiver.seen().len() >= 2).then_some(()))
    })
    .await?;
    a.wait_for_text(
        r#"[data-testid="webhook-deliveries"] tr[data-delivery-status="succeeded"]"#,
        "webhook.test",
    )
    .await?;
    a.screenshot_both("webhooks").await?;
    a.click(r#"[data-testid="delivery-details"]"#).await?;
    a.wait_for_text(r#"dialog[open]"#, "500").await?;
    a.screenshot_both("webhook-delivery").await?;
    Ok(())
}

/// Raises `SAMPLES` test alerts through replica A's API while `browser` watches its
/// bell (which shows `before` unread), and answers each one's milliseconds from just
/// before the request to the bell's change, as the browser's own clock saw it.
async fn measure(
    app: &TestApp,
    http: &reqwest::Client,
    token: &str,
    browser: &Browser,
    before: usize,
) -> anyhow::Result<Vec<f64>> {
    browser
        .client()
        .execute(
            r#"
            window.__bell = [];
            let last = null;
            const note = () => {
                const bell = document.querySelector('[data-testid="alert-bell"]');
                const unread = bell && bell.getAttribute('data-unread');
                if (unread !== null && unread !== last) {
                    last = unread;
                    window.__bell.push([Number(unread), Date.now()]);
                }
            };
            new MutationObserver(note).observe(document.body,
                { attributes: true, childList: true, subtree: true, attributeFilter: ['data-unread'] });
            note();
            "#,
            vec![],
        )
        .await
        .context("installing the bell observer")?;
    let mut sent = Vec::new();
    for i in 1..=SAMPLES {
        sent.push(now_ms());
        let raised = http
            .post(app.url("/api/v1/alerts/test"))
            .bearer_auth(token)
            .send()
            .await?;
        ensure!(
            raised.status() == 204,
            "raising answered {}",
            raised.status()
        );
        wait_unread(browser, before + i).await?;
    }
    let seen = browser
        .client()
        .execute("return window.__bell;", vec![])
        .await?;
    let seen: Vec<(usize, f64)> = serde_json::from_value(seen)?;
    (1..=SAMPLES)
        .map(|i| {
            let arrived = seen
                .iter()
                .find(|(unread, _)| *unread == before + i)
                .map(|(_, at)| *at)
                .with_context(|| format!("the bell never showed {}", before + i))?;
            Ok(arrived - sent[i - 1])
        })
        .collect()
}

fn report(what: &str, mut samples: Vec<f64>) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "alert → bell, {what}: median {:.0} ms, p90 {:.0} ms, max {:.0} ms over {} alerts",
        at(0.5),
        at(0.9),
        at(1.0),
        samples.len()
    );
}

async fn wait_unread(browser: &Browser, expected: usize) -> anyhow::Result<()> {
    let expected = expected.to_string();
    browser
        .eventually(&format!("the bell to show {expected} unread"), async || {
            let unread = browser
                .attr(r#"[data-testid="alert-bell"]"#, "data-unread")
                .await?;
            Ok((unread.as_deref() == Some(expected.as_str())).then_some(()))
        })
        .await
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64() * 1000.0)
}

/// Signs the owner up through the API; answers their access token.
async fn signup(app: &TestApp) -> anyhow::Result<String> {
    let session: SessionResponse = app
        .sign_up(&SignupRequest {
            company_name: "Alerting Inc".into(),
            name: "Olivia Owner".into(),
            email: OWNER_EMAIL.into(),
            password: PASSWORD.into(),
        })
        .await?
        .error_for_status()?
        .json()
        .await?;
    // Webhooks are part of the paid plans.
    app.set_plan(OWNER_EMAIL, pulse_shared::billing::PlanId::Pro)
        .await?;
    Ok(session.access_token)
}
