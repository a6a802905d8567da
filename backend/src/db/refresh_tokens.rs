//! Refresh tokens: one family per sign-in, rotated on every use.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, UserId};
use uuid::Uuid;

use super::schema::refresh_tokens;

/// How long a refresh token (and so a sign-in without activity) lasts.
pub const REFRESH_TOKEN_DAYS: i64 = 30;

/// The longest a sign-in lasts, however often it is refreshed: then the person signs in
/// again, so a stolen and kept-alive cookie does not work forever.
pub const MAX_FAMILY_DAYS: i64 = 90;

/// How long expired and revoked tokens are kept (a revoked family's tokens still show
/// a replay as such for this long) before the purge deletes them.
pub const KEEP_ENDED: Duration = Duration::days(1);

/// How long after its rotation a refresh token may be presented again without counting
/// as stolen: long enough for tabs that refresh together, short enough to be useless to
/// someone replaying a copied cookie later.
pub const REUSE_GRACE: Duration = Duration::seconds(10);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub company_id: CompanyId,
    pub token_hash: Vec<u8>,
    pub family_id: Uuid,
    pub user_id: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub family_started_at: DateTime<Utc>,
}

/// A sign-in: a new family, or the next token of one that began at `started`.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub id: Uuid,
    pub started: DateTime<Utc>,
}

/// Stores a new token of `family`, which expires [`REFRESH_TOKEN_DAYS`] from `now` or
/// when the family reaches [`MAX_FAMILY_DAYS`], whichever comes first.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    family: Family,
    token_hash: Vec<u8>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let row = RefreshTokenRow {
        company_id: company,
        token_hash,
        family_id: family.id,
        user_id: user,
        created_at: now,
        expires_at: (now + Duration::days(REFRESH_TOKEN_DAYS))
            .min(family.started + Duration::days(MAX_FAMILY_DAYS)),
        used_at: None,
        revoked_at: None,
        family_started_at: family.started,
    };
    diesel::insert_into(refresh_tokens::table)
        .values(&row)
        .execute(conn)
        .await
        .map(drop)
}

/// The token with this hash, locked for the rest of the transaction so that two
/// concurrent refreshes cannot both rotate it.
pub async fn find_for_update(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .find(token_hash)
        .select(RefreshTokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn mark_used(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(token_hash))
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)
        .await
        .map(drop)
}

/// Revokes every token of a family; returns how many were still live.
pub async fn revoke_family(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    family: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::company_id.eq(company))
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// Revokes every sign-in of a user (after a password change or deactivation).
pub async fn revoke_user(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::company_id.eq(company))
            .filter(refresh_tokens::user_id.eq(user))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// Deletes up to `limit` tokens that expired, or were revoked, more than [`KEEP_ENDED`]
/// before `now`; answers how many.
pub async fn purge(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM refresh_tokens
          WHERE token_hash IN (SELECT token_hash FROM refresh_tokens
                                WHERE expires_at < $1 OR revoked_at < $1
                                LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now - KEEP_ENDED)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .execute(conn)
    .await
}
