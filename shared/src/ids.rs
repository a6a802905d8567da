//! Typed ids: a `UserId` cannot be passed where a `CompanyId` is wanted.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        #[cfg(feature = "diesel")]
        crate::sql::uuid_column!($name);

        impl $name {
            /// A new, time-ordered id (UUID v7).
            #[cfg(feature = "new-ids")]
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id!(
    /// A company (tenant).
    CompanyId
);
id!(
    /// A person in a company.
    UserId
);
id!(
    /// A team (department) of a company.
    TeamId
);
id!(
    /// An integrator's API key.
    ApiKeyId
);
id!(
    /// An invitation to join a company.
    InvitationId
);
id!(
    /// One audit event.
    AuditEventId
);
id!(
    /// One alert (shared by all its recipients).
    AlertId
);
id!(
    /// A desktop agent enrolled on one computer.
    AgentId
);
id!(
    /// A monitoring policy (company default, team or employee override).
    PolicyId
);
id!(
    /// An integrator's HTTPS endpoint that receives alerts.
    WebhookEndpointId
);
id!(
    /// One event sent (or to be sent) to one webhook endpoint.
    WebhookDeliveryId
);
id!(
    /// A token that lets agents enroll computers into a company.
    EnrollmentTokenId
);
id!(
    /// A work session: activity joined while the gaps stay short.
    WorkSessionId
);
id!(
    /// One uploaded screenshot.
    ScreenshotId
);
id!(
    /// A rule that classifies applications and sites.
    CategoryRuleId
);
id!(
    /// One export of a person's data (a ZIP archive built in the background).
    DataExportId
);
