//! The audit trail: one event per change, hash-chained per company.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::AuditEventId;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    Agent,
    Stripe,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::Agent => "agent",
            ActorKind::Stripe => "stripe",
            ActorKind::System => "system",
        }
    }
}

impl std::str::FromStr for ActorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            ActorKind::User,
            ActorKind::ApiKey,
            ActorKind::Agent,
            ActorKind::Stripe,
            ActorKind::System,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == s)
        .ok_or_else(|| format!("unknown actor kind {s:?}"))
    }
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: AuditEventId,
    /// Position in the company's chain, from 1.
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    /// The user, API key or agent that acted; absent for Stripe and the system.
    pub actor_id: Option<Uuid>,
    /// What happened, e.g. `user.invited`.
    pub action: String,
    /// What it happened to, e.g. `user`.
    pub target_kind: String,
    pub target_id: Option<Uuid>,
    /// Before/after values of what changed.
    pub summary: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The answer of `GET /api/v1/audit-events/verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerifyResponse {
    /// Whether every link of the chain holds.
    pub valid: bool,
    /// How many events were checked.
    pub checked: i64,
    /// The first event whose hash does not match, when the chain is broken.
    pub first_broken_seq: Option<i64>,
    pub first_broken_id: Option<AuditEventId>,
}

/// Filters of `GET /api/v1/audit-events` (and its CSV export).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only events by this user, API key or agent.
    pub actor_id: Option<Uuid>,
    /// Only this action, e.g. `user.invited`.
    pub action: Option<String>,
    /// Only events about this kind of target, e.g. `user`.
    pub target_kind: Option<String>,
    /// Only events about this target.
    pub target_id: Option<Uuid>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}
