//! `/api/v1/people`: the company's people, within the principal's reach.
//!
//! A person out of reach is answered with 404, the same as one that does not exist.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use pulse_shared::Page;
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::UserId;
use pulse_shared::people::{PeopleQuery, Person, Role, UpdatePersonRequest};
use serde_json::json;

use super::extract::Json;
use super::paging;
use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::people::{self, PeopleFilter};
use crate::db::{policies, refresh_tokens, teams};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// The company's people within reach, filtered, oldest first.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(PeopleQuery),
    responses((status = OK, body = Page<Person>), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Listing people who were deleted (`deleted=true`) is for owners and admins"), (status = UNAUTHORIZED, body = pulse_shared::Problem))
)]
#[get("/people")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> Result<web::Json<Page<Person>>, ApiError> {
    let limit = paging::page_size(query.limit)?;
    let after_id = paging::cursor(query.cursor.as_deref())?;
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field(
            "q",
            "too_long",
            "Search for at most 100 characters.",
        ));
    }
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadPeople).await?;
    let mut filter = PeopleFilter {
        q: query
            .q
            .clone()
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_owned()),
        role: query.role,
        team_id: query.team_id,
        status: query.status,
        deleted: query.deleted == Some(true),
        after_id,
        ..PeopleFilter::default()
    };
    if filter.deleted {
        principal.require(Action::DeletePeople)?;
    }
    reach.narrow(&mut filter);
    let rows = people::list(&mut conn, principal.company_id(), &filter, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.id.to_string()
    })))
}

/// One person within reach.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses((status = OK, body = Person), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[get("/people/{id}")]
pub async fn get_one(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<web::Json<Person>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadPeople).await?;
    let person = reach.person(&mut conn, &principal, *id).await?;
    Ok(web::Json(person.into()))
}

/// Changes a person's role, team or status.
///
/// Rules: only an owner makes or unmakes owners; the company always keeps an active
/// owner; nobody changes their own role or status; a manager moves, deactivates and
/// reactivates only their teams' employees, and only between their teams.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    request_body = UpdatePersonRequest,
    responses(
        (status = OK, body = Person),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "The change would leave the company without an owner"),
    )
)]
#[patch("/people/{id}")]
pub async fn update(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
    Json(body): Json<UpdatePersonRequest>,
) -> Result<web::Json<Person>, ApiError> {
    let id = *id;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadPeople).await?;
    let before = reach.person(&mut conn, &principal, id).await?;
    let updates = if body.team_id.is_some() || body.status.is_some() {
        Some(Reachable::resolve(&mut conn, &principal, Action::UpdatePeople).await?)
    } else {
        None
    };
    if let Some(updates) = &updates {
        if !updates.includes(&before)
            || (!matches!(updates, Reachable::Company) && before.role() != Role::Employee)
        {
            return Err(ApiError::Forbidden(
                "You may change only the employees of your teams.",
            ));
        }
        if let Some(team) = body.team_id
            && !updates.includes_team(team)
        {
            return Err(ApiError::Forbidden(
                "You may move people only into teams you manage.",
            ));
        }
    }
    if let Some(Some(team)) = body.team_id {
        teams::find(&mut conn, company, team)
            .await
            .map_err(|_| ApiError::field("/team_id", "unknown", "There is no such team."))?;
    }
    if let Some(role) = body.role {
        principal.require(Action::ChangeRole)?;
        if role == Role::Owner && role != before.role() {
            principal
                .require(Action::GrantOwner)
                .map_err(|_| ApiError::Forbidden("Only an owner makes or unmakes owners."))?;
        }
    }
    // Any change to an owner (role, team or status) is an owner's to make.
    if before.role() == Role::Owner {
        principal
            .require(Action::GrantOwner)
            .map_err(|_| ApiError::Forbidden("Only an owner changes an owner."))?;
    }
    let changes_self = id == principal.user_id()
        && (body.role.is_some_and(|r| r != before.role())
            || body.status.is_some_and(|s| s != before.status()));
    if changes_self {
        return Err(ApiError::Forbidden(
            "You cannot change your own role or status; ask another owner or admin.",
        ));
    }
    let actor = principal.actor().clone();
    let after = conn
        .transaction::<_, ApiError, _>(async |conn| {
            if before.role() == Role::Owner {
                // Owners change one at a time per company, so two owners demoting each
                // other at once cannot leave none: the second sees the first's change.
                people::lock_company(conn, company).await?;
            }
            // A move to another team may shorten what is kept of them: the old
            // retention holds for the grace period, as for a policy change.
            let moves = body.team_id.is_some_and(|team| team != before.team_id);
            if moves {
                policies::note_retention(conn, company).await?;
            }
            let after = people::update(conn, company, id, body.role, body.team_id, body.status).await?;
            if moves {
                policies::hold_lowered_retention(conn, company, actor.at, actor.at + state.deletion_grace).await?;
            }
            if before.role() == Role::Owner && before.is_active() && (after.role() != Role::Owner || !after.is_active()) && people::active_owner_count(conn, company).await? == 0 {
                return Err(ApiError::Conflict("The company must keep at least one active owner.".into()));
            }
            if before.is_active() && !after.is_active() {
                refresh_tokens::revoke_user(conn, company, id, actor.at).await?;
            }
            let change = Change {
                action: AuditAction::UserUpdated,
                target_kind: TargetKind::User,
                target_id: Some(id.0),
                summary: json!({
                    "before": {"role": before.role, "team_id": before.team_id, "status": before.status},
                    "after": {"role": after.role, "team_id": after.team_id, "status": after.status},
                }),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(after)
        })
        .await?;
    state.agent_cache.forget_company(principal.company_id());
    Ok(web::Json(after.into()))
}

/// Deletes a person: they lose access at once (sessions, API keys they made, their
/// computers' agents), and disappear from every list. They and what was recorded about
/// them are kept for the grace period (`PULSE_DELETION_GRACE_DAYS`, 7 days by default),
/// in which an owner may restore them; then they are removed. Their audit trail stays.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = NO_CONTENT, description = "Deleted; restorable by an owner until the grace period ends"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem),
    )
)]
#[delete("/people/{id}")]
pub async fn remove(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let id = *id;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadPeople).await?;
    let person = reach.person(&mut conn, &principal, id).await?;
    principal.require(Action::DeletePeople)?;
    if id == principal.user_id() {
        return Err(ApiError::Forbidden("You cannot delete yourself."));
    }
    if person.role() == Role::Owner {
        principal
            .require(Action::GrantOwner)
            .map_err(|_| ApiError::Forbidden("Only an owner removes an owner."))?;
    }
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        if person.role() == Role::Owner {
            people::lock_company(conn, company).await?;
        }
        people::mark_deleted(conn, company, id, actor.at).await?;
        if person.role() == Role::Owner && people::active_owner_count(conn, company).await? == 0 {
            return Err(ApiError::Conflict("The company must keep at least one active owner.".into()));
        }
        crate::db::api_keys::revoke_created_by(conn, company, id, actor.at).await?;
        refresh_tokens::revoke_user(conn, company, id, actor.at).await?;
        let agents = crate::db::agents::revoke_for_user(conn, company, id, actor.at).await?;
        let change = Change {
            action: AuditAction::UserDeleted,
            target_kind: TargetKind::User,
            target_id: Some(id.0),
            summary: json!({
                "before": {"email": person.email, "name": person.name, "role": person.role, "status": person.status},
                "agents_revoked": agents,
                "restorable_until": actor.at + state.deletion_grace,
            }),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    state.agent_cache.forget_company(principal.company_id());
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a person deleted within the grace period, with everything recorded about
/// them: they are active again, in their team with their role. Their computers were
/// revoked when they were deleted and must enroll again.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = OK, body = Person, description = "Restored"),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only an owner restores people"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such deleted person: never deleted, or removed after the grace period"),
    )
)]
#[post("/people/{id}/restore")]
pub async fn restore(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<web::Json<Person>, ApiError> {
    principal
        .require(Action::RestorePeople)
        .map_err(|_| ApiError::Forbidden("Only an owner restores people."))?;
    let (id, company) = (*id, principal.company_id());
    let actor = principal.actor().clone();
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let restored = conn
        .transaction::<_, ApiError, _>(async |conn| {
            if people::restore(conn, company, id, actor.at).await? == 0 {
                return Err(ApiError::NotFound);
            }
            let person = people::user(conn, company, id).await?;
            let change = Change {
                action: AuditAction::UserRestored,
                target_kind: TargetKind::User,
                target_id: Some(id.0),
                summary: json!({"after": {"email": person.email, "name": person.name, "role": person.role, "status": person.status}}),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(person)
        })
        .await?;
    Ok(web::Json(restored.into()))
}
