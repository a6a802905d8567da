//! New version: what a section shows when its code cannot be fetched, which happens when
//! Pulse was updated on the server since this tab opened.

use leptos::prelude::*;

use crate::components::Button;

/// Says a new version is available and offers to reload into it.
#[component]
pub fn NewVersion() -> impl IntoView {
    super::set_title("New version available");
    let reload = move |_| {
        let _ = window().location().reload();
    };
    view! {
        <div class="page page-center" data-page="new-version">
            <div class="not-found" role="alert">
                <h1 class="page-title">"A new version of Pulse is available"</h1>
                <p class="page-lede">
                    "This page could not be opened because Pulse was updated since you opened it. "
                    "Reload to use the new version; nothing you saved is lost."
                </p>
                <Button on_click={reload} {..} data-testid="reload">
                    "Reload"
                </Button>
            </div>
        </div>
    }
}
