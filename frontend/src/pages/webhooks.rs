//! Webhooks (`/webhooks`): HTTPS endpoints that receive the company's alerts, signed.
//! Adding one (its signing secret is shown once), editing, enabling and disabling,
//! deleting, sending a test event; and each endpoint's delivery log, where a delivery
//! shows every attempt and the body sent, and can be sent again.

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::PageQuery;
use pulse_shared::alerts::AlertKind;
use pulse_shared::ids::{WebhookDeliveryId, WebhookEndpointId};
use pulse_shared::webhooks::{
    CreateWebhookRequest, DeliveryStatus, MAX_URL_LEN, SIGNATURE_HEADER, UpdateWebhookRequest,
    WebhookAttempt, WebhookCreatedResponse, WebhookDelivery, WebhookDeliveryDetail,
    WebhookEndpoint,
};

use crate::api::{self, ApiError};
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, Confirmation,
    CopyField, DataTable, Dialog, Empty, ErrorCard, FormField, FormFooter, FormMessage,
    SelectField, Skeleton, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody, CursorQuery};
use crate::format;
use crate::forms::{FormErrors, submission};
use crate::session::{Session, use_session};

/// The longest description (the server's limit).
const MAX_DESCRIPTION: usize = 200;
/// How many deliveries one "Load more" brings.
const PAGE_SIZE: u32 = 25;
/// How often the log looks again while a delivery it shows is pending.
const PENDING_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// The page: endpoints, the delivery log, how to verify signatures, and the dialogs.
#[component]
pub fn Webhooks() -> impl IntoView {
    super::set_title("Webhooks");
    let session = use_session();
    let toasts = use_toasts();
    let endpoints = LocalResource::new(move || api::webhooks(session));
    let endpoint_list =
        Signal::derive(move || endpoints.get().and_then(Result::ok).unwrap_or_default());

    // The endpoint whose log is shown (its id, as the select holds it): the first one
    // until someone chooses, and again when the chosen one is deleted.
    let selected = RwSignal::new(String::new());
    Effect::new(move || {
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
    Effect::new(move || {
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

    view! {
        <div class="page" data-page="webhooks">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Webhooks"</h1>
                    <p class="page-lede">
                        "Send your company's alerts to your own systems as signed HTTPS requests."
                    </p>
                </div>
                <Button on_click=move |_| create_open.set(true) {..} data-testid="add-webhook">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 5v14M5 12h14" />
                    </svg>
                    "Add endpoint"
                </Button>
            </header>
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

/// What a row of the endpoints table can ask the page to do.
#[derive(Clone, Copy)]
struct RowActions {
    edit: Callback<WebhookEndpoint>,
    delete: Callback<WebhookEndpoint>,
    /// An endpoint changed (enabled or disabled): load the list again.
    changed: Callback<()>,
    /// A test event was queued.
    tested: Callback<WebhookDelivery>,
}

#[component]
fn EndpointsTable(
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
fn EndpointRow(
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
    let testing = RwSignal::new(false);
    let toggling = RwSignal::new(false);
    let stored = StoredValue::new(endpoint);
    let send_test = move |_| {
        testing.set(true);
        spawn_local(async move {
            match api::test_webhook(session, id).await {
                Ok(delivery) => {
                    toasts.success("Test event queued: follow it in the delivery log.");
                    actions.tested.run(delivery);
                }
                Err(error) => toasts.error(format!("Could not send a test event: {error}")),
            }
            let _ = testing.try_set(false);
        });
    };
    let toggle = move |_| {
        let request = UpdateWebhookRequest {
            enabled: Some(!enabled),
            ..Default::default()
        };
        toggling.set(true);
        spawn_local(async move {
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
            let _ = toggling.try_set(false);
        });
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
fn kinds_summary(kinds: &[AlertKind]) -> String {
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

/// Address, description and kinds; then the signing secret, once.
#[component]
fn CreateEndpointDialog(
    open: RwSignal<bool>,
    on_created: Callback<WebhookEndpoint>,
) -> impl IntoView {
    let created = RwSignal::new(None::<WebhookCreatedResponse>);
    Effect::new(move || {
        if open.get() {
            created.set(None);
        }
    });
    let title = Signal::derive(move || {
        if created.with(Option::is_some) {
            "Copy the signing secret".to_owned()
        } else {
            "Add endpoint".to_owned()
        }
    });
    view! {
        <Dialog open=open title=title>
            {move || match created.get() {
                None => {
                    view! {
                        <EndpointForm
                            endpoint=None
                            close=Callback::new(move |()| open.set(false))
                            on_created=Callback::new(move |response: WebhookCreatedResponse| {
                                on_created.run(response.endpoint.clone());
                                created.set(Some(response));
                            })
                            on_updated=Callback::new(|_| {})
                        />
                    }
                        .into_any()
                }
                Some(response) => {
                    view! {
                        <div class="dialog-body">
                            <div class="notice notice-warning" role="note">
                                <strong>"This is the only time the secret is shown."</strong>
                                " Store it with the receiving system now; if it is lost, delete the endpoint and add it again."
                            </div>
                            <CopyField
                                id="webhook-secret"
                                label="Signing secret"
                                value=response.secret.clone()
                                testid="webhook-secret"
                            />
                            <p class="field-hint">
                                "Every request carries " <code>{SIGNATURE_HEADER}</code>
                                ", an HMAC of its body with this secret: see “Verifying deliveries” below."
                            </p>
                        </div>
                        <footer class="dialog-footer">
                            <Button on_click=move |_| open.set(false) {..} data-testid="webhook-done">
                                "I have stored it"
                            </Button>
                        </footer>
                    }
                        .into_any()
                }
            }}
        </Dialog>
    }
}

#[component]
fn EditEndpointDialog(
    open: RwSignal<bool>,
    endpoint: RwSignal<Option<WebhookEndpoint>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let description = Signal::derive(move || {
        endpoint.with(|endpoint| {
            endpoint
                .as_ref()
                .map(|endpoint| endpoint.url.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <Dialog open=open title="Edit endpoint" description=description>
            {move || {
                endpoint
                    .get()
                    .map(|endpoint| {
                        view! {
                            <EndpointForm
                                endpoint=Some(endpoint)
                                close=Callback::new(move |()| open.set(false))
                                on_created=Callback::new(|_| {})
                                on_updated=Callback::new(move |_| {
                                    open.set(false);
                                    on_saved.run(());
                                })
                            />
                        }
                    })
            }}
        </Dialog>
    }
}

/// Why `url` cannot be an endpoint's address, as far as can be told here. The rest
/// (https only, no private or loopback address) is the server's to judge: only it can
/// resolve the host, and a test server may allow more.
fn check_url(url: &str) -> Result<(), &'static str> {
    let url = url.trim();
    if url.is_empty() {
        Err("Enter the address that receives the alerts.")
    } else if url.len() > MAX_URL_LEN {
        Err("Use a URL of at most 2,048 characters.")
    } else {
        Ok(())
    }
}

/// The add form (without `endpoint`) or the edit form (with it).
#[component]
fn EndpointForm(
    endpoint: Option<WebhookEndpoint>,
    close: Callback<()>,
    on_created: Callback<WebhookCreatedResponse>,
    on_updated: Callback<WebhookEndpoint>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let editing = endpoint.is_some();
    let url = RwSignal::new(
        endpoint
            .as_ref()
            .map(|endpoint| endpoint.url.clone())
            .unwrap_or_default(),
    );
    let description = RwSignal::new(
        endpoint
            .as_ref()
            .map(|endpoint| endpoint.description.clone())
            .unwrap_or_default(),
    );
    // A new endpoint gets every kind until someone unticks some.
    let kinds = RwSignal::new(endpoint.as_ref().map_or_else(
        || AlertKind::ALL.to_vec(),
        |endpoint| endpoint.kinds.clone(),
    ));
    let original = StoredValue::new(endpoint);
    let errors = FormErrors::new();
    const FIELDS: &[&str] = &["url", "description", "kinds"];
    let create = submission(
        errors,
        FIELDS,
        move |request: CreateWebhookRequest| async move { api::create_webhook(session, &request).await },
        move |response| on_created.run(response),
    );
    let update = submission(
        errors,
        FIELDS,
        move |(id, request): (WebhookEndpointId, UpdateWebhookRequest)| async move {
            api::update_webhook(session, id, &request).await
        },
        move |endpoint: WebhookEndpoint| {
            toasts.success(format!("Saved changes to {}", endpoint.url));
            on_updated.run(endpoint);
        },
    );
    let (creating, updating) = (create.pending(), update.pending());
    let busy = Signal::derive(move || creating.get() || updating.get());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let new_url = url.get_untracked().trim().to_owned();
        let new_description = description.get_untracked().trim().to_owned();
        let mut new_kinds = kinds.get_untracked();
        new_kinds.sort();
        let mut ok = errors.check(
            "url",
            check_url(&new_url).map_err(|message| ("invalid", message)),
        );
        if new_description.chars().count() > MAX_DESCRIPTION {
            errors.set("description", "Use at most 200 characters.");
            ok = false;
        }
        if new_kinds.is_empty() {
            errors.set("kinds", "Choose at least one kind of alert.");
            ok = false;
        }
        if !ok {
            return;
        }
        match original.get_value() {
            None => {
                let request = CreateWebhookRequest {
                    url: new_url,
                    description: new_description,
                    kinds: new_kinds,
                };
                create.dispatch_local(request);
            }
            Some(old) => {
                let mut old_kinds = old.kinds.clone();
                old_kinds.sort();
                let request = UpdateWebhookRequest {
                    url: (new_url != old.url).then_some(new_url),
                    description: (new_description != old.description).then_some(new_description),
                    kinds: (new_kinds != old_kinds).then_some(new_kinds),
                    enabled: None,
                };
                if request == UpdateWebhookRequest::default() {
                    close.run(());
                    return;
                }
                update.dispatch_local((old.id, request));
            }
        }
    };
    let kinds_error = errors.of("kinds");
    view! {
        <form class="form" on:submit=submit novalidate=true data-testid="webhook-form">
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="webhook-url"
                    name="url"
                    label="Address"
                    input_type="url"
                    placeholder="https://example.com/pulse/webhooks"
                    hint="An https:// address on the public internet."
                    value=url
                    error=errors.of("url")
                    required=true
                    autofocus=true
                />
                <FormField
                    id="webhook-description"
                    name="description"
                    label="Description"
                    hint="Optional: what receives it, e.g. “Incident channel”."
                    value=description
                    error=errors.of("description")
                />
                <fieldset
                    class="checklist"
                    class:field-invalid=move || kinds_error.with(Option::is_some)
                    aria-describedby="webhook-kinds-error"
                >
                    <legend class="field-label">"Alerts to send"</legend>
                    <div class="check-grid">
                        {AlertKind::ALL
                            .into_iter()
                            .map(|kind| {
                                view! {
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            name="kinds"
                                            value=kind.as_str()
                                            prop:checked=move || kinds.with(|kinds| kinds.contains(&kind))
                                            on:change=move |event| {
                                                let on = event_target_checked(&event);
                                                kinds.update(|kinds| {
                                                    kinds.retain(|other| *other != kind);
                                                    if on {
                                                        kinds.push(kind);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{kind.label()}</span>
                                    </label>
                                }
                            })
                            .collect_view()}
                    </div>
                    <p class="field-error" id="webhook-kinds-error" aria-live="polite">
                        {move || kinds_error.get()}
                    </p>
                </fieldset>
            </div>
            <FormFooter close=close busy=busy>
                {if editing { "Save changes" } else { "Add endpoint" }}
            </FormFooter>
        </form>
    }
}

/// One page of one endpoint's deliveries.
#[derive(Debug, Clone, PartialEq)]
struct DeliveryQuery {
    endpoint: WebhookEndpointId,
    page: PageQuery,
}

impl DeliveryQuery {
    fn first(endpoint: WebhookEndpointId) -> Self {
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
type DeliveryList = CursorList<WebhookDelivery, DeliveryQuery>;

/// Puts `delivery` in place of its old row, or among the rows by time (newest first).
fn upsert(rows: &mut Vec<WebhookDelivery>, delivery: WebhookDelivery) {
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
fn refresh_newest(
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
fn DeliveryLog(
    #[prop(into)] endpoints: Signal<Vec<WebhookEndpoint>>,
    selected: RwSignal<String>,
    list: DeliveryList,
    on_replayed: Callback<WebhookDelivery>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
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
                <Show when=move || list.next_cursor.with(Option::is_some)>
                    <div class="load-more">
                        <Button
                            variant=ButtonVariant::Secondary
                            loading=list.loading_more
                            on_click=move |_| list.load_more(toasts)
                            {..}
                            data-testid="load-more"
                        >
                            "Load more"
                        </Button>
                    </div>
                </Show>
            </Show>
        </Card>
        <DeliveryDialog open=detail_open delivery=viewing on_replayed=on_replayed />
    }
}

fn status_badge(status: DeliveryStatus) -> impl IntoView {
    let (tone, text) = match status {
        DeliveryStatus::Pending => (BadgeTone::Warning, "Pending"),
        DeliveryStatus::Succeeded => (BadgeTone::Success, "Delivered"),
        DeliveryStatus::Failed => (BadgeTone::Danger, "Failed"),
    };
    view! { <Badge tone=tone>{text}</Badge> }
}

/// `123 ms`, or a dash when nothing was measured.
fn latency(millis: Option<i32>) -> String {
    millis.map_or_else(|| "—".to_owned(), |millis| format!("{millis} ms"))
}

/// The HTTP status of an answer, or a dash when there was none.
fn response_code(code: Option<i32>) -> String {
    code.map_or_else(|| "—".to_owned(), |code| code.to_string())
}

fn delivery_row(delivery: WebhookDelivery, on_open: Callback<WebhookDeliveryId>) -> impl IntoView {
    let id = delivery.id;
    let day = format::date(delivery.created_at);
    let time = delivery.created_at.format("%H:%M:%S UTC").to_string();
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

/// One delivery: its facts, every attempt, the body sent, and "Replay".
#[component]
fn DeliveryDialog(
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
fn DeliveryDetailView(
    id: WebhookDeliveryId,
    close: Callback<()>,
    on_replayed: Callback<WebhookDelivery>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let detail = LocalResource::new(move || api::webhook_delivery(session, id));
    let replaying = RwSignal::new(false);
    let replay = move |_| {
        replaying.set(true);
        spawn_local(async move {
            match api::replay_webhook_delivery(session, id).await {
                Ok(delivery) => {
                    toasts.success("Replay queued: the event is sent again as a new delivery.");
                    on_replayed.run(delivery);
                    close.run(());
                }
                Err(error) => toasts.error(format!("Could not replay the delivery: {error}")),
            }
            let _ = replaying.try_set(false);
        });
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

fn detail_error(
    error: ApiError,
    detail: LocalResource<Result<WebhookDeliveryDetail, ApiError>>,
) -> impl IntoView {
    view! {
        <ErrorCard title="Delivery" error=error on_retry=Callback::new(move |()| detail.refetch()) />
    }
}

fn detail_body(detail: WebhookDeliveryDetail) -> impl IntoView {
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
            <pre class="code-block" data-testid="delivery-payload">{payload}</pre>
        </section>
    }
}

fn attempt_row(attempt: WebhookAttempt) -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_required_and_bounded() {
        assert!(check_url("https://hooks.example.com/pulse").is_ok());
        assert!(check_url("").is_err());
        assert!(check_url("   ").is_err());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_url(&long).is_err());
    }

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
