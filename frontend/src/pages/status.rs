//! System status (`/status`): the health of each part of the service and the applied migrations.

use leptos::prelude::*;
use pulse_shared::system::{ComponentStatus, Health, MigrationInfo, SystemStatusResponse};

use super::heading::{self, PageHeading};
use crate::api;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, ErrorCard,
    FormField, Skeleton, use_toasts,
};
use crate::format;
use crate::forms::task;
use crate::reactive::memo;
use crate::session::use_session;

/// The status page. "Refresh" refetches in place (the page stays, the button spins) and
/// reports the outcome in a toast.
#[component]
pub fn Status() -> impl IntoView {
    let toasts = use_toasts();
    let session = use_session();
    let status = api::Loaded::new(move || api::system_status(session));
    // Set by the Transition while the resource (re)loads, e.g. after "Retry".
    let pending = RwSignal::new(false);
    // Lives here, not in the table card, so a refresh keeps what was typed.
    let filter = RwSignal::new(String::new());

    let fetch_again = task(move |()| async move {
        let result = api::system_status(session).await;
        match &result {
            Ok(_) => toasts.success("Status refreshed"),
            Err(error) => toasts.error(format!("Could not refresh: {error}")),
        }
        // Keep showing the last good answer when a refresh fails; the toast says why.
        if result.is_ok() || !status.answered_untracked() {
            status.set(result);
        }
    });
    let refreshing = fetch_again.pending();
    let refresh = move |_| {
        fetch_again.dispatch_local(());
    };

    view! {
        <div class="page" data-page="status">
            <header class="page-header">
                <PageHeading heading=heading::STATUS />
                <Button variant=ButtonVariant::Secondary loading=Signal::derive(move || refreshing.get() || pending.get())
                    on_click=refresh>
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7" />
                    </svg>
                    "Refresh"
                </Button>
            </header>
            <Transition fallback=loading_view set_pending=pending>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => status_view(status, filter).into_any(),
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="System status"
                                    error=error
                                    on_retry=Callback::new(move |()| status.refetch())
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// Placeholders with the shape of the loaded page.
fn loading_view() -> impl IntoView {
    view! {
        <div class="stack">
            <div class="grid grid-3">
                <Card title="Components">
                    <Skeleton block=true />
                </Card>
            </div>
            <Card title="Migrations">
                <Skeleton lines=5 />
            </Card>
        </div>
    }
}

fn status_view(status: SystemStatusResponse, filter: RwSignal<String>) -> impl IntoView {
    let SystemStatusResponse {
        version,
        started_at,
        server_time,
        components,
        migrations,
        detailed,
    } = status;
    let checked = format::timestamp(server_time);
    let uptime = format::duration(server_time - started_at);
    view! {
        <div class="stack">
            <div class="status-summary">
                {summary(&components)}
                <p class="meta-line">
                    "Version " <strong>{version}</strong> " · up " {uptime} " · checked "
                    <time datetime=server_time.to_rfc3339()>{checked}</time>
                </p>
            </div>
            <div class="grid grid-3">
                {components.into_iter().map(component_card).collect_view()}
            </div>
            {if detailed {
                view! { <MigrationsCard migrations=migrations filter=filter /> }.into_any()
            } else {
                view! {
                    <p class="meta-line" data-testid="status-details-hidden">
                        "Latencies, errors and the database migrations are shown to owners and admins."
                    </p>
                }
                    .into_any()
            }}
        </div>
    }
}

/// One banner for the whole service: all up, some down, or all down.
fn summary(components: &[ComponentStatus]) -> impl IntoView + use<> {
    let down = components
        .iter()
        .filter(|component| component.health == Health::Down)
        .count();
    let (tone, text) = match down {
        0 => (BadgeTone::Success, "All systems operational"),
        n if n < components.len() => (BadgeTone::Warning, "Partial outage"),
        _ => (BadgeTone::Danger, "Major outage"),
    };
    view! {
        <Badge tone={tone} {..} data-testid="status-summary">
            {text}
        </Badge>
    }
}

fn component_card(component: ComponentStatus) -> impl IntoView {
    let ComponentStatus {
        name,
        health,
        latency_ms,
        detail,
    } = component;
    let title = capitalize(&name);
    // The public answer has neither (only owners and admins see them): no empty row.
    let detailed = latency_ms.is_some() || detail.is_some();
    let latency = latency_ms.map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"));
    view! {
        <Card title={title} {..} data-component=name>
            <CardActions slot>{health_badge(health)}</CardActions>
            <dl class="facts facts-compact">
                {detailed
                    .then(|| {
                        view! {
                            <div class="fact">
                                <dt>"Latency"</dt>
                                <dd class="fact-value">{latency}</dd>
                            </div>
                        }
                    })}
                {detail
                    .map(|detail| {
                        view! {
                            <div class="fact fact-wide">
                                <dt>"Detail"</dt>
                                <dd class="fact-detail">{detail}</dd>
                            </div>
                        }
                    })}
            </dl>
        </Card>
    }
}

/// "Up" in green or "Down" in red; the browser tests read this text.
fn health_badge(health: Health) -> impl IntoView {
    match health {
        Health::Up => view! { <Badge tone=BadgeTone::Success>"Up"</Badge> },
        Health::Down => view! { <Badge tone=BadgeTone::Danger>"Down"</Badge> },
    }
}

/// The migrations table with its client-side filter.
#[component]
fn MigrationsCard(
    migrations: Vec<MigrationInfo>,
    /// The filter text, owned by the page.
    filter: RwSignal<String>,
) -> impl IntoView {
    let total = migrations.len();
    let migrations = StoredValue::new(migrations);
    let error = Signal::derive(move || filter_error(&filter.read()));
    let rows = memo(move || {
        let needle = filter.read();
        migrations.with_value(|all| {
            all.iter()
                .filter(|migration| migration.version.contains(needle.trim()))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <Card title="Migrations" subtitle="Database schema changes, newest first" flush=true>
            <CardActions slot>
                <Badge tone=BadgeTone::Info>{format!("{total} applied")}</Badge>
            </CardActions>
            <div class="card-toolbar">
                <FormField
                    id="migration-filter"
                    label="Filter migrations"
                    value=filter
                    error=error
                    placeholder="e.g. 2026-11"
                    hint="Matches part of the version."
                    input_type="search"
                />
            </div>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Migrations">
                <DataTable
                    columns=&["Version", "Applied at"]
                    is_empty=Signal::derive(move || rows.with(Vec::is_empty))
                    {..}
                    data-testid="migrations"
                >
                    <Empty slot>
                        {move || {
                            let needle = filter.read();
                            if total == 0 {
                                "No migrations applied".to_owned()
                            } else {
                                format!("No migration matches “{}”", needle.trim())
                            }
                        }}
                    </Empty>
                    <For each=move || rows.get() key=|migration| migration.version.clone() let:migration>
                        <tr>
                            <td class="mono">{migration.version}</td>
                            <td>
                                <time datetime=migration.run_on.to_rfc3339()>
                                    {format::timestamp(migration.run_on)}
                                </time>
                            </td>
                        </tr>
                    </For>
                </DataTable>
            </div>
        </Card>
    }
}

/// Versions are digits and dashes, so anything else cannot match: say so.
fn filter_error(filter: &str) -> Option<String> {
    filter
        .trim()
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == '-'))
        .then(|| "Use digits and dashes only".to_owned())
}

/// `database` → `Database`, for card titles.
fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_accepts_digits_and_dashes_only() {
        assert_eq!(filter_error(""), None);
        assert_eq!(filter_error(" 2026-11 "), None);
        assert_eq!(
            filter_error("2026a").as_deref(),
            Some("Use digits and dashes only")
        );
        assert_eq!(
            filter_error("2026 11").as_deref(),
            Some("Use digits and dashes only")
        );
    }

    #[test]
    fn capitalizes_component_names() {
        assert_eq!(capitalize("database"), "Database");
        assert_eq!(capitalize(""), "");
    }
}
