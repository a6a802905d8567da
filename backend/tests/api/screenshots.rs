//! Screenshots: uploads of each format and of things that are not screenshots, blur by
//! policy, who sees which, the view log, deletion by role and policy, and retention.

use std::io::Cursor;

use chrono::{DateTime, Duration, Utc};
use image::{DynamicImage, ImageFormat, RgbImage};
use pulse_backend::testing::TestApp;
use pulse_shared::policies::PolicySettings;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::agents::enroll;
use crate::common::{Org, Session, fields, get, send};

/// A black and white checkerboard of 2-pixel squares: as much detail as an image has.
fn checkerboard(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if (x / 2 + y / 2) % 2 == 0 {
            image::Rgb([255, 255, 255])
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

fn encoded(pixels: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels.clone())
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    encoded(&checkerboard(width, height), ImageFormat::Png)
}

fn variance(pixels: &RgbImage) -> f64 {
    let values: Vec<f64> = pixels.pixels().map(|p| f64::from(p.0[0])).collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64
}

/// A real PNG whose header says 30000 × 30000 (900 million pixels): one bit per pixel,
/// all zeros, compressed to a few hundred KiB. Decoding it would take 2.7 GB as RGB.
fn decompression_bomb() -> Vec<u8> {
    use std::io::Write;
    const SIDE: u32 = 30_000;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, SIDE, SIDE);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0u8; (SIDE / 8) as usize];
    for _ in 0..SIDE {
        stream.write_all(&row).unwrap();
    }
    stream.finish().unwrap();
    writer.finish().unwrap();
    out
}

/// Turns screenshots on in the company default (new companies start with them off),
/// with `changes` on top.
async fn company_policy(app: &TestApp, org: &Org, changes: Value) {
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
async fn employee_policy(app: &TestApp, org: &Org, person: &Session, settings: Value) {
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

/// Uploads `body` as `content_type` under the agent's id `id`.
async fn upload_as(
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
async fn upload_png(app: &TestApp, credential: &str, captured_at: DateTime<Utc>) -> Value {
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
    response.json().await.unwrap()
}

fn credential(enrolled: &Value) -> String {
    enrolled["credential"].as_str().unwrap().to_owned()
}

fn day_around(at: DateTime<Utc>) -> String {
    let from = (at - Duration::hours(12)).to_rfc3339();
    let to = (at + Duration::hours(12)).to_rfc3339();
    format!("from={}&to={}", urlencode(&from), urlencode(&to))
}

fn urlencode(value: &str) -> String {
    value.replace('+', "%2B").replace(':', "%3A")
}

/// `GET /screenshots` of `user` (the caller when `None`) around `at`.
async fn list(
    app: &TestApp,
    who: &Session,
    user: Option<&str>,
    at: DateTime<Utc>,
) -> reqwest::Response {
    let mut path = format!("/api/v1/screenshots?{}", day_around(at));
    if let Some(user) = user {
        path.push_str(&format!("&user_id={user}"));
    }
    get(app, who, &path).await
}

async fn items(response: reqwest::Response) -> Vec<Value> {
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// A screenshot of a person in team A who is none of `org`'s principals, for the
/// isolation walk: answers its id. The person is made once per company.
pub async fn target_screenshot(app: &TestApp, org: &Org, n: usize) -> String {
    let domain = org.owner.body.me.user.email.split_once('@').unwrap().1;
    let email = format!("photographed@{domain}");
    let people: Value = get(app, &org.owner, "/api/v1/people?limit=200")
        .await
        .json()
        .await
        .unwrap();
    let existing = people["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|person| person["email"] == email.as_str())
        .map(|person| person["id"].as_str().unwrap().to_owned());
    let subject = match existing {
        Some(id) => id,
        None => {
            crate::common::invite_and_join(app, &org.owner, &email, "employee", Some(&org.team_a))
                .await
                .body
                .me
                .user
                .id
                .to_string()
        }
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
    let (_, secret) = crate::agents::token(app, &org.owner, Some(&subject)).await;
    let enrolled: Value = app
        .client()
        .post(app.url("/api/v1/agent/enroll"))
        .json(&json!({"token": secret, "hostname": format!("cam{n}"), "os": "Linux", "agent_version": "0.1.0"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shot = upload_png(app, &credential(&enrolled), app.now()).await;
    shot["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn png_jpeg_and_webp_are_stored_with_a_thumbnail_and_a_resend_stores_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "formats").await;
    company_policy(&app, &org, json!({})).await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let now = app.now();
    let board = checkerboard(800, 500);
    let mut ids = Vec::new();
    for (format, content_type, name) in [
        (ImageFormat::Png, "image/png", "png"),
        (ImageFormat::Jpeg, "image/jpeg", "jpeg"),
        (ImageFormat::WebP, "image/webp", "webp"),
    ] {
        let bytes = encoded(&board, format);
        let client_id = Uuid::new_v4();
        let stored = upload_as(&app, &agent, client_id, now, content_type, bytes.clone()).await;
        assert_eq!(
            stored.status(),
            201,
            "{name}: {}",
            stored.text().await.unwrap()
        );
        let shot: Value = stored.json().await.unwrap();
        assert_eq!(shot["format"], name);
        assert_eq!(
            (shot["width"].as_i64(), shot["height"].as_i64()),
            (Some(800), Some(500))
        );
        assert_eq!(shot["bytes"].as_u64(), Some(bytes.len() as u64));
        assert_eq!(shot["blurred"], false);
        assert_eq!(shot["user_id"], org.employee.body.me.user.id.to_string());
        let id = shot["id"].as_str().unwrap().to_owned();

        let original = get(&app, &org.admin, &format!("/api/v1/screenshots/{id}/image")).await;
        assert_eq!(original.status(), 200);
        assert_eq!(original.headers()["content-type"], content_type);
        assert!(
            original.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("private, max-age=")
        );
        assert_eq!(original.bytes().await.unwrap().to_vec(), bytes, "{name}");

        let thumb = get(
            &app,
            &org.employee,
            &format!("/api/v1/screenshots/{id}/thumbnail"),
        )
        .await;
        assert_eq!(thumb.status(), 200);
        assert_eq!(thumb.headers()["content-type"], "image/jpeg");
        let thumb = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 200), "{name}");

        // The agent did not hear the answer and sends it again: the same screenshot,
        // nothing new stored.
        let again = upload_as(&app, &agent, client_id, now, content_type, bytes).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap()["id"], id.as_str());
        ids.push(id);
    }
    let listed = items(list(&app, &org.employee, None, now).await).await;
    assert_eq!(listed.len(), 3);
    let objects = app.stored_objects();
    assert_eq!(objects.len(), 6, "{objects:?}");
    let prefix = format!(
        "screenshots/{}/{}/",
        org.owner.body.me.company.id, org.employee.body.me.user.id
    );
    for id in &ids {
        assert!(
            objects
                .iter()
                .any(|o| *o == format!("{prefix}{id}.thumb.jpg")),
            "{objects:?}"
        );
    }
    assert!(
        objects.iter().all(|o| o.starts_with(&prefix)),
        "{objects:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_screenshot_is_refused_with_a_named_problem() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "refusals").await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let now = app.now();

    // New companies start with screenshots off: the agent is told to drop it.
    let off = upload_as(&app, &agent, Uuid::new_v4(), now, "image/png", png(64, 40)).await;
    assert_eq!(off.status(), 403);
    assert!(off.text().await.unwrap().contains("screenshots off"));
    company_policy(&app, &org, json!({})).await;

    let text = upload_as(
        &app,
        &agent,
        Uuid::new_v4(),
        now,
        "image/png",
        b"Dear diary, today I renamed notes.txt to notes.png".to_vec(),
    )
    .await;
    assert_eq!(text.status(), 422);
    assert_eq!(text.headers()["content-type"], "application/problem+json");
    let problem: Value = text.json().await.unwrap();
    assert_eq!(fields(&problem), ["body"]);
    assert_eq!(problem["errors"][0]["code"], "not_an_image");

    let mislabelled = upload_as(&app, &agent, Uuid::new_v4(), now, "image/jpeg", png(64, 40)).await;
    assert_eq!(mislabelled.status(), 422);
    let problem: Value = mislabelled.json().await.unwrap();
    assert_eq!(problem["errors"][0]["code"], "type_mismatch");

    let plain = upload_as(&app, &agent, Uuid::new_v4(), now, "text/plain", png(64, 40)).await;
    assert_eq!(plain.status(), 415);

    let oversized = upload_as(
        &app,
        &agent,
        Uuid::new_v4(),
        now,
        "image/png",
        vec![0u8; pulse_shared::screenshots::MAX_SCREENSHOT_BYTES + 1],
    )
    .await;
    assert_eq!(oversized.status(), 413);
    assert_eq!(
        oversized.headers()["content-type"],
        "application/problem+json"
    );

    let bomb = decompression_bomb();
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let refused = upload_as(&app, &agent, Uuid::new_v4(), now, "image/png", bomb).await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["code"], "too_many_pixels");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30000×30000")
    );

    for (captured_at, code) in [
        (now + Duration::hours(1), "in_the_future"),
        (now - Duration::days(31), "too_old"),
    ] {
        let refused = upload_as(
            &app,
            &agent,
            Uuid::new_v4(),
            captured_at,
            "image/png",
            png(64, 40),
        )
        .await;
        assert_eq!(refused.status(), 422);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(fields(&problem), ["captured_at"]);
        assert_eq!(problem["errors"][0]["code"], code);
    }
    let monitor = app
        .client()
        .post(app.url("/api/v1/agent/screenshots"))
        .query(&[
            ("id", Uuid::new_v4().to_string()),
            ("captured_at", now.to_rfc3339()),
            ("monitor", "16".to_owned()),
        ])
        .bearer_auth(&agent)
        .header("content-type", "image/png")
        .body(png(64, 40))
        .send()
        .await
        .unwrap();
    assert_eq!(monitor.status(), 422);
    assert_eq!(fields(&monitor.json().await.unwrap()), ["monitor"]);

    // A person's token is not a device credential.
    let person = upload_as(
        &app,
        &org.employee.access_token,
        Uuid::new_v4(),
        now,
        "image/png",
        png(64, 40),
    )
    .await;
    assert_eq!(person.status(), 401);

    assert!(
        items(list(&app, &org.employee, None, now).await)
            .await
            .is_empty()
    );
    assert!(
        app.stored_objects().is_empty(),
        "{:?}",
        app.stored_objects()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blurring_policy_keeps_only_the_blurred_image() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "blur").await;
    company_policy(&app, &org, json!({})).await;
    employee_policy(&app, &org, &org.employee, json!({"blur_screenshots": true})).await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let board = checkerboard(640, 400);
    let response = upload_as(
        &app,
        &agent,
        Uuid::new_v4(),
        app.now(),
        "image/png",
        encoded(&board, ImageFormat::Png),
    )
    .await;
    assert_eq!(response.status(), 201);
    let shot: Value = response.json().await.unwrap();
    assert_eq!(shot["blurred"], true);
    let id = shot["id"].as_str().unwrap();
    let stored = get(&app, &org.admin, &format!("/api/v1/screenshots/{id}/image")).await;
    assert_eq!(stored.headers()["content-type"], "image/png");
    let stored = image::load_from_memory(&stored.bytes().await.unwrap())
        .unwrap()
        .to_rgb8();
    assert_eq!(stored.dimensions(), (640, 400));
    assert!(
        variance(&stored) < variance(&board) / 20.0,
        "blurred variance {} vs {}",
        variance(&stored),
        variance(&board)
    );
    let thumb = get(
        &app,
        &org.admin,
        &format!("/api/v1/screenshots/{id}/thumbnail"),
    )
    .await;
    let thumb = image::load_from_memory(&thumb.bytes().await.unwrap())
        .unwrap()
        .to_rgb8();
    assert!(variance(&thumb) < variance(&board) / 20.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_see_the_screenshots_within_their_reach_only() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "reach").await;
    company_policy(&app, &org, json!({})).await;
    let emma = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let otto = credential(&enroll(&app, &org, &org.outsider, "otto-laptop").await);
    let now = app.now();
    let mut emmas = Vec::new();
    for minutes in [30, 20, 10] {
        emmas.push(upload_png(&app, &emma, now - Duration::minutes(minutes)).await);
    }
    let ottos = upload_png(&app, &otto, now).await;
    let employee = org.employee.body.me.user.id.to_string();
    let outsider = org.outsider.body.me.user.id.to_string();
    let ottos_id = ottos["id"].as_str().unwrap();

    // Newest first, a page at a time.
    let first: Value = get(
        &app,
        &org.employee,
        &format!("/api/v1/screenshots?{}&limit=2", day_around(now)),
    )
    .await
    .json()
    .await
    .unwrap();
    let first_items = first["items"].as_array().unwrap();
    assert_eq!(first_items.len(), 2);
    assert_eq!(first_items[0]["id"], emmas[2]["id"]);
    assert_eq!(first_items[1]["id"], emmas[1]["id"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = get(
        &app,
        &org.employee,
        &format!(
            "/api/v1/screenshots?{}&limit=2&cursor={cursor}",
            day_around(now)
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["id"], emmas[0]["id"]);
    assert!(second["next_cursor"].is_null());

    // The employee: their own only; someone else's is as if it did not exist.
    assert_eq!(
        list(&app, &org.employee, Some(&outsider), now)
            .await
            .status(),
        404
    );
    for what in ["image", "thumbnail", "views"] {
        let path = format!("/api/v1/screenshots/{ottos_id}/{what}");
        assert_eq!(
            get(&app, &org.employee, &path).await.status(),
            404,
            "{what}"
        );
    }
    // The manager of team A: the employee's, not the outsider's (team B).
    assert_eq!(
        items(list(&app, &org.manager, Some(&employee), now).await)
            .await
            .len(),
        3
    );
    assert_eq!(
        list(&app, &org.manager, Some(&outsider), now)
            .await
            .status(),
        404
    );
    let path = format!("/api/v1/screenshots/{ottos_id}/image");
    assert_eq!(get(&app, &org.manager, &path).await.status(), 404);
    // Admins and their API keys: everyone's.
    assert_eq!(
        items(list(&app, &org.admin, Some(&outsider), now).await)
            .await
            .len(),
        1
    );
    assert_eq!(
        items(list(&app, &org.api_key, Some(&employee), now).await)
            .await
            .len(),
        3
    );
    // Someone who does not exist, and a window too wide or backwards.
    let stranger = Uuid::new_v4().to_string();
    assert_eq!(
        list(&app, &org.admin, Some(&stranger), now).await.status(),
        404
    );
    let wide = format!(
        "/api/v1/screenshots?from={}&to={}",
        urlencode(&(now - Duration::days(40)).to_rfc3339()),
        urlencode(&now.to_rfc3339())
    );
    let refused = get(&app, &org.admin, &wide).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(fields(&refused.json().await.unwrap()), ["to"]);
    let backwards = format!(
        "/api/v1/screenshots?from={}&to={}",
        urlencode(&now.to_rfc3339()),
        urlencode(&(now - Duration::hours(1)).to_rfc3339())
    );
    assert_eq!(get(&app, &org.admin, &backwards).await.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_someone_elses_screenshot_is_shown_to_them() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "views").await;
    company_policy(&app, &org, json!({})).await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let shot = upload_png(&app, &agent, app.now()).await;
    let id = shot["id"].as_str().unwrap();
    let image = format!("/api/v1/screenshots/{id}/image");
    let thumbnail = format!("/api/v1/screenshots/{id}/thumbnail");

    // Their own look, and a manager's thumbnail, are not recorded.
    assert_eq!(get(&app, &org.employee, &image).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &thumbnail).await.status(), 200);
    let mine: Value = get(&app, &org.employee, "/api/v1/me/screenshot-views")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"], json!([]));

    // The admin opens it twice, the manager once: three views, newest first.
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &image).await.status(), 200);
    let mine: Value = get(&app, &org.employee, "/api/v1/me/screenshot-views?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let seen = mine["items"].as_array().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0]["viewer_id"],
        org.manager.body.me.user.id.to_string()
    );
    assert_eq!(seen[0]["viewer_role"], "manager");
    assert_eq!(seen[0]["screenshot_id"], id);
    assert_eq!(seen[1]["viewer_id"], org.admin.body.me.user.id.to_string());
    assert_eq!(seen[1]["viewer_name"], "admin");
    assert_eq!(seen[1]["viewer_role"], "admin");
    let rest: Value = get(
        &app,
        &org.employee,
        &format!(
            "/api/v1/me/screenshot-views?limit=2&cursor={}",
            mine["next_cursor"].as_str().unwrap()
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    // Nobody else's list holds them.
    let admins: Value = get(&app, &org.admin, "/api/v1/me/screenshot-views")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admins["items"], json!([]));

    // Per screenshot: its subject and admins see the views; the manager does not.
    let views = format!("/api/v1/screenshots/{id}/views");
    let for_subject: Value = get(&app, &org.employee, &views).await.json().await.unwrap();
    assert_eq!(for_subject.as_array().unwrap().len(), 3);
    assert_eq!(get(&app, &org.owner, &views).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &views).await.status(), 403);
    assert_eq!(get(&app, &org.outsider, &views).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_follows_the_role_and_the_policy_and_is_audited() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "deletion").await;
    company_policy(
        &app,
        &org,
        json!({"employees_may_delete_screenshots": false}),
    )
    .await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let now = app.now();
    let kept = upload_png(&app, &agent, now - Duration::minutes(2)).await;
    let doomed = upload_png(&app, &agent, now - Duration::minutes(1)).await;
    let kept_id = kept["id"].as_str().unwrap();
    let doomed_id = doomed["id"].as_str().unwrap();
    let delete = |who: Session, id: String| {
        let app = &app;
        async move {
            send(
                app,
                &who,
                Method::DELETE,
                &format!("/api/v1/screenshots/{id}"),
                None,
            )
            .await
            .status()
        }
    };

    // The policy keeps screenshots: the employee may not delete their own, and is told.
    let listed = items(list(&app, &org.employee, None, now).await).await;
    assert!(listed.iter().all(|shot| shot["deletable"] == false));
    let refused = send(
        &app,
        &org.employee,
        Method::DELETE,
        &format!("/api/v1/screenshots/{doomed_id}"),
        None,
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("policy"));
    // A manager never deletes their team's; admins see every one as deletable.
    assert_eq!(delete(org.manager.clone(), doomed_id.to_owned()).await, 403);
    let employee = org.employee.body.me.user.id.to_string();
    let for_admin = items(list(&app, &org.admin, Some(&employee), now).await).await;
    assert!(for_admin.iter().all(|shot| shot["deletable"] == true));

    // Allowed for this employee: the row, the views and both objects go.
    employee_policy(
        &app,
        &org,
        &org.employee,
        json!({"employees_may_delete_screenshots": true}),
    )
    .await;
    assert_eq!(
        get(
            &app,
            &org.admin,
            &format!("/api/v1/screenshots/{doomed_id}/image")
        )
        .await
        .status(),
        200
    );
    assert!(
        items(list(&app, &org.employee, None, now).await)
            .await
            .iter()
            .all(|s| s["deletable"] == true)
    );
    assert_eq!(app.stored_objects().len(), 4);
    assert_eq!(
        delete(org.employee.clone(), doomed_id.to_owned()).await,
        204
    );
    assert_eq!(
        delete(org.employee.clone(), doomed_id.to_owned()).await,
        404
    );
    let objects = app.stored_objects();
    assert_eq!(objects.len(), 2, "{objects:?}");
    assert!(objects.iter().all(|o| o.contains(kept_id)), "{objects:?}");
    let mine: Value = get(&app, &org.employee, "/api/v1/me/screenshot-views")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"], json!([]));
    let remaining = items(list(&app, &org.employee, None, now).await).await;
    assert_eq!(remaining.len(), 1);

    // An admin deletes anyone's, whatever the policy.
    assert_eq!(delete(org.admin.clone(), kept_id.to_owned()).await, 204);
    assert!(app.stored_objects().is_empty());

    let audit: Value = get(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=screenshot.deleted",
    )
    .await
    .json()
    .await
    .unwrap();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["target_id"], doomed_id);
    assert_eq!(events[1]["actor_id"], employee.as_str());
    assert_eq!(events[1]["summary"]["before"]["user_id"], employee.as_str());
    assert_eq!(events[0]["actor_id"], org.admin.body.me.user.id.to_string());
    let verified: Value = get(&app, &org.owner, "/api/v1/audit-events/verify")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_old_screenshots_with_their_files_and_views() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "retention").await;
    company_policy(&app, &org, json!({})).await;
    employee_policy(
        &app,
        &org,
        &org.employee,
        json!({"screenshot_retention_days": 5}),
    )
    .await;
    let emma = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let otto = credential(&enroll(&app, &org, &org.outsider, "otto-laptop").await);
    let now = app.now();
    let old = upload_png(&app, &emma, now - Duration::days(10)).await;
    let recent = upload_png(&app, &emma, now - Duration::hours(1)).await;
    let ottos_old = upload_png(&app, &otto, now - Duration::days(10)).await;
    let old_id = old["id"].as_str().unwrap();
    let image = format!("/api/v1/screenshots/{old_id}/image");
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(app.stored_objects().len(), 6);

    let pool = app.pool().unwrap();
    let store = app.store().unwrap();
    // Lowering the employee's retention from 30 days to 5 deletes nothing during the
    // grace period: the old retention holds.
    let round = pulse_backend::worker::retention::screenshots_round(&pool, &store, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (0, 0));
    let grace_ended = now + app.config.deletion_grace;
    assert_eq!(
        pulse_backend::worker::retention::purge_retention_holds(&pool, grace_ended)
            .await
            .unwrap(),
        1
    );
    // Once it has ended: only the employee's 10-day-old one is past their 5 days; the
    // outsider keeps 30.
    let round = pulse_backend::worker::retention::screenshots_round(&pool, &store, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (1, 2));
    assert_eq!(get(&app, &org.admin, &image).await.status(), 404);
    let objects = app.stored_objects();
    assert_eq!(objects.len(), 4, "{objects:?}");
    assert!(!objects.iter().any(|o| o.contains(old_id)), "{objects:?}");
    let mine: Value = get(&app, &org.employee, "/api/v1/me/screenshot-views")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"], json!([]), "its views went with it");
    let recent_id = recent["id"].as_str().unwrap();
    let path = format!("/api/v1/screenshots/{recent_id}/image");
    assert_eq!(get(&app, &org.admin, &path).await.status(), 200);
    let path = format!(
        "/api/v1/screenshots/{}/image",
        ottos_old["id"].as_str().unwrap()
    );
    assert_eq!(get(&app, &org.admin, &path).await.status(), 200);

    // Forty days on, everything has aged out.
    let later = now + Duration::days(40);
    let round = pulse_backend::worker::retention::screenshots_round(&pool, &store, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (2, 4));
    assert!(
        app.stored_objects().is_empty(),
        "{:?}",
        app.stored_objects()
    );
    let again = pulse_backend::worker::retention::screenshots_round(&pool, &store, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.screenshots, again.objects), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_agent_uploads_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "revoked").await;
    company_policy(&app, &org, json!({})).await;
    let enrolled = enroll(&app, &org, &org.employee, "emma-laptop").await;
    let agent = credential(&enrolled);
    upload_png(&app, &agent, app.now()).await;
    let id = enrolled["agent_id"].as_str().unwrap();
    let revoked = send(
        &app,
        &org.admin,
        Method::DELETE,
        &format!("/api/v1/agents/{id}"),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    let refused = upload_as(
        &app,
        &agent,
        Uuid::new_v4(),
        app.now(),
        "image/png",
        png(64, 40),
    )
    .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(app.stored_objects().len(), 2);
}

/// An agent cannot store screenshots faster than its policy takes them (one every
/// interval, with slack for jitter and a restart): a flood with made-up ids is refused
/// as `too_frequent`, while a backlog spread over its capture times is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_stores_screenshots_at_its_policys_pace() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "pace").await;
    company_policy(&app, &org, json!({"screenshot_interval_mins": 10})).await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let now = app.now();
    for _ in 0..3 {
        upload_png(&app, &agent, now).await;
    }
    let flood = upload_as(&app, &agent, Uuid::new_v4(), now, "image/png", png(64, 40)).await;
    assert_eq!(flood.status(), 422);
    let problem: Value = flood.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "captured_at");
    assert_eq!(problem["errors"][0]["code"], "too_frequent");
    // A day spooled while offline, one every ten minutes, is all stored.
    for minutes in (1..=24).map(|n| n * 10) {
        upload_png(&app, &agent, now - Duration::minutes(minutes)).await;
    }
    let stored = crate::common::scalar(&app, "SELECT count(*) FROM screenshots").await;
    assert_eq!(stored, 27);
}

/// A company stores screenshots up to its quota; past it uploads are refused (409)
/// and nothing is kept, until deleting frees room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_screenshot_store_refuses_uploads_until_room_is_freed() {
    let app = TestApp::spawn_with(|config| config.screenshot_quota_bytes = 1)
        .await
        .unwrap();
    let org = Org::create(&app, "quota").await;
    company_policy(&app, &org, json!({})).await;
    let agent = credential(&enroll(&app, &org, &org.employee, "emma-laptop").await);
    let now = app.now();
    let first = upload_png(&app, &agent, now - Duration::hours(1)).await;
    let refused = upload_as(&app, &agent, Uuid::new_v4(), now, "image/png", png(64, 40)).await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("storage is full"),
        "{problem}"
    );
    assert_eq!(app.stored_objects().len(), 2, "only the first one's files");
    let path = format!("/api/v1/screenshots/{}", first["id"].as_str().unwrap());
    assert_eq!(
        send(&app, &org.admin, Method::DELETE, &path, None)
            .await
            .status(),
        204
    );
    upload_png(&app, &agent, now).await;
}
