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
    pub company_id: Uuid,
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
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
            id: PolicyId(self.id),
            settings: self.company_settings(),
            updated_at: self.updated_at,
        }
    }

    pub fn into_entry(self) -> PolicyOverrideEntry {
        PolicyOverrideEntry {
            id: PolicyId(self.id),
            team_id: self.team_id.map(TeamId),
            user_id: self.user_id.map(UserId),
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
            company_id: company.0,
            id: Uuid::now_v7(),
            team_id: None,
            user_id: None,
            settings: defaults,
            updated_at: now,
        })
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    policies::table
        .filter(policies::company_id.eq(company.0))
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
        .filter(policies::company_id.eq(company.0))
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
        .filter(policies::company_id.eq(company.0))
        .select(PolicyRow::as_select())
        .into_boxed();
    let query = match level {
        Level::Company => query
            .filter(policies::team_id.is_null())
            .filter(policies::user_id.is_null()),
        Level::Team(team) => query.filter(policies::team_id.eq(team.0)),
        Level::Employee(user) => query.filter(policies::user_id.eq(user.0)),
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
        Level::Team(team) => (Some(team.0), None),
        Level::Employee(user) => (None, Some(user.0)),
    };
    diesel::insert_into(policies::table)
        .values(PolicyRow {
            company_id: company.0,
            id: Uuid::now_v7(),
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
    team: Option<Uuid>,
) -> QueryResult<Effective> {
    let rows: Vec<PolicyRow> = policies::table
        .filter(policies::company_id.eq(company_id.0))
        .filter(
            policies::team_id
                .is_null()
                .and(policies::user_id.is_null())
                .or(policies::team_id.eq(team))
                .or(policies::user_id.eq(user.0)),
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
        .find(|row| row.user_id == Some(user.0))
        .map(PolicyRow::override_settings);
    let settings = crate::domain::policies::effective(&default, team.as_ref(), employee.as_ref());
    Ok(Effective {
        version: crate::domain::policies::version(&settings),
        settings,
        team,
        employee,
    })
}
