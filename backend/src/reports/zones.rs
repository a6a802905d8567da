//! The time zones Postgres knows: a policy or a report may name only these, and the
//! rollup files a day under a zone only if Postgres can convert to it.

use std::collections::HashSet;

use diesel::QueryResult;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;

static ZONES: OnceCell<HashSet<String>> = OnceCell::const_new();

#[derive(diesel::QueryableByName)]
struct ZoneName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Every zone name of the server's time-zone database, read once per process.
pub async fn known(conn: &mut AsyncPgConnection) -> QueryResult<&'static HashSet<String>> {
    ZONES
        .get_or_try_init(|| async {
            let names: Vec<ZoneName> = diesel::sql_query("SELECT name FROM pg_timezone_names")
                .load(conn)
                .await?;
            Ok(names.into_iter().map(|zone| zone.name).collect())
        })
        .await
}

/// `name` if Postgres knows it, else `UTC`.
pub async fn or_utc<'a>(conn: &mut AsyncPgConnection, name: &'a str) -> QueryResult<&'a str> {
    Ok(if known(conn).await?.contains(name) {
        name
    } else {
        "UTC"
    })
}
