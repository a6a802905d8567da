//! `/api/v1/category-rules`: how time in applications and sites counts (productive,
//! neutral, unproductive, and a category), for the company, a team or a person. Owners
//! and admins write them; managers read those that apply to their teams. Every change
//! shows in every report at once, past ones included.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::Duration;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{CategoryRuleId, CompanyId, TeamId, UserId};
use pulse_shared::reports::{
    CategoryRule, MAX_RULES_PER_COMPANY, NewCategoryRule, RulePreview, Subject, subject_label,
};
use serde::Deserialize;
use serde_json::json;

use super::extract::Json;
use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::{people, teams};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::reports::classify::{self, Classifier, Decider, Level};
use crate::reports::rules::{self, RuleRow};
use crate::reports::subjects::{self, SubjectRow};
use crate::state::AppState;

/// The most entries the subject list and a preview answer.
const MAX_LISTED: usize = 500;
const MAX_PREVIEWED: usize = 100;
/// Usage counts over this many days.
const USAGE_DAYS: i64 = 30;

/// The rules the caller may see, in the order they were written: all of them for owners
/// and admins; for managers the company's and those of their teams and their people.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    responses((status = OK, body = Vec<CategoryRule>), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/category-rules")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<CategoryRule>>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadCategoryRules).await?;
    let company = principal.company_id();
    let rows = rules::list(&mut conn, company).await?;
    let mut visible = Vec::with_capacity(rows.len());
    for row in rows {
        let shown = match (row.team_id, row.user_id) {
            (None, None) => true,
            (team, None) => reach.includes_team(team),
            (_, Some(user)) => reach.person(&mut conn, &principal, user).await.is_ok(),
        };
        if shown {
            visible.push(row.into());
        }
    }
    Ok(web::Json(visible))
}

/// Adds a rule.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    request_body = NewCategoryRule,
    responses(
        (status = CREATED, body = CategoryRule),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = CONFLICT, description = "The company has the most rules it may have", body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[post("/category-rules")]
pub async fn create(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<NewCategoryRule>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageCategoryRules)?;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    check(&mut conn, company, &body).await?;
    let row = RuleRow::new(company, &body, state.clock.now());
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        if rules::count(conn, company).await? >= MAX_RULES_PER_COMPANY {
            return Err(ApiError::Conflict(format!(
                "A company can have at most {MAX_RULES_PER_COMPANY} rules; delete one first."
            )));
        }
        rules::insert(conn, &row).await?;
        let change = Change {
            action: AuditAction::CategoryRuleCreated,
            target_kind: TargetKind::CategoryRule,
            target_id: Some(row.id.0),
            summary: json!({"after": row.rule()}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(CategoryRule::from(row)))
}

/// Replaces a rule's fields.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule's id")),
    request_body = NewCategoryRule,
    responses(
        (status = OK, body = CategoryRule),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[put("/category-rules/{id}")]
pub async fn update(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<CategoryRuleId>,
    Json(body): Json<NewCategoryRule>,
) -> Result<web::Json<CategoryRule>, ApiError> {
    principal.require(Action::ManageCategoryRules)?;
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let before = rules::find(&mut conn, company, id).await?;
    check(&mut conn, company, &body).await?;
    let after = RuleRow {
        id,
        created_at: before.created_at,
        ..RuleRow::new(company, &body, state.clock.now())
    };
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        rules::update(conn, &after).await?;
        let change = Change {
            action: AuditAction::CategoryRuleUpdated,
            target_kind: TargetKind::CategoryRule,
            target_id: Some(id.0),
            summary: json!({"before": before.rule(), "after": after.rule()}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(web::Json(after.into()))
}

/// Deletes a rule: what it classified falls to the next rule down.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The rule's id")),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
    )
)]
#[delete("/category-rules/{id}")]
pub async fn remove(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<CategoryRuleId>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ManageCategoryRules)?;
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let before = rules::find(&mut conn, company, id).await?;
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        rules::delete(conn, company, id).await?;
        let change = Change {
            action: AuditAction::CategoryRuleDeleted,
            target_kind: TargetKind::CategoryRule,
            target_id: Some(id.0),
            summary: json!({"before": before.rule()}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a rule would classify: the recorded applications and sites it matches (most
/// used in the last 30 days first), each with how it is classified now for the rule's
/// team or person (or the company). Nothing is stored.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    request_body = NewCategoryRule,
    responses(
        (status = OK, body = RulePreview),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[post("/category-rules/preview")]
pub async fn preview(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<NewCategoryRule>,
) -> Result<web::Json<RulePreview>, ApiError> {
    principal.require(Action::ManageCategoryRules)?;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    check(&mut conn, company, &body).await?;
    let candidate = Level::new(Decider::Company, [&body]);
    let (classifier, dictionary) = classification(&mut conn, &state, company).await?;
    let matching: Vec<&SubjectRow> = dictionary
        .iter()
        .filter(|s| candidate.decide(&s.app, &s.domain).is_some())
        .collect();
    let total = u32::try_from(matching.len()).unwrap_or(u32::MAX);
    let matches = matching
        .into_iter()
        .take(MAX_PREVIEWED)
        .map(|s| subject(&classifier, s, body.user_id, body.team_id))
        .collect();
    Ok(web::Json(RulePreview { matches, total }))
}

/// `GET /category-rules/subjects`: for whom to classify.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SubjectsQuery {
    /// Classify for this team's people.
    pub team_id: Option<TeamId>,
    /// Classify for this person (their team's rules too).
    pub user_id: Option<UserId>,
}

/// The applications and sites recorded in the company, most used in the last 30 days
/// first (at most 500), each with how it is classified for the company, or for a team
/// or person within the caller's reach, and whose rule decided.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(SubjectsQuery),
    responses(
        (status = OK, body = Vec<Subject>),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
    )
)]
#[get("/category-rules/subjects")]
pub async fn list_subjects(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<SubjectsQuery>,
) -> Result<web::Json<Vec<Subject>>, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadCategoryRules).await?;
    let (user, team) = match (query.user_id, query.team_id) {
        (Some(user), _) => {
            let person = reach.person(&mut conn, &principal, user).await?;
            (Some(user), person.team_id)
        }
        (None, Some(team)) if reach.includes_team(Some(team)) => (None, Some(team)),
        (None, Some(_)) => return Err(ApiError::NotFound),
        (None, None) => (None, None),
    };
    let (classifier, dictionary) = classification(&mut conn, &state, company).await?;
    Ok(web::Json(
        dictionary
            .iter()
            .take(MAX_LISTED)
            .map(|s| subject(&classifier, s, user, team))
            .collect(),
    ))
}

/// The company's rules and its dictionary with 30 days of usage.
async fn classification(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    company: CompanyId,
) -> Result<(Classifier, Vec<SubjectRow>), ApiError> {
    let written: Vec<NewCategoryRule> = rules::list(conn, company)
        .await?
        .iter()
        .map(RuleRow::rule)
        .collect();
    let since = state.clock.now().date_naive() - Duration::days(USAGE_DAYS);
    let dictionary = subjects::list(conn, company, Some(since)).await?;
    Ok((Classifier::new(&written), dictionary))
}

fn subject(
    classifier: &Classifier,
    row: &SubjectRow,
    user: Option<UserId>,
    team: Option<TeamId>,
) -> Subject {
    let class = classifier.classify(&row.app, &row.domain, user, team);
    let domain = (!row.domain.is_empty()).then(|| row.domain.clone());
    Subject {
        app: row.app.clone(),
        domain,
        productivity: class.productivity,
        category: class.category,
        decided_by: class.decided_by.as_str().to_owned(),
        recent_secs: row.recent_secs,
        label: subject_label(&row.app, Some(row.domain.as_str())),
    }
}

/// The fields, the pattern (it must compile) and the team or person (they must be the
/// company's).
async fn check(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    rule: &NewCategoryRule,
) -> Result<(), ApiError> {
    let mut faults: Vec<(&str, pulse_shared::validate::Invalid)> = rule.check();
    let compiled = classify::pattern(rule.matches, &rule.pattern);
    if let Some(team) = rule.team_id
        && teams::find(conn, company, team).await.is_err()
    {
        faults.push(("/team_id", ("unknown", "There is no such team.")));
    }
    if let Some(user) = rule.user_id
        && people::user(conn, company, user)
            .await
            .ok()
            .is_none_or(|person| person.deleted_at.is_some())
    {
        faults.push(("/user_id", ("unknown", "There is no such person.")));
    }
    let mut errors: Vec<pulse_shared::FieldError> = faults
        .into_iter()
        .map(|(field, (code, message))| pulse_shared::FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        })
        .collect();
    if let Err(why) = compiled
        && !errors.iter().any(|e| e.field == "/pattern")
    {
        errors.push(pulse_shared::FieldError {
            field: "/pattern".to_owned(),
            code: "invalid".to_owned(),
            message: why,
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
