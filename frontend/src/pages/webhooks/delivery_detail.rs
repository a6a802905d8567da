//! One delivery in a dialog: its attempts, the body sent and the signature headers, and
//! Replay.

use leptos::prelude::*;
use pulse_shared::ids::WebhookDeliveryId;
use pulse_shared::webhooks::{WebhookAttempt, WebhookDelivery, WebhookDeliveryDetail};

use super::deliveries::{latency, response_code, status_badge};
use crate::api::{self, ApiError};
use crate::components::{
    Button, ButtonVariant, DataTable, Dialog, Empty, ErrorCard, Skeleton, use_toasts,
};
use crate::format;
use crate::forms::task;
use crate::session::use_session;

/// One delivery: its facts, every attempt, the body sent, and "Replay".
#[component]
pub(super) fn DeliveryDialog(
    open: RwSignal<bool>,
    delivery: RwSignal<Option<WebhookDeliveryId>>,
    on_replayed: Callback<WebhookDelivery>,
) -> impl IntoView {
    view! {
        <Dialog open=open title="Delivery details" {..} class:dialog-wide=true data-testid="delivery-detail">
            {move || {
                delivery
                    .get()
                    .map(|id| {
                        view! {
                            <DeliveryDetailView
                                id=id
                                close=Callback::new(move |()| open.set(false))
                                on_replayed=on_replayed
                            />
                        }
                    })
            }}
        </Dialog>
    }
}

#[component]
pub(super) fn DeliveryDetailView(
    id: WebhookDeliveryId,
    close: Callback<()>,
    on_replayed: Callback<WebhookDelivery>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let detail = api::Loaded::new(move || api::webhook_delivery(session, id));
    let send_again = task(move |()| async move {
        match api::replay_webhook_delivery(session, id).await {
            Ok(delivery) => {
                toasts.success("Replay queued: the event is sent again as a new delivery.");
                on_replayed.run(delivery);
                close.run(());
            }
            Err(error) => toasts.error(format!("Could not replay the delivery: {error}")),
        }
    });
    let replaying = send_again.pending();
    let replay = move |_| {
        send_again.dispatch_local(());
    };
    view! {
        <div class="dialog-body">
            <Suspense fallback=|| view! { <Skeleton lines=6 /> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => detail_body(detail).into_any(),
                        Err(error) => detail_error(error, detail).into_any(),
                    }
                })}
            </Suspense>
        </div>
        <footer class="dialog-footer">
            <Button variant=ButtonVariant::Secondary on_click=move |_| close.run(())>
                "Close"
            </Button>
            <Button loading=replaying on_click={replay} {..} data-testid="delivery-replay">
                "Replay"
            </Button>
        </footer>
    }
}

pub(super) fn detail_error(
    error: ApiError,
    detail: api::Loaded<WebhookDeliveryDetail>,
) -> impl IntoView {
    view! {
        <ErrorCard title="Delivery" error=error on_retry=Callback::new(move |()| detail.refetch()) />
    }
}

pub(super) fn detail_body(detail: WebhookDeliveryDetail) -> impl IntoView {
    let WebhookDeliveryDetail {
        delivery,
        attempts,
        payload,
    } = detail;
    let payload = serde_json::to_string_pretty(&payload).unwrap_or_default();
    let when = |moment: Option<chrono::DateTime<chrono::Utc>>| {
        moment.map_or_else(|| "—".to_owned(), format::timestamp)
    };
    let no_attempts = attempts.is_empty();
    view! {
        <dl class="facts" data-testid="delivery-facts">
            <div class="fact">
                <dt>"Event"</dt>
                <dd>
                    <code class="action">{delivery.event_type.clone()}</code>
                </dd>
            </div>
            <div class="fact">
                <dt>"Event id"</dt>
                <dd class="mono fact-detail">{delivery.event_id.to_string()}</dd>
            </div>
            <div class="fact">
                <dt>"Status"</dt>
                <dd>{status_badge(delivery.status)}</dd>
            </div>
            <div class="fact">
                <dt>"Created"</dt>
                <dd>{format::timestamp(delivery.created_at)}</dd>
            </div>
            {match (delivery.delivered_at, delivery.next_attempt_at) {
                (Some(at), _) => {
                    view! {
                        <div class="fact">
                            <dt>"Delivered"</dt>
                            <dd>{format::timestamp(at)}</dd>
                        </div>
                    }
                        .into_any()
                }
                (None, Some(at)) => {
                    view! {
                        <div class="fact">
                            <dt>"Next attempt"</dt>
                            <dd>{when(Some(at))}</dd>
                        </div>
                    }
                        .into_any()
                }
                (None, None) => ().into_any(),
            }}
            {delivery
                .last_error
                .clone()
                .map(|error| {
                    view! {
                        <div class="fact fact-wide">
                            <dt>"Last error"</dt>
                            <dd class="fact-detail">{error}</dd>
                        </div>
                    }
                })}
        </dl>
        <section class="detail-section">
            <h3 class="detail-title">{format!("Attempts ({})", attempts.len())}</h3>
            <div class="table-scroll table-boxed table-stack">
                <DataTable
                    columns=&["#", "Time", "Response", "Latency", "Error"]
                    is_empty=Signal::stored(no_attempts)
                    {..}
                    class:table-attempts=true
                    data-testid="delivery-attempts"
                >
                    <Empty slot>"Not attempted yet."</Empty>
                    {attempts.into_iter().map(attempt_row).collect_view()}
                </DataTable>
            </div>
        </section>
        <section class="detail-section">
            <h3 class="detail-title">"Payload"</h3>
            // It scrolls: focusable, so that the keyboard can scroll it too.
            <pre
                class="code-block"
                tabindex="0"
                aria-label="Payload"
                data-testid="delivery-payload"
            >
                {payload}
            </pre>
        </section>
    }
}

pub(super) fn attempt_row(attempt: WebhookAttempt) -> impl IntoView {
    let no_error = attempt.error.is_none();
    view! {
        <tr data-attempt=attempt.number>
            <td class="mono cell-number">{attempt.number}</td>
            <td class="cell-time">{format::timestamp(attempt.attempted_at)}</td>
            <td class="mono cell-response" data-label="Response">{response_code(attempt.status_code)}</td>
            <td class="cell-latency" data-label="Latency">{latency(Some(attempt.latency_ms))}</td>
            <td class="cell-details" class:cell-none=no_error>
                {attempt.error.unwrap_or_else(|| "—".to_owned())}
            </td>
        </tr>
    }
}
