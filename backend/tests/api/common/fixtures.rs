//! The company most tests start from: `Org`, one person of each role in two teams and
//! an admin API key; and `OrgBuilder`, for the usual additions (screenshots on, a
//! computer enrolled for the employee).

use pulse_backend::testing::TestApp;
use pulse_shared::agents::EnrollResponse;
use pulse_shared::api_keys::ApiKeyCreatedResponse;
use pulse_shared::people::InvitationCreatedResponse;
use pulse_shared::policies::PolicySettings;
use pulse_shared::teams::Team;
use reqwest::Method;
use serde_json::{Value, json};

use super::agents::enroll;
use super::http::{json, post, send};
use super::session::{PASSWORD, Session, session_from, signup};

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
        &json!({"email": email, "role": role, "team_id": team}),
    )
    .await;
    assert_eq!(
        invited.status(),
        201,
        "inviting {email}: {}",
        invited.text().await.unwrap_or_default()
    );
    let body: InvitationCreatedResponse = json(invited).await;
    let token = body.link.split_once('#').unwrap().1.to_owned();
    let joined = app
        .client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "name": email.split('@').next().unwrap(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    session_from(joined).await
}

/// A company on Pro (so API keys and webhooks are included) with one person of each
/// role, two teams and an admin API key.
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
    /// The company of `owner@{tag}.test`, with its people at `{role}@{tag}.test`.
    pub async fn create(app: &TestApp, tag: &str) -> Org {
        let owner = signup(app, &format!("owner@{tag}.test")).await;
        let team = async |name: &str| {
            let response = post(app, &owner, "/api/v1/teams", &json!({"name": name})).await;
            assert_eq!(response.status(), 201);
            json::<Team>(response).await.id.to_string()
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
        let managers = json!({"manager_ids": [manager.body.me.user.id]});
        let set = send(
            app,
            &owner,
            Method::PATCH,
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
        let org_owner = owner.body.me.user.email.clone();
        move_to_plan(app, &org_owner, "pro").await;
        let key = post(
            app,
            &admin,
            "/api/v1/api-keys",
            &json!({"name": "CI", "role": "admin"}),
        )
        .await;
        assert_eq!(key.status(), 201);
        let api_key = Session {
            access_token: json::<ApiKeyCreatedResponse>(key).await.secret,
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

    /// Puts the company on `plan` (`free`, `pro`, `enterprise`) with the plan's seats,
    /// as a paid or ended subscription would.
    pub async fn move_to(&self, app: &TestApp, plan: &str) {
        move_to_plan(app, &self.owner.body.me.user.email, plan).await;
    }

    /// An `Org` with more set up: see `OrgBuilder`.
    pub fn builder<'a>(app: &'a TestApp, tag: &'a str) -> OrgBuilder<'a> {
        OrgBuilder {
            app,
            tag,
            screenshots: None,
        }
    }
}

/// Puts the company of `owner` on `plan` with the plan's seats.
async fn move_to_plan(app: &TestApp, owner: &str, plan: &str) {
    crate::common::sql(
        app,
        &format!(
            "UPDATE companies
                SET plan_id = '{plan}', seat_limit = (SELECT seat_limit FROM plans WHERE id = '{plan}')
              WHERE id = (SELECT company_id FROM users WHERE email = '{owner}')"
        ),
    )
    .await;
}

/// Builds an `Org` and what most tests of agents, activity and screenshots add to it.
///
/// ```ignore
/// let (org, emma) = Org::builder(&app, "blur")
///     .screenshots(json!({"blur_screenshots": true}))
///     .with_employee_agent("emma-laptop")
///     .await;
/// ```
pub struct OrgBuilder<'a> {
    app: &'a TestApp,
    tag: &'a str,
    screenshots: Option<Value>,
}

impl OrgBuilder<'_> {
    /// Screenshots on in the company default (new companies start with them off), with
    /// `changes` to the default on top.
    pub fn screenshots(mut self, changes: Value) -> Self {
        self.screenshots = Some(changes);
        self
    }

    pub async fn create(self) -> Org {
        let org = Org::create(self.app, self.tag).await;
        if let Some(changes) = self.screenshots {
            company_policy(self.app, &org, changes).await;
        }
        org
    }

    /// The `Org`, and a computer named `host` enrolled for its employee.
    pub async fn with_employee_agent(self, host: &str) -> (Org, EnrollResponse) {
        let app = self.app;
        let org = self.create().await;
        let agent = enroll(app, &org, &org.employee, host).await;
        (org, agent)
    }
}

/// Turns screenshots on in the company default (new companies start with them off),
/// with `changes` on top.
pub async fn company_policy(app: &TestApp, org: &Org, changes: Value) {
    let mut settings = serde_json::to_value(PolicySettings::default()).unwrap();
    settings["screenshot_mode"] = json!("interval");
    for (key, value) in changes.as_object().unwrap() {
        settings[key] = value.clone();
    }
    let put = send(
        app,
        &org.owner,
        Method::PUT,
        "/api/v1/policies/company",
        Some(&settings),
    )
    .await;
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
}

/// Overrides `person`'s policy.
pub async fn employee_policy(app: &TestApp, org: &Org, person: &Session, settings: Value) {
    let put = send(
        app,
        &org.owner,
        Method::PUT,
        &format!("/api/v1/policies/employees/{}", person.body.me.user.id),
        Some(&settings),
    )
    .await;
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
}
