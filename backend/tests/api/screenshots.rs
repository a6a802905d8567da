//! Screenshots: uploads of each format and of things that are not screenshots, blur by
//! policy, who sees which, the view log, deletion by role and policy, and retention.

use chrono::{DateTime, Duration, Utc};
use image::{ImageFormat, RgbImage};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::audit::{AuditEvent, AuditVerifyResponse};
use pulse_shared::people::Role;
use pulse_shared::screenshots::{ImageFormat as Stored, Screenshot, ScreenshotView};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::agents::enroll;
use crate::common::fixtures::{company_policy, employee_policy};
use crate::common::screenshots::{checkerboard, encoded, png, upload_as, upload_png};
use crate::common::{Org, Session, fields, get, get_json, json, scalar, send};

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

async fn items(response: reqwest::Response) -> Vec<Screenshot> {
    assert_eq!(response.status(), 200);
    json::<Page<Screenshot>>(response).await.items
}

/// The screenshot views shown to `who` (`/me/screenshot-views`, with `query`).
async fn views_of_mine(app: &TestApp, who: &Session, query: &str) -> Page<ScreenshotView> {
    get_json(app, who, &format!("/api/v1/me/screenshot-views{query}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn png_jpeg_and_webp_are_stored_with_a_thumbnail_and_a_resend_stores_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "formats")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
    let now = app.now();
    let board = checkerboard(800, 500);
    let mut ids = Vec::new();
    for (format, content_type, name, stored_as) in [
        (ImageFormat::Png, "image/png", "png", Stored::Png),
        (ImageFormat::Jpeg, "image/jpeg", "jpeg", Stored::Jpeg),
        (ImageFormat::WebP, "image/webp", "webp", Stored::Webp),
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
        let shot: Screenshot = json(stored).await;
        assert_eq!(shot.format, stored_as, "{name}");
        assert_eq!((shot.width, shot.height), (800, 500));
        assert_eq!(shot.bytes, bytes.len() as i64);
        assert!(!shot.blurred);
        assert_eq!(shot.user_id, org.employee.body.me.user.id);
        let id = shot.id.to_string();

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
        assert_eq!(json::<Screenshot>(again).await.id.to_string(), id);
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
    let (org, enrolled) = Org::builder(&app, "refusals")
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
    let now = app.now();

    // New companies start with screenshots off: the agent is told to drop it.
    let off = upload_as(&app, &agent, Uuid::new_v4(), now, "image/png", png(64, 40)).await;
    assert_eq!(off.status(), 403);
    assert!(off.text().await.unwrap().contains("screenshots off"));
    company_policy(&app, &org, json!({})).await;

    // The problems are read as JSON: their shape is what agents parse.
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
    let org = Org::builder(&app, "blur")
        .screenshots(json!({}))
        .create()
        .await;
    employee_policy(&app, &org, &org.employee, json!({"blur_screenshots": true})).await;
    let agent = enroll(&app, &org, &org.employee, "emma-laptop")
        .await
        .credential;
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
    let shot: Screenshot = json(response).await;
    assert!(shot.blurred);
    let id = shot.id;
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
    let (org, emma) = Org::builder(&app, "reach")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let emma = emma.credential;
    let otto = enroll(&app, &org, &org.outsider, "otto-laptop")
        .await
        .credential;
    let now = app.now();
    let mut emmas = Vec::new();
    for minutes in [30, 20, 10] {
        emmas.push(upload_png(&app, &emma, now - Duration::minutes(minutes)).await);
    }
    let ottos = upload_png(&app, &otto, now).await;
    let employee = org.employee.body.me.user.id.to_string();
    let outsider = org.outsider.body.me.user.id.to_string();
    let ottos_id = ottos.id;

    // Newest first, a page at a time.
    let first: Page<Screenshot> = get_json(
        &app,
        &org.employee,
        &format!("/api/v1/screenshots?{}&limit=2", day_around(now)),
    )
    .await;
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].id, emmas[2].id);
    assert_eq!(first.items[1].id, emmas[1].id);
    let cursor = first.next_cursor.unwrap();
    let second: Page<Screenshot> = get_json(
        &app,
        &org.employee,
        &format!(
            "/api/v1/screenshots?{}&limit=2&cursor={cursor}",
            day_around(now)
        ),
    )
    .await;
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].id, emmas[0].id);
    assert!(second.next_cursor.is_none());

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
    let (org, enrolled) = Org::builder(&app, "views")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let shot = upload_png(&app, &enrolled.credential, app.now()).await;
    let id = shot.id;
    let image = format!("/api/v1/screenshots/{id}/image");
    let thumbnail = format!("/api/v1/screenshots/{id}/thumbnail");

    // Their own look, and a manager's thumbnail, are not recorded.
    assert_eq!(get(&app, &org.employee, &image).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &thumbnail).await.status(), 200);
    let mine = views_of_mine(&app, &org.employee, "").await;
    assert_eq!(mine.items, []);

    // The admin opens it twice, the manager once: three views, newest first.
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &image).await.status(), 200);
    let mine = views_of_mine(&app, &org.employee, "?limit=2").await;
    let seen = &mine.items;
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].viewer_id, org.manager.body.me.user.id);
    assert_eq!(seen[0].viewer_role, Role::Manager);
    assert_eq!(seen[0].screenshot_id, id);
    assert_eq!(seen[1].viewer_id, org.admin.body.me.user.id);
    assert_eq!(seen[1].viewer_name, "admin");
    assert_eq!(seen[1].viewer_role, Role::Admin);
    let rest = views_of_mine(
        &app,
        &org.employee,
        &format!("?limit=2&cursor={}", mine.next_cursor.unwrap()),
    )
    .await;
    assert_eq!(rest.items.len(), 1);
    // Nobody else's list holds them.
    assert_eq!(views_of_mine(&app, &org.admin, "").await.items, []);

    // Per screenshot: its subject and admins see the views; the manager does not.
    let views = format!("/api/v1/screenshots/{id}/views");
    let for_subject: Vec<ScreenshotView> = get_json(&app, &org.employee, &views).await;
    assert_eq!(for_subject.len(), 3);
    assert_eq!(get(&app, &org.owner, &views).await.status(), 200);
    assert_eq!(get(&app, &org.manager, &views).await.status(), 403);
    assert_eq!(get(&app, &org.outsider, &views).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_follows_the_role_and_the_policy_and_is_audited() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "deletion")
        .screenshots(json!({"employees_may_delete_screenshots": false}))
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
    let now = app.now();
    let kept = upload_png(&app, &agent, now - Duration::minutes(2)).await;
    let doomed = upload_png(&app, &agent, now - Duration::minutes(1)).await;
    let kept_id = kept.id.to_string();
    let doomed_id = doomed.id.to_string();
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
    assert!(listed.iter().all(|shot| !shot.deletable));
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
    assert!(for_admin.iter().all(|shot| shot.deletable));

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
            .all(|s| s.deletable)
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
    assert!(objects.iter().all(|o| o.contains(&kept_id)), "{objects:?}");
    assert_eq!(views_of_mine(&app, &org.employee, "").await.items, []);
    let remaining = items(list(&app, &org.employee, None, now).await).await;
    assert_eq!(remaining.len(), 1);

    // An admin deletes anyone's, whatever the policy.
    assert_eq!(delete(org.admin.clone(), kept_id.to_owned()).await, 204);
    assert!(app.stored_objects().is_empty());

    let audit: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=screenshot.deleted",
    )
    .await;
    let events = &audit.items;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].target_id.map(|id| id.to_string()),
        Some(doomed_id)
    );
    assert_eq!(
        events[1].actor_id.map(|id| id.to_string()),
        Some(employee.clone())
    );
    // The summary is free-form JSON: what changed, as the audit trail keeps it.
    assert_eq!(events[1].summary["before"]["user_id"], employee.as_str());
    assert_eq!(events[0].actor_id, Some(org.admin.body.me.user.id.0));
    let verified: AuditVerifyResponse =
        get_json(&app, &org.owner, "/api/v1/audit-events/verify").await;
    assert!(verified.valid, "{verified:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_removes_old_screenshots_with_their_files_and_views() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::builder(&app, "retention")
        .screenshots(json!({}))
        .create()
        .await;
    employee_policy(
        &app,
        &org,
        &org.employee,
        json!({"screenshot_retention_days": 5}),
    )
    .await;
    let emma = enroll(&app, &org, &org.employee, "emma-laptop")
        .await
        .credential;
    let otto = enroll(&app, &org, &org.outsider, "otto-laptop")
        .await
        .credential;
    let now = app.now();
    let old = upload_png(&app, &emma, now - Duration::days(10)).await;
    let recent = upload_png(&app, &emma, now - Duration::hours(1)).await;
    let ottos_old = upload_png(&app, &otto, now - Duration::days(10)).await;
    let old_id = old.id.to_string();
    let image = format!("/api/v1/screenshots/{old_id}/image");
    assert_eq!(get(&app, &org.admin, &image).await.status(), 200);
    assert_eq!(app.stored_objects().len(), 6);

    let db = app.db().unwrap();
    let store = app.store().unwrap();
    // Lowering the employee's retention from 30 days to 5 deletes nothing during the
    // grace period: the old retention holds.
    let round = pulse_backend::worker::retention::screenshots_round(&db, &store, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (0, 0));
    let grace_ended = now + app.config.deletion_grace;
    assert_eq!(
        pulse_backend::worker::retention::purge_retention_holds(&db, grace_ended)
            .await
            .unwrap(),
        1
    );
    // Once it has ended: only the employee's 10-day-old one is past their 5 days; the
    // outsider keeps 30.
    let round = pulse_backend::worker::retention::screenshots_round(&db, &store, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (1, 2));
    assert_eq!(get(&app, &org.admin, &image).await.status(), 404);
    let objects = app.stored_objects();
    assert_eq!(objects.len(), 4, "{objects:?}");
    assert!(!objects.iter().any(|o| o.contains(&old_id)), "{objects:?}");
    assert_eq!(
        views_of_mine(&app, &org.employee, "").await.items,
        [],
        "its views went with it"
    );
    let path = format!("/api/v1/screenshots/{}/image", recent.id);
    assert_eq!(get(&app, &org.admin, &path).await.status(), 200);
    let path = format!("/api/v1/screenshots/{}/image", ottos_old.id);
    assert_eq!(get(&app, &org.admin, &path).await.status(), 200);

    // Forty days on, everything has aged out.
    let later = now + Duration::days(40);
    let round = pulse_backend::worker::retention::screenshots_round(&db, &store, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((round.screenshots, round.objects), (2, 4));
    assert!(
        app.stored_objects().is_empty(),
        "{:?}",
        app.stored_objects()
    );
    let again = pulse_backend::worker::retention::screenshots_round(&db, &store, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.screenshots, again.objects), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_agent_uploads_nothing() {
    let app = TestApp::spawn().await.unwrap();
    let (org, enrolled) = Org::builder(&app, "revoked")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
    upload_png(&app, &agent, app.now()).await;
    let id = enrolled.agent_id;
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
    let (_, enrolled) = Org::builder(&app, "pace")
        .screenshots(json!({"screenshot_interval_mins": 10}))
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
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
    let stored = scalar(&app, "SELECT count(*) FROM screenshots").await;
    assert_eq!(stored, 27);
}

/// A company stores screenshots up to its quota; past it uploads are refused (409)
/// and nothing is kept, until deleting frees room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_screenshot_store_refuses_uploads_until_room_is_freed() {
    let app = TestApp::spawn_with(|config| config.screenshot_quota_bytes = 1)
        .await
        .unwrap();
    let (org, enrolled) = Org::builder(&app, "quota")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let agent = enrolled.credential;
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
    let path = format!("/api/v1/screenshots/{}", first.id);
    assert_eq!(
        send(&app, &org.admin, Method::DELETE, &path, None)
            .await
            .status(),
        204
    );
    upload_png(&app, &agent, now).await;
}
