//! A person's data, theirs to see and to erase: exports (what the ZIP holds, and whose
//! data it never holds; who may ask and download; the limits) and erasure after the
//! deletion grace (personal data gone from every table and the object store, the audit
//! chain still verifying, the erasure audited, nothing erased early).

use std::io::Read;

use chrono::Duration;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use pulse_backend::db::audit::AuditRow;
use pulse_backend::db::schema::{audit_events, audit_heads};
use pulse_backend::domain::audit::{ChainedEvent, GENESIS, Personal, PersonalFields, event_hash};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::activity::ActivityRecord;
use pulse_shared::audit::{AuditEvent, AuditVerifyResponse};
use pulse_shared::ids::CompanyId;
use pulse_shared::people::Person;
use pulse_shared::privacy::{DataExport, DataExportListResponse, ExportStatus};
use pulse_shared::screenshots::{Screenshot, ScreenshotView};
use reqwest::Method;
use serde_json::json;

use crate::common::activity::{event, upload};
use crate::common::agents::enroll;
use crate::common::screenshots::upload_png;
use crate::common::{Org, Session, get, get_json, invite_and_join, json, post, scalar, send, sql};

/// Waits (up to 30 s) until the newest export at `path` is ready; answers it.
async fn ready(app: &TestApp, who: &Session, path: &str) -> DataExport {
    for _ in 0..300 {
        let list: DataExportListResponse = get_json(app, who, path).await;
        if let Some(newest) = <[DataExport]>::first(&list.items) {
            assert_ne!(newest.status, ExportStatus::Failed, "{newest:?}");
            if newest.status == ExportStatus::Ready {
                return newest.clone();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the export at {path} was not ready within 30 s");
}

/// The archive's entries: name → bytes.
fn entries(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut found = std::collections::BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        found.insert(file.name().to_owned(), content);
    }
    found
}

fn text(entries: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        entries
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_exports_everything_of_theirs_and_nothing_of_anyone_else() {
    let app = TestApp::spawn().await.unwrap();
    let (org, emma_pc) = Org::builder(&app, "export")
        .screenshots(json!({}))
        .with_employee_agent("emma-laptop")
        .await;
    let other = Org::builder(&app, "elsewhere")
        .screenshots(json!({}))
        .create()
        .await;
    let employee = org.employee.body.me.user.id;

    // Her activity and a screenshot; the owner opens it.
    let events = [
        event(&app, "Editor", 30, 600),
        event(&app, "Browser", 20, 300),
    ];
    assert_eq!(
        upload(&app, &emma_pc.credential, &events).await.status(),
        200
    );
    let shot: Screenshot =
        upload_png(&app, &emma_pc.credential, app.now() - Duration::minutes(5)).await;
    let opened = get(
        &app,
        &org.owner,
        &format!("/api/v1/screenshots/{}/image", shot.id),
    )
    .await;
    assert_eq!(opened.status(), 200);
    let image = opened.bytes().await.unwrap();
    // A colleague's and another company's activity, which must stay out.
    let olga_pc = enroll(&app, &org, &org.outsider, "olga-desktop").await;
    let theirs = [event(&app, "ColleagueSecretApp", 15, 120)];
    assert_eq!(
        upload(&app, &olga_pc.credential, &theirs).await.status(),
        200
    );
    let far_pc = enroll(&app, &other, &other.employee, "far-away").await;
    let far = [event(&app, "OtherCompanyApp", 15, 120)];
    assert_eq!(upload(&app, &far_pc.credential, &far).await.status(), 200);
    upload_png(&app, &far_pc.credential, app.now() - Duration::minutes(4)).await;

    let asked = post(&app, &org.employee, "/api/v1/me/export", &json!({})).await;
    assert_eq!(asked.status(), 202);
    assert!(asked.headers().contains_key("location"));
    let asked: DataExport = json(asked).await;
    assert_eq!(asked.user_id, employee);
    assert_eq!(asked.requested_by, Some(employee));
    assert!(asked.download_url.is_none());
    let export = ready(&app, &org.employee, "/api/v1/me/export").await;
    assert_eq!(export.id, asked.id);
    assert_eq!(export.progress, 100);
    assert_eq!(export.expires_at, asked.created_at + Duration::days(7));
    let url = export.download_url.clone().unwrap();

    let download = get(&app, &org.employee, &url).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/zip");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let bytes = download.bytes().await.unwrap();
    assert_eq!(Some(bytes.len() as i64), export.size_bytes);
    let files = entries(&bytes);
    for name in [
        "index.html",
        "profile.json",
        "profile.csv",
        "activity.json",
        "activity.csv",
        "sessions.json",
        "sessions.csv",
        "screenshots.json",
        "screenshots.csv",
        "screenshot_views.json",
        "screenshot_views.csv",
        "audit_events.json",
        "audit_events.csv",
    ] {
        assert!(
            files.contains_key(name),
            "{name} missing: {:?}",
            files.keys()
        );
    }

    let profile: Person = serde_json::from_str(&text(&files, "profile.json")).unwrap();
    assert_eq!(profile.id, employee);
    assert_eq!(profile.email, "employee@export.test");
    let activity: Vec<ActivityRecord> =
        serde_json::from_str(&text(&files, "activity.json")).unwrap();
    let mut apps: Vec<_> = activity.iter().map(|record| record.app.as_str()).collect();
    apps.sort_unstable();
    assert_eq!(apps, ["Browser", "Editor"]);
    assert!(activity.iter().all(|record| record.user_id == employee));
    let csv = text(&files, "activity.csv");
    assert_eq!(csv.lines().count(), 3, "a header and two events: {csv}");
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .starts_with("id,agent_id,app,title")
    );
    let sessions: Vec<serde_json::Value> =
        serde_json::from_str(&text(&files, "sessions.json")).unwrap();
    assert!(!sessions.is_empty(), "the events made a session");

    let shots: Vec<serde_json::Value> =
        serde_json::from_str(&text(&files, "screenshots.json")).unwrap();
    assert_eq!(shots.len(), 1);
    assert_eq!(shots[0]["id"], json!(shot.id));
    let image_file = shots[0]["image_file"].as_str().unwrap();
    assert_eq!(files[image_file], image.to_vec(), "the image as stored");
    let views: Vec<ScreenshotView> =
        serde_json::from_str(&text(&files, "screenshot_views.json")).unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].viewer_id, org.owner.body.me.user.id);
    assert_eq!(views[0].viewer_name, "Ada Owner");
    let audit: Vec<AuditEvent> = serde_json::from_str(&text(&files, "audit_events.json")).unwrap();
    assert!(
        audit
            .iter()
            .any(|event| event.action == "personal_data.export_requested")
    );
    assert!(audit.iter().all(|event| {
        [event.actor_id, event.target_id].contains(&Some(employee.0))
            || event.target_id == Some(emma_pc.agent_id.0)
            || event.actor_id == Some(emma_pc.agent_id.0)
            || event.summary.to_string().contains("employee@export.test")
    }));

    let index = text(&files, "index.html");
    assert!(index.contains("employee@export.test"));
    for link in [
        "activity.json",
        "activity.csv",
        "screenshots.csv",
        image_file,
    ] {
        assert!(
            index.contains(&format!("href=\"{link}\"")),
            "{link}: {index}"
        );
    }

    // Nothing of a colleague's or another company's, in any file.
    let colleague = org.outsider.body.me.user.id.to_string();
    for (name, content) in &files {
        let content = String::from_utf8_lossy(content);
        for secret in [
            "ColleagueSecretApp",
            "OtherCompanyApp",
            "outsider@export.test",
            colleague.as_str(),
            "elsewhere.test",
        ] {
            assert!(!content.contains(secret), "{name} holds {secret}");
        }
    }

    // Asking and downloading are in the audit trail.
    for action in [
        "personal_data.export_requested",
        "personal_data.export_downloaded",
    ] {
        let trail: Page<AuditEvent> = get_json(
            &app,
            &org.owner,
            &format!("/api/v1/audit-events?action={action}"),
        )
        .await;
        assert_eq!(trail.items.len(), 1, "{action}");
        assert_eq!(trail.items[0].actor_id, Some(employee.0));
        assert_eq!(trail.items[0].target_id, Some(export.id.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_person_and_owners_and_admins_reach_an_export() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "reach").await;
    let stranger = Org::create(&app, "stranger").await;
    let employee = org.employee.body.me.user.id;
    let of_employee = format!("/api/v1/people/{employee}/export");
    let of_outsider = format!("/api/v1/people/{}/export", org.outsider.body.me.user.id);

    // An employee cannot ask for, or list, anyone else's; nor can their manager, nor
    // another company's owner.
    assert_eq!(
        post(&app, &org.employee, &of_outsider, &json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(get(&app, &org.employee, &of_outsider).await.status(), 404);
    assert_eq!(
        post(&app, &org.manager, &of_employee, &json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(
        post(&app, &stranger.owner, &of_employee, &json!({}))
            .await
            .status(),
        404
    );

    // One in the making at a time, whoever asks: while a build of hers runs (held by a
    // lease no worker takes over), neither she nor an admin may ask again, and there is
    // nothing to download yet.
    let building = uuid::Uuid::now_v7();
    sql(
        &app,
        &format!(
            "INSERT INTO data_exports (company_id, id, user_id, status, progress, lease_until,
                                       created_at, expires_at)
             SELECT company_id, '{building}', id, 'running', 40, now() + interval '1 hour',
                    now(), now() + interval '7 days'
               FROM users WHERE id = '{employee}'"
        ),
    )
    .await;
    for (who, path) in [
        (&org.employee, "/api/v1/me/export"),
        (&org.admin, of_employee.as_str()),
    ] {
        assert_eq!(post(&app, who, path, &json!({})).await.status(), 409);
    }
    let running: DataExport =
        get_json(&app, &org.employee, &format!("/api/v1/exports/{building}")).await;
    assert_eq!(
        (running.status, running.progress),
        (ExportStatus::Running, 40)
    );
    let early = format!("/api/v1/exports/{building}/download");
    assert_eq!(get(&app, &org.employee, &early).await.status(), 409);
    sql(
        &app,
        &format!("DELETE FROM data_exports WHERE id = '{building}'"),
    )
    .await;

    // An admin may ask; the worker, woken by the request, builds it.
    let asked = post(&app, &org.admin, &of_employee, &json!({})).await;
    assert_eq!(asked.status(), 202);
    let asked: DataExport = json(asked).await;
    assert_eq!(asked.requested_by, Some(org.admin.body.me.user.id));
    let built = ready(&app, &org.employee, "/api/v1/me/export").await;
    assert_eq!(built.id, asked.id);
    let one = format!("/api/v1/exports/{}", asked.id);
    let download = format!("{one}/download");
    let db = app.db().unwrap();
    let store = app.store().unwrap();

    // The person sees the export an admin asked for; the owner too; nobody else.
    let mine: DataExportListResponse = get_json(&app, &org.employee, "/api/v1/me/export").await;
    assert_eq!(mine.items.len(), 1);
    for (who, status) in [
        (&org.employee, 200),
        (&org.owner, 200),
        (&org.api_key, 200),
        (&org.manager, 404),
        (&org.outsider, 404),
        (&stranger.owner, 404),
    ] {
        assert_eq!(get(&app, who, &one).await.status(), status);
        assert_eq!(get(&app, who, &download).await.status(), status);
    }

    // Three a day per person, then 429 with Retry-After.
    assert_eq!(
        post(&app, &org.employee, "/api/v1/me/export", &json!({}))
            .await
            .status(),
        202
    );
    ready(&app, &org.employee, "/api/v1/me/export").await;
    assert_eq!(
        post(&app, &org.owner, &of_employee, &json!({}))
            .await
            .status(),
        202
    );
    ready(&app, &org.employee, "/api/v1/me/export").await;
    let fourth = post(&app, &org.employee, "/api/v1/me/export", &json!({})).await;
    assert_eq!(fourth.status(), 429);
    assert!(fourth.headers().contains_key("retry-after"));

    // After a week the exports expire: gone from the API and, object too, from the store.
    let keys = |app: &TestApp| {
        app.stored_objects()
            .into_iter()
            .filter(|key| key.starts_with("exports/"))
            .count()
    };
    assert_eq!(keys(&app), 3);
    let week = app.now() + Duration::days(7) + Duration::minutes(1);
    pulse_backend::worker::exports::round(&db, &store, week)
        .await
        .unwrap();
    pulse_backend::worker::retention::screenshots_round(&db, &store, week)
        .await
        .unwrap();
    assert_eq!(scalar(&app, "SELECT count(*) FROM data_exports").await, 0);
    assert_eq!(keys(&app), 0);
}

/// Counts the rows of every table whose text spells `needle` (any case).
async fn rows_naming(app: &TestApp, needle: &str) -> i64 {
    sql(
        app,
        "CREATE OR REPLACE FUNCTION test_rows_naming(needle text) RETURNS bigint
         LANGUAGE plpgsql AS $$
         DECLARE t record; n bigint; total bigint := 0;
         BEGIN
           FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
                     WHERE s.nspname = 'public' AND c.relkind = 'r' LOOP
             EXECUTE format('SELECT count(*) FROM %I x WHERE strpos(lower(x::text), lower($1)) > 0',
                            t.relname) INTO n USING needle;
             total := total + n;
           END LOOP;
           RETURN total;
         END $$",
    )
    .await;
    scalar(app, &format!("SELECT test_rows_naming('{needle}')")).await
}

async fn chain_verifies(app: &TestApp, owner: &Session) -> bool {
    let verified: AuditVerifyResponse = get_json(app, owner, "/api/v1/audit-events/verify").await;
    verified.valid && verified.next_cursor.is_none()
}

/// Rewrites `company`'s whole chain in the first form (the hash over the personal
/// fields themselves, no digest), as a chain written before the second form existed.
async fn rewrite_as_first_form(app: &TestApp, company: CompanyId) {
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    conn.batch_execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        .await
        .unwrap();
    let rows: Vec<AuditRow> = audit_events::table
        .filter(audit_events::company_id.eq(company))
        .order(audit_events::seq.asc())
        .select(AuditRow::as_select())
        .load(&mut conn)
        .await
        .unwrap();
    let mut prev = GENESIS.to_vec();
    for row in rows {
        let hash = event_hash(
            &prev,
            &ChainedEvent {
                company_id: company.0,
                seq: row.seq,
                id: row.id.0,
                occurred_at: row.occurred_at,
                actor_kind: row.actor_kind,
                actor_id: row.actor_id,
                action: row.action,
                target_kind: row.target_kind,
                target_id: row.target_id,
                personal: Personal::Inline(PersonalFields {
                    summary: &row.summary,
                    ip: row.ip.as_deref(),
                    user_agent: row.user_agent.as_deref(),
                }),
            },
        )
        .to_vec();
        diesel::update(audit_events::table.find((company.0, row.seq)))
            .set((
                audit_events::prev_hash.eq(&prev),
                audit_events::hash.eq(&hash),
                audit_events::personal_digest.eq(None::<Vec<u8>>),
                audit_events::personal_salt.eq(None::<Vec<u8>>),
            ))
            .execute(&mut conn)
            .await
            .unwrap();
        prev = hash;
    }
    diesel::update(audit_heads::table.find(company.0))
        .set(audit_heads::hash.eq(&prev))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.batch_execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_after_the_grace_removes_a_person_everywhere_and_the_chain_still_verifies() {
    for first_form in [false, true] {
        erase_one(first_form).await;
    }
}

/// The erasure journey; with `first_form`, the company's chain up to the deletion is
/// of the first form, as events written before this version were.
async fn erase_one(first_form: bool) {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::builder(&app, "erase")
        .screenshots(json!({}))
        .create()
        .await;
    let company = org.owner.body.me.company.id;
    let emma = invite_and_join(
        &app,
        &org.owner,
        "emma.stone@erase.test",
        "employee",
        Some(&org.team_a),
    )
    .await;
    let emma_id = emma.body.me.user.id;
    let pc = enroll(&app, &org, &emma, "emma-laptop").await;
    let events = [
        event(&app, "Editor", 30, 600),
        event(&app, "Browser", 20, 300),
    ];
    assert_eq!(upload(&app, &pc.credential, &events).await.status(), 200);
    let shot = upload_png(&app, &pc.credential, app.now() - Duration::minutes(5)).await;
    let image = format!("/api/v1/screenshots/{}/image", shot.id);
    assert_eq!(get(&app, &org.owner, &image).await.status(), 200);
    // She changes her password (an event by her, from her address and browser), and
    // takes an export (an archive in the store).
    let changed = post(
        &app,
        &emma,
        "/api/v1/me/password",
        &json!({"current_password": crate::common::PASSWORD, "new_password": "a new long passphrase"}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let emma = crate::common::session_from(changed).await;
    assert_eq!(
        post(&app, &emma, "/api/v1/me/export", &json!({}))
            .await
            .status(),
        202
    );
    ready(&app, &emma, "/api/v1/me/export").await;
    pulse_backend::worker::sessions::round(&app.db().unwrap(), app.now())
        .await
        .unwrap();

    let hers = |app: &TestApp| {
        app.stored_objects()
            .into_iter()
            .filter(|key| key.contains(&emma_id.to_string()))
            .count()
    };
    assert_eq!(hers(&app), 3, "an image, its thumbnail and the export");
    let about_her = format!(
        "SELECT count(*) FROM audit_events WHERE actor_id = '{emma_id}' OR target_id = '{emma_id}'"
    );
    let events_about_her = scalar(&app, &about_her).await;
    assert!(events_about_her >= 3, "{events_about_her}");

    let deleted = send(
        &app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/people/{emma_id}"),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    if first_form {
        rewrite_as_first_form(&app, company).await;
    }
    assert!(chain_verifies(&app, &org.owner).await);

    // Within the grace period nothing goes.
    let db = app.db().unwrap();
    let store = app.store().unwrap();
    let grace = app.config.deletion_grace;
    let early = app.now() + grace - Duration::minutes(1);
    let erased = pulse_backend::worker::retention::purge_deleted_people(&db, early - grace, early)
        .await
        .unwrap();
    assert_eq!(erased, 0);
    assert!(rows_naming(&app, "emma.stone@erase.test").await > 0);
    assert_eq!(hers(&app), 3);

    // After it, everything of hers goes, the objects too.
    let later = app.now() + grace + Duration::minutes(1);
    let erased = pulse_backend::worker::retention::purge_deleted_people(&db, later - grace, later)
        .await
        .unwrap();
    assert_eq!(erased, 1);
    pulse_backend::worker::retention::screenshots_round(&db, &store, later)
        .await
        .unwrap();
    assert_eq!(hers(&app), 0, "{:?}", app.stored_objects());
    assert_eq!(
        rows_naming(&app, "emma.stone").await,
        0,
        "her name and address"
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM users WHERE id = '{emma_id}'")
        )
        .await,
        0
    );
    for table in [
        "activity_events",
        "work_sessions",
        "activity_hours",
        "activity_days",
        "screenshots",
        "agents",
        "refresh_tokens",
        "data_exports",
    ] {
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT count(*) FROM {table} WHERE user_id = '{emma_id}'")
            )
            .await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT count(*) FROM screenshot_views WHERE subject_id = '{emma_id}'")
        )
        .await,
        0
    );

    // Her audit events are still there, pseudonymised: no address or browser of hers.
    // With the deletion's event and the erasure's.
    assert_eq!(scalar(&app, &about_her).await, events_about_her + 2);
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT count(*) FROM audit_events WHERE actor_id = '{emma_id}'
                   AND (ip IS NOT NULL OR user_agent IS NOT NULL)"
            )
        )
        .await,
        0
    );
    assert!(
        chain_verifies(&app, &org.owner).await,
        "the chain still verifies"
    );

    // The erasure is itself audited, by the system.
    let trail: Page<AuditEvent> =
        get_json(&app, &org.owner, "/api/v1/audit-events?action=user.erased").await;
    assert_eq!(trail.items.len(), 1);
    let erasure = &trail.items[0];
    assert_eq!(erasure.target_id, Some(emma_id.0));
    assert_eq!(erasure.actor_id, None);
    let pseudonym = format!("Erased person {}", &emma_id.to_string()[..8]);
    assert_eq!(erasure.summary["pseudonym"], json!(pseudonym));
    let pseudonymised = erasure.summary["pseudonymised_events"].as_i64().unwrap();
    assert!(pseudonymised > events_about_her, "{pseudonymised}");

    // Tampering with a pseudonymised event is still caught where the chain covers it.
    sql(
        &app,
        &format!(
            "ALTER TABLE audit_events DISABLE TRIGGER USER;
             UPDATE audit_events SET action = 'user.updated'
              WHERE target_id = '{emma_id}' AND action = 'user.deleted';
             ALTER TABLE audit_events ENABLE TRIGGER USER;"
        ),
    )
    .await;
    let verified: AuditVerifyResponse =
        get_json(&app, &org.owner, "/api/v1/audit-events/verify").await;
    assert_eq!(
        verified.valid, first_form,
        "a first-form event keeps only its links"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_refuse_every_change_but_erasure() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "sealed").await;
    let company = org.owner.body.me.company.id;
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    // Without the erasure's setting, even the personal fields stay.
    let refused = conn
        .batch_execute(&format!(
            "UPDATE audit_events SET summary = '{{}}', personal_salt = NULL
              WHERE company_id = '{company}' AND seq = 1"
        ))
        .await;
    assert!(refused.is_err());
    // With it, a hashed field still cannot change.
    let refused = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            conn.batch_execute(&format!(
                "SET LOCAL pulse.audit_pseudonymise = 'on';
                 UPDATE audit_events SET action = 'user.updated', personal_salt = NULL
                  WHERE company_id = '{company}' AND seq = 1"
            ))
            .await
        })
        .await;
    assert!(refused.is_err());
    assert!(chain_verifies(&app, &org.owner).await);
}
