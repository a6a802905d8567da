//! Policies: the default, team and employee overrides layered into the effective
//! policy, bounds, and the audit event and alert every change brings.

use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::alerts::Alert;
use pulse_shared::audit::AuditEvent;
use pulse_shared::policies::{EffectivePolicy, PolicyOverview, PolicySettings};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common::{Org, Session, fields, get, get_json, json, send};

async fn effective(app: &TestApp, who: &Session, person: &Session) -> reqwest::Response {
    let id = person.body.me.user.id;
    get(app, who, &format!("/api/v1/policies/effective/{id}")).await
}

async fn effective_json(app: &TestApp, who: &Session, person: &Session) -> EffectivePolicy {
    let response = effective(app, who, person).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// How many `T` the first page of the list at `path` holds.
async fn count<T: DeserializeOwned>(app: &TestApp, who: &Session, path: &str) -> usize {
    get_json::<Page<T>>(app, who, path).await.items.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_layer_over_the_default_and_change_the_version() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "layers").await;
    let overview: PolicyOverview = get_json(&app, &org.admin, "/api/v1/policies").await;
    assert_eq!(overview.company.settings, PolicySettings::default());
    let start = effective_json(&app, &org.admin, &org.employee).await;
    assert_eq!(start.settings.heartbeat_secs, 30);
    assert_eq!(start.team, None);

    let team = format!("/api/v1/policies/teams/{}", org.team_a);
    let set = send(
        &app,
        &org.admin,
        Method::PUT,
        &team,
        Some(&json!({"heartbeat_secs": 60, "track_titles": true})),
    )
    .await;
    assert_eq!(set.status(), 200);
    let own = format!(
        "/api/v1/policies/employees/{}",
        org.employee.body.me.user.id
    );
    let set = send(
        &app,
        &org.admin,
        Method::PUT,
        &own,
        Some(&json!({"heartbeat_secs": 20})),
    )
    .await;
    assert_eq!(set.status(), 200);

    let layered = effective_json(&app, &org.admin, &org.employee).await;
    assert_eq!(
        layered.settings.heartbeat_secs, 20,
        "the employee's own wins"
    );
    assert!(layered.settings.track_titles, "the team's applies");
    assert_eq!(
        layered.settings.idle_threshold_secs, 300,
        "the default fills the rest"
    );
    assert_ne!(layered.version, start.version);
    // The outsider (team B) still has the default, and the same version as before.
    let outsider = effective_json(&app, &org.admin, &org.outsider).await;
    assert_eq!(outsider.version, start.version);

    // Removing both brings the default back, with its old version.
    assert_eq!(
        send(&app, &org.admin, Method::DELETE, &own, None)
            .await
            .status(),
        204
    );
    assert_eq!(
        send(&app, &org.admin, Method::DELETE, &team, None)
            .await
            .status(),
        204
    );
    let back = effective_json(&app, &org.admin, &org.employee).await;
    assert_eq!(back.version, start.version);
    let overview: PolicyOverview = get_json(&app, &org.admin, "/api/v1/policies").await;
    assert!(overview.teams.is_empty(), "{:?}", overview.teams);
    assert!(overview.employees.is_empty(), "{:?}", overview.employees);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_audited_and_alerted_once() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "policyalerts").await;
    let mut settings = serde_json::to_value(PolicySettings::default()).unwrap();
    settings["screenshot_mode"] = json!("interval");
    settings["blur_screenshots"] = json!(true);
    let put = send(
        &app,
        &org.owner,
        Method::PUT,
        "/api/v1/policies/company",
        Some(&settings),
    )
    .await;
    assert_eq!(put.status(), 200);
    // The same again changes nothing, so records nothing.
    let again = send(
        &app,
        &org.owner,
        Method::PUT,
        "/api/v1/policies/company",
        Some(&settings),
    )
    .await;
    assert_eq!(again.status(), 200);

    let alerts: Page<Alert> =
        get_json(&app, &org.admin, "/api/v1/alerts?kind=policy_changed").await;
    let items = &alerts.items;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "The company policy changed");
    assert_eq!(items[0].body, "Changed: blur screenshots, screenshot mode.");
    assert_eq!(
        count::<AuditEvent>(
            &app,
            &org.owner,
            "/api/v1/audit-events?action=policy.updated"
        )
        .await,
        1
    );

    // An employee's override reaches their team's manager too, not other employees.
    let own = format!(
        "/api/v1/policies/employees/{}",
        org.employee.body.me.user.id
    );
    send(
        &app,
        &org.admin,
        Method::PUT,
        &own,
        Some(&json!({"track_urls": true})),
    )
    .await;
    assert_eq!(
        count::<Alert>(&app, &org.manager, "/api/v1/alerts?kind=policy_changed").await,
        1
    );
    assert_eq!(
        count::<Alert>(&app, &org.employee, "/api/v1/alerts").await,
        0
    );
    assert_eq!(
        count::<AuditEvent>(
            &app,
            &org.owner,
            "/api/v1/audit-events?action=policy.override_set"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_out_of_bounds_are_refused_field_by_field() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "bounds").await;
    let mut settings = serde_json::to_value(PolicySettings::default()).unwrap();
    settings["heartbeat_secs"] = json!(1);
    settings["screenshot_retention_days"] = json!(0);
    settings["excluded_domains"] = json!(["ok.example", ""]);
    settings["working_hours"] = json!({"days": ["mon"], "start": "17:00", "end": "09:00"});
    let refused = send(
        &app,
        &org.owner,
        Method::PUT,
        "/api/v1/policies/company",
        Some(&settings),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(
        fields(&problem),
        [
            "/heartbeat_secs",
            "/screenshot_retention_days",
            "/excluded_domains/1",
            "/working_hours/end"
        ]
    );
    let team = format!("/api/v1/policies/teams/{}", org.team_a);
    for (body, field) in [
        (json!({"idle_threshold_secs": 10}), "/idle_threshold_secs"),
        (json!({"volume": 11}), ""),
        (json!({"time_zone": "Atlantis"}), "/time_zone"),
        // Well formed, but no such zone.
        (json!({"time_zone": "Europe/Atlantis"}), "/time_zone"),
        (json!({"screenshot_mode": "always"}), "/screenshot_mode"),
    ] {
        let response = send(&app, &org.owner, Method::PUT, &team, Some(&body)).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert!(
            fields(&problem)
                .first()
                .is_some_and(|got| got.starts_with(field)),
            "{body}: {problem}"
        );
    }
    // Nothing was written.
    let overview: PolicyOverview = get_json(&app, &org.owner, "/api/v1/policies").await;
    assert!(overview.teams.is_empty(), "{:?}", overview.teams);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_see_the_policy_that_applies_to_them_and_to_their_teams() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "transparency").await;
    assert_eq!(
        effective(&app, &org.employee, &org.employee).await.status(),
        200
    );
    assert_eq!(
        effective(&app, &org.employee, &org.manager).await.status(),
        404
    );
    assert_eq!(
        effective(&app, &org.manager, &org.employee).await.status(),
        200
    );
    assert_eq!(
        effective(&app, &org.manager, &org.outsider).await.status(),
        404
    );
    // Only owners and admins change or list policies.
    assert_eq!(
        get(&app, &org.manager, "/api/v1/policies").await.status(),
        403
    );
    let team = format!("/api/v1/policies/teams/{}", org.team_a);
    let denied = send(
        &app,
        &org.manager,
        Method::PUT,
        &team,
        Some(&json!({"track_urls": false})),
    )
    .await;
    assert_eq!(denied.status(), 403);
}

/// Lowering a retention (at any level) holds the retention that applied before for the
/// grace period, for exactly the people whose retention went down; raising holds
/// nothing, and a running hold keeps the longest retention.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_retention_holds_the_old_one_for_the_grace_period() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "holds").await;
    let holds =
        async |setting: &str| {
            crate::common::scalar(
            &app,
            &format!(
                "SELECT count(*) FROM retention_holds WHERE setting = '{setting}' AND days = {}",
                if setting.starts_with("activity") { 180 } else { 30 }
            ),
        )
        .await
        };
    let put = async |path: &str, body: Value| {
        let response = send(&app, &org.owner, Method::PUT, path, Some(&body)).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    };
    let emma = org.employee.body.me.user.id;
    put(
        &format!("/api/v1/policies/employees/{emma}"),
        json!({"screenshot_retention_days": 5}),
    )
    .await;
    assert_eq!(holds("screenshot_retention_days").await, 1, "Emma's only");
    assert_eq!(holds("activity_retention_days").await, 0);

    let mut settings = serde_json::to_value(PolicySettings::default()).unwrap();
    settings["activity_retention_days"] = json!(90);
    put("/api/v1/policies/company", settings.clone()).await;
    let people = crate::common::scalar(&app, "SELECT count(*) FROM users").await;
    assert_eq!(holds("activity_retention_days").await, people, "everyone's");
    // Raising back, and lowering again below the held value, keep the longest.
    settings["activity_retention_days"] = json!(365);
    put("/api/v1/policies/company", settings.clone()).await;
    settings["activity_retention_days"] = json!(30);
    put("/api/v1/policies/company", settings).await;
    assert_eq!(
        crate::common::scalar(
            &app,
            "SELECT count(*) FROM retention_holds WHERE setting = 'activity_retention_days' AND days = 365"
        )
        .await,
        people,
        "the change from 365 to 30 holds 365"
    );
}

/// Moving someone into a team whose policy keeps less, and deleting the team whose
/// policy kept more, hold their old retention too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_moves_and_deleted_teams_hold_a_lowered_retention() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "moves").await;
    let held = async |person: &Session| {
        crate::common::scalar(
            &app,
            &format!(
                "SELECT coalesce(max(days), 0) FROM retention_holds
                  WHERE user_id = '{}' AND setting = 'activity_retention_days'",
                person.body.me.user.id
            ),
        )
        .await
    };
    let call = async |method: Method, path: String, body: Option<Value>| {
        let response = send(&app, &org.owner, method, &path, body.as_ref()).await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
    };
    let (team_a, team_b) = (&org.team_a, &org.team_b);
    let keep = |days: u32| Some(json!({ "activity_retention_days": days }));
    call(
        Method::PUT,
        format!("/api/v1/policies/teams/{team_b}"),
        keep(30),
    )
    .await;
    assert_eq!(held(&org.outsider).await, 180, "team B's own people");
    assert_eq!(held(&org.employee).await, 0);

    let employee = org.employee.body.me.user.id;
    let moved = Some(json!({ "team_id": team_b }));
    call(Method::PATCH, format!("/api/v1/people/{employee}"), moved).await;
    assert_eq!(
        held(&org.employee).await,
        180,
        "moved from A (180) into B (30)"
    );

    call(
        Method::PUT,
        format!("/api/v1/policies/teams/{team_a}"),
        keep(400),
    )
    .await;
    assert_eq!(held(&org.manager).await, 0, "raising holds nothing");
    call(
        Method::DELETE,
        format!("/api/v1/teams/{team_a}?move_to={team_b}"),
        None,
    )
    .await;
    assert_eq!(
        held(&org.manager).await,
        400,
        "team A (400) went; now in B (30)"
    );
}
