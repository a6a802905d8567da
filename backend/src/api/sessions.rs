//! `/api/v1/sessions`: work sessions of one employee, and the team view of everyone's
//! totals over a range.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use pulse_shared::activity::{
    AppUsage, MAX_RANGE_DAYS, SessionQuery, SessionSummary, TOP_APPS, WorkSession,
};
use pulse_shared::ids::UserId;

use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::people::PeopleFilter;
use crate::db::{activity, people};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// The most people the team view covers.
const MAX_SUMMARY_PEOPLE: i64 = 2_000;

/// One employee's sessions overlapping `[from, to)`, in time order: the caller's own
/// unless `user_id` names someone within their reach (managers: their teams; admins:
/// everyone).
#[utoipa::path(
    tag = "activity",
    security(("bearer" = [])),
    params(SessionQuery),
    responses((status = OK, body = Vec<WorkSession>), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/sessions")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<SessionQuery>,
) -> Result<web::Json<Vec<WorkSession>>, ApiError> {
    check_range(query.from, query.to)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = Reachable::activity_subject(&mut conn, &principal, query.user_id).await?;
    let rows = activity::sessions(
        &mut conn,
        principal.company_id(),
        &[person.id],
        query.from,
        query.to,
    )
    .await?;
    Ok(web::Json(rows.into_iter().map(WorkSession::from).collect()))
}

/// Everyone within the caller's reach (or one team, or one person), with their totals
/// over `[from, to)`: sessions, active and idle time, first start, last end, top apps.
/// People without sessions are listed with zeros. Bounded: at most 31 days and 2,000
/// people, whose sessions Postgres adds up, so the answer is a row per person however
/// many sessions they had.
#[utoipa::path(
    tag = "activity",
    security(("bearer" = [])),
    params(SessionQuery),
    responses((status = OK, body = Vec<SessionSummary>), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/sessions/summary")]
pub async fn summary(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<SessionQuery>,
) -> Result<web::Json<Vec<SessionSummary>>, ApiError> {
    check_range(query.from, query.to)?;
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::ReadActivity).await?;
    let mut filter = PeopleFilter {
        team_id: query.team_id,
        ..PeopleFilter::default()
    };
    reach.narrow(&mut filter);
    let mut everyone = people::list(&mut conn, company, &filter, MAX_SUMMARY_PEOPLE).await?;
    if let Some(user) = query.user_id {
        everyone.retain(|person| person.id == user);
    }
    let ids: Vec<UserId> = everyone.iter().map(|person| person.id).collect();
    let totals = activity::session_totals(&mut conn, company, &ids, query.from, query.to).await?;
    let apps = activity::top_apps(&mut conn, company, &ids, query.from, query.to, TOP_APPS).await?;
    drop(conn);
    let mut totals: BTreeMap<UserId, activity::SessionTotals> =
        totals.into_iter().map(|row| (row.user_id, row)).collect();
    let mut top: BTreeMap<UserId, Vec<AppUsage>> = BTreeMap::new();
    for row in apps {
        top.entry(row.user_id).or_default().push(AppUsage {
            app: row.app,
            secs: row.secs,
        });
    }
    let mut summaries: Vec<SessionSummary> = everyone
        .into_iter()
        .map(|person| {
            let totals = totals.remove(&person.id);
            SessionSummary {
                user_id: person.id,
                name: person.name,
                team_id: person.team_id,
                sessions: totals.as_ref().map_or(0, |t| t.sessions),
                active_secs: totals.as_ref().map_or(0, |t| t.active_secs),
                idle_secs: totals.as_ref().map_or(0, |t| t.idle_secs),
                first_started_at: totals.as_ref().map(|t| t.first_started_at),
                last_ended_at: totals.as_ref().map(|t| t.last_ended_at),
                top_apps: top.remove(&person.id).unwrap_or_default(),
            }
        })
        .collect();
    summaries.sort_by(|a, b| {
        b.active_secs
            .cmp(&a.active_secs)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(web::Json(summaries))
}

/// A range for activity reads: `from` before `to`, at most 31 days.
pub fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if to <= from {
        Err(ApiError::field(
            "to",
            "before_from",
            "The end of the range must come after its start.",
        ))
    } else if to - from > chrono::Duration::days(MAX_RANGE_DAYS) {
        Err(ApiError::field(
            "to",
            "too_long",
            "Ask for at most 31 days at a time.",
        ))
    } else {
        Ok(())
    }
}
