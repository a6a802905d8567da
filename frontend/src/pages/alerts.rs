//! Alerts (`/alerts`): the signed-in person's alerts, newest first and live, with
//! filters, "Load more", marking read or unread; and how each kind of alert reaches them
//! (in the app, by email), with a test alert to check.

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::alerts::{
    Alert, AlertKind, AlertPreference, AlertPreferences, AlertQuery, Severity,
};

use super::heading::{self, PageHeading};
use crate::api;
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, ErrorCard,
    SelectField, Skeleton, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::format;
use crate::forms::{Work, task};
use crate::live_alerts::use_live_alerts;
use crate::reactive::effect;
use crate::session::use_session;

/// How many alerts one "Load more" brings.
const PAGE_SIZE: u32 = 25;

/// The page: the alerts card and the preferences card.
#[component]
pub fn Alerts() -> impl IntoView {
    let session = use_session();
    let live = use_live_alerts();
    let toasts = use_toasts();
    let filters = Filters::new();
    let list: AlertList = CursorList::new(session, "alerts", |session, query| {
        Box::pin(async move { api::alerts(session, &query).await })
    });
    effect(move |_| list.load(filters.query()));

    // Live: apply what happened since the last look, or load again when that is unknown.
    let seen = StoredValue::new(live.changed_untracked());
    effect(move |_| {
        let latest = live.changed();
        let changes = live.changes_since(seen.get_value());
        seen.set_value(latest);
        match changes {
            Some(changes) if changes.is_empty() => {}
            Some(changes) => {
                let filter = untrack(|| filters.query());
                let applied = list
                    .rows
                    .try_update(|rows| changes.iter().all(|change| change.apply(rows, &filter)));
                if applied == Some(false) {
                    list.reload();
                }
            }
            None => list.reload(),
        }
    });
    let mark_all_read = task(move |()| async move {
        match live.mark_all_read().await {
            Ok(0) => toasts.info("Every alert was already read."),
            Ok(1) => toasts.success("1 alert marked read"),
            Ok(marked) => toasts.success(format!("{marked} alerts marked read")),
            Err(error) => toasts.error(format!("Could not mark the alerts read: {error}")),
        }
    });
    let marking_all = mark_all_read.pending();
    let mark_all = move |_| {
        mark_all_read.dispatch_local(());
    };

    view! {
        <div class="page" data-page="alerts">
            <header class="page-header">
                <PageHeading heading=heading::ALERTS />
                <Button
                    variant=ButtonVariant::Secondary
                    loading=marking_all
                    disabled=Signal::derive(move || live.unread() == 0)
                    on_click={mark_all}
                    {..}
                    data-testid="alerts-mark-all-read"
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M3 12.5l4 4 8-9M13 16.5l1 1 8-9" />
                    </svg>
                    "Mark all read"
                </Button>
            </header>
            <Card title="Your alerts" flush=true>
                <CardActions slot>
                    {move || {
                        let unread = live.unread();
                        view! {
                            <Badge tone={if unread > 0 { BadgeTone::Info } else { BadgeTone::Neutral }}>
                                {format!("{unread} unread")}
                            </Badge>
                        }
                    }}
                </CardActions>
                <FilterBar filters=filters />
                <AlertsTable list=list filtered=Signal::derive(move || filters.any()) />
            </Card>
            <PreferencesCard />
        </div>
    }
}

/// The loaded alerts and how to get more.
type AlertList = CursorList<Alert, AlertQuery>;

/// The filter controls' values (strings, as the controls hold them).
#[derive(Debug, Clone, Copy)]
struct Filters {
    kind: RwSignal<String>,
    severity: RwSignal<String>,
    read: RwSignal<String>,
}

impl Filters {
    fn new() -> Self {
        Self {
            kind: RwSignal::new(String::new()),
            severity: RwSignal::new(String::new()),
            read: RwSignal::new(String::new()),
        }
    }

    /// The query of the first page, tracked.
    fn query(self) -> AlertQuery {
        AlertQuery {
            kind: self.kind.get().parse().ok(),
            severity: self.severity.get().parse().ok(),
            read: self.read.get().parse().ok(),
            cursor: None,
            limit: Some(PAGE_SIZE),
        }
    }

    fn any(self) -> bool {
        !(self.kind.read().is_empty()
            && self.severity.read().is_empty()
            && self.read.read().is_empty())
    }

    fn clear(self) {
        self.kind.set(String::new());
        self.severity.set(String::new());
        self.read.set(String::new());
    }
}

/// Kind, severity and read-state filters; the list follows each change.
#[component]
fn FilterBar(filters: Filters) -> impl IntoView {
    let kind_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any kind".to_owned())];
        options.extend(
            AlertKind::ALL
                .into_iter()
                .map(|kind| (kind.as_str().to_owned(), kind.label().to_owned())),
        );
        options
    });
    let severity_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any severity".to_owned())];
        options.extend(
            Severity::ALL
                .into_iter()
                .map(|severity| (severity.as_str().to_owned(), severity.label().to_owned())),
        );
        options
    });
    let read_options = Signal::derive(|| {
        vec![
            (String::new(), "Any state".to_owned()),
            ("false".to_owned(), "Unread".to_owned()),
            ("true".to_owned(), "Read".to_owned()),
        ]
    });
    view! {
        <form
            class="filter-bar filter-bar-alerts"
            data-testid="alert-filters"
            on:submit=|event| event.prevent_default()
        >
            <SelectField id="alerts-kind" name="kind" label="Kind" value=filters.kind options=kind_options />
            <SelectField
                id="alerts-severity"
                name="severity"
                label="Severity"
                value=filters.severity
                options=severity_options
            />
            <SelectField id="alerts-read" name="read" label="State" value=filters.read options=read_options />
            <Show when=move || filters.any()>
                <Button variant=ButtonVariant::Ghost on_click=move |_| filters.clear() {..} class:filter-clear=true>
                    "Clear filters"
                </Button>
            </Show>
        </form>
    }
}

/// The alerts table with its loading, error and empty states and "Load more".
#[component]
fn AlertsTable(list: AlertList, #[prop(into)] filtered: Signal<bool>) -> impl IntoView {
    view! {
        <CursorListBody list=list title="Alerts" lines=5>
            // On a narrow card each alert becomes a block: title and text beside the
            // read toggle, then severity, kind and time (see `.table-stack` in main.css).
            <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                <DataTable
                    columns=&["Severity", "Alert", "Kind", "Received", ""]
                    is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                    {..}
                    class:table-alerts=true
                    data-testid="alerts"
                >
                    <Empty slot>
                        {move || {
                            if filtered.get() {
                                "No alerts match these filters."
                            } else {
                                "No alerts yet. When something needs your attention, it shows up here and under the bell."
                            }
                        }}
                    </Empty>
                    <For
                        each=move || list.rows.get()
                        key=|alert| (alert.id, alert.read_at.is_some())
                        let:alert
                    >
                        {alert_row(alert)}
                    </For>
                </DataTable>
            </div>
        </CursorListBody>
        <LoadMore list=list />
    }
}

fn alert_row(alert: Alert) -> impl IntoView {
    let live = use_live_alerts();
    let toasts = use_toasts();
    let unread = alert.read_at.is_none();
    let received = format::ago(alert.created_at, browser::now());
    let exact = format::timestamp(alert.created_at);
    let iso = alert.created_at.to_rfc3339();
    let severity = alert.severity;
    let kind = alert.kind;
    let title = alert.title.clone();
    let body = alert.body.clone();
    let id = alert.id.to_string();
    // A fleet alert stands for many computers: the Agents page lists which.
    let computers = alert.agent_count.map(|count| {
        view! {
            <A href=format!("/agents?alert={}", alert.id) {..} class="alert-computers" data-testid="alert-computers">
                {crate::alert_bell::computers_link(count)}
            </A>
        }
    });
    let action_label = format!(
        "Mark “{}” {}",
        alert.title,
        if unread { "read" } else { "unread" }
    );
    let alert = StoredValue::new(alert);
    let mark = Work::new(move |()| {
        let alert = alert.get_value();
        async move {
            if let Err(error) = live.set_read(&alert, unread).await {
                toasts.error(format!("Could not change the alert: {error}"));
            }
        }
    });
    let busy = mark.pending();
    let toggle = move |_| {
        mark.dispatch_local(());
    };
    view! {
        <tr
            class:is-unread=unread
            data-alert-id=id
            data-alert-kind=kind.as_str()
            data-unread=unread.to_string()
        >
            <td class="cell-severity">
                <Badge tone=BadgeTone::from(severity)>{severity.label()}</Badge>
            </td>
            <td class="cell-wrap cell-alert">
                <span class="alert-text">
                    <span class="cell-title">
                        {unread.then(|| view! { <span class="unread-dot" title="Unread"></span> })}
                        {unread.then(|| view! { <span class="visually-hidden">"Unread: "</span> })}
                        {title}
                    </span>
                    {(!body.is_empty()).then(|| view! { <span class="cell-sub">{body}</span> })}
                    {computers}
                </span>
            </td>
            <td class="cell-kind">{kind.label()}</td>
            <td class="cell-received">
                <time datetime=iso title=exact>{received}</time>
            </td>
            <td class="cell-actions">
                <Button
                    variant=ButtonVariant::Ghost
                    loading=busy
                    on_click={toggle}
                    {..}
                    aria-label=action_label
                    data-testid="alert-toggle-read"
                >
                    {if unread { "Mark read" } else { "Mark unread" }}
                </Button>
            </td>
        </tr>
    }
}

/// A row per kind of alert with "In app" and "Email" checkboxes, Save, and a test alert.
#[component]
fn PreferencesCard() -> impl IntoView {
    let session = use_session();
    let saved = api::Loaded::new(move || api::alert_preferences(session));
    view! {
        <Card
            title="Notification preferences"
            subtitle="How each kind of alert reaches you. Email goes to the address of your account."
            flush={true}
            {..}
            data-testid="alert-preferences"
        >
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=6 /></div> }>
                {move || Suspend::new(async move {
                    match saved.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Preferences"
                                        error=error
                                        on_retry=Callback::new(move |()| saved.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(preferences) => view! { <PreferencesForm saved=preferences /> }.into_any(),
                    }
                })}
            </Transition>
        </Card>
    }
}

/// Every kind in [`AlertKind::ALL`] order; a kind the server did not list gets its
/// default.
fn complete(preferences: &AlertPreferences) -> Vec<AlertPreference> {
    AlertKind::ALL
        .into_iter()
        .map(|kind| {
            preferences
                .items
                .iter()
                .find(|preference| preference.kind == kind)
                .copied()
                .unwrap_or_else(|| AlertPreference::default_for(kind))
        })
        .collect()
}

/// Which of a preference's two channels a checkbox controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    InApp,
    Email,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Self::InApp => "in_app",
            Self::Email => "email",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::InApp => "in app",
            Self::Email => "by email",
        }
    }

    fn get(self, preference: &AlertPreference) -> bool {
        match self {
            Self::InApp => preference.in_app,
            Self::Email => preference.email,
        }
    }

    fn set(self, preference: &mut AlertPreference, on: bool) {
        match self {
            Self::InApp => preference.in_app = on,
            Self::Email => preference.email = on,
        }
    }
}

#[component]
fn PreferencesForm(saved: AlertPreferences) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let draft = RwSignal::new(complete(&saved));
    let store = task(move |request: AlertPreferences| async move {
        match api::save_alert_preferences(session, &request).await {
            Ok(stored) => {
                draft.set(complete(&stored));
                toasts.success("Notification preferences saved");
            }
            Err(error) => toasts.error(format!("Could not save the preferences: {error}")),
        }
    });
    let saving = store.pending();
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        store.dispatch_local(AlertPreferences {
            items: draft.get_untracked(),
        });
    };
    let send_test_alert = task(move |()| async move {
        match api::send_test_alert(session).await {
            Ok(()) => toasts.success("Test alert sent: it shows up under the bell in a moment."),
            Err(error) => toasts.error(format!("Could not send a test alert: {error}")),
        }
    });
    let testing = send_test_alert.pending();
    let send_test = move |_| {
        send_test_alert.dispatch_local(());
    };
    let checkbox = move |kind: AlertKind, channel: Channel| {
        let checked = move || {
            draft.with(|items| {
                items
                    .iter()
                    .find(|preference| preference.kind == kind)
                    .is_some_and(|preference| channel.get(preference))
            })
        };
        view! {
            <td class="cell-check">
                <input
                    type="checkbox"
                    class="checkbox"
                    name=channel.name()
                    value=kind.as_str()
                    aria-label=format!("{} {}", kind.label(), channel.label())
                    prop:checked=checked
                    on:change=move |event| {
                        let on = event_target_checked(&event);
                        draft.update(|items| {
                            for preference in items.iter_mut().filter(|preference| preference.kind == kind) {
                                channel.set(preference, on);
                            }
                        });
                    }
                />
            </td>
        }
    };
    view! {
        <form class="preferences" on:submit=save novalidate=true data-testid="alert-preferences-form">
            <div class="table-scroll">
                <table class="table table-preferences">
                    <thead>
                        <tr>
                            <th scope="col">"Alert"</th>
                            <th scope="col" class="cell-check">"In app"</th>
                            <th scope="col" class="cell-check">"Email"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {AlertKind::ALL
                            .into_iter()
                            .map(|kind| {
                                let severity = kind.severity();
                                view! {
                                    <tr data-alert-kind=kind.as_str()>
                                        <th scope="row" class="cell-title">
                                            <span class="preference-kind">
                                                {kind.label()}
                                                <Badge tone=BadgeTone::from(severity)>{severity.label()}</Badge>
                                            </span>
                                        </th>
                                        {checkbox(kind, Channel::InApp)}
                                        {checkbox(kind, Channel::Email)}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="card-bar">
                <Button
                    variant=ButtonVariant::Secondary
                    loading=testing
                    on_click={send_test}
                    {..}
                    data-testid="send-test-alert"
                >
                    "Send a test alert"
                </Button>
                <Button submit=true loading={saving} {..} data-testid="alert-preferences-save">
                    "Save preferences"
                </Button>
            </div>
        </form>
    }
}
