//! Row-level security: the database's own wall between companies, under every query
//! the server makes for a request, whatever filter the query forgets.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_backend::db::people;
use pulse_backend::testing::TestApp;
use pulse_shared::ids::CompanyId;

use crate::common::Org;

/// Tables a request's role may reach that hold no company's rows: the plans on offer,
/// rate-limit counters (keyed by hashes) and the record of migrations.
const SHARED: &[&str] = &["__diesel_schema_migrations", "plans", "rate_limits"];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

async fn count(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    diesel::sql_query(format!("SELECT count(*) AS n FROM ({query}) AS counted"))
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|error| panic!("{query}: {error}"))
        .n
}

async fn names(conn: &mut AsyncPgConnection, query: &str) -> Vec<String> {
    diesel::sql_query(query)
        .load::<Name>(conn)
        .await
        .unwrap_or_else(|error| panic!("{query}: {error}"))
        .into_iter()
        .map(|row| row.name)
        .collect()
}

/// The tables of the schema that hold a `company_id`, partitions left out.
const TENANT_TABLES: &str = "
    SELECT c.relname::text AS name
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'company_id' AND NOT a.attisdropped)
    ORDER BY 1";

async fn company_of(conn: &mut AsyncPgConnection, email: &str) -> CompanyId {
    people::user_by_email(conn, email)
        .await
        .unwrap()
        .expect("the owner exists")
        .company_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_without_its_company_filter_sees_and_changes_only_its_company() {
    let app = TestApp::spawn().await.unwrap();
    Org::create(&app, "a-corp").await;
    Org::create(&app, "b-corp").await;
    let db = app.db().unwrap();
    let mut all = db.system().await.unwrap();
    let a = company_of(&mut all, "owner@a-corp.test").await;
    let b = company_of(&mut all, "owner@b-corp.test").await;
    let mut tenant = db.tenant(a).await.unwrap();

    let tables = names(&mut all, TENANT_TABLES).await;
    assert!(tables.len() >= 30, "{tables:?}");
    let mut with_both = Vec::new();
    for table in &tables {
        let own = count(
            &mut all,
            &format!("SELECT 1 FROM {table} WHERE company_id = '{}'", a.0),
        )
        .await;
        let total = count(&mut all, &format!("SELECT 1 FROM {table}")).await;
        let seen = count(&mut tenant, &format!("SELECT 1 FROM {table}")).await;
        assert_eq!(
            seen, own,
            "{table}: {seen} rows seen, {own} of the company's own"
        );
        if own > 0 && total > own {
            with_both.push(table.as_str());
        }
    }
    // The check above means something only where both companies have rows.
    for table in [
        "users",
        "teams",
        "invitations",
        "api_keys",
        "audit_events",
        "refresh_tokens",
    ] {
        assert!(
            with_both.contains(&table),
            "{table} holds rows of both: {with_both:?}"
        );
    }
    assert_eq!(count(&mut tenant, "SELECT 1 FROM companies").await, 1);

    // Writes: an unfiltered update reaches only the company's own rows, and a row of
    // another company cannot be written at all.
    let own_people = count(
        &mut all,
        &format!("SELECT 1 FROM users WHERE company_id = '{}'", a.0),
    )
    .await;
    let updated = diesel::sql_query("UPDATE users SET updated_at = updated_at")
        .execute(&mut tenant)
        .await
        .unwrap();
    assert_eq!(updated as i64, own_people);
    let refused = diesel::sql_query(
        "INSERT INTO teams (company_id, id, name) VALUES ($1, gen_random_uuid(), 'Planted')",
    )
    .bind::<SqlUuid, _>(b.0)
    .execute(&mut tenant)
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("row-level security"),
        "{refused}"
    );
    let moved = diesel::sql_query("UPDATE teams SET company_id = $1")
        .bind::<SqlUuid, _>(b.0)
        .execute(&mut tenant)
        .await;
    assert!(moved.is_err(), "rows cannot be handed to another company");
    drop(tenant);

    // The same pooled connection, lent for B, now sees B's rows and none of A's.
    let mut for_b = db.tenant(b).await.unwrap();
    let own_teams = count(
        &mut all,
        &format!("SELECT 1 FROM teams WHERE company_id = '{}'", b.0),
    )
    .await;
    assert_eq!(count(&mut for_b, "SELECT 1 FROM teams").await, own_teams);
    assert_eq!(
        count(
            &mut for_b,
            &format!("SELECT 1 FROM teams WHERE company_id = '{}'", a.0)
        )
        .await,
        0
    );

    // The requests' role with no company set sees no company's rows at all.
    let mut bare = AsyncPgConnection::establish(&app.config.app_database_url)
        .await
        .unwrap();
    for table in ["users", "companies", "audit_events", "activity_events"] {
        assert_eq!(count(&mut bare, &format!("SELECT 1 FROM {table}")).await, 0);
    }
}

#[derive(QueryableByName)]
struct RoleFacts {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    superuser: bool,
    #[diesel(sql_type = Bool)]
    bypasses: bool,
    #[diesel(sql_type = BigInt)]
    owns: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_a_request_can_reach_is_behind_the_wall() {
    let app = TestApp::spawn().await.unwrap();
    let db = app.db().unwrap();
    let mut all = db.system().await.unwrap();

    // Requests act as a role that is neither a superuser, nor exempt from the
    // policies, nor the owner of anything.
    let company = CompanyId(uuid::Uuid::now_v7());
    let mut tenant = db.tenant(company).await.unwrap();
    let facts: RoleFacts = diesel::sql_query(
        "SELECT current_user::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypasses,
                (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) AS owns
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .get_result(&mut tenant)
    .await
    .unwrap();
    assert_eq!(facts.name, "pulse_app");
    assert!(
        !facts.superuser && !facts.bypasses,
        "pulse_app is exempt from nothing"
    );
    assert_eq!(facts.owns, 0, "pulse_app owns no table");

    // Every table the role may touch is protected, forced and has the company policy,
    // or holds no company's rows.
    let exposed = names(
        &mut all,
        "SELECT c.relname::text AS name
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND has_table_privilege('pulse_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
           AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                    AND EXISTS (SELECT 1 FROM pg_policy p
                                WHERE p.polrelid = c.oid AND p.polname = 'tenant'))
         ORDER BY 1",
    )
    .await;
    assert_eq!(exposed, SHARED, "tables open to requests without the wall");

    // Partitions are reached only through their table, whose policies apply.
    let partitions = names(
        &mut all,
        "SELECT c.relname::text AS name FROM pg_class c
         WHERE c.relispartition
           AND has_table_privilege('pulse_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')",
    )
    .await;
    assert_eq!(partitions, Vec::<String>::new());

    // And every table of a company has its policy, reachable or not.
    let unprotected = names(
        &mut all,
        &format!(
            "SELECT name FROM ({TENANT_TABLES}) AS t
             WHERE NOT EXISTS (SELECT 1 FROM pg_policy p
                               WHERE p.polrelid = t.name::regclass AND p.polname = 'tenant')"
        ),
    )
    .await;
    assert_eq!(unprotected, Vec::<String>::new());
}
