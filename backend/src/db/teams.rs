//! Teams and who manages them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::teams::Team;

use super::schema::{team_managers, teams, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub company_id: CompanyId,
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The ids of the teams `user` manages.
pub async fn managed_by(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<Vec<TeamId>> {
    team_managers::table
        .filter(team_managers::company_id.eq(company))
        .filter(team_managers::user_id.eq(user))
        .select(team_managers::team_id)
        .load(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    team: TeamId,
) -> QueryResult<TeamRow> {
    teams::table
        .find((company, team))
        .select(TeamRow::as_select())
        .first(conn)
        .await
}

/// `company`'s teams (only `only` when given), by name, with managers and head counts.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    only: Option<&[TeamId]>,
) -> QueryResult<Vec<Team>> {
    let mut query = teams::table
        .filter(teams::company_id.eq(company))
        .select(TeamRow::as_select())
        .order(teams::name.asc())
        .into_boxed();
    if let Some(only) = only {
        query = query.filter(teams::id.eq_any(only.to_vec()));
    }
    let rows: Vec<TeamRow> = query.load(conn).await?;
    let ids: Vec<TeamId> = rows.iter().map(|row| row.id).collect();
    let managers: Vec<(TeamId, UserId)> = team_managers::table
        .filter(team_managers::company_id.eq(company))
        .filter(team_managers::team_id.eq_any(ids.clone()))
        .select((team_managers::team_id, team_managers::user_id))
        .order(team_managers::user_id.asc())
        .load(conn)
        .await?;
    let counts: Vec<(Option<TeamId>, i64)> = users::table
        .filter(users::company_id.eq(company))
        .filter(users::team_id.eq_any(ids))
        .filter(users::deleted_at.is_null())
        .group_by(users::team_id)
        .select((users::team_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Team {
            id: row.id,
            manager_ids: managers
                .iter()
                .filter(|(team, _)| *team == row.id)
                .map(|(_, user)| *user)
                .collect(),
            member_count: counts
                .iter()
                .find(|(team, _)| *team == Some(row.id))
                .map_or(0, |(_, n)| *n),
            name: row.name,
            created_at: row.created_at,
        })
        .collect())
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &TeamRow) -> QueryResult<()> {
    diesel::insert_into(teams::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn rename(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    team: TeamId,
    name: &str,
) -> QueryResult<()> {
    diesel::update(teams::table.find((company, team)))
        .set(teams::name.eq(name))
        .execute(conn)
        .await
        .map(drop)
}

/// Replaces the team's managers.
pub async fn set_managers(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    team: TeamId,
    managers: &[UserId],
) -> QueryResult<()> {
    diesel::delete(
        team_managers::table
            .filter(team_managers::company_id.eq(company))
            .filter(team_managers::team_id.eq(team)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = managers
        .iter()
        .map(|user| {
            (
                team_managers::company_id.eq(company),
                team_managers::team_id.eq(team),
                team_managers::user_id.eq(user),
            )
        })
        .collect();
    diesel::insert_into(team_managers::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Moves every member of `from` to `to` (or out of any team); returns how many moved.
pub async fn move_members(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    from: TeamId,
    to: Option<TeamId>,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .filter(users::company_id.eq(company))
            .filter(users::team_id.eq(from)),
    )
    .set(users::team_id.eq(to.map(|team| team.0)))
    .execute(conn)
    .await
}

/// The people of `team`, not counting the deleted (who move with the others, or leave
/// the team when it goes).
pub async fn member_count(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    team: TeamId,
) -> QueryResult<i64> {
    users::table
        .filter(users::company_id.eq(company))
        .filter(users::team_id.eq(team))
        .filter(users::deleted_at.is_null())
        .count()
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    team: TeamId,
) -> QueryResult<usize> {
    diesel::delete(teams::table.find((company, team)))
        .execute(conn)
        .await
}
