//! Password resets: the links sent by e-mail, stored as the hash of their secret.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, UserId};

use super::schema::password_resets;

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
pub struct PasswordResetRow {
    pub token_hash: Vec<u8>,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl PasswordResetRow {
    /// A new link for `user`, working for [`RESET_MINUTES`] from `now`.
    pub fn new(company: CompanyId, user: UserId, token_hash: Vec<u8>, now: DateTime<Utc>) -> Self {
        Self {
            token_hash,
            company_id: company,
            user_id: user,
            created_at: now,
            expires_at: now + Duration::minutes(RESET_MINUTES),
            used_at: None,
        }
    }

    /// Not used and not expired at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// Stores a new link; the person's earlier links stop working (the newest e-mail is
/// the one that counts).
pub async fn insert(conn: &mut AsyncPgConnection, row: &PasswordResetRow) -> QueryResult<()> {
    diesel::update(
        password_resets::table
            .filter(password_resets::company_id.eq(row.company_id))
            .filter(password_resets::user_id.eq(row.user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(row.created_at))
    .execute(conn)
    .await?;
    diesel::insert_into(password_resets::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// The link with this secret's hash, locked for the transaction when `lock`.
pub async fn find(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    lock: bool,
) -> QueryResult<Option<PasswordResetRow>> {
    let query = password_resets::table
        .find(token_hash)
        .select(PasswordResetRow::as_select());
    if lock {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// Marks a link used at `now`.
pub async fn mark_used(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(password_resets::table.find(token_hash))
        .set(password_resets::used_at.eq(now))
        .execute(conn)
        .await
        .map(drop)
}

/// Deletes links that expired a day before `now`; answers how many.
pub async fn purge(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        password_resets::table.filter(password_resets::expires_at.lt(now - Duration::days(1))),
    )
    .execute(conn)
    .await
}
