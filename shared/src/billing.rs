//! Plans and what they include.

use chrono::{DateTime, NaiveDate, Utc};
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
    /// Where the browser loads Stripe.js from, when configured.
    pub stripe_js_url: Option<String>,
    pub plan: Plan,
    /// People with at least one enrolled computer.
    pub seats_used: u32,
    /// How many people may have an enrolled computer; absent: no limit.
    pub seat_limit: Option<u32>,
    /// Where invoices and billing notices go; absent: the owners' addresses.
    pub billing_email: Option<String>,
    /// The paid subscription, when there is one (Free has none).
    pub subscription: Option<Subscription>,
    /// The card invoices are charged to.
    pub payment_method: Option<PaymentCard>,
    /// What the next renewal will charge, when the subscription renews.
    pub next_invoice: Option<NextInvoice>,
}

/// A paid plan's subscription, as Stripe last told us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub plan: PlanId,
    pub status: SubscriptionStatus,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    /// Auto-renew is off: the subscription ends at `current_period_end`.
    pub cancel_at_period_end: bool,
    /// Since when payment has been overdue, when it is; the company falls back to Free
    /// once `grace_ends_at` passes.
    pub unpaid_since: Option<DateTime<Utc>>,
    pub grace_ends_at: Option<DateTime<Utc>>,
}

/// Stripe's subscription states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum SubscriptionStatus {
    /// The first payment has not succeeded yet.
    Incomplete,
    /// The first payment never succeeded; the subscription is void.
    IncompleteExpired,
    Trialing,
    Active,
    /// A renewal payment failed; Stripe retries it.
    PastDue,
    Canceled,
    /// Stripe gave up retrying.
    Unpaid,
    Paused,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 8] = [
        SubscriptionStatus::Incomplete,
        SubscriptionStatus::IncompleteExpired,
        SubscriptionStatus::Trialing,
        SubscriptionStatus::Active,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Unpaid,
        SubscriptionStatus::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Paused => "paused",
        }
    }

    /// Whether the plan it pays for is in force (paid, or in trial).
    pub fn grants_plan(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing
        )
    }

    /// Whether money is owed: the plan stays in force for the grace period only.
    pub fn is_overdue(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Incomplete
                | SubscriptionStatus::PastDue
                | SubscriptionStatus::Unpaid
        )
    }

    /// Whether the subscription is over for good.
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired
        )
    }

    /// The label people read.
    pub fn label(self) -> &'static str {
        match self {
            SubscriptionStatus::Incomplete => "Payment pending",
            SubscriptionStatus::IncompleteExpired => "Expired",
            SubscriptionStatus::Trialing => "Trial",
            SubscriptionStatus::Active => "Active",
            SubscriptionStatus::PastDue => "Past due",
            SubscriptionStatus::Canceled => "Canceled",
            SubscriptionStatus::Unpaid => "Unpaid",
            SubscriptionStatus::Paused => "Paused",
        }
    }
}

impl std::str::FromStr for SubscriptionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SubscriptionStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown subscription status {s:?}"))
    }
}

/// The card on file: enough to recognise it, never its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentCard {
    /// `visa`, `mastercard`, `amex`, …
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// The renewal to come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextInvoice {
    pub amount_cents: i64,
    pub currency: String,
    pub date: DateTime<Utc>,
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

/// `POST /api/v1/billing/setup-intent`: what Stripe.js needs to collect a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardSetup {
    /// The SetupIntent's secret, passed to `stripe.confirmCardSetup`.
    pub client_secret: String,
    pub publishable_key: String,
    pub stripe_js_url: String,
}

/// `PUT /api/v1/billing/payment-method`: the card Stripe.js collected becomes the one
/// invoices are charged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodRequest {
    /// The PaymentMethod id (`pm_…`) Stripe.js answered with.
    pub payment_method_id: String,
}

/// `POST /api/v1/billing/preview`: what changing to `plan` would charge now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanPreviewRequest {
    pub plan: PlanId,
}

/// The prorated charge of a plan change, to show before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanPreview {
    pub plan: PlanId,
    /// Charged at once when the change is confirmed with `proration_date` (negative: a
    /// credit towards later invoices).
    pub amount_due_cents: i64,
    pub currency: String,
    /// Pass back when confirming, so the charge is the one shown.
    pub proration_date: i64,
    /// What the amount is made of.
    pub lines: Vec<PreviewLine>,
}

/// One line of a previewed invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewLine {
    pub description: String,
    pub amount_cents: i64,
}

/// `PUT /api/v1/billing/plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanChangeRequest {
    pub plan: PlanId,
    /// The `proration_date` of the preview shown, so the charge is the one previewed.
    #[serde(default)]
    pub proration_date: Option<i64>,
}

/// `PUT /api/v1/billing/auto-renew`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoRenewRequest {
    /// `false`: the subscription ends with the current period (Stripe's
    /// `cancel_at_period_end`).
    pub auto_renew: bool,
}

/// Stripe's invoice states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Void,
    Uncollectible,
}

impl InvoiceStatus {
    pub const ALL: [InvoiceStatus; 5] = [
        InvoiceStatus::Draft,
        InvoiceStatus::Open,
        InvoiceStatus::Paid,
        InvoiceStatus::Void,
        InvoiceStatus::Uncollectible,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
            InvoiceStatus::Uncollectible => "uncollectible",
        }
    }

    /// The label people read.
    pub fn label(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "Draft",
            InvoiceStatus::Open => "Open",
            InvoiceStatus::Paid => "Paid",
            InvoiceStatus::Void => "Void",
            InvoiceStatus::Uncollectible => "Uncollectible",
        }
    }
}

impl std::str::FromStr for InvoiceStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InvoiceStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| format!("unknown invoice status {s:?}"))
    }
}

/// An invoice, as Stripe last told us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    /// Stripe's id (`in_…`).
    pub id: String,
    /// The number printed on it, once finalized.
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub total_cents: i64,
    pub amount_due_cents: i64,
    pub amount_paid_cents: i64,
    pub currency: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Stripe's page for the invoice, where it can be paid.
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
    /// Why the last attempt to charge it failed, in words.
    pub payment_error: Option<String>,
}

/// `GET /api/v1/billing/invoices` (and `.csv`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    /// Only invoices in this state.
    pub status: Option<InvoiceStatus>,
    /// Only invoices made on or after this day (UTC).
    pub from: Option<NaiveDate>,
    /// Only invoices made on or before this day (UTC).
    pub to: Option<NaiveDate>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(PlanId);
#[cfg(feature = "diesel")]
crate::sql::text_column!(SubscriptionStatus);
#[cfg(feature = "diesel")]
crate::sql::text_column!(InvoiceStatus);

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
        for status in SubscriptionStatus::ALL {
            assert_eq!(status.as_str().parse::<SubscriptionStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for status in InvoiceStatus::ALL {
            assert_eq!(status.as_str().parse::<InvoiceStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
    }
}
