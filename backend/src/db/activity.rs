//! Activity events and work sessions: the ingest statement, the reads people make, and
//! retention. The session builder that folds events into sessions is
//! [`crate::worker::sessions`].

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::activity::{ActivityEvent, ActivityRecord, WorkSession};
use pulse_shared::ids::{AgentId, CompanyId, UserId, WorkSessionId};
use uuid::Uuid;

use super::policies;
use super::schema::{activity_events, work_sessions};
use crate::domain::sessions::{self, Span};

#[derive(QueryableByName)]
struct StoredId {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
}

/// Stores `events` of one agent in one statement (`UNNEST` of one array per column)
/// and answers the ids actually stored: an id the agent already sent is skipped. The
/// same statement queues the stored ids for the session builder, with the employee's
/// idle threshold `idle_gap` and time zone (for their report days), so a batch is stored
/// and queued or neither. This is the whole write of an activity batch, and the
/// statement `cargo xtask bench` compares the API against.
pub async fn insert_events(
    conn: &mut AsyncPgConnection,
    (company, agent, user): (CompanyId, AgentId, UserId),
    events: &[ActivityEvent],
    (idle_gap, time_zone): (Duration, &str),
    received_at: DateTime<Utc>,
) -> QueryResult<Vec<Uuid>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // Counts are checked against their bounds before they get here.
    let column = |f: fn(&ActivityEvent) -> u32| {
        events
            .iter()
            .map(|event| i32::try_from(f(event)).unwrap_or(i32::MAX))
            .collect::<Vec<i32>>()
    };
    let rows: Vec<StoredId> = diesel::sql_query(
        "WITH stored AS (
             INSERT INTO activity_events (company_id, agent_id, id, user_id, app, title, url,
                                          started_at, duration_secs, keystrokes, mouse_events,
                                          active_secs, idle, received_at)
             SELECT $1, $2, e.id, $3, e.app, e.title, e.url, e.started_at, e.duration_secs,
                    e.keystrokes, e.mouse_events, e.active_secs, e.idle, $4
               FROM UNNEST($5::uuid[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
                           $10::int[], $11::int[], $12::int[], $13::int[], $14::bool[])
                    AS e(id, app, title, url, started_at, duration_secs, keystrokes,
                         mouse_events, active_secs, idle)
             ON CONFLICT DO NOTHING
             RETURNING id, started_at),
         queued AS (
             INSERT INTO session_queue (company_id, agent_id, user_id, event_ids, event_starts,
                                        idle_gap_secs, time_zone)
             SELECT $1, $2, $3, array_agg(id), array_agg(started_at), $15, $16
               FROM stored HAVING count(*) > 0)
         SELECT id FROM stored",
    )
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<diesel::sql_types::Uuid, _>(agent.0)
    .bind::<diesel::sql_types::Uuid, _>(user.0)
    .bind::<Timestamptz, _>(received_at)
    .bind::<Array<diesel::sql_types::Uuid>, _>(events.iter().map(|e| e.id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|e| e.app.as_str()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        events
            .iter()
            .map(|e| e.title.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(events.iter().map(|e| e.url.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(events.iter().map(|e| e.started_at).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(column(|e| e.duration_secs))
    .bind::<Array<Integer>, _>(column(|e| e.keystrokes))
    .bind::<Array<Integer>, _>(column(|e| e.mouse_events))
    .bind::<Array<Integer>, _>(column(|e| e.active_secs))
    .bind::<Array<Bool>, _>(events.iter().map(|e| e.idle).collect::<Vec<_>>())
    .bind::<Integer, _>(i32::try_from(idle_gap.num_seconds().max(1)).unwrap_or(i32::MAX))
    .bind::<Text, _>(time_zone)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = work_sessions)]
pub struct SessionRow {
    pub company_id: CompanyId,
    pub id: WorkSessionId,
    pub user_id: UserId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub active_secs: i64,
    pub idle_secs: i64,
    pub keystrokes: i64,
    pub mouse_events: i64,
    pub app_secs: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

impl SessionRow {
    /// Active seconds per application.
    pub fn apps(&self) -> BTreeMap<String, i64> {
        serde_json::from_value(self.app_secs.clone()).unwrap_or_default()
    }

    pub(crate) fn span(&self) -> Span {
        Span {
            started_at: self.started_at,
            ended_at: self.ended_at,
            active_secs: self.active_secs,
            idle_secs: self.idle_secs,
            keystrokes: self.keystrokes,
            mouse_events: self.mouse_events,
            app_secs: self.apps(),
        }
    }

    pub(crate) fn new(
        company: CompanyId,
        id: WorkSessionId,
        user: UserId,
        span: &Span,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            company_id: company,
            id,
            user_id: user,
            started_at: span.started_at,
            ended_at: span.ended_at,
            active_secs: span.active_secs,
            idle_secs: span.idle_secs,
            keystrokes: span.keystrokes,
            mouse_events: span.mouse_events,
            app_secs: serde_json::to_value(&span.app_secs).unwrap_or_default(),
            updated_at: now,
        }
    }
}

impl From<SessionRow> for WorkSession {
    fn from(row: SessionRow) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            started_at: row.started_at,
            ended_at: row.ended_at,
            active_secs: row.active_secs,
            idle_secs: row.idle_secs,
            keystrokes: row.keystrokes,
            mouse_events: row.mouse_events,
            top_apps: sessions::top_apps(&row.apps()),
        }
    }
}

/// The sessions of `people` overlapping `[from, to)`, in time order.
pub async fn sessions(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[UserId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<SessionRow>> {
    work_sessions::table
        .filter(work_sessions::company_id.eq(company))
        .filter(work_sessions::user_id.eq_any(people.to_vec()))
        .filter(work_sessions::ended_at.gt(from))
        .filter(work_sessions::started_at.lt(to))
        .order((work_sessions::started_at.asc(), work_sessions::id.asc()))
        .select(SessionRow::as_select())
        .load(conn)
        .await
}

/// One person's sessions overlapping a range, added up.
#[derive(Debug, Clone, QueryableByName)]
pub struct SessionTotals {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: UserId,
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub active_secs: i64,
    #[diesel(sql_type = BigInt)]
    pub idle_secs: i64,
    #[diesel(sql_type = Timestamptz)]
    pub first_started_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub last_ended_at: DateTime<Utc>,
}

/// Active seconds of one person in one application over a range.
#[derive(Debug, Clone, QueryableByName)]
pub struct AppTotal {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: UserId,
    #[diesel(sql_type = Text)]
    pub app: String,
    #[diesel(sql_type = BigInt)]
    pub secs: i64,
}

/// The sessions of `people` overlapping `[from, to)` added up per person, by Postgres:
/// the answer is a row per person with sessions, whatever their number.
pub async fn session_totals(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[UserId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<SessionTotals>> {
    diesel::sql_query(
        "SELECT user_id, count(*) AS sessions, sum(active_secs)::bigint AS active_secs,
                sum(idle_secs)::bigint AS idle_secs, min(started_at) AS first_started_at,
                max(ended_at) AS last_ended_at
           FROM work_sessions
          WHERE company_id = $1 AND user_id = ANY($2) AND ended_at > $3 AND started_at < $4
          GROUP BY user_id",
    )
    .bind::<diesel::sql_types::Uuid, _>(company)
    .bind::<Array<diesel::sql_types::Uuid>, _>(people)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await
}

/// The `top` applications of each of `people` over the sessions overlapping
/// `[from, to)`, longest first (ties by name, compared as Rust compares strings), with
/// any of zero seconds left out.
pub async fn top_apps(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[UserId],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: usize,
) -> QueryResult<Vec<AppTotal>> {
    diesel::sql_query(
        "SELECT user_id, app, secs
           FROM (SELECT s.user_id, a.key AS app, sum(a.value::bigint)::bigint AS secs,
                        row_number() OVER (PARTITION BY s.user_id
                                           ORDER BY sum(a.value::bigint) DESC,
                                                    a.key COLLATE \"C\") AS place
                   FROM work_sessions s CROSS JOIN LATERAL jsonb_each_text(s.app_secs) AS a
                  WHERE s.company_id = $1 AND s.user_id = ANY($2)
                    AND s.ended_at > $3 AND s.started_at < $4
                  GROUP BY s.user_id, a.key
                 HAVING sum(a.value::bigint) > 0) AS ranked
          WHERE place <= $5
          ORDER BY user_id, place",
    )
    .bind::<diesel::sql_types::Uuid, _>(company)
    .bind::<Array<diesel::sql_types::Uuid>, _>(people)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<BigInt, _>(i64::try_from(top).unwrap_or(i64::MAX))
    .load(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity_events)]
pub struct EventRow {
    pub agent_id: AgentId,
    pub id: Uuid,
    pub user_id: UserId,
    pub app: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_secs: i32,
    pub keystrokes: i32,
    pub mouse_events: i32,
    pub active_secs: i32,
    pub idle: bool,
}

impl From<EventRow> for ActivityRecord {
    fn from(row: EventRow) -> Self {
        Self {
            id: row.id,
            agent_id: row.agent_id,
            user_id: row.user_id,
            app: row.app,
            title: row.title,
            url: row.url,
            started_at: row.started_at,
            duration_secs: row.duration_secs,
            keystrokes: row.keystrokes,
            mouse_events: row.mouse_events,
            active_secs: row.active_secs,
            idle: row.idle,
        }
    }
}

/// Where a page of events continues: after this start time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    pub started_at: DateTime<Utc>,
    pub id: Uuid,
}

impl std::str::FromStr for EventCursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (micros, id) = s.split_once('_').ok_or(())?;
        let started_at =
            DateTime::<Utc>::from_timestamp_micros(micros.parse().map_err(drop)?).ok_or(())?;
        Ok(Self {
            started_at,
            id: id.parse().map_err(drop)?,
        })
    }
}

impl std::fmt::Display for EventCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.started_at.timestamp_micros(), self.id)
    }
}

/// One employee's events starting in `[from, to)`, oldest first, after `cursor`.
pub async fn events(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    cursor: Option<EventCursor>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut query = activity_events::table
        .filter(activity_events::company_id.eq(company))
        .filter(activity_events::user_id.eq(user))
        .filter(activity_events::started_at.ge(from))
        .filter(activity_events::started_at.lt(to))
        .order((activity_events::started_at.asc(), activity_events::id.asc()))
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(cursor) = cursor {
        query = query.filter(
            activity_events::started_at
                .gt(cursor.started_at)
                .or(activity_events::started_at
                    .eq(cursor.started_at)
                    .and(activity_events::id.gt(cursor.id))),
        );
    }
    query.load(conn).await
}

/// The stretches of time `agent`'s stored events cover that may overlap `[from, to)`,
/// leaving out the events with ids in `except` (a resent batch is not compared with
/// its own stored copy).
pub async fn reported_stretches(
    conn: &mut AsyncPgConnection,
    (company, agent, user): (CompanyId, AgentId, UserId),
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    except: &[Uuid],
) -> QueryResult<Vec<sessions::Stretch>> {
    let longest = Duration::seconds(i64::from(pulse_shared::activity::MAX_EVENT_SECS));
    let rows: Vec<(DateTime<Utc>, i32)> = activity_events::table
        .filter(activity_events::company_id.eq(company))
        .filter(activity_events::user_id.eq(user))
        .filter(activity_events::agent_id.eq(agent))
        .filter(activity_events::started_at.gt(from - longest))
        .filter(activity_events::started_at.lt(to))
        .filter(activity_events::id.ne_all(except))
        .select((activity_events::started_at, activity_events::duration_secs))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(start, secs)| (start, start + Duration::seconds(i64::from(secs))))
        .filter(|(_, end)| *end > from)
        .collect())
}

/// Deletes up to `batch` rows each of events, sessions and report rollups that are past
/// their employee's activity retention at `now`; answers how many rows went.
pub async fn delete_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> QueryResult<usize> {
    let retention = policies::retention_days_sql("activity_retention_days", "$1");
    let mut deleted = 0;
    // Events by their start, sessions by their end, the report rollups by their hour
    // or day. A row is named by its table and place: `ctid` alone repeats across the
    // partitions of the events. (Months no one keeps any more are dropped whole by
    // `worker::partitions` first.)
    for (table, time) in [
        ("activity_events", "started_at"),
        ("work_sessions", "ended_at"),
        ("activity_hours", "hour"),
        ("activity_hour_subjects", "hour"),
        ("activity_days", "day"),
        ("activity_day_subjects", "day"),
        // A month goes once all of it is past retention.
        ("activity_months", "month + 31"),
        ("activity_month_subjects", "month + 31"),
    ] {
        deleted += diesel::sql_query(format!(
            "WITH retention AS ({retention})
             DELETE FROM {table}
              WHERE (tableoid, ctid) IN (SELECT t.tableoid, t.ctid FROM {table} t
                               JOIN retention r ON r.company_id = t.company_id
                                               AND r.user_id = t.user_id
                              WHERE t.{time} < $1 - make_interval(days => r.days)
                              LIMIT $2)"
        ))
        .bind::<Timestamptz, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(batch)
        .execute(conn)
        .await?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_cursors_round_trip() {
        let cursor = EventCursor {
            started_at: DateTime::<Utc>::from_timestamp_micros(1_800_000_000_123_456)
                .unwrap_or_default(),
            id: Uuid::from_u128(7),
        };
        assert_eq!(cursor.to_string().parse::<EventCursor>(), Ok(cursor));
        assert!("nonsense".parse::<EventCursor>().is_err());
    }
}
