//! Presence: agents move between online, offline and missing by when they last
//! reported, and the moves raise "agent offline" and "agent back online" alerts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use pulse_shared::agents::AgentStatus;
use pulse_shared::alerts::{AlertKind, AlertSubject};

use crate::alerting::{self, Audience, NewAlert};
use crate::clock::Clock;
use crate::db::{self, Db, agents};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"

/// Transitions one presence round takes at most. When a whole company goes offline at
/// once, its alerts are raised over several short transactions rather than one that
/// holds every agent row (and the heartbeat writes waiting on them) until the last
/// alert is written.
const PRESENCE_BATCH: usize = 1_000;

/// Recomputes presence every `period` until the process ends; a round that found a
/// full batch of transitions is followed at once by another.
pub async fn run(db: Db, clock: Clock, period: Duration) {
    super::every(clock, period, "presence", |now| {
        let db = db.clone();
        async move {
            while round(&db, now).await? == Some(PRESENCE_BATCH) {}
            Ok(())
        }
    })
    .await;
}

/// One round at `now` (a parameter, so tests can move the clock): moves agents between
/// online, offline and missing, and raises "agent offline" when an online agent stops
/// reporting and "agent back online" when one with an open offline alert reports
/// again, once per transition. Takes at most [`PRESENCE_BATCH`] agents; answers how many
/// changed, or `None` when another replica holds the lock.
pub async fn round(db: &Db, now: DateTime<Utc>) -> Result<Option<usize>, db::DbError> {
    let mut conn = db.system().await?;
    conn.transaction::<_, db::DbError, _>(async |conn| {
        if !super::try_lock(conn, PRESENCE_LOCK).await? {
            return Ok(None);
        }
        let transitions = agents::update_presence(conn, now, PRESENCE_BATCH).await?;
        for agent in &transitions {
            let company = agent.company_id;
            let subject = AlertSubject {
                agent_id: Some(agent.id),
                user_id: Some(agent.user_id),
                ..AlertSubject::default()
            };
            let alert = match (agent.previous, agent.presence) {
                (AgentStatus::Online, AgentStatus::Offline | AgentStatus::Missing) => NewAlert {
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
                (_, AgentStatus::Online)
                    if alerting::is_open(conn, company, AlertKind::AgentOffline, &subject)
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
            alerting::raise(conn, company, alert, now).await?;
        }
        Ok(Some(transitions.len()))
    })
    .await
}
