//! `Card`: a titled surface with optional header actions; the building block of every page.

use leptos::prelude::*;

/// Controls shown at the right of a card's header (buttons, badges, a filter).
#[slot]
pub struct CardActions {
    children: ChildrenFn,
}

/// A `<section>` with an `<h2>` title and a body. Attributes spread with `{..}`
/// (e.g. `data-component`) land on the `<section>`.
#[component]
pub fn Card(
    /// The heading of the card.
    #[prop(into)]
    title: String,
    /// A short line under the title.
    #[prop(optional, into)]
    subtitle: Option<String>,
    /// Header controls.
    #[prop(optional)]
    card_actions: Option<CardActions>,
    /// Drops the body padding, for content that brings its own (tables).
    #[prop(optional)]
    flush: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="card">
            <header class="card-header">
                <div class="card-heading">
                    <h2 class="card-title">{title}</h2>
                    {subtitle.map(|subtitle| view! { <p class="card-subtitle">{subtitle}</p> })}
                </div>
                {card_actions
                    .map(|actions| view! { <div class="card-actions">{(actions.children)()}</div> })}
            </header>
            <div class="card-body" class:card-body-flush=flush>
                {children()}
            </div>
        </section>
    }
}
