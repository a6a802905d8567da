//! What every request handler can reach: the database pool and facts about this process.

use chrono::{DateTime, Utc};

use crate::db::DbPool;

/// Shared by all workers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub started_at: DateTime<Utc>,
}
