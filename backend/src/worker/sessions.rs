//! The session builder: activity batches queued by ingest (`session_queue`, filled by
//! [`crate::db::activity::insert_events`] in the same statement that stores them) are
//! folded into work sessions, merged with the sessions near them, and into the report
//! rollups ([`crate::reports::rollup`]), in one transaction.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_shared::activity::ActivityEvent;
use pulse_shared::ids::{AgentId, CompanyId, UserId, WorkSessionId};
use uuid::Uuid;

use crate::clock::Clock;
use crate::db::activity::SessionRow;
use crate::db::{self, Db};
use crate::domain::sessions::{self as rules, Span};
use crate::reports::rollup::{self, Reported};

/// The advisory lock of the session builder: one round at a time, across replicas.
const SESSION_BUILDER_LOCK: i64 = 0x7075_6c73_655f_7362; // "pulse_sb"

/// Batches the session builder folds per transaction.
const SESSION_ROUND: i64 = 1_000;

/// Folds queued activity into work sessions every `period` until the process ends.
pub async fn run(db: Db, clock: Clock, period: StdDuration) {
    super::every(clock, period, "sessions", |now| {
        let db = db.clone();
        async move { Ok(round(&db, now).await.map(drop)?) }
    })
    .await;
}

/// Folds everything queued so far into work sessions, a thousand batches per
/// transaction; answers how many batches. Waits for a round another replica is doing,
/// so when it returns, every batch stored before the call is in the sessions. `now`
/// stamps the sessions it writes.
pub async fn round(db: &Db, now: DateTime<Utc>) -> Result<usize, db::DbError> {
    let mut conn = db.system().await?;
    let mut total = 0;
    loop {
        let folded = build(&mut conn, SESSION_ROUND, now).await?;
        total += folded;
        if i64::try_from(folded).unwrap_or(0) < SESSION_ROUND {
            return Ok(total);
        }
    }
}

/// A batch waiting to be folded into sessions.
#[derive(QueryableByName)]
struct Queued {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    agent_id: AgentId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Array<diesel::sql_types::Uuid>)]
    event_ids: Vec<Uuid>,
    /// Their starts, in the same order.
    #[diesel(sql_type = Array<Timestamptz>)]
    event_starts: Vec<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    idle_gap_secs: i32,
    #[diesel(sql_type = Text)]
    time_zone: String,
}

/// One employee's share of a round of the session builder.
#[derive(Default)]
struct Pending {
    events: Vec<ActivityEvent>,
    gap: Duration,
    time_zone: String,
}

/// Folds up to `limit` queued batches into work sessions, in one transaction under the
/// builder's advisory lock (a second replica waits, then finds less or nothing): their
/// events are read back, joined into runs per employee, and merged with the sessions
/// near them, all in a handful of statements however many employees the round covers.
/// Answers how many batches it took; the sessions it writes are stamped `now`.
pub async fn build(
    conn: &mut AsyncPgConnection,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    conn.transaction(async |conn| {
        super::allow_long_statements(conn, super::LockWaits::Long).await?;
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(SESSION_BUILDER_LOCK)
            .execute(conn)
            .await?;
        let queued: Vec<Queued> = diesel::sql_query(
            "DELETE FROM session_queue
              WHERE id IN (SELECT id FROM session_queue ORDER BY id LIMIT $1)
          RETURNING company_id, agent_id, user_id, event_ids, event_starts, idle_gap_secs,
                    time_zone",
        )
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(conn)
        .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let mut pending: BTreeMap<(CompanyId, UserId), Pending> = BTreeMap::new();
        let (mut companies, mut agents, mut ids, mut starts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for batch in &queued {
            let entry = pending
                .entry((batch.company_id, batch.user_id))
                .or_default();
            entry.gap = Duration::seconds(i64::from(batch.idle_gap_secs));
            entry.time_zone.clone_from(&batch.time_zone);
            for (id, start) in batch.event_ids.iter().zip(&batch.event_starts) {
                companies.push(batch.company_id);
                agents.push(batch.agent_id);
                ids.push(*id);
                starts.push(*start);
            }
        }
        // One primary-key probe per event, in the month of its start: the `LIMIT` keeps
        // the planner from turning the lateral lookup into a join, which it answers with
        // a hash of the whole table once the key list is long (a scan that grows with
        // every event stored).
        let events: Vec<QueuedEvent> = diesel::sql_query(
            "SELECT e.company_id, e.user_id, e.app, e.url, e.started_at, e.duration_secs,
                    e.keystrokes, e.mouse_events, e.idle
               FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[])
                    AS k(company_id, agent_id, id, started_at)
              CROSS JOIN LATERAL (
                    SELECT * FROM activity_events e
                     WHERE e.company_id = k.company_id AND e.agent_id = k.agent_id
                       AND e.id = k.id AND e.started_at = k.started_at
                     LIMIT 1) e",
        )
        .bind::<Array<diesel::sql_types::Uuid>, _>(&companies)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&agents)
        .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
        .bind::<Array<Timestamptz>, _>(&starts)
        .load(conn)
        .await?;
        let mut reported = Vec::with_capacity(events.len());
        for event in events {
            if let Some(entry) = pending.get_mut(&(event.company_id, event.user_id)) {
                reported.push(event.reported(&entry.time_zone));
                entry.events.push(event.into());
            }
        }
        rollup::fold(conn, reported).await?;
        let runs: Vec<((CompanyId, UserId), Vec<Span>, Duration)> = pending
            .into_iter()
            .filter(|(_, entry)| !entry.events.is_empty())
            .map(|(key, entry)| (key, rules::runs(&entry.events, entry.gap), entry.gap))
            .collect();
        let near = sessions_near(conn, &runs).await?;
        let (mut written, mut absorbed) = (Vec::new(), Vec::new());
        for ((company, user), runs, gap) in runs {
            let existing = near
                .iter()
                .filter(|row| row.company_id == company && row.user_id == user)
                .map(|row| (row.id, row.span()))
                .collect();
            let (folded, gone) = rules::fold(existing, runs, gap);
            written.extend(folded.into_iter().map(|session| {
                let id = session.id.unwrap_or_else(WorkSessionId::generate);
                SessionRow::new(company, id, user, &session.span, now)
            }));
            absorbed.extend(gone.into_iter().map(|id| (company, id)));
        }
        write_sessions(conn, &written).await?;
        if !absorbed.is_empty() {
            diesel::sql_query(
                "DELETE FROM work_sessions w
                  USING UNNEST($1::uuid[], $2::uuid[]) AS d(company_id, id)
                  WHERE w.company_id = d.company_id AND w.id = d.id",
            )
            .bind::<Array<diesel::sql_types::Uuid>, _>(
                absorbed
                    .iter()
                    .map(|(company, _)| *company)
                    .collect::<Vec<_>>(),
            )
            .bind::<Array<diesel::sql_types::Uuid>, _>(
                absorbed.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            )
            .execute(conn)
            .await?;
        }
        Ok(queued.len())
    })
    .await
}

/// A queued event, as much of it as sessions need.
#[derive(QueryableByName)]
struct QueuedEvent {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Text)]
    app: String,
    #[diesel(sql_type = Nullable<Text>)]
    url: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    started_at: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    duration_secs: i32,
    #[diesel(sql_type = Integer)]
    keystrokes: i32,
    #[diesel(sql_type = Integer)]
    mouse_events: i32,
    #[diesel(sql_type = Bool)]
    idle: bool,
}

impl QueuedEvent {
    /// The event as the report rollups take it, filed under `time_zone`'s days.
    fn reported(&self, time_zone: &str) -> Reported {
        let count = |value: i32| u32::try_from(value).unwrap_or(0);
        Reported {
            company: self.company_id,
            user: self.user_id,
            time_zone: time_zone.to_owned(),
            app: self.app.clone(),
            url: self.url.clone(),
            started_at: self.started_at,
            duration_secs: count(self.duration_secs),
            keystrokes: count(self.keystrokes),
            mouse_events: count(self.mouse_events),
            idle: self.idle,
        }
    }
}

impl From<QueuedEvent> for ActivityEvent {
    fn from(row: QueuedEvent) -> Self {
        let count = |value: i32| u32::try_from(value).unwrap_or(0);
        Self {
            id: Uuid::nil(),
            app: row.app,
            title: None,
            url: None,
            started_at: row.started_at,
            duration_secs: count(row.duration_secs),
            keystrokes: count(row.keystrokes),
            mouse_events: count(row.mouse_events),
            active_secs: 0,
            idle: row.idle,
        }
    }
}

/// Every session within the gap of each employee's runs, in one query: one index range
/// scan per employee (`OFFSET 0` keeps the lateral lookup from becoming a hash join
/// over every session stored).
async fn sessions_near(
    conn: &mut AsyncPgConnection,
    runs: &[((CompanyId, UserId), Vec<Span>, Duration)],
) -> QueryResult<Vec<SessionRow>> {
    let windows: Vec<_> = runs
        .iter()
        .filter_map(|((company, user), runs, gap)| {
            let from = runs.iter().map(|run| run.started_at).min()? - *gap;
            let to = runs.iter().map(|run| run.ended_at).max()? + *gap;
            Some((*company, *user, from, to))
        })
        .collect();
    diesel::sql_query(
        "SELECT s.company_id, s.id, s.user_id, s.started_at, s.ended_at, s.active_secs,
                s.idle_secs, s.keystrokes, s.mouse_events, s.app_secs, s.updated_at
           FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[])
                AS w(company_id, user_id, from_at, to_at)
          CROSS JOIN LATERAL (
                SELECT * FROM work_sessions s
                 WHERE s.company_id = w.company_id AND s.user_id = w.user_id
                   AND s.ended_at > w.from_at AND s.started_at < w.to_at
                OFFSET 0) s
          ORDER BY s.started_at",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(windows.iter().map(|w| w.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(windows.iter().map(|w| w.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(windows.iter().map(|w| w.2).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(windows.iter().map(|w| w.3).collect::<Vec<_>>())
    .load(conn)
    .await
}

/// Inserts or replaces `rows` in one statement.
async fn write_sessions(conn: &mut AsyncPgConnection, rows: &[SessionRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let uuids = |f: fn(&SessionRow) -> Uuid| rows.iter().map(f).collect::<Vec<_>>();
    let times = |f: fn(&SessionRow) -> DateTime<Utc>| rows.iter().map(f).collect::<Vec<_>>();
    let counts = |f: fn(&SessionRow) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    diesel::sql_query(
        "INSERT INTO work_sessions (company_id, id, user_id, started_at, ended_at, active_secs,
                                    idle_secs, keystrokes, mouse_events, app_secs, updated_at)
         SELECT *
           FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::timestamptz[],
                       $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::jsonb[],
                       $11::timestamptz[]) AS s
         ON CONFLICT (company_id, id) DO UPDATE
            SET started_at = excluded.started_at, ended_at = excluded.ended_at,
                active_secs = excluded.active_secs, idle_secs = excluded.idle_secs,
                keystrokes = excluded.keystrokes, mouse_events = excluded.mouse_events,
                app_secs = excluded.app_secs, updated_at = excluded.updated_at",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(uuids(|r| r.company_id.0))
    .bind::<Array<diesel::sql_types::Uuid>, _>(uuids(|r| r.id.0))
    .bind::<Array<diesel::sql_types::Uuid>, _>(uuids(|r| r.user_id.0))
    .bind::<Array<Timestamptz>, _>(times(|r| r.started_at))
    .bind::<Array<Timestamptz>, _>(times(|r| r.ended_at))
    .bind::<Array<diesel::sql_types::BigInt>, _>(counts(|r| r.active_secs))
    .bind::<Array<diesel::sql_types::BigInt>, _>(counts(|r| r.idle_secs))
    .bind::<Array<diesel::sql_types::BigInt>, _>(counts(|r| r.keystrokes))
    .bind::<Array<diesel::sql_types::BigInt>, _>(counts(|r| r.mouse_events))
    .bind::<Array<diesel::sql_types::Jsonb>, _>(
        rows.iter().map(|r| r.app_secs.clone()).collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(times(|r| r.updated_at))
    .execute(conn)
    .await
    .map(drop)
}
