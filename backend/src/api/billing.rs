//! `/api/v1/billing/*` (plans, the company's subscription, card and invoices) and
//! `/api/v1/stripe/webhook` (what Stripe tells us, signed).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::Page;
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::billing::{
    AutoRenewRequest, BillingEmailRequest, BillingOverview, CardSetup, Invoice, InvoiceQuery,
    NextInvoice, PaymentMethodRequest, Plan, PlanChangeRequest, PlanPreview, PlanPreviewRequest,
    StripeEventReceipt,
};
use pulse_shared::ids::CompanyId;
use pulse_shared::validate;
use serde::Deserialize;
use serde_json::json;

use super::extract::{Json, read_unencoded};
use super::{csv, paging};
use crate::auth::principal::Principal;
use crate::auth::rate_limit::STRIPE_CALLS_PER_COMPANY;
use crate::billing::invoices::{self, Cursor};
use crate::billing::plans::{self, CompanyPlan};
use crate::billing::{Stripe, account, cards, events, subscriptions};
use crate::db::audit::{self, Change};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// The most rows one CSV export of invoices holds.
const CSV_MAX_ROWS: i64 = 10_000;

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
    let mut conn = state.db.tenant(_principal.company_id()).await?;
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
    answer(&state, principal.company_id()).await
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
    if let (Some(stripe), Some(email)) = (&state.stripe, &email) {
        // Stripe first (no connection held while it answers): its receipts go there.
        let mut conn = state.db.tenant(company).await?;
        let customer = plans::of_company(&mut conn, company, false)
            .await?
            .stripe_customer_id;
        drop(conn);
        if let Some(customer) = customer {
            stripe
                .client
                .update_customer_email(&customer, email, uuid::Uuid::new_v4())
                .await?;
        }
    }
    let mut conn = state.db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
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
        Ok(())
    })
    .await?;
    drop(conn);
    answer(&state, company).await
}

/// The answer of the overview and of every change: where `company` stands now.
async fn answer(
    state: &AppState,
    company: CompanyId,
) -> Result<web::Json<BillingOverview>, ApiError> {
    let mut conn = state.db.tenant(company).await?;
    Ok(web::Json(overview_of(state, &mut conn, company).await?))
}

/// Where `company` stands.
async fn overview_of(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> Result<BillingOverview, ApiError> {
    let CompanyPlan {
        plan,
        seats_used,
        seat_limit,
        billing_email,
        ..
    } = plans::of_company(conn, company, false).await?;
    let stripe = state.stripe.as_ref();
    let grace = stripe.map(|stripe| stripe.config.grace).unwrap_or_default();
    let subscription = subscriptions::of_company(conn, company, false)
        .await?
        .filter(|row| !row.status.is_ended());
    let next_invoice = subscription
        .as_ref()
        .filter(|row| !row.cancel_at_period_end && row.status.grants_plan())
        .map(|row| NextInvoice {
            amount_cents: i64::from(plan.monthly_price_cents),
            currency: plan.currency.clone(),
            date: row.current_period_end,
        });
    Ok(BillingOverview {
        configured: stripe.is_some(),
        publishable_key: stripe.map(|stripe| stripe.config.publishable_key.clone()),
        stripe_js_url: stripe.map(|stripe| stripe.config.js_url.clone()),
        plan,
        seats_used: u32::try_from(seats_used).unwrap_or(0),
        seat_limit: seat_limit.map(|limit| u32::try_from(limit).unwrap_or(0)),
        billing_email,
        subscription: subscription.map(|row| row.to_api(grace)),
        payment_method: cards::of_company(conn, company).await?.map(Into::into),
        next_invoice,
    })
}

/// Stripe for an action of `principal`'s company, or why billing cannot be changed:
/// not set up on this server, or too many Stripe calls from the company this minute.
async fn stripe<'a>(state: &'a AppState, principal: &Principal) -> Result<&'a Stripe, ApiError> {
    let stripe = state
        .stripe
        .as_ref()
        .ok_or_else(|| ApiError::Conflict("Payments are not set up on this server.".into()))?;
    state
        .limits
        .hit(
            STRIPE_CALLS_PER_COMPANY,
            &principal.company_id().to_string(),
        )
        .await?;
    Ok(stripe)
}

/// Starts adding a card: a Stripe SetupIntent (and the company's Stripe customer, on
/// first need) whose secret Stripe.js confirms with the card entered.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    responses(
        (status = OK, body = CardSetup),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "Payments are not set up on this server"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many Stripe calls from the company this minute"),
        (status = BAD_GATEWAY, body = pulse_shared::Problem, description = "Stripe failed or did not answer")
    )
)]
#[post("/billing/setup-intent")]
pub async fn setup_intent(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<CardSetup>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let stripe = stripe(&state, &principal).await?;
    let customer = account::customer(&state.db, stripe, principal.company_id()).await?;
    let intent = stripe
        .client
        .create_setup_intent(&customer, uuid::Uuid::new_v4())
        .await?;
    Ok(web::Json(CardSetup {
        client_secret: intent.client_secret,
        publishable_key: stripe.config.publishable_key.clone(),
        stripe_js_url: stripe.config.js_url.clone(),
    }))
}

/// Makes the card Stripe.js collected the one invoices are charged to. Audited.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    request_body = PaymentMethodRequest,
    responses(
        (status = OK, body = BillingOverview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = PAYMENT_REQUIRED, body = pulse_shared::Problem, description = "The card was declined"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "Payments are not set up on this server"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "No such card (`payment_method_id`)"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many Stripe calls from the company this minute"),
        (status = BAD_GATEWAY, body = pulse_shared::Problem, description = "Stripe failed or did not answer")
    )
)]
#[put("/billing/payment-method")]
pub async fn set_payment_method(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<PaymentMethodRequest>,
) -> Result<web::Json<BillingOverview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let stripe = stripe(&state, &principal).await?;
    let company = principal.company_id();
    account::set_card(
        &state.db,
        stripe,
        company,
        principal.actor(),
        body.payment_method_id.trim(),
    )
    .await?;
    answer(&state, company).await
}

/// What changing to `plan` would charge now (Stripe's prorated preview), to show
/// before the change is confirmed with its `proration_date`.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    request_body = PlanPreviewRequest,
    responses(
        (status = OK, body = PlanPreview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "More seats in use than the plan has, or payments are not set up"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "Not a plan (`plan`)"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many Stripe calls from the company this minute"),
        (status = BAD_GATEWAY, body = pulse_shared::Problem, description = "Stripe failed or did not answer")
    )
)]
#[post("/billing/preview")]
pub async fn preview(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<PlanPreviewRequest>,
) -> Result<web::Json<PlanPreview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let stripe = stripe(&state, &principal).await?;
    let now = state.clock.now();
    Ok(web::Json(
        account::preview(&state.db, stripe, principal.company_id(), body.plan, now).await?,
    ))
}

/// Changes the company's plan: subscribes, changes the subscription with proration
/// (charging the difference at once), or, to Free, ends it now. Refused when the plan
/// has fewer seats than are in use (naming how many agents to revoke) or without a
/// card; a declined card answers 402 and leaves the plan as it was. Audited.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    request_body = PlanChangeRequest,
    responses(
        (status = OK, body = BillingOverview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = PAYMENT_REQUIRED, body = pulse_shared::Problem, description = "The card was declined"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "On this plan already, more seats in use than the plan has, or payments are not set up"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "Not a plan, or no card for a paid plan (`plan`); a preview more than an hour old (`proration_date`)"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many Stripe calls from the company this minute"),
        (status = BAD_GATEWAY, body = pulse_shared::Problem, description = "Stripe failed or did not answer")
    )
)]
#[put("/billing/plan")]
pub async fn change_plan(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<PlanChangeRequest>,
) -> Result<web::Json<BillingOverview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let stripe = stripe(&state, &principal).await?;
    let company = principal.company_id();
    let actor = principal.actor();
    account::change_plan(
        &state.db,
        stripe,
        company,
        actor,
        body.plan,
        body.proration_date,
    )
    .await?;
    answer(&state, company).await
}

/// Auto-renew on or off: off, the subscription ends with the current period. Audited.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    request_body = AutoRenewRequest,
    responses(
        (status = OK, body = BillingOverview),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "No paid subscription, or payments are not set up"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many Stripe calls from the company this minute"),
        (status = BAD_GATEWAY, body = pulse_shared::Problem, description = "Stripe failed or did not answer")
    )
)]
#[put("/billing/auto-renew")]
pub async fn set_auto_renew(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<AutoRenewRequest>,
) -> Result<web::Json<BillingOverview>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let stripe = stripe(&state, &principal).await?;
    let company = principal.company_id();
    account::set_auto_renew(
        &state.db,
        stripe,
        company,
        principal.actor(),
        body.auto_renew,
    )
    .await?;
    answer(&state, company).await
}

/// The company's invoices, newest first, by status and day made.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    params(InvoiceQuery),
    responses(
        (status = OK, body = Page<Invoice>),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "A bad filter, cursor or page size")
    )
)]
#[get("/billing/invoices")]
pub async fn list_invoices(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<InvoiceQuery>,
) -> Result<web::Json<Page<Invoice>>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let limit = paging::page_size(query.limit)?;
    let after: Option<Cursor> = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = invoices::list(
        &mut conn,
        principal.company_id(),
        &query,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    Ok(web::Json(paging::page(rows, limit, Cursor::of)))
}

/// One invoice of the company's, by Stripe's id.
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Stripe's invoice id (`in_…`)")),
    responses(
        (status = OK, body = Invoice),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem)
    )
)]
#[get("/billing/invoices/{id}")]
pub async fn get_invoice(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Invoice>, ApiError> {
    principal.require(Action::ManageBilling)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    invoices::find(&mut conn, principal.company_id(), &id)
        .await?
        .map(|row| web::Json(row.into()))
        .ok_or(ApiError::NotFound)
}

/// The same filter as a CSV file (at most 10,000 invoices, newest first).
#[utoipa::path(
    tag = "billing",
    security(("bearer" = [])),
    params(InvoiceQuery),
    responses(
        (status = OK, content_type = "text/csv", body = String),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "A bad filter")
    )
)]
#[get("/billing/invoices.csv")]
pub async fn export_invoices(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<InvoiceQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageBilling)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let mut csv = String::from(
        "id,number,status,created_at,period_start,period_end,currency,total,amount_due,amount_paid,payment_error,hosted_invoice_url,invoice_pdf\n",
    );
    let mut after: Option<Cursor> = None;
    let mut written = 0;
    while written < CSV_MAX_ROWS {
        let rows = invoices::list(
            &mut conn,
            principal.company_id(),
            &query,
            after.as_ref(),
            500,
        )
        .await?;
        let Some(last) = rows.last() else { break };
        after = Some(Cursor {
            created_at: last.created_at,
            id: last.id.clone(),
        });
        for row in rows {
            let cents = |cents: i64| format!("{:.2}", cents as f64 / 100.0);
            let fields = [
                row.id.clone(),
                row.number.clone().unwrap_or_default(),
                row.status.as_str().to_owned(),
                row.created_at.to_rfc3339(),
                row.period_start.to_rfc3339(),
                row.period_end.to_rfc3339(),
                row.currency.to_uppercase(),
                cents(row.total_cents),
                cents(row.amount_due_cents),
                cents(row.amount_paid_cents),
                row.payment_error.clone().unwrap_or_default(),
                row.hosted_invoice_url.clone().unwrap_or_default(),
                row.invoice_pdf.clone().unwrap_or_default(),
            ];
            csv::push_line(&mut csv, &fields);
            written += 1;
        }
    }
    Ok(csv::attachment("invoices.csv", csv))
}

/// Receives one Stripe event. The `Stripe-Signature` header must sign the raw body
/// with the webhook secret, made within five minutes; anything else is refused with
/// 400 and changes nothing. Each event id is stored and applied once, in one
/// transaction: a redelivery answers 200 with `duplicate` and changes nothing, and
/// an event older than the state stored leaves it. 404 when billing is not configured.
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
    let stripe = &stripe.config;
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
    let mut conn = state.db.system().await?;
    let new = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let new = events::record(conn, &event, &payload, now).await?;
            if new {
                events::apply(conn, &event, &payload, now).await?;
            }
            Ok(new)
        })
        .await?;
    Ok(HttpResponse::Ok().json(StripeEventReceipt {
        event_id: event.id,
        duplicate: !new,
    }))
}
