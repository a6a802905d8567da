//! `/auth/…`: sign-up, sign-in, the refresh cookie, sign-out and password resets; none
//! of these needs a session.

use gloo_net::http::Method;
use pulse_shared::auth::{
    LoginRequest, PasswordResetConfirm, PasswordResetRequest, SessionResponse, SignupPending,
    SignupRequest, SignupVerifyRequest,
};

use super::ApiError;
use super::client::{answer_of, call_public, call_public_empty, early_refresh, json};

/// `POST /api/v1/auth/signup`: a link to create the company is sent to the address.
pub async fn signup(request: &SignupRequest) -> Result<SignupPending, ApiError> {
    call_public(Method::POST, "/api/v1/auth/signup", json(request)?).await
}

/// `POST /api/v1/auth/signup/verify`: opens the sign-up link; the new owner, signed in.
pub async fn verify_signup(token: &str) -> Result<SessionResponse, ApiError> {
    let body = json(&SignupVerifyRequest {
        token: token.to_owned(),
    })?;
    call_public(Method::POST, "/api/v1/auth/signup/verify", body).await
}

/// `POST /api/v1/auth/login`.
pub async fn login(request: &LoginRequest) -> Result<SessionResponse, ApiError> {
    call_public(Method::POST, "/api/v1/auth/login", json(request)?).await
}

/// `POST /api/v1/auth/refresh`: trades the refresh cookie for a new session; none when
/// this browser holds no sign-in (204). The first time, the answer is the one to the
/// request `boot.js` sent while the app loaded.
pub(super) async fn refresh() -> Result<Option<SessionResponse>, ApiError> {
    match early_refresh() {
        Some(sent) => answer_of(sent).await,
        None => call_public(Method::POST, "/api/v1/auth/refresh", None).await,
    }
}

/// `POST /api/v1/auth/logout`: revokes the refresh cookie and clears it.
pub async fn logout() -> Result<(), ApiError> {
    call_public_empty(Method::POST, "/api/v1/auth/logout", None).await
}

/// `POST /api/v1/auth/password-reset`: a reset link for the address, if it has an account.
pub async fn request_password_reset(email: &str) -> Result<(), ApiError> {
    let body = json(&PasswordResetRequest {
        email: email.to_owned(),
    })?;
    call_public_empty(Method::POST, "/api/v1/auth/password-reset", body).await
}

/// `POST /api/v1/auth/password-reset/confirm`: the new password; signed in.
pub async fn confirm_password_reset(
    request: &PasswordResetConfirm,
) -> Result<SessionResponse, ApiError> {
    call_public(
        Method::POST,
        "/api/v1/auth/password-reset/confirm",
        json(request)?,
    )
    .await
}
