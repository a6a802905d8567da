//! Not found: the router's fallback for any path without a page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// Says which path has no page and leads back to the overview.
#[component]
pub fn NotFound() -> impl IntoView {
    super::set_title("Page not found");
    let path = use_location().pathname;
    view! {
        <div class="page page-center" data-page="not-found">
            <div class="not-found">
                <p class="not-found-code" aria-hidden="true">"404"</p>
                <h1 class="page-title">"Page not found"</h1>
                <p class="page-lede">
                    "There is no page at " <code class="path">{move || path.get()}</code> "."
                </p>
                <A href="/" attr:class="btn btn-primary">
                    "Back to Overview"
                </A>
            </div>
        </div>
    }
}
