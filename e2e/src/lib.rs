//! The browser-test harness: the real Pulse server (through `pulse_backend::testing`)
//! driven by headless Chromium over WebDriver (chromedriver + fantoccini).
//!
//! Every test goes through [`run`]: a fresh app on a free port with its own database, a
//! fresh browser with its own profile, a `<name>-failure.png` screenshot when the test
//! fails, and everything torn down afterwards. Tests call [`Browser::screenshot_both`] on
//! each page they visit, so a run leaves desktop and phone pictures of every page under
//! `PULSE_SCREENSHOT_DIR` (`cargo xtask test` points it at `<target>/e2e-screenshots`),
//! and every such page is checked with axe-core at both widths in the light and the dark
//! theme: a serious or critical violation fails the test (see [`Browser::check_accessibility`]).
//!
//! Browser tests run on the system clock, whatever `PULSE_TEST_NOW` says: the page
//! reads the browser's clock, which cannot be moved. Each starts its app through
//! [`serve`], which sees to that.
//!
//! Configuration (all set by `cargo xtask test`):
//! `PULSE_DIST_DIR` (the built SPA, default `<workspace>/dist`),
//! `PULSE_SCREENSHOT_DIR` (default `<workspace>/target/e2e-screenshots`),
//! `PULSE_CHROMEDRIVER` (default `chromedriver`), `PULSE_CHROMIUM` (default `/usr/bin/chromium`),
//! `PULSE_AXE` (axe-core's `axe.min.js`, default
//! `<workspace>/.pulse/tools/node_modules/axe-core/axe.min.js`).

use std::cell::Cell;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use pulse_backend::clock::Clock;
use pulse_backend::config::Config;
use pulse_backend::testing::TestApp;
use serde_json::json;
use tokio::process::{Child, Command};

/// How long a wait for something on the page may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long layout gets to settle after a resize before a screenshot.
const SETTLE: Duration = Duration::from_millis(300);

/// A browser viewport size, named for the screenshot files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
}

/// A laptop screen.
pub const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 800,
};
/// A current phone held upright.
pub const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
};

/// The app a browser test drives: the built SPA, on the system clock (the browser's),
/// after `adjust` has changed the rest of its configuration.
pub async fn serve(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<TestApp> {
    let dist = dist_dir()?;
    TestApp::spawn_with(|config| {
        config.dist_dir = dist;
        config.clock = Clock::system();
        adjust(config);
    })
    .await
}

/// Runs one browser test against its own app and browser; screenshots the page as
/// `<name>-failure.png` (plus the page's HTML) when the test returns an error.
pub async fn run(
    name: &str,
    test: impl AsyncFnOnce(&TestApp, &Browser) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    run_with(name, |_| {}, test).await
}

/// [`run`], with the app's configuration changed by `adjust` first.
pub async fn run_with(
    name: &str,
    adjust: impl FnOnce(&mut Config),
    test: impl AsyncFnOnce(&TestApp, &Browser) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let app = serve(|config| {
        // The presence job runs as on a live server (every ten seconds there).
        config.presence_every = std::time::Duration::from_secs(1);
        adjust(config);
    })
    .await?;
    let browser = Browser::start(&app.base_url).await?;
    let outcome = test(&app, &browser).await;
    if outcome.is_err() {
        browser.record_failure(name).await;
    }
    if let Err(error) = browser.close().await {
        eprintln!("warning: closing the browser: {error:#}");
    }
    drop(app);
    outcome
}

/// Runs one named step of a journey: an error within it reads `step "<name>": …`, so a
/// failing journey says where it stopped; steps that pass are listed in the test's
/// output with their time.
pub async fn step<T>(
    name: &str,
    work: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    let outcome = work.await.with_context(|| format!("step \"{name}\""))?;
    eprintln!(
        "step \"{name}\": done in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(outcome)
}

/// What the sign-up form is filled with.
pub struct SignupForm<'a> {
    pub company: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// A request a page made ([`Browser::requests`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The URL's path, e.g. `/api/v1/auth/refresh`.
    pub path: String,
    /// What made it: `link` (a preload), `fetch`, `script`, `css`…
    pub initiator: String,
    /// The answer's HTTP status.
    pub status: u16,
}

/// Creates a company through the API, owned by Olivia Owner at `email`, ready to sign in.
pub async fn company_owned_by(
    app: &TestApp,
    company: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    app.sign_up(&pulse_shared::auth::SignupRequest {
        company_name: company.into(),
        name: "Olivia Owner".into(),
        email: email.into(),
        password: password.into(),
    })
    .await?
    .error_for_status()
    .with_context(|| format!("creating {company}"))?;
    Ok(())
}

/// Signs up through the pages as a person does: fills the form, follows the link the
/// app e-mailed (read from its mailbox) and confirms; ends on the overview, signed in.
pub async fn sign_up(app: &TestApp, b: &Browser, form: &SignupForm<'_>) -> anyhow::Result<()> {
    b.goto("/signup").await?;
    b.fill(r#"input[name="company_name"]"#, form.company)
        .await?;
    b.fill(r#"input[name="name"]"#, form.name).await?;
    b.fill(r#"input[name="email"]"#, form.email).await?;
    b.fill(r#"input[name="password"]"#, form.password).await?;
    b.click(r#"[data-page="signup"] button[type="submit"]"#)
        .await?;
    b.wait_for_text(r#"[data-testid="signup-sent"]"#, form.email)
        .await?;
    b.screenshot_both("signup-sent").await?;
    let link = app.mailbox.link_to(form.email, "/verify#").await?;
    let path = link
        .strip_prefix(&app.config.public_url)
        .context("the sign-up link points at this app")?;
    b.goto(path).await?;
    b.wait_for(r#"[data-page="verify"]"#).await?;
    b.screenshot_both("verify").await?;
    b.click(r#"[data-page="verify"] button[type="submit"]"#)
        .await?;
    b.wait_for(r#"[data-page="overview"]"#).await?;
    Ok(())
}

/// The built SPA: `PULSE_DIST_DIR`, or `dist/` at the workspace root.
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("PULSE_DIST_DIR")
        .map_or_else(|| workspace_root().join("dist"), PathBuf::from);
    if !dir.join("index.html").is_file() {
        bail!(
            "the SPA is not built ({} is missing): run `cargo xtask test`, which builds the SPA first",
            dir.join("index.html").display()
        );
    }
    Ok(dir)
}

/// Where screenshots go: `PULSE_SCREENSHOT_DIR`, or `target/e2e-screenshots`.
pub fn screenshot_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("PULSE_SCREENSHOT_DIR").map_or_else(
        || workspace_root().join("target/e2e-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// A time zone (fixed offset, no daylight saving) in which `now` is around noon.
///
/// Rationale: pages show local days, and a test that sends a stretch of activity and then
/// looks at "today" fails when local midnight falls in between. In this zone the day in
/// the browser has hours behind and ahead of it, whenever the suite runs.
pub fn midday_zone(now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    // UTC+12 at 00:xx UTC down to UTC-11 at 23:xx; the `Etc` names count west as plus.
    let east = 12 - i64::from(now.hour());
    match east {
        0 => "Etc/UTC".to_owned(),
        east if east > 0 => format!("Etc/GMT-{east}"),
        west => format!("Etc/GMT+{}", -west),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Headless Chromium behind its own chromedriver, pointed at one app.
///
/// Close it with [`Browser::close`]; dropping it without closing still ends the session,
/// chromedriver and any Chromium process of its profile, and removes the profile.
pub struct Browser {
    client: Client,
    base_url: String,
    screenshots: PathBuf,
    viewport: Cell<Viewport>,
    driver: Child,
    driver_port: u16,
    session_id: String,
    closed: bool,
    profile: ProfileDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a Chromium session for `base_url`.
    pub async fn start(base_url: &str) -> anyhow::Result<Self> {
        let chromedriver =
            std::env::var_os("PULSE_CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into());
        let chromium =
            std::env::var("PULSE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let screenshots = screenshot_dir()?;
        let profile = ProfileDir::create()?;
        let driver_port = free_port()?;
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            // Chromium inherits the zone: the browser's day is never about to end.
            .env("TZ", midday_zone(chrono::Utc::now()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "could not start {} (set PULSE_CHROMEDRIVER, or run `cargo xtask test`)",
                    chromedriver.to_string_lossy()
                )
            })?;
        let driver_url = format!("http://127.0.0.1:{driver_port}");
        wait_until_ready(&mut driver, &driver_url).await?;

        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", profile.0.display()),
            &format!("--window-size={},{}", DESKTOP.width, DESKTOP.height),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            bail!("capabilities must be a JSON object");
        };
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities);
        let client = builder.connect(&driver_url).await.with_context(|| {
            format!("opening a Chromium session ({chromium}) through chromedriver")
        })?;
        let session_id = client.session_id().await?.unwrap_or_default();
        let browser = Self {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            screenshots,
            viewport: Cell::new(DESKTOP),
            driver,
            driver_port,
            session_id,
            closed: false,
            profile,
        };
        browser.set_viewport(DESKTOP).await?;
        Ok(browser)
    }

    /// Ends the session (Chromium quits), then chromedriver; removes the profile.
    pub async fn close(mut self) -> anyhow::Result<()> {
        let closed = self.client.clone().close().await;
        self.closed = closed.is_ok();
        let _ = self.driver.start_kill();
        let _ = self.driver.wait().await;
        closed.context("closing the WebDriver session")
        // Drop finishes the clean-up.
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The absolute URL of `path` on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Opens `path` of the app.
    pub async fn goto(&self, path: &str) -> anyhow::Result<()> {
        self.client
            .goto(&self.url(path))
            .await
            .with_context(|| format!("opening {path}"))
    }

    /// Reloads the current page.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        self.client.refresh().await.context("reloading the page")
    }

    /// Waits (up to [`TIMEOUT`]) for an element matching `css`.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<Element> {
        self.wait_for_within(css, TIMEOUT).await
    }

    /// Waits up to `timeout` for an element matching `css`.
    pub async fn wait_for_within(&self, css: &str, timeout: Duration) -> anyhow::Result<Element> {
        match self
            .client
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(50))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(CmdError::WaitTimeout) => {
                bail!(
                    "`{css}` did not appear within {timeout:?} on {}",
                    self.location().await
                )
            }
            Err(error) => Err(error).with_context(|| format!("looking for `{css}`")),
        }
    }

    /// All elements matching `css` right now (possibly none).
    pub async fn find_all(&self, css: &str) -> anyhow::Result<Vec<Element>> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .with_context(|| format!("looking for `{css}`"))
    }

    /// Clicks the element matching `css` once it is there and clickable (it may still be
    /// sliding in, or covered for a moment).
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.eventually(&format!("`{css}` to be clickable"), async || {
            let element = self.wait_for(css).await?;
            match element.click().await {
                Ok(()) => Ok(Some(())),
                Err(CmdError::Standard(error))
                    if matches!(
                        error.error,
                        ErrorStatus::ElementNotInteractable
                            | ErrorStatus::ElementClickIntercepted
                            | ErrorStatus::StaleElementReference
                    ) =>
                {
                    Ok(None)
                }
                Err(error) => Err(error).with_context(|| format!("clicking `{css}`")),
            }
        })
        .await
    }

    /// Waits until the element matching `css` contains `needle` in its text; returns the text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> anyhow::Result<String> {
        let last = std::cell::RefCell::new(String::new());
        let found = self
            .eventually(&format!("`{css}` to contain {needle:?}"), async || {
                let Some(element) = self.find_all(css).await?.into_iter().next() else {
                    return Ok(None);
                };
                let text = match element.text().await {
                    Ok(text) => text,
                    Err(CmdError::Standard(error))
                        if error.error == ErrorStatus::StaleElementReference =>
                    {
                        return Ok(None);
                    }
                    Err(error) => return Err(error.into()),
                };
                let hit = text.contains(needle);
                *last.borrow_mut() = text.clone();
                Ok(hit.then_some(text))
            })
            .await;
        found.map_err(|error| anyhow::anyhow!("{error:#} (its text was {:?})", last.borrow()))
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> anyhow::Result<String> {
        Ok(self.wait_for("body").await?.text().await?)
    }

    /// Every request the page has made, from its resource timing, oldest first.
    pub async fn requests(&self) -> anyhow::Result<Vec<Request>> {
        let entries = self
            .client
            .execute(
                "return performance.getEntriesByType('resource')
                    .map((e) => [new URL(e.name).pathname, e.initiatorType, e.responseStatus]);",
                vec![],
            )
            .await?;
        let entries: Vec<(String, String, u16)> = serde_json::from_value(entries)?;
        Ok(entries
            .into_iter()
            .map(|(path, initiator, status)| Request {
                path,
                initiator,
                status,
            })
            .collect())
    }

    /// What `script` (a function body, `return …`) answers in the page.
    pub async fn evaluate(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// The path of the current URL, e.g. `/status`.
    pub async fn path(&self) -> anyhow::Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    /// Waits until the current URL's path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> anyhow::Result<()> {
        self.eventually(&format!("the path to become {path}"), async || {
            Ok((self.path().await? == path).then_some(()))
        })
        .await
    }

    /// Replaces the text of the input matching `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let input = self.wait_for(css).await?;
        input.clear().await?;
        input
            .send_keys(text)
            .await
            .with_context(|| format!("typing into `{css}`"))
    }

    /// Waits until no `<dialog>` is open.
    pub async fn wait_dialogs_closed(&self) -> anyhow::Result<()> {
        self.eventually("the dialog to close", async || {
            Ok(self
                .find_all("dialog[open]")
                .await?
                .is_empty()
                .then_some(()))
        })
        .await
    }

    /// Signs in through the login page and waits for the overview.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<()> {
        self.goto("/login").await?;
        self.fill(r#"[data-page="login"] input[name="email"]"#, email)
            .await?;
        self.fill(r#"[data-page="login"] input[name="password"]"#, password)
            .await?;
        self.click(r#"[data-page="login"] button[type="submit"]"#)
            .await?;
        self.wait_for(r#"[data-page="overview"]"#).await?;
        Ok(())
    }

    /// An attribute of the element matching `css` (waiting for the element).
    pub async fn attr(&self, css: &str, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self.wait_for(css).await?.attr(name).await?)
    }

    /// Polls `check` every 50 ms until it yields a value or [`TIMEOUT`] passes.
    pub async fn eventually<T>(
        &self,
        what: &str,
        mut check: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(value) = check().await? {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!(
                    "timed out after {TIMEOUT:?} waiting for {what} on {}",
                    self.location().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends a Chrome DevTools Protocol command (`Emulation.setEmulatedMedia`,
    /// `Browser.setDownloadBehavior`, …) to the page through chromedriver's
    /// `goog/cdp/execute`, which WebDriver itself has no word for; answers its result.
    pub async fn cdp(
        &self,
        command: &str,
        params: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!(
            "http://127.0.0.1:{}/session/{}/goog/cdp/execute",
            self.driver_port, self.session_id
        );
        let response = reqwest::Client::new()
            .post(url)
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .with_context(|| format!("sending {command} to chromedriver"))?;
        let status = response.status();
        let mut answer: serde_json::Value = response.json().await?;
        if !status.is_success() {
            bail!("{command} answered {status}: {answer}");
        }
        Ok(answer["value"].take())
    }

    /// Saves what the page downloads into `folder`, without asking (the browser-wide
    /// command, or the page's where chromedriver offers only that one).
    pub async fn allow_downloads(&self, folder: &std::path::Path) -> anyhow::Result<()> {
        let behavior = json!({ "behavior": "allow", "downloadPath": folder.to_string_lossy() });
        if self
            .cdp("Browser.setDownloadBehavior", behavior.clone())
            .await
            .is_err()
        {
            self.cdp("Page.setDownloadBehavior", behavior)
                .await
                .context("letting the browser download")?;
        }
        Ok(())
    }

    /// Resizes the window so that the page's viewport is exactly `viewport`.
    pub async fn set_viewport(&self, viewport: Viewport) -> anyhow::Result<()> {
        let (width, height) = (viewport.width, viewport.height);
        self.client
            .set_window_size(width, height)
            .await
            .context("resizing the window")?;
        // The window may be larger than its viewport (browser chrome): correct once.
        let (inner_width, inner_height) = self.inner_size().await?;
        if (inner_width, inner_height) != (width, height) {
            let outer_width = (2 * width).saturating_sub(inner_width);
            let outer_height = (2 * height).saturating_sub(inner_height);
            self.client
                .set_window_size(outer_width, outer_height)
                .await
                .context("resizing the window")?;
        }
        self.viewport.set(viewport);
        Ok(())
    }

    /// The current viewport size in CSS pixels.
    async fn inner_size(&self) -> anyhow::Result<(u32, u32)> {
        let size = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .context("measuring the viewport")?;
        let dimension = |i: usize| {
            size.get(i)
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
        };
        dimension(0)
            .zip(dimension(1))
            .context("the viewport size is not two numbers")
    }

    /// Saves a PNG of the viewport as `<screenshot dir>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Saves `<name>-desktop.png` (1280×800) and `<name>-phone.png` (390×844), checks the
    /// page with axe-core at each width in both themes (failing on a serious or critical
    /// violation), then restores the viewport the test was using.
    pub async fn screenshot_both(&self, name: &str) -> anyhow::Result<()> {
        let before = self.viewport.get();
        let mut found = Vec::new();
        for viewport in [DESKTOP, PHONE] {
            self.set_viewport(viewport).await?;
            tokio::time::sleep(SETTLE).await;
            self.screenshot(&format!("{name}-{}", viewport.name))
                .await?;
            found.extend(self.axe_violations(viewport).await?);
        }
        self.set_viewport(before).await?;
        tokio::time::sleep(SETTLE).await;
        self.fail_on(name, found).await
    }

    /// Like [`Browser::screenshot_both`], with the element matching `css` scrolled to the
    /// top of the viewport at each width: for what lies below the fold (a chart, a table).
    pub async fn screenshot_both_at(&self, css: &str, name: &str) -> anyhow::Result<()> {
        self.wait_for(css).await?;
        let before = self.viewport.get();
        let mut found = Vec::new();
        for viewport in [DESKTOP, PHONE] {
            self.set_viewport(viewport).await?;
            self.client
                .execute(
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                    vec![json!(css)],
                )
                .await
                .with_context(|| format!("scrolling to `{css}`"))?;
            tokio::time::sleep(SETTLE).await;
            self.screenshot(&format!("{name}-{}", viewport.name))
                .await?;
            found.extend(self.axe_violations(viewport).await?);
        }
        self.set_viewport(before).await?;
        tokio::time::sleep(SETTLE).await;
        self.fail_on(name, found).await
    }

    /// Checks the page as it is with axe-core, at the current width in the light and the
    /// dark theme: fails with the list of serious and critical violations (rule, impact,
    /// the elements, what to do) when there is any. [`Browser::screenshot_both`] calls it
    /// at both widths; call it for a state that is not photographed.
    pub async fn check_accessibility(&self, name: &str) -> anyhow::Result<()> {
        let found = self.axe_violations(self.viewport.get()).await?;
        self.fail_on(name, found).await
    }

    /// The serious and critical axe-core violations of the page at `viewport`, in each theme.
    async fn axe_violations(&self, viewport: Viewport) -> anyhow::Result<Vec<Violation>> {
        let present = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .context("looking for axe-core in the page")?;
        if present != json!(true) {
            self.client
                .execute(axe_source()?, vec![])
                .await
                .context("injecting axe-core into the page")?;
        }
        let answer = self
            .client
            .execute_async(AXE_RUN, vec![])
            .await
            .context("running axe-core")?;
        if let Some(error) = answer["error"].as_str() {
            bail!("axe-core failed on {}: {error}", self.location().await);
        }
        let empty = Vec::new();
        Ok(answer["violations"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .map(|found| Violation {
                rule: text(&found["id"]),
                impact: text(&found["impact"]),
                help: text(&found["help"]),
                help_url: text(&found["helpUrl"]),
                targets: found["targets"]
                    .as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(text)
                    .collect(),
                summary: text(&found["summary"]),
                seen: vec![format!(
                    "{}, {} theme",
                    viewport.name,
                    text(&found["theme"])
                )],
            })
            .collect())
    }

    /// Fails with a readable list when `found` holds any violation, the same violation
    /// at several widths or themes listed once.
    async fn fail_on(&self, name: &str, found: Vec<Violation>) -> anyhow::Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        let mut merged: Vec<Violation> = Vec::new();
        for violation in found {
            match merged
                .iter_mut()
                .find(|seen| seen.rule == violation.rule && seen.targets == violation.targets)
            {
                Some(seen) => seen.seen.extend(violation.seen),
                None => merged.push(violation),
            }
        }
        let mut report = format!(
            "axe-core found {} serious or critical accessibility violation(s) on \"{name}\" ({}):",
            merged.len(),
            self.location().await
        );
        for violation in &merged {
            report.push_str(&format!(
                "\n- {} ({}) at {}: {}\n    {}\n    {}\n    {}",
                violation.rule,
                violation.impact,
                violation.seen.join("; "),
                violation.help,
                violation.targets.join(" | "),
                violation.summary.replace('\n', " "),
                violation.help_url,
            ));
        }
        bail!(report)
    }

    /// Presses `keys` one after another on the focused element, as a person at the
    /// keyboard does (each key down, then up): [`fantoccini::key::Key`] for Tab, Enter,
    /// Escape and the like, or plain characters to type.
    pub async fn press(&self, keys: &str) -> anyhow::Result<()> {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client
            .perform_actions(actions)
            .await
            .with_context(|| format!("pressing {keys:?}"))
    }

    /// Shift+Tab: focus goes back one stop.
    pub async fn press_shift_tab(&self) -> anyhow::Result<()> {
        use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
        use fantoccini::key::Key;
        let (shift, tab) = (char::from(Key::Shift), char::from(Key::Tab));
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab })
            .then(KeyAction::Up { value: shift });
        self.client
            .perform_actions(actions)
            .await
            .context("pressing Shift+Tab")
    }

    /// How far the page's content moved while it loaded: the layout shifts the browser
    /// recorded since the page was opened, not caused by input, summed as Cumulative
    /// Layout Shift sums them (0 is a page that never jumped; 0.1 is where web teams
    /// start to call it poor).
    pub async fn layout_shift(&self) -> anyhow::Result<f64> {
        let answer = self
            .client
            .execute_async(LAYOUT_SHIFT, vec![])
            .await
            .context("reading the page's layout shifts")?;
        answer
            .as_f64()
            .with_context(|| format!("the layout shift was {answer}"))
    }

    /// Whether the focused element matches `css`.
    pub async fn focus_is_on(&self, css: &str) -> anyhow::Result<bool> {
        let matches = self
            .client
            .execute(
                "const el = document.activeElement; return !!el && el.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .context("looking at the focused element")?;
        Ok(matches == json!(true))
    }

    /// Presses Tab (or Shift+Tab when `backwards`) until the focused element matches
    /// `css` (none when it already does), at most `limit` times; fails listing where focus
    /// went. At every stop the focus must be visible (a `:focus-visible` outline or ring).
    pub async fn tab_to(&self, css: &str, backwards: bool, limit: usize) -> anyhow::Result<()> {
        if self.focus_is_on(css).await? {
            return Ok(());
        }
        let mut visited = Vec::new();
        for _ in 0..limit {
            if backwards {
                self.press_shift_tab().await?;
            } else {
                self.press(&fantoccini::key::Key::Tab.to_string()).await?;
            }
            let focused = self.focused().await?;
            if !focused.visible_focus {
                bail!(
                    "focus on {} is not visible (no :focus-visible outline or ring)",
                    focused.describe
                );
            }
            if self.focus_is_on(css).await? {
                return Ok(());
            }
            visited.push(focused.describe);
        }
        bail!(
            "`{css}` was not reached with {limit} presses of {}; focus went to: {}",
            if backwards { "Shift+Tab" } else { "Tab" },
            visited.join(", ")
        )
    }

    /// What has the focus, in words (`button "Invite"`), and whether it shows.
    pub async fn focused(&self) -> anyhow::Result<Focused> {
        let answer = self
            .client
            .execute(FOCUSED, vec![])
            .await
            .context("looking at the focused element")?;
        Ok(Focused {
            describe: text(&answer["describe"]),
            visible_focus: answer["visible"] == json!(true),
        })
    }

    /// At phone width, neither the page nor any table (`.table-scroll`) scrolls sideways:
    /// each `scrollWidth` is at most its `clientWidth`. Restores the viewport.
    pub async fn fits_a_phone(&self) -> anyhow::Result<()> {
        let before = self.viewport.get();
        self.set_viewport(PHONE).await?;
        tokio::time::sleep(SETTLE).await;
        let overflow = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth - window.innerWidth, \
                 ...[...document.querySelectorAll('.table-scroll')].map(t => t.scrollWidth - t.clientWidth)];",
                vec![],
            )
            .await
            .context("measuring what scrolls sideways");
        self.set_viewport(before).await?;
        let overflow: Vec<i64> = serde_json::from_value(overflow?)?;
        if overflow.iter().any(|width| *width > 0) {
            bail!(
                "something scrolls sideways on a phone (px past the edge, page first, then each table): {overflow:?} on {}",
                self.location().await
            );
        }
        Ok(())
    }

    /// The table matching `table` (which has rows) stacks on a phone: every row is one
    /// block laid out as a grid, the headings are out of sight, every button and link in
    /// it lies within the screen, and neither the table nor the page scrolls sideways.
    /// Photographs it at both widths (scrolled to it) as `<name>-desktop.png` and
    /// `<name>-phone.png`.
    pub async fn stacks_on_a_phone(&self, table: &str, name: &str) -> anyhow::Result<()> {
        self.wait_for(&format!("{table} > tbody > tr:not(.table-empty)"))
            .await?;
        let before = self.viewport.get();
        self.set_viewport(PHONE).await?;
        tokio::time::sleep(SETTLE).await;
        let measured = self
            .client
            .execute(
                r#"
                const table = document.querySelector(arguments[0]);
                const rows = [...table.querySelectorAll(':scope > tbody > tr:not(.table-empty)')];
                const head = table.querySelector(':scope > thead').getBoundingClientRect();
                return {
                    rows: rows.length,
                    stacked: rows.filter(row => getComputedStyle(row).display === 'grid').length,
                    headings_shown: head.width > 1 && head.height > 1,
                    outside: [...table.querySelectorAll('button, a')]
                        .filter(control => {
                            const box = control.getBoundingClientRect();
                            return box.width > 0 && (box.left < 0 || box.right > window.innerWidth);
                        })
                        .map(control => control.textContent.trim()),
                };
                "#,
                vec![json!(table)],
            )
            .await
            .with_context(|| format!("measuring `{table}` on a phone"));
        self.set_viewport(before).await?;
        let stacking = measured?;
        let rows = stacking["rows"].as_u64().unwrap_or_default();
        if rows == 0
            || stacking["stacked"].as_u64() != Some(rows)
            || stacking["headings_shown"] != json!(false)
            || stacking["outside"] != json!([])
        {
            bail!("`{table}` does not stack on a phone: {stacking:?}");
        }
        self.fits_a_phone().await?;
        self.screenshot_both_at(table, name).await
    }

    /// After a failure: saves `<name>-failure.png` and `<name>-failure.html` and says where,
    /// best effort. [`run`] calls it; tests that drive several browsers call it themselves.
    pub async fn record_failure(&self, name: &str) {
        match self.screenshot(&format!("{name}-failure")).await {
            Ok(path) => eprintln!(
                "failure screenshot of {}: {}",
                self.location().await,
                path.display()
            ),
            Err(error) => eprintln!("warning: no failure screenshot: {error:#}"),
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(self.screenshots.join(format!("{name}-failure.html")), html);
        }
    }

    /// The current URL for messages.
    async fn location(&self) -> String {
        self.client
            .current_url()
            .await
            .map_or_else(|_| "(unknown page)".to_owned(), |url| url.to_string())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.closed {
            delete_session(self.driver_port, &self.session_id);
        }
        let _ = self.driver.start_kill();
        kill_processes_mentioning(&self.profile.0);
    }
}

/// Waits until chromedriver answers `/status`, failing fast if it exits.
async fn wait_until_ready(driver: &mut Child, driver_url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = driver.try_wait()? {
            bail!("chromedriver exited at start ({status})");
        }
        if let Ok(response) = http.get(format!("{driver_url}/status")).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not answer {driver_url}/status within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A port that was free a moment ago (chromedriver binds it next).
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `DELETE /session/<id>` over a blocking socket: Drop cannot await. Best effort.
fn delete_session(port: u16, session_id: &str) {
    if session_id.is_empty() {
        return;
    }
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}

/// Kills leftover processes whose command line names `path` (our Chromium's profile):
/// only processes this harness started carry that unique path.
fn kill_processes_mentioning(path: &Path) {
    let needle = path.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A fresh Chromium profile directory, removed on drop.
struct ProfileDir(PathBuf);

impl ProfileDir {
    fn create() -> anyhow::Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "pulse-e2e-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for ProfileDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One serious or critical axe-core violation: the rule, what to do, the elements, and
/// where it was seen (`desktop, dark theme`).
struct Violation {
    rule: String,
    impact: String,
    help: String,
    help_url: String,
    targets: Vec<String>,
    /// axe-core's words about the first element (for contrast: the colours and ratio).
    summary: String,
    seen: Vec<String>,
}

/// The focused element, as [`Browser::focused`] describes it.
#[derive(Debug, Clone)]
pub struct Focused {
    /// Its tag, role and accessible text, e.g. `button "Invite"`.
    pub describe: String,
    /// Whether it matches `:focus-visible` with an outline or a box shadow drawn.
    pub visible_focus: bool,
}

/// The text of a JSON string, or its JSON form.
fn text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// axe-core's script, read once per test process.
fn axe_source() -> anyhow::Result<&'static str> {
    static SOURCE: OnceLock<Result<String, String>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var_os("PULSE_AXE").map_or_else(
                || workspace_root().join(".pulse/tools/node_modules/axe-core/axe.min.js"),
                PathBuf::from,
            );
            std::fs::read_to_string(&path).map_err(|error| {
                format!(
                    "axe-core is not installed ({}: {error}): run `cargo xtask test`, which installs it, or set PULSE_AXE",
                    path.display()
                )
            })
        })
        .as_deref()
        .map_err(|error| anyhow::anyhow!("{error}"))
}

/// Runs axe-core in the light and then the dark theme (transitions finished, so that
/// colours are read as they end, not halfway), puts the page's theme back, and answers the serious
/// and critical violations. The last argument is WebDriver's callback.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
const root = document.documentElement;
const theme = root.getAttribute("data-theme");
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
// Colour transitions jump to their end: the page's CSP admits no style of ours.
const settle = () => {
  getComputedStyle(root).color;
  for (const running of document.getAnimations()) {
    if (running instanceof CSSTransition) running.finish();
  }
};
(async () => {
  const violations = [];
  try {
    for (const scheme of ["light", "dark"]) {
      root.setAttribute("data-theme", scheme);
      settle();
      await frame();
      settle();
      const results = await axe.run(document, { resultTypes: ["violations"] });
      for (const found of results.violations) {
        if (found.impact !== "serious" && found.impact !== "critical") continue;
        violations.push({
          theme: scheme,
          id: found.id,
          impact: found.impact,
          help: found.help,
          helpUrl: found.helpUrl,
          targets: found.nodes.map((node) => node.target.join(" ")),
          summary: found.nodes.length ? found.nodes[0].failureSummary : "",
        });
      }
    }
  } finally {
    if (theme === null) root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", theme);
    settle();
  }
  return violations;
})().then(
  (violations) => done({ violations }),
  (error) => done({ error: String(error) }),
);
"#;

/// Sums the page's buffered `layout-shift` entries without recent input; answers after
/// a moment when there are none (the observer is then never called).
const LAYOUT_SHIFT: &str = r#"
const done = arguments[arguments.length - 1];
let total = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) total += entry.value;
  }
}).observe({ type: "layout-shift", buffered: true });
setTimeout(() => done(total), 200);
"#;

/// Describes the focused element and whether its focus is drawn.
const FOCUSED: &str = r#"
const el = document.activeElement;
if (!el || el === document.body) return { describe: "the page itself", visible: false };
// A ring on the element, or on what draws it (a switch's track after its hidden input).
const ring = (node) => {
  if (!node) return false;
  const style = getComputedStyle(node);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
};
const drawn = ring(el) || ring(el.nextElementSibling);
const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "")
  .trim().replace(/\s+/g, " ").slice(0, 40);
const role = el.getAttribute("role");
const what = el.tagName.toLowerCase() + (role ? `[role=${role}]` : "");
return { describe: `${what} "${name}"`, visible: el.matches(":focus-visible") && drawn };
"#;

/// A finished download ending in `.extension`, if there is one.
pub fn downloaded(folder: &std::path::Path, extension: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == extension))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_zone_puts_every_hour_of_the_day_at_noon() {
        for hour in 0..24 {
            let now = chrono::DateTime::parse_from_rfc3339(&format!("2027-03-28T{hour:02}:30:00Z"))
                .unwrap()
                .to_utc();
            let zone = midday_zone(now);
            // `Etc/GMT-5` is five hours east of UTC.
            let east = match zone.strip_prefix("Etc/GMT") {
                Some(offset) => -offset.parse::<i64>().unwrap(),
                None => 0,
            };
            assert!((-12..=14).contains(&east), "{zone}");
            assert_eq!(i64::from(hour) + east, 12, "{hour}:30 UTC in {zone}");
        }
    }
}
