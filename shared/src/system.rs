//! What the service says about itself: version, health of its parts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/system/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemStatusResponse {
    /// The version of the running server.
    pub version: String,
    /// When this server process started.
    pub started_at: DateTime<Utc>,
    /// The server's clock when it answered.
    pub server_time: DateTime<Utc>,
    /// One entry per part the service depends on.
    pub components: Vec<ComponentStatus>,
    /// The database migrations applied, newest first; empty unless `detailed`.
    pub migrations: Vec<MigrationInfo>,
    /// Whether the answer holds the details (each part's latency and error, the
    /// migrations): only for a signed-in owner or admin. Anyone else learns up or down.
    pub detailed: bool,
}

/// The health of one part of the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentStatus {
    /// What the part is, e.g. `database`.
    pub name: String,
    /// Whether it answers.
    pub health: Health,
    /// How long the check took, in milliseconds.
    pub latency_ms: Option<u64>,
    /// Why it is not healthy, when it is not.
    pub detail: Option<String>,
}

/// Whether a part answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Up,
    Down,
}

/// One applied database migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MigrationInfo {
    /// The migration's version, e.g. `2026-11-25-000000`.
    pub version: String,
    /// When it was applied.
    pub run_on: DateTime<Utc>,
}
