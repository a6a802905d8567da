//! Agents as the tests drive them: enrollment tokens, enrolling a computer, calls
//! with a device credential, heartbeats.

use pulse_backend::testing::TestApp;
use pulse_shared::agents::{EnrollResponse, EnrollmentTokenCreated};
use reqwest::Method;
use serde_json::{Value, json};

use super::fixtures::Org;
use super::http::{json, post};
use super::session::Session;

/// Creates an enrollment token (for `user` when given); answers its id and secret.
pub async fn token(app: &TestApp, who: &Session, user: Option<&str>) -> (String, String) {
    let response = post(
        app,
        who,
        "/api/v1/enrollment-tokens",
        &json!({"name": "Laptops", "user_id": user, "expires_in_hours": 24, "max_uses": 50}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: EnrollmentTokenCreated = json(response).await;
    assert!(body.secret.starts_with("pet_"));
    (body.token.id.to_string(), body.secret)
}

/// `POST /api/v1/agent/enroll` with `token`, for the employee at `email` when given.
pub async fn enroll_with(
    app: &TestApp,
    token: &str,
    email: Option<&str>,
    host: &str,
) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/agent/enroll"))
        .json(&json!({
            "token": token,
            "hostname": host,
            "os": "Ubuntu 24.04 (x86_64)",
            "agent_version": "0.1.0",
            "employee_email": email,
        }))
        .send()
        .await
        .unwrap()
}

/// Enrolls a computer of `person` of `org`; answers the enrollment.
pub async fn enroll(app: &TestApp, org: &Org, person: &Session, host: &str) -> EnrollResponse {
    let (_, secret) = token(app, &org.owner, None).await;
    let email = person.body.me.user.email.clone();
    let response = enroll_with(app, &secret, Some(&email), host).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

/// A call with the device credential of an agent.
pub async fn agent_call(
    app: &TestApp,
    credential: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client()
        .request(method, app.url(path))
        .bearer_auth(credential);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Sends a heartbeat and, when it is accepted, waits until the server has written it
/// (heartbeats are coalesced in memory and written in bulk).
pub async fn heartbeat(app: &TestApp, credential: &str, state: &str) -> reqwest::Response {
    heartbeat_with(app, credential, json!({"state": state})).await
}

/// [`heartbeat`] with the fields of `body` (a state, a spool report), sent now.
pub async fn heartbeat_with(app: &TestApp, credential: &str, mut body: Value) -> reqwest::Response {
    let sent_at = app.now();
    body["sent_at"] = json!(sent_at);
    let response = agent_call(
        app,
        credential,
        Method::POST,
        "/api/v1/agent/heartbeat",
        Some(body),
    )
    .await;
    if response.status() == 200 {
        written_since(app, credential, sent_at).await;
    }
    response
}

/// Waits until the agent holding `credential` has a `last_seen_at` from `since` on.
async fn written_since(app: &TestApp, credential: &str, since: chrono::DateTime<chrono::Utc>) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use pulse_backend::db::schema::agents;
    let db = app.db().unwrap();
    let hash = pulse_backend::auth::secrets::token_hash(credential);
    for _ in 0..500 {
        let mut conn = db.system().await.unwrap();
        let seen: Option<chrono::DateTime<chrono::Utc>> = agents::table
            .filter(agents::secret_hash.eq(&hash))
            .select(agents::last_seen_at)
            .first(&mut conn)
            .await
            .unwrap();
        if seen.is_some_and(|seen| seen >= since) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the heartbeat was not written within 5 s");
}
