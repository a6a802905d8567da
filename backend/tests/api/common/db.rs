//! SQL on the test's database, for set-ups the API cannot make and for counts.

use pulse_backend::testing::TestApp;

/// Runs SQL on the test's database as its owner.
pub async fn sql(app: &TestApp, statement: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    conn.batch_execute(statement).await.unwrap();
}

/// The number one SQL query answers, e.g. `SELECT count(*) FROM agents`.
pub async fn scalar(app: &TestApp, query: &str) -> i64 {
    app.scalar(query).await.unwrap()
}
