//! Problem answers as clients receive them: one snapshot per kind (validation with
//! field errors, 400, 401, 403, 404, 409, 413, 415), so a change to the error
//! contract shows in review. Review changes with `cargo insta review` (see README).

use insta::assert_json_snapshot;
use pulse_backend::testing::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::common::snapshots::answer;
use crate::common::{Org, get, post, send};

/// The problems a signed-in person meets: their input refused field by field, a
/// route beyond their role, something not there, a clash with what exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_of_people_signed_in() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "problems").await;

    let invalid = post(
        &app,
        &org.admin,
        "/api/v1/invitations",
        &json!({"email": "not an address", "role": "employee"}),
    )
    .await;
    assert_json_snapshot!("validation_422", answer(invalid).await);

    let forbidden = post(
        &app,
        &org.employee,
        "/api/v1/teams",
        &json!({"name": "Gamma"}),
    )
    .await;
    assert_json_snapshot!("forbidden_403", answer(forbidden).await);

    let missing = get(
        &app,
        &org.admin,
        &format!("/api/v1/people/{}", uuid::Uuid::new_v4()),
    )
    .await;
    assert_json_snapshot!("not_found_404", answer(missing).await);

    let unknown_field = post(
        &app,
        &org.admin,
        "/api/v1/teams",
        &json!({"name": "Gamma", "colour": "red"}),
    )
    .await;
    assert_json_snapshot!("unknown_field_422", answer(unknown_field).await);

    let taken = post(&app, &org.admin, "/api/v1/teams", &json!({"name": "Alpha"})).await;
    assert_json_snapshot!("name_taken_422", answer(taken).await);

    let occupied = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/teams/{}", org.team_a),
        None,
    )
    .await;
    assert_json_snapshot!("conflict_409", answer(occupied).await);

    let unknown_route = get(&app, &org.admin, "/api/v1/no-such-thing").await;
    assert_json_snapshot!("unknown_route_404", answer(unknown_route).await);
}

/// The problems met before anyone is known: no credentials, a body that is not JSON,
/// too large, or of another type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_of_requests_refused_before_any_work() {
    let app = TestApp::spawn().await.unwrap();
    let login = app.url("/api/v1/auth/login");

    let anonymous = app.get("/api/v1/me").await.unwrap();
    assert_json_snapshot!("unauthorized_401", answer(anonymous).await);

    let malformed = app
        .client()
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("malformed_json_400", answer(malformed).await);

    let too_large = app
        .client()
        .post(&login)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"email\": \"{}\"}}",
            "a".repeat(app.config.max_body_bytes + 1)
        ))
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("payload_too_large_413", answer(too_large).await);

    let wrong_type = app
        .client()
        .post(&login)
        .header("content-type", "text/plain")
        .body("email=ada@example.com")
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("unsupported_media_type_415", answer(wrong_type).await);
}
