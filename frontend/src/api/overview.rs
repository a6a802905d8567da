//! `/overview`: the landing page's figures for the people the caller may see.

use gloo_net::http::Method;
use pulse_shared::reports::Overview;

use super::ApiError;
use super::client::call;
use crate::session::Session;

/// `GET /api/v1/overview`: who is working now, today and this week against last week,
/// teams, attendance today, the newest alerts and (owners and admins) seats, in the
/// company's time zone.
pub async fn overview(session: Session) -> Result<Overview, ApiError> {
    call(session, Method::GET, "/api/v1/overview", None).await
}
