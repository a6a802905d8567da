//! `/billing…`: the plans on offer, where the company stands, its billing address.

use gloo_net::http::Method;
use pulse_shared::billing::{BillingEmailRequest, BillingOverview, Plan};

use super::ApiError;
use super::client::{call, json};
use crate::session::Session;

/// `GET /api/v1/billing/plans`: every plan, cheapest first.
pub async fn plans(session: Session) -> Result<Vec<Plan>, ApiError> {
    call(session, Method::GET, "/api/v1/billing/plans", None).await
}

/// `GET /api/v1/billing`: the company's plan, seats and billing address.
pub async fn billing(session: Session) -> Result<BillingOverview, ApiError> {
    call(session, Method::GET, "/api/v1/billing", None).await
}

/// `PUT /api/v1/billing/email`: where invoices go (`None`: the owners).
pub async fn set_billing_email(
    session: Session,
    request: &BillingEmailRequest,
) -> Result<BillingOverview, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/billing/email",
        json(request)?,
    )
    .await
}
