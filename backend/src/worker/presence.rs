//! Presence: agents move between online, offline and missing by when they last
//! reported, and the moves raise "agent offline" and "agent back online" alerts, or,
//! when many computers of one company stop reporting at once, one fleet alert for all
//! of them (see [`crate::alerting::fleet`]).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use pulse_shared::agents::AgentStatus;
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::ids::{AgentId, CompanyId};

use crate::alerting::fleet::{self, FLEET_AT_LEAST};
use crate::alerting::{self, Audience, NewAlert};
use crate::clock::Clock;
use crate::db::agents::Transition;
use crate::db::{self, Db, agents};

/// The advisory lock of the presence job.
const PRESENCE_LOCK: i64 = 0x7075_6c73_655f_7072; // "pulse_pr"

/// Transitions one presence round takes at most. When many single computers change at
/// once, their alerts are raised over several short transactions rather than one that
/// holds every agent row (and the heartbeat writes waiting on them) until the last
/// alert is written. A fleet going offline costs one alert, so it is taken whole.
pub(crate) const PRESENCE_BATCH: usize = 1_000;

/// Recomputes presence every `period` until the process ends; a round that found a
/// full batch of transitions is followed at once by another.
pub async fn run(db: Db, clock: Clock, period: Duration) {
    super::every(clock, period, "presence", |now| {
        let db = db.clone();
        async move {
            while round(&db, now).await? >= Some(PRESENCE_BATCH) {}
            Ok(())
        }
    })
    .await;
}

/// One round at `now` (a parameter, so tests can move the clock): moves agents between
/// online, offline and missing, once per transition. Where at least
/// [`FLEET_AT_LEAST`] online agents of a company stop reporting, they all go offline
/// in one statement and one "fleet offline" alert lists them; each other agent that
/// stops raises "agent offline". An agent that reports again raises "agent back online"
/// when it has an open offline alert of its own; when it is one of a fleet, it is
/// ticked off the fleet's list, and the fleet's "back online" is raised when none of
/// its computers is away any more. Takes the fleets and at most [`PRESENCE_BATCH`]
/// other agents; answers how many changed, or `None` when another replica holds the
/// lock.
pub async fn round(db: &Db, now: DateTime<Utc>) -> Result<Option<usize>, db::DbError> {
    let mut conn = db.system().await?;
    conn.transaction::<_, db::DbError, _>(async |conn| {
        if !super::try_lock(conn, PRESENCE_LOCK).await? {
            return Ok(None);
        }
        // A fleet goes offline in one statement however large it is (20,000 computers:
        // seconds). Its rows are those of computers that stopped reporting, so holding
        // them until the commit keeps no heartbeat waiting.
        super::allow_long_statements(conn, super::LockWaits::Short).await?;
        // Its statements join every agent; a nested loop planned on a stale estimate
        // (statistics taken before the agents' presence changed) compares each changed
        // row with every agent: 160 s instead of 2.6 s for a fleet of 20,000.
        conn.batch_execute("SET LOCAL enable_nestloop = off")
            .await?;
        let fleets = agents::take_fleets_offline(conn, now, FLEET_AT_LEAST).await?;
        for (company, fleet) in by_company(&fleets) {
            fleet::offline(conn, company, &fleet, now).await?;
        }

        let transitions = agents::update_presence(conn, now, PRESENCE_BATCH).await?;
        let mut back: BTreeMap<CompanyId, Vec<AgentId>> = BTreeMap::new();
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
                    agents: Vec::new(),
                },
                (_, AgentStatus::Online) => {
                    if !alerting::is_open(conn, company, AlertKind::AgentOffline, &subject).await? {
                        // Perhaps one of a fleet: ticked off its list below.
                        back.entry(company).or_default().push(agent.id);
                        continue;
                    }
                    NewAlert {
                        kind: AlertKind::AgentOnline,
                        title: format!("{} is back online", agent.hostname),
                        body: "Its agent reports again.".to_owned(),
                        subject,
                        audience: Audience::Company,
                        agents: Vec::new(),
                    }
                }
                _ => continue,
            };
            alerting::raise(conn, company, alert, now).await?;
        }
        for (company, returned) in back {
            fleet::back(conn, company, &returned, now).await?;
        }
        Ok(Some(fleets.len() + transitions.len()))
    })
    .await
}

/// `transitions` per company.
fn by_company(transitions: &[Transition]) -> BTreeMap<CompanyId, Vec<&Transition>> {
    let mut companies: BTreeMap<CompanyId, Vec<&Transition>> = BTreeMap::new();
    for agent in transitions {
        companies.entry(agent.company_id).or_default().push(agent);
    }
    companies
}
