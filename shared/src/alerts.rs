//! Alerts: what happened that someone should know about, delivered per recipient.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, AlertId, PolicyId, UserId};

/// What an alert is about. Adding a kind: a variant here, its line in each `match`
/// below (the compiler lists them), and the SPA picks it up from [`AlertKind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum AlertKind {
    /// An agent stopped reporting.
    AgentOffline,
    /// An agent reported again after being offline.
    AgentOnline,
    /// Many of a company's computers stopped reporting at once (one presence round):
    /// one alert for all of them, which `GET /api/v1/agents?alert={id}` lists.
    FleetOffline,
    /// Every computer of a "fleet offline" alert reports again (or was revoked).
    FleetOnline,
    PaymentSucceeded,
    PaymentFailed,
    /// The subscription ends or renews soon.
    SubscriptionExpiring,
    /// Most of the plan's seats are taken.
    SeatUsageHigh,
    /// A monitoring policy changed.
    PolicyChanged,
    /// Sent on request, to check that alerts arrive.
    Test,
}

impl AlertKind {
    pub const ALL: [AlertKind; 10] = [
        AlertKind::AgentOffline,
        AlertKind::AgentOnline,
        AlertKind::FleetOffline,
        AlertKind::FleetOnline,
        AlertKind::PaymentSucceeded,
        AlertKind::PaymentFailed,
        AlertKind::SubscriptionExpiring,
        AlertKind::SeatUsageHigh,
        AlertKind::PolicyChanged,
        AlertKind::Test,
    ];

    /// The stable snake_case name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::AgentOffline => "agent_offline",
            AlertKind::AgentOnline => "agent_online",
            AlertKind::FleetOffline => "fleet_offline",
            AlertKind::FleetOnline => "fleet_online",
            AlertKind::PaymentSucceeded => "payment_succeeded",
            AlertKind::PaymentFailed => "payment_failed",
            AlertKind::SubscriptionExpiring => "subscription_expiring",
            AlertKind::SeatUsageHigh => "seat_usage_high",
            AlertKind::PolicyChanged => "policy_changed",
            AlertKind::Test => "test",
        }
    }

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::AgentOffline => "Agent offline",
            AlertKind::AgentOnline => "Agent back online",
            AlertKind::FleetOffline => "Computers offline",
            AlertKind::FleetOnline => "Computers back online",
            AlertKind::PaymentSucceeded => "Payment succeeded",
            AlertKind::PaymentFailed => "Payment failed",
            AlertKind::SubscriptionExpiring => "Subscription expiring",
            AlertKind::SeatUsageHigh => "Seat usage high",
            AlertKind::PolicyChanged => "Policy changed",
            AlertKind::Test => "Test alert",
        }
    }

    /// How serious an alert of this kind is.
    pub fn severity(self) -> Severity {
        match self {
            AlertKind::AgentOffline
            | AlertKind::FleetOffline
            | AlertKind::SubscriptionExpiring
            | AlertKind::SeatUsageHigh => Severity::Warning,
            AlertKind::PaymentFailed => Severity::Critical,
            AlertKind::AgentOnline
            | AlertKind::FleetOnline
            | AlertKind::PaymentSucceeded
            | AlertKind::PolicyChanged
            | AlertKind::Test => Severity::Info,
        }
    }

    /// Whether the alert describes a lasting condition (an agent is offline, a payment
    /// failed) rather than a one-off event. A condition is raised once while it stays
    /// open: raising it again changes nothing until it is resolved.
    ///
    /// A "fleet offline" alert is not one: a second outage while computers of the first
    /// are still away is news of its own. It stays open while any of its computers
    /// has not reported again, which its list records computer by computer.
    pub fn is_condition(self) -> bool {
        matches!(
            self,
            AlertKind::AgentOffline
                | AlertKind::PaymentFailed
                | AlertKind::SubscriptionExpiring
                | AlertKind::SeatUsageHigh
        )
    }

    /// The open condition an alert of this kind ends, for the same subject.
    pub fn resolves(self) -> Option<AlertKind> {
        match self {
            AlertKind::AgentOnline => Some(AlertKind::AgentOffline),
            AlertKind::PaymentSucceeded => Some(AlertKind::PaymentFailed),
            _ => None,
        }
    }

    /// Whether an alert of this kind stays open until each computer it lists reports
    /// again.
    pub fn waits_for_agents(self) -> bool {
        matches!(self, AlertKind::FleetOffline)
    }

    /// Whether a person who has not chosen otherwise gets this kind by email.
    pub fn emailed_by_default(self) -> bool {
        matches!(
            self,
            AlertKind::PaymentFailed | AlertKind::SubscriptionExpiring
        )
    }
}

impl std::fmt::Display for AlertKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AlertKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AlertKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown alert kind {s:?}"))
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "Info",
            Severity::Warning => "Warning",
            Severity::Critical => "Critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?}"))
    }
}

/// What an alert is about, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertSubject {
    pub agent_id: Option<AgentId>,
    /// The person concerned (for agent alerts, the agent's employee).
    pub user_id: Option<UserId>,
    /// A Stripe invoice id, e.g. `in_1P…`.
    pub invoice_id: Option<String>,
    pub policy_id: Option<PolicyId>,
}

/// One alert as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: AlertId,
    /// This recipient's position in their own alert stream: the SSE event id, and the
    /// order of the list. Increases with every alert the recipient receives.
    pub seq: i64,
    pub kind: AlertKind,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub subject: AlertSubject,
    pub created_at: DateTime<Utc>,
    /// When the recipient marked it read; absent while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// How many computers a fleet alert (`fleet_offline`, `fleet_online`) is about;
    /// absent for other kinds. `GET /api/v1/agents?alert={id}` lists them.
    pub agent_count: Option<u32>,
}

/// `GET /api/v1/alerts`: filters and a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub kind: Option<AlertKind>,
    pub severity: Option<Severity>,
    /// `true`: read alerts only; `false`: unread only; absent: both.
    pub read: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// `GET /api/v1/alerts/unread-count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: i64,
}

/// The answer of `POST /api/v1/alerts/read-all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkedRead {
    /// How many alerts changed from unread to read.
    pub marked: i64,
}

/// The answer of `POST /api/v1/alerts/stream-tickets`: a single-use credential for
/// `GET /api/v1/alerts/stream?ticket=…`, since browsers cannot set headers on an
/// `EventSource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

/// How one kind of alert reaches one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertPreference {
    pub kind: AlertKind,
    /// Shown in the app (the bell, the Alerts page, the live stream).
    pub in_app: bool,
    /// Sent by email.
    pub email: bool,
}

impl AlertPreference {
    /// What applies until the person chooses.
    pub fn default_for(kind: AlertKind) -> Self {
        Self {
            kind,
            in_app: true,
            email: kind.emailed_by_default(),
        }
    }
}

/// `GET|PUT /api/v1/me/alert-preferences`: one entry per kind. A PUT may name only
/// the kinds it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertPreferences {
    pub items: Vec<AlertPreference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in AlertKind::ALL {
            assert_eq!(kind.as_str().parse::<AlertKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.as_str()))
            );
        }
        for severity in Severity::ALL {
            assert_eq!(severity.as_str().parse::<Severity>(), Ok(severity));
        }
    }

    #[test]
    fn what_resolves_is_a_condition() {
        for kind in AlertKind::ALL {
            if let Some(condition) = kind.resolves() {
                assert!(condition.is_condition(), "{kind:?} resolves {condition:?}");
                assert!(!kind.is_condition(), "{kind:?}");
            }
        }
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(AlertKind);

#[cfg(feature = "diesel")]
crate::sql::text_column!(Severity);
