//! Invitations to join a company.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, InvitationId, TeamId, UserId};
use pulse_shared::people::{Invitation, Role};
use uuid::Uuid;

use super::schema::invitations;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub company_id: CompanyId,
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub token_hash: Vec<u8>,
    pub invited_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl InvitationRow {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

impl From<InvitationRow> for Invitation {
    fn from(row: InvitationRow) -> Self {
        Self {
            id: row.id,
            role: row.role(),
            email: row.email,
            team_id: row.team_id,
            invited_by: row.invited_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
        }
    }
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &InvitationRow) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Closes `company`'s open invitation of `email`, if any (a new one replaces it). Other
/// companies' invitations of the address stay open.
pub async fn revoke_open_for(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    email: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .filter(invitations::company_id.eq(company))
            .filter(invitations::email.eq(email))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// An invitation by the hash of its link's secret, locked for the transaction.
pub async fn by_token_for_update(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(InvitationRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn by_token(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
) -> QueryResult<Option<InvitationRow>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(InvitationRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// `company`'s open invitations, newest first.
pub async fn open(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    before: Option<Uuid>,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<InvitationRow>> {
    let mut query = invitations::table
        .filter(invitations::company_id.eq(company))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::revoked_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .select(InvitationRow::as_select())
        .order(invitations::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(invitations::id.lt(before));
    }
    query.load(conn).await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: InvitationId,
) -> QueryResult<InvitationRow> {
    invitations::table
        .find((company, id))
        .select(InvitationRow::as_select())
        .first(conn)
        .await
}

pub async fn mark_accepted(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: InvitationId,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(invitations::table.find((company, id)))
        .set(invitations::accepted_at.eq(now))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn revoke(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: InvitationId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        invitations::table
            .find((company, id))
            .filter(invitations::revoked_at.is_null())
            .filter(invitations::accepted_at.is_null()),
    )
    .set(invitations::revoked_at.eq(now))
    .execute(conn)
    .await
}
