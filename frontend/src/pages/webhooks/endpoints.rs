//! The endpoints table: each endpoint's address, kinds and state, with Test, enable or
//! disable, Edit and Delete.

use leptos::prelude::*;
use pulse_shared::alerts::AlertKind;
use pulse_shared::webhooks::{UpdateWebhookRequest, WebhookDelivery, WebhookEndpoint};

use crate::api;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, use_toasts,
};
use crate::format;
use crate::forms::task;
use crate::session::use_session;

/// What a row of the endpoints table can ask the page to do.
#[derive(Clone, Copy)]
pub(super) struct RowActions {
    pub(super) edit: Callback<WebhookEndpoint>,
    pub(super) delete: Callback<WebhookEndpoint>,
    /// An endpoint changed (enabled or disabled): load the list again.
    pub(super) changed: Callback<()>,
    /// A test event was queued.
    pub(super) tested: Callback<WebhookDelivery>,
}

#[component]
pub(super) fn EndpointsTable(
    endpoints: Vec<WebhookEndpoint>,
    selected: RwSignal<String>,
    actions: RowActions,
) -> impl IntoView {
    let enabled = endpoints.iter().filter(|endpoint| endpoint.enabled).count();
    let is_empty = endpoints.is_empty();
    view! {
        <Card title="Endpoints" flush=true>
            <CardActions slot>
                <Badge>{format!("{enabled} enabled")}</Badge>
            </CardActions>
            // Below 900 px of card, each endpoint becomes a block: its address and status,
            // the alerts it gets, then its actions (see `.table-stack` in main.css).
            <div class="table-scroll table-stack table-stack-wide">
                <DataTable
                    columns=&["Endpoint", "Alerts", "Status", ""]
                    is_empty=Signal::stored(is_empty)
                    {..}
                    class:table-endpoints=true
                    data-testid="webhooks"
                >
                    <Empty slot>
                        "No endpoints yet. Add one to receive your company's alerts in your own systems."
                    </Empty>
                    {endpoints
                        .into_iter()
                        .map(|endpoint| view! { <EndpointRow endpoint=endpoint selected=selected actions=actions /> })
                        .collect_view()}
                </DataTable>
            </div>
        </Card>
    }
}

#[component]
pub(super) fn EndpointRow(
    endpoint: WebhookEndpoint,
    selected: RwSignal<String>,
    actions: RowActions,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let id = endpoint.id;
    let id_text = id.to_string();
    let is_selected = {
        let id_text = id_text.clone();
        move || selected.with(|selected| *selected == id_text)
    };
    let enabled = endpoint.enabled;
    let url = endpoint.url.clone();
    let description = endpoint.description.clone();
    let kinds = kinds_summary(&endpoint.kinds);
    let added = format!("Added {}", format::date(endpoint.created_at));
    let stored = StoredValue::new(endpoint);
    let send_test_event = task(move |()| async move {
        match api::test_webhook(session, id).await {
            Ok(delivery) => {
                toasts.success("Test event queued: follow it in the delivery log.");
                actions.tested.run(delivery);
            }
            Err(error) => toasts.error(format!("Could not send a test event: {error}")),
        }
    });
    let testing = send_test_event.pending();
    let send_test = move |_| {
        send_test_event.dispatch_local(());
    };
    let switch_enabled = task(move |()| {
        let request = UpdateWebhookRequest {
            enabled: Some(!enabled),
            ..Default::default()
        };
        async move {
            match api::update_webhook(session, id, &request).await {
                Ok(endpoint) => {
                    toasts.success(if endpoint.enabled {
                        format!("{} enabled", endpoint.url)
                    } else {
                        format!(
                            "{} disabled: it receives nothing until enabled again",
                            endpoint.url
                        )
                    });
                    actions.changed.run(());
                }
                Err(error) => toasts.error(format!("Could not change the endpoint: {error}")),
            }
        }
    });
    let toggling = switch_enabled.pending();
    let toggle = move |_| {
        switch_enabled.dispatch_local(());
    };
    view! {
        <tr
            data-webhook-id=id_text
            data-webhook-url=url.clone()
            data-enabled=enabled.to_string()
            class:is-selected=is_selected
            class:is-revoked=!enabled
        >
            <td class="cell-wrap cell-endpoint">
                <span class="stacked">
                    <span class="mono truncate endpoint-url" title=url.clone()>{url.clone()}</span>
                    {(!description.is_empty()).then(|| view! { <span class="cell-sub">{description}</span> })}
                    <span class="cell-sub">{added}</span>
                </span>
            </td>
            <td class="cell-wrap cell-kinds" data-label="Alerts">{kinds}</td>
            <td class="cell-status">
                {if enabled {
                    view! { <Badge tone=BadgeTone::Success>"Enabled"</Badge> }.into_any()
                } else {
                    view! { <Badge tone=BadgeTone::Neutral>"Disabled"</Badge> }.into_any()
                }}
            </td>
            <td class="cell-actions">
                <div class="row-actions">
                    <Button
                        variant=ButtonVariant::Ghost
                        loading=testing
                        on_click={send_test}
                        {..}
                        class:btn-small=true
                        data-testid="webhook-test"
                        aria-label=format!("Send a test event to {url}")
                    >
                        "Send test"
                    </Button>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| actions.edit.run(stored.get_value())
                        {..}
                        class:btn-small=true
                        data-testid="webhook-edit"
                        aria-label=format!("Edit {url}")
                    >
                        "Edit"
                    </Button>
                    <Button
                        variant=ButtonVariant::Ghost
                        loading=toggling
                        on_click={toggle}
                        {..}
                        class:btn-small=true
                        data-testid="webhook-toggle"
                        aria-label=format!("{} {url}", if enabled { "Disable" } else { "Enable" })
                    >
                        {if enabled { "Disable" } else { "Enable" }}
                    </Button>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| actions.delete.run(stored.get_value())
                        {..}
                        class:btn-ghost-danger=true
                        class:btn-small=true
                        data-testid="webhook-delete"
                        aria-label=format!("Delete {url}")
                    >
                        "Delete"
                    </Button>
                </div>
            </td>
        </tr>
    }
}

/// "All alerts"; "All except …" when fewer kinds are left out than chosen (the shorter
/// line); otherwise the chosen kinds' names. Names follow [`AlertKind::ALL`] order.
pub(super) fn kinds_summary(kinds: &[AlertKind]) -> String {
    let (chosen, left_out): (Vec<AlertKind>, Vec<AlertKind>) = AlertKind::ALL
        .into_iter()
        .partition(|kind| kinds.contains(kind));
    let names = |list: &[AlertKind]| {
        list.iter()
            .map(|kind| kind.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if chosen.is_empty() {
        "None".to_owned()
    } else if left_out.is_empty() {
        "All alerts".to_owned()
    } else if left_out.len() < chosen.len() {
        format!("All except {}", names(&left_out))
    } else {
        names(&chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_names() {
        assert_eq!(kinds_summary(&AlertKind::ALL), "All alerts");
        assert_eq!(
            kinds_summary(&[AlertKind::PaymentFailed, AlertKind::AgentOffline]),
            "Agent offline, Payment failed"
        );
        let all_but_two: Vec<AlertKind> = AlertKind::ALL
            .into_iter()
            .filter(|kind| !matches!(kind, AlertKind::AgentOffline | AlertKind::Test))
            .collect();
        assert_eq!(
            kinds_summary(&all_but_two),
            "All except Agent offline, Test alert"
        );
        assert_eq!(kinds_summary(&[]), "None");
    }
}
