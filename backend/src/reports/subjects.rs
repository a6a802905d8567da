//! The dictionary of applications and sites: each `(app, domain)` a company's agents
//! reported is stored once and named by id in the rollups.

use std::collections::HashMap;

use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::CompanyId;

/// An application and the site's domain (`""` for none).
pub type SubjectKey = (CompanyId, String, String);

/// The site an event's URL (or bare domain) is on; `""` for none.
pub fn domain_of(url: Option<&str>) -> String {
    url.and_then(crate::domain::sessions::domain_of)
        .unwrap_or_default()
}

#[derive(diesel::QueryableByName)]
struct SubjectId {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    company_id: CompanyId,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    app: String,
    #[diesel(sql_type = Text)]
    domain: String,
}

/// The ids of `keys`, adding those not yet in the dictionary, in one statement.
pub async fn ids(
    conn: &mut AsyncPgConnection,
    keys: &[SubjectKey],
) -> QueryResult<HashMap<SubjectKey, i64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    // The second branch reads the rows that were there before this statement; the
    // first returns those it adds.
    let rows: Vec<SubjectId> = diesel::sql_query(
        "WITH wanted AS (
              SELECT DISTINCT * FROM UNNEST($1::uuid[], $2::text[], $3::text[])
                                  AS w(company_id, app, domain)),
              added AS (
              INSERT INTO activity_subjects (company_id, app, domain)
              SELECT company_id, app, domain FROM wanted
              ON CONFLICT DO NOTHING
              RETURNING company_id, id, app, domain)
         SELECT company_id, id, app, domain FROM added
          UNION ALL
         SELECT s.company_id, s.id, s.app, s.domain
           FROM activity_subjects s JOIN wanted USING (company_id, app, domain)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.1.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(keys.iter().map(|k| k.2.as_str()).collect::<Vec<_>>())
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ((row.company_id, row.app, row.domain), row.id))
        .collect())
}

/// One entry of a company's dictionary, with how long it was used in the last 30 days.
#[derive(Debug, Clone, diesel::QueryableByName)]
pub struct SubjectRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub app: String,
    #[diesel(sql_type = Text)]
    pub domain: String,
    #[diesel(sql_type = BigInt)]
    pub recent_secs: i64,
}

/// The most entries a company's dictionary is read with.
pub const MAX_SUBJECTS: i64 = 20_000;

/// `company`'s dictionary, at most [`MAX_SUBJECTS`]: with `usage_since`, each entry's
/// active time since that day, most used first (by name otherwise).
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    usage_since: Option<chrono::NaiveDate>,
) -> QueryResult<Vec<SubjectRow>> {
    // Without a day, nothing is summed (`day >= NULL` holds for no row).
    let usage = if usage_since.is_some() {
        "SELECT subject_id, sum(active_secs) AS secs FROM activity_day_subjects
          WHERE company_id = $1 AND day >= $2 GROUP BY subject_id"
    } else {
        "SELECT NULL::int8 AS subject_id, NULL::int8 AS secs WHERE $2::date IS NOT NULL"
    };
    diesel::sql_query(format!(
        "SELECT s.id, s.app, s.domain, coalesce(u.secs, 0)::int8 AS recent_secs
           FROM activity_subjects s
           LEFT JOIN ({usage}) u ON u.subject_id = s.id
          WHERE s.company_id = $1
          ORDER BY recent_secs DESC, s.app, s.domain
          LIMIT $3"
    ))
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Date>, _>(usage_since)
    .bind::<BigInt, _>(MAX_SUBJECTS)
    .load(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::domain_of;

    #[test]
    fn the_domain_is_the_host_alone() {
        let cases = [
            (
                Some("https://www.GitHub.com/pulse/issues?q=1"),
                "github.com",
            ),
            (Some("github.com"), "github.com"),
            (Some("http://user:pw@docs.rs:8080/regex"), "docs.rs"),
            (Some("mail.google.com/mail/u/0"), "mail.google.com"),
            (Some("http://[::1]:3000/"), "[::1]"),
            (Some("  "), ""),
            (None, ""),
        ];
        for (url, domain) in cases {
            assert_eq!(domain_of(url), domain, "{url:?}");
        }
    }
}
