//! The agents card: the search and status filters, the totals per status and the table
//! of agents (with what waits in each one's spool) with Revoke.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::agents::{Agent, AgentCounts, AgentState, AgentStatus, SpoolReport};
use pulse_shared::ids::{AgentId, AlertId};

use super::SHOWN;
use super::live::LiveAgents;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, ErrorCard,
    FormField, SelectField, Skeleton, use_toasts,
};
use crate::cursor_list::LoadMoreButton;
use crate::format;
use crate::reactive::{effect, memo};

/// The filter controls' values (strings, as the controls hold them).
#[derive(Debug, Clone, Copy)]
pub(super) struct Filters {
    pub(super) q: RwSignal<String>,
    pub(super) status: RwSignal<String>,
    /// Only the computers of this fleet alert (`/agents?alert=…`, linked from the
    /// alert); set from the address, so "Clear filters" keeps it.
    pub(super) alert: RwSignal<Option<AlertId>>,
}

impl Filters {
    pub(super) fn any(self) -> bool {
        !(self.q.read().trim().is_empty() && self.status.read().is_empty())
    }

    pub(super) fn clear(self) {
        self.q.set(String::new());
        self.status.set(String::new());
    }

    /// The chosen status, untracked.
    pub(super) fn status(self) -> Option<AgentStatus> {
        let chosen = self.status.get_untracked();
        AgentStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == chosen)
    }

    /// Whether `agent`, as the server found it for the filters, shows the chosen status
    /// (tracked): the server filters by the status last recorded, the row shows it now.
    pub(super) fn shows(self, agent: &Agent) -> bool {
        let status = self.status.read();
        status.is_empty() || agent.status.as_str() == status.as_str()
    }
}

/// The agents card: counts, filters, the table.
#[component]
pub(super) fn AgentsCard(
    agents: LiveAgents,
    may_manage: Memo<bool>,
    on_revoke: Callback<Agent>,
    /// The agent whose row takes the focus when it is next drawn revoked.
    focus_revoked: RwSignal<Option<AgentId>>,
) -> impl IntoView {
    let filters = agents.filters;
    let toasts = use_toasts();
    let shown = memo(move || {
        agents.rows.with(|rows| {
            rows.as_deref()
                .unwrap_or_default()
                .iter()
                .filter(|agent| filters.shows(agent))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // Where each shown computer is in `shown`, for its row to find its latest state.
    let by_id = memo(move || {
        shown.with(|rows| {
            rows.iter()
                .enumerate()
                .map(|(at, agent)| (agent.id, at))
                .collect::<HashMap<_, _>>()
        })
    });
    let online = move || {
        agents
            .counts
            .with(|counts| counts.map_or(0, |counts| counts.online))
    };
    let status_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any status".to_owned())];
        options.extend(
            AgentStatus::ALL
                .iter()
                .map(|status| (status.as_str().to_owned(), status.label().to_owned())),
        );
        options
    });
    view! {
        <Card title="Computers" flush=true {..} data-testid="agents-card">
            <CardActions slot>
                <span class="live-dot" title="Updated every few seconds">
                    <span class="visually-hidden">"Live"</span>
                </span>
                {move || {
                    let online = online();
                    let tone = if online > 0 { BadgeTone::Success } else { BadgeTone::Neutral };
                    view! { <Badge tone=tone>{format!("{online} online")}</Badge> }
                }}
            </CardActions>
            <form class="filter-bar filter-bar-agents" role="search" on:submit=|event| event.prevent_default()>
                <div class="filter-search">
                    <FormField
                        id="agents-search"
                        name="q"
                        label="Search"
                        input_type="search"
                        placeholder="Computer or employee"
                        value=filters.q
                    />
                </div>
                <SelectField
                    id="agents-status"
                    name="status_filter"
                    label="Status"
                    value=filters.status
                    options=status_options
                />
                <Show when=move || filters.any()>
                    <Button variant=ButtonVariant::Ghost on_click=move |_| filters.clear() {..} class:filter-clear=true>
                        "Clear filters"
                    </Button>
                </Show>
            </form>
            <Show when=move || filters.alert.with(Option::is_some)>
                <div class="card-inset">
                    <p class="card-footnote" data-testid="agents-of-alert">
                        "Only the computers of one alert: those that went offline together. "
                        <A href="/agents">"Show every computer"</A>
                    </p>
                </div>
            </Show>
            {move || {
                agents
                    .error
                    .get()
                    .map(|error| {
                        view! {
                            <div class="card-inset">
                                <ErrorCard
                                    title="Agents"
                                    error=error
                                    on_retry=Callback::new(move |()| agents.load())
                                />
                            </div>
                        }
                    })
            }}
            <Show
                when=move || agents.rows.with(Option::is_some)
                fallback=move || {
                    view! {
                        <Show when=move || agents.error.with(Option::is_none)>
                            <div class="card-inset"><Skeleton lines=4 /></div>
                        </Show>
                    }
                }
            >
                <div class="table-scroll table-stack table-stack-wide">
                    <DataTable
                        columns=&["Computer", "Employee", "Status", "State", "Version", "Last seen", ""]
                        is_empty=Signal::derive(move || shown.with(Vec::is_empty))
                        {..}
                        class:table-agents=true
                        data-testid="agents"
                    >
                        <Empty slot>
                            {move || {
                                if filters.any() || filters.alert.with(Option::is_some) {
                                    "No computer matches these filters."
                                } else if may_manage.get() {
                                    "No computers yet. Create an enrollment token below and run the install command on a computer."
                                } else {
                                    "No computers report to Pulse yet."
                                }
                            }}
                        </Empty>
                        // One row per computer for as long as it is shown: a refresh
                        // redraws what changed in it, and the focus stays where it was.
                        <For each=move || shown.get() key=|agent| agent.id let:agent>
                            {
                                let id = agent.id;
                                let current = Memo::new(move |previous: Option<&Agent>| {
                                    by_id
                                        .with(|by_id| by_id.get(&id).copied())
                                        .and_then(|at| shown.with(|rows| rows.get(at).cloned()))
                                        .or_else(|| previous.cloned())
                                        .unwrap_or_else(|| agent.clone())
                                });
                                agent_row(current, agents.loaded_at, may_manage, on_revoke, focus_revoked)
                            }
                        </For>
                    </DataTable>
                </div>
                <Show when=move || {
                    agents.next_cursor.with(Option::is_some)
                        || agents.rows.with(|rows| rows.as_ref().is_some_and(|rows| rows.len() > SHOWN as usize))
                }>
                    <div class="load-more load-more-counted">
                        <p class="muted" data-testid="agents-shown" aria-live="polite">
                            {move || how_many(filters, shown.with(Vec::len), agents.counts.get())}
                        </p>
                        <Show when=move || agents.next_cursor.with(Option::is_some)>
                            <LoadMoreButton
                                loading=agents.loading_more
                                on_load=Callback::new(move |()| agents.load_more(toasts))
                            />
                        </Show>
                    </div>
                </Show>
            </Show>
        </Card>
    }
}

/// How many computers the table shows, of how many match: the totals per status tell
/// for a status filter or none; a search is answered page by page, without a total.
fn how_many(filters: Filters, shown: usize, counts: Option<AgentCounts>) -> String {
    let shown = format::thousands(shown as u64);
    let searching = !filters.q.read().trim().is_empty();
    filters.status.track();
    let status = filters.status();
    match counts.filter(|_| !searching) {
        Some(counts) => {
            let (total, which) = match status {
                Some(status) => (
                    match status {
                        AgentStatus::Online => counts.online,
                        AgentStatus::Offline => counts.offline,
                        AgentStatus::Missing => counts.missing,
                        AgentStatus::Revoked => counts.revoked,
                    },
                    format!("{} computers", status.label().to_ascii_lowercase()),
                ),
                None => (counts.total(), "computers".to_owned()),
            };
            format!(
                "Showing {shown} of {} {which}, newest first",
                format::thousands(total)
            )
        }
        None => format!("Showing {shown} matching computers, newest first"),
    }
}

/// A computer's row, kept while it is shown; `agent` is its latest state.
fn agent_row(
    agent: Memo<Agent>,
    now: RwSignal<DateTime<Utc>>,
    may_manage: Memo<bool>,
    on_revoke: Callback<Agent>,
    focus_revoked: RwSignal<Option<AgentId>>,
) -> impl IntoView {
    let agent_id = agent.with_untracked(|agent| agent.id);
    let status = move || agent.with(|agent| agent.status);
    let revoked = move || status() == AgentStatus::Revoked;
    // Revoking removes the button that had the focus: the row, now revoked, takes it so
    // that the keyboard goes on from where it was.
    let row = NodeRef::<leptos::html::Tr>::new();
    effect(move |_| {
        if let Some(row) = row.get()
            && revoked()
            && focus_revoked.get_untracked() == Some(agent_id)
        {
            focus_revoked.set(None);
            let _ = row.focus();
        }
    });
    view! {
        <tr
            node_ref=row
            tabindex=move || revoked().then_some("-1")
            data-agent-id=agent_id.to_string()
            data-agent-host=move || agent.with(|agent| agent.hostname.clone())
            data-agent-status=move || status().as_str()
            class:is-revoked=revoked
        >
            {move || agent_cells(agent.get(), now)}
            <td class="cell-actions">
                <Show when=move || may_manage.get() && !revoked()>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_revoke.run(agent.get_untracked())
                        {..}
                        class:btn-ghost-danger=true
                        data-testid="agent-revoke"
                        aria-label=move || agent.with(|agent| format!("Revoke the agent on {}", agent.hostname))
                    >
                        "Revoke"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}

/// The cells of a computer's row but its actions, drawn again when it changes.
fn agent_cells(agent: Agent, now: RwSignal<DateTime<Utc>>) -> impl IntoView {
    let status = agent.status;
    let last_seen = agent.last_seen_at;
    let seen_iso = last_seen.map(|at| at.to_rfc3339()).unwrap_or_default();
    let seen_exact = last_seen.map(format::timestamp).unwrap_or_default();
    let enrolled = format!("Enrolled {}", format::date(agent.enrolled_at));
    let state = agent.state;
    view! {
        <td class="cell-wrap cell-computer">
            <span class="stacked">
                <span class="cell-title">{agent.hostname}</span>
                <span class="cell-sub">{agent.os}</span>
                {agent.spool.map(spool_note)}
            </span>
        </td>
        <td class="cell-employee">
            <span class="stacked">
                <span>{agent.user_name}</span>
                <span class="cell-sub">{enrolled}</span>
            </span>
        </td>
        <td class="cell-status" data-testid="agent-status" data-status=status.as_str()>
            <Badge tone=BadgeTone::from(status)>{status.label()}</Badge>
        </td>
        // What it last reported: current only while the agent is online.
        <td
            class="cell-state"
            class:muted=status != AgentStatus::Online
            data-label="State"
            data-state=state.map(AgentState::as_str)
        >
            {match (state, status) {
                (None, _) => "—".to_owned(),
                (Some(state), AgentStatus::Online) => state.label().to_owned(),
                (Some(state), _) => format!("Last: {}", state.label()),
            }}
        </td>
        <td class="mono cell-version" data-label="Version">{agent.agent_version}</td>
        <td class="cell-seen" data-label="Last seen">
            {match last_seen {
                Some(at) => {
                    view! {
                        <time datetime=seen_iso title=seen_exact>
                            {move || format::ago(at, now.get())}
                        </time>
                    }
                        .into_any()
                }
                None => view! { <span class="muted">"Never"</span> }.into_any(),
            }}
        </td>
    }
}

/// What waits in an agent's spool, when anything does, and a warning for what it lost
/// (dropped while its spool was full) or the server refused (kept as dead letters). As
/// of its last heartbeat; `dropped` counts since the agent was installed.
fn spool_note(spool: SpoolReport) -> impl IntoView {
    let waiting = (spool.pending > 0).then(|| {
        view! {
            <span class="cell-sub" data-testid="agent-spool-pending">
                {format!("{} waiting to be sent", items(u64::from(spool.pending)))}
            </span>
        }
    });
    let dropped = (spool.dropped > 0).then(|| {
        view! {
            <span class="spool-warning" data-testid="agent-spool-dropped">
                {format!("{} dropped: spool full", items(spool.dropped))}
            </span>
        }
    });
    let refused = (spool.dead_letters > 0).then(|| {
        view! {
            <span class="spool-warning" data-testid="agent-spool-refused">
                {format!("{} refused by the server", items(u64::from(spool.dead_letters)))}
            </span>
        }
    });
    (waiting, dropped, refused)
}

/// `1 item`, `1,250 items`.
fn items(count: u64) -> String {
    match count {
        1 => "1 item".to_owned(),
        _ => format!("{} items", format::thousands(count)),
    }
}
