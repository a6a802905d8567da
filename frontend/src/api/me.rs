//! `/me…`: the signed-in person and their password.

use gloo_net::http::Method;
use pulse_shared::auth::{ChangePasswordRequest, MeResponse, SessionResponse};

use super::ApiError;
use super::client::{call, json};
use crate::session::Session;

/// `GET /api/v1/me`.
pub async fn me(session: Session) -> Result<MeResponse, ApiError> {
    call(session, Method::GET, "/api/v1/me", None).await
}

/// `POST /api/v1/me/password`: answers with a new session that replaces the old one.
pub async fn change_password(
    session: Session,
    request: &ChangePasswordRequest,
) -> Result<SessionResponse, ApiError> {
    call(session, Method::POST, "/api/v1/me/password", json(request)?).await
}
