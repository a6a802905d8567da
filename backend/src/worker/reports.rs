//! Report upkeep: the scheduled summaries queued once they are due (the outbox sends
//! them), and the seconds bitmaps of hours old enough to be closed dropped.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::clock::Clock;
use crate::db::{self, Db, alerts};
use crate::reports::{email, rollup};

/// The advisory lock of the job.
const REPORTS_LOCK: i64 = 0x7075_6c73_655f_7270; // "pulse_rp"
/// How often the job runs.
pub const EVERY: Duration = Duration::from_secs(300);
/// An hour's bitmaps are kept this long after it ends: long enough for agents that
/// were offline for days to send what they spooled.
pub const CLOSE_AFTER_DAYS: i64 = 7;

/// Runs [`round`] every `period` until the process ends.
pub async fn run(db: Db, clock: Clock, period: Duration) {
    super::every(clock, period, "reports", |now| {
        let db = db.clone();
        async move { Ok(round(&db, now).await.map(drop)?) }
    })
    .await;
}

/// What a round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub queued: usize,
    pub closed: usize,
}

/// Queues the summaries due at `now` and closes old hours, in one transaction under
/// the job's lock (another replica's round does nothing meanwhile).
pub async fn round(db: &Db, now: DateTime<Utc>) -> Result<Round, db::DbError> {
    let mut conn = db.system().await?;
    conn.transaction::<_, db::DbError, _>(async |conn| {
        if !super::try_lock(conn, REPORTS_LOCK).await? {
            return Ok(Round::default());
        }
        super::allow_long_statements(conn, super::LockWaits::Short).await?;
        let queued = email::schedule(conn, now).await?;
        if queued > 0 {
            alerts::notify(conn, super::outbox::CHANNEL, "").await?;
        }
        let closed =
            rollup::close_hours(conn, now - chrono::Duration::days(CLOSE_AFTER_DAYS)).await?;
        Ok(Round { queued, closed })
    })
    .await
}
