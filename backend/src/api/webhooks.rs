//! `/api/v1/webhooks`: integrators' HTTPS endpoints for alerts, their delivery log,
//! test deliveries and replays. The signature format is documented on
//! [`pulse_shared::webhooks`].

use pulse_shared::audit::{AuditAction, TargetKind};
use std::net::IpAddr;
use std::time::Duration;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::ids::{WebhookDeliveryId, WebhookEndpointId};
use pulse_shared::webhooks::{
    CreateWebhookRequest, MAX_ENDPOINTS, UpdateWebhookRequest, WebhookCreatedResponse,
    WebhookDelivery, WebhookDeliveryDetail, WebhookEndpoint, WebhookEvent,
};
use pulse_shared::{Page, PageQuery};
use serde_json::json;
use uuid::Uuid;

use super::extract::Json;
use super::paging;
use crate::auth::principal::Principal;
use crate::auth::rate_limit::SENDS_PER_PERSON;
use crate::auth::secrets::random_token;
use crate::billing::plans::{self, Feature};
use crate::db::audit::{self, Change};
use crate::db::webhooks::{self, DeliveryRow, EndpointChanges, EndpointRow};
use crate::domain::access::Action;
use crate::domain::webhooks as rules;
use crate::errors::ApiError;
use crate::state::AppState;
use crate::worker::outbox;

/// The most characters of a description.
const DESCRIPTION_CHARS: usize = 200;

/// Registers an endpoint (plans with webhooks only). The signing secret is in this
/// answer only.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    request_body = CreateWebhookRequest,
    responses(
        (status = CREATED, body = WebhookCreatedResponse),
        (status = PAYMENT_REQUIRED, body = pulse_shared::Problem, description = "The company's plan does not include webhooks"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem)
    )
)]
#[post("/webhooks")]
pub async fn create(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageWebhooks)?;
    let url = endpoint_url(&body.url, state.webhooks_allow_private).await;
    ApiError::check_fields([
        ("/url", url.as_ref().map(drop).map_err(|invalid| *invalid)),
        ("/description", description(&body.description)),
        ("/kinds", kinds(&body.kinds)),
    ])?;
    let url = url.map_err(|invalid| ApiError::invalid("/url", invalid))?;
    let company = principal.company_id();
    let secret = format!("whsec_{}", random_token(32)?);
    let now = state.clock.now();
    let mut kinds: Vec<String> = body
        .kinds
        .iter()
        .map(|kind| kind.as_str().to_owned())
        .collect();
    kinds.sort();
    kinds.dedup();
    let row = EndpointRow {
        company_id: company,
        id: WebhookEndpointId(Uuid::now_v7()),
        url,
        description: body.description.trim().to_owned(),
        secret: secret.clone(),
        kinds,
        enabled: true,
        created_by: principal.user_id(),
        created_at: now,
        updated_at: now,
    };
    let actor = principal.actor().clone();
    let mut conn = state.db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        plans::require(conn, company, Feature::Webhooks).await?;
        if webhooks::endpoint_count(conn, company).await? >= MAX_ENDPOINTS {
            return Err(ApiError::Conflict(format!(
                "A company can register at most {MAX_ENDPOINTS} endpoints; delete one first."
            )));
        }
        webhooks::insert_endpoint(conn, &row).await?;
        let change = Change {
            action: AuditAction::WebhookCreated,
            target_kind: TargetKind::Webhook,
            target_id: Some(row.id.0),
            summary: json!({"after": {"url": row.url, "description": row.description, "kinds": row.kinds}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(WebhookCreatedResponse {
        endpoint: row.into(),
        secret,
    }))
}

/// The company's endpoints, newest first.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(PageQuery), responses((status = OK, body = Page<WebhookEndpoint>), (status = FORBIDDEN, body = pulse_shared::Problem)))]
#[get("/webhooks")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<WebhookEndpoint>>, ApiError> {
    principal.require(Action::ManageWebhooks)?;
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = webhooks::endpoints(&mut conn, principal.company_id(), before, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.id.to_string()
    })))
}

/// Changes an endpoint's URL, description, kinds, or whether it is enabled.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = UpdateWebhookRequest,
    responses((status = OK, body = WebhookEndpoint), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[patch("/webhooks/{id}")]
pub async fn update(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookEndpointId>,
    Json(body): Json<UpdateWebhookRequest>,
) -> Result<web::Json<WebhookEndpoint>, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let before = webhooks::endpoint(&mut conn, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    let url = match &body.url {
        Some(url) => Some(endpoint_url(url, state.webhooks_allow_private).await),
        None => None,
    };
    ApiError::check_fields([
        (
            "/url",
            url.as_ref().map_or(Ok(()), |url| {
                url.as_ref().map(drop).map_err(|invalid| *invalid)
            }),
        ),
        (
            "/description",
            body.description.as_deref().map_or(Ok(()), description),
        ),
        ("/kinds", body.kinds.as_deref().map_or(Ok(()), kinds)),
    ])?;
    let changes = EndpointChanges {
        url: url.and_then(Result::ok),
        description: body.description.map(|text| text.trim().to_owned()),
        kinds: body.kinds.map(|kinds| {
            let mut kinds: Vec<String> =
                kinds.iter().map(|kind| kind.as_str().to_owned()).collect();
            kinds.sort();
            kinds.dedup();
            kinds
        }),
        enabled: body.enabled,
    };
    if changes.url.is_none()
        && changes.description.is_none()
        && changes.kinds.is_none()
        && changes.enabled.is_none()
    {
        return Ok(web::Json(before.into()));
    }
    let actor = principal.actor().clone();
    let after = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let after = webhooks::update_endpoint(conn, company, id, &changes).await?;
            let change = Change {
                action: AuditAction::WebhookUpdated,
                target_kind: TargetKind::Webhook,
                target_id: Some(id.0),
                summary: json!({
                    "before": {"url": before.url, "description": before.description, "kinds": before.kinds, "enabled": before.enabled},
                    "after": {"url": after.url, "description": after.description, "kinds": after.kinds, "enabled": after.enabled},
                }),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(after)
        })
        .await?;
    Ok(web::Json(after.into()))
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = NO_CONTENT, description = "Deleted"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/webhooks/{id}")]
pub async fn remove(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookEndpointId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let endpoint = webhooks::endpoint(&mut conn, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        webhooks::delete_endpoint(conn, company, id).await?;
        let change = Change {
            action: AuditAction::WebhookDeleted,
            target_kind: TargetKind::Webhook,
            target_id: Some(id.0),
            summary: json!({"before": {"url": endpoint.url, "kinds": endpoint.kinds}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Queues a `webhook.test` event for the endpoint (enabled or not), signed and retried
/// like any other.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = ACCEPTED, body = WebhookDelivery),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "More than 60 test sends and replays in a minute")
    )
)]
#[post("/webhooks/{id}/test")]
pub async fn send_test(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookEndpointId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    // Each step takes a connection of its own: the limit counts through the pool too.
    webhooks::endpoint(&mut *state.db.tenant(company).await?, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    state
        .limits
        .hit(SENDS_PER_PERSON, &principal.user_id().to_string())
        .await?;
    let mut conn = state.db.tenant(company).await?;
    let event = WebhookEvent {
        id: Uuid::now_v7(),
        event_type: "webhook.test".to_owned(),
        company_id: company,
        created_at: state.clock.now(),
        data: json!({"message": "A test event from Pulse. If you can read this, your endpoint works."}),
    };
    let payload = serde_json::to_value(&event).unwrap_or_default();
    let row = DeliveryRow::new(
        company,
        id,
        event.id,
        &event.event_type,
        payload,
        None,
        event.created_at,
    );
    queue(&mut conn, &row).await?;
    Ok(HttpResponse::Accepted().json(WebhookDelivery::from(row)))
}

/// An endpoint's deliveries, newest first.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The endpoint's id"), PageQuery),
    responses((status = OK, body = Page<WebhookDelivery>), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookEndpointId>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<WebhookDelivery>>, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(company).await?;
    webhooks::endpoint(&mut conn, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    let rows = webhooks::deliveries(&mut conn, company, id, before, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.id.to_string()
    })))
}

/// One delivery with every attempt and the body sent.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The delivery's id")),
    responses((status = OK, body = WebhookDeliveryDetail), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[get("/webhooks/deliveries/{id}")]
pub async fn delivery(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookDeliveryId>,
) -> Result<web::Json<WebhookDeliveryDetail>, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let row = webhooks::delivery(&mut conn, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    let attempts = webhooks::attempts(&mut conn, company, id).await?;
    let payload = serde_json::from_value(row.payload.clone())
        .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(web::Json(WebhookDeliveryDetail {
        delivery: row.into(),
        attempts,
        payload,
    }))
}

/// Sends a delivery's event again, as a new delivery with the same event id (so
/// receivers that drop duplicates still can).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The delivery's id")),
    responses(
        (status = ACCEPTED, body = WebhookDelivery),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage webhooks"),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "More than 60 test sends and replays in a minute")
    )
)]
#[post("/webhooks/deliveries/{id}/replay")]
pub async fn replay(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<WebhookDeliveryId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    // Each step takes a connection of its own: the limit counts through the pool too.
    let original = webhooks::delivery(&mut *state.db.tenant(company).await?, company, id).await?;
    principal.require(Action::ManageWebhooks)?;
    state
        .limits
        .hit(SENDS_PER_PERSON, &principal.user_id().to_string())
        .await?;
    let mut conn = state.db.tenant(company).await?;
    let row = DeliveryRow::new(
        company,
        original.endpoint_id,
        original.event_id,
        &original.event_type,
        original.payload,
        Some(original.id),
        state.clock.now(),
    );
    queue(&mut conn, &row).await?;
    Ok(HttpResponse::Accepted().json(WebhookDelivery::from(row)))
}

/// Stores a delivery and wakes the dispatchers.
async fn queue(conn: &mut AsyncPgConnection, row: &DeliveryRow) -> Result<(), ApiError> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        webhooks::insert_deliveries(conn, std::slice::from_ref(row)).await?;
        crate::db::alerts::notify(conn, outbox::CHANNEL, "").await?;
        Ok(())
    })
    .await
}

/// The URL to store, or why not. Beyond [`rules::check_url`], a host name is resolved
/// (for at most two seconds) and refused when any of its addresses is not public. A
/// name that does not resolve yet is accepted: the resolver used for delivery checks
/// every address again at send time.
async fn endpoint_url(
    url: &str,
    allow_private: bool,
) -> Result<String, pulse_shared::validate::Invalid> {
    let parsed =
        rules::check_url(url, allow_private).map_err(|refused| ("not_allowed", refused.0))?;
    if !allow_private && let Some(url::Host::Domain(host)) = parsed.host() {
        let port = parsed.port_or_known_default().unwrap_or(443);
        let lookup = tokio::net::lookup_host((host.to_owned(), port));
        if let Ok(Ok(addresses)) = tokio::time::timeout(Duration::from_secs(2), lookup).await {
            let addresses: Vec<IpAddr> = addresses.map(|address| address.ip()).collect();
            if addresses.iter().any(|ip| !rules::is_public(*ip)) {
                return Err(("not_allowed", rules::PRIVATE.0));
            }
        }
    }
    Ok(parsed.to_string())
}

fn description(text: &str) -> Result<(), pulse_shared::validate::Invalid> {
    if text.trim().chars().count() > DESCRIPTION_CHARS {
        Err(("too_long", "Use at most 200 characters."))
    } else {
        Ok(())
    }
}

fn kinds(kinds: &[pulse_shared::alerts::AlertKind]) -> Result<(), pulse_shared::validate::Invalid> {
    if kinds.is_empty() {
        Err(("required", "Choose at least one kind of alert."))
    } else {
        Ok(())
    }
}
