//! Live fan-out of new alerts to open streams, across replicas.
//!
//! [`super::raise`] sends `NOTIFY pulse_alerts, '<company>/<alert>'` in its transaction.
//! Every replica keeps one connection of its own listening on that channel
//! ([`listen`]); for each notification it loads the alert and its recipients once and
//! broadcasts them to the replica's streams ([`Live`]), each of which forwards what
//! belongs to its person. When the listening connection drops, it reconnects and tells
//! every stream to resync, since notifications sent meanwhile are gone.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use pulse_shared::alerts::Alert;
use pulse_shared::ids::{AlertId, CompanyId, UserId};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::agent_cache::{self, AgentCache};
use crate::db::alerts::{self as rows, AlertRow};
use crate::db::{self, DbPool};
use crate::outbox;

/// The channel new alerts are announced on.
pub const ALERTS_CHANNEL: &str = "pulse_alerts";

/// How many events a slow stream may fall behind before it is told to resync.
const BACKLOG: usize = 1024;

/// The notification payload naming an alert.
pub fn payload(company: CompanyId, alert: AlertId) -> String {
    format!("{company}/{alert}")
}

fn parse_payload(payload: &str) -> Option<(CompanyId, AlertId)> {
    let (company, alert) = payload.split_once('/')?;
    Some((company.parse().ok()?, alert.parse().ok()?))
}

/// What streams receive.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Alert(Arc<LiveAlert>),
    /// Something may have been missed: clients should refetch.
    Resync,
}

/// A new alert and who sees it in the app.
#[derive(Debug)]
pub struct LiveAlert {
    pub company: CompanyId,
    pub alert: AlertRow,
    /// `(user, seq)` per recipient.
    pub recipients: Vec<(Uuid, i64)>,
}

impl LiveAlert {
    /// The alert as `user` of `company` sees it, if it is theirs.
    pub fn for_user(&self, company: CompanyId, user: UserId) -> Option<Alert> {
        if self.company != company {
            return None;
        }
        self.recipients
            .iter()
            .find(|(recipient, _)| *recipient == user.0)
            .map(|(_, seq)| self.alert.for_recipient(*seq, None))
    }
}

/// This replica's hub: one broadcast channel all its streams subscribe to.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<LiveEvent>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Live {
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// How many streams are open on this replica.
    pub fn streams(&self) -> usize {
        self.sender.receiver_count()
    }

    fn send(&self, event: LiveEvent) {
        // No receivers is not an error: nobody is watching.
        let _ = self.sender.send(event);
    }
}

/// Listens for alert and outbox notifications until the process ends, reconnecting
/// with backoff (0.5 s doubling to 30 s) when the connection drops.
pub async fn listen(
    database_url: String,
    pool: DbPool,
    live: Live,
    outbox_wake: Arc<Notify>,
    agent_cache: AgentCache,
) {
    const FIRST_WAIT: Duration = Duration::from_millis(500);
    let mut wait = FIRST_WAIT;
    let mut reconnecting = false;
    loop {
        let mut connected = false;
        let result = listen_once(
            &database_url,
            &pool,
            &live,
            &outbox_wake,
            &agent_cache,
            reconnecting,
            &mut connected,
        )
        .await;
        match result {
            Ok(()) => tracing::warn!("the alert listener's connection closed; reconnecting"),
            Err(error) => tracing::warn!(%error, "the alert listener lost its connection"),
        }
        if connected {
            wait = FIRST_WAIT;
            reconnecting = true;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

async fn listen_once(
    database_url: &str,
    pool: &DbPool,
    live: &Live,
    outbox_wake: &Notify,
    agent_cache: &AgentCache,
    reconnecting: bool,
    connected: &mut bool,
) -> Result<(), db::DbError> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    diesel::sql_query(format!("LISTEN {ALERTS_CHANNEL}"))
        .execute(&mut conn)
        .await?;
    diesel::sql_query(format!("LISTEN {}", outbox::CHANNEL))
        .execute(&mut conn)
        .await?;
    diesel::sql_query(format!("LISTEN {}", agent_cache::CHANNEL))
        .execute(&mut conn)
        .await?;
    *connected = true;
    if reconnecting {
        live.send(LiveEvent::Resync);
        outbox_wake.notify_one();
        agent_cache.forget_all();
    }
    tracing::debug!("listening for alerts");
    let mut notifications = std::pin::pin!(conn.notifications_stream());
    while let Some(notification) = notifications.next().await {
        let notification = notification?;
        if notification.channel == outbox::CHANNEL {
            outbox_wake.notify_one();
            continue;
        }
        if notification.channel == agent_cache::CHANNEL {
            match notification.payload.parse() {
                Ok(company) => agent_cache.forget_company(company),
                Err(_) => agent_cache.forget_all(),
            }
            continue;
        }
        let Some((company, alert)) = parse_payload(&notification.payload) else {
            tracing::warn!(payload = %notification.payload, "unreadable alert notification");
            continue;
        };
        match load(pool, company, alert).await {
            Ok(event) => live.send(LiveEvent::Alert(Arc::new(event))),
            Err(error) => {
                tracing::warn!(%error, %alert, "cannot load a new alert; streams will resync");
                live.send(LiveEvent::Resync);
            }
        }
    }
    Ok(())
}

async fn load(pool: &DbPool, company: CompanyId, alert: AlertId) -> Result<LiveAlert, db::DbError> {
    let mut conn = db::conn(pool).await?;
    let (alert, recipients) = rows::with_recipients(&mut conn, company, alert).await?;
    Ok(LiveAlert {
        company,
        alert,
        recipients,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_nonsense_is_ignored() {
        let (company, alert) = (CompanyId(Uuid::now_v7()), AlertId(Uuid::now_v7()));
        assert_eq!(
            parse_payload(&payload(company, alert)),
            Some((company, alert))
        );
        assert_eq!(parse_payload("nonsense"), None);
        assert_eq!(parse_payload("a/b"), None);
    }
}
