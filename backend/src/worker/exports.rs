//! Exports of people's data: queued exports are claimed (one replica each, `FOR UPDATE
//! SKIP LOCKED`, with a lease a dead replica lets lapse) and built into the object store
//! by `privacy::export`; expired ones are deleted, their archives through the object
//! deletion queue.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::db::{Db, exports};
use crate::privacy::export::{self, Job};
use crate::storage::Store;

/// How long a build's claim lasts without a progress report.
const LEASE: chrono::TimeDelta = chrono::TimeDelta::minutes(10);
/// Expired exports deleted per round.
const PURGE_BATCH: i64 = 100;

/// Builds queued exports and deletes expired ones every `period`, and at once when
/// `wake` says an export was asked for on this replica, until the process ends.
/// Rationale: the poll finds what other replicas queued and what a dead builder left;
/// the wake-up makes the person's wait a build's, not a poll's, without polling often.
pub async fn run(db: Db, store: Store, clock: Clock, period: Duration, wake: Arc<Notify>) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            () = wake.notified() => {}
        }
        if let Err(error) = round(&db, &store, clock.now()).await {
            tracing::warn!(
                error = format!("{error:#}"),
                job = "exports",
                "a periodic job could not run"
            );
        }
    }
}

/// One round at `now`: deletes the exports expired by then, then builds every export
/// waiting, one after another; answers how many were built (or failed).
pub async fn round(db: &Db, store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut conn = db.system().await?;
    exports::purge_expired(&mut conn, now, PURGE_BATCH).await?;
    let mut built = 0;
    while let Some(claimed) = exports::claim(&mut conn, now, now + LEASE).await? {
        built += 1;
        let (company, id) = (claimed.company_id, claimed.id);
        let Some(person) = export::person(&mut conn, company, claimed.user_id).await? else {
            exports::fail(&mut conn, company, id, "the person is gone", now).await?;
            continue;
        };
        let key = export::object_key(company, person.id, id);
        exports::set_object_key(&mut conn, company, id, &key).await?;
        let job = Job {
            company,
            id,
            person: &person,
            now,
            lease_until: now + LEASE,
        };
        match export::build(&mut conn, store, &key, job).await {
            Ok(size) => exports::finish(&mut conn, company, id, size, now).await?,
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), export = %id, "an export failed");
                exports::fail(&mut conn, company, id, &format!("{error:#}"), now).await?;
            }
        }
    }
    Ok(built)
}
