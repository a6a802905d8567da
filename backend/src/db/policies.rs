//! Policies: the company default and the team and employee overrides, one row each.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, PolicyId, TeamId, UserId};
use pulse_shared::policies::{CompanyPolicy, PolicyOverride, PolicyOverrideEntry, PolicySettings};
use uuid::Uuid;

use super::schema::policies;

/// Which policy a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Company,
    Team(TeamId),
    Employee(UserId),
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = policies)]
pub struct PolicyRow {
    pub company_id: CompanyId,
    pub id: PolicyId,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub settings: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

impl PolicyRow {
    /// The settings of a company default; a row that does not parse (written by an
    /// older version) counts as the built-in default.
    pub fn company_settings(&self) -> PolicySettings {
        serde_json::from_value(self.settings.clone()).unwrap_or_default()
    }

    pub fn override_settings(&self) -> PolicyOverride {
        serde_json::from_value(self.settings.clone()).unwrap_or_default()
    }

    pub fn into_company(self) -> CompanyPolicy {
        CompanyPolicy {
            id: self.id,
            settings: self.company_settings(),
            updated_at: self.updated_at,
        }
    }

    pub fn into_entry(self) -> PolicyOverrideEntry {
        PolicyOverrideEntry {
            id: self.id,
            team_id: self.team_id,
            user_id: self.user_id,
            settings: self.override_settings(),
            updated_at: self.updated_at,
        }
    }
}

/// The JSON stored for a policy: fields left out (or `null`) are not written, so the
/// stored settings compare field by field whichever way they were written.
pub fn to_json(value: &impl serde::Serialize) -> serde_json::Value {
    let mut json = serde_json::to_value(value).unwrap_or_default();
    if let Some(fields) = json.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
    }
    json
}

/// The company default, created with the built-in settings when missing.
pub async fn company(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    now: DateTime<Utc>,
) -> QueryResult<PolicyRow> {
    let defaults = to_json(&PolicySettings::default());
    diesel::insert_into(policies::table)
        .values(PolicyRow {
            company_id: company,
            id: PolicyId(Uuid::now_v7()),
            team_id: None,
            user_id: None,
            settings: defaults,
            updated_at: now,
        })
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    policies::table
        .filter(policies::company_id.eq(company))
        .filter(policies::team_id.is_null())
        .filter(policies::user_id.is_null())
        .select(PolicyRow::as_select())
        .first(conn)
        .await
}

/// Every override of the company, teams first.
pub async fn overrides(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> QueryResult<Vec<PolicyRow>> {
    policies::table
        .filter(policies::company_id.eq(company))
        .filter(
            policies::team_id
                .is_not_null()
                .or(policies::user_id.is_not_null()),
        )
        .order((policies::user_id.asc(), policies::id.asc()))
        .select(PolicyRow::as_select())
        .load(conn)
        .await
}

/// The override at `level` (never the company default), if there is one.
pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    level: Level,
) -> QueryResult<Option<PolicyRow>> {
    let query = policies::table
        .filter(policies::company_id.eq(company))
        .select(PolicyRow::as_select())
        .into_boxed();
    let query = match level {
        Level::Company => query
            .filter(policies::team_id.is_null())
            .filter(policies::user_id.is_null()),
        Level::Team(team) => query.filter(policies::team_id.eq(team)),
        Level::Employee(user) => query.filter(policies::user_id.eq(user)),
    };
    query.first(conn).await.optional()
}

/// Writes `settings` at `level`, replacing what was there; answers the row.
pub async fn put(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    level: Level,
    settings: serde_json::Value,
    now: DateTime<Utc>,
) -> QueryResult<PolicyRow> {
    if let Some(existing) = find(conn, company, level).await? {
        return diesel::update(policies::table.find((company.0, existing.id)))
            .set((
                policies::settings.eq(settings),
                policies::updated_at.eq(now),
            ))
            .returning(PolicyRow::as_returning())
            .get_result(conn)
            .await;
    }
    let (team_id, user_id) = match level {
        Level::Company => (None, None),
        Level::Team(team) => (Some(team), None),
        Level::Employee(user) => (None, Some(user)),
    };
    diesel::insert_into(policies::table)
        .values(PolicyRow {
            company_id: company,
            id: PolicyId(Uuid::now_v7()),
            team_id,
            user_id,
            settings,
            updated_at: now,
        })
        .returning(PolicyRow::as_returning())
        .get_result(conn)
        .await
}

/// Removes the override at `level`; answers the removed row.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    level: Level,
) -> QueryResult<Option<PolicyRow>> {
    let Some(existing) = find(conn, company, level).await? else {
        return Ok(None);
    };
    diesel::delete(policies::table.find((company.0, existing.id)))
        .execute(conn)
        .await?;
    Ok(Some(existing))
}

/// The company default, locked until the transaction ends: every policy change of a
/// company takes it first, so changes to one company's policies happen one at a time.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    company_id: CompanyId,
    now: DateTime<Utc>,
) -> QueryResult<PolicyRow> {
    let row = company(conn, company_id, now).await?;
    policies::table
        .find((company_id.0, row.id))
        .select(PolicyRow::as_select())
        .for_update()
        .first(conn)
        .await
}

/// A query of every person's effective `setting` (a top-level field of the settings)
/// as text, for statements over many people at once: the employee's override, else the
/// team's, else the company default; `NULL` when no level sets it. Columns:
/// `company_id`, `user_id`, `value`.
pub fn effective_setting_sql(setting: &'static str) -> String {
    format!(
        "SELECT u.company_id, u.id AS user_id,
                coalesce(pe.settings->>'{setting}', pt.settings->>'{setting}',
                         pc.settings->>'{setting}') AS value
           FROM users u
           LEFT JOIN policies pc ON pc.company_id = u.company_id
                                AND pc.team_id IS NULL AND pc.user_id IS NULL
           LEFT JOIN policies pt ON pt.company_id = u.company_id AND pt.team_id = u.team_id
           LEFT JOIN policies pe ON pe.company_id = u.company_id AND pe.user_id = u.id"
    )
}

/// The retention settings, with the value that applies when no level sets them.
fn retention_settings() -> [(&'static str, i32); 2] {
    let defaults = PolicySettings::default();
    let days = |days: u32| i32::try_from(days).unwrap_or(i32::MAX);
    [
        (
            "activity_retention_days",
            days(defaults.activity_retention_days),
        ),
        (
            "screenshot_retention_days",
            days(defaults.screenshot_retention_days),
        ),
    ]
}

/// A query of every person's retention in days for `setting` at the time bound to
/// `now` (a placeholder such as `$1`): the effective policy, else the built-in default,
/// but never less than a hold still running (see [`hold_lowered_retention`]). Columns:
/// `company_id`, `user_id`, `days`.
pub fn retention_days_sql(setting: &'static str, now: &str) -> String {
    let effective = effective_setting_sql(setting);
    let default = retention_settings()
        .iter()
        .find(|(name, _)| *name == setting)
        .map_or(i32::MAX, |(_, days)| *days);
    format!(
        "SELECT e.company_id, e.user_id,
                greatest(coalesce(e.value::int, {default}), h.days) AS days
           FROM ({effective}) e
           LEFT JOIN retention_holds h ON h.company_id = e.company_id
                                      AND h.user_id = e.user_id
                                      AND h.setting = '{setting}' AND h.until > {now}"
    )
}

/// Every person's policy retention per setting in `company` (holds aside), as
/// `user_id`, `setting`, `days`, with the company bound to `$1`.
fn retention_by_person_sql() -> String {
    retention_settings()
        .iter()
        .map(|(setting, default)| {
            let effective = effective_setting_sql(setting);
            format!(
                "SELECT e.user_id, '{setting}'::text AS setting,
                        coalesce(e.value::int, {default}) AS days
                   FROM ({effective}) e WHERE e.company_id = $1"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Notes everyone's retention in `company` before a policy change, for
/// [`hold_lowered_retention`] after it, within the same transaction.
pub async fn note_retention(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<()> {
    diesel::sql_query(format!(
        "CREATE TEMP TABLE retention_before ON COMMIT DROP AS {}",
        retention_by_person_sql()
    ))
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .execute(conn)
    .await
    .map(drop)
}

/// After a policy change: where someone's retention went down since
/// [`note_retention`], the old retention holds until `until`, so nothing is deleted
/// because of the change before then (a running hold keeps the longer of the two).
/// Answers how many holds were placed.
pub async fn hold_lowered_retention(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Timestamptz, Uuid as SqlUuid};
    let held = diesel::sql_query(format!(
        "INSERT INTO retention_holds AS h (company_id, user_id, setting, days, until)
         SELECT $1, b.user_id, b.setting, b.days, $3
           FROM retention_before b
           JOIN ({}) a ON a.user_id = b.user_id AND a.setting = b.setting
          WHERE a.days < b.days
         ON CONFLICT (company_id, user_id, setting) DO UPDATE
            SET days = CASE WHEN h.until > $2 THEN greatest(h.days, excluded.days)
                            ELSE excluded.days END,
                until = excluded.until",
        retention_by_person_sql()
    ))
    .bind::<SqlUuid, _>(company.0)
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(until)
    .execute(conn)
    .await?;
    diesel::sql_query("DROP TABLE retention_before")
        .execute(conn)
        .await?;
    Ok(held)
}

/// Deletes the holds that ended before `now`; answers how many.
pub async fn purge_retention_holds(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM retention_holds WHERE until <= $1")
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .execute(conn)
        .await
}

/// What applies to one person: the layers and the settings they combine into.
#[derive(Debug, Clone)]
pub struct Effective {
    pub settings: PolicySettings,
    pub version: String,
    pub team: Option<PolicyOverride>,
    pub employee: Option<PolicyOverride>,
}

/// The effective policy of `user`, who is in `team`: the layers in one query (the
/// built-in settings stand for a company default not yet written).
pub async fn effective(
    conn: &mut AsyncPgConnection,
    company_id: CompanyId,
    user: UserId,
    team: Option<TeamId>,
) -> QueryResult<Effective> {
    let rows: Vec<PolicyRow> = policies::table
        .filter(policies::company_id.eq(company_id))
        .filter(
            policies::team_id
                .is_null()
                .and(policies::user_id.is_null())
                .or(policies::team_id.eq(team))
                .or(policies::user_id.eq(user)),
        )
        .select(PolicyRow::as_select())
        .load(conn)
        .await?;
    let default = match rows
        .iter()
        .find(|row| row.team_id.is_none() && row.user_id.is_none())
    {
        Some(row) => row.company_settings(),
        None => PolicySettings::default(),
    };
    let team = rows
        .iter()
        .find(|row| row.team_id.is_some() && row.team_id == team)
        .map(PolicyRow::override_settings);
    let employee = rows
        .iter()
        .find(|row| row.user_id == Some(user))
        .map(PolicyRow::override_settings);
    let settings = crate::domain::policies::effective(&default, team.as_ref(), employee.as_ref());
    Ok(Effective {
        version: crate::domain::policies::version(&settings),
        settings,
        team,
        employee,
    })
}

/// The effective settings of each of `people` (`(id, team)`), from the company's
/// policy rows read once: for reports over many people.
pub async fn effective_for_all(
    conn: &mut AsyncPgConnection,
    company_id: CompanyId,
    people: &[(UserId, Option<TeamId>)],
) -> QueryResult<std::collections::HashMap<UserId, PolicySettings>> {
    let rows: Vec<PolicyRow> = policies::table
        .filter(policies::company_id.eq(company_id))
        .select(PolicyRow::as_select())
        .load(conn)
        .await?;
    let default = rows
        .iter()
        .find(|row| row.team_id.is_none() && row.user_id.is_none())
        .map(PolicyRow::company_settings)
        .unwrap_or_default();
    let layer = |wanted: &dyn Fn(&PolicyRow) -> bool| {
        rows.iter()
            .find(|row| wanted(row))
            .map(PolicyRow::override_settings)
    };
    Ok(people
        .iter()
        .map(|(user, team)| {
            let team_layer = team.and_then(|team| layer(&|row| row.team_id == Some(team)));
            let own = layer(&|row| row.user_id == Some(*user));
            let settings =
                crate::domain::policies::effective(&default, team_layer.as_ref(), own.as_ref());
            (*user, settings)
        })
        .collect())
}
