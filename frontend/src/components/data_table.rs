//! `DataTable`: a styled `<table>` with column headings and an empty-state slot.

use leptos::prelude::*;

/// What the table says instead of rows when there are none.
#[slot]
pub struct Empty {
    children: ChildrenFn,
}

/// A table whose rows are the children (`<tr>`s). When `is_empty` is true the [`Empty`]
/// slot is shown in a full-width row. Attributes spread with `{..}` land on the `<table>`;
/// put the table in a flush [`Card`](super::Card) inside a `.table-scroll` so it can scroll
/// sideways on phones, or also `.table-stack` so that its rows become blocks when narrow
/// (the table's own class then lays them out: see `.table-stack` in `main.css`).
#[component]
pub fn DataTable(
    /// The column headings, left to right.
    #[prop(into)]
    columns: Vec<&'static str>,
    /// Whether there are no rows to show.
    #[prop(into)]
    is_empty: Signal<bool>,
    /// The empty state.
    empty: Empty,
    children: Children,
) -> impl IntoView {
    let span = columns.len().to_string();
    view! {
        <table class="table">
            <thead>
                <tr>
                    {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {children()}
                <Show when=move || is_empty.get()>
                    <tr class="table-empty">
                        <td colspan=span.clone()>{(empty.children)()}</td>
                    </tr>
                </Show>
            </tbody>
        </table>
    }
}
