//! Signing up, signing in and carrying a session.

use pulse_backend::testing::TestApp;
use pulse_shared::auth::{SessionResponse, SignupRequest};
use reqwest::header::{COOKIE, SET_COOKIE};

pub const PASSWORD: &str = "correct horse battery";

/// A signed-in person: the access token and the refresh cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_cookie: String,
    pub body: SessionResponse,
}

/// The `pulse_refresh=…` pair of a response's `Set-Cookie`, with the whole header.
pub fn refresh_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|header| {
            let pair = header.split(';').next()?.trim();
            pair.starts_with("pulse_refresh=")
                .then(|| (pair.to_owned(), header.to_owned()))
        })
}

pub async fn session_from(response: reqwest::Response) -> Session {
    assert!(response.status().is_success(), "{}", response.status());
    let (refresh_cookie, _) = refresh_cookie(&response).expect("a refresh cookie");
    let body: SessionResponse = response.json().await.unwrap();
    Session {
        access_token: body.access_token.clone(),
        refresh_cookie,
        body,
    }
}

/// Signs up a company "Acme" owned by "Ada Owner" at `email`, through the link e-mailed
/// to it, and answers the owner's session.
pub async fn signup(app: &TestApp, email: &str) -> Session {
    let response = app
        .sign_up(&SignupRequest {
            company_name: "Acme".into(),
            name: "Ada Owner".into(),
            email: email.into(),
            password: PASSWORD.into(),
        })
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    session_from(response).await
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

pub async fn refresh(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/auth/refresh"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}
