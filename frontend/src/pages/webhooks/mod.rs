//! Webhooks (`/webhooks`): HTTPS endpoints that receive the company's alerts, signed.
//! Adding one (its signing secret is shown once), editing, enabling and disabling,
//! deleting, sending a test event; and each endpoint's delivery log, where a delivery
//! shows every attempt and the body sent, and can be sent again.

mod deliveries;
mod delivery_detail;
mod endpoint_form;
mod endpoints;

use leptos::prelude::*;
use pulse_shared::webhooks::{SIGNATURE_HEADER, WebhookDelivery, WebhookEndpoint};

use super::heading::{self, PageHeading};
use crate::api;
use crate::billing_watch::{PlanLock, use_billing_watch};
use crate::components::{
    Button, Card, ConfirmDialog, Confirmation, ErrorCard, Skeleton, use_toasts,
};
use crate::cursor_list::CursorList;
use crate::reactive::effect;
use crate::session::use_session;
use deliveries::{DeliveryList, DeliveryLog, DeliveryQuery, upsert};
use endpoint_form::{CreateEndpointDialog, EditEndpointDialog};
use endpoints::{EndpointsTable, RowActions};

/// The longest description (the server's limit).
const MAX_DESCRIPTION: usize = 200;

/// How many deliveries one "Load more" brings.
const PAGE_SIZE: u32 = 25;

/// How often the log looks again while a delivery it shows is pending.
const PENDING_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// The page: endpoints, the delivery log, how to verify signatures, and the dialogs.
#[component]
pub fn Webhooks() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let endpoints = api::Loaded::new(move || api::webhooks(session));
    let endpoint_list =
        Signal::derive(move || endpoints.get().and_then(Result::ok).unwrap_or_default());

    // The endpoint whose log is shown (its id, as the select holds it): the first one
    // until someone chooses, and again when the chosen one is deleted.
    let selected = RwSignal::new(String::new());
    effect(move |_| {
        // Only a loaded list decides (not one being loaded again).
        let Some(Ok(list)) = endpoints.get() else {
            return;
        };
        let current = selected.get_untracked();
        if !list
            .iter()
            .any(|endpoint| endpoint.id.to_string() == current)
        {
            selected.set(
                list.first()
                    .map(|endpoint| endpoint.id.to_string())
                    .unwrap_or_default(),
            );
        }
    });
    let deliveries: DeliveryList = CursorList::new(session, "deliveries", |session, query| {
        Box::pin(async move { api::webhook_deliveries(session, query.endpoint, &query.page).await })
    });
    effect(move |_| {
        if let Ok(endpoint) = selected.get().parse() {
            deliveries.load(DeliveryQuery::first(endpoint));
        } else {
            deliveries.begin();
            deliveries.rows.set(Vec::new());
            deliveries.next_cursor.set(None);
            deliveries.loading.set(false);
        }
    });
    // A delivery just queued (a test, a replay): on top of the log when it is shown.
    let show_delivery = Callback::new(move |delivery: WebhookDelivery| {
        let endpoint = delivery.endpoint_id.to_string();
        if selected.get_untracked() == endpoint {
            deliveries.rows.update(|rows| upsert(rows, delivery));
        } else {
            selected.set(endpoint);
        }
    });

    let create_open = RwSignal::new(false);
    let editing = RwSignal::new(None::<WebhookEndpoint>);
    let edit_open = RwSignal::new(false);
    let deleting = Confirmation::<WebhookEndpoint>::new();
    let actions = RowActions {
        edit: Callback::new(move |endpoint| {
            editing.set(Some(endpoint));
            edit_open.set(true);
        }),
        delete: Callback::new(move |endpoint| deleting.ask(endpoint)),
        changed: Callback::new(move |()| endpoints.refetch()),
        tested: show_delivery,
    };
    let delete = Callback::new(move |()| {
        deleting.confirm(
            move |endpoint: WebhookEndpoint| api::delete_webhook(session, endpoint.id),
            move |endpoint| {
                toasts.success(format!("Endpoint {} deleted", endpoint.url));
                endpoints.refetch();
            },
        );
    });
    let delete_message = deleting.message(|endpoint| {
        format!(
            "Pulse stops sending alerts to {} at once. This cannot be undone.",
            endpoint.url
        )
    });

    let billing = use_billing_watch();
    let locked = move || billing.lacking(|features| features.webhooks);

    view! {
        <div class="page" data-page="webhooks">
            <header class="page-header">
                <PageHeading heading=heading::WEBHOOKS />
                <Show when=move || locked().is_none()>
                    <Button on_click=move |_| create_open.set(true) {..} data-testid="add-webhook">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 5v14M5 12h14" />
                        </svg>
                        "Add endpoint"
                    </Button>
                </Show>
            </header>
            <PlanLock what="Webhooks are" included=|features| features.webhooks />
            <Transition fallback=|| view! { <Card title="Endpoints"><Skeleton lines=4 /></Card> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="Endpoints"
                                    error=error
                                    on_retry=Callback::new(move |()| endpoints.refetch())
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! { <EndpointsTable endpoints=list selected=selected actions=actions /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <DeliveryLog endpoints=endpoint_list selected=selected list=deliveries on_replayed=show_delivery />
            <SignatureHelp />
            <CreateEndpointDialog
                open=create_open
                on_created=Callback::new(move |endpoint: WebhookEndpoint| {
                    selected.set(endpoint.id.to_string());
                    endpoints.refetch();
                })
            />
            <EditEndpointDialog
                open=edit_open
                endpoint=editing
                on_saved=Callback::new(move |()| endpoints.refetch())
            />
            <ConfirmDialog
                open=deleting.open
                title="Delete this endpoint?"
                message=delete_message
                confirm_label="Delete endpoint"
                busy=deleting.busy
                error=deleting.error
                on_confirm=delete
            />
        </div>
    }
}

/// How receivers check that a request comes from Pulse.
#[component]
fn SignatureHelp() -> impl IntoView {
    view! {
        <Card title="Verifying deliveries" {..} data-testid="webhook-signature-help">
            <div class="stack stack-tight">
                <p class="prose">
                    "Each delivery is a " <code>"POST"</code> " with a JSON body and this header:"
                </p>
                <pre class="code-block code-block-wrap">
                    {format!("{SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>")}
                </pre>
                <p class="prose">
                    "To verify it, compute the HMAC-SHA256 of the timestamp " <code>"t"</code>
                    ", a dot and the raw request body with the endpoint's signing secret, compare its hex form with "
                    <code>"v1"</code> " in constant time, and reject requests whose " <code>"t"</code>
                    " is more than five minutes from your clock."
                </p>
                <p class="prose">
                    <code>"Pulse-Event-Id"</code>
                    " stays the same across retries and replays: use it to ignore duplicates. Answer with a 2xx status within 10 seconds; anything else is retried with growing pauses for up to a day."
                </p>
            </div>
        </Card>
    }
}
