//! The form of one level: its settings in groups, Save, and Remove for an override that
//! exists.

use leptos::prelude::*;
use serde_json::{Map, Value};

use super::controls::SettingControl;
use super::draft::{Change, Draft, Level, request, show_failure};
use super::settings::GROUPS;
use crate::api::{self, OverrideOf};
use crate::components::{Button, ButtonVariant, ConfirmDialog, FormMessage, use_toasts};
use crate::forms::{FormErrors, Work};
use crate::session::use_session;

/// The controls of one level, Save, and (for an override that exists) Remove.
#[component]
pub(super) fn PolicyForm(
    level: Level,
    /// Names the level in messages: "the company", "team Support", "Ada Lovelace".
    name: String,
    /// What this level sets now (`None`: an override that does not exist yet).
    own: Option<Map<String, Value>>,
    /// The settings this level inherits.
    inherited: Map<String, Value>,
    /// Where inherited values come from, for hints.
    inherited_from: &'static str,
    on_saved: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let company = level == Level::Company;
    let exists = own.is_some();
    let draft = StoredValue::new(Draft::new(&own.unwrap_or_default(), inherited, company));
    let errors = FormErrors::new();
    let name = StoredValue::new(name);
    let confirm_remove = RwSignal::new(false);
    let remove_error = RwSignal::new(None::<String>);

    // Field errors go where `place` puts them: see `show_failure`.
    let save = Work::new(move |change: Change| async move {
        let who = name.get_value();
        let outcome = match &change {
            Change::Company(settings) => api::put_company_policy(session, settings)
                .await
                .map(|_| "Company default saved".to_owned()),
            Change::Set(of, settings) => api::put_policy_override(session, *of, settings)
                .await
                .map(|_| format!("Override for {who} saved")),
            Change::Remove(of) => api::remove_policy_override(session, *of)
                .await
                .map(|()| format!("{who} follows the level above again")),
        };
        match outcome {
            Ok(done) => {
                toasts.success(done);
                on_saved.run(());
            }
            Err(error) => show_failure(errors, &error),
        }
    });
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let checked = draft.with_value(|draft| request(draft, level, exists));
        match checked {
            Ok(change) => {
                save.dispatch_local(change);
            }
            Err((fields, general)) => {
                for (field, message) in fields {
                    errors.set(field, message);
                }
                errors.set_general(general.unwrap_or_else(|| {
                    "Some settings need a change: see the messages under them.".to_owned()
                }));
            }
        }
    };
    let removal = Work::new(move |of: OverrideOf| async move {
        match api::remove_policy_override(session, of).await {
            Ok(()) => {
                confirm_remove.set(false);
                toasts.success(format!(
                    "{} follows the level above again",
                    name.get_value()
                ));
                on_saved.run(());
            }
            Err(error) => remove_error.set(Some(error.to_string())),
        }
    });
    let remove_busy = removal.pending();
    let remove = Callback::new(move |()| {
        let Level::Override(of) = level else {
            return;
        };
        remove_error.set(None);
        removal.dispatch_local(of);
    });
    let remove_message = format!(
        "Every setting of {} follows {inherited_from} again.",
        name.get_value()
    );

    let lede = match level {
        Level::Company => {
            "Every computer follows these settings unless a team or employee override says otherwise.".to_owned()
        }
        Level::Override(_) if exists => format!(
            "Settings ticked “Override” apply to {}; the rest come from {inherited_from}.",
            name.get_value()
        ),
        Level::Override(_) => format!(
            "{} follows {inherited_from}. Tick “Override” on a setting to change it for them.",
            capitalise(&name.get_value())
        ),
    };
    view! {
        <form class="policy-form" on:submit=submit novalidate=true data-testid="policy-form" data-level=match level {
            Level::Company => "company",
            Level::Override(OverrideOf::Team(_)) => "team",
            Level::Override(OverrideOf::Employee(_)) => "employee",
        }>
            <div class="policy-body">
                <p class="muted">{lede}</p>
                <FormMessage error=errors.general() />
                {GROUPS
                    .iter()
                    .map(|group| {
                        view! {
                            <fieldset class="policy-group">
                                <legend class="policy-group-title">{group.title}</legend>
                                <div class="policy-grid">
                                    {group
                                        .settings
                                        .iter()
                                        .map(|setting| {
                                            view! {
                                                <SettingControl
                                                    setting=setting
                                                    draft=draft
                                                    errors=errors
                                                    company=company
                                                    inherited_from=inherited_from
                                                />
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            </fieldset>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="card-bar">
                {(!company && exists)
                    .then(|| {
                        view! {
                            <Button
                                variant=ButtonVariant::Ghost
                                on_click=move |_| confirm_remove.set(true)
                                {..}
                                class:btn-ghost-danger=true
                                data-testid="policy-remove"
                            >
                                "Remove override"
                            </Button>
                        }
                    })}
                <span class="card-bar-spacer"></span>
                <Button submit=true loading={busy} {..} data-testid="policy-save">
                    {if company { "Save company default" } else { "Save override" }}
                </Button>
            </div>
        </form>
        <ConfirmDialog
            open=confirm_remove
            title="Remove this override?"
            message=remove_message
            confirm_label="Remove override"
            busy=remove_busy
            error=remove_error
            on_confirm=remove
        />
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
