//! Agents (`/agents`): the desktop agents the person may see with their status (the
//! newest 200 matching the search and status filters, which the server answers, and
//! the totals per status), kept current (every few seconds while the page is visible,
//! and at once when an "agent offline" or "agent back online" alert arrives), and
//! revoking an agent. For
//! admins, the enrollment tokens computers join with: creating one (its `pet_…` secret
//! and the install command are shown once) and revoking it.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::access::Action;
use pulse_shared::agents::{
    Agent, AgentCounts, AgentQuery, AgentState, AgentStatus, CreateEnrollmentTokenRequest,
    EnrollmentToken, EnrollmentTokenCreated, MAX_TOKEN_HOURS, MAX_TOKEN_USES,
};
use pulse_shared::alerts::AlertKind;
use pulse_shared::ids::UserId;
use pulse_shared::people::{Person, UserStatus};
use pulse_shared::validate;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{self, ApiError};
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, Confirmation,
    CopyField, DataTable, Dialog, Empty, ErrorCard, FormField, FormFooter, FormMessage,
    SelectField, Skeleton, use_toasts,
};
use crate::format;
use crate::forms::{FormErrors, submission};
use crate::live_alerts::{AlertChange, use_live_alerts};
use crate::session::{Session, use_session};

/// How often the list is loaded again while the page is visible.
const POLL: Duration = Duration::from_secs(5);
/// The most computers listed at once; past it, the search and status filters (answered
/// by the server) narrow the list.
const SHOWN: u32 = 200;
/// How long typing in the search pauses before the list is asked for again.
const SEARCH_PAUSE: Duration = Duration::from_millis(250);
/// The longest token name (the server's limit).
const MAX_TOKEN_NAME: usize = 80;

/// The page: the agents card, the enrollment tokens card (admins) and the dialogs.
#[component]
pub fn Agents() -> impl IntoView {
    super::set_title("Agents");
    let session = use_session();
    let may_manage = Memo::new(move |_| session.may(Action::ManageAgents));
    // For the tokens card: whom a token names, and whom a new one may name.
    let people = LocalResource::new(move || async move {
        if may_manage.get() {
            api::everyone(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let names = Memo::new(move |_| {
        let mut names: HashMap<UserId, String> = people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|person| (person.id, person.name))
            .collect();
        if let Some(me) = session.me() {
            names.entry(me.user.id).or_insert(me.user.name);
        }
        names
    });
    let agents = LiveAgents::start(session);

    let revoking = Confirmation::<Agent>::new();
    let ask_revoke = Callback::new(move |agent: Agent| revoking.ask(agent));
    let toasts = use_toasts();
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |agent: Agent| api::revoke_agent(session, agent.id),
            move |agent| {
                toasts.success(format!("The agent on {} is revoked", agent.hostname));
                agents.load();
            },
        );
    });
    let revoke_message = revoking.message(|agent| {
        format!(
            "The agent on {} stops reporting at once and its seat is freed once its employee has no other computer. To monitor this computer again, enroll it with a new token.",
            agent.hostname
        )
    });

    view! {
        <div class="page" data-page="agents">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Agents"</h1>
                    <p class="page-lede">
                        {move || {
                            if session.reaches_others(Action::ReadAgents) {
                                "The computers that report to Pulse, live."
                            } else {
                                "Your computers that report to Pulse, live."
                            }
                        }}
                    </p>
                </div>
            </header>
            <AgentsCard agents=agents may_manage=may_manage on_revoke=ask_revoke />
            <Show when=move || may_manage.get()>
                <TokensCard people=people names=names agents=agents />
            </Show>
            <ConfirmDialog
                open=revoking.open
                title="Revoke this agent?"
                message=revoke_message
                confirm_label="Revoke agent"
                busy=revoking.busy
                error=revoking.error
                on_confirm=revoke
            />
        </div>
    }
}

/// The agents matching the filters as last loaded (the newest [`SHOWN`]), and the
/// totals per status; reloaded every [`POLL`] while the page is visible, when it becomes
/// visible again, when the filters change, and when an agent alert arrives.
#[derive(Clone, Copy)]
struct LiveAgents {
    session: Session,
    filters: Filters,
    /// `None` until the first answer.
    rows: RwSignal<Option<Vec<Agent>>>,
    /// Whether more agents match than [`SHOWN`].
    more: RwSignal<bool>,
    counts: RwSignal<Option<AgentCounts>>,
    /// Why the last load failed (the rows of an earlier one stay shown).
    error: RwSignal<Option<ApiError>>,
    /// When the rows were loaded, for "last seen" ages.
    loaded_at: RwSignal<DateTime<Utc>>,
    /// Bumped by every load; answers to older ones are dropped.
    generation: StoredValue<u64>,
}

impl LiveAgents {
    fn start(session: Session) -> Self {
        let live = Self {
            session,
            filters: Filters {
                q: RwSignal::new(String::new()),
                status: RwSignal::new(String::new()),
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
            move || (live.filters.q.get(), live.filters.status.get()),
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
                        matches!(alert.kind, AlertKind::AgentOffline | AlertKind::AgentOnline)
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
    fn load(self) {
        let Some(generation) = self.generation.try_update_value(|generation| {
            *generation += 1;
            *generation
        }) else {
            return;
        };
        let query = AgentQuery {
            q: Some(self.filters.q.get_untracked().trim().to_owned()).filter(|q| !q.is_empty()),
            status: self.filters.status(),
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
fn page_hidden() -> bool {
    document().hidden()
}

/// The filter controls' values (strings, as the controls hold them).
#[derive(Debug, Clone, Copy)]
struct Filters {
    q: RwSignal<String>,
    status: RwSignal<String>,
}

impl Filters {
    fn any(self) -> bool {
        !(self.q.read().trim().is_empty() && self.status.read().is_empty())
    }

    fn clear(self) {
        self.q.set(String::new());
        self.status.set(String::new());
    }

    /// The chosen status, untracked.
    fn status(self) -> Option<AgentStatus> {
        let chosen = self.status.get_untracked();
        STATUSES
            .into_iter()
            .find(|status| status.as_str() == chosen)
    }

    /// Whether `agent`, as the server found it for the filters, shows the chosen status
    /// (tracked): the server filters by the status last recorded, the row shows it now.
    fn shows(self, agent: &Agent) -> bool {
        let status = self.status.read();
        status.is_empty() || agent.status.as_str() == status.as_str()
    }
}

const STATUSES: [AgentStatus; 4] = [
    AgentStatus::Online,
    AgentStatus::Offline,
    AgentStatus::Missing,
    AgentStatus::Revoked,
];

fn status_label(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Online => "Online",
        AgentStatus::Offline => "Offline",
        AgentStatus::Missing => "Missing",
        AgentStatus::Revoked => "Revoked",
    }
}

fn status_tone(status: AgentStatus) -> BadgeTone {
    match status {
        AgentStatus::Online => BadgeTone::Success,
        AgentStatus::Offline => BadgeTone::Warning,
        AgentStatus::Missing => BadgeTone::Danger,
        AgentStatus::Revoked => BadgeTone::Neutral,
    }
}

fn state_label(state: AgentState) -> &'static str {
    match state {
        AgentState::Active => "Active",
        AgentState::Idle => "Idle",
        AgentState::Locked => "Locked",
        AgentState::Paused => "Paused",
    }
}

/// The agents card: counts, filters, the table.
#[component]
fn AgentsCard(
    agents: LiveAgents,
    may_manage: Memo<bool>,
    on_revoke: Callback<Agent>,
) -> impl IntoView {
    let filters = agents.filters;
    let shown = Memo::new(move |_| {
        agents.rows.with(|rows| {
            rows.as_deref()
                .unwrap_or_default()
                .iter()
                .filter(|agent| filters.shows(agent))
                .cloned()
                .collect::<Vec<_>>()
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
            STATUSES
                .iter()
                .map(|status| (status.as_str().to_owned(), status_label(*status).to_owned())),
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
                                if filters.any() {
                                    "No computer matches these filters."
                                } else if may_manage.get() {
                                    "No computers yet. Create an enrollment token below and run the install command on a computer."
                                } else {
                                    "No computers report to Pulse yet."
                                }
                            }}
                        </Empty>
                        <For
                            each=move || shown.get()
                            key=|agent| {
                                (
                                    agent.id,
                                    agent.status,
                                    agent.state,
                                    agent.last_seen_at,
                                    agent.agent_version.clone(),
                                    agent.user_name.clone(),
                                )
                            }
                            let:agent
                        >
                            {agent_row(agent, agents.loaded_at, may_manage, on_revoke)}
                        </For>
                    </DataTable>
                </div>
                <Show when=move || agents.more.get()>
                    <div class="card-inset">
                        <p class="card-footnote muted" data-testid="agents-more">
                            {format!(
                                "Showing the newest {SHOWN} matching computers. Search by computer or employee, or choose a status, to find others."
                            )}
                        </p>
                    </div>
                </Show>
            </Show>
        </Card>
    }
}

fn agent_row(
    agent: Agent,
    now: RwSignal<DateTime<Utc>>,
    may_manage: Memo<bool>,
    on_revoke: Callback<Agent>,
) -> impl IntoView {
    let status = agent.status;
    let revoked = status == AgentStatus::Revoked;
    let last_seen = agent.last_seen_at;
    let seen_iso = last_seen.map(|at| at.to_rfc3339()).unwrap_or_default();
    let seen_exact = last_seen.map(format::timestamp).unwrap_or_default();
    let enrolled = format!("Enrolled {}", format::date(agent.enrolled_at));
    let state = agent.state;
    let employee = agent.user_name.clone();
    let host = agent.hostname.clone();
    let row_host = agent.hostname.clone();
    let label = format!("Revoke the agent on {}", agent.hostname);
    let version = agent.agent_version.clone();
    let os = agent.os.clone();
    let id = agent.id.to_string();
    let stored = StoredValue::new(agent);
    view! {
        <tr
            data-agent-id=id
            data-agent-host=row_host
            data-agent-status=status.as_str()
            class:is-revoked=revoked
        >
            <td class="cell-wrap cell-computer">
                <span class="stacked">
                    <span class="cell-title">{host}</span>
                    <span class="cell-sub">{os}</span>
                </span>
            </td>
            <td class="cell-employee">
                <span class="stacked">
                    <span>{employee}</span>
                    <span class="cell-sub">{enrolled}</span>
                </span>
            </td>
            <td class="cell-status" data-testid="agent-status" data-status=status.as_str()>
                <Badge tone=status_tone(status)>{status_label(status)}</Badge>
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
                    (Some(state), AgentStatus::Online) => state_label(state).to_owned(),
                    (Some(state), _) => format!("Last: {}", state_label(state)),
                }}
            </td>
            <td class="mono cell-version" data-label="Version">{version}</td>
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
            <td class="cell-actions">
                <Show when=move || may_manage.get() && !revoked>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_revoke.run(stored.get_value())
                        {..}
                        class:btn-ghost-danger=true
                        data-testid="agent-revoke"
                        aria-label=label.clone()
                    >
                        "Revoke"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}

/// Enrollment tokens: the list, "New token", and revoking.
#[component]
fn TokensCard(
    people: LocalResource<Result<Vec<Person>, ApiError>>,
    names: Memo<HashMap<UserId, String>>,
    agents: LiveAgents,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let tokens = LocalResource::new(move || api::enrollment_tokens(session));
    // A new computer used a token: show its count of uses.
    let enrolled = Memo::new(move |_| agents.counts.with(|counts| counts.map(|c| c.total())));
    Effect::watch(
        move || enrolled.get(),
        move |_, previous, _| {
            // Not for the first answer: the tokens were just loaded with it.
            if matches!(previous, Some(Some(_))) {
                tokens.refetch();
            }
        },
        false,
    );
    let create_open = RwSignal::new(false);
    let revoking = Confirmation::<EnrollmentToken>::new();
    let ask_revoke = Callback::new(move |token: EnrollmentToken| revoking.ask(token));
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |token: EnrollmentToken| api::revoke_enrollment_token(session, token.id),
            move |token| {
                toasts.success(format!("Token {} revoked", token.name));
                tokens.refetch();
            },
        );
    });
    let message = revoking.message(|token| {
        format!(
            "No more computers can enroll with {}. Computers already enrolled with it keep working.",
            token.name
        )
    });
    let active_people = Signal::derive(move || {
        people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|person| person.status == UserStatus::Active)
            .collect::<Vec<_>>()
    });
    view! {
        <Card
            title="Enrollment tokens"
            subtitle="A computer joins your company once with a token; the agent then reports with its own credential."
            flush=true
            {..}
            data-testid="enrollment-tokens-card"
        >
            <CardActions slot>
                <Button on_click=move |_| create_open.set(true) {..} data-testid="create-enrollment-token">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 5v14M5 12h14" />
                    </svg>
                    "New token"
                </Button>
            </CardActions>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=3 /></div> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Enrollment tokens"
                                        error=error
                                        on_retry=Callback::new(move |()| tokens.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            let now = browser::now();
                            let is_empty = list.is_empty();
                            view! {
                                <div class="table-scroll table-stack">
                                    <DataTable
                                        columns=&["Name", "For", "Uses", "Expires", "Status", ""]
                                        is_empty=Signal::stored(is_empty)
                                        {..}
                                        class:table-tokens=true
                                        data-testid="enrollment-tokens"
                                    >
                                        <Empty slot>"No enrollment tokens yet."</Empty>
                                        {list
                                            .into_iter()
                                            .map(|token| token_row(token, now, names, ask_revoke))
                                            .collect_view()}
                                    </DataTable>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
        <CreateTokenDialog
            open=create_open
            people=active_people
            on_created=Callback::new(move |()| tokens.refetch())
        />
        <ConfirmDialog
            open=revoking.open
            title="Revoke this token?"
            message=message
            confirm_label="Revoke token"
            busy=revoking.busy
            error=revoking.error
            on_confirm=revoke
        />
    }
}

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    Active,
    UsedUp,
    Expired,
    Revoked,
}

fn token_state(token: &EnrollmentToken, now: DateTime<Utc>) -> TokenState {
    if token.revoked_at.is_some() {
        TokenState::Revoked
    } else if token.expires_at <= now {
        TokenState::Expired
    } else if token.uses >= token.max_uses {
        TokenState::UsedUp
    } else {
        TokenState::Active
    }
}

fn token_row(
    token: EnrollmentToken,
    now: DateTime<Utc>,
    names: Memo<HashMap<UserId, String>>,
    on_revoke: Callback<EnrollmentToken>,
) -> impl IntoView {
    let state = token_state(&token, now);
    let (tone, text) = match state {
        TokenState::Active => (BadgeTone::Success, "Active"),
        TokenState::UsedUp => (BadgeTone::Neutral, "Used up"),
        TokenState::Expired => (BadgeTone::Neutral, "Expired"),
        TokenState::Revoked => (BadgeTone::Neutral, "Revoked"),
    };
    let user = token.user_id;
    let for_whom = move || match user {
        Some(id) => names.with(|names| names.get(&id).cloned().unwrap_or_else(|| "—".to_owned())),
        None => "Named at enrollment".to_owned(),
    };
    let uses = format!("{} of {}", token.uses, token.max_uses);
    let expires = format::minute(token.expires_at);
    let name = token.name.clone();
    let row_name = token.name.clone();
    let label = format!("Revoke {}", token.name);
    let revocable = state != TokenState::Revoked;
    let stored = StoredValue::new(token);
    view! {
        <tr
            data-token-name=row_name
            data-token-state=format!("{state:?}").to_lowercase()
            class:is-revoked=state != TokenState::Active
        >
            <td class="cell-title cell-wrap cell-token">{name}</td>
            <td class="cell-for" data-label="For">{for_whom}</td>
            <td class="cell-uses" data-label="Uses">{uses}</td>
            <td class="cell-expires" data-label="Expires">{expires}</td>
            <td class="cell-status">
                <Badge tone=tone>{text}</Badge>
            </td>
            <td class="cell-actions">
                <Show when=move || revocable>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_revoke.run(stored.get_value())
                        {..}
                        class:btn-ghost-danger=true
                        data-testid="token-revoke"
                        aria-label=label.clone()
                    >
                        "Revoke"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}

/// The form; then the secret and the install command, once.
#[component]
fn CreateTokenDialog(
    open: RwSignal<bool>,
    #[prop(into)] people: Signal<Vec<Person>>,
    on_created: Callback<()>,
) -> impl IntoView {
    let created = RwSignal::new(None::<EnrollmentTokenCreated>);
    Effect::new(move || {
        if open.get() {
            created.set(None);
        }
    });
    let title = Signal::derive(move || {
        if created.with(Option::is_some) {
            "Enroll a computer".to_owned()
        } else {
            "New enrollment token".to_owned()
        }
    });
    view! {
        <Dialog open=open title={title} {..} data-testid="enrollment-dialog">
            {move || match created.get() {
                None => {
                    view! {
                        <CreateTokenForm
                            people=people
                            close=Callback::new(move |()| open.set(false))
                            on_created=Callback::new(move |response| {
                                created.set(Some(response));
                                on_created.run(());
                            })
                        />
                    }
                        .into_any()
                }
                Some(response) => {
                    let origin = window().location().origin().unwrap_or_default();
                    let command = install_command(&origin, &response.secret);
                    let named = response.token.user_id.is_some();
                    view! {
                        <div class="dialog-body">
                            <div class="notice notice-warning" role="note">
                                <strong>"This is the only time the token is shown."</strong>
                                " Copy it now; if it is lost, revoke it and make a new one."
                            </div>
                            <CopyField
                                id="enrollment-secret"
                                label="Token"
                                value=response.secret.clone()
                                testid="enrollment-secret"
                            />
                            <CopyField
                                id="enrollment-command"
                                label="Install command"
                                value=command
                                testid="enrollment-command"
                                wrap=true
                            />
                            <p class="field-hint">
                                {if named {
                                    "Run it on the computer once the Pulse agent is installed. The computer is enrolled for the employee the token names."
                                } else {
                                    "Run it on the computer once the Pulse agent is installed, adding --email and the address of the employee who uses the computer."
                                }}
                            </p>
                        </div>
                        <footer class="dialog-footer">
                            <Button on_click=move |_| open.set(false) {..} data-testid="enrollment-done">
                                "Done"
                            </Button>
                        </footer>
                    }
                        .into_any()
                }
            }}
        </Dialog>
    }
}

/// The command that enrolls a computer with `secret` into the server at `origin`.
fn install_command(origin: &str, secret: &str) -> String {
    format!("pulse-agent enroll --server {origin} --token {secret}")
}

#[component]
fn CreateTokenForm(
    #[prop(into)] people: Signal<Vec<Person>>,
    close: Callback<()>,
    on_created: Callback<EnrollmentTokenCreated>,
) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let hours = RwSignal::new("72".to_owned());
    let uses = RwSignal::new("1".to_owned());
    let user_options = Signal::derive(move || {
        let mut options = vec![(
            String::new(),
            "Any employee (named when the computer enrolls)".to_owned(),
        )];
        options.extend(people.get().into_iter().map(|person| {
            (
                person.id.to_string(),
                format!("{} ({})", person.name, person.email),
            )
        }));
        options
    });
    let errors = FormErrors::new();
    let create = submission(
        errors,
        &["name", "user_id", "expires_in_hours", "max_uses"],
        move |request: CreateEnrollmentTokenRequest| async move {
            api::create_enrollment_token(session, &request).await
        },
        move |response| on_created.run(response),
    );
    let busy = create.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let name_ok = errors.check(
            "name",
            validate::name(&name.get_untracked(), MAX_TOKEN_NAME),
        );
        let hours = bounded(
            errors,
            "expires_in_hours",
            &hours.get_untracked(),
            MAX_TOKEN_HOURS,
        );
        let uses = bounded(errors, "max_uses", &uses.get_untracked(), MAX_TOKEN_USES);
        let (true, Some(expires_in_hours), Some(max_uses)) = (name_ok, hours, uses) else {
            return;
        };
        let request = CreateEnrollmentTokenRequest {
            name: name.get_untracked().trim().to_owned(),
            user_id: user.get_untracked().parse().ok(),
            expires_in_hours,
            max_uses,
        };
        create.dispatch_local(request);
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="token-name"
                    name="name"
                    label="Name"
                    hint="What it is for, e.g. “Support laptops”."
                    value=name
                    error=errors.of("name")
                    required=true
                    autofocus=true
                />
                <SelectField
                    id="token-user"
                    name="user_id"
                    label="Employee"
                    hint="Every computer enrolled with this token reports for this person."
                    value=user
                    options=user_options
                    error=errors.of("user_id")
                />
                <div class="form-row">
                    <FormField
                        id="token-hours"
                        name="expires_in_hours"
                        label="Valid for (hours)"
                        input_type="number"
                        hint="1 to 2,160 (90 days)."
                        value=hours
                        error=errors.of("expires_in_hours")
                    />
                    <FormField
                        id="token-uses"
                        name="max_uses"
                        label="Computers"
                        input_type="number"
                        hint="How many may enroll with it."
                        value=uses
                        error=errors.of("max_uses")
                    />
                </div>
            </div>
            <FormFooter close=close busy=busy>
                "Create token"
            </FormFooter>
        </form>
    }
}

/// Reads a whole number from 1 to `max` typed into `field`, or shows why it is not one.
fn bounded(errors: FormErrors, field: &'static str, text: &str, max: u32) -> Option<u32> {
    match text.trim().parse::<u32>() {
        Ok(value) if (1..=max).contains(&value) => Some(value),
        Ok(_) => {
            errors.set(field, format!("Use 1 to {}.", thousands(max)));
            None
        }
        Err(_) => {
            errors.set(field, "Enter a whole number.");
            None
        }
    }
}

/// `10000` → `10,000`.
fn thousands(value: u32) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_separators() {
        assert_eq!(thousands(1), "1");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(2_160), "2,160");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_install_command_names_server_and_token() {
        assert_eq!(
            install_command("https://pulse.example", "pet_abc"),
            "pulse-agent enroll --server https://pulse.example --token pet_abc"
        );
    }
}
