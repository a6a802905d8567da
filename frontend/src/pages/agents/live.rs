//! The agents shown and their totals per status, polled while the page is visible, when
//! a filter changes and on agent alerts from the live stream; "Load more" appends the
//! next page, and from then on each refresh loads again every page down to the oldest
//! agent loaded, so the rows the person brought in stay, updated, and none shows twice.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::Page;
use pulse_shared::agents::{Agent, AgentCounts, AgentQuery};
use pulse_shared::alerts::AlertKind;
use pulse_shared::ids::AgentId;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::table::Filters;
use super::{POLL, SEARCH_PAUSE, SHOWN};
use crate::api::{self, ApiError};
use crate::browser;
use crate::components::Toasts;
use crate::live_alerts::{AlertChange, use_live_alerts};
use crate::reactive::effect;
use crate::session::Session;

/// The agents matching the filters as last loaded (the newest [`SHOWN`], or down to the
/// oldest one a "Load more" brought), newest first, and the totals per status; loaded
/// again every [`POLL`] while the page is visible, when it becomes visible again, when
/// the filters change (back to the newest [`SHOWN`]), and when an agent alert arrives.
#[derive(Clone, Copy)]
pub(super) struct LiveAgents {
    pub(super) session: Session,
    pub(super) filters: Filters,
    /// `None` until the first answer.
    pub(super) rows: RwSignal<Option<Vec<Agent>>>,
    /// Where the next page starts, while more agents match than are loaded.
    pub(super) next_cursor: RwSignal<Option<String>>,
    /// While "Load more" waits for its page.
    pub(super) loading_more: RwSignal<bool>,
    pub(super) counts: RwSignal<Option<AgentCounts>>,
    /// Why the last load failed (the rows of an earlier one stay shown).
    pub(super) error: RwSignal<Option<ApiError>>,
    /// When the rows were loaded, for "last seen" ages.
    pub(super) loaded_at: RwSignal<DateTime<Utc>>,
    /// Bumped by every refresh; answers to older ones are dropped.
    generation: StoredValue<u64>,
    /// Bumped when the filters change: pages and refreshes for the old ones are dropped.
    query: StoredValue<u64>,
    /// How many times "Load more" was asked since the filters changed: a refresh that
    /// began before one was asked did not walk down to it, so its answer is dropped.
    more_asked: StoredValue<u64>,
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
            next_cursor: RwSignal::new(None),
            loading_more: RwSignal::new(false),
            counts: RwSignal::new(None),
            error: RwSignal::new(None),
            loaded_at: RwSignal::new(browser::now()),
            generation: StoredValue::new(0),
            query: StoredValue::new(0),
            more_asked: StoredValue::new(0),
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
                            live.restart();
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
        effect(move |_| {
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

    /// Goes back to the newest [`SHOWN`] for new filters.
    fn restart(self) {
        let _ = self.query.try_update_value(|query| *query += 1);
        let _ = self.more_asked.try_set_value(0);
        // The rows shown are the old filters' until the answer: no "Load more" for them.
        self.next_cursor.set(None);
        self.loading_more.set(false);
        self.load();
    }

    /// The filters as a query.
    fn query(self) -> AgentQuery {
        AgentQuery {
            q: Some(self.filters.q.get_untracked().trim().to_owned()).filter(|q| !q.is_empty()),
            status: self.filters.status(),
            alert: self.filters.alert.get_untracked(),
            cursor: None,
            limit: Some(SHOWN),
        }
    }

    /// Asks again for the agents matching the filters (every page loaded so far), and
    /// the totals.
    pub(super) fn load(self) {
        let Some(generation) = self.generation.try_update_value(|generation| {
            *generation += 1;
            *generation
        }) else {
            return;
        };
        let (Some(query_now), Some(asked)) =
            (self.query.try_get_value(), self.more_asked.try_get_value())
        else {
            return;
        };
        // Past the first page, every agent down to the oldest loaded.
        let loaded: Vec<AgentId> = if asked > 0 {
            self.rows
                .with_untracked(|rows| rows.iter().flatten().map(|agent| agent.id).collect())
        } else {
            Vec::new()
        };
        let query = self.query();
        spawn_local(async move {
            let (page, counts) = futures::join!(
                down_to(self.session, &query, &loaded),
                api::agent_counts(self.session)
            );
            let current = self.generation.try_get_value() == Some(generation)
                && self.query.try_get_value() == Some(query_now)
                && self.more_asked.try_get_value() == Some(asked);
            if !current {
                return;
            }
            match page.and_then(|page| Ok((page, counts?))) {
                Ok((page, counts)) => {
                    self.take_refresh(page, asked > 0);
                    self.counts.set(Some(counts));
                    self.error.set(None);
                    self.loaded_at.set(browser::now());
                }
                Err(error) => self.error.set(Some(error)),
            }
        });
    }

    /// Puts a refresh's rows in place of those it covers (see [`Loaded::refreshed`]).
    fn take_refresh(self, page: Page<Agent>, extended: bool) {
        self.take(|shown| shown.refreshed(page, extended));
    }

    /// Replaces the rows shown and the next page's cursor with what `change` makes of
    /// them.
    fn take(self, change: impl FnOnce(Loaded) -> Loaded) {
        let next_cursor = self.rows.try_update(|rows| {
            let shown = Loaded {
                rows: rows.take().unwrap_or_default(),
                next_cursor: self.next_cursor.get_untracked(),
            };
            let loaded = change(shown);
            *rows = Some(loaded.rows);
            loaded.next_cursor
        });
        if let Some(next_cursor) = next_cursor {
            self.next_cursor.set(next_cursor);
        }
    }

    /// Appends the next page of agents.
    pub(super) fn load_more(self, toasts: Toasts) {
        let Some(cursor) = self.next_cursor.get_untracked() else {
            return;
        };
        if self.loading_more.get_untracked() {
            return;
        }
        let (Some(query_now), Some(_)) = (
            self.query.try_get_value(),
            self.more_asked.try_update_value(|asked| *asked += 1),
        ) else {
            return;
        };
        let query = AgentQuery {
            cursor: Some(cursor),
            ..self.query()
        };
        self.loading_more.set(true);
        spawn_local(async move {
            let page = api::agents(self.session, &query).await;
            if self.query.try_get_value() != Some(query_now) {
                return;
            }
            match page {
                Ok(page) => self.take(|shown| shown.appended(page)),
                Err(error) => toasts.error(format!("Could not load more computers: {error}")),
            }
            let _ = self.loading_more.try_set(false);
        });
    }
}

/// The rows shown, newest first, and where the page after them starts.
#[derive(Debug, Default, PartialEq)]
struct Loaded {
    rows: Vec<Agent>,
    next_cursor: Option<String>,
}

impl Loaded {
    /// After a refresh answered `page`: its rows in place of those it covers. Once the
    /// person has asked for more (`extended`), rows below it stay, with their cursor:
    /// those of a page "Load more" brought while the refresh was on its way.
    fn refreshed(self, page: Page<Agent>, extended: bool) -> Self {
        let oldest = page.items.last().map(|agent| agent.id);
        let below: Vec<Agent> = match (oldest, &page.next_cursor) {
            (Some(oldest), Some(_)) if extended => self
                .rows
                .into_iter()
                .filter(|agent| agent.id < oldest)
                .collect(),
            _ => Vec::new(),
        };
        let mut rows = page.items;
        if below.is_empty() {
            return Self {
                rows,
                next_cursor: page.next_cursor,
            };
        }
        rows.extend(below);
        Self {
            rows,
            next_cursor: self.next_cursor,
        }
    }

    /// After "Load more" answered `page`: its rows below those shown, but for any a
    /// refresh that landed meanwhile already brought.
    fn appended(mut self, page: Page<Agent>) -> Self {
        let oldest = self.rows.last().map(|agent| agent.id);
        self.rows.extend(
            page.items
                .into_iter()
                .filter(|agent| oldest.is_none_or(|oldest| agent.id < oldest)),
        );
        Self {
            rows: self.rows,
            next_cursor: page.next_cursor,
        }
    }
}

/// The agents matching `query` from the newest down to the oldest of `loaded` (the ids
/// shown, newest first), page by page; just the first page when `loaded` is empty.
/// Each page after the first asks for as many as were loaded below the oldest fetched
/// so far, so the walk ends at the oldest loaded even when agents were added above it.
async fn down_to(
    session: Session,
    query: &AgentQuery,
    loaded: &[AgentId],
) -> Result<Page<Agent>, ApiError> {
    let mut items: Vec<Agent> = Vec::new();
    let mut page_query = query.clone();
    loop {
        let page = api::agents(session, &page_query).await?;
        items.extend(page.items);
        let limit = items.last().and_then(|last| next_limit(loaded, last.id));
        match (page.next_cursor, limit) {
            (Some(cursor), Some(limit)) => {
                page_query.cursor = Some(cursor);
                page_query.limit = Some(limit);
            }
            (next_cursor, _) => return Ok(Page { items, next_cursor }),
        }
    }
}

/// How many agents a refresh's next page asks for: as many as were loaded below `last`
/// (the oldest fetched so far), at most [`SHOWN`]; `None` once it has come down to the
/// oldest loaded.
fn next_limit(loaded: &[AgentId], last: AgentId) -> Option<u32> {
    let below = loaded.iter().filter(|id| **id < last).count();
    (below > 0).then(|| u32::try_from(below).map_or(SHOWN, |below| below.min(SHOWN)))
}

/// Whether the page is in a background tab or a minimised window.
pub(super) fn page_hidden() -> bool {
    document().hidden()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_shared::agents::AgentStatus;

    /// Ids that sort as `n` does (newest first means highest first).
    fn id(n: u32) -> AgentId {
        format!("00000000-0000-7000-8000-{n:012}")
            .parse()
            .expect("an id")
    }

    #[test]
    fn a_refresh_walks_down_to_the_oldest_agent_loaded() {
        // Only the first page loaded: one page, whatever it ends on.
        assert_eq!(next_limit(&[], id(500)), None);
        // 400 loaded (ids 400 down to 1).
        let loaded: Vec<AgentId> = (1..=400).rev().map(id).collect();
        // Unchanged: the first page ends at 201, 200 more to come, then done.
        assert_eq!(next_limit(&loaded, id(201)), Some(200));
        assert_eq!(next_limit(&loaded, id(1)), None);
        // Ten added on top: the first page ends at 211, the walk asks for the 210 below
        // it in a page of 200, then the last 10.
        assert_eq!(next_limit(&loaded, id(211)), Some(SHOWN));
        assert_eq!(next_limit(&loaded, id(11)), Some(10));
        // The oldest loaded is gone (revoked and filtered out): the walk stops past it.
        assert_eq!(next_limit(&loaded[..399], id(1)), None);
        assert_eq!(next_limit(&loaded, id(0)), None);
    }

    fn agent(n: u32) -> Agent {
        serde_json::from_value(serde_json::json!({
            "id": id(n),
            "user_id": "00000000-0000-7000-8000-000000000000",
            "user_name": "Fiona Fleet",
            "hostname": format!("fleet-{n:03}"),
            "os": "Windows 11",
            "agent_version": "0.1.0",
            "status": AgentStatus::Offline,
            "state": null,
            "enrolled_at": "2026-11-25T10:00:00Z",
            "last_seen_at": null,
            "revoked_at": null,
            "spool": null,
        }))
        .expect("a valid agent")
    }

    /// Agents `from` down to `to`, newest first.
    fn agents(from: u32, to: u32) -> Vec<Agent> {
        (to..=from).rev().map(agent).collect()
    }

    fn page(from: u32, to: u32, next: Option<&str>) -> Page<Agent> {
        Page {
            items: agents(from, to),
            next_cursor: next.map(str::to_owned),
        }
    }

    fn loaded(from: u32, to: u32, next: Option<&str>) -> Loaded {
        Loaded {
            rows: agents(from, to),
            next_cursor: next.map(str::to_owned),
        }
    }

    #[test]
    fn a_refresh_of_the_first_page_shows_the_newest_only() {
        // Ten agents enrolled on top: the ten oldest leave the first page.
        let shown = loaded(200, 1, Some("c1"));
        assert_eq!(
            shown.refreshed(page(210, 11, Some("c11")), false),
            loaded(210, 11, Some("c11"))
        );
    }

    #[test]
    fn a_refresh_past_the_first_page_replaces_what_it_covers() {
        let shown = loaded(400, 1, None);
        assert_eq!(
            shown.refreshed(page(403, 1, None), true),
            loaded(403, 1, None)
        );
        let shown = loaded(400, 201, Some("c201"));
        assert_eq!(
            shown.refreshed(page(400, 201, Some("c201-again")), true),
            loaded(400, 201, Some("c201-again"))
        );
    }

    #[test]
    fn a_page_loaded_during_a_refresh_stays_below_it() {
        // The refresh walked down to 201 while "Load more" brought 200 to 1.
        let shown = loaded(400, 1, None);
        assert_eq!(
            shown.refreshed(page(402, 201, Some("c201")), true),
            Loaded {
                rows: [agents(402, 201), agents(200, 1)].concat(),
                next_cursor: None,
            }
        );
    }

    #[test]
    fn load_more_appends_what_is_not_shown_yet() {
        let shown = loaded(400, 201, Some("c201"));
        assert_eq!(
            shown.appended(page(200, 1, Some("c1"))),
            loaded(400, 1, Some("c1"))
        );
        // A refresh that landed first reached two agents into the page.
        let shown = loaded(400, 199, Some("c199"));
        assert_eq!(shown.appended(page(200, 1, None)), loaded(400, 1, None));
    }
}
