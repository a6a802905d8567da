//! Sign up (`/signup`): a new company and its owner, signed in at once.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use pulse_shared::auth::SignupRequest;
use pulse_shared::validate;

use crate::api;
use crate::components::{Button, FormField, FormMessage, use_toasts};
use crate::forms::FormErrors;
use crate::session::use_session;

/// The longest company or person name (the server's limit).
const MAX_NAME: usize = 120;

/// The signup form: company name, your name, e-mail and password.
#[component]
pub fn Signup() -> impl IntoView {
    super::set_title("Create a company");
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let company_name = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let checks = [
            errors.check(
                "company_name",
                validate::name(&company_name.get_untracked(), MAX_NAME),
            ),
            errors.check("name", validate::name(&name.get_untracked(), MAX_NAME)),
            errors.check("email", validate::email(&email.get_untracked())),
            errors.check("password", validate::password(&password.get_untracked())),
        ];
        if checks.contains(&false) {
            return;
        }
        let request = SignupRequest {
            company_name: company_name.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::signup(&request).await {
                Ok(response) => {
                    let company = response.me.company.name.clone();
                    api::start_session(session, response);
                    toasts.success(format!("Welcome to Pulse, {company}!"));
                    navigate("/", NavigateOptions::default());
                }
                Err(error) => errors.show(&error, &["company_name", "name", "email", "password"]),
            }
            busy.set(false);
        });
    };

    view! {
        <div class="page page-auth" data-page="signup">
            <div class="auth-card card">
                <header class="auth-header">
                    <h1 class="page-title">"Create your company"</h1>
                    <p class="page-lede">"You will be its owner; invite your team next."</p>
                </header>
                <form class="form" on:submit=submit novalidate=true>
                    <FormMessage error=errors.general() />
                    <FormField
                        id="signup-company"
                        name="company_name"
                        label="Company name"
                        autocomplete="organization"
                        value=company_name
                        error=errors.of("company_name")
                        required=true
                        autofocus=true
                    />
                    <FormField
                        id="signup-name"
                        name="name"
                        label="Your name"
                        autocomplete="name"
                        value=name
                        error=errors.of("name")
                        required=true
                    />
                    <FormField
                        id="signup-email"
                        name="email"
                        label="Work e-mail address"
                        input_type="email"
                        autocomplete="username"
                        value=email
                        error=errors.of("email")
                        required=true
                    />
                    <FormField
                        id="signup-password"
                        name="password"
                        label="Password"
                        input_type="password"
                        autocomplete="new-password"
                        hint="At least 10 characters."
                        value=password
                        error=errors.of("password")
                        required=true
                    />
                    <Button submit=true loading={busy} {..} class:btn-block=true>
                        "Create company"
                    </Button>
                </form>
                <p class="auth-switch">
                    "Already use Pulse? " <A href="/login">"Sign in"</A>
                </p>
            </div>
        </div>
    }
}
