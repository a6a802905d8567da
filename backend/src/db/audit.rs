//! Audit events: appended inside the transaction of the change they record, read back
//! with filters, and re-walked to verify the chain.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::audit::{ActorKind, AuditAction, AuditEvent, TargetKind};
use pulse_shared::ids::{AuditEventId, CompanyId};
use uuid::Uuid;

use super::schema::{audit_events, audit_heads};
use crate::domain::audit::{ChainedEvent, GENESIS, event_hash};

/// Who acted, from where, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The time of the change, from the server's clock.
    pub at: DateTime<Utc>,
}

impl Actor {
    /// A change no person made (the server's jobs, Stripe), at `at`: no id, no address.
    pub fn unattended(kind: ActorKind, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            id: None,
            ip: None,
            user_agent: None,
            at,
        }
    }
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: Option<Uuid>,
    pub summary: serde_json::Value,
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub company_id: CompanyId,
    pub seq: i64,
    pub id: AuditEventId,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: Option<Uuid>,
    pub summary: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

impl AuditRow {
    fn chained(&self) -> ChainedEvent<'_> {
        ChainedEvent {
            company_id: self.company_id.0,
            seq: self.seq,
            id: self.id.0,
            occurred_at: self.occurred_at,
            actor_kind: self.actor_kind,
            actor_id: self.actor_id,
            action: self.action,
            target_kind: self.target_kind,
            target_id: self.target_id,
            summary: &self.summary,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            seq: row.seq,
            occurred_at: row.occurred_at,
            actor_kind: row.actor_kind,
            actor_id: row.actor_id,
            action: row.action.as_str().to_owned(),
            target_kind: row.target_kind.as_str().to_owned(),
            target_id: row.target_id,
            summary: row.summary,
            ip: row.ip,
            user_agent: row.user_agent,
        }
    }
}

/// Appends one event to `company`'s chain. Call inside the transaction of the change:
/// the head row lock serialises appends per company until that transaction ends.
pub async fn record(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    actor: &Actor,
    change: Change,
) -> QueryResult<AuditEventId> {
    diesel::insert_into(audit_heads::table)
        .values((
            audit_heads::company_id.eq(company),
            audit_heads::seq.eq(0),
            audit_heads::hash.eq(GENESIS.to_vec()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let (last_seq, prev_hash): (i64, Vec<u8>) = audit_heads::table
        .find(company.0)
        .select((audit_heads::seq, audit_heads::hash))
        .for_update()
        .first(conn)
        .await?;
    let mut row = AuditRow {
        company_id: company,
        seq: last_seq + 1,
        id: AuditEventId(Uuid::now_v7()),
        occurred_at: actor.at.trunc_subsecs(6),
        actor_kind: actor.kind,
        actor_id: actor.id,
        action: change.action,
        target_kind: change.target_kind,
        target_id: change.target_id,
        summary: change.summary,
        ip: actor.ip.clone(),
        user_agent: actor
            .user_agent
            .as_ref()
            .map(|agent| agent.chars().take(512).collect()),
        prev_hash,
        hash: Vec::new(),
    };
    row.hash = event_hash(&row.prev_hash, &row.chained()).to_vec();
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)
        .await?;
    diesel::update(audit_heads::table.find(company.0))
        .set((
            audit_heads::seq.eq(row.seq),
            audit_heads::hash.eq(&row.hash),
        ))
        .execute(conn)
        .await?;
    Ok(row.id)
}

/// Filters of the audit viewer.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only events before this sequence number (the cursor).
    pub before_seq: Option<i64>,
}

/// `company`'s events matching `filter`, newest first, at most `limit`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table
        .filter(audit_events::company_id.eq(company))
        .select(AuditRow::as_select())
        .order(audit_events::seq.desc())
        .limit(limit)
        .into_boxed();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    if let Some(kind) = &filter.target_kind {
        query = query.filter(audit_events::target_kind.eq(kind.clone()));
    }
    if let Some(target) = filter.target_id {
        query = query.filter(audit_events::target_id.eq(target));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(to));
    }
    if let Some(before) = filter.before_seq {
        query = query.filter(audit_events::seq.lt(before));
    }
    query.load(conn).await
}

/// The result of re-walking a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: i64,
    pub first_broken: Option<(i64, Uuid)>,
}

/// Where a walk along a chain stands: the last event proven, and its hash. The next
/// event must follow it and link to that hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPoint {
    pub seq: i64,
    pub hash: Vec<u8>,
}

impl ChainPoint {
    /// Before the first event.
    pub fn start() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_vec(),
        }
    }
}

/// What one page of a walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Every event of the page holds and more may follow it.
    Continue(ChainPoint),
    /// This event (`seq`, id) does not hold: its link, its hash or its place is wrong.
    /// A nil id names an event missing from the end.
    Broken(i64, Uuid),
    /// The chain ends intact where the company's head says it does.
    End,
}

/// The events at most `limit` past `from`, checked link by link: only the last
/// hash is carried from page to page. Answers how many were checked and what was found.
pub async fn verify_page(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    from: &ChainPoint,
    limit: i64,
) -> QueryResult<(i64, Step)> {
    let rows: Vec<AuditRow> = audit_events::table
        .filter(audit_events::company_id.eq(company))
        .filter(audit_events::seq.gt(from.seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
        .await?;
    let full = i64::try_from(rows.len()).is_ok_and(|len| len == limit);
    let mut point = from.clone();
    let mut checked = 0;
    for row in rows {
        checked += 1;
        let intact = row.seq == point.seq + 1
            && row.prev_hash == point.hash
            && row.hash == event_hash(&point.hash, &row.chained());
        if !intact {
            return Ok((checked, Step::Broken(row.seq, row.id.0)));
        }
        point = ChainPoint {
            seq: row.seq,
            hash: row.hash,
        };
    }
    if full {
        return Ok((checked, Step::Continue(point)));
    }
    // Rows deleted from the end leave the head pointing past the last event.
    let head: Option<i64> = audit_heads::table
        .find(company.0)
        .select(audit_heads::seq)
        .first(conn)
        .await
        .optional()?;
    if head.is_some_and(|head| head != point.seq) {
        return Ok((checked, Step::Broken(point.seq + 1, Uuid::nil())));
    }
    Ok((checked, Step::End))
}

/// Re-walks `company`'s whole chain from the first event, in pages, and reports the
/// first event whose link or hash does not hold. For tools (a restore's check); the API
/// walks a bounded stretch per request.
pub async fn verify(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<Verification> {
    const PAGE: i64 = 1000;
    let mut point = ChainPoint::start();
    let mut checked = 0;
    loop {
        let (page_checked, step) = verify_page(conn, company, &point, PAGE).await?;
        checked += page_checked;
        match step {
            Step::Continue(next) => point = next,
            Step::Broken(seq, id) => {
                return Ok(Verification {
                    checked,
                    first_broken: Some((seq, id)),
                });
            }
            Step::End => {
                return Ok(Verification {
                    checked,
                    first_broken: None,
                });
            }
        }
    }
}
