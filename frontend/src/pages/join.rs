//! Join (`/join#<token>`): accept an invitation with a name and a password. The token
//! travels in the URL fragment, so it never reaches server logs or the `Referer` header.

use leptos::prelude::*;
use pulse_shared::people::{AcceptInvitationRequest, InvitationPreview};
use pulse_shared::validate;

use crate::api::{self, ApiError};
use crate::browser;
use crate::components::{
    AuthCard, AuthForm, AuthHeader, AuthSwitch, Badge, BadgeTone, FormField, Skeleton,
};
use crate::forms::FormErrors;

/// The longest person name (the server's limit).
const MAX_NAME: usize = 120;

/// Looks the invitation up, shows which company and role it is for, and joins.
#[component]
pub fn Join() -> impl IntoView {
    super::set_title("Join your team");
    let token = StoredValue::new(browser::location_hash());
    let preview = LocalResource::new(move || async move {
        let token = token.get_value();
        if token.is_empty() {
            return Err(None);
        }
        api::invitation_lookup(&token).await.map_err(Some)
    });

    view! {
        <AuthCard page="join">
            <Suspense fallback=|| {
                view! {
                    <AuthHeader title="Join your team" />
                    <Skeleton lines=4 />
                }
            }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(preview) => {
                            view! { <JoinForm preview=preview token=token.get_value() /> }.into_any()
                        }
                        Err(error) => invalid_link(error).into_any(),
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// What the page says when the link is incomplete, used, expired or revoked.
fn invalid_link(error: Option<ApiError>) -> impl IntoView {
    let message = match &error {
        None => "This link is incomplete. Open the whole link from your invitation.".to_owned(),
        Some(error) if matches!(error.status(), Some(404 | 410)) => {
            "This invitation is no longer valid: it may have been used, revoked or have expired. Ask the person who invited you for a new link.".to_owned()
        }
        Some(error) => error.to_string(),
    };
    view! {
        <AuthHeader title="This invitation cannot be used" />
        <p class="form-message" role="alert">
            {message}
        </p>
        <AuthSwitch prompt="Already have an account? " href="/login" link="Sign in" />
    }
}

/// The company, e-mail and role of the invitation, and the name + password form.
#[component]
fn JoinForm(preview: InvitationPreview, token: String) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let token = StoredValue::new(token);
    let join = super::link_submission(
        errors,
        &["name", "password"],
        None,
        |request: AcceptInvitationRequest| async move { api::accept_invitation(&request).await },
        |response| format!("Welcome to {}!", response.me.company.name),
    );
    let busy = join.pending();
    let company = preview.company_name.clone();

    let submit = move || {
        errors.clear();
        let checks = [
            errors.check("name", validate::name(&name.get_untracked(), MAX_NAME)),
            errors.check("password", validate::password(&password.get_untracked())),
        ];
        if checks.contains(&false) {
            return;
        }
        let request = AcceptInvitationRequest {
            token: token.get_value(),
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        join.dispatch_local(request);
    };

    view! {
        <header class="auth-header">
            <h1 class="page-title">"Join " {company}</h1>
            <p class="page-lede">"Choose your name and a password to finish."</p>
        </header>
        <dl class="facts invitation-facts" data-testid="invitation">
            <div class="fact">
                <dt>"Company"</dt>
                <dd class="fact-value">{preview.company_name}</dd>
            </div>
            <div class="fact">
                <dt>"E-mail address"</dt>
                <dd class="fact-value">{preview.email}</dd>
            </div>
            <div class="fact">
                <dt>"Role"</dt>
                <dd>
                    <Badge tone=BadgeTone::Info>{preview.role.label()}</Badge>
                </dd>
            </div>
        </dl>
        <AuthForm errors=errors busy=busy on_submit=submit label="Join">
            <FormField
                id="join-name"
                name="name"
                label="Your name"
                autocomplete="name"
                value=name
                error=errors.of("name")
                required=true
                autofocus=true
            />
            <FormField
                id="join-password"
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
