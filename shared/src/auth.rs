//! Signing up, signing in and the signed-in person.

use serde::{Deserialize, Serialize};

use crate::ids::CompanyId;
use crate::people::Person;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted (argon2 would take anything; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// `POST /api/v1/auth/signup`: a new company and its owner, created once the address
/// is proven by the link sent to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The company's name, 1 to 120 characters.
    pub company_name: String,
    /// The owner's name, 1 to 120 characters.
    pub name: String,
    /// The owner's sign-in address.
    pub email: String,
    /// At least 10 characters.
    pub password: String,
}

/// The answer to a sign-up: a link is on its way to `email`. The answer is the same
/// whether the address has an account or not (then the message says so instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignupPending {
    pub email: String,
    /// When the link stops working; nothing is created until it is opened.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/auth/signup/verify`: the secret from the sign-up link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupVerifyRequest {
    pub token: String,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/v1/auth/password-reset`: send a link to reset the password of the
/// account with this address, if there is one (the answer is the same either way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/confirm`: the link's secret and the new password.
/// Signs in, and ends every other session of the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The secret from the link.
    pub token: String,
    /// At least 10 characters.
    pub password: String,
}

/// A signed-in session: a short-lived access token for the `Authorization: Bearer`
/// header. The refresh token travels only in an `HttpOnly` cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    /// A JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Seconds until the access token expires; refresh before then.
    pub expires_in: u64,
    /// Who signed in.
    pub me: MeResponse,
}

/// `GET /api/v1/me`: the signed-in person and their company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: Person,
    pub company: Company,
}

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/me/password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}
