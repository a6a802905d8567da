//! Companies and the people in them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::auth::Company;
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::people::{Person, Role, UserStatus};
use uuid::Uuid;

use super::schema::{companies, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = companies)]
pub struct CompanyRow {
    pub id: CompanyId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CompanyRow> for Company {
    fn from(row: CompanyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub company_id: CompanyId,
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    pub team_id: Option<TeamId>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while deleted and restorable; the retention job removes the row after.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl UserRow {
    /// The stored role; the database's CHECK constraint admits only known names.
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn status(&self) -> UserStatus {
        self.status
    }

    pub fn is_active(&self) -> bool {
        self.status() == UserStatus::Active
    }
}

impl From<UserRow> for Person {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            company_id: row.company_id,
            role: row.role(),
            status: row.status(),
            email: row.email,
            name: row.name,
            team_id: row.team_id,
            created_at: row.created_at,
            deleted_at: row.deleted_at,
        }
    }
}

pub async fn insert_company(conn: &mut AsyncPgConnection, row: &CompanyRow) -> QueryResult<()> {
    diesel::insert_into(companies::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn insert_user(conn: &mut AsyncPgConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts a new account unless its address has one already (then `false`): the
/// unique index decides, so two sign-ups or acceptances of one address at once make
/// one account, and the transaction stays usable either way.
pub async fn insert_user_if_new(conn: &mut AsyncPgConnection, row: &UserRow) -> QueryResult<bool> {
    diesel::insert_into(users::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|inserted| inserted == 1)
}

pub async fn company(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<CompanyRow> {
    companies::table
        .find(company.0)
        .select(CompanyRow::as_select())
        .first(conn)
        .await
}

/// Locks `company`'s row until the transaction ends: changes that could leave the
/// company without an active owner take it first, so they happen one after another.
pub async fn lock_company(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<()> {
    companies::table
        .find(company.0)
        .select(companies::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .map(drop)
}

/// A user of `company`; `NotFound` for a user of any other company.
pub async fn user(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<UserRow> {
    users::table
        .find((company, user))
        .select(UserRow::as_select())
        .first(conn)
        .await
}

/// The account of an address, across companies: sign-in starts from the address alone.
pub async fn user_by_email(
    conn: &mut AsyncPgConnection,
    email: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn set_password(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    password_hash: &str,
) -> QueryResult<()> {
    diesel::update(users::table.find((company, user)))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
        .await
        .map(drop)
}

/// Filters for listing people, already scoped to what the principal may see.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub q: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<TeamId>,
    pub status: Option<UserStatus>,
    /// Only these teams' people, plus `also_user` (a manager's reach).
    pub within_teams: Option<Vec<TeamId>>,
    /// Only this person (an employee's reach), or the one added to `within_teams`.
    pub also_user: Option<Uuid>,
    pub only_user: bool,
    /// Only the deleted (restorable) people instead of the others.
    pub deleted: bool,
    /// Only people after this id (the cursor).
    pub after_id: Option<Uuid>,
}

/// `company`'s people matching `filter`, oldest first by id, at most `limit`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    filter: &PeopleFilter,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::company_id.eq(company))
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    query = if filter.deleted {
        query.filter(users::deleted_at.is_not_null())
    } else {
        query.filter(users::deleted_at.is_null())
    };
    if let Some(q) = &filter.q {
        let pattern = super::contains_pattern(q);
        query = query.filter(
            users::name
                .ilike(pattern.clone())
                .or(users::email.ilike(pattern)),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(team) = filter.team_id {
        query = query.filter(users::team_id.eq(team));
    }
    if let Some(status) = filter.status {
        query = query.filter(users::status.eq(status.as_str()));
    }
    if filter.only_user {
        query = query.filter(users::id.nullable().eq(filter.also_user));
    } else if let Some(teams) = &filter.within_teams {
        query = query.filter(
            users::team_id
                .eq_any(teams.clone())
                .or(users::id.nullable().eq(filter.also_user)),
        );
    }
    if let Some(after) = filter.after_id {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn).await
}

/// How many active owners `company` has.
pub async fn active_owner_count(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> QueryResult<i64> {
    users::table
        .filter(users::company_id.eq(company))
        .filter(users::role.eq(Role::Owner.as_str()))
        .filter(users::status.eq(UserStatus::Active.as_str()))
        .count()
        .get_result(conn)
        .await
}

/// Applies the given changes to one person.
pub async fn update(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    role: Option<Role>,
    team_id: Option<Option<TeamId>>,
    status: Option<UserStatus>,
) -> QueryResult<UserRow> {
    let target = users::table.find((company, user));
    if let Some(role) = role {
        diesel::update(target)
            .set(users::role.eq(role.as_str()))
            .execute(conn)
            .await?;
    }
    if let Some(team_id) = team_id {
        diesel::update(target)
            .set(users::team_id.eq(team_id))
            .execute(conn)
            .await?;
    }
    if let Some(status) = status {
        diesel::update(target)
            .set(users::status.eq(status.as_str()))
            .execute(conn)
            .await?;
    }
    target.select(UserRow::as_select()).first(conn).await
}

/// Deletes `user` at `now`, restorably: they are deactivated and marked, and stay
/// (with everything recorded about them) until `privacy::erasure` erases them.
pub async fn mark_deleted(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find((company, user))
            .filter(users::deleted_at.is_null()),
    )
    .set((
        users::deleted_at.eq(now),
        users::status.eq(UserStatus::Deactivated.as_str()),
        users::updated_at.eq(now),
    ))
    .execute(conn)
    .await
}

/// Brings back a deleted `user`, active again.
pub async fn restore(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find((company, user))
            .filter(users::deleted_at.is_not_null()),
    )
    .set((
        users::deleted_at.eq(None::<DateTime<Utc>>),
        users::status.eq(UserStatus::Active.as_str()),
        users::updated_at.eq(now),
    ))
    .execute(conn)
    .await
}
