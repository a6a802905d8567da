//! API keys for integrators.

use serde::{Deserialize, Serialize};

use crate::ids::{ApiKeyId, UserId};
use crate::people::Role;

/// An API key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    /// What the key may do (never more than the person who made it).
    pub role: Role,
    /// The visible start of the key, e.g. `pk_3f9a0c1d`.
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What the key is for, 1 to 80 characters.
    pub name: String,
    /// `admin`, `manager` or `employee`; at most your own role.
    pub role: Role,
}

/// The answer of `POST /api/v1/api-keys`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreatedResponse {
    pub api_key: ApiKey,
    /// Send as `Authorization: Bearer <secret>`. Store it now: it cannot be shown again.
    pub secret: String,
}
