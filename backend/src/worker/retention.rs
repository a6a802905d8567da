//! Retention: activity, sessions and screenshots past their person's retention, people
//! past their deletion grace, ended retention holds and credentials, and old rate-limit
//! counters are deleted.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::clock::Clock;
use crate::db::{self, Db, activity, refresh_tokens, screenshots};
use crate::storage::{self, Store};

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

/// Deletes expired activity and screenshots, and the people deleted more than `grace`
/// ago, every `period` until the process ends.
pub async fn run(db: Db, store: Store, clock: Clock, period: Duration, grace: chrono::Duration) {
    super::every(clock, period, "retention", |now| {
        let (db, store) = (db.clone(), store.clone());
        async move {
            let people = purge_deleted_people(&db, now - grace, now).await?;
            let holds = purge_retention_holds(&db, now).await?;
            let activity = activity_round(&db, now).await?;
            let screenshots = screenshots_round(&db, &store, now).await?;
            let credentials = purge_ended_credentials(&db, now).await?;
            let counters = crate::auth::rate_limit::prune(&db, now).await?;
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
pub async fn activity_round(db: &Db, now: DateTime<Utc>) -> Result<Option<usize>, db::DbError> {
    let mut conn = db.system().await?;
    let mut total = 0;
    loop {
        let deleted = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !super::try_lock(conn, RETENTION_LOCK).await? {
                    return Ok(None);
                }
                super::allow_long_statements(conn, super::LockWaits::Short).await?;
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

/// Erases the people deleted before `before` (`privacy::erasure`: their data gone,
/// their audit events pseudonymised, the erasure audited at `now`), each in a
/// transaction of their own; answers how many. Any replica may do it: a person erased
/// is not found twice. The cascade may take a year of someone's activity, hence the
/// job's allowance. Their screenshots' and exports' objects are queued, and deleted by
/// the screenshot round that follows.
pub async fn purge_deleted_people(
    db: &Db,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, db::DbError> {
    let mut conn = db.system().await?;
    crate::privacy::erasure::erase_due(&mut conn, before, now).await
}

/// Deletes the retention holds that ended before `now`; answers how many.
pub async fn purge_retention_holds(db: &Db, now: DateTime<Utc>) -> Result<usize, db::DbError> {
    let mut conn = db.system().await?;
    Ok(db::policies::purge_retention_holds(&mut conn, now).await?)
}

/// Deletes the credentials that ended before `now`: refresh tokens (expired or revoked
/// a day before, in batches), password-reset links (expired a day before) and sign-up
/// links (expired); answers how many. Any
/// replica may do it: deleting twice deletes no more.
pub async fn purge_ended_credentials(db: &Db, now: DateTime<Utc>) -> Result<usize, db::DbError> {
    let mut conn = db.system().await?;
    let mut total = db::password_resets::purge(&mut conn, now).await?
        + db::signups::purge(&mut conn, now).await?;
    loop {
        let purged = refresh_tokens::purge(&mut conn, now, RETENTION_BATCH).await?;
        total += purged;
        if i64::try_from(purged).unwrap_or(0) < RETENTION_BATCH {
            return Ok(total);
        }
    }
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
pub async fn screenshots_round(
    db: &Db,
    store: &Store,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<ScreenshotRetention>> {
    let mut round = ScreenshotRetention::default();
    let mut conn = db.system().await?;
    for _ in 0..SCREENSHOT_MAX_BATCHES {
        let expired = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !super::try_lock(conn, SCREENSHOT_RETENTION_LOCK).await? {
                    return Ok(None);
                }
                super::allow_long_statements(conn, super::LockWaits::Short).await?;
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
        let deleted = storage::drain(db, store.as_ref(), due, SCREENSHOT_BATCH).await?;
        round.objects += deleted;
        if i64::try_from(deleted).unwrap_or(0) < SCREENSHOT_BATCH {
            break;
        }
    }
    Ok(Some(round))
}
