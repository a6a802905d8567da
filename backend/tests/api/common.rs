//! Helpers shared by the API tests: signing up and carrying a session.

use pulse_backend::testing::TestApp;
use pulse_shared::auth::{SessionResponse, SignupRequest};
use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use serde_json::Value;

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

pub async fn get(app: &TestApp, session: &Session, path: &str) -> reqwest::Response {
    app.client()
        .get(app.url(path))
        .header(AUTHORIZATION, format!("Bearer {}", session.access_token))
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

/// `POST /api/v1/invitations/lookup` with an invitation link's secret.
pub async fn lookup_invitation(app: &TestApp, token: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/invitations/lookup"))
        .json(&serde_json::json!({ "token": token }))
        .send()
        .await
        .unwrap()
}

/// Runs SQL on the test's database as its owner.
pub async fn sql(app: &TestApp, statement: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    conn.batch_execute(statement).await.unwrap();
}

/// The number one SQL query answers, e.g. `SELECT count(*) FROM agents`.
pub async fn scalar(app: &TestApp, query: &str) -> i64 {
    app.scalar(query).await.unwrap()
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

/// Invites `email` as `role` into `team` and accepts the invitation; returns the new session.
pub async fn invite_and_join(
    app: &TestApp,
    inviter: &Session,
    email: &str,
    role: &str,
    team: Option<&str>,
) -> Session {
    let invited = post(
        app,
        inviter,
        "/api/v1/invitations",
        &serde_json::json!({"email": email, "role": role, "team_id": team}),
    )
    .await;
    assert_eq!(
        invited.status(),
        201,
        "inviting {email}: {}",
        invited.text().await.unwrap_or_default()
    );
    let body: Value = invited.json().await.unwrap();
    let token = body["link"]
        .as_str()
        .unwrap()
        .split_once('#')
        .unwrap()
        .1
        .to_owned();
    let joined = app
        .client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&serde_json::json!({"token": token, "name": email.split('@').next().unwrap(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    session_from(joined).await
}

/// A company with one person of each role, two teams and an admin API key.
pub struct Org {
    pub owner: Session,
    pub admin: Session,
    /// Manages team A.
    pub manager: Session,
    /// In team A.
    pub employee: Session,
    /// In team B.
    pub outsider: Session,
    pub team_a: String,
    pub team_b: String,
    pub api_key: Session,
}

impl Org {
    pub async fn create(app: &TestApp, tag: &str) -> Org {
        let owner = signup(app, &format!("owner@{tag}.test")).await;
        let team = |name: &str| {
            let owner = owner.clone();
            let name = name.to_owned();
            async move {
                let response = post(
                    app,
                    &owner,
                    "/api/v1/teams",
                    &serde_json::json!({"name": name}),
                )
                .await;
                assert_eq!(response.status(), 201);
                response.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let team_a = team("Alpha").await;
        let team_b = team("Beta").await;
        let admin = invite_and_join(app, &owner, &format!("admin@{tag}.test"), "admin", None).await;
        let manager = invite_and_join(
            app,
            &owner,
            &format!("manager@{tag}.test"),
            "manager",
            Some(&team_a),
        )
        .await;
        let managers = serde_json::json!({"manager_ids": [manager.body.me.user.id]});
        let set = send(
            app,
            &owner,
            reqwest::Method::PATCH,
            &format!("/api/v1/teams/{team_a}"),
            Some(&managers),
        )
        .await;
        assert_eq!(set.status(), 200);
        let employee = invite_and_join(
            app,
            &manager,
            &format!("employee@{tag}.test"),
            "employee",
            Some(&team_a),
        )
        .await;
        let outsider = invite_and_join(
            app,
            &admin,
            &format!("outsider@{tag}.test"),
            "employee",
            Some(&team_b),
        )
        .await;
        let key = post(
            app,
            &admin,
            "/api/v1/api-keys",
            &serde_json::json!({"name": "CI", "role": "admin"}),
        )
        .await;
        assert_eq!(key.status(), 201);
        let secret = key.json::<Value>().await.unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let api_key = Session {
            access_token: secret,
            refresh_cookie: String::new(),
            body: admin.body.clone(),
        };
        Org {
            owner,
            admin,
            manager,
            employee,
            outsider,
            team_a,
            team_b,
            api_key,
        }
    }
}
