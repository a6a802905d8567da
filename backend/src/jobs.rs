//! Periodic jobs. Every replica runs the loop; a Postgres advisory lock taken for the
//! length of one round's transaction makes sure only one replica does a round at a
//! time, and since each round works from the database's state, a replica that dies
//! mid-round leaves nothing half done.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::ids::{AgentId, CompanyId, UserId};

use crate::alerts::{self, Audience, NewAlert};
use crate::clock::Clock;
use crate::db::{self, DbPool, activity, agents, screenshots, sessions};
use crate::storage::{self, Store};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"

/// The advisory lock of the retention job.
const RETENTION_LOCK: i64 = 0x7075_6c73_655f_7265; // "pulse_re"

/// Rows the retention job deletes per table and transaction.
const RETENTION_BATCH: i64 = 10_000;
/// The advisory lock of the screenshot retention job.
const SCREENSHOT_RETENTION_LOCK: i64 = 0x7075_6c73_655f_7372; // "pulse_sr"
/// Screenshots deleted per transaction, and objects deleted per transaction.
pub const SCREENSHOT_BATCH: i64 = 500;
/// Batches one round does at most, so a backlog is worked off over several rounds
/// instead of holding a replica for long.
const SCREENSHOT_MAX_BATCHES: usize = 40;

/// Runs `round` at the clock's current time every `period` until the process ends.
async fn every<F>(
    clock: Clock,
    period: Duration,
    job: &'static str,
    mut round: impl FnMut(DateTime<Utc>) -> F,
) where
    F: Future<Output = anyhow::Result<()>>,
{
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = round(clock.now()).await {
            tracing::warn!(
                error = format!("{error:#}"),
                job,
                "a periodic job could not run"
            );
        }
    }
}

/// Takes the advisory lock `lock` for the rest of the transaction, unless another
/// replica holds it: so one replica at a time does a job's round.
async fn try_lock(conn: &mut AsyncPgConnection, lock: i64) -> Result<bool, db::DbError> {
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let taken: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(lock)
        .get_result(conn)
        .await?;
    Ok(taken.locked)
}

/// Transitions one presence round takes at most. When a whole company goes offline at
/// once, its alerts are raised over several short transactions rather than one that
/// holds every agent row (and the heartbeat writes waiting on them) until the last
/// alert is written.
const PRESENCE_BATCH: usize = 1_000;

/// Recomputes presence every `period` until the process ends; a round that found a
/// full batch of transitions is followed at once by another.
pub async fn presence_loop(pool: DbPool, clock: Clock, period: Duration) {
    every(clock, period, "presence", |now| {
        let pool = pool.clone();
        async move {
            while presence_round(&pool, now).await? == Some(PRESENCE_BATCH) {}
            Ok(())
        }
    })
    .await;
}

/// Batches the session builder folds per transaction.
const SESSION_ROUND: i64 = 1_000;

/// Folds queued activity into work sessions every `period` until the process ends.
pub async fn sessions_loop(pool: DbPool, clock: Clock, period: Duration) {
    every(clock, period, "sessions", |now| {
        let pool = pool.clone();
        async move { Ok(sessions_round(&pool, now).await.map(drop)?) }
    })
    .await;
}

/// Folds everything queued so far into work sessions, a thousand batches per
/// transaction; answers how many batches. Waits for a round another replica is doing,
/// so when it returns, every batch stored before the call is in the sessions. `now`
/// stamps the sessions it writes.
pub async fn sessions_round(pool: &DbPool, now: DateTime<Utc>) -> Result<usize, db::DbError> {
    let mut conn = db::conn(pool).await?;
    let mut total = 0;
    loop {
        let folded = activity::build_sessions(&mut conn, SESSION_ROUND, now).await?;
        total += folded;
        if i64::try_from(folded).unwrap_or(0) < SESSION_ROUND {
            return Ok(total);
        }
    }
}

/// Deletes expired activity and screenshots, and the people deleted more than `grace`
/// ago, every `period` until the process ends.
pub async fn retention_loop(
    pool: DbPool,
    store: Store,
    clock: Clock,
    period: Duration,
    grace: chrono::Duration,
) {
    every(clock, period, "retention", |now| {
        let (pool, store) = (pool.clone(), store.clone());
        async move {
            let people = purge_deleted_people(&pool, now - grace).await?;
            let holds = purge_retention_holds(&pool, now).await?;
            let activity = retention_round(&pool, now).await?;
            let screenshots = screenshot_retention_round(&pool, &store, now).await?;
            let credentials = purge_ended_credentials(&pool, now).await?;
            let counters = crate::auth::rate_limit::prune(&pool, now).await?;
            if let (Some(rows), Some(shots)) = (activity, screenshots) {
                tracing::info!(
                    activity_rows = rows,
                    screenshots = shots.screenshots,
                    objects = shots.objects,
                    credentials,
                    counters,
                    people,
                    holds,
                    "retention"
                );
            }
            Ok(())
        }
    })
    .await;
}

/// Deletes the activity events and work sessions past each employee's retention at
/// `now`, a batch per transaction until none is left. Answers how many rows went, or
/// `None` when another replica holds the job's lock.
pub async fn retention_round(
    pool: &DbPool,
    now: DateTime<Utc>,
) -> Result<Option<usize>, db::DbError> {
    let mut conn = db::conn(pool).await?;
    let mut total = 0;
    loop {
        let deleted = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !try_lock(conn, RETENTION_LOCK).await? {
                    return Ok(None);
                }
                Ok(Some(
                    activity::delete_expired(conn, now, RETENTION_BATCH).await?,
                ))
            })
            .await?;
        match deleted {
            None if total == 0 => return Ok(None),
            Some(deleted) if deleted > 0 => total += deleted,
            _ => return Ok(Some(total)),
        }
    }
}

/// Removes the people deleted before `before`, with everything recorded about them;
/// answers how many. Any replica may do it: deleting twice deletes no more.
pub async fn purge_deleted_people(
    pool: &DbPool,
    before: DateTime<Utc>,
) -> Result<usize, db::DbError> {
    let mut conn = db::conn(pool).await?;
    Ok(db::people::purge_deleted(&mut conn, before).await?)
}

/// Deletes the retention holds that ended before `now`; answers how many.
pub async fn purge_retention_holds(
    pool: &DbPool,
    now: DateTime<Utc>,
) -> Result<usize, db::DbError> {
    let mut conn = db::conn(pool).await?;
    Ok(db::policies::purge_retention_holds(&mut conn, now).await?)
}

/// Deletes the credentials that ended before `now`: refresh tokens (expired or revoked
/// a day before, in batches), password-reset links (expired a day before) and sign-up
/// links (expired); answers how many. Any
/// replica may do it: deleting twice deletes no more.
pub async fn purge_ended_credentials(
    pool: &DbPool,
    now: DateTime<Utc>,
) -> Result<usize, db::DbError> {
    let mut conn = db::conn(pool).await?;
    let mut total = db::password_resets::purge(&mut conn, now).await?
        + db::signups::purge(&mut conn, now).await?;
    loop {
        let purged = sessions::purge(&mut conn, now, RETENTION_BATCH).await?;
        total += purged;
        if i64::try_from(purged).unwrap_or(0) < RETENTION_BATCH {
            return Ok(total);
        }
    }
}

/// One round at `now` (a parameter, so tests can move the clock): moves agents between
/// online, offline and missing, and raises "agent offline" when an online agent stops
/// reporting and "agent back online" when one with an open offline alert reports
/// again, once per transition. Takes at most [`PRESENCE_BATCH`] agents; answers how many
/// changed, or `None` when another replica holds the lock.
pub async fn presence_round(
    pool: &DbPool,
    now: DateTime<Utc>,
) -> Result<Option<usize>, db::DbError> {
    let mut conn = db::conn(pool).await?;
    conn.transaction::<_, db::DbError, _>(async |conn| {
        if !try_lock(conn, PRESENCE_LOCK).await? {
            return Ok(None);
        }
        let transitions = agents::update_presence(conn, now, PRESENCE_BATCH).await?;
        for agent in &transitions {
            let company = CompanyId(agent.company_id);
            let subject = AlertSubject {
                agent_id: Some(AgentId(agent.id)),
                user_id: Some(UserId(agent.user_id)),
                ..AlertSubject::default()
            };
            let alert = match (agent.previous.as_str(), agent.presence.as_str()) {
                ("online", "offline" | "missing") => NewAlert {
                    kind: AlertKind::AgentOffline,
                    title: format!("{} is offline", agent.hostname),
                    body: match agent.last_seen_at {
                        Some(seen) => format!(
                            "Its agent last reported at {} UTC.",
                            seen.format("%Y-%m-%d %H:%M")
                        ),
                        None => "Its agent has not reported.".to_owned(),
                    },
                    subject,
                    audience: Audience::Company,
                },
                (_, "online")
                    if alerts::is_open(conn, company, AlertKind::AgentOffline, &subject)
                        .await? =>
                {
                    NewAlert {
                        kind: AlertKind::AgentOnline,
                        title: format!("{} is back online", agent.hostname),
                        body: "Its agent reports again.".to_owned(),
                        subject,
                        audience: Audience::Company,
                    }
                }
                _ => continue,
            };
            alerts::raise(conn, company, alert, now).await?;
        }
        Ok(Some(transitions.len()))
    })
    .await
}

/// What one retention round removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScreenshotRetention {
    /// Screenshots (with their views) deleted.
    pub screenshots: usize,
    /// Objects deleted from the store: those screenshots' images and thumbnails, and
    /// any other queued deletion that was due.
    pub objects: usize,
}

/// One round at `now` (a parameter, so tests can move the clock): deletes the
/// screenshots captured longer ago than their person's effective
/// `screenshot_retention_days`, in batches of [`SCREENSHOT_BATCH`], each batch in a
/// transaction under the job's advisory lock; then deletes the queued objects that are
/// due. `None` when another replica holds the lock.
pub async fn screenshot_retention_round(
    pool: &DbPool,
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<ScreenshotRetention>> {
    let mut round = ScreenshotRetention::default();
    let mut conn = db::conn(pool).await?;
    for _ in 0..SCREENSHOT_MAX_BATCHES {
        let expired = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !try_lock(conn, SCREENSHOT_RETENTION_LOCK).await? {
                    return Ok(None);
                }
                Ok(Some(
                    screenshots::expire(conn, now, SCREENSHOT_BATCH).await?,
                ))
            })
            .await?;
        let Some(expired) = expired else {
            return Ok(None);
        };
        round.screenshots += expired;
        if i64::try_from(expired).unwrap_or(0) < SCREENSHOT_BATCH {
            break;
        }
    }
    drop(conn);
    // Deletions are queued at the database's clock; a `now` set back by a test must
    // still see those due by the wall clock.
    let due = now.max(Clock::system().now());
    for _ in 0..SCREENSHOT_MAX_BATCHES {
        let deleted = storage::drain(pool, store.as_ref(), due, SCREENSHOT_BATCH).await?;
        round.objects += deleted;
        if i64::try_from(deleted).unwrap_or(0) < SCREENSHOT_BATCH {
            break;
        }
    }
    Ok(Some(round))
}
