//! Fleet alerts: when many computers of one company stop reporting in the same
//! presence round, one "N computers went offline" alert lists them all instead of an
//! alert per computer; the computers are ticked off its list as they report again, and
//! one "N computers are back online" closes it when none is away any more.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::ids::{AgentId, AlertId, CompanyId, UserId};

use super::{Audience, NewAlert, raise};
use crate::db::agents::Transition;
use crate::db::alerts::{self, FleetReturn};

/// How many computers of one company stopping in the same round make a fleet: one
/// "N computers went offline" alert instead of one per computer.
///
/// Rationale: an outage (the office network, a VPN, a power cut, an update that breaks
/// the agent) takes computers down together, and ten alerts at once already bury the
/// bell and an on-call inbox, while a few computers closing within seconds of each
/// other still deserve a line each, with the computer's name in the title. An absolute
/// count rather than a share of the fleet: the noise a person gets is the number of
/// alerts, whatever the company's size. A round is `PULSE_PRESENCE_EVERY_SECS` (10 s
/// by default), so computers that stop over a minute or more (the end of a shift) are
/// not one event and are alerted one by one.
pub const FLEET_AT_LEAST: usize = 10;

/// Raises the one alert about `fleet`, computers of `company` that stopped reporting
/// in the same round, listing them.
pub async fn offline(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    fleet: &[&Transition],
    now: DateTime<Utc>,
) -> diesel::QueryResult<Option<AlertId>> {
    let seen: Vec<DateTime<Utc>> = fleet
        .iter()
        .filter_map(|agent| agent.last_seen_at)
        .collect();
    let lead = match (seen.iter().min(), seen.iter().max()) {
        (Some(first), Some(last)) => {
            let last = if first.date_naive() == last.date_naive() {
                last.format("%H:%M")
            } else {
                last.format("%Y-%m-%d %H:%M")
            };
            format!(
                "Their agents last reported between {} and {last} UTC. ",
                first.format("%Y-%m-%d %H:%M")
            )
        }
        _ => String::new(),
    };
    let alert = NewAlert {
        kind: AlertKind::FleetOffline,
        title: format!("{} computers went offline", grouped(fleet.len())),
        body: format!("{lead}Open the alert in Pulse to see which computers."),
        subject: AlertSubject::default(),
        audience: Audience::Company,
        agents: fleet
            .iter()
            .map(|agent| (agent.id, agent.user_id))
            .collect(),
    };
    raise(conn, company, alert, now).await
}

/// Ticks `agents` of `company`, which report again at `now`, off the open fleet alerts
/// that wait for them, and closes those with none away any more, each with one "back
/// online".
pub async fn back(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agents: &[AgentId],
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let touched = alerts::mark_back(conn, company, agents, now).await?;
    settle(conn, company, &touched, now).await
}

/// `agent` of `company` was revoked at `now`: the fleet alerts that waited for it stop
/// waiting, and those with none away any more close with their "back online".
pub async fn revoked(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    let waiting = alerts::waiting_for(conn, company, agent).await?;
    settle(conn, company, &waiting, now).await
}

async fn settle(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    fleets: &[AlertId],
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    for fleet in alerts::settle_fleets(conn, company, fleets, now).await? {
        // Closed with none back (all revoked): nothing came back to announce.
        if fleet.closed && !fleet.back.is_empty() {
            raise(conn, company, online(&fleet), now).await?;
        }
    }
    Ok(())
}

/// The alert that closes the fleet alert `fleet`: none of its computers is away.
fn online(fleet: &FleetReturn) -> NewAlert {
    let went = fleet.created_at.format("%Y-%m-%d %H:%M");
    NewAlert {
        kind: AlertKind::FleetOnline,
        title: format!("{} computers are back online", grouped(fleet.back.len())),
        body: match fleet.revoked {
            0 => format!("Every computer that went offline at {went} UTC reports again."),
            revoked => format!(
                "Every computer that went offline at {went} UTC reports again, apart from {} revoked since.",
                grouped(usize::try_from(revoked).unwrap_or(usize::MAX))
            ),
        },
        subject: AlertSubject::default(),
        audience: Audience::Company,
        agents: fleet
            .back
            .iter()
            .zip(&fleet.back_users)
            .map(|(agent, user)| (AgentId(*agent), UserId(*user)))
            .collect(),
    }
}

/// `n` with a comma between thousands, as the titles read: 1,234.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_read_with_thousands_separated() {
        for (n, text) in [
            (0, "0"),
            (10, "10"),
            (999, "999"),
            (1_000, "1,000"),
            (1_234, "1,234"),
            (123_456, "123,456"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }
}
