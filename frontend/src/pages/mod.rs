//! One module per page; `app.rs` maps each to its route.

mod not_found;
mod overview;
mod status;

pub use not_found::NotFound;
pub use overview::Overview;
pub use status::Status;

/// Sets the browser tab's title to `<page> · Pulse`.
fn set_title(page: &str) {
    leptos::prelude::document().set_title(&format!("{page} · Pulse"));
}
