//! Erasure of a person past their deletion grace: what must go that their row's
//! cascade does not take (invitations to their address, alerts and webhook payloads
//! about them, API keys they made, queued activity), and the audit events that name
//! them, read for pseudonymisation. See `privacy::erasure`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, UserId};
use uuid::Uuid;

use super::audit::AuditRow;
use super::people::UserRow;
use super::schema::{agents, api_keys, data_exports, invitations, users};

/// People deleted before `before`, across companies (the retention job serves them
/// all), at most `limit`, oldest deletion first.
pub async fn due(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<(CompanyId, UserId)>> {
    users::table
        .filter(users::deleted_at.lt(before))
        .order(users::deleted_at.asc())
        .limit(limit)
        .select((users::company_id, users::id))
        .load(conn)
        .await
}

/// `company`'s person `user`, locked for the erasure's transaction, if they are still
/// deleted before `before` (an owner may have restored them meanwhile).
pub async fn lock_due(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    before: DateTime<Utc>,
) -> QueryResult<Option<UserRow>> {
    users::table
        .find((company, user))
        .filter(users::deleted_at.lt(before))
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// The ids that stand for `user` in the audit trail besides their own: their API keys
/// (which act for them), their computers' agents, the invitations to their address.
pub async fn aliases(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: &UserRow,
) -> QueryResult<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = api_keys::table
        .filter(api_keys::company_id.eq(company))
        .filter(api_keys::created_by.eq(user.id.0))
        .select(api_keys::id)
        .load(conn)
        .await?;
    ids.extend(
        agents::table
            .filter(agents::company_id.eq(company))
            .filter(agents::user_id.eq(user.id))
            .select(agents::id)
            .load::<Uuid>(conn)
            .await?,
    );
    ids.extend(
        invitations::table
            .filter(invitations::company_id.eq(company))
            .filter(invitations::email.eq(&user.email))
            .select(invitations::id)
            .load::<Uuid>(conn)
            .await?,
    );
    Ok(ids)
}

/// `company`'s audit events after `after_seq` by or about any of `ids`, or whose
/// summary spells `email`, oldest first, at most `limit`.
pub async fn audit_events_naming(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    (ids, email): (&[Uuid], &str),
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    diesel::sql_query(
        "SELECT * FROM audit_events
          WHERE company_id = $1 AND seq > $2
            AND (actor_id = ANY($3) OR target_id = ANY($3)
                 OR strpos(lower(summary::text), lower($4)) > 0)
          ORDER BY seq
          LIMIT $5",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<BigInt, _>(after_seq)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Text, _>(email)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// What went besides the person's row and its cascade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub invitations: usize,
    pub alerts: usize,
    pub webhook_deliveries: usize,
    pub api_keys: usize,
}

/// Deletes what names `user` outside the rows that cascade from theirs, then their row
/// (and with it their activity, sessions, rollups, screenshots and their views,
/// computers, sign-ins, settings and exports; objects queued by triggers).
pub async fn remove(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: &UserRow,
    agents_of: &[Uuid],
) -> QueryResult<Removed> {
    let invitations = diesel::delete(
        invitations::table
            .filter(invitations::company_id.eq(company))
            .filter(invitations::email.eq(&user.email)),
    )
    .execute(conn)
    .await?;
    let alerts = diesel::sql_query(
        "DELETE FROM alerts WHERE company_id = $1 AND (user_id = $2 OR agent_id = ANY($3))",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<SqlUuid, _>(user.id.0)
    .bind::<Array<SqlUuid>, _>(agents_of)
    .execute(conn)
    .await?;
    // Payloads sent (or to send) to the company's endpoints that name them.
    let webhook_deliveries = diesel::sql_query(
        "DELETE FROM webhook_deliveries
          WHERE company_id = $1
            AND (strpos(payload::text, $2) > 0 OR strpos(lower(payload::text), lower($3)) > 0)",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Text, _>(user.id.to_string())
    .bind::<Text, _>(&user.email)
    .execute(conn)
    .await?;
    let api_keys = diesel::delete(
        api_keys::table
            .filter(api_keys::company_id.eq(company))
            .filter(api_keys::created_by.eq(user.id.0)),
    )
    .execute(conn)
    .await?;
    diesel::sql_query("DELETE FROM session_queue WHERE company_id = $1 AND user_id = $2")
        .bind::<SqlUuid, _>(company.0)
        .bind::<SqlUuid, _>(user.id.0)
        .execute(conn)
        .await?;
    diesel::update(
        data_exports::table
            .filter(data_exports::company_id.eq(company))
            .filter(data_exports::requested_by.eq(user.id)),
    )
    .set(data_exports::requested_by.eq(None::<UserId>))
    .execute(conn)
    .await?;
    diesel::delete(users::table.find((company, user.id)))
        .execute(conn)
        .await?;
    Ok(Removed {
        invitations,
        alerts,
        webhook_deliveries,
        api_keys,
    })
}

/// The agents of `user` (their computers), before their row's cascade takes them.
pub async fn agents_of(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<Vec<Uuid>> {
    agents::table
        .filter(agents::company_id.eq(company))
        .filter(agents::user_id.eq(user))
        .select(agents::id)
        .load(conn)
        .await
}
