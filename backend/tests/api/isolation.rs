//! Every protected route of the OpenAPI document, walked as principals of another
//! company (never any data) and as every role (answers as the permission table says).
//! Routes added later are picked up from the document; one without an entry in
//! `ACTIONS` fails the test until it gets one.

use std::collections::BTreeSet;

use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::access::{Action, Reach, access};
use pulse_shared::agents::EnrollmentTokenCreated;
use pulse_shared::alerts::Alert;
use pulse_shared::api_keys::ApiKeyCreatedResponse;
use pulse_shared::people::{InvitationCreatedResponse, Person, Role};
use pulse_shared::privacy::{DataExport, DataExportListResponse};
use pulse_shared::reports::CategoryRule;
use pulse_shared::teams::Team;
use pulse_shared::webhooks::{WebhookCreatedResponse, WebhookDelivery, WebhookEndpoint};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::agents::{enroll, token};
use crate::common::screenshots::target_screenshot;
use crate::common::{Org, Session, get_json, invite_and_join, json, post, send, sql};

/// Operations only a signed-in person may do, whatever an API key's role: making
/// credentials, and choosing e-mails for oneself.
const NOT_FOR_KEYS: &[(&str, &str)] = &[
    ("POST", "/api/v1/api-keys"),
    ("POST", "/api/v1/me/password"),
    ("PUT", "/api/v1/me/report-subscription"),
];

/// What each protected operation needs; `None`: any signed-in principal.
const ACTIONS: &[(&str, &str, Option<Action>)] = &[
    ("GET", "/api/v1/me", None),
    ("GET", "/api/v1/me/monitoring", None),
    ("POST", "/api/v1/me/password", None),
    // Public, with details for owners and admins: no principal is refused.
    ("GET", "/api/v1/system/status", None),
    // The plans on offer: anyone signed in may see them.
    ("GET", "/api/v1/billing/plans", None),
    ("GET", "/api/v1/billing", Some(Action::ManageBilling)),
    ("PUT", "/api/v1/billing/email", Some(Action::ManageBilling)),
    (
        "POST",
        "/api/v1/billing/setup-intent",
        Some(Action::ManageBilling),
    ),
    (
        "PUT",
        "/api/v1/billing/payment-method",
        Some(Action::ManageBilling),
    ),
    (
        "POST",
        "/api/v1/billing/preview",
        Some(Action::ManageBilling),
    ),
    ("PUT", "/api/v1/billing/plan", Some(Action::ManageBilling)),
    (
        "PUT",
        "/api/v1/billing/auto-renew",
        Some(Action::ManageBilling),
    ),
    (
        "GET",
        "/api/v1/billing/invoices",
        Some(Action::ManageBilling),
    ),
    (
        "GET",
        "/api/v1/billing/invoices.csv",
        Some(Action::ManageBilling),
    ),
    (
        "GET",
        "/api/v1/billing/invoices/{id}",
        Some(Action::ManageBilling),
    ),
    ("GET", "/api/v1/audit-events", Some(Action::ReadAudit)),
    ("GET", "/api/v1/audit-events.csv", Some(Action::ReadAudit)),
    (
        "GET",
        "/api/v1/audit-events/verify",
        Some(Action::ReadAudit),
    ),
    ("GET", "/api/v1/people", None),
    ("GET", "/api/v1/people/{id}", Some(Action::ReadPeople)),
    ("PATCH", "/api/v1/people/{id}", Some(Action::UpdatePeople)),
    ("DELETE", "/api/v1/people/{id}", Some(Action::DeletePeople)),
    (
        "POST",
        "/api/v1/people/{id}/restore",
        Some(Action::RestorePeople),
    ),
    ("GET", "/api/v1/invitations", Some(Action::InvitePeople)),
    ("POST", "/api/v1/invitations", Some(Action::InvitePeople)),
    (
        "DELETE",
        "/api/v1/invitations/{id}",
        Some(Action::InvitePeople),
    ),
    ("GET", "/api/v1/teams", None),
    ("POST", "/api/v1/teams", Some(Action::ManageTeams)),
    ("PATCH", "/api/v1/teams/{id}", Some(Action::ManageTeams)),
    ("DELETE", "/api/v1/teams/{id}", Some(Action::ManageTeams)),
    ("GET", "/api/v1/api-keys", Some(Action::ManageApiKeys)),
    ("POST", "/api/v1/api-keys", Some(Action::ManageApiKeys)),
    (
        "DELETE",
        "/api/v1/api-keys/{id}",
        Some(Action::ManageApiKeys),
    ),
    ("GET", "/api/v1/alerts", Some(Action::ReadAlerts)),
    (
        "GET",
        "/api/v1/alerts/unread-count",
        Some(Action::ReadAlerts),
    ),
    ("PUT", "/api/v1/alerts/{id}/read", Some(Action::ReadAlerts)),
    (
        "DELETE",
        "/api/v1/alerts/{id}/read",
        Some(Action::ReadAlerts),
    ),
    ("POST", "/api/v1/alerts/read-all", Some(Action::ReadAlerts)),
    ("POST", "/api/v1/alerts/test", Some(Action::ReadAlerts)),
    (
        "POST",
        "/api/v1/alerts/stream-tickets",
        Some(Action::ReadAlerts),
    ),
    ("GET", "/api/v1/alerts/stream", Some(Action::ReadAlerts)),
    (
        "GET",
        "/api/v1/me/alert-preferences",
        Some(Action::ReadAlerts),
    ),
    (
        "PUT",
        "/api/v1/me/alert-preferences",
        Some(Action::ReadAlerts),
    ),
    ("GET", "/api/v1/policies", Some(Action::ManagePolicies)),
    (
        "PUT",
        "/api/v1/policies/company",
        Some(Action::ManagePolicies),
    ),
    (
        "PUT",
        "/api/v1/policies/teams/{id}",
        Some(Action::ManagePolicies),
    ),
    (
        "DELETE",
        "/api/v1/policies/teams/{id}",
        Some(Action::ManagePolicies),
    ),
    (
        "PUT",
        "/api/v1/policies/employees/{id}",
        Some(Action::ManagePolicies),
    ),
    (
        "DELETE",
        "/api/v1/policies/employees/{id}",
        Some(Action::ManagePolicies),
    ),
    (
        "GET",
        "/api/v1/policies/effective/{id}",
        Some(Action::ReadPeople),
    ),
    ("GET", "/api/v1/agents", Some(Action::ReadAgents)),
    ("GET", "/api/v1/agents/counts", Some(Action::ReadAgents)),
    ("GET", "/api/v1/sessions", Some(Action::ReadActivity)),
    (
        "GET",
        "/api/v1/sessions/summary",
        Some(Action::ReadActivity),
    ),
    ("GET", "/api/v1/activity", Some(Action::ReadActivity)),
    // Everyone has an overview, of what they reach.
    ("GET", "/api/v1/overview", None),
    (
        "GET",
        "/api/v1/me/report-subscription",
        Some(Action::ReceiveReportEmails),
    ),
    (
        "PUT",
        "/api/v1/me/report-subscription",
        Some(Action::ReceiveReportEmails),
    ),
    ("GET", "/api/v1/reports/time", Some(Action::ReadActivity)),
    (
        "GET",
        "/api/v1/reports/time.csv",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/reports/time.xlsx",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/reports/attendance.xlsx",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/reports/attendance",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/reports/attendance.csv",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/category-rules",
        Some(Action::ReadCategoryRules),
    ),
    (
        "GET",
        "/api/v1/category-rules/subjects",
        Some(Action::ReadCategoryRules),
    ),
    (
        "POST",
        "/api/v1/category-rules",
        Some(Action::ManageCategoryRules),
    ),
    (
        "POST",
        "/api/v1/category-rules/preview",
        Some(Action::ManageCategoryRules),
    ),
    (
        "PUT",
        "/api/v1/category-rules/{id}",
        Some(Action::ManageCategoryRules),
    ),
    (
        "DELETE",
        "/api/v1/category-rules/{id}",
        Some(Action::ManageCategoryRules),
    ),
    ("DELETE", "/api/v1/agents/{id}", Some(Action::ManageAgents)),
    (
        "GET",
        "/api/v1/enrollment-tokens",
        Some(Action::ManageAgents),
    ),
    (
        "POST",
        "/api/v1/enrollment-tokens",
        Some(Action::ManageAgents),
    ),
    (
        "DELETE",
        "/api/v1/enrollment-tokens/{id}",
        Some(Action::ManageAgents),
    ),
    ("GET", "/api/v1/webhooks", Some(Action::ManageWebhooks)),
    ("POST", "/api/v1/webhooks", Some(Action::ManageWebhooks)),
    (
        "PATCH",
        "/api/v1/webhooks/{id}",
        Some(Action::ManageWebhooks),
    ),
    (
        "DELETE",
        "/api/v1/webhooks/{id}",
        Some(Action::ManageWebhooks),
    ),
    (
        "POST",
        "/api/v1/webhooks/{id}/test",
        Some(Action::ManageWebhooks),
    ),
    (
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Some(Action::ManageWebhooks),
    ),
    (
        "GET",
        "/api/v1/webhooks/deliveries/{id}",
        Some(Action::ManageWebhooks),
    ),
    (
        "POST",
        "/api/v1/webhooks/deliveries/{id}/replay",
        Some(Action::ManageWebhooks),
    ),
    ("GET", "/api/v1/screenshots", Some(Action::ReadActivity)),
    (
        "GET",
        "/api/v1/screenshots/{id}/image",
        Some(Action::ReadActivity),
    ),
    (
        "GET",
        "/api/v1/screenshots/{id}/thumbnail",
        Some(Action::ReadActivity),
    ),
    (
        "DELETE",
        "/api/v1/screenshots/{id}",
        Some(Action::DeleteScreenshots),
    ),
    (
        "GET",
        "/api/v1/screenshots/{id}/views",
        Some(Action::ReadScreenshotViews),
    ),
    ("GET", "/api/v1/me/screenshot-views", None),
    (
        "POST",
        "/api/v1/me/export",
        Some(Action::ExportPersonalData),
    ),
    ("GET", "/api/v1/me/export", Some(Action::ExportPersonalData)),
    (
        "POST",
        "/api/v1/people/{id}/export",
        Some(Action::ExportPersonalData),
    ),
    (
        "GET",
        "/api/v1/people/{id}/export",
        Some(Action::ExportPersonalData),
    ),
    (
        "GET",
        "/api/v1/exports/{id}",
        Some(Action::ExportPersonalData),
    ),
    (
        "GET",
        "/api/v1/exports/{id}/download",
        Some(Action::ExportPersonalData),
    ),
];

/// `(method, path)` of every operation that people's tokens and API keys may call
/// (agents' device credentials are tested in `agents.rs`).
async fn protected_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let for_people = operation["security"]
                .as_array()
                .is_some_and(|schemes| schemes.iter().any(|scheme| scheme.get("bearer").is_some()));
            if for_people {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Fresh objects of `org` for one call, so destructive calls never disturb the next.
/// Alerts belong to the outsider (no principal under test); webhook endpoints are
/// shared except by deletions, since a company may only have twenty; screenshots are
/// of one extra person in team A (made on first use), none of the principals.
async fn target(app: &TestApp, org: &Org, method: &str, path: &str, n: usize) -> String {
    let owner = &org.owner;
    if path.starts_with("/api/v1/alerts/") {
        let raised = post(app, &org.outsider, "/api/v1/alerts/test", &json!({})).await;
        assert_eq!(raised.status(), 204);
        let alerts: Page<Alert> = get_json(app, &org.outsider, "/api/v1/alerts?limit=1").await;
        return alerts.items[0].id.to_string();
    }
    if path.starts_with("/api/v1/agents/") {
        let agent = enroll(app, org, &org.outsider, &format!("host{n}")).await;
        return agent.agent_id.to_string();
    }
    if path.starts_with("/api/v1/screenshots/") {
        return target_screenshot(app, org, n).await;
    }
    if path.starts_with("/api/v1/exports/") {
        // An export of the outsider (no principal under test), made once: exports are
        // limited per person and day.
        let of_outsider = format!("/api/v1/people/{}/export", org.outsider.body.me.user.id);
        let made: DataExportListResponse = get_json(app, owner, &of_outsider).await;
        if let Some(export) = made.items.first() {
            return export.id.to_string();
        }
        let asked = post(app, owner, &of_outsider, &json!({})).await;
        assert_eq!(asked.status(), 202);
        return json::<DataExport>(asked).await.id.to_string();
    }
    if path.starts_with("/api/v1/category-rules/") {
        let rule = json!({"field": "app", "match": "exact", "pattern": format!("tool{n}"),
                          "productivity": "neutral", "category": "Tools"});
        let created: CategoryRule =
            json(post(app, owner, "/api/v1/category-rules", &rule).await).await;
        return created.id.to_string();
    }
    if path.starts_with("/api/v1/enrollment-tokens/") {
        let (id, _) = token(app, owner, None).await;
        return id;
    }
    if path.starts_with("/api/v1/billing/invoices/") {
        let id = format!("in_target{n}");
        sql(
            app,
            &format!(
                "INSERT INTO invoices (company_id, id, status, total_cents, amount_due_cents,
                   amount_paid_cents, currency, period_start, period_end, created_at, synced_at)
                 SELECT company_id, '{id}', 'paid', 2900, 2900, 2900, 'usd', now(), now(), now(), now()
                   FROM users WHERE email = '{}'",
                owner.body.me.user.email
            ),
        )
        .await;
        return id;
    }
    if path.starts_with("/api/v1/webhooks/") {
        let existing: Page<WebhookEndpoint> = get_json(app, owner, "/api/v1/webhooks").await;
        let endpoint = match existing.items.first() {
            Some(endpoint) if method != "DELETE" => endpoint.id.to_string(),
            _ => {
                let body = json!({"url": format!("https://hooks{n}.example.com/pulse"), "kinds": ["test"]});
                let created: WebhookCreatedResponse =
                    json(post(app, owner, "/api/v1/webhooks", &body).await).await;
                created.endpoint.id.to_string()
            }
        };
        if !path.starts_with("/api/v1/webhooks/deliveries/") {
            return endpoint;
        }
        let test = format!("/api/v1/webhooks/{endpoint}/test");
        let delivery: WebhookDelivery = json(post(app, owner, &test, &json!({})).await).await;
        return delivery.id.to_string();
    }
    if is_person_route(path) {
        let fresh = invite_and_join(
            app,
            owner,
            &format!("target{n}@{}", domain(org)),
            "employee",
            Some(&org.team_a),
        )
        .await;
        let id = fresh.body.me.user.id.to_string();
        if path.ends_with("/restore") {
            let deleted = crate::common::send(
                app,
                owner,
                reqwest::Method::DELETE,
                &format!("/api/v1/people/{id}"),
                None,
            )
            .await;
            assert_eq!(deleted.status(), 204);
        }
        return id;
    }
    if path.starts_with("/api/v1/teams/") || path.starts_with("/api/v1/policies/teams/") {
        let team = json!({"name": format!("Team {n}")});
        let created: Team = json(post(app, owner, "/api/v1/teams", &team).await).await;
        return created.id.to_string();
    }
    if path.starts_with("/api/v1/invitations/") {
        let invitation = json!({"email": format!("pending{n}@{}", domain(org)), "role": "employee", "team_id": org.team_a});
        let created: InvitationCreatedResponse =
            json(post(app, owner, "/api/v1/invitations", &invitation).await).await;
        return created.invitation.id.to_string();
    }
    let key = json!({"name": format!("Key {n}"), "role": "employee"});
    let created: ApiKeyCreatedResponse =
        json(post(app, owner, "/api/v1/api-keys", &key).await).await;
    created.api_key.id.to_string()
}

/// The query of routes that need one: a day around `now`, about `person`.
fn query(path: &str, person: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let range = format!(
        "from={}&to={}",
        (now - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    match path {
        "/api/v1/sessions" | "/api/v1/activity" => format!("?{range}&user_id={person}"),
        "/api/v1/sessions/summary" => format!("?{range}"),
        "/api/v1/reports/time" | "/api/v1/reports/time.csv" | "/api/v1/reports/time.xlsx" => {
            format!("?{}&group=day&user_id={person}", day_range(now))
        }
        "/api/v1/reports/attendance"
        | "/api/v1/reports/attendance.csv"
        | "/api/v1/reports/attendance.xlsx" => {
            format!("?{}&user_id={person}", day_range(now))
        }
        "/api/v1/category-rules/subjects" => format!("?user_id={person}"),
        _ => String::new(),
    }
}

/// Two days around `now`, as the reports take them.
fn day_range(now: chrono::DateTime<chrono::Utc>) -> String {
    let day = now.date_naive();
    format!("from={}&to={}", day.pred_opt().unwrap(), day)
}

/// Routes whose `{id}` is a person: each call gets a fresh employee in team A.
fn is_person_route(path: &str) -> bool {
    [
        "/api/v1/people/",
        "/api/v1/policies/employees/",
        "/api/v1/policies/effective/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix))
}

fn domain(org: &Org) -> String {
    org.owner
        .body
        .me
        .user
        .email
        .split_once('@')
        .unwrap()
        .1
        .to_owned()
}

/// A valid body for each operation that takes one.
fn body(method: &str, path: &str, org: &Org, n: usize) -> Option<Value> {
    Some(match (method, path) {
        ("POST", "/api/v1/me/password") => {
            json!({"current_password": "not it", "new_password": "irrelevant password"})
        }
        ("PATCH", "/api/v1/people/{id}") => json!({"status": "active"}),
        ("POST", "/api/v1/invitations") => {
            json!({"email": format!("invitee{n}@{}", domain(org)), "role": "employee", "team_id": org.team_a})
        }
        ("POST", "/api/v1/teams") => json!({"name": format!("New team {n}")}),
        ("PATCH", "/api/v1/teams/{id}") => json!({"name": format!("Renamed {n}")}),
        ("POST", "/api/v1/api-keys") => json!({"name": format!("New key {n}"), "role": "employee"}),
        ("PUT", "/api/v1/billing/email") => json!({"billing_email": "accounts@acme.test"}),
        ("PUT", "/api/v1/billing/payment-method") => json!({"payment_method_id": "pm_card_visa"}),
        ("POST", "/api/v1/billing/preview") => json!({"plan": "pro"}),
        ("PUT", "/api/v1/billing/plan") => json!({"plan": "pro"}),
        ("PUT", "/api/v1/billing/auto-renew") => json!({"auto_renew": false}),
        ("PUT", "/api/v1/me/alert-preferences") => {
            json!({"items": [{"kind": "test", "in_app": true, "email": false}]})
        }
        ("POST", "/api/v1/webhooks") => {
            json!({"url": format!("https://new{n}.example.com/hook"), "kinds": ["agent_offline"]})
        }
        ("PATCH", "/api/v1/webhooks/{id}") => json!({"enabled": true}),
        ("PUT", "/api/v1/me/report-subscription") => json!({"frequency": "daily"}),
        (
            "POST" | "PUT",
            "/api/v1/category-rules"
            | "/api/v1/category-rules/preview"
            | "/api/v1/category-rules/{id}",
        ) => json!({
            "field": "domain", "match": "wildcard", "pattern": format!("*.site{n}.test"),
            "productivity": "productive", "category": "Research",
        }),
        ("POST", "/api/v1/enrollment-tokens") => {
            json!({"name": format!("Laptops {n}"), "expires_in_hours": 24, "max_uses": 5})
        }
        ("PUT", "/api/v1/policies/company") => {
            serde_json::to_value(pulse_shared::policies::PolicySettings::default()).unwrap()
        }
        ("PUT", "/api/v1/policies/teams/{id}" | "/api/v1/policies/employees/{id}") => {
            json!({"heartbeat_secs": 60 + n % 100})
        }
        _ => return None,
    })
}

/// `path` with the query a list needs to answer more than a validation problem.
fn with_query(path: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    if path == "/api/v1/screenshots" {
        let time = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%dT%H:%M:%SZ");
        return format!(
            "{path}?from={}&to={}",
            time(now - chrono::Duration::days(1)),
            time(now + chrono::Duration::hours(1))
        );
    }
    path.to_owned()
}

/// The answer's text; for the live stream, which never ends, the first event only.
async fn body_text(path: &str, mut response: reqwest::Response) -> String {
    if path == "/api/v1/alerts/stream" && response.status() == 200 {
        let chunk = response.chunk().await.unwrap().unwrap_or_default();
        return String::from_utf8_lossy(&chunk).into_owned();
    }
    response.text().await.unwrap()
}

async fn call(
    app: &TestApp,
    who: &Session,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    send(
        app,
        who,
        Method::from_bytes(method.as_bytes()).unwrap(),
        path,
        body,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_gives_one_company_anything_of_another() {
    let app = TestApp::spawn().await.unwrap();
    let a = Org::create(&app, "a-corp").await;
    let b = Org::create(&app, "b-corp").await;
    let operations = protected_operations(&app).await;
    let secrets: Vec<String> = vec![
        "a-corp.test".into(),
        a.owner.body.me.company.id.to_string(),
        a.owner.body.me.user.id.to_string(),
        a.employee.body.me.user.id.to_string(),
        a.team_a.clone(),
        a.team_b.clone(),
    ];
    let mut pairs = 0;
    for (method, path) in &operations {
        for (name, intruder) in [
            ("owner", &b.owner),
            ("admin", &b.admin),
            ("manager", &b.manager),
            ("employee", &b.employee),
            ("api key", &b.api_key),
        ] {
            pairs += 1;
            let mut url = with_query(path, app.now());
            if path.contains("{id}") {
                url = path.replace("{id}", &target(&app, &a, method, path, pairs).await);
            }
            if method == "DELETE" && path == "/api/v1/teams/{id}" {
                url.push_str(&format!("?move_to={}", b.team_b));
            }
            let about_a = query(path, &a.employee.body.me.user.id.to_string(), app.now());
            url.push_str(&about_a);
            let response = call(
                &app,
                intruder,
                method,
                &url,
                body(method, path, &b, pairs).as_ref(),
            )
            .await;
            let status = response.status().as_u16();
            let text = body_text(path, response).await;
            if path.contains("{id}") || about_a.contains("user_id") {
                assert!(
                    [403, 404].contains(&status),
                    "{name} of B: {method} {url} answered {status}: {text}"
                );
            }
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{name} of B: {method} {url} revealed {secret}: {text}"
                );
            }
        }
    }
    // Company A is untouched.
    let people: Page<Person> =
        json(call(&app, &a.owner, "GET", "/api/v1/people", None).await).await;
    // Deleted targets (to restore) are not listed.
    let fresh_targets = operations
        .iter()
        .filter(|(_, p)| is_person_route(p) && !p.ends_with("/restore"))
        .count()
        * 5;
    let photographed = usize::from(
        operations
            .iter()
            .any(|(_, p)| p.starts_with("/api/v1/screenshots/")),
    );
    assert_eq!(people.items.len(), 5 + fresh_targets + photographed);
    println!(
        "cross-tenant: {pairs} (route, principal) pairs tried over {} routes",
        operations.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_gets_what_the_table_says() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let operations = protected_operations(&app).await;
    let listed: BTreeSet<(String, String)> = ACTIONS
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let unlisted: Vec<_> = operations.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "give these routes an entry in ACTIONS: {unlisted:?}"
    );

    let principals = [
        ("owner", Role::Owner, &org.owner, false),
        ("admin", Role::Admin, &org.admin, false),
        ("manager", Role::Manager, &org.manager, false),
        ("employee", Role::Employee, &org.employee, false),
        ("admin API key", Role::Admin, &org.api_key, true),
    ];
    let mut pairs = 0;
    for (method, path, action) in ACTIONS {
        for (name, role, session, is_key) in &principals {
            pairs += 1;
            let mut url = with_query(path, app.now());
            if path.contains("{id}") {
                url = path.replace("{id}", &target(&app, &org, method, path, pairs).await);
            }
            url.push_str(&query(
                path,
                &org.employee.body.me.user.id.to_string(),
                app.now(),
            ));
            let allowed = match action.map(|action| access(*role, action)) {
                None => true,
                Some(Reach::None) => false,
                // The targets are never the principal themself.
                Some(Reach::Own) => !path.contains("{id}"),
                // The targets are all in team A, which the manager manages.
                Some(Reach::Teams | Reach::Company) => true,
            } && !(*is_key && NOT_FOR_KEYS.contains(&(*method, *path)));
            let response = call(
                &app,
                session,
                method,
                &url,
                body(method, path, &org, pairs).as_ref(),
            )
            .await;
            let status = response.status().as_u16();
            let text = body_text(path, response).await;
            if allowed {
                assert!(
                    !(status == 401 || status == 403 || status == 404),
                    "{name}: {method} {url} should be allowed, answered {status}: {text}"
                );
                assert!(status < 500, "{name}: {method} {url} answered {status}");
            } else {
                assert!(
                    status == 403 || status == 404,
                    "{name}: {method} {url} should be refused, answered {status}: {text}"
                );
            }
        }
    }
    println!("role matrix: {pairs} (route, principal) pairs tried");
}

/// What is keyed by an address or a person rather than a route: another company's
/// invitations of the same address, enrollment by address, and rate-limit buckets
/// leave this company's untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_and_limits_of_one_company_do_not_reach_another() {
    let app = TestApp::spawn().await.unwrap();
    let a = Org::create(&app, "a-corp").await;
    let b = Org::create(&app, "b-corp").await;

    // B invites the address A invited: A's invitation stays open.
    let invite = async |who: &Session| -> String {
        let invited: InvitationCreatedResponse = json(
            post(
                &app,
                who,
                "/api/v1/invitations",
                &json!({"email": "sam@shared.test", "role": "employee", "team_id": null}),
            )
            .await,
        )
        .await;
        invited.link.split_once('#').unwrap().1.to_owned()
    };
    let a_link = invite(&a.owner).await;
    invite(&b.owner).await;
    assert_eq!(
        crate::common::lookup_invitation(&app, &a_link)
            .await
            .status(),
        200
    );

    // B's enrollment token cannot enroll a computer as A's employee, by address.
    let token: EnrollmentTokenCreated = json(
        post(
            &app,
            &b.admin,
            "/api/v1/enrollment-tokens",
            &json!({"name": "b laptops", "expires_in_hours": 1, "max_uses": 5}),
        )
        .await,
    )
    .await;
    let enrolled = app
        .client()
        .post(app.url("/api/v1/agent/enroll"))
        .json(
            &json!({"token": token.secret, "hostname": "pc", "os": "Linux",
                      "agent_version": "1", "employee_email": a.employee.body.me.user.email}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), 422);
    assert_eq!(
        crate::common::scalar(&app, "SELECT count(*) FROM agents").await,
        0
    );

    // B's owner using up their sends leaves A's owner theirs.
    let mut exhausted = false;
    for _ in 0..80 {
        if post(&app, &b.owner, "/api/v1/alerts/test", &json!({}))
            .await
            .status()
            == 429
        {
            exhausted = true;
            break;
        }
    }
    assert!(exhausted, "B's owner reached the limit");
    assert_eq!(
        post(&app, &a.owner, "/api/v1/alerts/test", &json!({}))
            .await
            .status(),
        204,
        "A's owner is not limited by B's sends"
    );
}
