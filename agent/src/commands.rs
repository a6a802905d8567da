//! `enroll`, `run`, `status` and `probe`: the real agent's commands.

use std::time::Duration;

use anyhow::{Context as _, bail};
use pulse_agent::capture;
use pulse_agent::client::api::{Api, Outcome};
use pulse_agent::client::backoff::Backoff;
use pulse_agent::client::credentials::{Credential, SavedAgent};
use pulse_agent::config::SystemConfig;
use pulse_agent::run::{LAST_SYNC_KEY, POLICY_KEY, REFUSED_KEY, Settings};
use pulse_agent::spool::{DEFAULT_CAP_BYTES, Spool};
use pulse_agent::{logging, paths};
use pulse_shared::agents::EnrollRequest;
use pulse_shared::policies::EffectivePolicy;

#[derive(Debug, clap::Args)]
pub struct EnrollOptions {
    /// The enrollment token's secret (`pet_…`), from the Agent Monitor.
    #[arg(long, env = "PULSE_ENROLL_TOKEN")]
    token: String,
    /// The employee this computer reports for (company-wide tokens need it).
    #[arg(long)]
    email: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RunOptions {
    /// How often the desktop is sampled, in milliseconds.
    #[arg(long, default_value_t = 1000, hide = true)]
    sample_ms: u64,
    /// The longest an event stays open before it is spooled and sent, in seconds.
    #[arg(long, default_value_t = 60)]
    flush_secs: u64,
    /// Take the first screenshot this many seconds after the start (when the policy
    /// takes screenshots), not at a random point of the first interval.
    #[arg(long, hide = true)]
    first_screenshot_secs: Option<u64>,
    /// The most the spool holds, in MiB; past it the oldest items are dropped. Default:
    /// `spool_cap_mib` of /etc/pulse-agent/config.toml, else 256.
    #[arg(long)]
    spool_cap_mib: Option<u64>,
    /// Log into agent.log in the state directory (rotated at 1 MiB, three kept), not
    /// stderr: for sessions that keep no stderr (the XDG autostart entry uses it).
    #[arg(long)]
    log_file: bool,
}

pub async fn enroll(server: Option<String>, options: EnrollOptions) -> anyhow::Result<()> {
    let Some(server) = server.or(SystemConfig::load()?.server) else {
        bail!(
            "name the server: --server https://pulse.example.com, or `server` in {}",
            SystemConfig::path().display()
        );
    };
    let server = server.as_str();
    let api = Api::new(
        server,
        concat!("pulse-agent/", env!("CARGO_PKG_VERSION")),
        false,
        Duration::from_secs(30),
    )?;
    let hostname = hostname();
    let request = EnrollRequest {
        token: options.token,
        hostname: hostname.clone(),
        os: os_name(),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        employee_email: options.email.clone(),
    };
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
    let mut rng = fastrand::Rng::new();
    let enrolled = loop {
        match api.enroll(&request).await.outcome {
            Outcome::Done(enrolled) => break enrolled,
            Outcome::Refused { status, detail } => bail!("the server refused ({status}): {detail}"),
            Outcome::Retry { after, why } => {
                let pause = backoff.next(after, &mut rng);
                if pause > Duration::from_secs(8) {
                    bail!("cannot enroll: {why}");
                }
                eprintln!("pulse-agent: {why}; trying again in {pause:.1?}");
                tokio::time::sleep(pause).await;
            }
        }
    };
    let path = paths::credential()?;
    Credential {
        server: server.trim_end_matches('/').to_owned(),
        agent: SavedAgent {
            agent_id: enrolled.agent_id,
            user_id: enrolled.user_id,
            credential: enrolled.credential,
        },
        hostname,
        employee_email: options.email,
    }
    .save(&path)?;
    println!(
        "Enrolled {} with {server} as agent {}; credential in {}.\nStart it with `pulse-agent run` (the package starts it in each graphical session).",
        request.hostname,
        enrolled.agent_id.0,
        path.display()
    );
    Ok(())
}

pub async fn run(options: RunOptions) -> anyhow::Result<()> {
    let config = SystemConfig::load()?;
    if options.log_file {
        logging::to_file(&paths::log_file()?)?;
    }
    let lock_path = paths::run_lock()?;
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("creating {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "the agent already runs for this account (it holds {})",
            lock_path.display()
        );
    }
    let cap_mib = options
        .spool_cap_mib
        .or(config.spool_cap_mib)
        .unwrap_or(DEFAULT_CAP_BYTES / 1024 / 1024);
    let spool = Spool::open(&paths::spool()?, cap_mib.saturating_mul(1024 * 1024))?;
    pulse_agent::run::run(
        paths::credential()?,
        spool,
        Settings {
            sample_every: Duration::from_millis(options.sample_ms.max(100)),
            flush_every: Duration::from_secs(options.flush_secs.max(1)),
            first_screenshot: options.first_screenshot_secs.map(Duration::from_secs),
        },
    )
    .await
}

pub fn status() -> anyhow::Result<()> {
    let path = paths::credential()?;
    let credential = Credential::load(&path)?;
    let spool = Spool::open(&paths::spool()?, DEFAULT_CAP_BYTES)?;
    let counts = spool.counts()?;
    println!(
        "Monitoring is ON: this computer reports activity to {}.",
        credential.server
    );
    println!("  computer     {}", credential.hostname);
    println!("  agent        {}", credential.agent.agent_id.0);
    println!(
        "  employee     {}",
        credential
            .employee_email
            .clone()
            .unwrap_or_else(|| credential.agent.user_id.0.to_string())
    );
    println!("  credential   {}", path.display());
    println!(
        "  last sync    {}",
        spool.get(LAST_SYNC_KEY)?.unwrap_or_else(|| "never".into())
    );
    if let Some(since) = spool.get(REFUSED_KEY)? {
        println!(
            "  REFUSED      since {since} the server refuses this computer's credential (revoked?): enroll it again"
        );
    }
    println!(
        "  spooled      {} events, {} screenshots ({} dead letters, {} dropped when full)",
        counts.events, counts.screenshots, counts.dead_letters, counts.dropped
    );
    match spool
        .get(POLICY_KEY)?
        .and_then(|json| serde_json::from_str::<EffectivePolicy>(&json).ok())
    {
        Some(policy) => {
            let s = &policy.settings;
            println!("  policy       version {}", policy.version);
            println!(
                "               apps {}, titles {}, screenshots {:?}{}, idle after {} s",
                on(s.track_apps),
                on(s.track_titles),
                s.screenshot_mode,
                if s.blur_screenshots { " (blurred)" } else { "" },
                s.idle_threshold_secs
            );
            match &s.working_hours {
                Some(hours) => println!(
                    "               only {}–{} on {} ({}); nothing at other times",
                    hours.start,
                    hours.end,
                    hours
                        .days
                        .iter()
                        .map(|day| format!("{day:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    s.time_zone
                ),
                None => println!("               at all hours"),
            }
            let never: Vec<&str> = s
                .excluded_apps
                .iter()
                .chain(&s.excluded_domains)
                .map(String::as_str)
                .collect();
            if !never.is_empty() {
                println!("               never recorded: {}", never.join(", "));
            }
        }
        None => println!("  policy       not fetched yet"),
    }
    Ok(())
}

fn on(yes: bool) -> &'static str {
    if yes { "recorded" } else { "off" }
}

#[derive(Debug, serde::Serialize)]
struct Probe {
    window: Option<capture::Window>,
    idle_secs: f64,
    screen_locked: bool,
    inputs: capture::Inputs,
    monitors: Vec<capture::Monitor>,
}

pub fn probe(json: bool) -> anyhow::Result<()> {
    let mut platform = capture::open()?;
    // Count inputs over a moment, so the probe shows that counting works.
    platform.take_inputs()?;
    std::thread::sleep(Duration::from_millis(500));
    let idle = platform.idle()?;
    let probe = Probe {
        inputs: platform.take_inputs()?,
        window: platform.active_window()?,
        idle_secs: idle.since_input.as_secs_f64(),
        screen_locked: idle.screen_locked,
        monitors: platform.monitors()?,
    };
    if json {
        println!("{}", serde_json::to_string(&probe)?);
    } else {
        println!("{probe:#?}");
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `Debian GNU/Linux 12 (bookworm) (x86_64)`, from os-release.
fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| "Linux".to_owned());
    format!("{pretty} ({}, X11)", std::env::consts::ARCH)
}
