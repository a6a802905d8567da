//! `/api/v1/teams`: teams (departments) and their managers.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::Role;
use pulse_shared::teams::{CreateTeamRequest, DeleteTeamQuery, Team, UpdateTeamRequest};
use pulse_shared::{Page, validate};
use serde_json::json;
use uuid::Uuid;

use super::extract::Json;
use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::teams::{self, TeamRow};
use crate::db::{people, policies};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// The most teams a company may have.
const MAX_TEAMS: usize = 500;

/// The company's teams within reach (a manager sees theirs, an employee their own), by name.
#[utoipa::path(tag = "teams", security(("bearer" = [])), responses((status = OK, body = Page<Team>)))]
#[get("/teams")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<Team>>, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let items = match Reachable::resolve(&mut conn, &principal, Action::ReadTeams).await? {
        Reachable::Company => teams::list(&mut conn, company, None).await?,
        Reachable::Teams { teams: managed, .. } => {
            teams::list(&mut conn, company, Some(&managed)).await?
        }
        Reachable::Own(me) => {
            let own: Vec<TeamId> = people::user(&mut conn, company, me)
                .await?
                .team_id
                .into_iter()
                .collect();
            teams::list(&mut conn, company, Some(&own)).await?
        }
    };
    // Bounded by MAX_TEAMS, so one page holds them all.
    Ok(web::Json(Page {
        items,
        next_cursor: None,
    }))
}

fn unique_name(error: diesel::result::Error) -> ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            ApiError::field("/name", "taken", "Another team has this name.")
        }
        other => other.into(),
    }
}

/// Creates a team.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = [])),
    request_body = CreateTeamRequest,
    responses((status = CREATED, body = Team), (status = FORBIDDEN, body = pulse_shared::Problem), (status = CONFLICT, body = pulse_shared::Problem, description = "The company has the most teams it may have (500)"), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[post("/teams")]
pub async fn create(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<CreateTeamRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageTeams)?;
    validate::name(&body.name, 80).map_err(|invalid| ApiError::invalid("/name", invalid))?;
    let company = principal.company_id();
    let now = state.clock.now();
    let row = TeamRow {
        company_id: company,
        id: TeamId(Uuid::now_v7()),
        name: body.name.trim().to_owned(),
        created_at: now,
        updated_at: now,
    };
    let mut conn = state.db.tenant(company).await?;
    if teams::list(&mut conn, company, None).await?.len() >= MAX_TEAMS {
        return Err(ApiError::Conflict(format!(
            "A company has at most {MAX_TEAMS} teams."
        )));
    }
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        teams::insert(conn, &row).await.map_err(unique_name)?;
        let change = Change {
            action: AuditAction::TeamCreated,
            target_kind: TargetKind::Team,
            target_id: Some(row.id.0),
            summary: json!({"after": {"name": row.name}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(Team {
        id: row.id,
        name: row.name,
        manager_ids: Vec::new(),
        member_count: 0,
        created_at: row.created_at,
    }))
}

/// Renames a team or replaces its managers.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The team's id")),
    request_body = UpdateTeamRequest,
    responses((status = OK, body = Team), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage teams"), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[patch("/teams/{id}")]
pub async fn update(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<TeamId>,
    Json(body): Json<UpdateTeamRequest>,
) -> Result<web::Json<Team>, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let before = teams::find(&mut conn, company, id).await?;
    principal.require(Action::ManageTeams)?;
    if let Some(name) = &body.name {
        validate::name(name, 80).map_err(|invalid| ApiError::invalid("/name", invalid))?;
    }
    let mut managers: Vec<UserId> = body.manager_ids.clone().unwrap_or_default();
    managers.sort();
    managers.dedup();
    if managers.len() > 50 {
        return Err(ApiError::field(
            "/manager_ids",
            "too_many",
            "A team has at most 50 managers.",
        ));
    }
    for (index, manager) in managers.iter().enumerate() {
        let person = people::user(&mut conn, company, *manager)
            .await
            .map_err(|_| {
                ApiError::field(
                    format!("/manager_ids/{index}"),
                    "unknown",
                    "There is no such person.",
                )
            })?;
        if person.role() == Role::Employee {
            return Err(ApiError::field(
                format!("/manager_ids/{index}"),
                "not_a_manager",
                "Give this person the manager role first.",
            ));
        }
    }
    let before_managers = teams::list(&mut conn, company, Some(&[id]))
        .await?
        .into_iter()
        .next()
        .map(|team| team.manager_ids)
        .unwrap_or_default();
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        if let Some(name) = &body.name {
            teams::rename(conn, company, id, name.trim()).await.map_err(unique_name)?;
        }
        if body.manager_ids.is_some() {
            teams::set_managers(conn, company, id, &managers).await?;
        }
        let change = Change {
            action: AuditAction::TeamUpdated,
            target_kind: TargetKind::Team,
            target_id: Some(id.0),
            summary: json!({
                "before": {"name": before.name, "manager_ids": before_managers},
                "after": {"name": body.name.as_deref().map(str::trim).unwrap_or(&before.name), "manager_ids": body.manager_ids.as_ref().map_or(&before_managers, |_| &managers)},
            }),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    let team = teams::list(&mut conn, company, Some(&[id]))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)?;
    Ok(web::Json(team))
}

/// Deletes a team. A team with people needs `move_to`, the team they go to.
#[utoipa::path(
    tag = "teams",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The team's id"), DeleteTeamQuery),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins manage teams"),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "The team has people and no move_to was given"),
    )
)]
#[delete("/teams/{id}")]
pub async fn remove(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<TeamId>,
    query: web::Query<DeleteTeamQuery>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let team = teams::find(&mut conn, company, id).await?;
    principal.require(Action::ManageTeams)?;
    if let Some(target) = query.move_to {
        if target == id {
            return Err(ApiError::field(
                "move_to",
                "same_team",
                "Move the people to another team.",
            ));
        }
        teams::find(&mut conn, company, target)
            .await
            .map_err(|_| ApiError::field("move_to", "unknown", "There is no such team."))?;
    }
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let members = teams::member_count(conn, company, id).await?;
        if members > 0 && query.move_to.is_none() {
            return Err(ApiError::Conflict(format!("{members} people belong to this team; choose a team to move them to.")));
        }
        // Its members leave its policy: what shortens their retention waits the grace.
        policies::note_retention(conn, company).await?;
        let moved = teams::move_members(conn, company, id, query.move_to).await?;
        teams::delete(conn, company, id).await?;
        policies::hold_lowered_retention(conn, company, actor.at, actor.at + state.deletion_grace)
            .await?;
        let change = Change {
            action: AuditAction::TeamDeleted,
            target_kind: TargetKind::Team,
            target_id: Some(id.0),
            summary: json!({"before": {"name": team.name}, "moved_to": query.move_to, "moved": moved}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    state.agent_cache.forget_company(principal.company_id());
    Ok(HttpResponse::NoContent().finish())
}
