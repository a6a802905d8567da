//! `/api/v1/api-keys`: keys for integrators. The secret is shown once; only its hash is kept.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use pulse_shared::api_keys::{ApiKey, ApiKeyCreatedResponse, CreateApiKeyRequest};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::ApiKeyId;
use pulse_shared::people::Role;
use pulse_shared::{Page, PageQuery, validate};
use serde_json::json;
use uuid::Uuid;

use super::extract::Json;
use super::paging;
use crate::auth::principal::Principal;
use crate::auth::secrets::{random_token, token_hash};
use crate::billing::plans::{self, Feature};
use crate::db::api_keys::{self, ApiKeyRow};
use crate::db::audit::{self, Change};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// Creates a key with a role no higher than the creator's (and never owner), on plans
/// with API keys.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    request_body = CreateApiKeyRequest,
    responses(
        (status = CREATED, body = ApiKeyCreatedResponse),
        (status = PAYMENT_REQUIRED, body = pulse_shared::Problem, description = "The company's plan does not include API keys"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem)
    )
)]
#[post("/api-keys")]
pub async fn create(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<CreateApiKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageApiKeys)?;
    principal.require_signed_in_person()?;
    validate::name(&body.name, 80).map_err(|invalid| ApiError::invalid("/name", invalid))?;
    if body.role == Role::Owner || !principal.role().at_least(body.role) {
        return Err(ApiError::field(
            "/role",
            "too_high",
            "A key can be admin, manager or employee, and no higher than your own role.",
        ));
    }
    let company = principal.company_id();
    let prefix = format!(
        "pk_{}",
        random_token(6)?.to_lowercase().replace(['-', '_'], "x")
    );
    let secret = format!("{prefix}_{}", random_token(32)?);
    let row = ApiKeyRow {
        company_id: company,
        id: ApiKeyId(Uuid::now_v7()),
        name: body.name.trim().to_owned(),
        role: body.role,
        prefix,
        secret_hash: token_hash(&secret),
        created_by: principal.user_id(),
        created_at: state.clock.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let actor = principal.actor().clone();
    let mut conn = state.db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        plans::require(conn, company, Feature::ApiKeys).await?;
        api_keys::insert(conn, &row).await?;
        let change = Change {
            action: AuditAction::ApiKeyCreated,
            target_kind: TargetKind::ApiKey,
            target_id: Some(row.id.0),
            summary: json!({"after": {"name": row.name, "role": row.role, "prefix": row.prefix}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(ApiKeyCreatedResponse {
        api_key: row.into(),
        secret,
    }))
}

/// The company's keys, newest first, revoked ones included.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), params(PageQuery), responses((status = OK, body = Page<ApiKey>), (status = FORBIDDEN, body = pulse_shared::Problem)))]
#[get("/api-keys")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ApiKey>>, ApiError> {
    principal.require(Action::ManageApiKeys)?;
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = api_keys::list(&mut conn, principal.company_id(), before, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.id.to_string()
    })))
}

/// Revokes a key: its next use is refused. It stays listed as revoked.
#[utoipa::path(
    tag = "api-keys",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The key's id")),
    responses((status = NO_CONTENT, description = "Revoked"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage API keys"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<ApiKeyId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let key = api_keys::find(&mut conn, company, id).await?;
    principal.require(Action::ManageApiKeys)?;
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        if api_keys::revoke(conn, company, id, principal.actor().at).await? > 0 {
            let change = Change {
                action: AuditAction::ApiKeyRevoked,
                target_kind: TargetKind::ApiKey,
                target_id: Some(id.0),
                summary: json!({"before": {"name": key.name, "prefix": key.prefix}}),
            };
            audit::record(conn, company, &actor, change).await?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
