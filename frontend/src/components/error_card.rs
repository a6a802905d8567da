//! `ErrorCard`: what a card shows when its data could not be loaded, with a way to retry.

use leptos::prelude::*;

use super::{Button, ButtonVariant, Card};
use crate::api::ApiError;

/// A card titled `title` that explains `error` in words, shows the request id when the
/// server gave one, and offers "Retry".
#[component]
pub fn ErrorCard(
    /// The card's heading, usually the name of what failed to load.
    #[prop(into)]
    title: String,
    /// What went wrong.
    error: ApiError,
    /// Called when the person asks to try again.
    on_retry: Callback<()>,
) -> impl IntoView {
    let request_id = error.request_id().map(str::to_owned);
    view! {
        <Card title=title>
            <div class="error-state" role="alert">
                <svg class="error-state-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <circle cx="12" cy="12" r="9" />
                    <path d="M12 7.5v5.5M12 16.5v.01" />
                </svg>
                <div class="error-state-text">
                    <p class="error-state-title">"Could not load this"</p>
                    <p class="error-state-message">{error.to_string()}</p>
                    {request_id
                        .map(|id| {
                            view! {
                                <p class="error-state-ref">
                                    "Request id " <code>{id}</code>
                                </p>
                            }
                        })}
                </div>
                <Button variant=ButtonVariant::Secondary on_click=move |_| on_retry.run(())>
                    "Retry"
                </Button>
            </div>
        </Card>
    }
}
