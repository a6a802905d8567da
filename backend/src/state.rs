//! What every request handler can reach: the database pool, the identity services, and
//! facts about this process.

use chrono::{DateTime, Utc};

use crate::auth::password::Passwords;
use crate::auth::rate_limit::AuthRateLimits;
use crate::auth::tokens::TokenKeys;
use crate::db::DbPool;
use crate::mail::Mailer;

/// Shared by all workers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub started_at: DateTime<Utc>,
    pub tokens: TokenKeys,
    pub passwords: Passwords,
    pub auth_limits: AuthRateLimits,
    pub mailer: Mailer,
    /// Where people reach the app, for links sent to them.
    pub public_url: String,
    /// Whether cookies carry `Secure` (everywhere but plain-HTTP local use).
    pub secure_cookies: bool,
}
