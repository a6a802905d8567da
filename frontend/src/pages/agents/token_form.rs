//! Creating an enrollment token: the form, then the secret and the install command,
//! shown once.

use leptos::prelude::*;
use pulse_shared::agents::{
    CreateEnrollmentTokenRequest, EnrollmentTokenCreated, MAX_TOKEN_HOURS, MAX_TOKEN_USES,
};
use pulse_shared::people::Person;
use pulse_shared::validate;

use super::MAX_TOKEN_NAME;
use crate::api;
use crate::components::{CopyField, FormField, FormFooter, FormMessage, SecretDialog, SelectField};
use crate::forms::{FormErrors, submission};
use crate::session::use_session;

/// The form; then the secret and the install command, once.
#[component]
pub(super) fn CreateTokenDialog(
    open: RwSignal<bool>,
    #[prop(into)] people: Signal<Vec<Person>>,
    on_created: Callback<()>,
) -> impl IntoView {
    view! {
        <SecretDialog
            open=open
            form_title="New enrollment token"
            secret_title="Enroll a computer"
            form={move |shown: Callback<EnrollmentTokenCreated>| {
                view! {
                    <CreateTokenForm
                        people=people
                        close=Callback::new(move |()| open.set(false))
                        on_created=shown
                    />
                }
                .into_any()
            }}
            on_created=move |_| on_created.run(())
            warning="This is the only time the token is shown."
            advice=" Copy it now; if it is lost, revoke it and make a new one."
            secret={|response: EnrollmentTokenCreated| {
                let origin = window().location().origin().unwrap_or_default();
                let command = install_command(&origin, &response.secret);
                let named = response.token.user_id.is_some();
                view! {
                    <CopyField
                        id="enrollment-secret"
                        label="Token"
                        value=response.secret
                        testid="enrollment-secret"
                    />
                    <CopyField
                        id="enrollment-command"
                        label="Install command"
                        value=command
                        testid="enrollment-command"
                        wrap=true
                    />
                    <p class="field-hint">
                        {if named {
                            "Install the Pulse agent on the computer first (Linux with an X11 session: sudo apt install ./pulse-agent_<version>_amd64.deb), then run this as the person who uses it. The computer is enrolled for the employee the token names."
                        } else {
                            "Install the Pulse agent on the computer first (Linux with an X11 session: sudo apt install ./pulse-agent_<version>_amd64.deb), then run this as the person who uses it, adding --email and their address."
                        }}
                    </p>
                }
                .into_any()
            }}
            done_label="Done"
            done_testid="enrollment-done"
            {..}
            data-testid="enrollment-dialog"
        />
    }
}

/// The command that enrolls a computer with `secret` into the server at `origin`.
pub(super) fn install_command(origin: &str, secret: &str) -> String {
    format!("pulse-agent enroll --server {origin} --token {secret}")
}

#[component]
pub(super) fn CreateTokenForm(
    #[prop(into)] people: Signal<Vec<Person>>,
    close: Callback<()>,
    on_created: Callback<EnrollmentTokenCreated>,
) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let user = RwSignal::new(String::new());
    let hours = RwSignal::new("72".to_owned());
    let uses = RwSignal::new("1".to_owned());
    let user_options = Signal::derive(move || {
        let mut options = vec![(
            String::new(),
            "Any employee (named when the computer enrolls)".to_owned(),
        )];
        options.extend(people.get().into_iter().map(|person| {
            (
                person.id.to_string(),
                format!("{} ({})", person.name, person.email),
            )
        }));
        options
    });
    let errors = FormErrors::new();
    let create = submission(
        errors,
        &["name", "user_id", "expires_in_hours", "max_uses"],
        move |request: CreateEnrollmentTokenRequest| async move {
            api::create_enrollment_token(session, &request).await
        },
        move |response| on_created.run(response),
    );
    let busy = create.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let name_ok = errors.check(
            "name",
            validate::name(&name.get_untracked(), MAX_TOKEN_NAME),
        );
        let hours = bounded(
            errors,
            "expires_in_hours",
            &hours.get_untracked(),
            MAX_TOKEN_HOURS,
        );
        let uses = bounded(errors, "max_uses", &uses.get_untracked(), MAX_TOKEN_USES);
        let (true, Some(expires_in_hours), Some(max_uses)) = (name_ok, hours, uses) else {
            return;
        };
        let request = CreateEnrollmentTokenRequest {
            name: name.get_untracked().trim().to_owned(),
            user_id: user.get_untracked().parse().ok(),
            expires_in_hours,
            max_uses,
        };
        create.dispatch_local(request);
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="token-name"
                    name="name"
                    label="Name"
                    hint="What it is for, e.g. “Support laptops”."
                    value=name
                    error=errors.of("name")
                    required=true
                    autofocus=true
                />
                <SelectField
                    id="token-user"
                    name="user_id"
                    label="Employee"
                    hint="Every computer enrolled with this token reports for this person."
                    value=user
                    options=user_options
                    error=errors.of("user_id")
                />
                <div class="form-row">
                    <FormField
                        id="token-hours"
                        name="expires_in_hours"
                        label="Valid for (hours)"
                        input_type="number"
                        hint="1 to 2,160 (90 days)."
                        value=hours
                        error=errors.of("expires_in_hours")
                    />
                    <FormField
                        id="token-uses"
                        name="max_uses"
                        label="Computers"
                        input_type="number"
                        hint="How many may enroll with it."
                        value=uses
                        error=errors.of("max_uses")
                    />
                </div>
            </div>
            <FormFooter close=close busy=busy>
                "Create token"
            </FormFooter>
        </form>
    }
}

/// Reads a whole number from 1 to `max` typed into `field`, or shows why it is not one.
pub(super) fn bounded(
    errors: FormErrors,
    field: &'static str,
    text: &str,
    max: u32,
) -> Option<u32> {
    match text.trim().parse::<u32>() {
        Ok(value) if (1..=max).contains(&value) => Some(value),
        Ok(_) => {
            errors.set(
                field,
                format!("Use 1 to {}.", crate::format::thousands(u64::from(max))),
            );
            None
        }
        Err(_) => {
            errors.set(field, "Enter a whole number.");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_command_names_server_and_token() {
        assert_eq!(
            install_command("https://pulse.example", "pet_abc"),
            "pulse-agent enroll --server https://pulse.example --token pet_abc"
        );
    }
}
