//! Background work, one file per job: every replica runs every loop, started by
//! [`crate::server::serve`]. Periodic jobs take a Postgres advisory lock for the length
//! of one round's transaction, so one replica at a time does a round, and since each
//! round works from the database's state, a replica that dies mid-round leaves nothing
//! half done.
//!
//! - [`presence`]: agents between online, offline and missing, with their alerts;
//! - [`sessions`]: queued activity folded into work sessions;
//! - [`retention`]: what is past its retention or grace, deleted, and people past their
//!   deletion grace erased;
//! - [`exports`]: people's data exports built into the object store, and expired ones
//!   deleted;
//! - [`heartbeats`]: heartbeats coalesced in memory, written in one statement;
//! - [`outbox`]: webhook deliveries and alert e-mails, sent after their commit;
//! - [`billing`]: the grace period of overdue payments, and "subscription expiring";
//! - [`reports`]: scheduled report e-mails queued when due, old hours closed;
//! - [`partitions`]: the months of activity events made ahead, and dropped once no one
//!   keeps them.
//!
//! Jobs share the server's pool, and with it the request-sized `statement_timeout` and
//! `lock_timeout` ([`crate::db`]). A round that works through a backlog (the session
//! builder, retention, the partitions, the reports round) lifts them for its own
//! transaction with [`allow_long_statements`]: a round that always timed out would
//! never get through its backlog.

pub mod billing;
pub mod exports;
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

/// How long one statement of a background round may run: a backlog (a day of queued
/// activity after an outage, a person deleted with a year of it) is worked through in
/// bounded batches, but a batch may still take minutes on a large company.
const ROUND_STATEMENT_TIMEOUT: &str = "10min";

/// How a background round waits for locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockWaits {
    /// As long as a statement may run: the session builder queues behind another
    /// replica's round on its advisory lock, by design.
    Long,
    /// The server's `lock_timeout`: DDL (the partitions) asks for locks that would
    /// queue every reader and writer of the table behind it, so it gives up soon and
    /// tries again next round rather than stall ingest.
    Short,
}

/// Lifts the request-sized `statement_timeout` (and, with [`LockWaits::Long`], the
/// `lock_timeout`) to [`ROUND_STATEMENT_TIMEOUT`] for the rest of the transaction.
pub(crate) async fn allow_long_statements(
    conn: &mut AsyncPgConnection,
    locks: LockWaits,
) -> Result<(), diesel::result::Error> {
    use diesel_async::SimpleAsyncConnection;
    let mut settings = format!("SET LOCAL statement_timeout = '{ROUND_STATEMENT_TIMEOUT}'");
    if locks == LockWaits::Long {
        settings.push_str(&format!(
            "; SET LOCAL lock_timeout = '{ROUND_STATEMENT_TIMEOUT}'"
        ));
    }
    conn.batch_execute(&settings).await
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
