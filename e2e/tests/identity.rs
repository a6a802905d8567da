//! Browser journey of companies, people and access: an owner signs up, creates a team,
//! invites a manager and an employee (copying each link from the UI), both join in their
//! own browsers, the employee sees only their own profile and cannot open Employees, and
//! the owner finds every step in the Audit log, filters it and exports it as CSV.
//! Screenshots of every page, desktop and phone, light and (for some) dark; on a phone
//! the people, invitations, API keys and audit tables stack one block per row, with
//! their buttons in reach and nothing scrolling sideways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{bail, ensure};
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, SignupForm, serve, step};
use pulse_shared::auth::SessionResponse;

const COMPANY: &str = "Acme Robotics";
const OWNER_NAME: &str = "Olivia Owner";
const OWNER_EMAIL: &str = "olivia@acme.test";
const OWNER_PASSWORD: &str = "owner-password-42";
const MANAGER_NAME: &str = "Max Manager";
const MANAGER_EMAIL: &str = "max@acme.test";
const EMPLOYEE_NAME: &str = "Emma Employee";
const EMPLOYEE_EMAIL: &str = "emma@acme.test";
const JOIN_PASSWORD: &str = "joiner-password-42";
const TEAM: &str = "Engineering";

#[tokio::test]
async fn signup_invite_join_and_audit() -> anyhow::Result<()> {
    let app = serve(|_| {}).await?;
    let owner = Browser::start(&app.base_url).await?;
    let outcome = journey(&app, &owner).await;
    if outcome.is_err() {
        let _ = owner.screenshot("identity-owner-failure").await;
    }
    if let Err(error) = owner.close().await {
        eprintln!("warning: closing the browser: {error:#}");
    }
    outcome
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    step(
        "a signed-out visitor is sent to sign in",
        is_sent_to_sign_in(b),
    )
    .await?;
    step("signs up", signs_up(app, b)).await?;
    step("creates a team", creates_a_team(b)).await?;
    let (manager_link, employee_link) = step(
        "invites a manager and an employee",
        invites_a_manager_and_an_employee(b),
    )
    .await?;
    step("the manager joins", the_manager_joins(app, &manager_link)).await?;
    step(
        "the employee joins and sees only their own",
        the_employee_joins_and_sees_only_their_own(app, &employee_link),
    )
    .await?;
    step(
        "sees both people and every step in the audit log",
        sees_every_step_in_the_audit_log(b),
    )
    .await?;
    step(
        "filters and exports the audit log",
        filters_and_exports_the_audit_log(app, b),
    )
    .await?;
    step(
        "sees the plan and sets the billing address",
        sees_the_plan_and_sets_the_billing_address(b),
    )
    .await?;
    step(
        "finds API keys outside Free, then creates one on Pro",
        creates_an_api_key(app, b),
    )
    .await?;
    step(
        "deactivates the manager, in the dark theme",
        deactivates_the_manager_in_the_dark_theme(b),
    )
    .await?;
    step(
        "deletes and restores the employee",
        deletes_and_restores_the_employee(b),
    )
    .await?;
    step(
        "signs out and back in through a deep link",
        signs_out_and_back_in_through_a_deep_link(b),
    )
    .await?;
    Ok(())
}

/// A signed-out visitor to an app page is sent to sign in.
async fn is_sent_to_sign_in(b: &Browser) -> anyhow::Result<()> {
    b.goto("/people").await?;
    b.wait_for(r#"[data-page="login"]"#).await?;
    b.wait_for_path("/login").await?;
    b.screenshot_both("login").await?;
    Ok(())
}

/// Sign up: the shared validators answer inline before anything is sent.
async fn signs_up(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    b.goto("/signup").await?;
    b.wait_for(r#"[data-page="signup"] form"#).await?;
    b.click(r#"[data-page="signup"] button[type="submit"]"#)
        .await?;
    b.wait_for_text(r#"#signup-company-error"#, "cannot be empty")
        .await?;
    b.screenshot_both("signup-errors").await?;
    // Then sign up for real: the link from the e-mail creates the company.
    let owner = SignupForm {
        company: COMPANY,
        name: OWNER_NAME,
        email: OWNER_EMAIL,
        password: OWNER_PASSWORD,
    };
    pulse_e2e::sign_up(app, b, &owner).await?;
    b.wait_for_text(r#"[data-testid="user-menu"]"#, OWNER_NAME)
        .await?;
    b.wait_for_text(r#"[data-testid="my-profile"]"#, COMPANY)
        .await?;
    b.screenshot_both("overview-owner").await?;

    // The session survives a reload (the refresh cookie restores it).
    b.refresh().await?;
    b.wait_for_text(r#"[data-testid="user-menu"]"#, OWNER_NAME)
        .await?;
    b.wait_for_text(r#"[data-testid="my-profile"]"#, COMPANY)
        .await?;
    // The page asked for the overview's figures while the app loaded (boot.js), and the
    // app took that answer instead of asking again.
    let taken = b
        .evaluate("return !!window.pulseEarly && Object.keys(window.pulseEarly).length === 0;")
        .await?
        == serde_json::Value::Bool(true);
    let asked = b
        .requests()
        .await?
        .into_iter()
        .filter(|request| request.path == "/api/v1/overview")
        .count();
    assert!(
        taken && asked == 1,
        "early answer taken: {taken}, asked {asked} times"
    );
    Ok(())
}

/// A team to invite into.
async fn creates_a_team(b: &Browser) -> anyhow::Result<()> {
    b.goto("/teams").await?;
    b.click(r#"[data-testid="create-team"]"#).await?;
    b.fill(r#"dialog[open] input[name="name"]"#, TEAM).await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    b.wait_for(&format!(r#"tr[data-team-name="{TEAM}"]"#))
        .await?;
    b.wait_dialogs_closed().await?;
    b.screenshot_both("teams").await?;
    Ok(())
}

/// Invite a manager and an employee; each link is read from the dialog.
async fn invites_a_manager_and_an_employee(b: &Browser) -> anyhow::Result<(String, String)> {
    b.goto("/people").await?;
    b.wait_for(&format!(r#"tr[data-person-email="{OWNER_EMAIL}"]"#))
        .await?;
    let manager_link = invite(b, MANAGER_EMAIL, "manager").await?;
    b.screenshot_both("invite-link").await?;
    b.click(r#"[data-testid="invite-done"]"#).await?;
    b.wait_dialogs_closed().await?;
    let employee_link = invite(b, EMPLOYEE_EMAIL, "employee").await?;
    b.click(r#"[data-testid="invite-done"]"#).await?;
    b.wait_dialogs_closed().await?;
    b.wait_for(&format!(
        r#"[data-testid="invitations"] tr[data-invitation-email="{EMPLOYEE_EMAIL}"]"#
    ))
    .await?;
    b.screenshot_both("people").await?;
    b.stacks_on_a_phone(r#"[data-testid="invitations"]"#, "invitations-table")
        .await?;
    Ok((manager_link, employee_link))
}

/// Each joins in a browser of their own (no shared cookies).
async fn the_manager_joins(app: &TestApp, manager_link: &str) -> anyhow::Result<()> {
    let manager = join(app, manager_link, MANAGER_NAME, "Manager", "join").await?;
    manager.wait_for(r#"[data-nav="people"]"#).await?;
    ensure!(
        manager.find_all(r#"[data-nav="audit"]"#).await?.is_empty(),
        "a manager has no Audit log in the navigation"
    );
    ensure!(
        manager
            .find_all(r#"[data-nav="billing"]"#)
            .await?
            .is_empty(),
        "a manager has no Billing in the navigation"
    );
    manager.screenshot_both("overview-manager").await?;
    manager.close().await?;
    Ok(())
}

async fn the_employee_joins_and_sees_only_their_own(
    app: &TestApp,
    employee_link: &str,
) -> anyhow::Result<()> {
    let employee = join(
        app,
        employee_link,
        EMPLOYEE_NAME,
        "Employee",
        "join-employee",
    )
    .await?;
    let employee_checks = async {
        employee
            .wait_for_text(r#"[data-testid="my-profile"]"#, EMPLOYEE_NAME)
            .await?;
        ensure!(
            employee
                .find_all(r#"[data-nav="people"]"#)
                .await?
                .is_empty(),
            "an employee has no Employees link"
        );
        employee.screenshot_both("overview-employee").await?;
        employee.goto("/people").await?;
        employee.wait_for(r#"[data-page="forbidden"] h1"#).await?;
        let text = employee.page_text().await?;
        ensure!(
            !text.contains(OWNER_EMAIL),
            "the forbidden page shows no one else: {text}"
        );
        employee.screenshot_both("forbidden").await?;
        employee.goto("/account").await?;
        employee
            .wait_for_text(r#"[data-testid="profile"]"#, EMPLOYEE_EMAIL)
            .await?;
        employee.screenshot_both("account").await
    }
    .await;
    if employee_checks.is_err() {
        let _ = employee.screenshot("identity-employee-failure").await;
    }
    employee.close().await?;
    employee_checks?;
    Ok(())
}

/// The owner sees both people joined; on a phone each is a block with Manage in reach.
async fn sees_every_step_in_the_audit_log(b: &Browser) -> anyhow::Result<()> {
    b.goto("/people").await?;
    for email in [MANAGER_EMAIL, EMPLOYEE_EMAIL] {
        b.wait_for(&format!(r#"tr[data-person-email="{email}"]"#))
            .await?;
    }
    b.stacks_on_a_phone(r#"[data-testid="people"]"#, "people-table")
        .await?;

    // The Audit log shows every step, and the chain holds.
    b.goto("/audit").await?;
    b.wait_for(r#"[data-page="audit"]"#).await?;
    b.wait_for_text(r#"[data-testid="audit-verify"]"#, "Chain intact")
        .await?;
    for (action, expected) in [
        ("company.created", 1),
        ("user.invited", 2),
        ("user.joined", 2),
    ] {
        let css = format!(r#"tr[data-audit-action="{action}"]"#);
        b.eventually(
            &format!("{expected} × {action} in the audit log"),
            async || Ok((b.find_all(&css).await?.len() == expected).then_some(())),
        )
        .await?;
    }
    b.screenshot_both("audit").await?;
    b.stacks_on_a_phone(r#"[data-testid="audit-events"]"#, "audit-table")
        .await?;
    Ok(())
}

/// Filter by action.
async fn filters_and_exports_the_audit_log(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    b.fill(
        r#"form[data-testid="audit-filters"] input[name="action"]"#,
        "user.invited",
    )
    .await?;
    b.click(r#"[data-testid="audit-apply"]"#).await?;
    b.eventually("only user.invited rows", async || {
        let all = b.find_all("tr[data-audit-action]").await?.len();
        let invited = b
            .find_all(r#"tr[data-audit-action="user.invited"]"#)
            .await?
            .len();
        Ok((all == 2 && invited == 2).then_some(()))
    })
    .await?;
    b.screenshot_both("audit-filtered").await?;

    // Export: the browser saves the file and says so.
    b.click(r#"[data-testid="audit-export"]"#).await?;
    wait_for_toast(b, "Exported 2 events").await?;

    // The same export through the API holds the rows.
    let http = reqwest::Client::new();
    let token = api_login(&http, app).await?;
    let csv = http
        .get(app.url("/api/v1/audit-events.csv?action=user.invited"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let invited_lines = csv
        .lines()
        .filter(|line| line.contains("user.invited"))
        .count();
    ensure!(
        invited_lines == 2,
        "two user.invited lines in the CSV:\n{csv}"
    );
    let csv = http
        .get(app.url("/api/v1/audit-events.csv"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    for action in ["company.created", "user.invited", "user.joined"] {
        ensure!(csv.contains(action), "{action} in the full CSV:\n{csv}");
    }
    Ok(())
}

/// Billing: a new company is on Free with its five seats and sees the three plans; the
/// billing address is checked, saved and still there after a reload.
async fn sees_the_plan_and_sets_the_billing_address(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"a.nav-link[data-nav="billing"]"#).await?;
    b.wait_for(r#"[data-page="billing"] [data-testid="billing-plan"] [data-plan="free"]"#)
        .await?;
    b.wait_for_text(r#"[data-testid="seats"]"#, "0 of 5")
        .await?;
    let bar = b.attr(".seats-bar span", "style").await?;
    ensure!(
        bar.as_deref()
            .is_some_and(|style| style.contains("width: 0%")),
        "no seat used, an empty bar: {bar:?}"
    );
    let plans = b.find_all(r#"[data-testid="plans"] > li"#).await?;
    ensure!(plans.len() == 3, "three plans, found {}", plans.len());
    b.wait_for(r#".plan-card-current[data-plan="free"]"#)
        .await?;
    b.fill(r#"input[name="billing_email"]"#, "not an address")
        .await?;
    b.click(r#"[data-page="billing"] button[type="submit"]"#)
        .await?;
    b.wait_for(r#"input[name="billing_email"][aria-invalid="true"]"#)
        .await?;
    b.fill(r#"input[name="billing_email"]"#, "accounts@acme.test")
        .await?;
    b.click(r#"[data-page="billing"] button[type="submit"]"#)
        .await?;
    wait_for_toast(b, "Invoices go to accounts@acme.test").await?;
    b.refresh().await?;
    let saved = b
        .wait_for(r#"input[name="billing_email"]"#)
        .await?
        .prop("value")
        .await?;
    ensure!(
        saved.as_deref() == Some("accounts@acme.test"),
        "the address is kept: {saved:?}"
    );
    b.screenshot_both("billing").await?;
    Ok(())
}

/// API keys are not part of Free: the page says so and offers no button. On Pro, a
/// key's secret is shown once.
async fn creates_an_api_key(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    b.goto("/api-keys").await?;
    b.wait_for_text(r#"[data-testid="plan-lock"]"#, "not part of the Free plan")
        .await?;
    ensure!(
        b.find_all(r#"[data-testid="create-api-key"]"#)
            .await?
            .is_empty(),
        "no button that could only fail"
    );
    b.screenshot_both("api-keys-locked").await?;
    app.set_plan(OWNER_EMAIL, pulse_shared::billing::PlanId::Pro)
        .await?;
    b.goto("/api-keys").await?;
    b.click(r#"[data-testid="create-api-key"]"#).await?;
    ensure!(
        b.find_all(r#"[data-testid="plan-lock"]"#).await?.is_empty(),
        "Pro includes API keys"
    );
    b.fill(r#"dialog[open] input[name="name"]"#, "Payroll export")
        .await?;
    b.wait_for(r#"dialog[open] select[name="role"]"#)
        .await?
        .select_by_value("manager")
        .await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    let secret = b
        .wait_for(r#"[data-testid="api-key-secret"]"#)
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(!secret.is_empty(), "the secret is shown");
    b.screenshot_both("api-key-secret").await?;
    b.click(r#"[data-testid="api-key-done"]"#).await?;
    b.wait_dialogs_closed().await?;
    b.wait_for(r#"tr[data-api-key-name="Payroll export"]"#)
        .await?;
    ensure!(
        !b.page_text().await?.contains(&secret),
        "the secret is gone once the dialog closes"
    );
    b.screenshot_both("api-keys").await?;
    b.stacks_on_a_phone(r#"[data-testid="api-keys"]"#, "api-keys-table")
        .await?;
    b.goto("/account").await?;
    b.wait_for_text(r#"[data-testid="profile"]"#, OWNER_EMAIL)
        .await?;
    b.screenshot_both("account-owner").await?;
    Ok(())
}

/// Dark theme pictures of the busiest pages.
async fn deactivates_the_manager_in_the_dark_theme(b: &Browser) -> anyhow::Result<()> {
    for _ in 0..3 {
        if b.find_all(r#"html[data-theme="dark"]"#).await?.is_empty() {
            b.click(r#"[data-testid="theme-toggle"]"#).await?;
        }
    }
    b.wait_for(r#"html[data-theme="dark"]"#).await?;
    b.goto("/people").await?;
    b.wait_for(&format!(r#"tr[data-person-email="{EMPLOYEE_EMAIL}"]"#))
        .await?;
    b.screenshot_both("people-dark").await?;

    // Per-row actions: deactivate the manager from the manage dialog.
    b.click(&format!(
        r#"tr[data-person-email="{MANAGER_EMAIL}"] [data-testid="manage-person"]"#
    ))
    .await?;
    b.wait_for(r#"dialog[open] [data-testid="toggle-status"]"#)
        .await?;
    b.screenshot_both("manage-person-dark").await?;
    b.click(r#"dialog[open] [data-testid="toggle-status"]"#)
        .await?;
    b.wait_for(&format!(
        r#"tr[data-person-email="{MANAGER_EMAIL}"][data-person-status="deactivated"]"#
    ))
    .await?;
    b.wait_dialogs_closed().await?;
    Ok(())
}

/// Deleting asks for the name typed out; the owner restores from "Deleted".
async fn deletes_and_restores_the_employee(b: &Browser) -> anyhow::Result<()> {
    let employee_row = format!(r#"tr[data-person-email="{EMPLOYEE_EMAIL}"]"#);
    b.click(&format!(r#"{employee_row} [data-testid="manage-person"]"#))
        .await?;
    b.click(r#"dialog[open] [data-testid="delete-person"]"#)
        .await?;
    b.wait_for(r#"dialog[open] #confirm-typed"#).await?;
    let armed = r#"dialog[open] [data-testid="confirm"]:enabled"#;
    ensure!(
        b.find_all(armed).await?.is_empty(),
        "Delete works before the name is typed"
    );
    b.fill(r#"dialog[open] #confirm-typed"#, "Emma").await?;
    ensure!(
        b.find_all(armed).await?.is_empty(),
        "Delete works with part of the name"
    );
    b.fill(r#"dialog[open] #confirm-typed"#, EMPLOYEE_NAME)
        .await?;
    b.screenshot_both("delete-person-dark").await?;
    b.click(armed).await?;
    b.wait_dialogs_closed().await?;
    b.eventually("the deleted employee leaves the list", async || {
        Ok(b.find_all(&employee_row).await?.is_empty().then_some(()))
    })
    .await?;
    b.wait_for(r#"select[name="status_filter"]"#)
        .await?
        .select_by_value("deleted")
        .await?;
    b.wait_for(&format!(r#"{employee_row} [data-testid="restore-person"]"#))
        .await?;
    b.screenshot_both("people-deleted-dark").await?;
    b.stacks_on_a_phone(r#"[data-testid="people"]"#, "people-deleted-table-dark")
        .await?;
    b.click(&format!(r#"{employee_row} [data-testid="restore-person"]"#))
        .await?;
    b.eventually(
        "the restored employee leaves the deleted list",
        async || Ok(b.find_all(&employee_row).await?.is_empty().then_some(())),
    )
    .await?;
    b.wait_for(r#"select[name="status_filter"]"#)
        .await?
        .select_by_value("active")
        .await?;
    b.wait_for(&format!(r#"{employee_row}[data-person-status="active"]"#))
        .await?;

    b.goto("/audit").await?;
    b.wait_for_text(r#"[data-testid="audit-verify"]"#, "Chain intact")
        .await?;
    b.screenshot_both("audit-dark").await?;
    Ok(())
}

/// Sign out, then sign in again through a deep link: back where we wanted to be.
async fn signs_out_and_back_in_through_a_deep_link(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"[data-testid="sign-out"]"#).await?;
    b.wait_for(r#"[data-page="login"]"#).await?;
    b.screenshot_both("login-dark").await?;
    b.goto("/audit").await?;
    b.wait_for(r#"[data-page="login"]"#).await?;
    b.fill(r#"input[name="email"]"#, OWNER_EMAIL).await?;
    b.fill(r#"input[name="password"]"#, "not the password")
        .await?;
    b.click(r#"[data-page="login"] button[type="submit"]"#)
        .await?;
    b.wait_for_text(r#"[data-page="login"] .form-message"#, "not correct")
        .await?;
    b.fill(r#"input[name="password"]"#, OWNER_PASSWORD).await?;
    b.click(r#"[data-page="login"] button[type="submit"]"#)
        .await?;
    b.wait_for(r#"[data-page="audit"]"#).await?;
    b.wait_for_path("/audit").await
}

/// Opens the invite dialog, invites `email` as `role` into the team and returns the link.
async fn invite(b: &Browser, email: &str, role: &str) -> anyhow::Result<String> {
    b.click(r#"[data-testid="invite-button"]"#).await?;
    b.fill(r#"dialog[open] input[name="email"]"#, email).await?;
    b.wait_for(r#"dialog[open] select[name="role"]"#)
        .await?
        .select_by_value(role)
        .await?;
    // The team list loads with the page; wait for the team to be offered.
    b.wait_for(r#"dialog[open] select[name="team_id"] option:not([value=""])"#)
        .await?;
    b.wait_for(r#"dialog[open] select[name="team_id"]"#)
        .await?
        .select_by_label(TEAM)
        .await?;
    b.click(r#"dialog[open] button[type="submit"]"#).await?;
    let link = b
        .wait_for(r#"[data-testid="invite-link"]"#)
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    ensure!(link.contains("/join#"), "an invitation link: {link:?}");
    Ok(link)
}

/// Opens `link` in a fresh browser, checks what the invitation says, joins and lands
/// signed in on the overview. The browser is returned open.
async fn join(
    app: &TestApp,
    link: &str,
    name: &str,
    role_label: &str,
    screenshot: &str,
) -> anyhow::Result<Browser> {
    let Some((_, token)) = link.split_once('#') else {
        bail!("no token in {link:?}");
    };
    let browser = Browser::start(&app.base_url).await?;
    let steps = async {
        browser.goto(&format!("/join#{token}")).await?;
        browser
            .wait_for_text(r#"[data-testid="invitation"]"#, COMPANY)
            .await?;
        browser
            .wait_for_text(r#"[data-testid="invitation"]"#, role_label)
            .await?;
        browser.screenshot_both(screenshot).await?;
        browser.fill(r#"input[name="name"]"#, name).await?;
        browser
            .fill(r#"input[name="password"]"#, JOIN_PASSWORD)
            .await?;
        browser
            .click(r#"[data-page="join"] button[type="submit"]"#)
            .await?;
        browser.wait_for(r#"[data-page="overview"]"#).await?;
        browser
            .wait_for_text(r#"[data-testid="user-menu"]"#, name)
            .await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Err(error) = steps {
        let _ = browser.screenshot(&format!("{screenshot}-failure")).await;
        let _ = browser.close().await;
        return Err(error);
    }
    Ok(browser)
}

/// Waits until some toast says `needle` (older toasts may still be showing).
async fn wait_for_toast(b: &Browser, needle: &str) -> anyhow::Result<()> {
    b.eventually(&format!("a toast saying {needle:?}"), async || {
        for toast in b.find_all(r#"[data-testid="toast"]"#).await? {
            if toast.text().await.is_ok_and(|text| text.contains(needle)) {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await
}

/// The owner's access token, through the API.
async fn api_login(http: &reqwest::Client, app: &TestApp) -> anyhow::Result<String> {
    let session: SessionResponse = http
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": OWNER_EMAIL, "password": OWNER_PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(session.access_token)
}
