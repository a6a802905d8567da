//! Sign-ups waiting for their address to be proven, keyed by the hash of the secret
//! in the link sent to it. Not a company's rows: there is no company until the link
//! is opened.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::signups;

/// How long a sign-up link works.
pub const SIGNUP_HOURS: i64 = 24;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signups)]
pub struct SignupRow {
    pub token_hash: Vec<u8>,
    pub email: String,
    pub name: String,
    pub company_name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl SignupRow {
    /// When a sign-up started at `now` stops working.
    pub fn expiry(now: DateTime<Utc>) -> DateTime<Utc> {
        now + Duration::hours(SIGNUP_HOURS)
    }

    /// Not expired at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &SignupRow) -> QueryResult<()> {
    diesel::insert_into(signups::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// The sign-up with this secret's hash, locked for the rest of the transaction (it is
/// read only to be used).
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<SignupRow>> {
    signups::table
        .find(token_hash)
        .select(SignupRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Deletes every pending sign-up of `email` (once one is used, the others are moot);
/// answers how many.
pub async fn delete_for(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(signups::table.filter(signups::email.eq(email)))
        .execute(conn)
        .await
}

/// Deletes the sign-ups that expired before `now`; answers how many.
pub async fn purge(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(signups::table.filter(signups::expires_at.le(now)))
        .execute(conn)
        .await
}
