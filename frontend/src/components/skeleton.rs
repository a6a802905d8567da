//! `Skeleton`: grey shimmering shapes that hold the place of content still loading.

use leptos::prelude::*;

/// A loading placeholder: `lines` text lines (the last one shorter), or one block when
/// `block` is set. Screen readers hear "Loading…" once instead of the shapes.
#[component]
pub fn Skeleton(
    /// How many text lines to draw.
    #[prop(default = 3)]
    lines: usize,
    /// Draw one block (the size of a card's content) instead of lines.
    #[prop(optional)]
    block: bool,
) -> impl IntoView {
    let shapes = if block {
        view! { <span class="skeleton skeleton-block"></span> }.into_any()
    } else {
        (0..lines)
            .map(|_| view! { <span class="skeleton skeleton-line"></span> })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="skeleton-group" aria-busy="true">
            <span class="visually-hidden">"Loading…"</span>
            <div class="skeleton-shapes" aria-hidden="true">{shapes}</div>
        </div>
    }
}
