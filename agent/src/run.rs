//! `pulse-agent run`: the real agent. Three tasks share the spool:
//!
//! - the sampler asks the platform once a second what is in front, applies the policy
//!   (working hours, excluded apps and domains, titles off) and builds events, spooling
//!   each one as it ends (and the open one every `flush` and at a stop), and takes the
//!   screenshots the policy asks for (none while an excluded app is in front, the
//!   screen is locked, or outside working hours). Outside working hours and while the
//!   screen is locked nothing is read at all but the clock;
//! - the uploader sends the spool's oldest events in batches, deleting them after the
//!   server's 2xx, backing off on network errors, 429 and 5xx (honouring
//!   `Retry-After`), moving what the server refuses for good to the dead letters;
//! - the heartbeat reports the agent's state (active, idle, locked, paused outside
//!   working hours) and its spool every `heartbeat_secs`, and fetches the policy again
//!   (`If-None-Match`) when its version changed; a new policy applies at the next sample.
//!
//! When the server answers 401 (the computer was revoked), the agent says so in its log
//! and in `status`, keeps what it spooled, and reads the credential file again before
//! each retry, so `pulse-agent enroll` on the same account resumes it without a restart.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use pulse_shared::activity::{ActivityBatch, MAX_BATCH_EVENTS};
use pulse_shared::agents::{AgentState, SpoolReport};
use pulse_shared::policies::{EffectivePolicy, PolicySettings, ScreenshotMode};
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use tokio::sync::{Notify, watch};

use crate::capture::Inputs;
use crate::capture::Platform;
use crate::client::api::{Api, Attempt, Outcome, PolicyAnswer};
use crate::client::backoff::Backoff;
use crate::client::credentials::Credential;
use crate::events::{Builder, Sample};
use crate::logging::log;
use crate::policy::{self, Zones};
use crate::spool::Spool;

/// Shortest and longest pause between retries of an upload.
const BACKOFF: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(300));
/// The spool's keys for what the agent remembers between runs.
pub const POLICY_KEY: &str = "policy";
pub const LAST_SYNC_KEY: &str = "last_sync";
/// Set when the server refused the credential (401), cleared by the next success.
pub const REFUSED_KEY: &str = "credential_refused";

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the platform is sampled.
    pub sample_every: Duration,
    /// The longest an event stays open before it is spooled (and sent).
    pub flush_every: Duration,
    /// When the first screenshot is taken; `None`: at a random point of the policy's
    /// first interval.
    pub first_screenshot: Option<Duration>,
}

/// What the tasks share.
struct Shared {
    api: Api,
    /// Where the credential is kept, read again after a 401.
    credential_path: PathBuf,
    authorization: RwLock<HeaderValue>,
    spool: Mutex<Spool>,
    policy: watch::Sender<PolicySettings>,
    state: Mutex<AgentState>,
    /// Wakes the uploader when events were spooled.
    spooled: Notify,
    /// Wakes the uploader out of its backoff when a heartbeat got through again.
    reachable: Notify,
    stop: watch::Receiver<bool>,
}

impl Shared {
    fn spool(&self) -> MutexGuard<'_, Spool> {
        // A panic while holding the lock leaves SQLite consistent: carry on with it.
        self.spool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    fn authorization(&self) -> HeaderValue {
        self.authorization
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn state(&self) -> AgentState {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_state(&self, state: AgentState) {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = state;
    }

    /// The server refused the credential: say so, and take a new one from the
    /// credential file when the computer was enrolled again (for the same server).
    fn refused(&self) {
        let now = Utc::now().to_rfc3339();
        if self.spool().get(REFUSED_KEY).ok().flatten().is_none() {
            log(format_args!(
                "the server no longer accepts this computer's credential (revoked?): keeping what is spooled; enroll it again"
            ));
            let _ = self.spool().set(REFUSED_KEY, &now);
        }
        let Ok(saved) = Credential::load(&self.credential_path) else {
            return;
        };
        let Ok(fresh) = bearer(&saved) else {
            return;
        };
        let mut held = self
            .authorization
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *held != fresh && self.api.serves(&saved.server) {
            log(format_args!(
                "a new credential (agent {}) was saved: using it",
                saved.agent.agent_id.0
            ));
            *held = fresh;
        }
    }

    /// The server took something: a refusal of the credential is over.
    fn accepted(&self) {
        let _ = self.spool().set(LAST_SYNC_KEY, &Utc::now().to_rfc3339());
        let _ = self.spool().remove(REFUSED_KEY);
    }

    fn spool_report(&self) -> Option<SpoolReport> {
        let counts = self.spool().counts().ok()?;
        Some(SpoolReport {
            pending: u32::try_from(counts.events + counts.screenshots).unwrap_or(u32::MAX),
            dropped: counts.dropped,
            dead_letters: u32::try_from(counts.dead_letters).unwrap_or(u32::MAX),
        })
    }
}

fn bearer(credential: &Credential) -> anyhow::Result<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", credential.agent.credential))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Runs until SIGTERM or Ctrl-C; the open event is spooled before it returns.
pub async fn run(credential_path: PathBuf, spool: Spool, settings: Settings) -> anyhow::Result<()> {
    let credential = Credential::load(&credential_path)?;
    let platform = crate::capture::open()?;
    let cached = spool
        .get(POLICY_KEY)?
        .and_then(|json| serde_json::from_str::<EffectivePolicy>(&json).ok());
    let (policy, _) = watch::channel(
        cached
            .as_ref()
            .map(|p| p.settings.clone())
            .unwrap_or_default(),
    );
    let (stop_tx, stop) = watch::channel(false);
    let shared = Arc::new(Shared {
        api: Api::new(
            &credential.server,
            concat!("pulse-agent/", env!("CARGO_PKG_VERSION")),
            true,
            Duration::from_secs(30),
        )?,
        credential_path,
        authorization: RwLock::new(bearer(&credential)?),
        spool: Mutex::new(spool),
        policy,
        state: Mutex::new(AgentState::Active),
        spooled: Notify::new(),
        reachable: Notify::new(),
        stop,
    });
    log(format_args!(
        "monitoring is on: reporting to {} as agent {}",
        credential.server, credential.agent.agent_id.0
    ));
    let sampler = tokio::spawn(sample(Arc::clone(&shared), platform, settings));
    let uploader = tokio::spawn(upload(Arc::clone(&shared)));
    let heartbeat = tokio::spawn(heartbeat(Arc::clone(&shared), cached.map(|p| p.version)));
    wait_for_stop().await;
    log(format_args!("stopping"));
    let _ = stop_tx.send(true);
    shared.spooled.notify_one();
    let sampled = sampler.await.context("the sampler failed")?;
    heartbeat.abort();
    uploader.abort();
    sampled
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// What one look at the desktop found.
struct Look {
    state: AgentState,
    inputs: Inputs,
    window: Option<crate::capture::Window>,
}

/// Looks at the desktop as far as the policy allows: outside working hours and while
/// the screen is locked, at nothing but the clock and the lock (inputs are drained and
/// forgotten).
fn look(
    platform: &mut dyn Platform,
    policy: &PolicySettings,
    at_work: bool,
) -> anyhow::Result<Look> {
    let inputs = platform.take_inputs()?;
    let nothing = |state| Look {
        state,
        inputs: Inputs::default(),
        window: None,
    };
    if !at_work {
        return Ok(nothing(AgentState::Paused));
    }
    let idle = platform.idle()?;
    if idle.screen_locked {
        return Ok(nothing(AgentState::Locked));
    }
    let idle = idle.since_input >= Duration::from_secs(u64::from(policy.idle_threshold_secs));
    Ok(Look {
        state: if idle {
            AgentState::Idle
        } else {
            AgentState::Active
        },
        inputs,
        window: platform.active_window()?,
    })
}

async fn sample(
    shared: Arc<Shared>,
    mut platform: Box<dyn Platform>,
    settings: Settings,
) -> anyhow::Result<()> {
    let flush_secs = u32::try_from(settings.flush_every.as_secs()).unwrap_or(u32::MAX);
    let mut builder = Builder::new(flush_secs);
    let mut ticks = tokio::time::interval(settings.sample_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stop = shared.stop.clone();
    let mut failing = false;
    let mut rng = fastrand::Rng::new();
    let mut zones = Zones::default();
    let mut next_shot: Option<tokio::time::Instant> = None;
    let mut first_shot = settings.first_screenshot;
    let mut was = shared.state();
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            _ = ticks.tick() => {}
        }
        let policy = shared.policy.borrow().clone();
        let at = Utc::now();
        let at_work = policy::within_working_hours(&policy, at, &mut zones);
        let look = match look(platform.as_mut(), &policy, at_work) {
            Ok(look) => {
                failing = false;
                look
            }
            Err(error) => {
                if !failing {
                    log(format_args!("cannot read the desktop: {error:#}"));
                }
                failing = true;
                Look {
                    state: AgentState::Active,
                    inputs: Inputs::default(),
                    window: None,
                }
            }
        };
        if look.state != was {
            match look.state {
                AgentState::Paused => log(format_args!(
                    "outside the policy's working hours: recording nothing"
                )),
                AgentState::Locked => log(format_args!("the screen is locked: recording nothing")),
                _ if matches!(was, AgentState::Paused | AgentState::Locked) => {
                    log(format_args!("recording again"))
                }
                _ => {}
            }
            was = look.state;
        }
        shared.set_state(look.state);
        let seen = look.window.as_ref().map(|w| policy::redact(w, &policy));
        let private = seen.as_ref().is_some_and(|seen| seen.private);
        let recording = matches!(look.state, AgentState::Active | AgentState::Idle);
        if policy.screenshot_mode == ScreenshotMode::Interval {
            let now = tokio::time::Instant::now();
            let interval = screenshot_interval(&policy, &mut rng);
            let due = *next_shot.get_or_insert_with(|| {
                now + first_shot
                    .take()
                    .unwrap_or_else(|| interval.mul_f64(rng.f64()))
            });
            if now >= due {
                next_shot = Some(now + interval);
                if !recording {
                    log(format_args!(
                        "no screenshot: {}",
                        look.state.label().to_lowercase()
                    ));
                } else if private {
                    log(format_args!(
                        "no screenshot: an excluded application is in front"
                    ));
                } else {
                    screenshots(&shared, platform.as_mut(), policy.blur_screenshots);
                }
            }
        } else {
            next_shot = None;
        }
        let events = builder.push(Sample {
            at,
            seen,
            idle: look.state == AgentState::Idle,
            inputs: look.inputs,
        });
        if !events.is_empty() {
            shared.spool().push_events(&events)?;
            shared.spooled.notify_one();
        }
    }
    // A clean stop keeps the open event.
    if let Some(event) = builder.close() {
        shared.spool().push_events(&[event])?;
    }
    Ok(())
}

/// The policy's screenshot interval, moved by up to its jitter either way.
fn screenshot_interval(policy: &PolicySettings, rng: &mut fastrand::Rng) -> Duration {
    let base = Duration::from_secs(u64::from(policy.screenshot_interval_mins.max(1)) * 60);
    let jitter = f64::from(policy.screenshot_jitter_percent.min(50)) / 100.0;
    base.mul_f64(1.0 - jitter + 2.0 * jitter * rng.f64())
}

/// One screenshot of each monitor, spooled.
fn screenshots(shared: &Shared, platform: &mut dyn Platform, blur: bool) {
    let taken = (|| -> anyhow::Result<usize> {
        let monitors = platform.monitors()?;
        let captured_at = Utc::now();
        for (index, monitor) in monitors.iter().enumerate().take(16) {
            let jpeg = crate::screenshot::encode(platform.screenshot(monitor)?, blur)?;
            shared.spool().push_screenshot(&crate::spool::Shot {
                id: uuid::Uuid::now_v7(),
                captured_at,
                monitor: u32::try_from(index).unwrap_or(0),
                content_type: "image/jpeg".to_owned(),
                image: jpeg,
            })?;
        }
        Ok(monitors.len())
    })();
    match taken {
        Ok(monitors) => {
            log(format_args!("took a screenshot of {monitors} monitor(s)"));
            shared.spooled.notify_one();
        }
        Err(error) => log(format_args!("cannot take a screenshot: {error:#}")),
    }
}

/// How one upload went.
enum Sent {
    Done,
    Retry(Option<Duration>, String),
    Refused(StatusCode, String),
}

fn sent<T>(attempt: Attempt<T>) -> Sent {
    match attempt.outcome {
        Outcome::Done(_) => Sent::Done,
        Outcome::Retry { after, why } => Sent::Retry(after, why),
        Outcome::Refused { status, detail } => Sent::Refused(status, detail),
    }
}

async fn upload(shared: Arc<Shared>) {
    let mut rng = fastrand::Rng::new();
    let mut backoff = Backoff::new(BACKOFF.0, BACKOFF.1);
    loop {
        let outcome = match upload_one(&shared).await {
            Ok(Some(sent)) => sent,
            Ok(None) => {
                // Nothing spooled: wait for the sampler (or look again in a while).
                let _ =
                    tokio::time::timeout(Duration::from_secs(30), shared.spooled.notified()).await;
                continue;
            }
            Err(error) => {
                log(format_args!("the spool failed: {error:#}"));
                tokio::time::sleep(Duration::from_secs(30)).await;
                continue;
            }
        };
        match outcome {
            Sent::Done => {
                backoff = Backoff::new(BACKOFF.0, BACKOFF.1);
                shared.accepted();
            }
            Sent::Retry(after, why) => {
                let pause = backoff.next(after, &mut rng);
                log(format_args!(
                    "upload failed ({why}); trying again in {pause:.1?}, or once a heartbeat gets through"
                ));
                // A server that asked for a pause (Retry-After) gets all of it.
                if after.is_some() {
                    tokio::time::sleep(pause).await;
                } else {
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        () = shared.reachable.notified() => {}
                    }
                }
            }
            Sent::Refused(StatusCode::UNAUTHORIZED, _) => {
                shared.refused();
                let pause = backoff.next(None, &mut rng);
                tokio::time::sleep(pause).await;
            }
            Sent::Refused(..) => {}
        }
    }
}

/// Sends the oldest batch of events, else the oldest screenshot; `None` when the spool
/// is empty. A refusal moves what was refused to the dead letters.
async fn upload_one(shared: &Shared) -> anyhow::Result<Option<Sent>> {
    let events = shared.spool().oldest_events(MAX_BATCH_EVENTS)?;
    if !events.is_empty() {
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        let batch = ActivityBatch {
            events: events.into_iter().map(|e| e.item).collect(),
        };
        let body = shared.api.batch_body(&batch)?;
        let outcome = sent(shared.api.activity(&shared.authorization(), body).await);
        match &outcome {
            Sent::Done => shared.spool().delete_events(&seqs)?,
            Sent::Refused(status, detail) if *status != StatusCode::UNAUTHORIZED => {
                log(format_args!(
                    "the server refused {} events ({status}): kept as dead letters: {detail}",
                    seqs.len()
                ));
                shared.spool().dead_events(&seqs, status.as_u16(), detail)?;
            }
            _ => {}
        }
        return Ok(Some(outcome));
    }
    let Some(shot) = shared.spool().oldest_screenshot()? else {
        return Ok(None);
    };
    let meta = crate::client::api::ScreenshotMeta {
        id: shot.item.id,
        captured_at: shot.item.captured_at,
        monitor: shot.item.monitor,
        content_type: &shot.item.content_type,
    };
    let outcome = sent(
        shared
            .api
            .screenshot(&shared.authorization(), meta, shot.item.image.clone())
            .await,
    );
    match &outcome {
        Sent::Done => shared.spool().delete_screenshot(shot.seq)?,
        Sent::Refused(status, detail) if *status != StatusCode::UNAUTHORIZED => {
            log(format_args!(
                "the server refused a screenshot ({status}): kept as a dead letter: {detail}"
            ));
            shared
                .spool()
                .dead_screenshot(shot.seq, status.as_u16(), detail)?;
        }
        _ => {}
    }
    Ok(Some(outcome))
}

async fn heartbeat(shared: Arc<Shared>, mut held: Option<String>) {
    let mut rng = fastrand::Rng::new();
    // The policy first: the one cached may be old.
    let mut known: Option<String> = None;
    let mut failing = false;
    loop {
        let current = match shared
            .api
            .heartbeat(
                &shared.authorization(),
                shared.state(),
                shared.spool_report(),
            )
            .await
            .outcome
        {
            Outcome::Done(answer) => {
                if std::mem::take(&mut failing) {
                    shared.reachable.notify_one();
                }
                Some(answer.policy_version)
            }
            Outcome::Retry { why, .. } => {
                log(format_args!("heartbeat failed: {why}"));
                failing = true;
                None
            }
            Outcome::Refused {
                status: StatusCode::UNAUTHORIZED,
                ..
            } => {
                shared.refused();
                None
            }
            Outcome::Refused { status, detail } => {
                log(format_args!("heartbeat refused ({status}): {detail}"));
                None
            }
        };
        if let Some(version) = current
            && known.as_deref() != Some(version.as_str())
        {
            match shared
                .api
                .policy(&shared.authorization(), held.as_deref())
                .await
                .outcome
            {
                Outcome::Done(PolicyAnswer::Changed(tag, Some(effective))) => {
                    log(format_args!("policy {tag} applies"));
                    if let Ok(json) = serde_json::to_string(&effective) {
                        let _ = shared.spool().set(POLICY_KEY, &json);
                    }
                    shared.policy.send_replace(effective.settings.clone());
                    held = Some(effective.version.clone());
                    known = Some(version);
                }
                Outcome::Done(PolicyAnswer::Unchanged) => known = Some(version),
                Outcome::Done(PolicyAnswer::Changed(_, None)) => {
                    log(format_args!("the server's policy does not parse"));
                }
                Outcome::Retry { why, .. } => {
                    log(format_args!("fetching the policy failed: {why}"))
                }
                Outcome::Refused { status, detail } => {
                    log(format_args!("policy refused ({status}): {detail}"));
                }
            }
        }
        if shared.stopped() {
            return;
        }
        let every = Duration::from_secs(u64::from(shared.policy.borrow().heartbeat_secs.max(10)));
        tokio::time::sleep(crate::client::backoff::jittered(every, &mut rng)).await;
    }
}
