//! The demo company: created once, signed in to, and audited like any other.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_backend::seed::{DEMO_EMAIL, DEMO_PASSWORD, demo_days, is_working_day, seed_demo};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::activity::SessionSummary;
use pulse_shared::agents::{Agent, AgentStatus};
use pulse_shared::audit::AuditVerifyResponse;
use pulse_shared::people::{Person, Role};
use pulse_shared::reports::{AttendanceReport, TimeReport};
use pulse_shared::teams::Team;

use pulse_shared::billing::{BillingOverview, PlanId};

use crate::common::{get_json, login, scalar, session_from};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_company_is_seeded_once_and_usable() {
    let app = TestApp::spawn().await.unwrap();
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    let now = app.now();
    assert!(seed_demo(&mut conn, now).await.unwrap());
    assert!(
        !seed_demo(&mut conn, now).await.unwrap(),
        "a second run adds nothing"
    );
    // Every event is in its month's partition, none left for a round to move.
    let strays = scalar(&app, "SELECT count(*) FROM activity_events_default").await;
    assert_eq!(strays, 0);

    let owner = session_from(login(&app, DEMO_EMAIL, DEMO_PASSWORD).await).await;
    let people: Page<Person> = get_json(&app, &owner, "/api/v1/people?limit=200").await;
    let roles: Vec<_> = people.items.iter().map(|p| p.role).collect();
    assert_eq!(roles.len(), 16);
    assert_eq!(roles.iter().filter(|r| **r == Role::Manager).count(), 2);
    let teams: Page<Team> = get_json(&app, &owner, "/api/v1/teams").await;
    assert!(teams.items.iter().all(|t| t.manager_ids.len() == 1));
    // Every manager and employee has a computer, most online, with the last working
    // week's work (nobody works at weekends).
    let agents: Page<Agent> = get_json(&app, &owner, "/api/v1/agents?limit=200").await;
    let statuses: Vec<_> = agents.items.iter().map(|a| a.status).collect();
    assert_eq!(statuses.len(), 14);
    assert!(
        statuses
            .iter()
            .filter(|s| **s == AgentStatus::Online)
            .count()
            >= 10
    );
    // On Pro, whose 50 seats hold the fourteen monitored people.
    let billing: BillingOverview = get_json(&app, &owner, "/api/v1/billing").await;
    assert_eq!(billing.plan.id, PlanId::Pro);
    assert_eq!((billing.seats_used, billing.seat_limit), (14, Some(50)));
    let today = now.date_naive();
    let summary = async |day: chrono::NaiveDate| -> Vec<i64> {
        let rows: Vec<SessionSummary> = get_json(
            &app,
            &owner,
            &format!("/api/v1/sessions/summary?from={day}T00:00:00Z&to={day}T23:59:59Z"),
        )
        .await;
        rows.iter().map(|row| row.active_secs).collect()
    };
    let days = demo_days(now);
    let past: Vec<_> = days.iter().filter(|day| **day < today).collect();
    assert_eq!(past.len(), 5, "{days:?}");
    for day in past {
        let worked = summary(*day).await;
        assert_eq!(
            worked.iter().filter(|secs| **secs > 3 * 3600).count(),
            14,
            "{day}: {worked:?}"
        );
    }
    // The reports have something to say: some time on unproductive sites, and each
    // working day judged against the company's working hours.
    let (first, last) = (days[0], past_days_end(&days, today));
    let report: TimeReport = get_json(
        &app,
        &owner,
        &format!("/api/v1/reports/time?from={first}&to={last}&group=person"),
    )
    .await;
    let total = &report.total;
    assert!(
        total.productive_secs > total.unproductive_secs && total.unproductive_secs > 0,
        "{total:?}"
    );
    let attendance: AttendanceReport = get_json(
        &app,
        &owner,
        &format!("/api/v1/reports/attendance?from={first}&to={last}"),
    )
    .await;
    // Every monitored person was there each working day; the owner and the admin have
    // no computer, so attendance does not judge them.
    let judged = &attendance.summary;
    assert!(
        judged.on_time + judged.late_start + judged.early_end >= 14 * 5,
        "{judged:?}"
    );
    assert_eq!(judged.absent, 0, "{judged:?}");
    let weekend = today
        .pred_opt()
        .into_iter()
        .chain([today])
        .filter(|day| !is_working_day(*day));
    for day in weekend {
        assert!(summary(day).await.iter().all(|secs| *secs == 0), "{day}");
    }
    let verify: AuditVerifyResponse = get_json(&app, &owner, "/api/v1/audit-events/verify").await;
    assert!(verify.valid, "{verify:?}");
    assert_eq!(
        verify.checked,
        1 + 2 + 16 + 1,
        "company, teams, people, and the sign-in"
    );
}

/// The last of the demo's days before `today`.
fn past_days_end(days: &[chrono::NaiveDate], today: chrono::NaiveDate) -> chrono::NaiveDate {
    days.iter()
        .copied()
        .filter(|day| *day < today)
        .max()
        .unwrap_or(today)
}
