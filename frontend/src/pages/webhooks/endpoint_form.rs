//! Adding and editing an endpoint: the dialogs and their form (address, description,
//! kinds of alert), checked before sending.

use leptos::prelude::*;
use pulse_shared::alerts::AlertKind;
use pulse_shared::ids::WebhookEndpointId;
use pulse_shared::webhooks::{
    CreateWebhookRequest, MAX_URL_LEN, SIGNATURE_HEADER, UpdateWebhookRequest,
    WebhookCreatedResponse, WebhookEndpoint,
};

use super::MAX_DESCRIPTION;
use crate::api;
use crate::components::{
    CopyField, Dialog, FormField, FormFooter, FormMessage, SecretDialog, use_toasts,
};
use crate::forms::{FormErrors, submission};
use crate::session::use_session;

/// Address, description and kinds; then the signing secret, once.
#[component]
pub(super) fn CreateEndpointDialog(
    open: RwSignal<bool>,
    on_created: Callback<WebhookEndpoint>,
) -> impl IntoView {
    view! {
        <SecretDialog
            open=open
            form_title="Add endpoint"
            secret_title="Copy the signing secret"
            form={move |shown: Callback<WebhookCreatedResponse>| {
                view! {
                    <EndpointForm
                        endpoint=None
                        close=Callback::new(move |()| open.set(false))
                        on_created=shown
                        on_updated=Callback::new(|_| {})
                    />
                }
                .into_any()
            }}
            on_created=move |response: WebhookCreatedResponse| on_created.run(response.endpoint)
            warning="This is the only time the secret is shown."
            advice=" Store it with the receiving system now; if it is lost, delete the endpoint and add it again."
            secret={|response: WebhookCreatedResponse| {
                view! {
                    <CopyField
                        id="webhook-secret"
                        label="Signing secret"
                        value=response.secret
                        testid="webhook-secret"
                    />
                    <p class="field-hint">
                        "Every request carries " <code>{SIGNATURE_HEADER}</code>
                        ", an HMAC of its body with this secret: see “Verifying deliveries” below."
                    </p>
                }
                .into_any()
            }}
            done_label="I have stored it"
            done_testid="webhook-done"
        />
    }
}

#[component]
pub(super) fn EditEndpointDialog(
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
pub(super) fn check_url(url: &str) -> Result<(), &'static str> {
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
pub(super) fn EndpointForm(
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
        crate::sort::ascending(&mut new_kinds);
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
                crate::sort::ascending(&mut old_kinds);
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
}
