//! The live alerts' engine: joining the person's tabs, loading the count and the newest
//! alerts, and holding the stream open (reconnecting with a fresh ticket after any
//! error). A chunk of its own, fetched the first time the alerts start: that is after
//! the first page has drawn (`first_page`), and the first page needs none of it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::alerts::{Alert, AlertQuery};
use pulse_shared::ids::UserId;
use wasm_bindgen::JsCast;
use wasm_split_helpers::{SplitLoaderError, wasm_split};

use super::stream::{Handler, backoff, listen_to};
use super::tabs::Tabs;
use super::{AlertChange, LiveAlerts, RECENT};
use crate::api;

/// Starts `live`'s run `run` for `person`, once the engine's code is there.
#[wasm_split(live_alerts, fallible)]
pub(super) fn start(live: LiveAlerts, person: UserId, run: u64) -> Result<(), SplitLoaderError> {
    live.begin(person, run);
    Ok(())
}

impl LiveAlerts {
    /// Joins `person`'s tabs, loads the count and the newest alerts, then opens the
    /// stream, unless a stop came meanwhile.
    fn begin(self, person: UserId, run: u64) {
        if !self.is_current(run) {
            return;
        }
        let tabs = Tabs::join(person, move |told| self.take(told));
        let _ = self.tabs.try_set_value(tabs);
        spawn_local(async move {
            self.refresh(run).await;
            self.connect(run).await;
        });
    }

    /// Fetches the unread count and the newest alerts. An alert that arrives meanwhile
    /// may or may not be in the answers, so then they are fetched again.
    async fn refresh(self, run: u64) {
        let newest = AlertQuery {
            limit: Some(RECENT as u32),
            ..Default::default()
        };
        for _ in 0..3 {
            let arrivals = self.arrivals.get_value();
            let (count, page) = futures::future::join(
                api::unread_alerts(self.session),
                api::alerts(self.session, &newest),
            )
            .await;
            if !self.is_current(run) {
                return;
            }
            if self.arrivals.get_value() != arrivals {
                continue;
            }
            if let Ok(count) = count {
                self.unread.set(count.unread.max(0));
            }
            if let Ok(page) = page {
                // With no alerts yet, resuming after 0 still brings any raised meanwhile.
                let top = page.items.first().map_or(0, |alert| alert.seq);
                self.stream.update_value(|stream| {
                    stream.last_seq = stream.last_seq.max(Some(top));
                });
                self.recent.set(page.items);
            }
            return;
        }
    }

    /// Gets a ticket and opens the stream, or plans another try.
    async fn connect(self, run: u64) {
        let ticket = api::alert_stream_ticket(self.session).await;
        if !self.is_current(run) {
            return;
        }
        let after = self.stream.with_value(|stream| stream.last_seq);
        let source = ticket.and_then(|ticket| api::open_alert_stream(&ticket.ticket, after));
        let Ok(source) = source else {
            self.retry_later(run);
            return;
        };
        let handlers = self.listen(&source, run);
        self.stream.update_value(|stream| {
            stream.close();
            stream.source = Some(source);
            stream.handlers = handlers;
        });
    }

    /// Attaches the stream's event handlers.
    fn listen(self, source: &web_sys::EventSource, run: u64) -> Vec<Handler> {
        let on_open = move |_: web_sys::Event| {
            self.stream.update_value(|stream| {
                if stream.run == run {
                    stream.failures = 0;
                }
            });
        };
        let on_alert = move |event: web_sys::Event| {
            if !self.is_current(run) {
                return;
            }
            let data = event
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|message| message.data().as_string());
            match data.and_then(|data| serde_json::from_str::<Alert>(&data).ok()) {
                Some(alert) => self.receive(alert),
                // An alert this version cannot read: load what the server has instead.
                None => self.resync(run),
            }
        };
        let on_resync = move |_: web_sys::Event| {
            if self.is_current(run) {
                self.resync(run);
            }
        };
        let on_error = move |_: web_sys::Event| {
            if !self.is_current(run) {
                return;
            }
            // Stop the browser's own reconnect; the handlers stay until the next
            // connect replaces them (dropping them here would free the running one).
            self.stream.update_value(|stream| {
                if let Some(source) = stream.source.take() {
                    source.close();
                }
            });
            self.retry_later(run);
        };
        vec![
            listen_to(source, "open", on_open),
            listen_to(source, "alert", on_alert),
            listen_to(source, "resync", on_resync),
            listen_to(source, "error", on_error),
        ]
    }

    /// Plans a reconnect after the backoff, unless one is planned already.
    fn retry_later(self, run: u64) {
        let delay = self
            .stream
            .try_update_value(|stream| {
                if stream.run != run || stream.retry.is_some() {
                    return None;
                }
                let delay = backoff(stream.failures, js_sys::Math::random());
                stream.failures = stream.failures.saturating_add(1);
                Some(delay)
            })
            .flatten();
        let Some(delay) = delay else {
            return;
        };
        let planned = set_timeout_with_handle(
            move || {
                let _ = self.stream.try_update_value(|stream| stream.retry = None);
                if self.is_current(run) {
                    spawn_local(self.connect(run));
                }
            },
            delay,
        );
        if let Ok(handle) = planned {
            self.stream
                .update_value(|stream| stream.retry = Some(handle));
        }
    }

    /// Takes in an alert from the stream, once.
    fn receive(self, alert: Alert) {
        let fresh = self
            .stream
            .try_update_value(|stream| {
                if stream.last_seq.is_some_and(|last| alert.seq <= last) {
                    return false;
                }
                stream.last_seq = Some(alert.seq);
                true
            })
            .unwrap_or(false);
        if !fresh {
            return;
        }
        self.arrivals.update_value(|arrivals| *arrivals += 1);
        if alert.read_at.is_none() {
            self.unread.update(|unread| *unread += 1);
        }
        self.record(AlertChange::Arrived(alert));
    }

    /// The server says something may have been missed: load the count and the newest
    /// alerts again, and tell lists to do the same.
    fn resync(self, run: u64) {
        self.record(AlertChange::Resync);
        spawn_local(self.refresh(run));
    }
}
