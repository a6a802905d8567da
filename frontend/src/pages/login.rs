//! Sign in (`/login`): e-mail and password; then back to the page the person wanted.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use pulse_shared::auth::LoginRequest;
use pulse_shared::validate;

use crate::api;
use crate::components::{AuthCard, AuthForm, AuthHeader, AuthSwitch, FormField};
use crate::forms::{FormErrors, submission};
use crate::reactive::{effect, memo};
use crate::session::{Phase, use_session};

/// The sign-in form. Once signed in (here, or because the session was restored) it goes
/// to `?next=` (a path of this app) or the overview.
#[component]
pub fn Login() -> impl IntoView {
    super::set_title("Sign in");
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let next = memo(move || super::safe_next(query.read().get("next")));
    let expired = session.take_expired();

    // Signed in already, or just now: leave for the wanted page.
    effect({
        let navigate = navigate.clone();
        move |_| {
            if session.phase() == Phase::SignedIn {
                navigate(
                    &next.get_untracked(),
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            }
        }
    });

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let sign_in = submission(
        errors,
        &["email", "password"],
        |request: LoginRequest| async move { api::login(&request).await },
        // The effect above navigates once the session is set.
        move |response| api::start_session(session, response),
    );
    let busy = sign_in.pending();
    if expired {
        errors.set_general("Your session has ended. Sign in again to continue.");
    }

    let submit = move || {
        errors.clear();
        let mut ok = errors.check("email", validate::email(&email.get_untracked()));
        if password.with_untracked(String::is_empty) {
            errors.set("password", "Enter your password.");
            ok = false;
        }
        if !ok {
            return;
        }
        let request = LoginRequest {
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        sign_in.dispatch_local(request);
    };

    view! {
        <AuthCard page="login">
            <AuthHeader title="Sign in to Pulse" lede="Welcome back." />
            <AuthForm errors=errors busy=busy on_submit=submit label="Sign in">
                <FormField
                    id="login-email"
                    name="email"
                    label="E-mail address"
                    input_type="email"
                    autocomplete="username"
                    value=email
                    error=errors.of("email")
                    required=true
                    autofocus=true
                />
                <FormField
                    id="login-password"
                    name="password"
                    label="Password"
                    input_type="password"
                    autocomplete="current-password"
                    value=password
                    error=errors.of("password")
                    required=true
                />
            </AuthForm>
            <p class="auth-switch">
                <A href="/forgot" {..} data-testid="forgot-password">"Forgot your password?"</A>
            </p>
            <AuthSwitch prompt="New to Pulse? " href="/signup" link="Create a company" />
        </AuthCard>
    }
}
