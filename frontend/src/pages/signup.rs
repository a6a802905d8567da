//! Sign up (`/signup`): a link goes to the address; opening it (`/verify#<token>`)
//! creates the company and its owner and signs in. The token travels in the URL
//! fragment, so it never reaches server logs or the `Referer` header.

use leptos::prelude::*;
use pulse_shared::auth::{SignupPending, SignupRequest};
use pulse_shared::validate;

use crate::api;
use crate::components::{AuthCard, AuthForm, AuthHeader, AuthSwitch, FormField, FormMessage};
use crate::forms::{FormErrors, submission};

/// The longest company or person name (the server's limit).
const MAX_NAME: usize = 120;

/// The signup form: company name, your name, e-mail and password; then where the link
/// went.
#[component]
pub fn Signup() -> impl IntoView {
    super::set_title("Create a company");
    let company_name = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let sent = RwSignal::new(None::<SignupPending>);
    let sign_up = submission(
        errors,
        &["company_name", "name", "email", "password"],
        |request: SignupRequest| async move { api::signup(&request).await },
        move |pending| sent.set(Some(pending)),
    );
    let busy = sign_up.pending();

    let send_link = move || {
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
        sign_up.dispatch_local(request);
    };
    let sent_to = move || sent.with(|sent| sent.as_ref().map(|s| s.email.clone()));

    view! {
        <AuthCard page="signup">
            <AuthHeader title="Create your company" lede="You will be its owner; invite your team next." />
            <Show
                when=move || sent.with(Option::is_some)
                fallback=move || {
                    view! {
                        <AuthForm errors=errors busy=busy on_submit=send_link label="Create company">
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
                        </AuthForm>
                    }
                }
            >
                <div class="form" data-testid="signup-sent">
                    <FormMessage error=errors.general() />
                    <p class="form-message form-message-success" role="status">
                        "We sent a link to " <strong>{sent_to}</strong>
                        ". Open it within 24 hours to confirm the address and create "
                        <strong>{move || company_name.get()}</strong> "."
                    </p>
                    <p class="page-lede">
                        "Nothing is created until then. No e-mail? Check the spam folder, or "
                        <button
                            type="button"
                            class="btn-link"
                            data-testid="signup-resend"
                            on:click=move |_| send_link()
                        >
                            "send it again"
                        </button>
                        "."
                    </p>
                </div>
            </Show>
            <AuthSwitch prompt="Already use Pulse? " href="/login" link="Sign in" />
        </AuthCard>
    }
}

/// Opens a sign-up link: one click creates the company and signs its owner in. (A click,
/// not on load: mail scanners that open links must not use them up.)
#[component]
pub fn VerifySignup() -> impl IntoView {
    super::set_title("Confirm your address");
    let errors = FormErrors::new();
    let token = super::link_secret(errors);
    let verify = super::link_submission(
        errors,
        &[],
        Some(
            "This link no longer works: it was used already, or is over 24 hours old. Sign in if you used it, or sign up again.",
        ),
        |token: String| async move { api::verify_signup(&token).await },
        |response| format!("Welcome to Pulse, {}!", response.me.company.name),
    );
    let busy = verify.pending();

    let submit = move || {
        if token.with_value(String::is_empty) {
            return;
        }
        errors.clear();
        verify.dispatch_local(token.get_value());
    };

    view! {
        <AuthCard page="verify">
            <AuthHeader
                title="Confirm your address"
                lede="Your address is proven by this link. Create the company to start; you will be its owner."
            />
            <AuthForm errors=errors busy=busy on_submit=submit label="Create my company" />
            <AuthSwitch prompt="Already used it? " href="/login" link="Sign in" />
        </AuthCard>
    }
}
