//! The audit trail: recorded with each change, filtered, exported, verified, and
//! append-only in the database itself.

use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::audit::{AuditEvent, AuditVerifyResponse};

use crate::common::{self, PASSWORD, get, json, login, signup};

async fn events(app: &TestApp, session: &common::Session, query: &str) -> Page<AuditEvent> {
    let response = get(app, session, &format!("/api/v1/audit-events{query}")).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_are_recorded_newest_first_and_filterable() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(login(&app, "ada@example.com", PASSWORD).await.status(), 200);
    }
    let all = events(&app, &owner, "").await;
    let actions: Vec<_> = all.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["auth.login", "auth.login", "auth.login", "company.created"]
    );
    assert_eq!(all.items[0].seq, 4);
    assert_eq!(all.items[3].actor_id, Some(owner.body.me.user.id.0));
    assert!(all.items[0].ip.as_deref() == Some("127.0.0.1"));

    let created = events(&app, &owner, "?action=company.created").await;
    assert_eq!(created.items.len(), 1);
    assert_eq!(created.items[0].summary["after"]["name"], "Acme");

    let first_page = events(&app, &owner, "?limit=3").await;
    assert_eq!(first_page.items.len(), 3);
    let cursor = first_page.next_cursor.unwrap();
    let second_page = events(&app, &owner, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(second_page.items.len(), 1);
    assert_eq!(second_page.items[0].action, "company.created");
    assert!(second_page.next_cursor.is_none());

    let future = events(&app, &owner, "?from=2999-01-01T00:00:00Z").await;
    assert!(future.items.is_empty());
    let bad = get(&app, &owner, "/api/v1/audit-events?limit=0").await;
    assert_eq!(bad.status(), 422);
    let unknown = get(&app, &owner, "/api/v1/audit-events?company_id=x").await;
    assert_eq!(unknown.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_follows_the_filter() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    login(&app, "ada@example.com", PASSWORD).await;
    let response = get(&app, &owner, "/api/v1/audit-events.csv?action=auth.login").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<_> = csv.lines().collect();
    assert!(lines[0].starts_with("seq,occurred_at,actor_kind"));
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].starts_with("2,") && lines[1].contains(",auth.login,"),
        "{csv}"
    );
}

/// The export streams page after page (a thousand rows a query): every row arrives,
/// newest first, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_export_streams_every_row_across_pages() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    // 2,345 more events after the company's first, written straight into the trail
    // (the export reads rows; the chain is verification's business).
    common::sql(
        &app,
        "INSERT INTO audit_events (company_id, seq, id, occurred_at, actor_kind, action,
                                   target_kind, summary, prev_hash, hash)
         SELECT first.company_id, 1 + n, gen_random_uuid(),
                first.occurred_at + n * interval '1 second', first.actor_kind,
                'auth.login', first.target_kind, jsonb_build_object('n', n), '', ''
           FROM generate_series(1, 2345) AS n,
                (SELECT * FROM audit_events WHERE seq = 1) AS first",
    )
    .await;
    let seqs = |csv: &str| -> Vec<i64> {
        csv.lines()
            .skip(1)
            .map(|line| line.split(',').next().unwrap().parse().unwrap())
            .collect()
    };

    let response = get(&app, &owner, "/api/v1/audit-events.csv").await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    assert!(csv.starts_with("seq,occurred_at,actor_kind"));
    assert_eq!(seqs(&csv), (1..=2346).rev().collect::<Vec<i64>>());

    let logins = get(&app, &owner, "/api/v1/audit-events.csv?action=auth.login").await;
    let csv = logins.text().await.unwrap();
    assert_eq!(seqs(&csv), (2..=2346).rev().collect::<Vec<i64>>());
    assert!(csv.contains(r#""{""n"":1000}""#), "a row's summary, quoted");
}

/// Verification walks a stretch of `limit` events per call; its cursor carries the
/// last hash proven, so a break in a later stretch is found, and so is a forged cursor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_goes_on_from_its_cursor_and_finds_a_later_break() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    for _ in 0..4 {
        login(&app, "ada@example.com", PASSWORD).await;
    }
    let verify = async |query: &str| -> AuditVerifyResponse {
        let response = get(&app, &owner, &format!("/api/v1/audit-events/verify{query}")).await;
        assert_eq!(response.status(), 200);
        json(response).await
    };
    let mut stretches = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let stretch = verify(&query).await;
        assert!(stretch.valid);
        stretches.push(stretch.checked);
        match stretch.next_cursor {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(stretches, [2, 2, 1]);

    let first = verify("?limit=2").await;
    let cursor = first.next_cursor.unwrap();
    let (seq, _) = cursor.split_once('.').unwrap();
    let forged = verify(&format!("?cursor={seq}.{}", "A".repeat(43))).await;
    assert!(!forged.valid);
    assert_eq!(forged.first_broken_seq, Some(3));

    common::sql(
        &app,
        "SET session_replication_role = replica; \
         UPDATE audit_events SET ip = '203.0.113.9' WHERE seq = 4; \
         SET session_replication_role = DEFAULT;",
    )
    .await;
    assert!(
        verify("?limit=2").await.valid,
        "the first stretch still holds"
    );
    let later = verify(&format!("?limit=2&cursor={cursor}")).await;
    assert!(!later.valid);
    assert_eq!(
        (later.first_broken_seq, later.checked, later.next_cursor),
        (Some(4), 2, None)
    );

    for query in ["?limit=0", "?limit=50001", "?cursor=3", "?cursor=x.AAAA"] {
        let refused = get(&app, &owner, &format!("/api/v1/audit-events/verify{query}")).await;
        assert_eq!(refused.status(), 422, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_a_row_is_found_and_pointed_at() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    for _ in 0..4 {
        login(&app, "ada@example.com", PASSWORD).await;
    }
    let verify = |app: &TestApp| {
        let owner = owner.clone();
        let app_url = app.url("/api/v1/audit-events/verify");
        let client = app.client().clone();
        async move {
            let response = client
                .get(app_url)
                .bearer_auth(&owner.access_token)
                .send()
                .await
                .unwrap();
            response.json::<AuditVerifyResponse>().await.unwrap()
        }
    };
    let intact = verify(&app).await;
    assert!(intact.valid);
    assert_eq!(intact.checked, 5);

    // The database refuses edits outright…
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    for statement in [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = conn.batch_execute(statement).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    // …so a tamperer must bypass the triggers as a superuser; the chain still tells.
    common::sql(
        &app,
        "SET session_replication_role = replica; \
         UPDATE audit_events SET ip = '203.0.113.9' WHERE seq = 3; \
         SET session_replication_role = DEFAULT;",
    )
    .await;
    let broken = verify(&app).await;
    assert!(!broken.valid);
    assert_eq!(broken.first_broken_seq, Some(3));
    assert_eq!(broken.checked, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_admins_read_the_trail() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    for (role, status) in [("admin", 200), ("manager", 403), ("employee", 403)] {
        common::sql(
            &app,
            &format!(
                "ALTER TABLE users DISABLE TRIGGER users_touch; UPDATE users SET role = '{role}'"
            ),
        )
        .await;
        for path in [
            "/api/v1/audit-events",
            "/api/v1/audit-events.csv",
            "/api/v1/audit-events/verify",
        ] {
            assert_eq!(
                get(&app, &owner, path).await.status(),
                status,
                "{role} {path}"
            );
        }
    }
}
