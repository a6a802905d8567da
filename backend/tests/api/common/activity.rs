//! Activity events as an agent reports them, and their upload.

use chrono::Duration;
use pulse_backend::testing::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::agents::agent_call;

/// An event of `app` starting `minutes_ago` minutes before `server`'s now, lasting `secs`.
pub fn event(server: &TestApp, app: &str, minutes_ago: i64, secs: u32) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "app": app,
        "title": format!("{app} window"),
        "url": "https://docs.example.com/guide",
        "started_at": server.now() - Duration::minutes(minutes_ago),
        "duration_secs": secs,
        "keystrokes": secs * 2,
        "mouse_events": secs,
        "active_secs": secs,
        "idle": false,
    })
}

/// `POST /api/v1/agent/activity` with `events`.
pub async fn upload(app: &TestApp, credential: &str, events: &[Value]) -> reqwest::Response {
    agent_call(
        app,
        credential,
        Method::POST,
        "/api/v1/agent/activity",
        Some(json!({"events": events})),
    )
    .await
}
