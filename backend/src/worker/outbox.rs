//! The outbox dispatcher: sends what transactions queued for after their commit —
//! webhook deliveries, alert e-mails and scheduled report e-mails. Every replica runs one; rows are claimed with
//! `FOR UPDATE SKIP LOCKED` and a lease, so replicas share the work, never send the
//! same attempt twice at once, and pick up what a crashed replica left.
//!
//! It wakes on `NOTIFY pulse_outbox` (sent by the transactions that queue work, heard
//! by [`crate::alerting::live::listen`]), when one of its sends finishes, and otherwise
//! every `PULSE_OUTBOX_POLL_MS`, which is also when retries come due.
//!
//! Sends run as tasks of their own, so a round never waits for the slowest receiver.
//! What one replica has in flight is bounded in all ([`MAX_IN_FLIGHT`]), per company
//! ([`PER_COMPANY`]) and per endpoint ([`PER_ENDPOINT`]): one tenant's slow or dead
//! endpoints take a few places, never everyone's.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use pulse_shared::webhooks::{DeliveryStatus, SIGNATURE_HEADER};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::webhooks::{self, Claim, Claimed, Outcome};
use crate::db::{self, Db, alerts};
use crate::domain::webhooks::{self as rules, retry_wait};
use crate::mail::Mailer;
use crate::reports::email as report_email;

/// The channel that wakes dispatchers.
pub const CHANNEL: &str = "pulse_outbox";

/// How many rows one round claims of each kind.
const BATCH: i64 = 16;
/// Webhook deliveries one replica sends at once.
pub const MAX_IN_FLIGHT: usize = 64;
/// Deliveries of one company in flight at once on one replica.
pub const PER_COMPANY: usize = 8;
/// Deliveries to one endpoint in flight at once on one replica.
pub const PER_ENDPOINT: usize = 2;
/// Alert e-mails one replica sends at once.
const EMAILS_IN_FLIGHT: usize = 16;
/// How long a claim holds: longer than one attempt can take.
const LEASE_SECS: i64 = 60;
/// How long a receiver has to answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Tries of an alert email before it is given up.
const EMAIL_TRIES: i32 = 5;
/// How long the delivery log keeps finished deliveries.
const KEEP_DELIVERIES: chrono::Duration = chrono::Duration::days(30);
/// How often old deliveries are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);
/// The most of a failure's description kept in the log.
const ERROR_CHARS: usize = 500;

pub struct Outbox {
    db: Db,
    mailer: Mailer,
    client: reqwest::Client,
    allow_private: bool,
    retry_base: Duration,
    poll: Duration,
    public_url: String,
    clock: Clock,
    wake: Arc<Notify>,
    in_flight: Mutex<InFlight>,
}

/// What this replica is sending now: webhook deliveries per company and per endpoint,
/// and e-mails.
#[derive(Debug, Default)]
struct InFlight {
    companies: HashMap<uuid::Uuid, usize>,
    endpoints: HashMap<uuid::Uuid, usize>,
    emails: usize,
}

/// A send: a webhook delivery of `(company, endpoint)`, or an e-mail (`None`).
type Send = Option<(uuid::Uuid, uuid::Uuid)>;

impl InFlight {
    /// What the next claim may take.
    fn claim(&self) -> Claim {
        let at = |counts: &HashMap<uuid::Uuid, usize>, cap: usize| {
            counts
                .iter()
                .filter(|(_, n)| **n >= cap)
                .map(|(id, _)| *id)
                .collect()
        };
        let webhooks: usize = self.companies.values().sum();
        Claim {
            limit: i64::try_from(MAX_IN_FLIGHT.saturating_sub(webhooks))
                .unwrap_or(0)
                .min(BATCH),
            // An endpoint with anything in flight waits for it: its deliveries go one
            // batch of at most `PER_ENDPOINT` after the other.
            busy: at(&self.endpoints, 1),
            full: at(&self.companies, PER_COMPANY),
            per_endpoint: PER_ENDPOINT as i64,
            per_company: PER_COMPANY as i64,
        }
    }

    /// Counts `send` in (`up`) or out.
    fn count(&mut self, send: Send, up: bool) {
        let step = |n: usize| if up { n + 1 } else { n.saturating_sub(1) };
        let count = |counts: &mut HashMap<uuid::Uuid, usize>, id| {
            let n = counts.entry(id).or_default();
            *n = step(*n);
            if *n == 0 {
                counts.remove(&id);
            }
        };
        match send {
            Some((company, endpoint)) => {
                count(&mut self.companies, company);
                count(&mut self.endpoints, endpoint);
            }
            None => self.emails = step(self.emails),
        }
    }
}

/// One send's place in [`InFlight`], given back (and the dispatcher woken) when the
/// send ends.
struct Slot {
    outbox: Arc<Outbox>,
    send: Send,
}

impl Slot {
    fn take(outbox: &Arc<Outbox>, send: Send) -> Self {
        outbox.in_flight().count(send, true);
        Self {
            outbox: outbox.clone(),
            send,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.outbox.in_flight().count(self.send, false);
        self.outbox.wake.notify_one();
    }
}

impl Outbox {
    pub fn new(config: &Config, db: Db, mailer: Mailer, wake: Arc<Notify>) -> anyhow::Result<Self> {
        Ok(Self {
            client: webhook_client(config.webhooks_allow_private)?,
            allow_private: config.webhooks_allow_private,
            retry_base: config.webhook_retry_base,
            poll: config.outbox_poll,
            public_url: config.public_url.clone(),
            clock: config.clock,
            db,
            mailer,
            wake,
            in_flight: Mutex::default(),
        })
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        let this = Arc::new(self);
        let mut next_prune = Instant::now();
        loop {
            if Instant::now() >= next_prune {
                next_prune = Instant::now() + PRUNE_EVERY;
                this.prune().await;
            }
            let busy = match this.round().await {
                Ok(busy) => busy,
                Err(error) => {
                    tracing::warn!(%error, "the outbox could not run a round");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    () = this.wake.notified() => {}
                    () = tokio::time::sleep(this.poll) => {}
                }
            }
        }
    }

    /// Deletes finished deliveries (with their attempts) older than [`KEEP_DELIVERIES`].
    /// Any replica may do it: deleting twice deletes nothing more.
    async fn prune(&self) {
        let pruned = async {
            let mut conn = self.db.system().await?;
            Ok::<_, db::DbError>(
                webhooks::prune(&mut conn, KEEP_DELIVERIES, self.clock.now()).await?,
            )
        };
        match pruned.await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "old webhook deliveries deleted"),
            Err(error) => tracing::warn!(%error, "cannot delete old webhook deliveries"),
        }
    }

    /// One round: claims what is due and may be sent now, and starts sending it, each
    /// send a task of its own. Answers whether a claim was full, so more may be waiting.
    async fn round(self: &Arc<Self>) -> Result<bool, db::DbError> {
        let (claim, email_room) = {
            let in_flight = self.in_flight();
            let room = EMAILS_IN_FLIGHT.saturating_sub(in_flight.emails);
            (in_flight.claim(), i64::try_from(room).unwrap_or(0))
        };
        let mut conn = self.db.system().await?;
        let now = self.clock.now();
        let due = webhooks::claim_due(&mut conn, LEASE_SECS, &claim, now).await?;
        let emails = if email_room > 0 {
            alerts::claim_emails(&mut conn, email_room, now).await?
        } else {
            Vec::new()
        };
        let report_room = email_room - emails.len() as i64;
        let summaries = if report_room > 0 {
            report_email::claim(&mut conn, report_room, now).await?
        } else {
            Vec::new()
        };
        drop(conn);
        let full = (claim.limit > 0 && due.len() as i64 == claim.limit)
            || (email_room > 0 && (emails.len() + summaries.len()) as i64 == email_room);
        for claimed in due {
            let slot = Slot::take(self, Some((claimed.company_id.0, claimed.endpoint_id.0)));
            tokio::spawn(async move {
                if let Err(error) = slot.outbox.deliver(claimed).await {
                    tracing::warn!(%error, "cannot record a webhook attempt");
                }
            });
        }
        for email in emails {
            let slot = Slot::take(self, None);
            tokio::spawn(async move {
                if let Err(error) = slot.outbox.email(email).await {
                    tracing::warn!(%error, "cannot record an alert e-mail");
                }
            });
        }
        for summary in summaries {
            let slot = Slot::take(self, None);
            tokio::spawn(async move {
                if let Err(error) = slot.outbox.report_email(summary).await {
                    tracing::warn!(%error, "cannot send or record a report e-mail");
                }
            });
        }
        Ok(full)
    }

    /// One attempt of one webhook delivery, logged.
    async fn deliver(&self, claimed: Claimed) -> Result<(), db::DbError> {
        let number = claimed.attempts + 1;
        let attempted_at = self.clock.now();
        let started = Instant::now();
        let result = self.post(&claimed).await;
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status_code, error) = match result {
            Ok(status) if status.is_success() => (Some(i32::from(status.as_u16())), None),
            Ok(status) => (
                Some(i32::from(status.as_u16())),
                Some(format!("The endpoint answered {status}.")),
            ),
            Err(error) => (None, Some(error.chars().take(ERROR_CHARS).collect())),
        };
        let (status, next_attempt_at) = if error.is_none() {
            (DeliveryStatus::Succeeded, None)
        } else {
            let wait = retry_wait(self.retry_base, number.unsigned_abs(), jitter());
            let next = attempted_at + chrono::Duration::from_std(wait).unwrap_or_default();
            if next > claimed.give_up_at {
                (DeliveryStatus::Failed, None)
            } else {
                (DeliveryStatus::Pending, Some(next))
            }
        };
        if status != DeliveryStatus::Succeeded {
            tracing::info!(delivery = %claimed.id, number, ?status_code, ?error, "webhook attempt failed");
        }
        let outcome = Outcome {
            number,
            attempted_at,
            status_code,
            latency_ms,
            error,
            status,
            next_attempt_at,
        };
        let mut conn = self.db.system().await?;
        webhooks::record_attempt(&mut conn, claimed.company_id, claimed.id, &outcome).await?;
        Ok(())
    }

    /// Sends the signed request; the answer's status, or why there was none.
    async fn post(&self, claimed: &Claimed) -> Result<reqwest::StatusCode, String> {
        let url = rules::check_url(&claimed.url, self.allow_private)
            .map_err(|refused| refused.0.to_owned())?;
        let body = serde_json::to_vec(&claimed.payload).map_err(|error| error.to_string())?;
        let signature = rules::signature(&claimed.secret, self.clock.now().timestamp(), &body);
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header("Pulse-Event-Id", claimed.event_id.to_string())
            .header("Pulse-Event-Type", &claimed.event_type)
            .header("Pulse-Delivery-Id", claimed.id.to_string())
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        Ok(response.status())
    }

    /// One try of one scheduled report: built from the rollups now, sent, recorded.
    async fn report_email(&self, summary: report_email::Claimed) -> Result<(), db::DbError> {
        let mut conn = self.db.system().await?;
        let now = self.clock.now();
        let sent = match report_email::compose(&mut conn, &summary, &self.public_url, now).await? {
            // Nobody to send it to any more: done.
            None => true,
            Some(mail) => match self
                .mailer
                .deliver(&mail.to, &mail.subject, mail.body)
                .await
            {
                Ok(_) => true,
                Err(error) => {
                    tracing::warn!(%error, attempt = summary.attempts, "cannot send a report e-mail");
                    false
                }
            },
        };
        report_email::finish(&mut conn, &summary, sent, self.clock.now()).await?;
        Ok(())
    }

    /// One try of one alert email.
    async fn email(&self, email: alerts::ClaimedEmail) -> Result<(), db::DbError> {
        let subject = format!("[Pulse] {}", email.title);
        let body = format!(
            "Hello {},\n\n{} ({})\n\n{}\n\nSee your alerts: {}/alerts\n\nChoose which alerts you receive by email on the same page.\n",
            email.name, email.title, email.severity, email.body, self.public_url
        );
        let sent = match self.mailer.deliver(&email.email, &subject, body).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, attempt = email.attempts, "cannot send an alert email");
                false
            }
        };
        let next = (!sent && email.attempts < EMAIL_TRIES).then(|| {
            self.clock.now()
                + chrono::Duration::from_std(retry_wait(
                    self.retry_base,
                    email.attempts.unsigned_abs(),
                    jitter(),
                ))
                .unwrap_or_default()
        });
        let mut conn = self.db.system().await?;
        alerts::finish_email(&mut conn, email.seq, sent, next).await?;
        Ok(())
    }
}

/// The HTTP client for webhooks: no redirects, no proxies, bounded times, and (unless
/// private addresses are allowed) a resolver that only ever hands out public addresses,
/// so a name that resolves to an internal address cannot be reached even if its DNS
/// changes after the endpoint was registered.
fn webhook_client(allow_private: bool) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("Pulse-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// Resolves names with the system resolver and keeps only public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> =
                found.filter(|addr| rules::is_public(addr.ip())).collect();
            if public.is_empty() {
                return Err(rules::PRIVATE.0.into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// A transport error in words, with its causes (reqwest's own message is terse).
fn describe(error: reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "The endpoint did not answer within 10 seconds".to_owned()
    } else if error.is_connect() {
        "Cannot connect to the endpoint".to_owned()
    } else {
        "The request failed".to_owned()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A number in `[0, 1)` for spreading retries.
fn jitter() -> f64 {
    getrandom::u64().map_or(0.5, |bits| (bits >> 11) as f64 / (1u64 << 53) as f64)
}
