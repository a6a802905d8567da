//! A forgotten password: ask for a link (`/forgot`), then choose a new password with it
//! (`/reset#<token>`). The token travels in the URL fragment, so it never reaches server
//! logs or the `Referer` header.

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::auth::PasswordResetConfirm;
use pulse_shared::validate;

use crate::api;
use crate::components::{AuthCard, AuthForm, AuthHeader, AuthSwitch, FormField};
use crate::forms::{FormErrors, submission};

/// Asks for a reset link; says the same whether the address has an account or not.
#[component]
pub fn ForgotPassword() -> impl IntoView {
    super::set_title("Reset your password");
    let email = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let sent_to = RwSignal::new(None::<String>);
    let send = submission(
        errors,
        &["email"],
        |address: String| async move {
            api::request_password_reset(&address)
                .await
                .map(|()| address)
        },
        move |address| sent_to.set(Some(address)),
    );
    let busy = send.pending();

    let submit = move || {
        errors.clear();
        let address = email.get_untracked().trim().to_owned();
        if !errors.check("email", validate::email(&address)) {
            return;
        }
        send.dispatch_local(address);
    };

    view! {
        <AuthCard page="forgot">
            <AuthHeader title="Reset your password" lede="We will send a link to choose a new one." />
            <Show
                when=move || sent_to.get().is_some()
                fallback=move || {
                    view! {
                        <AuthForm errors=errors busy=busy on_submit=submit label="Send the link">
                            <FormField
                                id="forgot-email"
                                name="email"
                                label="E-mail address"
                                input_type="email"
                                autocomplete="username"
                                value=email
                                error=errors.of("email")
                                required=true
                                autofocus=true
                            />
                        </AuthForm>
                    }
                }
            >
                <p class="form-message form-message-success" role="status" data-testid="reset-sent">
                    "If " <strong>{move || sent_to.get().unwrap_or_default()}</strong>
                    " has a Pulse account, a link to reset its password is on its way. It works once, for 30 minutes."
                </p>
            </Show>
            <AuthSwitch prompt="Remembered it? " href="/login" link="Sign in" />
        </AuthCard>
    }
}

/// Chooses a new password with the link's secret; signs in.
#[component]
pub fn ResetPassword() -> impl IntoView {
    super::set_title("Choose a new password");
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let token = super::link_secret(errors);
    let reset = super::link_submission(
        errors,
        &["password"],
        Some(
            "This link no longer works: it was used, or is over 30 minutes old, or a newer one was sent. Ask for a new one.",
        ),
        |request: PasswordResetConfirm| async move { api::confirm_password_reset(&request).await },
        |_| "Your password is changed; other sessions are signed out.".to_owned(),
    );
    let busy = reset.pending();

    let submit = move || {
        errors.clear();
        if !errors.check("password", validate::password(&password.get_untracked())) {
            return;
        }
        let request = PasswordResetConfirm {
            token: token.get_value(),
            password: password.get_untracked(),
        };
        reset.dispatch_local(request);
    };

    view! {
        <AuthCard page="reset">
            <AuthHeader
                title="Choose a new password"
                lede="Every other session of your account will be signed out."
            />
            <AuthForm errors=errors busy=busy on_submit=submit label="Change the password">
                <FormField
                    id="reset-password"
                    name="password"
                    label="New password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    value=password
                    error=errors.of("password")
                    required=true
                    autofocus=true
                />
            </AuthForm>
            <p class="auth-switch">
                <A href="/forgot">"Ask for a new link"</A>
            </p>
        </AuthCard>
    }
}
