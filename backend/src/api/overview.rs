//! `GET /api/v1/overview`: the landing page's figures for the people the caller may
//! see: who is working now, today and this week against last week, teams, attendance
//! today, the caller's newest alerts and, for owners and admins, seats.

use actix_web::{get, web};
use chrono::{Datelike, Duration, NaiveDate};
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::agents::{AgentState, AgentStatus};
use pulse_shared::ids::UserId;
use pulse_shared::reports::{
    DEFAULT_GRACE_MINS, Grouping, Overview, OverviewQuery, SeatUsage, trend_percent,
};

use super::reach::Reachable;
use super::reports::{scope, zone_or_company};
use crate::auth::principal::Principal;
use crate::billing::plans;
use crate::db::agents;
use crate::db::alerts::{self, Filter, Window};
use crate::domain::access::{Action, Reach};
use crate::errors::ApiError;
use crate::reports::attendance;
use crate::reports::time;
use crate::state::AppState;

/// Alerts the overview lists.
const LATEST_ALERTS: i64 = 5;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What is happening now, today and this week, for the people within the caller's
/// reach (employees: themselves).
#[utoipa::path(
    tag = "reports",
    security(("bearer" = [])),
    params(OverviewQuery),
    responses((status = OK, body = Overview), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/overview")]
pub async fn overview(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<OverviewQuery>,
) -> Result<web::Json<Overview>, ApiError> {
    let company = principal.company_id();
    let now = state.clock.now();
    let mut conn = state.db.tenant(company).await?;
    let time_zone = zone_or_company(&mut conn, &state, company, query.time_zone.as_deref()).await?;
    let people = scope(&mut conn, &principal, None, None).await?;
    let ids: Vec<UserId> = people.iter().map(|p| p.id).collect();
    let today = local_today(&mut conn, now, &time_zone).await?;
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));

    let context = time::Company::load(&mut conn, company).await?;
    let request = |from: NaiveDate, to: NaiveDate, group: Grouping| time::Request {
        company: &context,
        people: &people,
        from,
        to,
        group,
        time_zone: &time_zone,
        until: None,
        classify: true,
        by_own_days: true,
    };
    // The figures on this connection, the facts of now on a second one, at once.
    let mut side = state.db.tenant(company).await?;
    let figures = async {
        let today_figures = time::report(&mut conn, &request(today, today, Grouping::Day))
            .await?
            .total;
        let week = time::report(&mut conn, &request(monday, today, Grouping::Team)).await?;
        let last_week = time::report(
            &mut conn,
            &time::Request {
                until: Some(now - Duration::days(7)),
                classify: false,
                by_own_days: false,
                ..request(
                    monday - Duration::days(7),
                    today - Duration::days(7),
                    Grouping::Day,
                )
            },
        )
        .await?
        .total;

        Ok::<_, ApiError>((today_figures, week, last_week))
    };
    let facts = async {
        let with_settings = attendance::with_policies(&mut side, company, &people).await?;
        let (_, attendance_today) = attendance::days(
            &mut side,
            company,
            &with_settings,
            (today, today),
            DEFAULT_GRACE_MINS,
            now,
        )
        .await?;

        let agents_reach =
            match Reachable::resolve(&mut side, &principal, Action::ReadAgents).await? {
                Reachable::Company => None,
                _ => Some(ids.clone()),
            };
        let agents = agents::counts(&mut side, company, agents_reach.as_deref()).await?;
        let working_now: Count = diesel::sql_query(
            "SELECT count(DISTINCT user_id) AS n FROM agents
              WHERE company_id = $1 AND user_id = ANY($2) AND revoked_at IS NULL
                AND presence = $3 AND last_state = $4",
        )
        .bind::<diesel::sql_types::Uuid, _>(company.0)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Text, _>(AgentStatus::Online.as_str())
        .bind::<Text, _>(AgentState::Active.as_str())
        .get_result(&mut side)
        .await?;
        let latest_alerts = alerts::inbox(
            &mut side,
            company,
            principal.user_id(),
            Filter::default(),
            Window::Before(None),
            LATEST_ALERTS,
        )
        .await?;
        let seats = if pulse_shared::access::access(principal.role(), Action::ManageBilling)
            == Reach::Company
        {
            let plan = plans::of_company(&mut side, company, false).await?;
            Some(SeatUsage {
                used: plan.seats_used,
                limit: plan.seat_limit,
            })
        } else {
            None
        };
        Ok::<_, ApiError>((attendance_today, agents, working_now, latest_alerts, seats))
    };
    let (
        (today_figures, week, last_week),
        (attendance_today, agents, working_now, latest_alerts, seats),
    ) = tokio::try_join!(figures, facts)?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(web::Json(Overview {
        time_zone,
        today,
        people: count(people.len()),
        working_now: u32::try_from(working_now.n).unwrap_or(0),
        agents,
        week_trend_percent: trend_percent(week.total.worked_secs, last_week.worked_secs),
        today_figures,
        this_week: week.total,
        last_week,
        teams: week.rows,
        attendance_today,
        latest_alerts,
        seats,
    }))
}

#[derive(diesel::QueryableByName)]
struct Today {
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: NaiveDate,
}

/// The date `now` falls on in `zone`.
async fn local_today(
    conn: &mut AsyncPgConnection,
    now: chrono::DateTime<chrono::Utc>,
    zone: &str,
) -> Result<NaiveDate, ApiError> {
    let today: Today = diesel::sql_query("SELECT ($1 AT TIME ZONE $2)::date AS day")
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .bind::<Text, _>(zone)
        .get_result(conn)
        .await?;
    Ok(today.day)
}
