//! `/api/v1/sessions`: work sessions of one employee, and the team view of everyone's
//! totals over a range.

use std::collections::BTreeMap;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use pulse_shared::activity::{MAX_RANGE_DAYS, SessionQuery, SessionSummary, WorkSession};
use pulse_shared::ids::UserId;

use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::people::PeopleFilter;
use crate::db::{self, activity, people};
use crate::domain::access::Action;
use crate::domain::sessions::top_apps;
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
    let mut conn = db::conn(&state.pool).await?;
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
/// People without sessions are listed with zeros.
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
    let mut conn = db::conn(&state.pool).await?;
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
    let rows = activity::sessions(&mut conn, company, &ids, query.from, query.to).await?;
    let mut totals: BTreeMap<UserId, Totals> = BTreeMap::new();
    for row in rows {
        totals.entry(row.user_id).or_default().add(row);
    }
    let mut summaries: Vec<SessionSummary> = everyone
        .into_iter()
        .map(|person| {
            let totals = totals.remove(&person.id).unwrap_or_default();
            SessionSummary {
                user_id: person.id,
                name: person.name,
                team_id: person.team_id,
                sessions: totals.sessions,
                active_secs: totals.active_secs,
                idle_secs: totals.idle_secs,
                first_started_at: totals.first_started_at,
                last_ended_at: totals.last_ended_at,
                top_apps: top_apps(&totals.app_secs),
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

/// One person's sessions added up.
#[derive(Default)]
struct Totals {
    sessions: i64,
    active_secs: i64,
    idle_secs: i64,
    first_started_at: Option<DateTime<Utc>>,
    last_ended_at: Option<DateTime<Utc>>,
    app_secs: BTreeMap<String, i64>,
}

impl Totals {
    fn add(&mut self, row: activity::SessionRow) {
        self.sessions += 1;
        self.active_secs += row.active_secs;
        self.idle_secs += row.idle_secs;
        self.first_started_at = Some(
            self.first_started_at
                .map_or(row.started_at, |first| first.min(row.started_at)),
        );
        self.last_ended_at = Some(
            self.last_ended_at
                .map_or(row.ended_at, |last| last.max(row.ended_at)),
        );
        for (app, secs) in row.apps() {
            *self.app_secs.entry(app).or_default() += secs;
        }
    }
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
