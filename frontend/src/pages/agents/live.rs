//! The agents shown and their totals per status, polled while the page is visible, when
//! a filter changes and on agent alerts from the live stream.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::agents::{Agent, AgentCounts, AgentQuery};
use pulse_shared::alerts::AlertKind;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::table::Filters;
use super::{POLL, SEARCH_PAUSE, SHOWN};
use crate::api::{self, ApiError};
use crate::browser;
use crate::live_alerts::{AlertChange, use_live_alerts};
use crate::session::Session;

/// The agents matching the filters as last loaded (the newest [`SHOWN`]), and the
/// totals per status; reloaded every [`POLL`] while the page is visible, when it becomes
/// visible again, when the filters change, and when an agent alert arrives.
#[derive(Clone, Copy)]
pub(super) struct LiveAgents {
    pub(super) session: Session,
    pub(super) filters: Filters,
    /// `None` until the first answer.
    pub(super) rows: RwSignal<Option<Vec<Agent>>>,
    /// Whether more agents match than [`SHOWN`].
    pub(super) more: RwSignal<bool>,
    pub(super) counts: RwSignal<Option<AgentCounts>>,
    /// Why the last load failed (the rows of an earlier one stay shown).
    pub(super) error: RwSignal<Option<ApiError>>,
    /// When the rows were loaded, for "last seen" ages.
    pub(super) loaded_at: RwSignal<DateTime<Utc>>,
    /// Bumped by every load; answers to older ones are dropped.
    pub(super) generation: StoredValue<u64>,
}

impl LiveAgents {
    pub(super) fn start(session: Session) -> Self {
        let live = Self {
            session,
            filters: Filters {
                q: RwSignal::new(String::new()),
                status: RwSignal::new(String::new()),
                alert: RwSignal::new(None),
            },
            rows: RwSignal::new(None),
            more: RwSignal::new(false),
            counts: RwSignal::new(None),
            error: RwSignal::new(None),
            loaded_at: RwSignal::new(browser::now()),
            generation: StoredValue::new(0),
        };
        live.load();

        // A changed filter asks again, once typing pauses.
        let pending = StoredValue::new(0_u64);
        Effect::watch(
            move || {
                (
                    live.filters.q.get(),
                    live.filters.status.get(),
                    live.filters.alert.get(),
                )
            },
            move |_, _, _| {
                let Some(ticket) = pending.try_update_value(|ticket| {
                    *ticket += 1;
                    *ticket
                }) else {
                    return;
                };
                set_timeout(
                    move || {
                        if pending.try_get_value() == Some(ticket) {
                            live.load();
                        }
                    },
                    SEARCH_PAUSE,
                );
            },
            false,
        );

        let poll = set_interval_with_handle(
            move || {
                if !page_hidden() {
                    live.load();
                }
            },
            POLL,
        )
        .ok();
        let on_visible = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            if !page_hidden() {
                live.load();
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        let on_visible = StoredValue::new_local(on_visible);
        on_cleanup(move || {
            if let Some(poll) = poll {
                poll.clear();
            }
            on_visible.with_value(|handler| {
                let _ = document().remove_event_listener_with_callback(
                    "visibilitychange",
                    handler.as_ref().unchecked_ref(),
                );
            });
        });

        // An agent alert means a status changed: look now rather than at the next poll.
        let alerts = use_live_alerts();
        let seen = StoredValue::new(alerts.changed_untracked());
        Effect::new(move || {
            let latest = alerts.changed();
            let changes = alerts.changes_since(seen.get_value());
            seen.set_value(latest);
            let about_agents = changes.is_none_or(|changes| {
                changes.iter().any(|change| match change {
                    AlertChange::Arrived(alert) => {
                        matches!(
                            alert.kind,
                            AlertKind::AgentOffline
                                | AlertKind::AgentOnline
                                | AlertKind::FleetOffline
                                | AlertKind::FleetOnline
                        )
                    }
                    AlertChange::Resync => true,
                    AlertChange::Marked { .. } | AlertChange::AllRead { .. } => false,
                })
            });
            if about_agents {
                live.load();
            }
        });
        live
    }

    /// Asks for the agents matching the filters, and the totals.
    pub(super) fn load(self) {
        let Some(generation) = self.generation.try_update_value(|generation| {
            *generation += 1;
            *generation
        }) else {
            return;
        };
        let query = AgentQuery {
            q: Some(self.filters.q.get_untracked().trim().to_owned()).filter(|q| !q.is_empty()),
            status: self.filters.status(),
            alert: self.filters.alert.get_untracked(),
            cursor: None,
            limit: Some(SHOWN),
        };
        spawn_local(async move {
            let (page, counts) = futures::join!(
                api::agents(self.session, &query),
                api::agent_counts(self.session)
            );
            if self.generation.try_get_value() != Some(generation) {
                return;
            }
            match page.and_then(|page| Ok((page, counts?))) {
                Ok((page, counts)) => {
                    self.more.set(page.next_cursor.is_some());
                    self.rows.set(Some(page.items));
                    self.counts.set(Some(counts));
                    self.error.set(None);
                    self.loaded_at.set(browser::now());
                }
                Err(error) => self.error.set(Some(error)),
            }
        });
    }
}

/// Whether the page is in a background tab or a minimised window.
pub(super) fn page_hidden() -> bool {
    document().hidden()
}
