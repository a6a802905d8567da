//! Browser tests of the app shell: it loads, navigates, survives reloads of deep links,
//! shows a not-found page, switches themes; and the API answers JSON, never the SPA.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::Context as _;
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, PHONE, company_owned_by, run, serve};

#[tokio::test]
async fn the_app_loads_on_the_overview() -> anyhow::Result<()> {
    run("app-loads", async |_: &TestApp, b: &Browser| {
        b.goto("/").await?;
        b.wait_for(r#"[data-page="overview"] h1"#).await?;
        // A visitor's start asks whether there is a sign-in to restore, and no request
        // fails (a failed one is an error in the browser's console).
        let answers: Vec<(String, u16)> = b
            .requests()
            .await?
            .into_iter()
            .filter(|request| request.path.starts_with("/api/"))
            .map(|request| (request.path, request.status))
            .collect();
        assert!(
            answers.contains(&("/api/v1/auth/refresh".to_owned(), 204)),
            "{answers:?}"
        );
        assert!(
            answers.iter().all(|(_, status)| *status < 400),
            "a visitor's first page: {answers:?}"
        );
        b.screenshot_both("overview").await
    })
    .await
}

#[tokio::test]
async fn navigation_reaches_the_status_page_on_desktop_and_phone() -> anyhow::Result<()> {
    run("navigation", async |_: &TestApp, b: &Browser| {
        b.goto("/").await?;
        b.wait_for(r#"[data-page="overview"]"#).await?;

        b.click(r#"[data-nav="status"]"#).await?;
        b.wait_for(r#"[data-page="status"]"#).await?;
        b.wait_for_path("/status").await?;
        b.wait_for_text(r#"[data-component="database"]"#, "Up")
            .await?;
        // Signed out, the page says up or down; the details are for owners and admins.
        b.wait_for_text(
            r#"[data-testid="status-details-hidden"]"#,
            "owners and admins",
        )
        .await?;
        b.screenshot_both("status").await?;

        // On a phone the navigation hides behind the menu button.
        b.set_viewport(PHONE).await?;
        b.click(r#"[data-testid="menu-button"]"#).await?;
        b.click(r#"[data-nav="overview"]"#).await?;
        b.wait_for(r#"[data-page="overview"]"#).await?;
        b.wait_for_path("/").await
    })
    .await
}

/// On a phone, signed in, the pages that load several cards draw them from the top down:
/// nothing the reader sees is pushed down when the part above it fills in.
#[tokio::test]
async fn pages_do_not_jump_while_they_load() -> anyhow::Result<()> {
    run("no-jumps", async |app: &TestApp, b: &Browser| {
        let (email, password) = ("olivia@steady.example", "owner-password-42");
        company_owned_by(app, "Steady Inc", email, password).await?;
        b.set_viewport(PHONE).await?;
        b.sign_in(email, password).await?;
        // Each page with what arrives last on it.
        for (path, last) in [
            ("/", r#"[data-testid="my-profile"]"#),
            ("/people", r#"[data-testid="invitations"]"#),
            ("/agents", r#"[data-testid="enrollment-tokens"]"#),
        ] {
            b.goto(path).await?;
            b.wait_for(last).await?;
            b.eventually("the page to finish loading", async || {
                Ok(b.find_all(".page .skeleton")
                    .await?
                    .is_empty()
                    .then_some(()))
            })
            .await?;
            let shift = b.layout_shift().await?;
            assert!(
                shift < 0.01,
                "{path} moved while it loaded: layout shift {shift:.3}"
            );
        }
        Ok(())
    })
    .await
}

/// Signed in, the Overview's figures come first: the shell's own requests (the bell's
/// alerts and their stream, the billing standing) are sent only once the page has what it
/// asked for, so on a slow line they do not hold up its largest paint.
#[tokio::test]
async fn the_shell_asks_for_its_own_after_the_first_page() -> anyhow::Result<()> {
    run("first-page", async |app: &TestApp, b: &Browser| {
        let (email, password) = ("olivia@first.example", "owner-password-42");
        company_owned_by(app, "First Inc", email, password).await?;
        b.sign_in(email, password).await?;
        b.goto("/").await?;
        b.wait_for(r#"[data-testid="my-profile"]"#).await?;
        let shell = [
            "/api/v1/alerts/unread-count",
            "/api/v1/alerts",
            "/api/v1/alerts/stream-tickets",
            "/api/v1/billing",
        ];
        b.eventually("the shell's requests", async || {
            let sent: Vec<String> = b.requests().await?.into_iter().map(|r| r.path).collect();
            Ok(shell
                .iter()
                .all(|path| sent.iter().any(|sent| sent == path))
                .then_some(()))
        })
        .await?;
        let timings = b
            .evaluate(
                "return performance.getEntriesByType('resource')
                    .map((e) => [new URL(e.name).pathname, e.startTime, e.responseEnd]);",
            )
            .await?;
        let timings: Vec<(String, f64, f64)> = serde_json::from_value(timings)?;
        let page_done = timings
            .iter()
            .filter(|(path, ..)| path == "/api/v1/overview" || path == "/api/v1/me/monitoring")
            .map(|(_, _, end)| *end)
            .fold(None, |latest: Option<f64>, end| Some(latest.map_or(end, |l| l.max(end))));
        let page_done = page_done.context("the Overview asked for its figures")?;
        // And after the page's largest paint (the browser's own measure of "drawn").
        let painted = b
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 new PerformanceObserver((list) => {
                     const entries = list.getEntries();
                     done(entries[entries.length - 1].startTime);
                 }).observe({ type: 'largest-contentful-paint', buffered: true });",
                vec![],
            )
            .await?
            .as_f64()
            .context("the browser reported the largest paint")?;
        let page_done = page_done.max(painted);
        for (path, start, _) in timings.iter().filter(|(path, ..)| shell.contains(&path.as_str())) {
            assert!(
                *start >= page_done,
                "{path} was sent at {start} ms, before the Overview had drawn its figures ({page_done} ms)"
            );
        }
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_deep_link_reloads_to_the_same_page() -> anyhow::Result<()> {
    run("deep-link", async |_: &TestApp, b: &Browser| {
        b.goto("/status").await?;
        b.wait_for(r#"[data-page="status"]"#).await?;
        b.refresh().await?;
        b.wait_for(r#"[data-page="status"]"#).await?;
        assert_eq!(b.path().await?, "/status");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn an_unknown_path_shows_the_not_found_page() -> anyhow::Result<()> {
    run("not-found", async |_: &TestApp, b: &Browser| {
        b.goto("/no/such/page").await?;
        b.wait_for(r#"[data-page="not-found"]"#).await?;
        let text = b.page_text().await?;
        assert!(
            text.contains("/no/such/page"),
            "the page names the missing path: {text:?}"
        );
        b.screenshot_both("not-found").await
    })
    .await
}

#[tokio::test]
async fn the_theme_toggle_reaches_dark() -> anyhow::Result<()> {
    run("theme", async |_: &TestApp, b: &Browser| {
        b.goto("/").await?;
        b.wait_for(r#"[data-page="overview"]"#).await?;
        // The toggle cycles light → dark → system; at most three clicks reach dark.
        for _ in 0..3 {
            if b.find_all(r#"html[data-theme="dark"]"#).await?.is_empty() {
                b.click(r#"[data-testid="theme-toggle"]"#).await?;
            }
        }
        b.wait_for(r#"html[data-theme="dark"]"#).await?;
        b.screenshot_both("overview-dark").await
    })
    .await
}

#[tokio::test]
async fn unknown_api_paths_are_json_problems_not_the_spa() -> anyhow::Result<()> {
    let app = serve(|_| {}).await?;
    let http = reqwest::Client::new();

    let response = http.get(app.url("/api/v1/nope")).send().await?;
    assert_eq!(response.status(), 404);
    let content_type = response.headers()["content-type"].to_str()?.to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content-type: {content_type}"
    );
    let problem: serde_json::Value = response.json().await?;
    assert_eq!(problem["status"], 404, "problem: {problem}");

    let response = http.get(app.url("/api/v1/openapi.json")).send().await?;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = response.json().await?;
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi version: {version:?}");
    Ok(())
}
