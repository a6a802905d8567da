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
use crate::db::{self, DbPool, agents};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"

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
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let mut conn = db::conn(pool).await?;
    let changed = conn
        .transaction::<_, db::DbError, _>(async |conn| {
            let lock: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind::<BigInt, _>(PRESENCE_LOCK)
                .get_result(conn)
                .await?;
            if !lock.locked {
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
