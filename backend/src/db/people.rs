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
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CompanyRow> for Company {
    fn from(row: CompanyRow) -> Self {
        Self {
            id: CompanyId(row.id),
            name: row.name,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub company_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub team_id: Option<Uuid>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    /// The stored role; the database's CHECK constraint admits only known names.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Employee)
    }

    pub fn status(&self) -> UserStatus {
        self.status.parse().unwrap_or(UserStatus::Deactivated)
    }

    pub fn is_active(&self) -> bool {
        self.status() == UserStatus::Active
    }
}

impl From<UserRow> for Person {
    fn from(row: UserRow) -> Self {
        Self {
            id: UserId(row.id),
            company_id: CompanyId(row.company_id),
            role: row.role(),
            status: row.status(),
            email: row.email,
            name: row.name,
            team_id: row.team_id.map(TeamId),
            created_at: row.created_at,
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

pub async fn company(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<CompanyRow> {
    companies::table
        .find(company.0)
        .select(CompanyRow::as_select())
        .first(conn)
        .await
}

/// A user of `company`; `NotFound` for a user of any other company.
pub async fn user(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<UserRow> {
    users::table
        .find((company.0, user.0))
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
    diesel::update(users::table.find((company.0, user.0)))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
        .await
        .map(drop)
}
