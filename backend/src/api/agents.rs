//! `/api/v1/enrollment-tokens` and `/api/v1/agents`: what admins use to enroll
//! computers and to see and revoke agents.

use actix_web::{HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use pulse_shared::agents::{
    Agent, AgentCounts, AgentQuery, CreateEnrollmentTokenRequest, EnrollmentToken,
    EnrollmentTokenCreated, MAX_TOKEN_HOURS, MAX_TOKEN_USES,
};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{AgentId, EnrollmentTokenId, UserId};
use pulse_shared::{Page, PageQuery, validate};
use serde_json::json;
use std::collections::HashMap;

use pulse_shared::policies::PolicySettings;
use uuid::Uuid;

use super::extract::Json;
use super::paging;
use super::reach::Reachable;
use crate::alerting;
use crate::auth::principal::Principal;
use crate::auth::secrets::{random_token, token_hash};
use crate::db::agents::{self, AgentFilter, TokenRow};
use crate::db::audit::{self, Change};
use crate::db::people;
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// Creates an enrollment token. Its secret is in this answer only.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    request_body = CreateEnrollmentTokenRequest,
    responses((status = CREATED, body = EnrollmentTokenCreated), (status = FORBIDDEN, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[post("/enrollment-tokens")]
pub async fn create_token(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<CreateEnrollmentTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageAgents)?;
    let bounded = |value: u32, max: u32, why| {
        if (1..=max).contains(&value) {
            Ok(())
        } else {
            Err(("out_of_range", why))
        }
    };
    ApiError::check_fields([
        ("/name", validate::name(&body.name, 80)),
        (
            "/expires_in_hours",
            bounded(
                body.expires_in_hours,
                MAX_TOKEN_HOURS,
                "Use 1 to 2,160 hours (90 days).",
            ),
        ),
        (
            "/max_uses",
            bounded(body.max_uses, MAX_TOKEN_USES, "Use 1 to 10,000 uses."),
        ),
    ])?;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    if let Some(user) = body.user_id {
        match people::user(&mut conn, company, user).await {
            Ok(person) if person.is_active() => {}
            _ => {
                return Err(ApiError::field(
                    "/user_id",
                    "unknown",
                    "Choose an active employee of this company.",
                ));
            }
        }
    }
    let secret = format!("pet_{}", random_token(32)?);
    let now = state.clock.now();
    let row = TokenRow {
        company_id: company,
        id: EnrollmentTokenId(Uuid::now_v7()),
        name: body.name.trim().to_owned(),
        token_hash: token_hash(&secret),
        user_id: body.user_id,
        expires_at: now + chrono::Duration::hours(i64::from(body.expires_in_hours)),
        max_uses: i32::try_from(body.max_uses).unwrap_or(i32::MAX),
        uses: 0,
        created_by: principal.user_id(),
        created_at: now,
        revoked_at: None,
    };
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        agents::insert_token(conn, &row).await?;
        let change = Change {
            action: AuditAction::EnrollmentTokenCreated,
            target_kind: TargetKind::EnrollmentToken,
            target_id: Some(row.id.0),
            summary: json!({"after": {"name": row.name, "user_id": row.user_id, "expires_at": row.expires_at, "max_uses": row.max_uses}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(EnrollmentTokenCreated {
        token: row.into(),
        secret,
    }))
}

/// The company's enrollment tokens, newest first, revoked and expired ones included.
#[utoipa::path(tag = "agents", security(("bearer" = [])), params(PageQuery), responses((status = OK, body = Page<EnrollmentToken>), (status = FORBIDDEN, body = pulse_shared::Problem)))]
#[get("/enrollment-tokens")]
pub async fn list_tokens(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<EnrollmentToken>>, ApiError> {
    principal.require(Action::ManageAgents)?;
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = agents::tokens(&mut conn, principal.company_id(), before, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.id.to_string()
    })))
}

/// Revokes an enrollment token: no more computers enroll with it. Agents already
/// enrolled keep working.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id")),
    responses((status = NO_CONTENT, description = "Revoked"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins revoke enrollment tokens"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/enrollment-tokens/{id}")]
pub async fn revoke_token(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<EnrollmentTokenId>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageAgents)?;
    let (company, id) = (principal.company_id(), *id);
    let actor = principal.actor().clone();
    let mut conn = state.db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let token = agents::revoke_token(conn, company, id, principal.actor().at)
            .await?
            .ok_or(ApiError::NotFound)?;
        let change = Change {
            action: AuditAction::EnrollmentTokenRevoked,
            target_kind: TargetKind::EnrollmentToken,
            target_id: Some(id.0),
            summary: json!({"before": {"name": token.name, "uses": token.uses}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The people whose agents the principal may see: `None` for the whole company
/// (admins), else managers' teams and themselves, or employees themselves.
async fn agents_reach(
    conn: &mut diesel_async::AsyncPgConnection,
    principal: &Principal,
) -> Result<Option<Vec<UserId>>, ApiError> {
    Ok(
        match Reachable::resolve(conn, principal, Action::ReadAgents).await? {
            Reachable::Company => None,
            Reachable::Teams { teams, me } => {
                let mut people =
                    agents::people_in_teams(conn, principal.company_id(), &teams).await?;
                people.push(me);
                Some(people)
            }
            Reachable::Own(me) => Some(vec![me]),
        },
    )
}

/// The longest search text.
const MAX_SEARCH_CHARS: usize = 100;

/// The agents the principal may see (managers: their teams'; employees: their own),
/// newest first, with their status now; filtered by host or employee, by the status
/// the presence job last recorded, and to the computers a fleet alert lists.
#[utoipa::path(tag = "agents", security(("bearer" = [])), params(AgentQuery), responses((status = OK, body = Page<Agent>), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem)))]
#[get("/agents")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AgentQuery>,
) -> Result<web::Json<Page<Agent>>, ApiError> {
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(ApiError::field(
            "q",
            "too_long",
            "Search for at most 100 characters.",
        ));
    }
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let filter = AgentFilter {
        people: agents_reach(&mut conn, &principal).await?,
        q: q.map(str::to_owned),
        status: query.status,
        alert: query.alert,
    };
    let rows = agents::list(&mut conn, company, &filter, before, limit + 1).await?;
    let page: Page<agents::AgentRow> = paging::page(rows, limit, |row| row.id.to_string());
    let mut people: Vec<UserId> = page.items.iter().map(|row| row.user_id).collect();
    people.sort_unstable();
    people.dedup();
    // Status uses each employee's own heartbeat interval.
    let employees: HashMap<UserId, agents::Employee> =
        agents::employees(&mut conn, company, &people)
            .await?
            .into_iter()
            .map(|employee| (employee.id, employee))
            .collect();
    let default_heartbeat = PolicySettings::default().heartbeat_secs;
    let now = state.clock.now();
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|row| {
                let employee = employees.get(&row.user_id);
                let heartbeat = employee
                    .and_then(|employee| employee.heartbeat_secs)
                    .map_or(i64::from(default_heartbeat), i64::from);
                let name = employee
                    .map(|employee| employee.name.clone())
                    .unwrap_or_default();
                row.view(name, now, chrono::Duration::seconds(heartbeat))
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// How many agents within reach are online, offline, missing and revoked (as the
/// presence job last recorded it), for the Agent Monitor's totals.
#[utoipa::path(tag = "agents", security(("bearer" = [])), responses((status = OK, body = AgentCounts)))]
#[get("/agents/counts")]
pub async fn counts(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<AgentCounts>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let people = agents_reach(&mut conn, &principal).await?;
    let counts = agents::counts(&mut conn, principal.company_id(), people.as_deref()).await?;
    Ok(web::Json(counts))
}

/// Revokes an agent: its next call is refused, and its seat is free once its employee
/// has no other agent.
#[utoipa::path(
    tag = "agents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = NO_CONTENT, description = "Revoked"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins revoke agents"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/agents/{id}")]
pub async fn revoke(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<AgentId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let agent = agents::find(&mut conn, company, id).await?;
    principal.require(Action::ManageAgents)?;
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        if agents::revoke(conn, company, id, principal.actor().at).await? > 0 {
            let change = Change {
                action: AuditAction::AgentRevoked,
                target_kind: TargetKind::Agent,
                target_id: Some(id.0),
                summary: json!({"before": {"hostname": agent.hostname, "user_id": agent.user_id}}),
            };
            audit::record(conn, company, &actor, change).await?;
            // A fleet alert waiting only for this computer is over.
            alerting::fleet::revoked(conn, company, id, principal.actor().at).await?;
        }
        Ok(())
    })
    .await?;
    // Other replicas hear of it from the database's notification.
    state.agent_cache.forget_company(company);
    Ok(HttpResponse::NoContent().finish())
}
