//! `/me…`: the signed-in person, their password, and how they are monitored.

use gloo_net::http::Method;
use pulse_shared::auth::{ChangePasswordRequest, MeResponse, SessionResponse};
use pulse_shared::policies::MonitoringResponse;

use super::ApiError;
use super::client::{call, json};
use crate::session::Session;

/// `GET /api/v1/me`.
pub async fn me(session: Session) -> Result<MeResponse, ApiError> {
    call(session, Method::GET, "/api/v1/me", None).await
}

/// `GET /api/v1/me/monitoring`: the person's own computers and effective policy.
pub async fn my_monitoring(session: Session) -> Result<MonitoringResponse, ApiError> {
    call(session, Method::GET, "/api/v1/me/monitoring", None).await
}

/// `POST /api/v1/me/password`: answers with a new session that replaces the old one.
pub async fn change_password(
    session: Session,
    request: &ChangePasswordRequest,
) -> Result<SessionResponse, ApiError> {
    call(session, Method::POST, "/api/v1/me/password", json(request)?).await
}
