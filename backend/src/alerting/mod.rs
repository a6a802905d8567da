//! Raising alerts. [`raise`] is the only way an alert comes to exist: it decides who
//! receives it (and how, from their preferences), queues its emails and webhook
//! deliveries, and wakes every replica's live streams, all inside the caller's
//! transaction, so an alert exists exactly when the change that caused it does.

pub mod fleet;
pub mod live;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::ids::{AgentId, AlertId, CompanyId, UserId};
use pulse_shared::webhooks::WebhookEvent;
use serde_json::json;

use crate::db::alerts::{self, AlertRow};
use crate::db::webhooks::{self, DeliveryRow};
use crate::worker::outbox;

/// Who an alert is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The company's owners and admins, and, when the alert is about an employee
    /// (`subject.user_id`), that employee's team managers.
    Company,
    /// One person only (a test alert they asked for).
    Person(UserId),
}

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub kind: AlertKind,
    pub title: String,
    pub body: String,
    pub subject: AlertSubject,
    pub audience: Audience,
    /// The computers a fleet alert is about, with their employees; empty for other
    /// kinds. They become its list and its count, and their employees' team managers
    /// join a company audience.
    pub agents: Vec<(AgentId, UserId)>,
}

/// Raises `alert` for `company` on `conn` (inside the caller's transaction when there
/// is one). A condition that is already open (the same agent already reported
/// offline) is not raised again: the answer is then `None`. An alert that ends a
/// condition (back online) resolves it, so the next occurrence is raised anew.
pub async fn raise(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    alert: NewAlert,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Option<AlertId>> {
    conn.transaction(async |conn| {
        if let Some(condition) = alert.kind.resolves() {
            alerts::resolve(conn, company, &open_key(condition, &alert.subject), now).await?;
        }
        let id = AlertId::generate();
        let row = AlertRow {
            company_id: company,
            id,
            kind: alert.kind,
            severity: alert.kind.severity(),
            title: clip(&alert.title, 200),
            body: clip(&alert.body, 2000),
            agent_id: alert.subject.agent_id,
            user_id: alert.subject.user_id,
            invoice_id: alert.subject.invoice_id.clone(),
            policy_id: alert.subject.policy_id,
            open_key: alert
                .kind
                .is_condition()
                .then(|| open_key(alert.kind, &alert.subject)),
            resolved_at: None,
            created_at: now,
            agent_count: (!alert.agents.is_empty())
                .then(|| i32::try_from(alert.agents.len()).unwrap_or(i32::MAX)),
        };
        if !alerts::insert(conn, &row).await? {
            return Ok(None);
        }
        if !alert.agents.is_empty() {
            let agents: Vec<AgentId> = alert.agents.iter().map(|(agent, _)| *agent).collect();
            let back = (!alert.kind.waits_for_agents()).then_some(now);
            alerts::insert_agents(conn, company, id, &agents, back).await?;
        }
        let person = match alert.audience {
            Audience::Person(user) => Some(user),
            Audience::Company => None,
        };
        let mut about: Vec<UserId> = alert.subject.user_id.into_iter().collect();
        about.extend(alert.agents.iter().map(|(_, user)| *user));
        about.sort_unstable();
        about.dedup();
        let reached =
            alerts::insert_recipients(conn, company, id, alert.kind, person, &about, now).await?;
        let deliveries = webhook_deliveries(conn, company, &row).await?;
        if reached.iter().any(|recipient| recipient.in_app) {
            alerts::notify(conn, live::ALERTS_CHANNEL, &live::payload(company, id)).await?;
        }
        if deliveries > 0 || reached.iter().any(|recipient| recipient.by_email) {
            alerts::notify(conn, outbox::CHANNEL, "").await?;
        }
        Ok(Some(id))
    })
    .await
}

/// Closes the open condition `kind` about `subject`, if there is one, so the next
/// occurrence is raised anew.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    kind: AlertKind,
    subject: &AlertSubject,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    alerts::resolve(conn, company, &open_key(kind, subject), now)
        .await
        .map(drop)
}

/// Whether the condition `kind` about `subject` is open (raised and not yet resolved).
pub async fn is_open(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    kind: AlertKind,
    subject: &AlertSubject,
) -> diesel::QueryResult<bool> {
    alerts::is_open(conn, company, &open_key(kind, subject)).await
}

/// Queues the alert for every enabled endpoint that wants its kind; answers how many.
async fn webhook_deliveries(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    row: &AlertRow,
) -> diesel::QueryResult<usize> {
    let endpoints = webhooks::subscribed(conn, company, row.kind()).await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let event = event(company, row);
    let payload = serde_json::to_value(&event).unwrap_or_default();
    let deliveries: Vec<DeliveryRow> = endpoints
        .iter()
        .map(|endpoint| {
            DeliveryRow::new(
                company,
                *endpoint,
                event.id,
                &event.event_type,
                payload.clone(),
                None,
                row.created_at,
            )
        })
        .collect();
    webhooks::insert_deliveries(conn, &deliveries).await?;
    Ok(deliveries.len())
}

/// The webhook body announcing `row`.
pub fn event(company: CompanyId, row: &AlertRow) -> WebhookEvent {
    WebhookEvent {
        id: row.id.0,
        event_type: format!("alert.{}", row.kind),
        company_id: company,
        created_at: row.created_at,
        data: json!({
            "id": row.id,
            "kind": row.kind,
            "severity": row.severity,
            "title": row.title,
            "body": row.body,
            "subject": row.subject(),
            "agent_count": row.agent_count,
            "created_at": row.created_at,
        }),
    }
}

/// What makes two alerts "the same open condition": the kind and what it is about.
fn open_key(kind: AlertKind, subject: &AlertSubject) -> String {
    let about = subject
        .agent_id
        .map(|agent| format!("agent:{agent}"))
        .or_else(|| {
            subject
                .invoice_id
                .as_ref()
                .map(|invoice| format!("invoice:{invoice}"))
        })
        .or_else(|| subject.user_id.map(|user| format!("user:{user}")))
        .or_else(|| subject.policy_id.map(|policy| format!("policy:{policy}")))
        .unwrap_or_else(|| "company".to_owned());
    format!("{kind}:{about}")
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_is_keyed_by_what_it_is_about() {
        let agent = AgentId(uuid::Uuid::nil());
        let subject = AlertSubject {
            agent_id: Some(agent),
            user_id: Some(UserId(uuid::Uuid::max())),
            ..AlertSubject::default()
        };
        assert_eq!(
            open_key(AlertKind::AgentOffline, &subject),
            format!("agent_offline:agent:{agent}")
        );
        assert_eq!(
            open_key(AlertKind::SeatUsageHigh, &AlertSubject::default()),
            "seat_usage_high:company"
        );
        assert_eq!(clip("ééé", 2), "éé");
    }
}
