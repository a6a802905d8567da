//! API keys: `pk_<prefix>_<secret>`, found by prefix, checked by hash.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::api_keys::ApiKey;
use pulse_shared::ids::{ApiKeyId, CompanyId, UserId};
use pulse_shared::people::Role;
use uuid::Uuid;

use super::schema::api_keys;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub company_id: CompanyId,
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    pub fn role(&self) -> Role {
        self.role
    }
}

impl From<ApiKeyRow> for ApiKey {
    fn from(row: ApiKeyRow) -> Self {
        Self {
            id: row.id,
            role: row.role(),
            name: row.name,
            prefix: row.prefix,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &ApiKeyRow) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// A key by its visible prefix, across companies: the bearer token names no company.
pub async fn by_prefix(
    conn: &mut AsyncPgConnection,
    prefix: &str,
) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// `company`'s keys, newest first, at most `limit`, before the id `before` (the cursor).
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    let mut query = api_keys::table
        .filter(api_keys::company_id.eq(company))
        .select(ApiKeyRow::as_select())
        .order(api_keys::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(api_keys::id.lt(before));
    }
    query.load(conn).await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    key: ApiKeyId,
) -> QueryResult<ApiKeyRow> {
    api_keys::table
        .find((company, key))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .await
}

pub async fn revoke(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    key: ApiKeyId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .find((company, key))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// Revokes the live keys a person made (when they leave).
pub async fn revoke_created_by(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        api_keys::table
            .filter(api_keys::company_id.eq(company))
            .filter(api_keys::created_by.eq(user))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// Records use, at most once a minute per key, so busy integrations do not write on every call.
pub async fn touch(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    key: ApiKeyId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        api_keys::table.find((company, key)).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(now - Duration::minutes(1))),
        ),
    )
    .set(api_keys::last_used_at.eq(now))
    .execute(conn)
    .await
    .map(drop)
}
