//! Heartbeats coalesced in memory. A heartbeat only notes the agent's time, state and
//! spool report in this replica's buffer (the latest heartbeat of an agent wins whole);
//! a loop writes the buffer in one statement every `PULSE_SEEN_FLUSH_MS` (default 2 s),
//! and once more when the process is told to stop. A crash loses at most that long of
//! `last_seen_at` — never activity, which is written before its request is answered.
//! Presence allows a 30-second grace, far above the lag.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pulse_shared::agents::{AgentState, SpoolReport};
use pulse_shared::ids::{AgentId, CompanyId};

use crate::db::agents::{self, Seen};
use crate::db::{self, Db};

/// The most agents one statement updates.
const FLUSH_CHUNK: usize = 5_000;

/// The latest heartbeat of each agent not yet written.
#[derive(Clone, Default)]
pub struct SeenBuffer(Arc<Mutex<HashMap<(CompanyId, AgentId), Seen>>>);

impl SeenBuffer {
    /// Notes a heartbeat that arrived at `at`; a later one of the same agent replaces
    /// it, spool report and all.
    pub fn record(
        &self,
        company: CompanyId,
        agent: AgentId,
        state: AgentState,
        spool: Option<SpoolReport>,
        at: DateTime<Utc>,
    ) {
        self.note(company, agent, Seen { state, spool, at });
    }

    fn note(&self, company: CompanyId, agent: AgentId, seen: Seen) {
        let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = pending.entry((company, agent)).or_insert(seen);
        if kept.at <= seen.at {
            *kept = seen;
        }
    }

    /// Writes what is pending; on failure it goes back into the buffer (unless a newer
    /// heartbeat arrived meanwhile) for the next flush. Answers how many agents changed.
    pub async fn flush(&self, db: &Db) -> Result<usize, db::DbError> {
        let pending: Vec<_> = {
            let mut pending = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *pending)
                .into_iter()
                .map(|((company, agent), seen)| (company, agent, seen))
                .collect()
        };
        if pending.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        let mut chunks = pending.chunks(FLUSH_CHUNK);
        while let Some(chunk) = chunks.next() {
            let result = match db.system().await {
                Ok(mut conn) => agents::seen_many(&mut conn, chunk)
                    .await
                    .map_err(db::DbError::from),
                Err(error) => Err(error),
            };
            match result {
                Ok(changed) => written += changed,
                Err(error) => {
                    for unwritten in std::iter::once(chunk).chain(chunks) {
                        for &(company, agent, seen) in unwritten {
                            self.note(company, agent, seen);
                        }
                    }
                    return Err(error);
                }
            }
        }
        Ok(written)
    }

    /// How many agents wait to be written.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Flushes `buffer` every `period`, and at once when the process gets SIGTERM or
/// Ctrl-C (the server then drains its requests and stops).
pub async fn flush_loop(buffer: SeenBuffer, db: Db, period: Duration) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut terminate = signal(SignalKind::terminate()).ok();
    loop {
        tokio::select! {
            _ = every.tick() => {}
            Some(()) = async {
                match terminate.as_mut() {
                    Some(terminate) => terminate.recv().await,
                    None => std::future::pending().await,
                }
            } => {}
            Ok(()) = tokio::signal::ctrl_c() => {}
        }
        if let Err(error) = buffer.flush(&db).await {
            tracing::warn!(%error, pending = buffer.len(), "heartbeats could not be written; retrying");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_newest_heartbeat_wins_with_its_spool_report_or_none() {
        let (company, agent) = (CompanyId::generate(), AgentId::generate());
        let at = |second| Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, second).unwrap();
        let report = Some(SpoolReport {
            pending: 3,
            dropped: 12,
            dead_letters: 1,
        });
        let cases = [
            // Later without a report: the report goes, as the agent no longer sends one.
            (
                [(AgentState::Active, report, 1), (AgentState::Idle, None, 2)],
                (AgentState::Idle, None),
            ),
            (
                [(AgentState::Active, None, 1), (AgentState::Idle, report, 2)],
                (AgentState::Idle, report),
            ),
            // Out of order: the older heartbeat changes nothing.
            (
                [(AgentState::Idle, None, 2), (AgentState::Active, report, 1)],
                (AgentState::Idle, None),
            ),
        ];
        for (heartbeats, (state, spool)) in cases {
            let buffer = SeenBuffer::default();
            for (state, spool, second) in heartbeats {
                buffer.record(company, agent, state, spool, at(second));
            }
            let kept = *buffer.0.lock().unwrap().values().next().unwrap();
            assert_eq!(
                kept,
                Seen {
                    state,
                    spool,
                    at: at(2)
                },
                "{heartbeats:?}"
            );
        }
    }
}
