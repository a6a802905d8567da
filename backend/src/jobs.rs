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
use crate::db::{self, DbPool, activity, agents};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"

/// The advisory lock of the retention job.
const RETENTION_LOCK: i64 = 0x7075_6c73_655f_7265; // "pulse_re"

/// Rows the retention job deletes per table and transaction.
const RETENTION_BATCH: i64 = 10_000;

/// Runs `round` at the current time every `period` until the process ends.
async fn every<F>(period: Duration, job: &'static str, mut round: impl FnMut(DateTime<Utc>) -> F)
where
    F: Future<Output = Result<(), db::DbError>>,
{
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = round(Utc::now()).await {
            tracing::warn!(%error, job, "a periodic job could not run");
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

/// Recomputes presence every `period` until the process ends.
pub async fn presence_loop(pool: DbPool, period: Duration) {
    every(period, "presence", |now| {
        let pool = pool.clone();
        async move { presence_round(&pool, now).await.map(drop) }
    })
    .await;
}

/// Deletes expired activity every `period` until the process ends.
pub async fn retention_loop(pool: DbPool, period: Duration) {
    every(period, "retention", |now| {
        let pool = pool.clone();
        async move { retention_round(&pool, now).await.map(drop) }
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
    conn.transaction::<_, db::DbError, _>(async |conn| {
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
    .await
}
