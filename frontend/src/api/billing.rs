//! `/billing…`: the plans on offer, where the company stands, its billing address, the
//! card (through a Stripe SetupIntent), plan changes with their preview, auto-renew, and
//! the invoices.

use gloo_net::http::Method;
use pulse_shared::Page;
use pulse_shared::billing::{
    AutoRenewRequest, BillingEmailRequest, BillingOverview, CardSetup, Invoice, InvoiceQuery,
    PaymentMethodRequest, Plan, PlanChangeRequest, PlanPreview, PlanPreviewRequest,
};

use super::ApiError;
use super::client::{call, get_text, json, with_query};
use crate::session::Session;

/// `GET /api/v1/billing/plans`: every plan, cheapest first.
pub async fn plans(session: Session) -> Result<Vec<Plan>, ApiError> {
    call(session, Method::GET, "/api/v1/billing/plans", None).await
}

/// `GET /api/v1/billing`: the company's plan, seats, subscription, card and address.
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

/// `POST /api/v1/billing/setup-intent`: what Stripe.js needs to collect a card.
pub async fn card_setup(session: Session) -> Result<CardSetup, ApiError> {
    call(session, Method::POST, "/api/v1/billing/setup-intent", None).await
}

/// `PUT /api/v1/billing/payment-method`: the card Stripe.js collected is charged from now on.
pub async fn set_payment_method(
    session: Session,
    request: &PaymentMethodRequest,
) -> Result<BillingOverview, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/billing/payment-method",
        json(request)?,
    )
    .await
}

/// `POST /api/v1/billing/preview`: what moving to a plan would charge now.
pub async fn preview_plan(
    session: Session,
    request: &PlanPreviewRequest,
) -> Result<PlanPreview, ApiError> {
    call(
        session,
        Method::POST,
        "/api/v1/billing/preview",
        json(request)?,
    )
    .await
}

/// `PUT /api/v1/billing/plan`: moves to a plan, charged as previewed.
pub async fn change_plan(
    session: Session,
    request: &PlanChangeRequest,
) -> Result<BillingOverview, ApiError> {
    call(session, Method::PUT, "/api/v1/billing/plan", json(request)?).await
}

/// `PUT /api/v1/billing/auto-renew`: whether the subscription renews at the period's end.
pub async fn set_auto_renew(
    session: Session,
    request: &AutoRenewRequest,
) -> Result<BillingOverview, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/billing/auto-renew",
        json(request)?,
    )
    .await
}

/// `GET /api/v1/billing/invoices` with filters and a cursor, newest first.
pub async fn invoices(session: Session, query: &InvoiceQuery) -> Result<Page<Invoice>, ApiError> {
    let url = with_query("/api/v1/billing/invoices", query)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/billing/invoices/{id}`.
pub async fn invoice(session: Session, id: &str) -> Result<Invoice, ApiError> {
    let url = format!(
        "/api/v1/billing/invoices/{}",
        js_sys::encode_uri_component(id)
    );
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/billing/invoices.csv` with the same filters: the CSV text.
pub async fn invoices_csv(session: Session, query: &InvoiceQuery) -> Result<String, ApiError> {
    let query = InvoiceQuery {
        cursor: None,
        limit: None,
        ..query.clone()
    };
    let url = with_query("/api/v1/billing/invoices.csv", &query)?;
    get_text(session, &url).await
}
