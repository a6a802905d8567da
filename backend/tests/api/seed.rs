//! The demo company: created once, signed in to, and audited like any other.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_backend::seed::{DEMO_EMAIL, DEMO_PASSWORD, demo_days, is_working_day, seed_demo};
use pulse_backend::testing::TestApp;
use serde_json::Value;

use crate::common::{get, login, session_from};

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

    let owner = session_from(login(&app, DEMO_EMAIL, DEMO_PASSWORD).await).await;
    let people: Value = get(&app, &owner, "/api/v1/people?limit=200")
        .await
        .json()
        .await
        .unwrap();
    let roles: Vec<_> = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["role"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(roles.len(), 16);
    assert_eq!(roles.iter().filter(|r| *r == "manager").count(), 2);
    let teams: Value = get(&app, &owner, "/api/v1/teams")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        teams["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["manager_ids"].as_array().unwrap().len() == 1)
    );
    // Every manager and employee has a computer, most online, with the last working
    // week's work (nobody works at weekends).
    let agents: Value = get(&app, &owner, "/api/v1/agents?limit=200")
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<_> = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses.len(), 14);
    assert!(statuses.iter().filter(|s| *s == "online").count() >= 10);
    let today = now.date_naive();
    let summary = async |day: chrono::NaiveDate| -> Vec<i64> {
        let rows: Value = get(
            &app,
            &owner,
            &format!("/api/v1/sessions/summary?from={day}T00:00:00Z&to={day}T23:59:59Z"),
        )
        .await
        .json()
        .await
        .unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|row| row["active_secs"].as_i64().unwrap())
            .collect()
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
    let weekend = today
        .pred_opt()
        .into_iter()
        .chain([today])
        .filter(|day| !is_working_day(*day));
    for day in weekend {
        assert!(summary(day).await.iter().all(|secs| *secs == 0), "{day}");
    }
    let verify: Value = get(&app, &owner, "/api/v1/audit-events/verify")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verify["valid"], true);
    assert_eq!(
        verify["checked"],
        1 + 2 + 16 + 1,
        "company, teams, people, and the sign-in"
    );
}
