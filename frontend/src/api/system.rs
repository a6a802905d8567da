//! `/system/status`: the server's version, uptime and the health of its parts.

use gloo_net::http::Method;
use pulse_shared::system::SystemStatusResponse;

use super::ApiError;
use super::client::call;
use crate::session::Session;

/// `GET /api/v1/system/status`: the server's version, uptime and the health of its
/// parts; with details (latencies, errors, migrations) for owners and admins.
pub async fn system_status(session: Session) -> Result<SystemStatusResponse, ApiError> {
    call(session, Method::GET, "/api/v1/system/status", None).await
}
