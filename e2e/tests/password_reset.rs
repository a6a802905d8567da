//! Browser journey of a forgotten password: "Forgot your password?" on the sign-in page,
//! the link from the e-mail (read from an SMTP receiver on loopback), a new password,
//! and the person signed in; the old password no longer works.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use anyhow::Context;
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, serve};
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const EMAIL: &str = "rosa@reset.test";
const OLD_PASSWORD: &str = "the-old-password-42";
const NEW_PASSWORD: &str = "the-new-password-42";

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_e_mail() -> anyhow::Result<()> {
    let app = serve(|_| {}).await?;
    app.sign_up(&SignupRequest {
        company_name: "Reset & Co".into(),
        name: "Rosa Reset".into(),
        email: EMAIL.into(),
        password: OLD_PASSWORD.into(),
    })
    .await?
    .error_for_status()?;
    let b = Browser::start(&app.base_url).await?;
    let outcome = journey(&app, &b).await;
    if outcome.is_err() {
        b.record_failure("password-reset").await;
    }
    if let Err(error) = b.close().await {
        eprintln!("warning: closing the browser: {error:#}");
    }
    outcome
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    b.goto("/login").await?;
    b.click(r#"[data-testid="forgot-password"]"#).await?;
    b.wait_for(r#"[data-page="forgot"]"#).await?;
    b.screenshot_both("forgot").await?;
    b.fill(r#"input[name="email"]"#, EMAIL).await?;
    b.click(r#"button[type="submit"]"#).await?;
    b.wait_for_text(r#"[data-testid="reset-sent"]"#, EMAIL)
        .await?;
    b.screenshot_both("forgot-sent").await?;

    let link = app.mailbox.link_to(EMAIL, "/reset#").await?;
    let path = link
        .strip_prefix(&app.config.public_url)
        .context("the link points at this app")?;
    b.goto(path).await?;
    b.wait_for(r#"[data-page="reset"]"#).await?;
    b.screenshot_both("reset").await?;
    b.fill(r#"input[name="password"]"#, NEW_PASSWORD).await?;
    b.click(r#"button[type="submit"]"#).await?;
    b.wait_for(r#"[data-page="overview"]"#).await?;
    b.screenshot_both("reset-signed-in").await?;

    // The old password no longer signs in; the new one does.
    let login = async |password: &str| {
        app.client()
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": EMAIL, "password": password}))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map(|response| response.status().as_u16())
    };
    anyhow::ensure!(
        login(OLD_PASSWORD).await? == 401,
        "the old password still works"
    );
    anyhow::ensure!(
        login(NEW_PASSWORD).await? == 200,
        "the new password does not work"
    );
    Ok(())
}
