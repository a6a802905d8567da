//! `/api/v1/billing/*` (the plans on offer) and `/api/v1/stripe/webhook` (what Stripe
//! tells us, signed).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use diesel_async::AsyncConnection;
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::billing::{BillingEmailRequest, BillingOverview, Plan, StripeEventReceipt};
use pulse_shared::validate;
use serde::Deserialize;
use serde_json::json;

use super::extract::{Json, read_unencoded};
use crate::auth::principal::Principal;
use crate::billing::events;
use crate::billing::plans::{self, CompanyPlan};
use crate::db;
use crate::db::audit::{self, Change};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// What a refused signature says: never which part failed.
const BAD_SIGNATURE: &str = "The Stripe-Signature header does not sign this body with this server's webhook secret within five minutes.";

/// The plans a company can choose, cheapest first: price, seats and features.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = OK, body = Vec<Plan>),
        (status = UNAUTHORIZED, body = pulse_shared::Problem)
    )
)]
#[get("/billing/plans")]
pub async fn list_plans(
    _principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Plan>>, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    Ok(web::Json(plans::list(&mut conn).await?))
}

/// Where the company stands: its plan, seats in use and limit, billing address, and
/// whether this server takes payments. Owners and admins.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = OK, body = BillingOverview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem)
    )
)]
#[get("/billing")]
pub async fn overview(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<BillingOverview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let mut conn = db::conn(&state.pool).await?;
    let company = plans::of_company(&mut conn, principal.company_id(), false).await?;
    Ok(web::Json(overview_of(&state, company)))
}

/// Sets the address invoices and billing notices go to (`null`: the owners'). Audited.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    request_body = BillingEmailRequest,
    responses(
        (status = OK, body = BillingOverview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "Not an e-mail address (`billing_email`)")
    )
)]
#[put("/billing/email")]
pub async fn set_email(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<BillingEmailRequest>,
) -> Result<web::Json<BillingOverview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let email = body
        .billing_email
        .as_deref()
        .map(|email| email.trim().to_lowercase());
    if let Some(email) = &email {
        validate::email(email).map_err(|invalid| ApiError::invalid("/billing_email", invalid))?;
    }
    let company = principal.company_id();
    let actor = principal.actor().clone();
    let mut conn = db::conn(&state.pool).await?;
    let after = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let before = plans::of_company(conn, company, true).await?;
            plans::set_billing_email(conn, company, email.as_deref()).await?;
            let change = Change {
                action: AuditAction::BillingEmailChanged,
                target_kind: TargetKind::Company,
                target_id: Some(company.0),
                summary: json!({
                    "before": {"billing_email": before.billing_email},
                    "after": {"billing_email": email},
                }),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(CompanyPlan {
                billing_email: email.clone(),
                ..before
            })
        })
        .await?;
    Ok(web::Json(overview_of(&state, after)))
}

fn overview_of(state: &AppState, company: CompanyPlan) -> BillingOverview {
    BillingOverview {
        configured: state.stripe.is_some(),
        publishable_key: state
            .stripe
            .as_ref()
            .map(|stripe| stripe.publishable_key.clone()),
        plan: company.plan,
        seats_used: u32::try_from(company.seats_used).unwrap_or(0),
        seat_limit: u32::try_from(company.seat_limit).unwrap_or(0),
        billing_email: company.billing_email,
    }
}

/// Receives one Stripe event. The `Stripe-Signature` header must sign the raw body
/// with the webhook secret, made within five minutes; anything else is refused with
/// 400 and changes nothing. Each event id is stored once: a redelivery answers 200
/// with `duplicate` and changes nothing. 404 when billing is not configured.
#[utoipa::path(
    tag = "billing",
    request_body(content = serde_json::Value, description = "The event as Stripe sent it", content_type = "application/json"),
    params(("Stripe-Signature" = String, Header, description = "`t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">`")),
    responses(
        (status = OK, body = StripeEventReceipt),
        (status = BAD_REQUEST, body = pulse_shared::Problem, description = "No valid signature, or not an event"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "Billing is not configured on this server")
    )
)]
#[post("/stripe/webhook")]
pub async fn stripe_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(stripe) = &state.stripe else {
        return Err(ApiError::NotFound);
    };
    let header = req
        .headers()
        .get(events::SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::BadRequest(BAD_SIGNATURE.into()))?
        .to_owned();
    let body = read_unencoded(&req, payload.into_inner(), events::MAX_EVENT_BYTES, None).await?;
    let now = state.clock.now();
    if !events::verify(&stripe.webhook_secret, &header, &body, now) {
        return Err(ApiError::BadRequest(BAD_SIGNATURE.into()));
    }
    let payload: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::BadRequest("The body is not JSON.".into()))?;
    let event = events::Envelope::deserialize(&payload).map_err(|_| {
        ApiError::BadRequest("The body is not a Stripe event (`id`, `type`, `created`).".into())
    })?;
    let mut conn = db::conn(&state.pool).await?;
    let new = events::record(&mut conn, &event, payload, now).await?;
    Ok(HttpResponse::Ok().json(StripeEventReceipt {
        event_id: event.id,
        duplicate: !new,
    }))
}
