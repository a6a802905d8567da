//! The delivery log of the chosen endpoint, newest first, paged with the API's cursors;
//! pending deliveries refreshed until they end.

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::PageQuery;
use pulse_shared::ids::{WebhookDeliveryId, WebhookEndpointId};
use pulse_shared::webhooks::{DeliveryStatus, WebhookDelivery, WebhookEndpoint};

use super::delivery_detail::DeliveryDialog;
use super::{PAGE_SIZE, PENDING_POLL};
use crate::api;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, SelectField,
};
use crate::cursor_list::{CursorList, CursorListBody, CursorQuery, LoadMore};
use crate::format;
use crate::session::{Session, use_session};

/// One page of one endpoint's deliveries.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DeliveryQuery {
    pub(super) endpoint: WebhookEndpointId,
    pub(super) page: PageQuery,
}

impl DeliveryQuery {
    pub(super) fn first(endpoint: WebhookEndpointId) -> Self {
        Self {
            endpoint,
            page: PageQuery {
                cursor: None,
                limit: Some(PAGE_SIZE),
            },
        }
    }
}

impl CursorQuery for DeliveryQuery {
    fn at(&self, cursor: Option<String>) -> Self {
        Self {
            endpoint: self.endpoint,
            page: self.page.at(cursor),
        }
    }
}

/// The loaded deliveries of the chosen endpoint and how to get more.
pub(super) type DeliveryList = CursorList<WebhookDelivery, DeliveryQuery>;

/// Puts `delivery` in place of its old row, or among the rows by time (newest first).
pub(super) fn upsert(rows: &mut Vec<WebhookDelivery>, delivery: WebhookDelivery) {
    if let Some(row) = rows.iter_mut().find(|row| row.id == delivery.id) {
        *row = delivery;
    } else {
        let at = rows
            .iter()
            .position(|row| row.created_at < delivery.created_at)
            .unwrap_or(rows.len());
        rows.insert(at, delivery);
    }
}

/// Fetches the newest deliveries of `endpoint` and merges them into the log without
/// reloading it, so that pending ones show how they ended.
pub(super) fn refresh_newest(
    session: Session,
    list: DeliveryList,
    selected: RwSignal<String>,
    endpoint: WebhookEndpointId,
) {
    spawn_local(async move {
        let Ok(page) =
            api::webhook_deliveries(session, endpoint, &DeliveryQuery::first(endpoint).page).await
        else {
            return;
        };
        // Another endpoint may be shown by now, or its first page still loading.
        let shown = selected.try_get_untracked() == Some(endpoint.to_string());
        if shown && list.loading.try_get_untracked() == Some(false) {
            list.rows.update(|rows| {
                for delivery in page.items {
                    upsert(rows, delivery);
                }
            });
        }
    });
}

/// The chosen endpoint's deliveries, newest first; a row opens its details.
#[component]
pub(super) fn DeliveryLog(
    #[prop(into)] endpoints: Signal<Vec<WebhookEndpoint>>,
    selected: RwSignal<String>,
    list: DeliveryList,
    on_replayed: Callback<WebhookDelivery>,
) -> impl IntoView {
    let session = use_session();
    let options = Signal::derive(move || {
        endpoints
            .get()
            .into_iter()
            .map(|endpoint| (endpoint.id.to_string(), endpoint.url))
            .collect::<Vec<_>>()
    });
    let has_endpoints = move || !endpoints.with(Vec::is_empty);
    let viewing = RwSignal::new(None::<WebhookDeliveryId>);
    let detail_open = RwSignal::new(false);
    let open_detail = Callback::new(move |id: WebhookDeliveryId| {
        viewing.set(Some(id));
        detail_open.set(true);
    });
    // While a shown delivery is pending, look again every few seconds.
    let poll = set_interval_with_handle(
        move || {
            let pending = list
                .rows
                .try_with_untracked(|rows| {
                    rows.iter().any(|row| row.status == DeliveryStatus::Pending)
                })
                .unwrap_or(false);
            let endpoint = selected.try_get_untracked().and_then(|id| id.parse().ok());
            if let (true, Some(endpoint)) = (pending, endpoint) {
                refresh_newest(session, list, selected, endpoint);
            }
        },
        PENDING_POLL,
    );
    on_cleanup(move || {
        if let Ok(poll) = poll {
            poll.clear();
        }
    });
    let refresh = move |_| {
        if let Ok(endpoint) = selected.get_untracked().parse() {
            refresh_newest(session, list, selected, endpoint);
        }
    };
    view! {
        <Card
            title="Delivery log"
            subtitle="What was sent to an endpoint, newest first. Failed attempts are retried for up to a day."
            flush={true}
            {..}
            data-testid="webhook-delivery-log"
        >
            <CardActions slot>
                <Show when=has_endpoints>
                    <Button variant=ButtonVariant::Ghost on_click={refresh} {..} data-testid="deliveries-refresh">
                        "Refresh"
                    </Button>
                </Show>
            </CardActions>
            <Show
                when=has_endpoints
                fallback=|| {
                    view! {
                        <div class="card-inset">
                            <p class="muted">"Deliveries show up here once an endpoint is added."</p>
                        </div>
                    }
                }
            >
                <div class="card-toolbar">
                    <SelectField id="delivery-endpoint" name="endpoint" label="Endpoint" value=selected options=options />
                </div>
                <CursorListBody list=list title="Deliveries" lines=4>
                    <div class="table-scroll table-stack table-stack-wide" class:is-refreshing=move || list.loading.get()>
                        <DataTable
                            columns=&["Event", "Status", "Attempts", "Response", "Latency", "Sent", ""]
                            is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                            {..}
                            class:table-compact=true
                            class:table-deliveries=true
                            data-testid="webhook-deliveries"
                        >
                            <Empty slot>"Nothing sent to this endpoint yet. “Send test” sends a test event."</Empty>
                            <For
                                each=move || list.rows.get()
                                key=|delivery| (delivery.id, delivery.status, delivery.attempts)
                                let:delivery
                            >
                                {delivery_row(delivery, open_detail)}
                            </For>
                        </DataTable>
                    </div>
                </CursorListBody>
                <LoadMore list=list />
            </Show>
        </Card>
        <DeliveryDialog open=detail_open delivery=viewing on_replayed=on_replayed />
    }
}

pub(super) fn status_badge(status: DeliveryStatus) -> impl IntoView {
    let (tone, text) = match status {
        DeliveryStatus::Pending => (BadgeTone::Warning, "Pending"),
        DeliveryStatus::Succeeded => (BadgeTone::Success, "Delivered"),
        DeliveryStatus::Failed => (BadgeTone::Danger, "Failed"),
    };
    view! { <Badge tone=tone>{text}</Badge> }
}

/// `123 ms`, or a dash when nothing was measured.
pub(super) fn latency(millis: Option<i32>) -> String {
    millis.map_or_else(|| "—".to_owned(), |millis| format!("{millis} ms"))
}

/// The HTTP status of an answer, or a dash when there was none.
pub(super) fn response_code(code: Option<i32>) -> String {
    code.map_or_else(|| "—".to_owned(), |code| code.to_string())
}

pub(super) fn delivery_row(
    delivery: WebhookDelivery,
    on_open: Callback<WebhookDeliveryId>,
) -> impl IntoView {
    let id = delivery.id;
    let day = format::date(delivery.created_at);
    let time = format!("{} UTC", format::clock(delivery.created_at, true));
    let exact = format::timestamp(delivery.created_at);
    let iso = delivery.created_at.to_rfc3339();
    let error = delivery.last_error.clone().unwrap_or_default();
    view! {
        <tr
            class="is-clickable"
            data-delivery-id=id.to_string()
            data-delivery-status=delivery.status.as_str()
            on:click=move |_| on_open.run(id)
        >
            <td class="cell-event">
                <code class="action">{delivery.event_type.clone()}</code>
                {delivery.replay_of.map(|_| view! { <span class="cell-sub">" replay"</span> })}
            </td>
            <td class="cell-status">{status_badge(delivery.status)}</td>
            <td class="cell-attempts" data-label="Attempts">{delivery.attempts}</td>
            <td class="mono cell-response" data-label="Response" title=error>
                {response_code(delivery.last_status_code)}
            </td>
            <td class="cell-latency" data-label="Latency">{latency(delivery.last_latency_ms)}</td>
            <td class="cell-sent">
                <time class="stacked" datetime=iso title=exact>
                    <span>{day}</span>
                    <span class="cell-sub">{time}</span>
                </time>
            </td>
            <td class="cell-actions">
                // The row opens the details; the button makes that reachable by keyboard.
                // A stacked row shows only the chevron (its label stays for screen readers).
                <Button variant={ButtonVariant::Ghost} {..} data-testid="delivery-details">
                    <span class="details-label">"Details"</span>
                    <svg class="icon details-chevron" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M9 6l6 6-6 6" />
                    </svg>
                </Button>
            </td>
        </tr>
    }
}
