//! The signed-in person's alerts as they happen: the unread count, the newest alerts
//! (for the bell) and a numbered feed of changes (for lists), kept current by the
//! Server-Sent Events stream that [`LiveAlertsProvider`] holds open while someone is
//! signed in. Marking alerts read goes through here too, so every view agrees at once.
//!
//! The stream carries new alerts only: a read mark made in one tab reaches the person's
//! other tabs through [`tabs`] (a `BroadcastChannel`), so their counts and lists follow.
//!
//! Rationale for reconnecting by hand: the server ends each stream after 15 minutes and a
//! stream ticket works once, so the browser's own `EventSource` reconnect (same URL, same
//! ticket) cannot succeed. On any error the stream is closed and opened again with a
//! fresh ticket, resuming after the last `seq` received, 1 s to 30 s later.

mod changes;
mod engine;
mod stream;
mod tabs;

use std::collections::VecDeque;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::alerts::{Alert, AlertQuery};
use pulse_shared::ids::UserId;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::browser;
use crate::first_page;
use crate::reactive::memo;
use crate::session::{Session, use_session};
pub use changes::AlertChange;
use stream::{Handler, Stream};
use tabs::{Tabs, Told};

/// How many of the newest alerts are kept for the bell menu.
const RECENT: usize = 20;

/// How many changes a list can catch up on before it has to load again.
const KEPT_CHANGES: usize = 100;

/// The wait before the first reconnect; it doubles with each failure in a row…
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// …up to this.
const LAST_RETRY: Duration = Duration::from_secs(30);

/// The handle views use; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct LiveAlerts {
    session: Session,
    unread: RwSignal<i64>,
    recent: RwSignal<Vec<Alert>>,
    /// The number of the latest change in `changes`.
    version: RwSignal<u64>,
    changes: StoredValue<VecDeque<(u64, AlertChange)>>,
    /// How many alerts came in over the stream: a count fetched while this moved may
    /// have missed one, so it is fetched again.
    arrivals: StoredValue<u64>,
    stream: StoredValue<Stream, LocalStorage>,
    /// The person's other tabs, while someone is signed in.
    tabs: StoredValue<Option<Tabs>, LocalStorage>,
}

impl LiveAlerts {
    fn new(session: Session) -> Self {
        Self {
            session,
            unread: RwSignal::new(0),
            recent: RwSignal::new(Vec::new()),
            version: RwSignal::new(0),
            changes: StoredValue::new(VecDeque::new()),
            arrivals: StoredValue::new(0),
            stream: StoredValue::new_local(Stream::default()),
            tabs: StoredValue::new_local(None),
        }
    }

    /// How many alerts are unread, tracked.
    pub fn unread(self) -> i64 {
        self.unread.get()
    }

    /// The newest alerts, newest first, tracked.
    pub fn recent(self) -> Vec<Alert> {
        self.recent.get()
    }

    /// The number of the latest change, tracked: goes up with every change, so a list
    /// that watches it can catch up with [`LiveAlerts::changes_since`].
    pub fn changed(self) -> u64 {
        self.version.get()
    }

    /// The number of the latest change, untracked.
    pub fn changed_untracked(self) -> u64 {
        self.version.get_untracked()
    }

    /// The changes after number `seen`, oldest first; `None` when some of them are no
    /// longer kept (the list must load again).
    pub fn changes_since(self, seen: u64) -> Option<Vec<AlertChange>> {
        let latest = self.version.get_untracked();
        if seen >= latest {
            return Some(Vec::new());
        }
        self.changes.with_value(|log| {
            let complete = log.front().is_some_and(|(first, _)| *first <= seen + 1);
            complete.then(|| {
                log.iter()
                    .filter(|(number, _)| *number > seen)
                    .map(|(_, change)| change.clone())
                    .collect()
            })
        })
    }

    /// Marks `alert` read or unread on the server, then everywhere in the app and in the
    /// person's other tabs.
    pub async fn set_read(self, alert: &Alert, read: bool) -> Result<(), ApiError> {
        api::mark_alert(self.session, alert.id, read).await?;
        // The bell's copy is the freshest when it has one.
        let was_read = self
            .recent
            .with_untracked(|recent| {
                recent
                    .iter()
                    .find(|row| row.id == alert.id)
                    .map(|row| row.read_at.is_some())
            })
            .unwrap_or(alert.read_at.is_some());
        let step = match (was_read, read) {
            (false, true) => -1,
            (true, false) => 1,
            _ => 0,
        };
        let told = Told::Marked {
            id: alert.id,
            read_at: read.then(browser::now),
            step,
        };
        self.take(told.clone());
        self.tell_tabs(&told);
        Ok(())
    }

    /// Marks every alert read, here and in the person's other tabs; answers how many
    /// were unread.
    pub async fn mark_all_read(self) -> Result<i64, ApiError> {
        let marked = api::mark_all_alerts_read(self.session).await?.marked;
        let told = Told::AllRead {
            at: browser::now(),
            marked,
        };
        self.take(told.clone());
        self.tell_tabs(&told);
        Ok(marked)
    }

    /// Applies a read mark the server took, made in this tab or another of the person's.
    fn take(self, told: Told) {
        let (step, change) = match told {
            Told::Marked { id, read_at, step } => (step, AlertChange::Marked { id, read_at }),
            Told::AllRead { at, marked } => (-marked, AlertChange::AllRead { at }),
        };
        if step != 0 {
            self.unread
                .update(|unread| *unread = (*unread + step).max(0));
        }
        self.record(change);
    }

    fn tell_tabs(self, told: &Told) {
        self.tabs.with_value(|tabs| {
            if let Some(tabs) = tabs {
                tabs.tell(told);
            }
        });
    }

    /// Adds `change` to the feed and applies it to the bell's alerts.
    fn record(self, change: AlertChange) {
        self.recent.update(|recent| {
            // A resync is not applied here: `refresh` loads the bell's alerts again.
            let _ = change.apply(recent, &AlertQuery::default());
            recent.truncate(RECENT);
        });
        let number = self.version.get_untracked() + 1;
        self.changes.update_value(|log| {
            log.push_back((number, change));
            while log.len() > KEPT_CHANGES {
                log.pop_front();
            }
        });
        self.version.set(number);
    }

    /// Whether `run` is still the current start.
    fn is_current(self, run: u64) -> bool {
        self.stream
            .try_with_value(|stream| stream.run == run)
            .unwrap_or(false)
    }

    /// Joins `person`'s tabs, loads the count and the newest alerts, then opens the
    /// stream. The code that does it is a chunk of its own ([`engine`]), fetched the
    /// first time: the alerts start after the first page, which needs none of it.
    fn start(self, person: UserId) {
        let run = self.stop();
        spawn_local(async move {
            // A chunk a deploy removed: the bell stays quiet until the page is reloaded,
            // and the sections say why when opened.
            let _ = engine::start(self, person, run).await;
        });
    }

    /// Closes the stream, leaves the tabs' channel and forgets the alerts; returns the
    /// new run number.
    fn stop(self) -> u64 {
        let _ = self.tabs.try_set_value(None);
        let run = self
            .stream
            .try_update_value(|stream| {
                stream.close();
                stream.run += 1;
                stream.failures = 0;
                stream.last_seq = None;
                stream.run
            })
            .unwrap_or_default();
        let _ = self.unread.try_set(0);
        let _ = self.recent.try_set(Vec::new());
        run
    }
}

/// Provides [`LiveAlerts`] to its children, and streams the alerts of whoever is signed
/// in: it connects on sign-in, and disconnects and forgets on sign-out.
#[component]
pub fn LiveAlertsProvider(children: Children) -> impl IntoView {
    let session = use_session();
    let live = LiveAlerts::new(session);
    provide_context(live);
    // Only a change of person restarts the stream, not each renewal of the token.
    let person = memo(move || session.me().map(|me| me.user.id));
    Effect::watch(
        move || person.get(),
        move |signed_in, _, _| match *signed_in {
            // After the first page: see `first_page`.
            Some(who) => first_page::after(move || {
                if person.try_get_untracked() == Some(Some(who)) {
                    live.start(who);
                }
            }),
            None => {
                live.stop();
            }
        },
        true,
    );
    // A page kept in the back-forward cache keeps its open requests: close the stream
    // when the page is hidden (otherwise every page left behind holds a connection of
    // the browser's six per server), and open it again if the page comes back.
    let on_hide = Handler::new(move |_: web_sys::Event| {
        live.stop();
    });
    let on_show = Handler::new(move |event: web_sys::Event| {
        let restored = js_sys::Reflect::get(&event, &"persisted".into())
            .ok()
            .and_then(|persisted| persisted.as_bool())
            .unwrap_or(false);
        if let Some(person) = person.get_untracked().filter(|_| restored) {
            live.start(person);
        }
    });
    let page_events = [("pagehide", on_hide), ("pageshow", on_show)];
    if let Some(window) = web_sys::window() {
        for (event, handler) in &page_events {
            let _ =
                window.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
        }
    }
    let page_events = StoredValue::new_local(page_events);
    on_cleanup(move || {
        live.stop();
        let Some(window) = web_sys::window() else {
            return;
        };
        page_events.with_value(|page_events| {
            for (event, handler) in page_events {
                let _ = window
                    .remove_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
            }
        });
    });
    children()
}

/// The alerts of the nearest [`LiveAlertsProvider`].
///
/// Calling it outside a provider is a wiring mistake in `app.rs`, caught on first render.
pub fn use_live_alerts() -> LiveAlerts {
    expect_context::<LiveAlerts>()
}
