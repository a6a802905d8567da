//! People, invitations, teams and API keys, as each role sees them.

use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::activity::ActivityRecord;
use pulse_shared::api_keys::{ApiKey, ApiKeyCreatedResponse};
use pulse_shared::audit::AuditEvent;
use pulse_shared::auth::MeResponse;
use pulse_shared::people::{
    Invitation, InvitationCreatedResponse, InvitationPreview, Person, Role, UserStatus,
};
use pulse_shared::teams::Team;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::activity::{event, upload};
use crate::common::agents::{agent_call, enroll, heartbeat};
use crate::common::{Org, PASSWORD, Session, fields, get, get_json, json, login, post, send};

async fn emails(app: &TestApp, session: &Session, query: &str) -> Vec<String> {
    let response = get(app, session, &format!("/api/v1/people{query}")).await;
    assert_eq!(response.status(), 200);
    let page: Page<Person> = json(response).await;
    let mut emails: Vec<_> = page.items.into_iter().map(|p| p.email).collect();
    emails.sort();
    emails
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_whom_it_should() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let everyone = [
        "admin@acme.test",
        "employee@acme.test",
        "manager@acme.test",
        "outsider@acme.test",
        "owner@acme.test",
    ];
    assert_eq!(emails(&app, &org.owner, "").await, everyone);
    assert_eq!(emails(&app, &org.admin, "").await, everyone);
    assert_eq!(emails(&app, &org.api_key, "").await, everyone);
    assert_eq!(
        emails(&app, &org.manager, "").await,
        ["employee@acme.test", "manager@acme.test"]
    );
    assert_eq!(
        emails(&app, &org.employee, "").await,
        ["employee@acme.test"]
    );

    assert_eq!(
        emails(&app, &org.owner, "?q=OUTS").await,
        ["outsider@acme.test"]
    );
    assert_eq!(
        emails(&app, &org.owner, "?role=manager").await,
        ["manager@acme.test"]
    );
    assert_eq!(
        emails(&app, &org.owner, &format!("?team_id={}", org.team_b)).await,
        ["outsider@acme.test"]
    );
    assert_eq!(
        emails(&app, &org.owner, "?q=%25").await,
        Vec::<String>::new(),
        "% is matched literally"
    );

    let first: Page<Person> = get_json(&app, &org.owner, "/api/v1/people?limit=2").await;
    let rest: Page<Person> = get_json(
        &app,
        &org.owner,
        &format!(
            "/api/v1/people?limit=10&cursor={}",
            first.next_cursor.unwrap()
        ),
    )
    .await;
    assert_eq!(first.items.len() + rest.items.len(), 5);

    let outsider = org.outsider.body.me.user.id;
    assert_eq!(
        get(&app, &org.manager, &format!("/api/v1/people/{outsider}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&app, &org.employee, &format!("/api/v1/people/{outsider}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(&app, &org.admin, &format!("/api/v1/people/{outsider}"))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_are_protected() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let owner_id = org.owner.body.me.user.id;
    let admin_id = org.admin.body.me.user.id;
    let patch = |session: &Session, id, body: Value| {
        let session = session.clone();
        let app = &app;
        async move {
            send(
                app,
                &session,
                Method::PATCH,
                &format!("/api/v1/people/{id}"),
                Some(&body),
            )
            .await
        }
    };
    // Only an owner makes owners; nobody changes their own role; the last owner stays.
    assert_eq!(
        patch(&org.admin, admin_id, json!({"role": "owner"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        patch(&org.admin, owner_id, json!({"role": "employee"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        patch(&org.owner, owner_id, json!({"role": "admin"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        patch(&org.owner, owner_id, json!({"status": "deactivated"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        send(
            &app,
            &org.admin,
            Method::DELETE,
            &format!("/api/v1/people/{owner_id}"),
            None
        )
        .await
        .status(),
        403
    );
    // Nor may an admin deactivate an owner, or move one between teams.
    for change in [
        json!({"status": "deactivated"}),
        json!({"team_id": org.team_a}),
    ] {
        let refused = patch(&org.admin, owner_id, change.clone()).await;
        assert_eq!(refused.status(), 403, "an admin changed an owner: {change}");
    }
    let owner: MeResponse = get_json(&app, &org.owner, "/api/v1/me").await;
    assert_eq!(owner.user.status, UserStatus::Active);

    let promoted = patch(&org.owner, admin_id, json!({"role": "owner"})).await;
    assert_eq!(promoted.status(), 200);
    // With two owners, the second may demote the first.
    let demoted = patch(&org.admin, owner_id, json!({"role": "admin"})).await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(json::<Person>(demoted).await.role, Role::Admin);
}

/// Two owners demoting (or deactivating) each other at the same moment leave one
/// owner, never none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_demoting_each_other_at_once_leave_one() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "race").await;
    for round in 0..5 {
        let other = crate::common::invite_and_join(
            &app,
            &org.owner,
            &format!("owner{round}@race.test"),
            "owner",
            None,
        )
        .await;
        let (first, second) = (org.owner.body.me.user.id, other.body.me.user.id);
        let change = if round % 2 == 0 {
            json!({"role": "admin"})
        } else {
            json!({"status": "deactivated"})
        };
        let (to_second, to_first) = (
            format!("/api/v1/people/{second}"),
            format!("/api/v1/people/{first}"),
        );
        let (a, b) = tokio::join!(
            send(&app, &org.owner, Method::PATCH, &to_second, Some(&change)),
            send(&app, &other, Method::PATCH, &to_first, Some(&change)),
        );
        let statuses = [a.status().as_u16(), b.status().as_u16()];
        assert!(statuses.contains(&200), "round {round}: {statuses:?}");
        let owners = crate::common::scalar(
            &app,
            "SELECT count(*) FROM users WHERE role = 'owner' AND status = 'active'",
        )
        .await;
        assert!(
            owners >= 1,
            "round {round}: no active owner left ({statuses:?})"
        );
        if statuses[1] == 200 {
            // The original owner lost: the rounds go on with the newcomer as `org.owner`
            // cannot act any more; stop here, the point is made.
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_act_on_their_teams_employees_only() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let employee = org.employee.body.me.user.id;
    let outsider = org.outsider.body.me.user.id;
    let deactivate = json!({"status": "deactivated"});
    let outside = send(
        &app,
        &org.manager,
        Method::PATCH,
        &format!("/api/v1/people/{outsider}"),
        Some(&deactivate),
    )
    .await;
    assert_eq!(outside.status(), 404);
    let to_b = send(
        &app,
        &org.manager,
        Method::PATCH,
        &format!("/api/v1/people/{employee}"),
        Some(&json!({"team_id": org.team_b})),
    )
    .await;
    assert_eq!(to_b.status(), 403);
    let role = send(
        &app,
        &org.manager,
        Method::PATCH,
        &format!("/api/v1/people/{employee}"),
        Some(&json!({"role": "manager"})),
    )
    .await;
    assert_eq!(role.status(), 403);
    let ok = send(
        &app,
        &org.manager,
        Method::PATCH,
        &format!("/api/v1/people/{employee}"),
        Some(&deactivate),
    )
    .await;
    assert_eq!(ok.status(), 200);
    // Deactivation ends their sessions at once and stops sign-in.
    assert_eq!(get(&app, &org.employee, "/api/v1/me").await.status(), 401);
    assert_eq!(
        login(&app, "employee@acme.test", PASSWORD).await.status(),
        401
    );
    let back = send(
        &app,
        &org.manager,
        Method::PATCH,
        &format!("/api/v1/people/{employee}"),
        Some(&json!({"status": "active"})),
    )
    .await;
    assert_eq!(back.status(), 200);
    assert_eq!(
        login(&app, "employee@acme.test", PASSWORD).await.status(),
        200
    );

    let invite_admin = post(
        &app,
        &org.manager,
        "/api/v1/invitations",
        &json!({"email": "x@acme.test", "role": "admin", "team_id": org.team_a}),
    )
    .await;
    assert_eq!(invite_admin.status(), 403);
    let invite_b = post(
        &app,
        &org.manager,
        "/api/v1/invitations",
        &json!({"email": "x@acme.test", "role": "employee", "team_id": org.team_b}),
    )
    .await;
    assert_eq!(invite_b.status(), 403);
    let invite_employee = post(
        &app,
        &org.employee,
        "/api/v1/invitations",
        &json!({"email": "x@acme.test", "role": "employee", "team_id": org.team_a}),
    )
    .await;
    assert_eq!(invite_employee.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_single_use_and_revocable() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let invited: InvitationCreatedResponse = json(
        post(
            &app,
            &org.owner,
            "/api/v1/invitations",
            &json!({"email": "new@acme.test", "role": "employee", "team_id": null}),
        )
        .await,
    )
    .await;
    let token = invited.link.split_once("/join#").unwrap().1.to_owned();
    let preview: InvitationPreview =
        json(crate::common::lookup_invitation(&app, &token).await).await;
    assert_eq!(preview.company_name, "Acme");
    assert_eq!(preview.email, "new@acme.test");
    let open: Page<Invitation> = get_json(&app, &org.owner, "/api/v1/invitations").await;
    assert_eq!(open.items.len(), 1);

    let accept = |password: &str| {
        app.client()
            .post(app.url("/api/v1/invitations/accept"))
            .json(&json!({"token": token, "name": "New", "password": password}))
            .send()
    };
    let weak = accept("short").await.unwrap();
    assert_eq!(fields(&weak.json().await.unwrap()), ["/password"]);
    assert_eq!(accept(PASSWORD).await.unwrap().status(), 201);
    assert_eq!(
        accept(PASSWORD).await.unwrap().status(),
        404,
        "a used link does not work twice"
    );

    let again = post(
        &app,
        &org.owner,
        "/api/v1/invitations",
        &json!({"email": "new@acme.test", "role": "employee", "team_id": null}),
    )
    .await;
    assert_eq!(fields(&again.json().await.unwrap()), ["/email"]);

    let second: InvitationCreatedResponse = json(
        post(
            &app,
            &org.owner,
            "/api/v1/invitations",
            &json!({"email": "later@acme.test", "role": "employee", "team_id": null}),
        )
        .await,
    )
    .await;
    let id = second.invitation.id;
    let token = second.link.split_once('#').unwrap().1;
    assert_eq!(
        send(
            &app,
            &org.owner,
            Method::DELETE,
            &format!("/api/v1/invitations/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        crate::common::lookup_invitation(&app, token).await.status(),
        404
    );
}

/// An invitation's secret, from the link it was sent as.
async fn invite(app: &TestApp, who: &Session, email: &str) -> String {
    let invited: InvitationCreatedResponse = json(
        post(
            app,
            who,
            "/api/v1/invitations",
            &json!({"email": email, "role": "employee", "team_id": null}),
        )
        .await,
    )
    .await;
    invited.link.split_once('#').unwrap().1.to_owned()
}

async fn accept(app: &TestApp, token: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "name": "Sam Twice", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

/// Inviting an address replaces the inviting company's open invitation of it, never
/// another company's; whichever is accepted first makes the account, and the other
/// then says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_company_cannot_cancel_anothers_invitation() {
    let app = TestApp::spawn().await.unwrap();
    let (acme, rival) = (
        Org::create(&app, "acme").await,
        Org::create(&app, "rival").await,
    );
    let acmes = invite(&app, &acme.owner, "sam@shared.test").await;
    let rivals = invite(&app, &rival.owner, "sam@shared.test").await;
    let lookup = async |token: &str| crate::common::lookup_invitation(&app, token).await.status();
    assert_eq!(lookup(&acmes).await, 200, "Acme's invitation is still open");
    assert_eq!(lookup(&rivals).await, 200);
    let open: Page<Invitation> = get_json(&app, &acme.owner, "/api/v1/invitations").await;
    assert_eq!(open.items[0].email, "sam@shared.test");
    // A company's second invitation of the address does replace its first.
    let again = invite(&app, &acme.owner, "sam@shared.test").await;
    assert_eq!(lookup(&acmes).await, 404);

    assert_eq!(accept(&app, &again).await.status(), 201);
    let late = accept(&app, &rivals).await;
    assert_eq!(late.status(), 409);
    let problem: Value = late.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("already has a Pulse account"),
        "{problem}"
    );
    // Whether an address has an account with another company is not said: Rival may
    // still invite Sam (accepting will tell Sam), while Acme is told Sam is its own.
    let invite_status = async |owner: &Session| {
        post(
            &app,
            owner,
            "/api/v1/invitations",
            &json!({"email": "sam@shared.test", "role": "employee", "team_id": null}),
        )
        .await
        .status()
    };
    assert_eq!(invite_status(&rival.owner).await, 201);
    assert_eq!(invite_status(&acme.owner).await, 422);
}

/// Accepting checks the link before any password is hashed, and is rate limited on
/// its own budget: a flood of made-up links neither starves sign-ins nor agents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bogus_invitation_links_starves_nobody() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "flood").await;
    let credential = enroll(&app, &org, &org.employee, "flood-pc")
        .await
        .credential;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let flooders: Vec<_> = (0..24)
        .map(|n| {
            let (client, url) = (app.client().clone(), app.url("/api/v1/invitations/accept"));
            tokio::spawn(async move {
                let mut answers = std::collections::BTreeMap::<u16, u32>::new();
                while std::time::Instant::now() < until {
                    let status = client
                        .post(&url)
                        .json(&json!({"token": format!("bogus-{n}"), "name": "Flood",
                                      "password": "a long enough password"}))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16();
                    *answers.entry(status).or_default() += 1;
                }
                answers
            })
        })
        .collect();
    // A heartbeat every half second, a sign-in every three (under the sign-in limits).
    let (mut sign_ins, mut heartbeats) = (0, 0);
    while std::time::Instant::now() < until {
        if heartbeats % 6 == 0 {
            let signed_in = app
                .client()
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": org.employee.body.me.user.email, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(signed_in.status(), 200, "a sign-in during the flood");
            sign_ins += 1;
        }
        let beat = agent_call(
            &app,
            &credential,
            Method::POST,
            "/api/v1/agent/heartbeat",
            Some(json!({"state": "active", "sent_at": app.now()})),
        )
        .await;
        assert!(beat.status().is_success(), "{}", beat.status());
        heartbeats += 1;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let mut answers = std::collections::BTreeMap::<u16, u32>::new();
    for flooder in flooders {
        for (status, count) in flooder.await.unwrap() {
            *answers.entry(status).or_default() += count;
        }
    }
    assert!(
        sign_ins >= 5 && heartbeats >= 30,
        "{sign_ins} sign-ins, {heartbeats} heartbeats"
    );
    // Made-up links are not found, then the address is told to slow down; nothing
    // ever waited for a password hash, so nothing was refused as busy.
    assert!(
        answers.keys().all(|status| [404, 429].contains(status)),
        "{answers:?}"
    );
    assert!(answers.get(&429).is_some_and(|n| *n > 0), "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_are_renamed_managed_and_deleted_with_a_move() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let teams: Page<Team> = get_json(&app, &org.owner, "/api/v1/teams").await;
    let names: Vec<_> = teams.items.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "Beta"]);
    assert_eq!(teams.items[0].member_count, 2);
    let mine: Page<Team> = get_json(&app, &org.employee, "/api/v1/teams").await;
    assert_eq!(mine.items.len(), 1);

    let dup = post(&app, &org.owner, "/api/v1/teams", &json!({"name": "alpha"})).await;
    assert_eq!(fields(&dup.json().await.unwrap()), ["/name"]);
    let employee_as_manager = send(
        &app,
        &org.owner,
        Method::PATCH,
        &format!("/api/v1/teams/{}", org.team_b),
        Some(&json!({"manager_ids": [org.employee.body.me.user.id]})),
    )
    .await;
    assert_eq!(
        fields(&employee_as_manager.json().await.unwrap()),
        ["/manager_ids/0"]
    );

    let blocked = send(
        &app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/teams/{}", org.team_a),
        None,
    )
    .await;
    assert_eq!(blocked.status(), 409);
    let moved = send(
        &app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/teams/{}?move_to={}", org.team_a, org.team_b),
        None,
    )
    .await;
    assert_eq!(moved.status(), 204);
    let beta: Page<Team> = get_json(&app, &org.owner, "/api/v1/teams").await;
    assert_eq!(beta.items[0].member_count, 3);
    assert_eq!(
        send(
            &app,
            &org.manager,
            Method::POST,
            "/api/v1/teams",
            Some(&json!({"name": "Gamma"}))
        )
        .await
        .status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_act_within_their_role_until_revoked() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "acme").await;
    let too_high = post(
        &app,
        &org.admin,
        "/api/v1/api-keys",
        &json!({"name": "x", "role": "owner"}),
    )
    .await;
    assert_eq!(fields(&too_high.json().await.unwrap()), ["/role"]);
    let created: ApiKeyCreatedResponse = json(
        post(
            &app,
            &org.owner,
            "/api/v1/api-keys",
            &json!({"name": "Reports", "role": "employee"}),
        )
        .await,
    )
    .await;
    let secret = created.secret.as_str();
    assert!(secret.starts_with(&created.api_key.prefix));
    let key = Session {
        access_token: secret.to_owned(),
        ..org.owner.clone()
    };
    assert_eq!(
        get(&app, &key, "/api/v1/audit-events").await.status(),
        403,
        "an employee key cannot read the trail"
    );
    assert_eq!(
        get(&app, &org.api_key, "/api/v1/audit-events")
            .await
            .status(),
        200,
        "an admin key can"
    );
    // A key makes no credentials: no further keys, no password change.
    let more = post(
        &app,
        &org.api_key,
        "/api/v1/api-keys",
        &json!({"name": "Another", "role": "employee"}),
    )
    .await;
    assert_eq!(more.status(), 403, "a key cannot make keys");
    let password = post(
        &app,
        &org.api_key,
        "/api/v1/me/password",
        &json!({"current_password": PASSWORD, "new_password": "a brand new password"}),
    )
    .await;
    assert_eq!(password.status(), 403, "a key cannot change the password");

    // The secret is looked for in the whole text, fields unknown to `ApiKey` included.
    let listed = get(&app, &org.owner, "/api/v1/api-keys")
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(secret), "the secret is never listed");
    let listed: Page<ApiKey> = serde_json::from_str(&listed).unwrap();
    let admin_key = listed.items.iter().find(|k| k.name == "CI").unwrap();
    assert!(admin_key.last_used_at.is_some());

    let id = created.api_key.id;
    assert_eq!(
        send(
            &app,
            &org.owner,
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(get(&app, &key, "/api/v1/me").await.status(), 401);
    let forged = Session {
        access_token: format!("{}x", org.api_key.access_token),
        ..org.owner.clone()
    };
    assert_eq!(get(&app, &forged, "/api/v1/me").await.status(), 401);

    let trail: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=api_key.revoked",
    )
    .await;
    assert_eq!(trail.items[0].target_id, Some(id.0));
}

/// Deleting a person takes away their access and hides them at once, but keeps them and
/// what was recorded about them for the grace period: an owner (only) restores them with
/// their activity; after the grace period the retention job removes everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_person_is_restorable_until_the_grace_period_ends() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "grace").await;
    let employee = org.employee.body.me.user.id.to_string();
    let credential = enroll(&app, &org, &org.employee, "emma-pc")
        .await
        .credential;
    let events = [event(&app, "Editor", 30, 600)];
    assert!(
        upload(&app, &credential, &events)
            .await
            .status()
            .is_success()
    );
    let recorded = "SELECT count(*) FROM activity_events";
    assert_eq!(crate::common::scalar(&app, recorded).await, 1);

    let person = format!("/api/v1/people/{employee}");
    let deleted = send(&app, &org.admin, Method::DELETE, &person, None).await;
    assert_eq!(deleted.status(), 204);
    // Gone from view and access at once: not listed, 404 alone, no sign-in, no session,
    // the computer refused; what was recorded is still there.
    assert_eq!(get(&app, &org.owner, &person).await.status(), 404);
    let listed: Page<Person> = get_json(&app, &org.owner, "/api/v1/people").await;
    assert!(listed.items.iter().all(|p| p.id.to_string() != employee));
    assert_eq!(
        login(&app, &org.employee.body.me.user.email, PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(get(&app, &org.employee, "/api/v1/me").await.status(), 401);
    let beat = heartbeat(&app, &credential, "active").await;
    assert_eq!(beat.status(), 401);
    assert_eq!(crate::common::scalar(&app, recorded).await, 1);
    assert_eq!(
        send(&app, &org.owner, Method::DELETE, &person, None)
            .await
            .status(),
        404
    );

    // Owners and admins see the deleted; only an owner restores.
    let bin: Page<Person> = get_json(&app, &org.admin, "/api/v1/people?deleted=true").await;
    assert_eq!(bin.items.len(), 1);
    assert!(bin.items[0].deleted_at.is_some());
    assert_eq!(
        get(&app, &org.manager, "/api/v1/people?deleted=true")
            .await
            .status(),
        403
    );
    let restore = format!("{person}/restore");
    assert_eq!(
        post(&app, &org.admin, &restore, &json!({})).await.status(),
        403
    );
    let restored = post(&app, &org.owner, &restore, &json!({})).await;
    assert_eq!(restored.status(), 200);
    let restored: Person = json(restored).await;
    assert_eq!(restored.status, UserStatus::Active);
    assert_eq!(restored.deleted_at, None);
    assert_eq!(
        login(&app, &org.employee.body.me.user.email, PASSWORD)
            .await
            .status(),
        200
    );
    let activity = format!(
        "/api/v1/activity?user_id={employee}&from={}&to={}",
        (app.now() - chrono::Duration::hours(2)).format("%Y-%m-%dT%H:%M:%SZ"),
        (app.now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let kept: Page<ActivityRecord> = get_json(&app, &org.owner, &activity).await;
    assert_eq!(kept.items.len(), 1, "{kept:?}");
    assert_eq!(
        post(&app, &org.owner, &restore, &json!({})).await.status(),
        404
    );
    let trail: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=user.restored",
    )
    .await;
    assert_eq!(trail.items.len(), 1);

    // Deleted again, then the grace period passes: everything about them goes.
    assert_eq!(
        send(&app, &org.owner, Method::DELETE, &person, None)
            .await
            .status(),
        204
    );
    let db = app.db().unwrap();
    let grace = app.config.deletion_grace;
    let purge = async |at| {
        pulse_backend::worker::retention::purge_deleted_people(&db, at - grace, at)
            .await
            .unwrap()
    };
    assert_eq!(purge(app.now() + chrono::Duration::days(6)).await, 0);
    assert_eq!(
        purge(app.now() + grace + chrono::Duration::minutes(1)).await,
        1
    );
    assert_eq!(crate::common::scalar(&app, recorded).await, 0);
    assert_eq!(
        post(&app, &org.owner, &restore, &json!({})).await.status(),
        404
    );
    let trail: Page<AuditEvent> =
        get_json(&app, &org.owner, "/api/v1/audit-events?action=user.deleted").await;
    assert_eq!(trail.items.len(), 2, "the trail stays");
}
