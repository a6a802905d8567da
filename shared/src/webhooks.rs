//! Outbound webhooks: HTTPS endpoints of an integrator that receive the company's
//! alerts, signed, retried and logged.
//!
//! Every delivery is a `POST` with a JSON [`WebhookEvent`] body and these headers:
//! - `Pulse-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is
//!   HMAC-SHA256(endpoint secret, `"<t>.<raw body>"`). Receivers recompute it, compare
//!   in constant time, and reject a `t` more than five minutes from their clock.
//! - `Pulse-Event-Id` (the same for every attempt and replay of one event: use it to
//!   drop duplicates), `Pulse-Event-Type`, `Pulse-Delivery-Id`.
//!
//! A 2xx answer within 10 seconds counts as delivered; anything else is retried with
//! exponential backoff and jitter for up to a day. Redirects are not followed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::alerts::AlertKind;
use crate::ids::{CompanyId, WebhookDeliveryId, WebhookEndpointId};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Pulse-Signature";
/// Longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// Most endpoints one company may register.
pub const MAX_ENDPOINTS: i64 = 20;

/// A registered endpoint, as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// The alert kinds sent to this endpoint.
    pub kinds: Vec<AlertKind>,
    /// A disabled endpoint receives nothing; its log stays.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An `https://` URL on a public address, at most 2,048 characters.
    pub url: String,
    /// What the endpoint is for, up to 200 characters.
    #[serde(default)]
    pub description: String,
    /// At least one kind.
    pub kinds: Vec<AlertKind>,
}

/// `PATCH /api/v1/webhooks/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    pub url: Option<String>,
    pub description: Option<String>,
    pub kinds: Option<Vec<AlertKind>>,
    pub enabled: Option<bool>,
}

/// The answer of `POST /api/v1/webhooks`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookCreatedResponse {
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_…`). Store it now: it cannot be shown again.
    pub secret: String,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// An attempt got a 2xx answer.
    Succeeded,
    /// Every attempt for a day failed; it will not be retried (replay sends it again).
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Succeeded,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown delivery status {s:?}"))
    }
}

/// One event for one endpoint, with the outcome of its latest attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    /// The event's id: the same on a replay.
    pub event_id: Uuid,
    /// `alert.<kind>`, or `webhook.test`.
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The HTTP status of the latest attempt, if one got an answer.
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    /// Why the latest attempt failed, when it did.
    pub last_error: Option<String>,
    /// The delivery this one replays.
    pub replay_of: Option<WebhookDeliveryId>,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    /// 1 for the first try.
    pub number: i32,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
}

/// `GET /api/v1/webhooks/deliveries/{id}`: a delivery, every attempt, and the body sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryDetail {
    pub delivery: WebhookDelivery,
    pub attempts: Vec<WebhookAttempt>,
    pub payload: WebhookEvent,
}

/// The body of every webhook request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEvent {
    /// Unique per event; repeated on retries and replays.
    pub id: Uuid,
    /// `alert.<kind>` (e.g. `alert.agent_offline`) or `webhook.test`.
    #[serde(rename = "type")]
    pub event_type: String,
    pub company_id: CompanyId,
    pub created_at: DateTime<Utc>,
    /// For alerts: `{id, kind, severity, title, body, subject, agent_count, created_at}`;
    /// `agent_count` is how many computers a fleet alert (`alert.fleet_offline`,
    /// `alert.fleet_online`) is about, `null` for other kinds, and
    /// `GET /api/v1/agents?alert={id}` lists them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(DeliveryStatus);
