//! Browser test with the keyboard only: an owner whose computer reports signs in, invites
//! a person and revokes the computer's agent with Tab, Shift+Tab, Enter, Space and Escape
//! (and typing), never the mouse. Every stop of the focus must show a focus ring; a
//! dialog keeps the focus inside while open, Escape closes it, and on closing the focus
//! goes back to the button that opened it (or, when revoking took that button away, to
//! the agent's row).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{Context as _, ensure};
use fantoccini::key::Key;
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, step};
use pulse_shared::agents::EnrollResponse;
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const EMAIL: &str = "kim@keys.test";
const PASSWORD: &str = "keyboard-password-42";
const INVITED: &str = "lee@keys.test";
const HOST: &str = "kim-desktop";

/// Presses of Tab allowed to reach one control.
const TABS: usize = 40;

#[tokio::test]
async fn an_owner_invites_and_revokes_with_the_keyboard_only() -> anyhow::Result<()> {
    pulse_e2e::run("keyboard", async |app, b| {
        step("a computer reports", a_computer_reports(app)).await?;
        step("signs in", signs_in(b)).await?;
        step("invites a person", invites_a_person(b)).await?;
        step("revokes the agent", revokes_the_agent(b)).await?;
        Ok(())
    })
    .await
}

/// Set-up over HTTP: Kim owns the company, and her desktop is enrolled and alive.
async fn a_computer_reports(app: &TestApp) -> anyhow::Result<()> {
    let owner = SignupRequest {
        company_name: "Keys Ltd".into(),
        name: "Kim Keys".into(),
        email: EMAIL.into(),
        password: PASSWORD.into(),
    };
    let (_, token) = app.monitored_owner(&owner, &json!({}), 1).await?;
    let enrolled: EnrollResponse = app
        .client()
        .post(app.url("/api/v1/agent/enroll"))
        .json(&json!({
            "token": token,
            "hostname": HOST,
            "os": "Debian 12 (x86_64)",
            "agent_version": "0.1.0",
        }))
        .send()
        .await?
        .error_for_status()
        .context("enrolling the desktop")?
        .json()
        .await?;
    app.client()
        .post(app.url("/api/v1/agent/heartbeat"))
        .bearer_auth(&enrolled.credential)
        .json(&json!({"state": "active", "sent_at": chrono::Utc::now()}))
        .send()
        .await?
        .error_for_status()
        .context("the first heartbeat")?;
    Ok(())
}

async fn signs_in(b: &Browser) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.wait_for(r#"[data-page="login"] form"#).await?;
    b.tab_to(r#"[data-page="login"] input[name="email"]"#, false, TABS)
        .await?;
    b.press(EMAIL).await?;
    b.tab_to(r#"[data-page="login"] input[name="password"]"#, false, TABS)
        .await?;
    b.press(PASSWORD).await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_for(r#"[data-page="overview"]"#).await?;
    Ok(())
}

/// Back from the page to the navigation, to Employees, the invite dialog and back.
async fn invites_a_person(b: &Browser) -> anyhow::Result<()> {
    // Signing in took the form away: the new page has the focus, past the navigation.
    focus_comes_to(b, "main").await?;
    b.tab_to(r#"a.nav-link[data-nav="people"]"#, true, TABS)
        .await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_for(&format!(r#"tr[data-person-email="{EMAIL}"]"#))
        .await?;
    let opener = r#"[data-testid="invite-button"]"#;
    b.tab_to(opener, false, TABS).await?;

    // Escape closes the dialog, and the focus is back on the button.
    b.press(&Key::Enter.to_string()).await?;
    b.wait_for("dialog[open]").await?;
    b.press(&Key::Escape.to_string()).await?;
    b.wait_dialogs_closed().await?;
    focus_comes_to(b, opener).await?;

    // Space opens it too; the address field has the focus.
    b.press(&Key::Space.to_string()).await?;
    b.wait_for("dialog[open]").await?;
    let email = r#"dialog[open] input[name="email"]"#;
    ensure!(
        b.focus_is_on(email).await?,
        "the invite dialog opened with the focus on {}",
        b.focused().await?.describe
    );
    b.press(INVITED).await?;
    stays_inside_the_dialog(b).await?;
    b.screenshot_both("keyboard-invite").await?;
    b.tab_to(r#"dialog[open] button[type="submit"]"#, false, TABS)
        .await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_for(r#"dialog[open] [data-testid="invite-link"]"#)
        .await?;
    b.tab_to(r#"dialog[open] [data-testid="invite-done"]"#, false, TABS)
        .await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_dialogs_closed().await?;
    focus_comes_to(b, opener).await?;
    b.wait_for(&format!(
        r#"[data-testid="invitations"] tr[data-invitation-email="{INVITED}"]"#
    ))
    .await?;
    Ok(())
}

/// To the Agent Monitor backwards through the navigation, then Revoke: cancelled with
/// Escape once, confirmed with Space.
async fn revokes_the_agent(b: &Browser) -> anyhow::Result<()> {
    b.tab_to(r#"a.nav-link[data-nav="agents"]"#, true, TABS)
        .await?;
    b.press(&Key::Enter.to_string()).await?;
    let row = format!(r#"[data-testid="agents"] tr[data-agent-host="{HOST}"]"#);
    b.wait_for(&format!(r#"{row}[data-agent-status="online"]"#))
        .await?;
    let opener = format!(r#"{row} [data-testid="agent-revoke"]"#);
    b.tab_to(&opener, false, TABS).await?;
    b.press(&Key::Enter.to_string()).await?;
    b.wait_for_text("dialog[open]", HOST).await?;
    b.press(&Key::Escape.to_string()).await?;
    b.wait_dialogs_closed().await?;
    focus_comes_to(b, &opener).await?;
    ensure!(
        b.find_all(&format!(r#"{row}[data-agent-status="online"]"#))
            .await?
            .len()
            == 1,
        "Escape revoked the agent"
    );

    b.press(&Key::Enter.to_string()).await?;
    b.wait_for_text("dialog[open]", HOST).await?;
    stays_inside_the_dialog(b).await?;
    b.tab_to(r#"dialog[open] [data-testid="confirm"]"#, false, TABS)
        .await?;
    b.screenshot_both("keyboard-revoke").await?;
    b.press(&Key::Space.to_string()).await?;
    b.wait_dialogs_closed().await?;
    b.wait_for(&format!(r#"{row}[data-agent-status="revoked"]"#))
        .await?;
    b.wait_for_text(".toast", "revoked").await?;
    // The button is gone with the agent's access: the row holds the focus instead.
    focus_comes_to(b, &format!(r#"{row}[data-agent-status="revoked"]"#)).await?;
    Ok(())
}

/// Waits until the focus is on `css` (a closing dialog gives it back after its close
/// event, a new page takes it on the next frame).
async fn focus_comes_to(b: &Browser, css: &str) -> anyhow::Result<()> {
    let back = b
        .eventually(&format!("the focus to come to `{css}`"), async || {
            Ok(b.focus_is_on(css).await?.then_some(()))
        })
        .await;
    match back {
        Ok(()) => Ok(()),
        Err(error) => {
            Err(error.context(format!("the focus is on {}", b.focused().await?.describe)))
        }
    }
}

/// Tab and Shift+Tab a full round each: the focus never leaves the open dialog.
async fn stays_inside_the_dialog(b: &Browser) -> anyhow::Result<()> {
    let stops = b
        .find_all("dialog[open] :is(a[href], button:not([disabled]), input:not([disabled]), select, textarea)")
        .await?
        .len();
    for backwards in [false, true] {
        for _ in 0..=stops {
            if backwards {
                b.press_shift_tab().await?;
            } else {
                b.press(&Key::Tab.to_string()).await?;
            }
            ensure!(
                b.focus_is_on("dialog[open] *").await?,
                "{} took the focus out of the open dialog, to {}",
                if backwards { "Shift+Tab" } else { "Tab" },
                b.focused().await?.describe
            );
        }
    }
    Ok(())
}
