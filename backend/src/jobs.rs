//! Periodic jobs. Every replica runs the loop; a Postgres advisory lock taken for the
//! length of one round's transaction makes sure only one replica does a round at a
//! time, and since each round works from the database's state, a replica that dies
//! mid-round leaves nothing half done.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncConnection, RunQueryDsl};
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::ids::{AgentId, CompanyId, UserId};

use crate::alerts::{self, Audience, NewAlert};
use crate::db::{self, DbPool, agents, screenshots};
use crate::storage::{self, Store};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"
/// The advisory lock of the screenshot retention job.
const RETENTION_LOCK: i64 = 0x7075_6c73_655f_7372; // "pulse_sr"
/// Screenshots deleted per transaction, and objects deleted per transaction.
pub const RETENTION_BATCH: i64 = 500;
/// Batches one round does at most, so a backlog is worked off over several rounds
/// instead of holding a replica for long.
const RETENTION_MAX_BATCHES: usize = 40;

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Takes `key` for the rest of the transaction, if no other replica holds it.
async fn try_lock(
    conn: &mut diesel_async::AsyncPgConnection,
    key: i64,
) -> Result<bool, diesel::result::Error> {
    let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(key)
        .get_result(conn)
        .await?;
    Ok(lock.locked)
}

/// Recomputes presence every `period` until the process ends.
pub async fn presence_loop(pool: DbPool, period: Duration) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = presence_round(&pool, Utc::now()).await {
            tracing::warn!(%error, "the presence job could not run");
        }
    }
}

/// One round at `now` (a parameter, so tests can move the clock): moves agents between
/// online, offline and missing, and raises "agent offline" when an online agent stops
/// reporting and "agent back online" when one with an open offline alert reports
/// again, once per transition. Answers how many agents changed, or `None` when another
/// replica holds the lock.
pub async fn presence_round(
    pool: &DbPool,
    now: DateTime<Utc>,
) -> Result<Option<usize>, db::DbError> {
    let mut conn = db::conn(pool).await?;
    let changed = conn
        .transaction::<_, db::DbError, _>(async |conn| {
            if !try_lock(conn, PRESENCE_LOCK).await? {
                return Ok(None);
            }
            let transitions = agents::update_presence(conn, now).await?;
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
                alerts::raise(conn, company, alert).await?;
            }
            Ok(Some(transitions.len()))
        })
        .await?;
    Ok(changed)
}

/// Deletes screenshots past their retention every `period` until the process ends.
pub async fn screenshot_retention_loop(pool: DbPool, store: Store, period: Duration) {
    // The first round waits a period: a replica starting does not need one at once.
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match screenshot_retention_round(&pool, &store, Utc::now()).await {
            Ok(Some(round)) if round.screenshots + round.objects > 0 => {
                tracing::info!(
                    screenshots = round.screenshots,
                    objects = round.objects,
                    "screenshot retention"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "the screenshot retention job could not run"
            ),
        }
    }
}

/// What one retention round removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionRound {
    /// Screenshots (with their views) deleted.
    pub screenshots: usize,
    /// Objects deleted from the store: those screenshots' images and thumbnails, and
    /// any other queued deletion that was due.
    pub objects: usize,
}

/// One round at `now` (a parameter, so tests can move the clock): deletes the
/// screenshots captured longer ago than their person's effective
/// `screenshot_retention_days`, in batches of [`RETENTION_BATCH`], each batch in a
/// transaction under the job's advisory lock; then deletes the queued objects that are
/// due. `None` when another replica holds the lock.
pub async fn screenshot_retention_round(
    pool: &DbPool,
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<RetentionRound>> {
    let default_days =
        i32::try_from(pulse_shared::policies::PolicySettings::default().screenshot_retention_days)
            .unwrap_or(30);
    let mut round = RetentionRound::default();
    let mut conn = db::conn(pool).await?;
    for _ in 0..RETENTION_MAX_BATCHES {
        let expired = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !try_lock(conn, RETENTION_LOCK).await? {
                    return Ok(None);
                }
                Ok(Some(
                    screenshots::expire(conn, now, RETENTION_BATCH, default_days).await?,
                ))
            })
            .await?;
        let Some(expired) = expired else {
            return Ok(None);
        };
        round.screenshots += expired;
        if i64::try_from(expired).unwrap_or(0) < RETENTION_BATCH {
            break;
        }
    }
    drop(conn);
    // Deletions are queued at the database's clock; a `now` set back by a test must
    // still see those due by the wall clock.
    let due = now.max(Utc::now());
    for _ in 0..RETENTION_MAX_BATCHES {
        let deleted = storage::drain(pool, store.as_ref(), due, RETENTION_BATCH).await?;
        round.objects += deleted;
        if i64::try_from(deleted).unwrap_or(0) < RETENTION_BATCH {
            break;
        }
    }
    Ok(Some(round))
}
