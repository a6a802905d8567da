//! The real agent on a real (virtual) X11 desktop against the real server: Xvfb and
//! openbox, two xterm windows with known classes and titles (one non-ASCII, one on the
//! policy's exclusion list), focused, typed into and clicked with xdotool, while
//! `pulse-agent run` reports through a recording proxy to a `TestApp`. The server must
//! hold the events with those apps, titles and input counts; the excluded window's
//! title must not be in any byte the agent sent. A second test takes the server away
//! and kills the agent meanwhile: what was typed arrives once when it is back.
//!
//! Needs Xvfb, openbox, xdotool and xterm (`cargo xtask test` installs them); without
//! Xvfb the test says so and passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use pulse_backend::clock::Clock;
use pulse_backend::testing::TestApp;
use pulse_shared::activity::ActivityRecord;
use pulse_shared::auth::SignupRequest;
use pulse_shared::page::Page;
use serde_json::{Value, json};

const WORK_CLASS: &str = "Pulsework";
const WORK_TITLE: &str = "Grüße aus Köln";
const SECRET_CLASS: &str = "Secretapp";
const SECRET_TITLE: &str = "secret-title-4711";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_reports_what_is_in_front_and_keeps_excluded_apps_private() -> anyhow::Result<()>
{
    if which("Xvfb").is_none() {
        eprintln!(
            "SKIPPED: Xvfb is not installed (apt-get install xvfb openbox xdotool xterm; `cargo xtask test` does)"
        );
        return Ok(());
    }
    for tool in ["openbox", "xdotool", "xterm"] {
        ensure!(
            which(tool).is_some(),
            "{tool} is not installed (`cargo xtask test` installs it)"
        );
    }
    let app = TestApp::spawn_with(|config| config.clock = Clock::system()).await?;
    let (access, token) = prepare(&app, true).await?;
    let proxy = Proxy::start(&app.base_url).await?;
    let desktop = Desktop::start()?;
    let home = tempdir("agent-home")?;
    let agent = |args: &[&str]| agent_command(&desktop, &home, args);
    let enrolled = agent(&["enroll", "--server", &proxy.url, "--token", &token]).output()?;
    ensure!(
        enrolled.status.success(),
        "enroll failed: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(home.join("config/credential.json"))?.permissions(),
    );
    ensure!(mode & 0o777 == 0o600, "the credential file is {mode:o}");

    // The first screenshot 3 s after the policy came, with the work window in front.
    let mut running = agent(&["run", "--flush-secs", "2", "--first-screenshot-secs", "3"])
        .stderr(Stdio::piped())
        .spawn()?;
    let log = Log::capture(running.stderr.take().context("no stderr")?);
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
    Command::new("kill")
        .arg(running.id().to_string())
        .status()?;
    let stopped = running.wait()?;
    ensure!(
        stopped.success(),
        "the agent stopped with {stopped}: {}",
        log.text()
    );
    let status = agent(&["status"]).output()?;
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    ensure!(status.contains("Monitoring is ON"), "{status}");
    let mut again = agent(&["run", "--flush-secs", "2"])
        .stderr(Stdio::piped())
        .spawn()?;
    let log_again = Log::capture(again.stderr.take().context("no stderr")?);

    let events = wait_for_events(&app, &access, |events| {
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
    let _ = Command::new("kill").arg(again.id().to_string()).status();
    let _ = again.wait();
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
    let shots = screenshots(&app, &access).await?;
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
    let sent = proxy.sent_text();
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

/// The backend goes away (the proxy in front of it refuses and cuts connections) while
/// the agent records typing; the agent is killed with SIGKILL in the middle of it and
/// started again. Once the backend is back, every key typed is on the server exactly
/// once, and no two events overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_recorded_while_the_server_is_away_arrives_once_even_after_sigkill()
-> anyhow::Result<()> {
    if which("Xvfb").is_none() {
        eprintln!("SKIPPED: Xvfb is not installed (`cargo xtask test` installs it)");
        return Ok(());
    }
    let app = TestApp::spawn_with(|config| config.clock = Clock::system()).await?;
    let (access, token) = prepare(&app, false).await?;
    let proxy = Proxy::start(&app.base_url).await?;
    let desktop = Desktop::start()?;
    let home = tempdir("agent-fault")?;
    let agent = |args: &[&str]| agent_command(&desktop, &home, args);
    let enrolled = agent(&["enroll", "--server", &proxy.url, "--token", &token]).output()?;
    ensure!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    desktop.focus(WORK_CLASS)?;
    let mut first = agent(&["run", "--flush-secs", "1"])
        .stderr(Stdio::piped())
        .spawn()?;
    let log = Log::capture(first.stderr.take().context("no stderr")?);
    log.wait_for("applies", Duration::from_secs(20)).await?;
    wait_for_events(&app, &access, |events| !events.is_empty()).await?;

    proxy.set_down(true);
    let down_at = chrono::Utc::now();
    desktop.xdotool(&["type", "--delay", "50", "abcde"])?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    first.kill()?; // SIGKILL: no chance to flush
    first.wait()?;
    let status = String::from_utf8_lossy(&agent(&["status"]).output()?.stdout).into_owned();
    ensure!(
        !status.contains("spooled      0 events"),
        "nothing was spooled while the server was away: {status}"
    );
    let mut second = agent(&["run", "--flush-secs", "1"])
        .stderr(Stdio::null())
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    desktop.xdotool(&["type", "--delay", "50", "fghij"])?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let up_at = chrono::Utc::now();
    proxy.set_down(false);

    let events = wait_for_events(&app, &access, |events| {
        events.iter().map(|e| e.keystrokes).sum::<i32>() >= 10
            && events.iter().any(|e| e.started_at >= up_at)
    })
    .await;
    let _ = Command::new("kill").arg(second.id().to_string()).status();
    let _ = second.wait();
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
    let status = String::from_utf8_lossy(&agent(&["status"]).output()?.stdout).into_owned();
    ensure!(status.contains("0 dead letters"), "{status}");
    Ok(())
}

/// `pulse-agent` with its files under `home`, on `desktop`.
fn agent_command(desktop: &Desktop, home: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse-agent"));
    command
        .args(args)
        .env("DISPLAY", &desktop.display)
        .env("PULSE_AGENT_CONFIG_DIR", home.join("config"))
        .env("PULSE_AGENT_STATE_DIR", home.join("state"))
        .env_remove("PULSE_SERVER");
    command
}

/// Signs up the owner (the monitored employee), sets their policy (titles on,
/// Secretapp excluded, screenshots every minute when asked) and makes an enrollment token for them.
async fn prepare(app: &TestApp, screenshots: bool) -> anyhow::Result<(String, String)> {
    let signed_up: Value = app
        .sign_up(&SignupRequest {
            company_name: "X11 Ltd".into(),
            name: "Xavier Eleven".into(),
            email: "x11@agent.test".into(),
            password: "x11-password-42".into(),
        })
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access = signed_up["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let me = signed_up["me"]["user"]["id"]
        .as_str()
        .context("no id")?
        .to_owned();
    let http = app.client();
    http.put(app.url(&format!("/api/v1/policies/employees/{me}")))
        .bearer_auth(&access)
        .json(&json!({
            "track_titles": true,
            "excluded_apps": [SECRET_CLASS.to_lowercase()],
            "heartbeat_secs": 10,
            "screenshot_mode": if screenshots { "interval" } else { "off" },
            "screenshot_interval_mins": 1,
        }))
        .send()
        .await?
        .error_for_status()
        .context("setting the policy")?;
    let token: Value = http
        .post(app.url("/api/v1/enrollment-tokens"))
        .bearer_auth(&access)
        .json(&json!({"name": "X11", "user_id": me, "expires_in_hours": 1, "max_uses": 2}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok((
        access,
        token["secret"].as_str().context("no secret")?.to_owned(),
    ))
}

/// The screenshots on the server, once there is one (or after 15 s).
async fn screenshots(app: &TestApp, access: &str) -> anyhow::Result<Vec<Value>> {
    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    for _ in 0..30 {
        let page: Value = app
            .client()
            .get(app.url("/api/v1/screenshots"))
            .bearer_auth(access)
            .query(&[("from", from.as_str()), ("to", to.as_str())])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() {
            return Ok(items);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(Vec::new())
}

async fn wait_for_events(
    app: &TestApp,
    access: &str,
    done: impl Fn(&[ActivityRecord]) -> bool,
) -> anyhow::Result<Vec<ActivityRecord>> {
    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let mut events = Vec::new();
    for _ in 0..60 {
        let page: Page<ActivityRecord> = app
            .client()
            .get(app.url("/api/v1/activity"))
            .bearer_auth(access)
            .query(&[
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("limit", "200"),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        events = page.items;
        if done(&events) {
            return Ok(events);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("the server never held the expected events; it has {events:#?}")
}

/// Xvfb, openbox and the two windows; all stopped when dropped.
struct Desktop {
    display: String,
    children: Vec<Child>,
}

impl Desktop {
    fn start() -> anyhow::Result<Self> {
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb")?;
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().context("no stdout")?).read_line(&mut line)?;
        let mut desktop = Self {
            display: format!(":{}", line.trim()),
            children: vec![xvfb],
        };
        ensure!(
            line.trim().parse::<u32>().is_ok(),
            "Xvfb named no display: {line:?}"
        );
        desktop.spawn("openbox", &[])?;
        std::thread::sleep(Duration::from_millis(500));
        desktop.spawn("xterm", &["-class", WORK_CLASS, "-T", WORK_TITLE])?;
        desktop.spawn("xterm", &["-class", SECRET_CLASS, "-T", SECRET_TITLE])?;
        for class in [WORK_CLASS, SECRET_CLASS] {
            desktop.window(class)?;
        }
        Ok(desktop)
    }

    fn spawn(&mut self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let child = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        self.children.push(child);
        Ok(())
    }

    fn xdotool(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()?;
        ensure!(
            out.status.success(),
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The window of `class`, waiting for it to be mapped.
    fn window(&self, class: &str) -> anyhow::Result<String> {
        for _ in 0..50 {
            if let Ok(found) = self.xdotool(&["search", "--onlyvisible", "--class", class])
                && let Some(id) = found.lines().next()
            {
                return Ok(id.to_owned());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("no {class} window appeared")
    }

    /// Brings the window of `class` to the front, and checks that it stays there: the
    /// window manager may still be giving the focus to a window mapped a moment ago.
    fn focus(&self, class: &str) -> anyhow::Result<()> {
        let id = self.window(class)?;
        let mut held = 0;
        for _ in 0..50 {
            if self.xdotool(&["getactivewindow"]).ok().as_deref() == Some(id.as_str()) {
                held += 1;
                if held == 3 {
                    return Ok(());
                }
            } else {
                held = 0;
                let _ = self.xdotool(&["windowactivate", "--sync", &id]);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the {class} window does not stay in front")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A TCP proxy in front of the app that keeps every byte the agent sent.
struct Proxy {
    url: String,
    sent: Arc<Mutex<Vec<u8>>>,
    /// While set, connections are refused and open ones cut: the server is away.
    down: Arc<AtomicBool>,
}

impl Proxy {
    async fn start(upstream: &str) -> anyhow::Result<Self> {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&sent);
        let down = Arc::new(AtomicBool::new(false));
        let away = Arc::clone(&down);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if away.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let recorded = Arc::clone(&recorded);
                let away = Arc::clone(&away);
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.split();
                    let (mut server_read, mut server_write) = server.split();
                    let up = async {
                        let mut buffer = vec![0u8; 16 * 1024];
                        loop {
                            let n = match client_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if away.load(Ordering::SeqCst) {
                                break;
                            }
                            recorded
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .extend_from_slice(&buffer[..n]);
                            if server_write.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let back = async {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    // The first to end ends the connection (a cut one is cut both ways).
                    tokio::select! {
                        () = up => {}
                        () = back => {}
                    }
                });
            }
        });
        Ok(Self { url, sent, down })
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Everything sent, with gzipped bodies unpacked.
    fn sent_text(&self) -> String {
        let bytes = self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        for start in 0..bytes.len().saturating_sub(3) {
            if bytes[start..start + 3] == [0x1f, 0x8b, 0x08] {
                let mut unpacked = Vec::new();
                let _ = flate2::read::GzDecoder::new(&bytes[start..]).read_to_end(&mut unpacked);
                text.push_str(&String::from_utf8_lossy(&unpacked));
            }
        }
        text
    }
}

/// The agent's log, read as it comes.
struct Log(Arc<Mutex<String>>);

impl Log {
    fn capture(stderr: std::process::ChildStderr) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let into = Arc::clone(&text);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut text = into
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self(text)
    }

    fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    async fn wait_for(&self, needle: &str, within: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.text().contains(needle) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the agent never logged {needle:?}:\n{}", self.text())
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

fn tempdir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("pulse-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
