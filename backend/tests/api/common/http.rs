//! Requests as a signed-in person, response bodies read as the types the routes
//! document, and the field errors of a problem document.

use pulse_backend::testing::TestApp;
use reqwest::header::AUTHORIZATION;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Session;

pub async fn get(app: &TestApp, session: &Session, path: &str) -> reqwest::Response {
    app.client()
        .get(app.url(path))
        .header(AUTHORIZATION, format!("Bearer {}", session.access_token))
        .send()
        .await
        .unwrap()
}

/// `POST` with the session's bearer token and a JSON body.
pub async fn post(app: &TestApp, session: &Session, path: &str, body: &Value) -> reqwest::Response {
    send(app, session, reqwest::Method::POST, path, Some(body)).await
}

pub async fn send(
    app: &TestApp,
    session: &Session,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app
        .client()
        .request(method, app.url(path))
        .header(AUTHORIZATION, format!("Bearer {}", session.access_token));
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.unwrap()
}

/// The body of `response` as `T`, the type its route documents; a body that is not a
/// `T` fails the test with the status and the body.
pub async fn json<T: DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let url = response.url().path().to_owned();
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!(
            "{url} answered {status} with a body that is not a {}: {error}\n{text}",
            std::any::type_name::<T>()
        )
    })
}

/// `GET path` as `session`, read as `T`.
pub async fn get_json<T: DeserializeOwned>(app: &TestApp, session: &Session, path: &str) -> T {
    json(get(app, session, path).await).await
}

/// `POST /api/v1/invitations/lookup` with an invitation link's secret.
pub async fn lookup_invitation(app: &TestApp, token: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/invitations/lookup"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap()
}

/// The `errors[].field` values of a problem document.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or_else(Vec::new, |errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
}
