//! Desktop agents: enrollment tokens, enrollment, heartbeats, and the agents as admins
//! see them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, AlertId, EnrollmentTokenId, UserId};

/// Longest host name, OS description and agent version accepted.
pub const MAX_HOST_FACT_CHARS: usize = 255;
/// Most uses one enrollment token may allow.
pub const MAX_TOKEN_USES: u32 = 10_000;
/// Longest validity of an enrollment token.
pub const MAX_TOKEN_HOURS: u32 = 24 * 90;

/// `POST /api/v1/enrollment-tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateEnrollmentTokenRequest {
    /// What the token is for, e.g. "Laptops of the support team", 1 to 80 characters.
    pub name: String,
    /// Enrolls every computer for this employee; absent: the agent names the employee
    /// by email when it enrolls.
    pub user_id: Option<UserId>,
    /// How long the token works, 1 to 2,160 hours (90 days).
    pub expires_in_hours: u32,
    /// How many computers may enroll with it, 1 to 10,000.
    pub max_uses: u32,
}

/// An enrollment token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentToken {
    pub id: EnrollmentTokenId,
    pub name: String,
    pub user_id: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: i32,
    pub uses: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The answer of `POST /api/v1/enrollment-tokens`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollmentTokenCreated {
    pub token: EnrollmentToken,
    /// `pet_…`: give it to `pulse-agent enroll --token`.
    pub secret: String,
}

/// `POST /api/v1/agent/enroll`: what an agent tells about its computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The enrollment token's secret.
    pub token: String,
    pub hostname: String,
    /// e.g. `Ubuntu 24.04 (x86_64)`.
    pub os: String,
    pub agent_version: String,
    /// The employee this computer belongs to, when the token does not name one.
    pub employee_email: Option<String>,
}

/// The answer of `POST /api/v1/agent/enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub agent_id: AgentId,
    pub user_id: UserId,
    /// The device credential (`pag_…`): send it as `Authorization: Bearer` on every
    /// agent call. Shown once; only its hash is kept.
    pub credential: String,
    /// The effective policy's version; fetch it from `GET /api/v1/agent/policy`.
    pub policy_version: String,
}

/// What the person at the computer is doing, as the agent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum AgentState {
    Active,
    Idle,
    Locked,
    /// Monitoring paused (outside working hours, or by the person where allowed).
    Paused,
}

impl AgentState {
    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            AgentState::Active => "Active",
            AgentState::Idle => "Idle",
            AgentState::Locked => "Locked",
            AgentState::Paused => "Paused",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Active => "active",
            AgentState::Idle => "idle",
            AgentState::Locked => "locked",
            AgentState::Paused => "paused",
        }
    }
}

impl std::str::FromStr for AgentState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            AgentState::Active,
            AgentState::Idle,
            AgentState::Locked,
            AgentState::Paused,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
        .ok_or_else(|| format!("unknown agent state {s:?}"))
    }
}

/// `POST /api/v1/agent/heartbeat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    pub state: AgentState,
    /// The agent's clock, to spot skew.
    pub sent_at: DateTime<Utc>,
    /// What waits in the agent's spool for the server; absent from agents that keep none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spool: Option<SpoolReport>,
}

/// The state of an agent's on-disk spool, as its heartbeat reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SpoolReport {
    /// Events and screenshots waiting to be sent.
    pub pending: u32,
    /// Items the agent dropped, oldest first, because its spool was full (since the
    /// spool was made; never reset).
    pub dropped: u64,
    /// Items the server refused for good, kept on the computer as dead letters.
    pub dead_letters: u32,
}

/// The answer of a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatResponse {
    /// When it differs from the version the agent holds, refetch the policy.
    pub policy_version: String,
    pub server_time: DateTime<Utc>,
}

/// Where an agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum AgentStatus {
    /// Heard from within its heartbeat interval and a grace period.
    Online,
    Offline,
    /// Not heard from for 30 days.
    Missing,
    /// Its credential was revoked; it can no longer report.
    Revoked,
}

impl AgentStatus {
    pub const ALL: [AgentStatus; 4] = [
        AgentStatus::Online,
        AgentStatus::Offline,
        AgentStatus::Missing,
        AgentStatus::Revoked,
    ];

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            AgentStatus::Online => "Online",
            AgentStatus::Offline => "Offline",
            AgentStatus::Missing => "Missing",
            AgentStatus::Revoked => "Revoked",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Offline => "offline",
            AgentStatus::Missing => "missing",
            AgentStatus::Revoked => "revoked",
        }
    }
}

impl std::str::FromStr for AgentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown agent status {s:?}"))
    }
}

/// Filters of `GET /api/v1/agents`. A status filter uses the status the presence job
/// last recorded (every `PULSE_PRESENCE_EVERY_SECS`, 10 s by default), so around a
/// change an agent may be listed under its previous status for that long.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AgentQuery {
    /// Matches part of the host name, or of the employee's name or e-mail address,
    /// case-insensitively.
    pub q: Option<String>,
    pub status: Option<AgentStatus>,
    /// Only the computers a fleet alert (`fleet_offline`, `fleet_online`) is about.
    pub alert: Option<AlertId>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// `GET /api/v1/agents/counts`: the agents within reach per status (as the presence job
/// last recorded it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentCounts {
    pub online: u64,
    pub offline: u64,
    pub missing: u64,
    pub revoked: u64,
}

impl AgentCounts {
    /// Every agent counted.
    pub fn total(&self) -> u64 {
        self.online + self.offline + self.missing + self.revoked
    }
}

/// An agent as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: AgentId,
    pub user_id: UserId,
    /// The employee's name.
    pub user_name: String,
    pub hostname: String,
    pub os: String,
    pub agent_version: String,
    pub status: AgentStatus,
    /// The state it last reported.
    pub state: Option<AgentState>,
    pub enrolled_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What waits in its spool, as its latest heartbeat (at `last_seen_at`) reported;
    /// `null` when that heartbeat carried no report.
    pub spool: Option<SpoolReport>,
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(AgentState);

#[cfg(feature = "diesel")]
crate::sql::text_column!(AgentStatus);
