//! `/api/v1/policies`: the company's monitoring policy, team and employee overrides, and
//! the effective policy of one employee. Every change is audited and raises a "policy
//! changed" alert in the same transaction.

use actix_web::{HttpResponse, delete, get, put, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::policies::{
    CompanyPolicy, EffectivePolicy, PolicyOverride, PolicyOverrideEntry, PolicyOverview,
    PolicySettings,
};
use serde_json::json;

use super::extract::Json;
use super::reach::Reachable;
use crate::alerting::{self, Audience, NewAlert};
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::policies::{self, Level, PolicyRow};
use crate::db::{people, teams};
use crate::domain::access::Action;
use crate::domain::policies::changed_fields;
use crate::errors::ApiError;
use crate::state::AppState;

/// The company default and every override.
#[utoipa::path(tag = "policies", security(("bearer" = [])), responses((status = OK, body = PolicyOverview), (status = FORBIDDEN, body = pulse_shared::Problem)))]
#[get("/policies")]
pub async fn overview(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<PolicyOverview>, ApiError> {
    principal.require(Action::ManagePolicies)?;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let default = policies::company(&mut conn, company, state.clock.now()).await?;
    let (employees, teams): (Vec<PolicyRow>, Vec<PolicyRow>) =
        policies::overrides(&mut conn, company)
            .await?
            .into_iter()
            .partition(|row| row.user_id.is_some());
    Ok(web::Json(PolicyOverview {
        company: default.into_company(),
        teams: teams.into_iter().map(PolicyRow::into_entry).collect(),
        employees: employees.into_iter().map(PolicyRow::into_entry).collect(),
    }))
}

/// Replaces the company default.
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    request_body = PolicySettings,
    responses((status = OK, body = CompanyPolicy), (status = FORBIDDEN, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[put("/policies/company")]
pub async fn put_company(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<PolicySettings>,
) -> Result<web::Json<CompanyPolicy>, ApiError> {
    principal.require(Action::ManagePolicies)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    check(with_zone(&mut conn, body.check(), Some(&body.time_zone)).await?)?;
    let row = change(
        &mut conn,
        &principal,
        Level::Company,
        Some(policies::to_json(&body)),
        "the company",
        state.deletion_grace,
    )
    .await?;
    state.agent_cache.forget_company(principal.company_id());
    Ok(web::Json(
        row.map(PolicyRow::into_company).ok_or(ApiError::NotFound)?,
    ))
}

/// Sets a team's override (replacing any earlier one).
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The team's id")),
    request_body = PolicyOverride,
    responses((status = OK, body = PolicyOverrideEntry), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins set policies"), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[put("/policies/teams/{id}")]
pub async fn put_team(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<TeamId>,
    Json(body): Json<PolicyOverride>,
) -> Result<web::Json<PolicyOverrideEntry>, ApiError> {
    written(set_override(&principal, &state, Level::Team(*id), Some(body)).await?)
}

/// Removes a team's override: the team follows the company default again.
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The team's id")),
    responses((status = NO_CONTENT, description = "Removed"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins set policies"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/policies/teams/{id}")]
pub async fn remove_team(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<TeamId>,
) -> Result<HttpResponse, ApiError> {
    set_override(&principal, &state, Level::Team(*id), None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets an employee's own override (replacing any earlier one).
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    request_body = PolicyOverride,
    responses((status = OK, body = PolicyOverrideEntry), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins set policies"), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[put("/policies/employees/{id}")]
pub async fn put_employee(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
    Json(body): Json<PolicyOverride>,
) -> Result<web::Json<PolicyOverrideEntry>, ApiError> {
    written(set_override(&principal, &state, Level::Employee(*id), Some(body)).await?)
}

/// Removes an employee's override: their team's (or the company's) policy applies.
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses((status = NO_CONTENT, description = "Removed"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Only owners and admins set policies"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/policies/employees/{id}")]
pub async fn remove_employee(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = people::user(&mut conn, principal.company_id(), *id).await?;
    principal.require(Action::ManagePolicies)?;
    change(
        &mut conn,
        &principal,
        Level::Employee(*id),
        None,
        &person.name,
        state.deletion_grace,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What applies to one person: the default, their team's and their own override
/// combined, with its version. Managers see their teams' people, employees themselves:
/// everyone may know how they are monitored.
#[utoipa::path(
    tag = "policies",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses((status = OK, body = EffectivePolicy), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[get("/policies/effective/{id}")]
pub async fn effective_for(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<web::Json<EffectivePolicy>, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadPeople).await?;
    let person = people::user(&mut conn, company, *id).await?;
    if !reach.includes(&person) {
        return Err(ApiError::NotFound);
    }
    let effective = policies::effective(&mut conn, company, *id, person.team_id).await?;
    Ok(web::Json(EffectivePolicy {
        user_id: *id,
        settings: effective.settings,
        version: effective.version,
        team: effective.team,
        employee: effective.employee,
    }))
}

/// Sets (`Some`) or removes (`None`) the override of a team or an employee: 404 when
/// the team or person is not the company's, 403 for roles that may not, 422 naming
/// every field out of bounds. Answers the override written.
async fn set_override(
    principal: &Principal,
    state: &AppState,
    level: Level,
    body: Option<PolicyOverride>,
) -> Result<Option<PolicyRow>, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let what = match level {
        Level::Team(team) => format!("team {}", teams::find(&mut conn, company, team).await?.name),
        Level::Employee(user) => people::user(&mut conn, company, user).await?.name,
        Level::Company => "the company".to_owned(),
    };
    principal.require(Action::ManagePolicies)?;
    if let Some(body) = &body {
        check(with_zone(&mut conn, body.check(), body.time_zone.as_deref()).await?)?;
    }
    let settings = body.as_ref().map(policies::to_json);
    let written = change(
        &mut conn,
        principal,
        level,
        settings,
        &what,
        state.deletion_grace,
    )
    .await?;
    state.agent_cache.forget_company(company);
    Ok(written)
}

/// The answer of a `PUT` of an override.
fn written(row: Option<PolicyRow>) -> Result<web::Json<PolicyOverrideEntry>, ApiError> {
    row.map(|row| web::Json(row.into_entry()))
        .ok_or(ApiError::NotFound)
}

/// Writes (`Some`) or removes (`None`) the policy at `level`, with its audit event and
/// alert, in one transaction. Where the change lowers someone's retention, the old one
/// holds for `grace` (nothing is deleted because of the change before then). `what` names the level for people ("team Support").
/// Answers the row written; a removal of nothing, or a write that changes nothing,
/// records and raises nothing.
async fn change(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    level: Level,
    settings: Option<serde_json::Value>,
    what: &str,
    grace: chrono::Duration,
) -> Result<Option<PolicyRow>, ApiError> {
    let company = principal.company_id();
    let actor = principal.actor().clone();
    let now = actor.at;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let default = policies::lock(conn, company, now).await?;
        policies::note_retention(conn, company).await?;
        let before = match level {
            Level::Company => Some(default),
            _ => policies::find(conn, company, level).await?,
        };
        let before_json = before.as_ref().map(|row| row.settings.clone());
        let after = match settings {
            Some(settings) if before_json.as_ref() == Some(&settings) => return Ok(before),
            Some(settings) => Some(policies::put(conn, company, level, settings, now).await?),
            None if before.is_none() => return Ok(None),
            None => {
                policies::remove(conn, company, level).await?;
                None
            }
        };
        policies::hold_lowered_retention(conn, company, now, now + grace).await?;
        let after_json = after.as_ref().map(|row| row.settings.clone());
        let changed = changed_fields(
            before_json.as_ref().unwrap_or(&json!({})),
            after_json.as_ref().unwrap_or(&json!({})),
        );
        let policy_id = after.as_ref().or(before.as_ref()).map(|row| row.id);
        let (action, title) = match (&level, &after) {
            (Level::Company, _) => (
                AuditAction::PolicyUpdated,
                "The company policy changed".to_owned(),
            ),
            (_, Some(_)) => (
                AuditAction::PolicyOverrideSet,
                format!("The policy of {what} changed"),
            ),
            (_, None) => (
                AuditAction::PolicyOverrideRemoved,
                format!("The policy of {what} follows the default again"),
            ),
        };
        let target = Change {
            action,
            target_kind: TargetKind::Policy,
            target_id: policy_id.map(|id| id.0),
            summary: json!({"level": describe(level), "before": before_json, "after": after_json}),
        };
        audit::record(conn, company, &actor, target).await?;
        let body = if changed.is_empty() {
            "No setting changed.".to_owned()
        } else {
            format!("Changed: {}.", changed.join(", ").replace('_', " "))
        };
        let alert = NewAlert {
            kind: AlertKind::PolicyChanged,
            title,
            body,
            subject: AlertSubject {
                policy_id,
                user_id: match level {
                    Level::Employee(user) => Some(user),
                    _ => None,
                },
                ..AlertSubject::default()
            },
            audience: Audience::Company,
            agents: Vec::new(),
        };
        alerting::raise(conn, company, alert, now).await?;
        Ok(after)
    })
    .await
}

fn describe(level: Level) -> serde_json::Value {
    match level {
        Level::Company => json!({"company": true}),
        Level::Team(team) => json!({"team_id": team}),
        Level::Employee(user) => json!({"user_id": user}),
    }
}

/// `errors`, and `/time_zone` when `zone` is well formed but not a zone the database
/// knows (reports and attendance convert to it).
async fn with_zone(
    conn: &mut diesel_async::AsyncPgConnection,
    mut errors: Vec<(String, pulse_shared::validate::Invalid)>,
    zone: Option<&str>,
) -> Result<Vec<(String, pulse_shared::validate::Invalid)>, ApiError> {
    let named = errors.iter().any(|(field, _)| field == "/time_zone");
    if let Some(zone) = zone
        && !named
        && !crate::reports::zones::known(conn).await?.contains(zone)
    {
        errors.push((
            "/time_zone".to_owned(),
            (
                "unknown",
                "There is no such time zone; use a name such as Europe/Berlin.",
            ),
        ));
    }
    Ok(errors)
}

/// 422 naming every field out of bounds.
fn check(errors: Vec<(String, pulse_shared::validate::Invalid)>) -> Result<(), ApiError> {
    if errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::Validation(
        errors
            .into_iter()
            .map(|(field, (code, message))| pulse_shared::FieldError {
                field,
                code: code.into(),
                message: message.into(),
            })
            .collect(),
    ))
}
