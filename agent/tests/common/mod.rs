//! What the desktop agent's tests share: a virtual X11 desktop (Xvfb, openbox and two
//! xterm windows), the agent's command with its files in a temporary home, a recording
//! proxy in front of the server that can play dead, the agent's log as it comes, and
//! the server's view of what arrived.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use pulse_backend::testing::{TcpProxy, TestApp};
use pulse_shared::activity::ActivityRecord;
use pulse_shared::auth::SignupRequest;
use pulse_shared::page::Page;
use serde_json::{Value, json};

pub const WORK_CLASS: &str = "Pulsework";
pub const WORK_TITLE: &str = "Grüße aus Köln";
pub const SECRET_CLASS: &str = "Secretapp";
pub const SECRET_TITLE: &str = "secret-title-4711";

/// `pulse-agent` with its files under `home`, on `desktop`.
pub fn agent_command(desktop: &Desktop, home: &std::path::Path, args: &[&str]) -> Command {
    agent_command_of(
        std::path::Path::new(env!("CARGO_BIN_EXE_pulse-agent")),
        desktop,
        home,
        args,
    )
}

/// `binary` (a `pulse-agent`, such as the one a package installs) with its files
/// under `home`, on `desktop`.
pub fn agent_command_of(
    binary: &std::path::Path,
    desktop: &Desktop,
    home: &std::path::Path,
    args: &[&str],
) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("DISPLAY", &desktop.display)
        .env("PULSE_AGENT_CONFIG_DIR", home.join("config"))
        .env("PULSE_AGENT_STATE_DIR", home.join("state"))
        .env_remove("PULSE_SERVER");
    command
}

/// Signs up the owner (the monitored employee), sets their policy ([`usual_policy`])
/// and makes an enrollment token for them.
pub async fn prepare(app: &TestApp, screenshots: bool) -> anyhow::Result<(String, String)> {
    prepare_with_policy(app, &usual_policy(screenshots)).await
}

/// Titles on, Secretapp excluded, a heartbeat every 10 s, and a screenshot a minute
/// when asked.
pub fn usual_policy(screenshots: bool) -> Value {
    json!({
        "track_titles": true,
        "excluded_apps": [SECRET_CLASS.to_lowercase()],
        "heartbeat_secs": 10,
        "screenshot_mode": if screenshots { "interval" } else { "off" },
        "screenshot_interval_mins": 1,
    })
}

/// Signs up the owner (the monitored employee), gives them `policy` (the settings of
/// their policy that differ from the company's) and makes an enrollment token for
/// them: their access token and the enrollment secret.
pub async fn prepare_with_policy(
    app: &TestApp,
    policy: &Value,
) -> anyhow::Result<(String, String)> {
    let owner = SignupRequest {
        company_name: "X11 Ltd".into(),
        name: "Xavier Eleven".into(),
        email: "x11@agent.test".into(),
        password: "x11-password-42".into(),
    };
    app.monitored_owner(&owner, policy, 2).await
}

/// The screenshots on the server, once there is one (or after 15 s).
pub async fn screenshots(app: &TestApp, access: &str) -> anyhow::Result<Vec<Value>> {
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

pub async fn wait_for_events(
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

/// Every item of a list at `path` (`/api/v1/activity`, `/api/v1/screenshots`) from
/// `since` to a minute from now.
pub async fn list_all(
    app: &TestApp,
    access: &str,
    path: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<Value>> {
    let to = chrono::Utc::now() + chrono::Duration::minutes(1);
    app.list_all(access, path, since, to).await
}

/// Xvfb, openbox and the two windows; all stopped when dropped.
pub struct Desktop {
    pub display: String,
    children: Vec<Child>,
}

impl Desktop {
    pub fn start() -> anyhow::Result<Self> {
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

    pub fn spawn(&mut self, program: &str, args: &[&str]) -> anyhow::Result<()> {
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

    pub fn xdotool(&self, args: &[&str]) -> anyhow::Result<String> {
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
    pub fn window(&self, class: &str) -> anyhow::Result<String> {
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
    pub fn focus(&self, class: &str) -> anyhow::Result<()> {
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

/// A recording proxy in front of the app: every byte the agent sent is kept, and it
/// can play dead (the server away).
pub struct Proxy {
    pub url: String,
    tcp: TcpProxy,
}

impl Proxy {
    pub async fn start(upstream: &str) -> anyhow::Result<Self> {
        let tcp = TcpProxy::start(upstream.trim_start_matches("http://"), true).await?;
        Ok(Self {
            url: format!("http://{}", tcp.addr),
            tcp,
        })
    }

    /// While set, connections are refused and open ones cut: the server is away.
    pub fn set_down(&self, down: bool) {
        self.tcp.set_down(down);
    }

    /// Every byte sent, as sent.
    pub fn sent_bytes(&self) -> Vec<u8> {
        self.tcp.sent()
    }

    /// Everything sent, with gzipped bodies unpacked.
    pub fn sent_text(&self) -> String {
        let bytes = self.sent_bytes();
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
pub struct Log(Arc<Mutex<String>>);

impl Log {
    pub fn capture(stderr: std::process::ChildStderr) -> Self {
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

    pub fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub async fn wait_for(&self, needle: &str, within: Duration) -> anyhow::Result<()> {
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

pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

pub fn tempdir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("pulse-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Where most agent tests start: the server (on the system clock) with the monitored
/// owner under a policy, a recording proxy in front of it, a virtual desktop, and the
/// agent's files in a temporary home, enrolled through the proxy.
pub struct Harness {
    pub app: TestApp,
    /// The owner's access token.
    pub access: String,
    /// The enrollment secret (two uses: a test may enroll again).
    pub token: String,
    pub proxy: Proxy,
    pub desktop: Desktop,
    pub home: PathBuf,
}

impl Harness {
    /// `None`, with a line saying so, when Xvfb is not installed (`cargo xtask test`
    /// installs it, with openbox, xdotool and xterm, which are then required).
    pub async fn enrolled(name: &str, policy: &Value) -> anyhow::Result<Option<Self>> {
        if which("Xvfb").is_none() {
            eprintln!(
                "SKIPPED: Xvfb is not installed (apt-get install xvfb openbox xdotool xterm; `cargo xtask test` does)"
            );
            return Ok(None);
        }
        for tool in ["openbox", "xdotool", "xterm"] {
            ensure!(
                which(tool).is_some(),
                "{tool} is not installed (`cargo xtask test` installs it)"
            );
        }
        let app = TestApp::spawn_with(|config| {
            config.clock = pulse_backend::clock::Clock::system();
        })
        .await?;
        let (access, token) = prepare_with_policy(&app, policy).await?;
        let proxy = Proxy::start(&app.base_url).await?;
        let harness = Self {
            access,
            token,
            proxy,
            desktop: Desktop::start()?,
            home: tempdir(name)?,
            app,
        };
        harness.enroll()?;
        Ok(Some(harness))
    }

    /// `pulse-agent` with `args`, on the desktop, with its files in the home.
    pub fn agent(&self, args: &[&str]) -> Command {
        agent_command(&self.desktop, &self.home, args)
    }

    /// `pulse-agent enroll` through the proxy with the token.
    pub fn enroll(&self) -> anyhow::Result<()> {
        let enrolled = self
            .agent(&[
                "enroll",
                "--server",
                &self.proxy.url,
                "--token",
                &self.token,
            ])
            .output()?;
        ensure!(
            enrolled.status.success(),
            "enroll failed: {}",
            String::from_utf8_lossy(&enrolled.stderr)
        );
        Ok(())
    }

    /// `pulse-agent run` with `args`, its log captured as it comes.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<(Child, Log)> {
        let mut run = vec!["run"];
        run.extend_from_slice(args);
        let mut child = self.agent(&run).stderr(Stdio::piped()).spawn()?;
        let log = Log::capture(child.stderr.take().context("no stderr")?);
        Ok((child, log))
    }

    /// What `pulse-agent status` prints.
    pub fn status(&self) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.agent(&["status"]).output()?.stdout).into_owned())
    }
}

/// Stops the agent with SIGTERM, as a session's end does, and waits for it.
pub fn terminate(agent: &mut Child) -> anyhow::Result<std::process::ExitStatus> {
    Command::new("kill").arg(agent.id().to_string()).status()?;
    Ok(agent.wait()?)
}
