//! The audit trail: one event per change, hash-chained per company.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::AuditEventId;

/// What an audit event records: the change's kind, `area.verb` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum AuditAction {
    AgentEnrolled,
    AgentRevoked,
    AlertPreferencesUpdated,
    ApiKeyCreated,
    ApiKeyRevoked,
    AuthLogin,
    AuthLogout,
    AuthPasswordResetRequested,
    AuthRefreshTokenReused,
    BillingAutoRenewChanged,
    BillingEmailChanged,
    BillingInvoiceUpdated,
    BillingPaymentMethodChanged,
    BillingPlanChanged,
    BillingSubscriptionUpdated,
    CategoryRuleCreated,
    CategoryRuleDeleted,
    CategoryRuleUpdated,
    CompanyCreated,
    EnrollmentTokenCreated,
    EnrollmentTokenRevoked,
    InvitationRevoked,
    PersonalDataExportDownloaded,
    PersonalDataExportRequested,
    PolicyOverrideRemoved,
    PolicyOverrideSet,
    PolicyUpdated,
    ReportSubscriptionUpdated,
    ScreenshotDeleted,
    TeamCreated,
    TeamDeleted,
    TeamUpdated,
    UserCreated,
    UserDeleted,
    UserErased,
    UserInvited,
    UserJoined,
    UserPasswordChanged,
    UserPasswordReset,
    UserRestored,
    UserUpdated,
    WebhookCreated,
    WebhookDeleted,
    WebhookUpdated,
}

impl AuditAction {
    /// Every action the server records, in name order: the audit page's filter lists them.
    pub const ALL: [AuditAction; 44] = [
        AuditAction::AgentEnrolled,
        AuditAction::AgentRevoked,
        AuditAction::AlertPreferencesUpdated,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::AuthLogin,
        AuditAction::AuthLogout,
        AuditAction::AuthPasswordResetRequested,
        AuditAction::AuthRefreshTokenReused,
        AuditAction::BillingAutoRenewChanged,
        AuditAction::BillingEmailChanged,
        AuditAction::BillingInvoiceUpdated,
        AuditAction::BillingPaymentMethodChanged,
        AuditAction::BillingPlanChanged,
        AuditAction::BillingSubscriptionUpdated,
        AuditAction::CategoryRuleCreated,
        AuditAction::CategoryRuleDeleted,
        AuditAction::CategoryRuleUpdated,
        AuditAction::CompanyCreated,
        AuditAction::EnrollmentTokenCreated,
        AuditAction::EnrollmentTokenRevoked,
        AuditAction::InvitationRevoked,
        AuditAction::PersonalDataExportDownloaded,
        AuditAction::PersonalDataExportRequested,
        AuditAction::PolicyOverrideRemoved,
        AuditAction::PolicyOverrideSet,
        AuditAction::PolicyUpdated,
        AuditAction::ReportSubscriptionUpdated,
        AuditAction::ScreenshotDeleted,
        AuditAction::TeamCreated,
        AuditAction::TeamDeleted,
        AuditAction::TeamUpdated,
        AuditAction::UserCreated,
        AuditAction::UserDeleted,
        AuditAction::UserErased,
        AuditAction::UserInvited,
        AuditAction::UserJoined,
        AuditAction::UserPasswordChanged,
        AuditAction::UserPasswordReset,
        AuditAction::UserRestored,
        AuditAction::UserUpdated,
        AuditAction::WebhookCreated,
        AuditAction::WebhookDeleted,
        AuditAction::WebhookUpdated,
    ];

    /// The stored and filtered name, e.g. `user.invited`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::AgentEnrolled => "agent.enrolled",
            AuditAction::AgentRevoked => "agent.revoked",
            AuditAction::AlertPreferencesUpdated => "alert_preferences.updated",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::AuthLogin => "auth.login",
            AuditAction::AuthLogout => "auth.logout",
            AuditAction::AuthPasswordResetRequested => "auth.password_reset_requested",
            AuditAction::AuthRefreshTokenReused => "auth.refresh_token_reused",
            AuditAction::BillingAutoRenewChanged => "billing.auto_renew_changed",
            AuditAction::BillingEmailChanged => "billing.email_changed",
            AuditAction::BillingInvoiceUpdated => "billing.invoice_updated",
            AuditAction::BillingPaymentMethodChanged => "billing.payment_method_changed",
            AuditAction::BillingPlanChanged => "billing.plan_changed",
            AuditAction::BillingSubscriptionUpdated => "billing.subscription_updated",
            AuditAction::CategoryRuleCreated => "category_rule.created",
            AuditAction::CategoryRuleDeleted => "category_rule.deleted",
            AuditAction::CategoryRuleUpdated => "category_rule.updated",
            AuditAction::CompanyCreated => "company.created",
            AuditAction::EnrollmentTokenCreated => "enrollment_token.created",
            AuditAction::EnrollmentTokenRevoked => "enrollment_token.revoked",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::PersonalDataExportDownloaded => "personal_data.export_downloaded",
            AuditAction::PersonalDataExportRequested => "personal_data.export_requested",
            AuditAction::PolicyOverrideRemoved => "policy.override_removed",
            AuditAction::PolicyOverrideSet => "policy.override_set",
            AuditAction::PolicyUpdated => "policy.updated",
            AuditAction::ReportSubscriptionUpdated => "report_subscription.updated",
            AuditAction::ScreenshotDeleted => "screenshot.deleted",
            AuditAction::TeamCreated => "team.created",
            AuditAction::TeamDeleted => "team.deleted",
            AuditAction::TeamUpdated => "team.updated",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserDeleted => "user.deleted",
            AuditAction::UserErased => "user.erased",
            AuditAction::UserInvited => "user.invited",
            AuditAction::UserJoined => "user.joined",
            AuditAction::UserPasswordChanged => "user.password_changed",
            AuditAction::UserPasswordReset => "user.password_reset",
            AuditAction::UserRestored => "user.restored",
            AuditAction::UserUpdated => "user.updated",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::WebhookUpdated => "webhook.updated",
        }
    }
}

impl std::str::FromStr for AuditAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| format!("unknown audit action {s:?}"))
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum ActorKind {
    User,
    ApiKey,
    Agent,
    Stripe,
    System,
}

impl ActorKind {
    pub const ALL: [ActorKind; 5] = [
        ActorKind::User,
        ActorKind::ApiKey,
        ActorKind::Agent,
        ActorKind::Stripe,
        ActorKind::System,
    ];

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
        ActorKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown actor kind {s:?}"))
    }
}

/// What a change was made to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum TargetKind {
    Company,
    User,
    Team,
    Invitation,
    ApiKey,
    Agent,
    EnrollmentToken,
    Policy,
    Screenshot,
    Webhook,
    CategoryRule,
    DataExport,
}

impl TargetKind {
    pub const ALL: [TargetKind; 12] = [
        TargetKind::Company,
        TargetKind::User,
        TargetKind::Team,
        TargetKind::Invitation,
        TargetKind::ApiKey,
        TargetKind::Agent,
        TargetKind::EnrollmentToken,
        TargetKind::Policy,
        TargetKind::Screenshot,
        TargetKind::Webhook,
        TargetKind::CategoryRule,
        TargetKind::DataExport,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Company => "company",
            TargetKind::User => "user",
            TargetKind::Team => "team",
            TargetKind::Invitation => "invitation",
            TargetKind::ApiKey => "api_key",
            TargetKind::Agent => "agent",
            TargetKind::EnrollmentToken => "enrollment_token",
            TargetKind::Policy => "policy",
            TargetKind::Screenshot => "screenshot",
            TargetKind::Webhook => "webhook",
            TargetKind::CategoryRule => "category_rule",
            TargetKind::DataExport => "data_export",
        }
    }

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            TargetKind::Company => "Company",
            TargetKind::User => "Person",
            TargetKind::Team => "Team",
            TargetKind::Invitation => "Invitation",
            TargetKind::ApiKey => "API key",
            TargetKind::Agent => "Agent",
            TargetKind::EnrollmentToken => "Enrollment token",
            TargetKind::Policy => "Policy",
            TargetKind::Screenshot => "Screenshot",
            TargetKind::Webhook => "Webhook",
            TargetKind::CategoryRule => "Category rule",
            TargetKind::DataExport => "Data export",
        }
    }
}

impl std::str::FromStr for TargetKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TargetKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown target kind {s:?}"))
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

/// The answer of `GET /api/v1/audit-events/verify`: one stretch of the walk along the
/// chain, from its start or from `cursor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerifyResponse {
    /// Whether every link checked by this call holds (and, once there is no
    /// `next_cursor`, the chain's end where the company's head says it is).
    pub valid: bool,
    /// How many events this call checked.
    pub checked: i64,
    /// The first event whose hash does not match, when the chain is broken.
    pub first_broken_seq: Option<i64>,
    pub first_broken_id: Option<AuditEventId>,
    /// Present when this call stopped at its `limit` with the chain intact so far: send
    /// it as `cursor` to check the events that follow. Absent: the walk is complete.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The most events one call of `GET /api/v1/audit-events/verify` checks.
pub const MAX_VERIFY_EVENTS: u32 = 50_000;

/// Where `GET /api/v1/audit-events/verify` starts, and how far it goes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AuditVerifyQuery {
    /// The `next_cursor` of the previous call; absent, the first event. It names the last
    /// event checked and the hash it had, so the walk goes on from a link already proven.
    pub cursor: Option<String>,
    /// Events to check in this call, 1 to 50,000 (default 50,000).
    pub limit: Option<u32>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_have_one_name_each_and_read_back() {
        let mut names: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len(), "sorted and unique");
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        assert!("user.vanished".parse::<AuditAction>().is_err());
    }

    #[test]
    fn target_kinds_and_actor_kinds_read_back() {
        for kind in TargetKind::ALL {
            assert_eq!(kind.as_str().parse::<TargetKind>(), Ok(kind));
        }
        for kind in ActorKind::ALL {
            assert_eq!(kind.as_str().parse::<ActorKind>(), Ok(kind));
        }
        assert!("galaxy".parse::<TargetKind>().is_err());
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(AuditAction);

#[cfg(feature = "diesel")]
crate::sql::text_column!(ActorKind);

#[cfg(feature = "diesel")]
crate::sql::text_column!(TargetKind);
