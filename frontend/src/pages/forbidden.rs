//! Forbidden: what a signed-in person sees on a page their role may not use.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::session::use_session;

/// Says the page is not available for the person's role and leads back to the overview.
#[component]
pub fn Forbidden() -> impl IntoView {
    super::set_title("Not available");
    let session = use_session();
    let role = move || {
        session
            .role()
            .map(|role| role.label().to_ascii_lowercase())
            .unwrap_or_default()
    };
    view! {
        <div class="page page-center" data-page="forbidden">
            <div class="not-found">
                <svg class="forbidden-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <rect x="5" y="11" width="14" height="9" rx="2" />
                    <path d="M8 11V8a4 4 0 0 1 8 0v3" />
                </svg>
                <h1 class="page-title">"Not available for your role"</h1>
                <p class="page-lede">
                    "This page is not available to you as " {move || with_article(&role())}
                    ". If you need it, ask an owner or admin of your company."
                </p>
                <A href="/" attr:class="btn btn-primary">
                    "Back to Overview"
                </A>
            </div>
        </div>
    }
}

/// `employee` → `an employee`, `manager` → `a manager`.
fn with_article(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}
