//! What every request handler can reach: the database pool, the identity services, and
//! facts about this process.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use crate::alerting::live::{Live, StreamSlots};
use crate::clock::Clock;

use crate::auth::device_cache::AgentCache;
use crate::auth::password::Passwords;
use crate::auth::rate_limit::{RateLimits, TrustedProxies};
use crate::auth::tokens::TokenKeys;
use crate::db::Db;
use crate::mail::Mailer;
use crate::storage::Store;
use crate::worker::heartbeats::SeenBuffer;

/// Shared by all workers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// What "now" is (see `clock`).
    pub clock: Clock,
    pub started_at: DateTime<Utc>,
    pub tokens: TokenKeys,
    pub passwords: Passwords,
    /// Rate limits, counted in the database for every replica.
    pub limits: RateLimits,
    /// The proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    pub mailer: Mailer,
    /// Where people reach the app, for links sent to them.
    pub public_url: String,
    /// Whether cookies carry `Secure` (everywhere but plain-HTTP local use).
    pub secure_cookies: bool,
    /// This replica's hub of open alert streams.
    pub live: Live,
    /// Places for alert streams on this replica, in all and per person.
    pub streams: StreamSlots,
    /// Whether webhook endpoints may be plain-HTTP or private addresses (local testing).
    pub webhooks_allow_private: bool,
    /// The keep-alive interval of alert streams.
    pub sse_heartbeat: Duration,
    /// Heartbeats not yet written (see `heartbeats`).
    pub seen: SeenBuffer,
    /// Device credentials and effective policies of recent agent calls.
    pub agent_cache: AgentCache,
    /// Where screenshots are kept.
    pub store: Store,
    /// The most screenshot bytes one company may store.
    pub screenshot_quota_bytes: i64,
    /// Screenshot bodies that may be in memory at once (each up to 8 MiB): an upload
    /// takes a slot before its body is read and holds it until the image is stored.
    pub upload_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// How long a deleted person stays restorable.
    pub deletion_grace: chrono::Duration,
    /// Stripe, when billing is configured.
    pub stripe: Option<crate::billing::Stripe>,
    /// Images decoded at once: decoding is CPU-bound and takes tens of MiB per image, so
    /// uploads beyond one per core wait here instead of crowding memory.
    pub image_work: std::sync::Arc<tokio::sync::Semaphore>,
    /// Wakes this replica's data export worker when an export is asked for here (other
    /// replicas find it on their next poll).
    pub exports_wake: std::sync::Arc<tokio::sync::Notify>,
    /// The replica's background tasks, stopped when the last worker lets go of the state.
    pub background: std::sync::Arc<Background>,
}

impl AppState {
    /// The client's address, through the trusted proxies; empty when unknown.
    pub fn client_address(&self, req: &actix_web::HttpRequest) -> String {
        self.trusted_proxies
            .client(req)
            .map(|address| address.to_string())
            .unwrap_or_default()
    }
}

/// Tasks that live as long as the server: aborted on drop.
#[derive(Default)]
pub struct Background(pub Vec<JoinHandle<()>>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
