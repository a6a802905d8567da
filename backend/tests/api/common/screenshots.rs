//! Screenshots as an agent uploads them: images made up for the test, the upload, and
//! a screenshot to aim at for the isolation walk.

use std::io::Cursor;

use chrono::{DateTime, Utc};
use image::{DynamicImage, ImageFormat, RgbImage};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::agents::EnrollResponse;
use pulse_shared::people::Person;
use pulse_shared::screenshots::Screenshot;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use super::agents::token;
use super::fixtures::{Org, invite_and_join};
use super::http::{get_json, json, send};

/// A black and white checkerboard of 2-pixel squares: as much detail as an image has.
pub fn checkerboard(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if (x / 2 + y / 2) % 2 == 0 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

pub fn encoded(pixels: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels.clone())
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(&checkerboard(width, height), ImageFormat::Png)
}

/// Uploads `body` as `content_type` under the agent's id `id`.
pub async fn upload_as(
    app: &TestApp,
    credential: &str,
    id: Uuid,
    captured_at: DateTime<Utc>,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client()
        .post(app.url("/api/v1/agent/screenshots"))
        .query(&[
            ("id", id.to_string()),
            ("captured_at", captured_at.to_rfc3339()),
            ("monitor", "0".to_owned()),
        ])
        .bearer_auth(credential)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads a small PNG captured at `captured_at`; answers its metadata.
pub async fn upload_png(app: &TestApp, credential: &str, captured_at: DateTime<Utc>) -> Screenshot {
    let response = upload_as(
        app,
        credential,
        Uuid::new_v4(),
        captured_at,
        "image/png",
        png(64, 40),
    )
    .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    json(response).await
}

/// A screenshot of a person in team A who is none of `org`'s principals, for the
/// isolation walk: answers its id. The person is made once per company.
pub async fn target_screenshot(app: &TestApp, org: &Org, n: usize) -> String {
    let domain = org.owner.body.me.user.email.split_once('@').unwrap().1;
    let email = format!("photographed@{domain}");
    let people: Page<Person> = get_json(app, &org.owner, "/api/v1/people?limit=200").await;
    let existing = people
        .items
        .iter()
        .find(|person| person.email == email)
        .map(|person| person.id.to_string());
    let subject = match existing {
        Some(id) => id,
        None => invite_and_join(app, &org.owner, &email, "employee", Some(&org.team_a))
            .await
            .body
            .me
            .user
            .id
            .to_string(),
    };
    // Screenshots on for this person alone: the walk also resets the company default.
    let on = send(
        app,
        &org.owner,
        Method::PUT,
        &format!("/api/v1/policies/employees/{subject}"),
        Some(&json!({"screenshot_mode": "interval", "employees_may_delete_screenshots": true})),
    )
    .await;
    assert_eq!(on.status(), 200);
    let (_, secret) = token(app, &org.owner, Some(&subject)).await;
    let enrolled: EnrollResponse = json(
        app.client()
            .post(app.url("/api/v1/agent/enroll"))
            .json(&json!({"token": secret, "hostname": format!("cam{n}"), "os": "Linux", "agent_version": "0.1.0"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let shot = upload_png(app, &enrolled.credential, app.now()).await;
    shot.id.to_string()
}
