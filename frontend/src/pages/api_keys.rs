//! API keys (`/api-keys`): keys for integrators, each with a role; the secret is shown
//! once, when the key is created; revoked keys stay listed.

use leptos::prelude::*;
use pulse_shared::api_keys::{ApiKey, ApiKeyCreatedResponse, CreateApiKeyRequest};
use pulse_shared::people::Role;
use pulse_shared::validate;

use crate::api;
use crate::billing_watch::{PlanLock, use_billing_watch};
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, Confirmation,
    CopyField, DataTable, Empty, ErrorCard, FormField, FormFooter, FormMessage, SecretDialog,
    SelectField, Skeleton, use_toasts,
};
use crate::format;
use crate::forms::{FormErrors, submission};
use crate::session::use_session;

/// The longest key name (the server's limit).
const MAX_KEY_NAME: usize = 80;

/// The page: the keys table, the create dialog and the revoke confirmation.
#[component]
pub fn ApiKeys() -> impl IntoView {
    super::set_title("API keys");
    let session = use_session();
    let toasts = use_toasts();
    let keys = api::Loaded::new(move || api::api_keys(session));
    let create_open = RwSignal::new(false);
    let revoking = Confirmation::<ApiKey>::new();
    let ask_revoke = Callback::new(move |key: ApiKey| revoking.ask(key));
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |key: ApiKey| api::revoke_api_key(session, key.id),
            move |key| {
                toasts.success(format!("Key {} revoked", key.name));
                keys.refetch();
            },
        );
    });
    let revoke_message = revoking.message(|key| {
        format!(
            "Anything using {} ({}…) stops working at once. This cannot be undone.",
            key.name, key.prefix
        )
    });

    let billing = use_billing_watch();
    let locked = move || billing.lacking(|features| features.api_keys);

    view! {
        <div class="page" data-page="api-keys">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"API keys"</h1>
                    <p class="page-lede">
                        "Keys let scripts and integrations use the "
                        <a href="/api/docs" rel="external">"Pulse API"</a>
                        " with the role you give them."
                    </p>
                </div>
                <Show when=move || locked().is_none()>
                    <Button on_click=move |_| create_open.set(true) {..} data-testid="create-api-key">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 5v14M5 12h14" />
                        </svg>
                        "New API key"
                    </Button>
                </Show>
            </header>
            <PlanLock what="API keys are" included=|features| features.api_keys />
            <Transition fallback=|| view! { <Card title="Keys"><Skeleton lines=4 /></Card> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="API keys"
                                    error=error
                                    on_retry=Callback::new(move |()| keys.refetch())
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => view! { <KeysTable keys=list on_revoke=ask_revoke /> }.into_any(),
                    }
                })}
            </Transition>
            <CreateKeyDialog open=create_open on_created=Callback::new(move |()| keys.refetch()) />
            <ConfirmDialog
                open=revoking.open
                title="Revoke this key?"
                message=revoke_message
                confirm_label="Revoke key"
                busy=revoking.busy
                error=revoking.error
                on_confirm=revoke
            />
        </div>
    }
}

#[component]
fn KeysTable(keys: Vec<ApiKey>, on_revoke: Callback<ApiKey>) -> impl IntoView {
    let active = keys.iter().filter(|key| key.revoked_at.is_none()).count();
    let is_empty = keys.is_empty();
    view! {
        <Card title="Keys" flush=true>
            <CardActions slot>
                <Badge>{format!("{active} active")}</Badge>
            </CardActions>
            <div class="table-scroll table-stack">
                <DataTable
                    columns=&["Name", "Key", "Role", "Created", "Last used", "Status", ""]
                    is_empty=Signal::stored(is_empty)
                    {..}
                    class:table-api-keys=true
                    data-testid="api-keys"
                >
                    <Empty slot>"No API keys yet."</Empty>
                    {keys.into_iter().map(|key| key_row(key, on_revoke)).collect_view()}
                </DataTable>
            </div>
        </Card>
    }
}

fn key_row(key: ApiKey, on_revoke: Callback<ApiKey>) -> impl IntoView {
    let revoked = key.revoked_at.is_some();
    let last_used = key
        .last_used_at
        .map_or_else(|| "Never".to_owned(), format::minute);
    let created = format::date(key.created_at);
    let name = key.name.clone();
    let row_name = key.name.clone();
    let prefix = format!("{}…", key.prefix);
    let role = key.role.label();
    let label = format!("Revoke {}", key.name);
    let key = StoredValue::new(key);
    view! {
        <tr data-api-key-name=row_name class:is-revoked=revoked>
            <td class="cell-title">{name}</td>
            <td class="mono cell-key" data-label="Key">{prefix}</td>
            <td class="cell-role" data-label="Role">{role}</td>
            <td class="cell-created" data-label="Created">{created}</td>
            <td class="cell-used" data-label="Last used">{last_used}</td>
            <td class="cell-status">
                {if revoked {
                    view! { <Badge tone=BadgeTone::Neutral>"Revoked"</Badge> }.into_any()
                } else {
                    view! { <Badge tone=BadgeTone::Success>"Active"</Badge> }.into_any()
                }}
            </td>
            <td class="cell-actions">
                <Show when=move || !revoked>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_revoke.run(key.get_value())
                        {..}
                        class:btn-ghost-danger=true
                        aria-label=label.clone()
                    >
                        "Revoke"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}

/// Name and role; then the secret, once.
#[component]
fn CreateKeyDialog(open: RwSignal<bool>, on_created: Callback<()>) -> impl IntoView {
    view! {
        <SecretDialog
            open=open
            form_title="New API key"
            secret_title="Copy your new key"
            form={move |shown: Callback<ApiKeyCreatedResponse>| {
                view! {
                    <CreateKeyForm
                        close=Callback::new(move |()| open.set(false))
                        on_created=shown
                    />
                }
                .into_any()
            }}
            on_created=move |_| on_created.run(())
            warning="This is the only time the secret is shown."
            advice=" Store it somewhere safe now; if it is lost, revoke the key and make a new one."
            secret={|response: ApiKeyCreatedResponse| {
                view! {
                    <CopyField
                        id="api-key-secret"
                        label="Secret"
                        value=response.secret
                        testid="api-key-secret"
                    />
                    <p class="field-hint">
                        "Send it as " <code>"Authorization: Bearer <secret>"</code> "."
                    </p>
                }
                .into_any()
            }}
            done_label="I have stored it"
            done_testid="api-key-done"
        />
    }
}

#[component]
fn CreateKeyForm(
    close: Callback<()>,
    on_created: Callback<ApiKeyCreatedResponse>,
) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Employee.as_str().to_owned());
    // A key never gets more than its maker, and never the owner role.
    let role_options = Signal::derive(move || {
        let mine = session.role();
        let roles: Vec<Role> = [Role::Admin, Role::Manager, Role::Employee]
            .into_iter()
            .filter(|role| mine.is_some_and(|mine| mine.at_least(*role)))
            .collect();
        super::role_options(&roles)
    });
    let errors = FormErrors::new();
    let create = submission(
        errors,
        &["name", "role"],
        move |request: CreateApiKeyRequest| async move { api::create_api_key(session, &request).await },
        move |response| on_created.run(response),
    );
    let busy = create.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        if !errors.check("name", validate::name(&name.get_untracked(), MAX_KEY_NAME)) {
            return;
        }
        let Ok(chosen) = role.get_untracked().parse::<Role>() else {
            errors.set("role", "Choose a role.");
            return;
        };
        let request = CreateApiKeyRequest {
            name: name.get_untracked().trim().to_owned(),
            role: chosen,
        };
        create.dispatch_local(request);
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="api-key-name"
                    name="name"
                    label="Name"
                    hint="What uses it, e.g. “Payroll export”."
                    value=name
                    error=errors.of("name")
                    required=true
                    autofocus=true
                />
                <SelectField
                    id="api-key-role"
                    name="role"
                    label="Role"
                    hint="The key may do what a person with this role may do."
                    value=role
                    options=role_options
                    error=errors.of("role")
                />
            </div>
            <FormFooter close=close busy=busy>
                "Create key"
            </FormFooter>
        </form>
    }
}
