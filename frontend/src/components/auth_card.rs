//! The signed-out pages' frame: `AuthCard` (the centred card and its heading),
//! `AuthForm` (the form with its message and one wide submit button) and `AuthSwitch`
//! (the line that leads to another signed-out page).

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Button, FormMessage};
use crate::forms::FormErrors;

/// A page of its own with one card: sign in, sign up, reset, join, verify.
#[component]
pub fn AuthCard(
    /// The page's `data-page` (browser tests find pages by it).
    page: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="page page-auth" data-page=page>
            <div class="auth-card card">{children()}</div>
        </div>
    }
}

/// The heading of an [`AuthCard`]: the title and, below it, a line of lede.
#[component]
pub fn AuthHeader(
    /// The `<h1>`.
    title: &'static str,
    /// A line under the title.
    #[prop(optional)]
    lede: Option<&'static str>,
) -> impl IntoView {
    view! {
        <header class="auth-header">
            <h1 class="page-title">{title}</h1>
            {lede.map(|lede| view! { <p class="page-lede">{lede}</p> })}
        </header>
    }
}

/// The form of a signed-out page: what failed above it, the fields, and one wide submit
/// button spinning while `busy`. Submitting runs `on_submit`, unless a submission is
/// under way.
#[component]
pub fn AuthForm(
    /// The form's errors; what no field shows stands above the fields.
    errors: FormErrors,
    /// True while the submission is under way.
    #[prop(into)]
    busy: Signal<bool>,
    /// Checks the fields and sends them.
    on_submit: impl Fn() + 'static,
    /// The submit button's label.
    label: &'static str,
    /// The fields.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        on_submit();
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <FormMessage error=errors.general() />
            {children.map(|children| children())}
            <Button submit=true loading={busy} {..} class:btn-block=true>
                {label}
            </Button>
        </form>
    }
}

/// "Already use Pulse? Sign in": a prompt and a link to another signed-out page.
#[component]
pub fn AuthSwitch(
    /// The words before the link, with their trailing space.
    prompt: &'static str,
    href: &'static str,
    /// The link's text.
    link: &'static str,
) -> impl IntoView {
    view! {
        <p class="auth-switch">
            {prompt} <A href=href>{link}</A>
        </p>
    }
}
