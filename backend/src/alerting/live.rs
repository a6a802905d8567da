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

use crate::auth::device_cache::{self, AgentCache};
use crate::db::alerts::{self, AlertRow};
use crate::db::{self, Db};
use crate::worker::outbox;

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
/// with backoff (0.5 s doubling to 30 s) when the connection drops. New alerts are
/// loaded by a task of their own, in the order they came, so that a slow load (a busy
/// pool) never holds up the notifications behind it: outbox wake-ups and agent-cache
/// invalidations take effect as they arrive.
pub async fn listen(
    database_url: String,
    db: Db,
    live: Live,
    outbox_wake: Arc<Notify>,
    agent_cache: AgentCache,
) {
    const FIRST_WAIT: Duration = Duration::from_millis(500);
    let (pending, queue) = tokio::sync::mpsc::unbounded_channel();
    let loader = tokio::spawn(load_in_order(queue, db, live));
    let mut wait = FIRST_WAIT;
    let mut reconnecting = false;
    loop {
        let mut connected = false;
        let result = listen_once(
            &database_url,
            &pending,
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
        if loader.is_finished() {
            tracing::error!("the alert loader stopped; live alerts stop with it");
            return;
        }
        if connected {
            wait = FIRST_WAIT;
            reconnecting = true;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// What the alert loader does next, in the order the notifications came.
enum Pending {
    /// Load this new alert and send it to the streams.
    Alert(CompanyId, AlertId),
    /// Tell the streams to catch up from the database (notifications may have been
    /// missed).
    Resync,
}

async fn listen_once(
    database_url: &str,
    pending: &tokio::sync::mpsc::UnboundedSender<Pending>,
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
    diesel::sql_query(format!("LISTEN {}", device_cache::CHANNEL))
        .execute(&mut conn)
        .await?;
    *connected = true;
    if reconnecting {
        let _ = pending.send(Pending::Resync);
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
        if notification.channel == device_cache::CHANNEL {
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
        let _ = pending.send(Pending::Alert(company, alert));
    }
    Ok(())
}

/// Loads each new alert with its recipients and sends it to the streams, one after
/// another, until the listener goes away.
async fn load_in_order(
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Pending>,
    db: Db,
    live: Live,
) {
    while let Some(next) = queue.recv().await {
        match next {
            Pending::Resync => live.send(LiveEvent::Resync),
            Pending::Alert(company, alert) => match load(&db, company, alert).await {
                Ok(event) => live.send(LiveEvent::Alert(Arc::new(event))),
                Err(error) => {
                    tracing::warn!(%error, %alert, "cannot load a new alert; streams will resync");
                    live.send(LiveEvent::Resync);
                }
            },
        }
    }
}

async fn load(db: &Db, company: CompanyId, alert: AlertId) -> Result<LiveAlert, db::DbError> {
    let mut conn = db.system().await?;
    let (alert, recipients) = alerts::with_recipients(&mut conn, company, alert).await?;
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

/// The alert streams this replica holds open, bounded in all and per person: a stream
/// costs a socket and memory for as long as it lasts, so neither a script nor one
/// person's hundred tabs may take them all.
#[derive(Clone)]
pub struct StreamSlots {
    open: Arc<std::sync::Mutex<std::collections::HashMap<UserId, usize>>>,
    total: Arc<std::sync::atomic::AtomicUsize>,
    max: usize,
    max_per_person: usize,
}

/// Why a stream could not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSlot {
    /// The person has `max_per_person` streams open already.
    Person,
    /// The replica holds `max` streams.
    Replica,
}

impl StreamSlots {
    pub fn new(max: usize, max_per_person: usize) -> Self {
        Self {
            open: Arc::default(),
            total: Arc::default(),
            max,
            max_per_person,
        }
    }

    /// A slot for one more stream of `user`, given back when the slot is dropped.
    pub fn take(&self, user: UserId) -> Result<StreamSlot, NoSlot> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = open.entry(user).or_default();
        if *mine >= self.max_per_person {
            return Err(NoSlot::Person);
        }
        if AtomicUsize::load(&self.total, Ordering::Acquire) >= self.max {
            return Err(NoSlot::Replica);
        }
        *mine += 1;
        AtomicUsize::fetch_add(&self.total, 1, Ordering::AcqRel);
        Ok(StreamSlot {
            slots: self.clone(),
            user,
        })
    }

    /// Streams open on this replica.
    pub fn total(&self) -> usize {
        // (Named in full: diesel-async's `RunQueryDsl::load` is in scope here.)
        std::sync::atomic::AtomicUsize::load(&self.total, std::sync::atomic::Ordering::Acquire)
    }
}

/// One open stream's place; dropping it frees the place.
pub struct StreamSlot {
    slots: StreamSlots,
    user: UserId,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(mine) = open.get_mut(&self.user) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.remove(&self.user);
            }
        }
        self.slots
            .total
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
mod slot_tests {
    use super::*;

    #[test]
    fn streams_are_bounded_per_person_and_per_replica_and_given_back() {
        let slots = StreamSlots::new(3, 2);
        let (ada, bob) = (UserId(Uuid::now_v7()), UserId(Uuid::now_v7()));
        let first = slots.take(ada).unwrap();
        let _second = slots.take(ada).unwrap();
        assert_eq!(slots.take(ada).err(), Some(NoSlot::Person));
        let _third = slots.take(bob).unwrap();
        assert_eq!(slots.take(bob).err(), Some(NoSlot::Replica));
        drop(first);
        assert_eq!(slots.total(), 2);
        assert!(
            slots.take(ada).is_ok(),
            "a closed stream gives its place back"
        );
    }
}
