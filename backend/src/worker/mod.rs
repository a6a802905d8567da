//! Background work, one file per job: every replica runs every loop, started by
//! [`crate::server::serve`]. Periodic jobs take a Postgres advisory lock for the length
//! of one round's transaction, so one replica at a time does a round, and since each
//! round works from the database's state, a replica that dies mid-round leaves nothing
//! half done.
//!
//! - [`presence`]: agents between online, offline and missing, with their alerts;
//! - [`sessions`]: queued activity folded into work sessions;
//! - [`retention`]: what is past its retention or grace, deleted;
//! - [`heartbeats`]: heartbeats coalesced in memory, written in one statement;
//! - [`outbox`]: webhook deliveries and alert e-mails, sent after their commit;
//! - [`billing`]: the grace period of overdue payments, and "subscription expiring";
//! - [`reports`]: scheduled report e-mails queued when due, old hours closed;
//! - [`partitions`]: the months of activity events made ahead, and dropped once no one
//!   keeps them.

pub mod billing;
pub mod heartbeats;
pub mod outbox;
pub mod partitions;
pub mod presence;
pub mod reports;
pub mod retention;
pub mod sessions;

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::clock::Clock;
use crate::db;

/// Runs `round` at the clock's current time every `period` until the process ends.
pub(crate) async fn every<F>(
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
pub(crate) async fn try_lock(conn: &mut AsyncPgConnection, lock: i64) -> Result<bool, db::DbError> {
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
