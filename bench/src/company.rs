//! The company of a load run, filled in straight in SQL where making thousands of
//! people through the API would take longer than the measurement: found from its
//! owner's address (signed up through the API first), seats allowed, teams and
//! employees inserted in bulk.

use anyhow::Context as _;
use diesel::QueryableByName;
use diesel::sql_types::{Array, Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, TeamId};
use uuid::Uuid;

/// The company whose owner signs in as `owner`.
pub async fn of_owner(conn: &mut AsyncPgConnection, owner: &str) -> anyhow::Result<CompanyId> {
    #[derive(QueryableByName)]
    struct Company {
        #[diesel(sql_type = SqlUuid)]
        company_id: Uuid,
    }
    let company: Company = diesel::sql_query("SELECT company_id FROM users WHERE email = $1")
        .bind::<Text, _>(owner)
        .get_result(conn)
        .await
        .context("finding the new company")?;
    Ok(CompanyId(company.company_id))
}

/// Lets `company` have `seats` people with computers.
pub async fn allow_seats(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    seats: u32,
) -> anyhow::Result<()> {
    diesel::sql_query("UPDATE companies SET seat_limit = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(company.0)
        .bind::<Integer, _>(i32::try_from(seats)?)
        .execute(conn)
        .await
        .context("allowing seats")?;
    Ok(())
}

/// Adds teams named `names`; answers their ids in the same order.
pub async fn insert_teams(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    names: &[&str],
) -> anyhow::Result<Vec<TeamId>> {
    let ids: Vec<Uuid> = names.iter().map(|_| Uuid::now_v7()).collect();
    diesel::sql_query(
        "INSERT INTO teams (company_id, id, name)
         SELECT $1, id, name FROM UNNEST($2::uuid[], $3::text[]) AS t(id, name)",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(names)
    .execute(conn)
    .await
    .context("inserting teams")?;
    Ok(ids.into_iter().map(TeamId).collect())
}

/// Adds `count` employees, `Simulated 1` to `Simulated {count}`, whose addresses are
/// `email_pattern` with `{n}` replaced by their number; employee n joins team
/// n mod the number of `teams` (none when there are none). They never sign in: the
/// password hash is a value no password produces. Addresses taken already are skipped.
pub async fn insert_employees(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    email_pattern: &str,
    count: u32,
    teams: &[TeamId],
) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO users (company_id, id, email, name, role, password_hash, team_id)
         SELECT $1, gen_random_uuid(), replace($2, '{n}', n::text), 'Simulated ' || n,
                'employee', '!', ($4::uuid[])[1 + n % array_length($4::uuid[], 1)]
         FROM generate_series(1, $3) AS n
         ON CONFLICT (email) DO NOTHING",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Text, _>(email_pattern)
    .bind::<Integer, _>(i32::try_from(count)?)
    .bind::<Array<SqlUuid>, _>(teams.iter().map(|team| team.0).collect::<Vec<_>>())
    .execute(conn)
    .await
    .context("inserting employees")?;
    Ok(())
}
