//! Plans and what they include.

use serde::{Deserialize, Serialize};

/// The plans a company can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum PlanId {
    Free,
    Pro,
    Enterprise,
}

impl PlanId {
    pub const ALL: [PlanId; 3] = [PlanId::Free, PlanId::Pro, PlanId::Enterprise];

    /// The stable lower-case name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanId::Free => "free",
            PlanId::Pro => "pro",
            PlanId::Enterprise => "enterprise",
        }
    }
}

impl std::str::FromStr for PlanId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlanId::ALL
            .into_iter()
            .find(|plan| plan.as_str() == s)
            .ok_or_else(|| format!("unknown plan {s:?}"))
    }
}

/// What a plan includes beyond its seats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanFeatures {
    /// Screenshots taken by agents, where a policy asks for them.
    pub screenshots: bool,
    /// Webhook endpoints that receive alerts.
    pub webhooks: bool,
    /// API keys for integrators.
    pub api_keys: bool,
    /// Reports exported as CSV or PDF.
    pub reports_export: bool,
    /// The longest a policy may keep activity and screenshots, in days.
    pub retention_days: u32,
    /// Single sign-on.
    pub sso: bool,
}

/// A plan as offered: its price, seats and features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub id: PlanId,
    pub name: String,
    /// The price of a month, in the currency's smallest unit (cents).
    pub monthly_price_cents: u32,
    /// ISO 4217, lower case (`usd`).
    pub currency: String,
    /// How many people may be monitored; absent: no limit.
    pub seat_limit: Option<u32>,
    pub features: PlanFeatures,
}

/// `GET /api/v1/billing`: where the company stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingOverview {
    /// Whether this server takes payments; when not, every company stays on its plan.
    pub configured: bool,
    /// The key Stripe.js uses in the browser, when configured.
    pub publishable_key: Option<String>,
    pub plan: Plan,
    /// People with at least one enrolled computer.
    pub seats_used: u32,
    /// How many people may have an enrolled computer.
    pub seat_limit: u32,
    /// Where invoices and billing notices go; absent: the owners' addresses.
    pub billing_email: Option<String>,
}

/// `PUT /api/v1/billing/email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BillingEmailRequest {
    /// Where invoices go; `null` to send them to the owners.
    pub billing_email: Option<String>,
}

/// The answer to a Stripe webhook event: stored now, or seen before and left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StripeEventReceipt {
    pub event_id: String,
    /// The event was received before; nothing changed.
    pub duplicate: bool,
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(PlanId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_ids_read_back() {
        for plan in PlanId::ALL {
            assert_eq!(plan.as_str().parse::<PlanId>(), Ok(plan));
            assert_eq!(
                serde_json::to_value(plan).unwrap(),
                serde_json::json!(plan.as_str())
            );
        }
        assert!("gold".parse::<PlanId>().is_err());
    }
}
