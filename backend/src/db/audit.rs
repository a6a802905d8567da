//! Audit events: appended inside the transaction of the change they record, read back
//! with filters, and re-walked to verify the chain.

use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::audit::{ActorKind, AuditAction, AuditEvent, TargetKind};
use pulse_shared::ids::{AuditEventId, CompanyId};
use uuid::Uuid;

use super::schema::{audit_events, audit_heads, audit_pseudonymised};
use crate::domain::audit::{
    ChainedEvent, GENESIS, Personal, PersonalFields, event_hash, personal_digest,
};

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

#[derive(Debug, Queryable, QueryableByName, Selectable, Insertable)]
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
    /// The second form of the chain: the salted digest of the personal fields, which
    /// the hash covers in their place. `None`: an event of the first form.
    pub personal_digest: Option<Vec<u8>>,
    /// The digest's salt; `None` once erasure replaced the personal fields.
    pub personal_salt: Option<Vec<u8>>,
}

impl AuditRow {
    fn personal_fields(&self) -> PersonalFields<'_> {
        PersonalFields {
            summary: &self.summary,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }

    /// Whether the event's own hash holds after `prev_hash`: for the second form, the
    /// digest matches the fields while the salt is kept, and the hash covers the
    /// digest. `pseudonymised` events of the first form cannot be recomputed (the
    /// fields their hash covered are gone); their links to their neighbours still are.
    fn holds_after(&self, prev_hash: &[u8], pseudonymised: bool) -> bool {
        match (&self.personal_digest, &self.personal_salt) {
            (Some(digest), Some(salt)) => {
                personal_digest(salt, &self.personal_fields()).as_slice() == digest.as_slice()
                    && self.hash == event_hash(prev_hash, &self.chained())
            }
            (Some(_), None) => pseudonymised && self.hash == event_hash(prev_hash, &self.chained()),
            (None, _) if pseudonymised => true,
            (None, _) => self.hash == event_hash(prev_hash, &self.chained()),
        }
    }

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
            personal: match &self.personal_digest {
                Some(digest) => Personal::Digest(digest),
                None => Personal::Inline(self.personal_fields()),
            },
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
        personal_digest: None,
        personal_salt: None,
    };
    let mut salt = vec![0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|error| diesel::result::Error::QueryBuilderError(error.to_string().into()))?;
    row.personal_digest = Some(personal_digest(&salt, &row.personal_fields()).to_vec());
    row.personal_salt = Some(salt);
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
    let pseudonymised: std::collections::HashSet<i64> =
        match (rows.as_slice().first(), rows.as_slice().last()) {
            (Some(first), Some(last)) => audit_pseudonymised::table
                .filter(audit_pseudonymised::company_id.eq(company))
                .filter(audit_pseudonymised::seq.between(first.seq, last.seq))
                .select(audit_pseudonymised::seq)
                .load::<i64>(conn)
                .await?
                .into_iter()
                .collect(),
            _ => std::collections::HashSet::new(),
        };
    let mut point = from.clone();
    let mut checked = 0;
    for row in rows {
        checked += 1;
        let intact = row.seq == point.seq + 1
            && row.prev_hash == point.hash
            && row.holds_after(&point.hash, pseudonymised.contains(&row.seq));
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

/// `company`'s events by `person` or about them (as actor or target, or naming one of
/// `also`: their API keys, computers, invitations), oldest first, after `after_seq`.
pub async fn about(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    ids: &[Uuid],
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::company_id.eq(company))
        .filter(
            audit_events::actor_id
                .eq_any(ids.to_vec())
                .or(audit_events::target_id.eq_any(ids.to_vec())),
        )
        .filter(audit_events::seq.gt(after_seq))
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)
        .await
}

/// Replaces the personal fields of `company`'s event `seq` with `fields` and forgets
/// its salt, recording that erasure of `person` did it. Call in the erasure's
/// transaction after [`allow_pseudonymising`]. The chain still verifies: a second-form
/// event keeps its digest; a first-form event is listed as pseudonymised.
pub async fn pseudonymise(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    seq: i64,
    fields: (serde_json::Value, Option<String>, Option<String>),
    person: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let (summary, ip, user_agent) = fields;
    diesel::update(audit_events::table.find((company.0, seq)))
        .set((
            audit_events::summary.eq(summary),
            audit_events::ip.eq(ip),
            audit_events::user_agent.eq(user_agent),
            audit_events::personal_salt.eq(None::<Vec<u8>>),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(audit_pseudonymised::table)
        .values((
            audit_pseudonymised::company_id.eq(company.0),
            audit_pseudonymised::seq.eq(seq),
            audit_pseudonymised::erased_user_id.eq(person),
            audit_pseudonymised::pseudonymised_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// Lets this transaction replace events' personal fields (the append-only trigger
/// admits that one change, and no other, while this setting is on).
pub async fn allow_pseudonymising(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute("SET LOCAL pulse.audit_pseudonymise = 'on'")
        .await
}
