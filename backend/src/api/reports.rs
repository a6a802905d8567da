//! `/api/v1/reports/*`: time, activity and productivity over a range, and attendance,
//! for the people the caller may see (employees themselves, managers their teams,
//! admins everyone), as JSON or CSV.

use actix_web::{HttpResponse, get, put, web};
use chrono::{Duration, NaiveDate};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::reports::{
    AttendanceQuery, AttendanceReport, DEFAULT_GRACE_MINS, Grouping, MAX_GRACE_MINS,
    MAX_HOURLY_DAYS, MAX_REPORT_DAYS, ReportQuery, ReportSubscription, TimeReport,
};
use serde_json::json;

use super::export::{self, Cell, FileType, Table};
use super::extract::Json;
use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::billing::plans::{self, Feature};
use crate::db::audit::{self, Change};
use crate::db::people::PeopleFilter;
use crate::db::{people, policies, teams};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::reports::time::{self, Person};
use crate::reports::{attendance, email, zones};
use crate::state::AppState;

/// The most people one report covers.
const MAX_REPORT_PEOPLE: i64 = 5_000;
/// The most person-days one attendance report lists.
const MAX_ATTENDANCE_DAYS: i64 = 50_000;

/// Time, activity and productivity from `from` to `to`, grouped as asked. Grouped by
/// application or category, rows count active time only (idle time belongs to no
/// application); the total always counts both. Ranges of 92 days or more are read from
/// the day rollups, whose days are each person's own (their policy's time zone).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = OK, body = TimeReport),
        (status = NOT_FOUND, description = "The team or person is not within the caller's reach", body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/time")]
pub async fn time_report(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<web::Json<TimeReport>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    Ok(web::Json(
        build_time(&mut conn, &principal, &state, &query).await?,
    ))
}

/// The time report as CSV: one line per row, then the total.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = OK, content_type = "text/csv", body = String),
        (status = PAYMENT_REQUIRED, description = "The plan does not include exports", body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/time.csv")]
pub async fn time_csv(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    export_time(&principal, &state, &query, FileType::Csv).await
}

/// The time report as an Excel workbook: one row per report row, then the total.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(ReportQuery),
    responses(
        (status = OK, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = PAYMENT_REQUIRED, description = "The plan does not include exports", body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/time.xlsx")]
pub async fn time_xlsx(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    export_time(&principal, &state, &query, FileType::Xlsx).await
}

async fn export_time(
    principal: &Principal,
    state: &AppState,
    query: &ReportQuery,
    file_type: FileType,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    plans::require(&mut conn, principal.company_id(), Feature::ReportsExport).await?;
    let report = build_time(&mut conn, principal, state, query).await?;
    let mut table = Table {
        header: vec![
            "key",
            "label",
            "worked_secs",
            "worked_hours",
            "active_secs",
            "idle_secs",
            "activity_percent",
            "productive_secs",
            "neutral_secs",
            "unproductive_secs",
            "productivity",
            "category",
        ],
        rows: Vec::with_capacity(report.rows.len() + 1),
    };
    let total = pulse_shared::reports::ReportRow {
        key: "total".to_owned(),
        label: "Total".to_owned(),
        figures: report.total.clone(),
        productivity: None,
        category: None,
    };
    for row in report.rows.iter().chain([&total]) {
        let f = &row.figures;
        table.rows.push(vec![
            row.key.as_str().into(),
            row.label.as_str().into(),
            f.worked_secs.into(),
            Cell::Number(hours(f.worked_secs)),
            f.active_secs.into(),
            f.idle_secs.into(),
            f.activity_percent.into(),
            f.productive_secs.into(),
            f.neutral_secs.into(),
            f.unproductive_secs.into(),
            row.productivity.map(|p| p.as_str()).into(),
            row.category.clone().into(),
        ]);
    }
    let stem = format!(
        "time-{}-{}-by-{}",
        report.from,
        report.to,
        report.group.as_str()
    );
    Ok(export::attachment(&stem, file_type, &table)?)
}

/// Seconds as hours, to the hundredth, for spreadsheets.
fn hours(secs: i64) -> f64 {
    // Exact for any number of seconds a report can hold (< 2^53).
    #[allow(clippy::cast_precision_loss)]
    let secs = secs as f64;
    (secs / 36.0).round() / 100.0
}

async fn build_time(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    state: &AppState,
    query: &ReportQuery,
) -> Result<TimeReport, ApiError> {
    check_range(query.from, query.to, MAX_REPORT_DAYS)?;
    if matches!(query.group, Grouping::Hour) {
        check_range(query.from, query.to, MAX_HOURLY_DAYS)?;
    }
    let company = principal.company_id();
    let time_zone = zone_or_company(conn, state, company, query.time_zone.as_deref()).await?;
    let people = scope(conn, principal, query.team_id, query.user_id).await?;
    let context = time::Company::load(conn, company).await?;
    let request = time::Request {
        company: &context,
        people: &people,
        from: query.from,
        to: query.to,
        group: query.group,
        time_zone: &time_zone,
        until: None,
        classify: true,
        by_own_days: false,
    };
    Ok(time::report(conn, &request).await?)
}

/// Each person's days against their working hours, as of now.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(AttendanceQuery),
    responses(
        (status = OK, body = AttendanceReport),
        (status = NOT_FOUND, description = "The team or person is not within the caller's reach", body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/attendance")]
pub async fn attendance_report(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AttendanceQuery>,
) -> Result<web::Json<AttendanceReport>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    Ok(web::Json(
        build_attendance(&mut conn, &principal, &state, &query).await?,
    ))
}

/// The attendance report as CSV: one line per person and day.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(AttendanceQuery),
    responses(
        (status = OK, content_type = "text/csv", body = String),
        (status = PAYMENT_REQUIRED, description = "The plan does not include exports", body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/attendance.csv")]
pub async fn attendance_csv(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AttendanceQuery>,
) -> Result<HttpResponse, ApiError> {
    export_attendance(&principal, &state, &query, FileType::Csv).await
}

/// The attendance report as an Excel workbook: one row per person and day.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(AttendanceQuery),
    responses(
        (status = OK, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = PAYMENT_REQUIRED, description = "The plan does not include exports", body = pulse_shared::Problem),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[get("/reports/attendance.xlsx")]
pub async fn attendance_xlsx(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AttendanceQuery>,
) -> Result<HttpResponse, ApiError> {
    export_attendance(&principal, &state, &query, FileType::Xlsx).await
}

async fn export_attendance(
    principal: &Principal,
    state: &AppState,
    query: &AttendanceQuery,
    file_type: FileType,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    plans::require(&mut conn, principal.company_id(), Feature::ReportsExport).await?;
    let report = build_attendance(&mut conn, principal, state, query).await?;
    let mut table = Table {
        header: vec![
            "user_id",
            "name",
            "day",
            "time_zone",
            "status",
            "first_activity_at",
            "last_activity_at",
            "worked_secs",
            "active_secs",
            "expected_start",
            "expected_end",
            "late_by_mins",
            "early_by_mins",
        ],
        rows: Vec::with_capacity(report.days.len()),
    };
    let time = |at: Option<chrono::DateTime<chrono::Utc>>| at.map(|at| at.to_rfc3339());
    for day in report.days {
        table.rows.push(vec![
            day.user_id.to_string().into(),
            day.name.into(),
            day.day.to_string().into(),
            day.time_zone.into(),
            day.status.as_str().into(),
            time(day.first_activity_at).into(),
            time(day.last_activity_at).into(),
            day.worked_secs.into(),
            day.active_secs.into(),
            day.expected_start.into(),
            day.expected_end.into(),
            day.late_by_mins.into(),
            day.early_by_mins.into(),
        ]);
    }
    let stem = format!("attendance-{}-{}", report.from, report.to);
    Ok(export::attachment(&stem, file_type, &table)?)
}

async fn build_attendance(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    state: &AppState,
    query: &AttendanceQuery,
) -> Result<AttendanceReport, ApiError> {
    check_range(query.from, query.to, MAX_REPORT_DAYS)?;
    let grace_mins = query.grace_mins.unwrap_or(DEFAULT_GRACE_MINS);
    if grace_mins > MAX_GRACE_MINS {
        return Err(ApiError::field(
            "grace_mins",
            "out_of_range",
            "Give a grace period of 0 to 120 minutes.",
        ));
    }
    let people = scope(conn, principal, query.team_id, query.user_id).await?;
    let days = (query.to - query.from).num_days() + 1;
    if i64::try_from(people.len()).unwrap_or(i64::MAX) * days > MAX_ATTENDANCE_DAYS {
        return Err(ApiError::field(
            "to",
            "too_many_rows",
            format!(
                "That is more than {MAX_ATTENDANCE_DAYS} person-days: choose a team, a person or a shorter range."
            ),
        ));
    }
    let company = principal.company_id();
    let people = attendance::with_policies(conn, company, &people).await?;
    let (days, summary) = attendance::days(
        conn,
        company,
        &people,
        (query.from, query.to),
        grace_mins,
        state.clock.now(),
    )
    .await?;
    Ok(AttendanceReport {
        from: query.from,
        to: query.to,
        grace_mins,
        days,
        summary,
    })
}

/// `zone` if Postgres knows it (422 otherwise), else the company's (its default
/// policy's).
pub(crate) async fn zone_or_company(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    company: CompanyId,
    zone: Option<&str>,
) -> Result<String, ApiError> {
    match zone {
        Some(zone) if zones::known(conn).await?.contains(zone) => Ok(zone.to_owned()),
        Some(_) => Err(ApiError::field(
            "time_zone",
            "unknown",
            "Use a time zone name such as Europe/Berlin or UTC.",
        )),
        None => {
            let policy = policies::company(conn, company, state.clock.now()).await?;
            Ok(zones::or_utc(conn, &policy.company_settings().time_zone)
                .await?
                .to_owned())
        }
    }
}

/// `from..=to` must be a range of at most `max_days` days.
fn check_range(from: NaiveDate, to: NaiveDate, max_days: i64) -> Result<(), ApiError> {
    if to < from {
        Err(ApiError::field(
            "to",
            "before_from",
            "The last day must not come before the first.",
        ))
    } else if to - from >= Duration::days(max_days) {
        Err(ApiError::field(
            "to",
            "too_long",
            format!("Ask for at most {max_days} days at a time."),
        ))
    } else {
        Ok(())
    }
}

/// The people a report covers: `user` (if within reach), else those of `team` within
/// reach, else everyone within reach; deleted people are left out.
pub(crate) async fn scope(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    team: Option<TeamId>,
    user: Option<UserId>,
) -> Result<Vec<Person>, ApiError> {
    let reach = Reachable::resolve(conn, principal, Action::ReadActivity).await?;
    if let Some(user) = user {
        let row = reach.person(conn, principal, user).await?;
        if team.is_some_and(|team| row.team_id != Some(team)) {
            return Ok(Vec::new());
        }
        return Ok(vec![person(row)]);
    }
    if let Some(team) = team {
        teams::find(conn, principal.company_id(), team).await?;
    }
    Ok(people_in(conn, principal.company_id(), &reach, team).await?)
}

/// The people of `company` within `reach` (of `team` only, when given), deleted people
/// left out.
pub(crate) async fn people_in(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    reach: &Reachable,
    team: Option<TeamId>,
) -> diesel::QueryResult<Vec<Person>> {
    let mut filter = PeopleFilter {
        team_id: team,
        ..PeopleFilter::default()
    };
    reach.narrow(&mut filter);
    let rows = people::list(conn, company, &filter, MAX_REPORT_PEOPLE).await?;
    Ok(rows.into_iter().map(person).collect())
}

fn person(row: people::UserRow) -> Person {
    Person {
        id: row.id,
        name: row.name,
        team_id: row.team_id,
    }
}

/// The caller's scheduled summary: daily, weekly, or none.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    responses((status = OK, body = ReportSubscription), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/me/report-subscription")]
pub async fn subscription(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<ReportSubscription>, ApiError> {
    principal.require(Action::ReceiveReportEmails)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let frequency =
        email::subscription(&mut conn, principal.company_id(), principal.user_id()).await?;
    Ok(web::Json(ReportSubscription { frequency }))
}

/// Chooses the caller's scheduled summary (managers: their teams; owners and admins:
/// everyone), sent at 07:00 in their time zone about the day or week before; `null`
/// stops it.
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    request_body = ReportSubscription,
    responses(
        (status = OK, body = ReportSubscription),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
    )
)]
#[put("/me/report-subscription")]
pub async fn subscribe(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<ReportSubscription>,
) -> Result<web::Json<ReportSubscription>, ApiError> {
    principal.require(Action::ReceiveReportEmails)?;
    principal.require_signed_in_person()?;
    let (company, user) = (principal.company_id(), principal.user_id());
    let actor = principal.actor().clone();
    let now = state.clock.now();
    let mut conn = state.db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = email::subscription(conn, company, user).await?;
        if before != body.frequency {
            email::subscribe(conn, (company, user), body.frequency, now).await?;
            let change = Change {
                action: AuditAction::ReportSubscriptionUpdated,
                target_kind: TargetKind::User,
                target_id: Some(user.0),
                summary: json!({"before": before, "after": body.frequency}),
            };
            audit::record(conn, company, &actor, change).await?;
        }
        Ok(())
    })
    .await?;
    Ok(web::Json(body))
}
