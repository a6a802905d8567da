//! Signing up, in and out; refresh rotation and reuse; password changes; bad input.

use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::audit::AuditEvent;
use pulse_shared::auth::{MeResponse, SignupPending};
use pulse_shared::people::{InvitationCreatedResponse, Role};
use reqwest::header::{AUTHORIZATION, COOKIE};
use serde_json::{Value, json};

use crate::common::{self, PASSWORD, fields, get, get_json, json, login, refresh, signup};

/// Signing up creates nothing until the link e-mailed to the address is opened; then
/// the company and its owner exist and the owner is signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_creates_a_company_and_its_owner_once_the_address_is_proven() {
    let app = TestApp::spawn().await.unwrap();
    let request = json!({"company_name": "Acme", "name": "Ada", "email": " Ada@Example.com ", "password": PASSWORD});
    let asked = signup_request(&app, &request).await;
    assert_eq!(asked.status(), 202);
    let pending: SignupPending = json(asked).await;
    assert_eq!(pending.email, "ada@example.com");
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM companies").await,
        0
    );
    assert_eq!(
        login(&app, "ada@example.com", PASSWORD).await.status(),
        401,
        "no account before the link is opened"
    );

    let link = app
        .mailbox
        .link_to("ada@example.com", "/verify#")
        .await
        .unwrap();
    assert!(link.starts_with(&format!("{}/verify#", app.config.public_url)));
    let token = link.split_once('#').unwrap().1;
    let response = verify(&app, token).await;
    assert_eq!(response.status(), 201);
    let (_, header) = common::refresh_cookie(&response).unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(
        !header.contains("Secure"),
        "plain-HTTP local use must not set Secure: {header}"
    );
    let session = common::session_from(response).await;
    assert_eq!(session.body.me.user.role, Role::Owner);
    assert_eq!(session.body.me.user.email, "ada@example.com");
    assert_eq!(session.body.expires_in, 900);

    let me: MeResponse = get_json(&app, &session, "/api/v1/me").await;
    assert_eq!(me.company.name, "Acme");
    assert_eq!(me.user.id, session.body.me.user.id);
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 200);
    // The link worked once.
    assert_eq!(verify(&app, token).await.status(), 404);
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM companies").await,
        1
    );
}

/// Someone who cannot read an address cannot hold it: their sign-up waits on a link
/// sent to the address's owner, who can still be invited by their employer, or sign up
/// themselves; unopened sign-ups expire after a day and are purged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_cannot_be_squatted_and_unopened_signups_expire() {
    let app = TestApp::spawn().await.unwrap();
    let squat = json!({"company_name": "Squat", "name": "Mallory", "email": "sam@corp.test", "password": PASSWORD});
    assert_eq!(signup_request(&app, &squat).await.status(), 202);
    let squatters_link = app
        .mailbox
        .link_to("sam@corp.test", "/verify#")
        .await
        .unwrap();

    // Sam's employer invites Sam, who joins: the address was never taken.
    let corp = signup(&app, "boss@corp.test").await;
    let invited: InvitationCreatedResponse = json(
        common::post(
            &app,
            &corp,
            "/api/v1/invitations",
            &json!({"email": "sam@corp.test", "role": "employee", "team_id": null}),
        )
        .await,
    )
    .await;
    let invitation = invited.link.split_once('#').unwrap().1;
    let joined = app
        .client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&json!({"token": invitation, "name": "Sam", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    // The squatter's link, had it been read, creates nothing now.
    let late = verify(&app, squatters_link.split_once('#').unwrap().1).await;
    assert_eq!(late.status(), 409);
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM companies WHERE name = 'Squat'").await,
        0
    );

    // An unopened sign-up stops working after its day, and the purge removes it.
    let other = json!({"company_name": "Later", "name": "Lee", "email": "lee@corp.test", "password": PASSWORD});
    assert_eq!(signup_request(&app, &other).await.status(), 202);
    let link = app
        .mailbox
        .link_to("lee@corp.test", "/verify#")
        .await
        .unwrap();
    let day_later = app.now() + chrono::Duration::hours(24);
    common::sql(
        &app,
        &format!(
            "UPDATE signups SET expires_at = '{}' WHERE email = 'lee@corp.test'",
            app.now().to_rfc3339()
        ),
    )
    .await;
    assert_eq!(
        verify(&app, link.split_once('#').unwrap().1).await.status(),
        404
    );
    let db = app.db().unwrap();
    pulse_backend::worker::retention::purge_ended_credentials(&db, day_later)
        .await
        .unwrap();
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM signups").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_names_every_field_at_fault() {
    let app = TestApp::spawn().await.unwrap();
    let response = app
        .client()
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"company_name": " ", "name": "Ada", "email": "not-an-address", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(fields(&problem), ["/company_name", "/email", "/password"]);
}

/// Signing up with an address that has an account answers exactly as for a new one;
/// the address's owner is told by e-mail instead. A mailbox gets at most three sign-up
/// messages in a quarter of an hour, and fields a client may not set are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_address_is_not_revealed_and_smuggled_fields_are_refused() {
    let app = TestApp::spawn().await.unwrap();
    signup(&app, "ada@example.com").await;
    let answer = async |email: &str| {
        let body =
            json!({"company_name": "Other", "name": "Eve", "email": email, "password": PASSWORD});
        let response = signup_request(&app, &body).await;
        let status = response.status().as_u16();
        // Read as JSON: the answer's very keys must not differ.
        let mut body: Value = response.json().await.unwrap();
        let expires = body["expires_at"].take();
        assert!(expires.is_string(), "{body}");
        (
            status,
            body.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        )
    };
    assert_eq!(
        answer("ADA@example.com").await,
        answer("new@example.com").await
    );
    let mut told = Vec::new();
    for _ in 0..100 {
        told = app.mailbox.messages_to("ada@example.com");
        if told.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(told.len(), 2, "the sign-up link, then the notice");
    assert!(told[1].contains("already has an account"), "{}", told[1]);
    assert!(told[1].contains("/forgot"), "{}", told[1]);
    assert!(!told[1].contains("/verify#"), "{}", told[1]);

    for _ in 0..3 {
        assert_eq!(answer("ADA@example.com").await.0, 202);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.mailbox.messages_to("ada@example.com").len(),
        3,
        "three messages to one address in the window (the link and two notices)"
    );

    for smuggled in ["role", "company_id", "id"] {
        let mut body = json!({"company_name": "Other", "name": "Eve", "email": "eve@example.com", "password": PASSWORD});
        body[smuggled] = json!("owner");
        let response = signup_request(&app, &body).await;
        assert_eq!(response.status(), 422, "{smuggled}");
        assert_eq!(
            fields(&response.json().await.unwrap()),
            [format!("/{smuggled}")]
        );
    }
}

async fn signup_request(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/auth/signup"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/auth/signup/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_do_not_say_whether_the_address_exists() {
    let app = TestApp::spawn().await.unwrap();
    signup(&app, "ada@example.com").await;
    let wrong_password = login(&app, "ada@example.com", "not the password").await;
    let unknown = login(&app, "nobody@example.com", "not the password").await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown.status(), 401);
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown.json().await.unwrap();
    assert_eq!(a, b);
    let ok = login(&app, "ADA@example.com", PASSWORD).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_attempts_on_one_address_are_slowed() {
    let app = TestApp::spawn().await.unwrap();
    // Sent at once, so the limiter's refill (one attempt per six seconds) cannot hide the limit.
    let attempts = (0..12).map(|_| login(&app, "target@example.com", "guess"));
    let responses = futures_util::future::join_all(attempts).await;
    let refused: Vec<_> = responses.iter().filter(|r| r.status() == 429).collect();
    assert!(
        responses
            .iter()
            .all(|r| [401, 429].contains(&r.status().as_u16()))
    );
    assert!(
        (1..=2).contains(&refused.len()),
        "{} of 12 refused",
        refused.len()
    );
    let retry_after: u64 = refused[0].headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
}

/// A wrong password sent with `X-Forwarded-For: from`; the status.
async fn guess(app: &TestApp, base_url: &str, email: &str, from: &str) -> u16 {
    app.client()
        .post(format!("{base_url}/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": "a wrong guess"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Only failures count, every replica counts into the same budget, and one client's
/// failures do not lock the account for others; without trusted proxies, a forwarded
/// address is not believed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_limits_count_failures_share_replicas_and_follow_trusted_proxies() {
    let app = TestApp::spawn_with(|config| {
        config.trusted_proxies =
            pulse_backend::auth::rate_limit::TrustedProxies::parse("127.0.0.1, ::1").unwrap();
    })
    .await
    .unwrap();
    signup(&app, "ada@example.com").await;
    for n in 0..15 {
        let right = login(&app, "ada@example.com", PASSWORD).await;
        assert_eq!(
            right.status(),
            200,
            "sign-in {n}: successes are not counted"
        );
    }
    let replica = app.replica().unwrap();
    let mut statuses = Vec::new();
    for n in 0..11 {
        let base = if n % 2 == 0 {
            &app.base_url
        } else {
            &replica.base_url
        };
        statuses.push(guess(&app, base, "ada@example.com", "203.0.113.7").await);
    }
    assert_eq!(&statuses[..10], &[401; 10], "{statuses:?}");
    assert_eq!(
        statuses[10], 429,
        "ten failures across two replicas: {statuses:?}"
    );
    // Another client of the same account is not locked out.
    assert_eq!(
        guess(&app, &replica.base_url, "ada@example.com", "198.51.100.2").await,
        401
    );

    // A server that trusts no proxy ignores the header: every guess is the peer's.
    let plain = TestApp::spawn().await.unwrap();
    signup(&plain, "bob@example.com").await;
    let mut statuses = Vec::new();
    for n in 0..11 {
        let from = format!("203.0.113.{n}");
        statuses.push(guess(&plain, &plain.base_url, "bob@example.com", &from).await);
    }
    assert_eq!(statuses[10], 429, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_ends_the_whole_family() {
    let app = TestApp::spawn().await.unwrap();
    let first = signup(&app, "ada@example.com").await;
    let second = common::session_from(refresh(&app, &first.refresh_cookie).await).await;
    assert_ne!(second.refresh_cookie, first.refresh_cookie);
    assert_eq!(get(&app, &second, "/api/v1/me").await.status(), 200);

    // Two tabs refreshing together present the same cookie within the grace: both work.
    let other_tab = refresh(&app, &first.refresh_cookie).await;
    assert_eq!(other_tab.status(), 200);

    // Later, the rotated cookie coming back means it was copied…
    common::sql(&app, "UPDATE refresh_tokens SET used_at = used_at - interval '1 minute' WHERE used_at IS NOT NULL").await;
    assert_eq!(refresh(&app, &first.refresh_cookie).await.status(), 401);
    // …and the legitimate newer cookie of the same sign-in dies with it.
    assert_eq!(refresh(&app, &second.refresh_cookie).await.status(), 401);

    let page: Page<AuditEvent> = get_json(
        &app,
        &second,
        "/api/v1/audit-events?action=auth.refresh_token_reused",
    )
    .await;
    assert_eq!(page.items.len(), 1);
}

/// A sign-in refreshed every day still ends 90 days after it began; tokens that ended
/// are purged a day later, live ones stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_end_after_ninety_days_and_ended_tokens_are_purged() {
    let app = TestApp::spawn().await.unwrap();
    let first = signup(&app, "ada@example.com").await;
    let at = |shift: &str| format!("'{}'::timestamptz {shift}", app.now().to_rfc3339());
    // This sign-in began 89 days and 23 hours ago: its next token lives an hour.
    common::sql(
        &app,
        &format!(
            "UPDATE refresh_tokens SET family_started_at = {}",
            at("- interval '89 days 23 hours'")
        ),
    )
    .await;
    let renewed = common::session_from(refresh(&app, &first.refresh_cookie).await).await;
    let capped = common::scalar(
        &app,
        &format!(
            "SELECT count(*) FROM refresh_tokens
              WHERE used_at IS NULL AND expires_at <= {}",
            at("+ interval '1 hour 1 minute'")
        ),
    )
    .await;
    assert_eq!(capped, 1, "the renewed token ends with its sign-in");

    // Another sign-in, then signed out: its token is revoked.
    let other = login(&app, "ada@example.com", PASSWORD).await;
    let other = common::session_from(other).await;
    let out = app
        .client()
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, &other.refresh_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM refresh_tokens").await,
        3
    );
    let db = app.db().unwrap();
    let purge = async |days: i64| {
        pulse_backend::worker::retention::purge_ended_credentials(
            &db,
            app.now() + chrono::Duration::days(days),
        )
        .await
        .unwrap()
    };
    assert_eq!(purge(0).await, 0, "nothing ended a day ago yet");
    // Two days on: the revoked sign-in and the renewed token (expired after an hour) go;
    // the rotated first token, kept to catch its replay, lives out its own 30 days.
    assert_eq!(purge(2).await, 2);
    assert_eq!(
        common::scalar(&app, "SELECT count(*) FROM refresh_tokens").await,
        1
    );
    assert_eq!(refresh(&app, &renewed.refresh_cookie).await.status(), 401);
}

/// A forgotten password: a link by e-mail (the answer the same for an unknown address),
/// which works once, within its 30 minutes, and ends every other session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_a_link_sent_by_e_mail() {
    let app = TestApp::spawn().await.unwrap();
    let before = signup(&app, "ada@example.com").await;
    let ask = async |email: &str| {
        let response = app
            .client()
            .post(app.url("/api/v1/auth/password-reset"))
            .json(&json!({ "email": email }))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(
        ask("ada@example.com").await,
        ask("nobody@example.com").await
    );
    assert_eq!(ask("ada@example.com").await.0, 202);
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = app.mailbox.messages_to("ada@example.com");
        mails.retain(|mail| mail.contains("/reset#"));
        if mails.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        mails.len(),
        2,
        "one e-mail per ask for the account, none for nobody"
    );
    assert!(app.mailbox.messages_to("nobody@example.com").is_empty());
    let token_of = |mail: &str| {
        let link = pulse_backend::testing::link_in(mail, "/reset#").unwrap();
        link.split_once('#').unwrap().1.to_owned()
    };
    let (first, second) = (token_of(&mails[0]), token_of(&mails[1]));
    let confirm = async |token: &str, password: &str| {
        app.client()
            .post(app.url("/api/v1/auth/password-reset/confirm"))
            .json(&json!({ "token": token, "password": password }))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(
        confirm(&first, "a brand new password").await.status(),
        404,
        "a newer link replaces the first"
    );
    let weak = confirm(&second, "short").await;
    assert_eq!(fields(&weak.json().await.unwrap()), ["/password"]);
    let reset = confirm(&second, "a brand new password").await;
    assert_eq!(reset.status(), 200);
    let session = common::session_from(reset).await;
    assert_eq!(get(&app, &session, "/api/v1/me").await.status(), 200);
    assert_eq!(
        confirm(&second, "another new password").await.status(),
        404,
        "once"
    );
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        login(&app, "ada@example.com", "a brand new password")
            .await
            .status(),
        200
    );
    assert_eq!(
        refresh(&app, &before.refresh_cookie).await.status(),
        401,
        "the sessions from before are ended"
    );
    // A link past its 30 minutes does not work.
    ask("ada@example.com").await;
    for _ in 0..100 {
        mails = app.mailbox.messages_to("ada@example.com");
        mails.retain(|mail| mail.contains("/reset#"));
        if mails.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let late = token_of(&mails[2]);
    common::sql(
        &app,
        &format!(
            "UPDATE password_resets SET expires_at = '{}'::timestamptz - interval '1 second'",
            app.now().to_rfc3339()
        ),
    )
    .await;
    assert_eq!(confirm(&late, "a third new password").await.status(), 404);
    let trail: Page<AuditEvent> = get_json(
        &app,
        &session,
        "/api/v1/audit-events?action=user.password_reset",
    )
    .await;
    assert_eq!(trail.items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await.unwrap();
    let session = signup(&app, "ada@example.com").await;
    let out = app
        .client()
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, &session.refresh_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let (cleared, _) = common::refresh_cookie(&out).unwrap();
    assert_eq!(cleared, "pulse_refresh=");
    assert_eq!(refresh(&app, &session.refresh_cookie).await.status(), 401);
    assert_eq!(refresh(&app, "pulse_refresh=made-up").await.status(), 401);
}

/// The web app asks whether there is a sign-in to restore on every start; a browser
/// that holds none is told so without an error (which the browser would log), and
/// nothing is counted against its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_without_a_sign_in_has_nothing_to_refresh() {
    let app = TestApp::spawn().await.unwrap();
    for _ in 0..30 {
        let answer = app
            .client()
            .post(app.url("/api/v1/auth/refresh"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 204);
        assert_eq!(answer.headers()["cache-control"], "no-store");
        assert!(common::refresh_cookie(&answer).is_none());
        assert!(answer.bytes().await.unwrap().is_empty());
    }
    // A cookie that is there but not valid is still refused.
    assert_eq!(refresh(&app, "pulse_refresh=made-up").await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await.unwrap();
    let here = signup(&app, "ada@example.com").await;
    let elsewhere = common::session_from(login(&app, "ada@example.com", PASSWORD).await).await;
    let change = |current: &str, new: &str| {
        app.client()
            .post(app.url("/api/v1/me/password"))
            .header(AUTHORIZATION, format!("Bearer {}", here.access_token))
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    let wrong = change("not it", "a new long password").await.unwrap();
    assert_eq!(wrong.status(), 422);
    assert_eq!(fields(&wrong.json().await.unwrap()), ["/current_password"]);
    let weak = change(PASSWORD, "short").await.unwrap();
    assert_eq!(fields(&weak.json().await.unwrap()), ["/new_password"]);

    let changed = change(PASSWORD, "a new long password").await.unwrap();
    let renewed = common::session_from(changed).await;
    assert_eq!(refresh(&app, &elsewhere.refresh_cookie).await.status(), 401);
    assert_eq!(refresh(&app, &renewed.refresh_cookie).await.status(), 200);
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        login(&app, "ada@example.com", "a new long password")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_missing_tokens_and_deactivated_people_get_401() {
    let app = TestApp::spawn().await.unwrap();
    let session = signup(&app, "ada@example.com").await;
    let no_token = app.get("/api/v1/me").await.unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    for token in ["garbage", "a.b.c", &format!("{}x", session.access_token)] {
        let response = app
            .client()
            .get(app.url("/api/v1/me"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{token}");
    }
    common::sql(&app, "UPDATE users SET status = 'deactivated'").await;
    assert_eq!(get(&app, &session, "/api/v1/me").await.status(), 401);
    assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(refresh(&app, &session.refresh_cookie).await.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_malformed_and_mistyped_bodies_are_problems_not_500s() {
    let app = TestApp::spawn().await.unwrap();
    let url = app.url("/api/v1/auth/login");
    let big = format!(
        r#"{{"email": "a@b.co", "password": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let cases = [
        (
            app.client()
                .post(&url)
                .header("content-type", "application/json")
                .body(big),
            413,
        ),
        (
            app.client()
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"email\":"),
            400,
        ),
        (
            app.client()
                .post(&url)
                .header("content-type", "text/plain")
                .body("{}"),
            415,
        ),
        (
            app.client()
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"email\": 5, \"password\": \"x\"}"),
            422,
        ),
        (
            app.client()
                .post(&url)
                .header("content-type", "application/json")
                .body("[]"),
            422,
        ),
    ];
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
