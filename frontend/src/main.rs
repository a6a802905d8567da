//! The Pulse web app: a Leptos single-page app compiled to WASM by trunk.

mod alert_bell;
mod api;
mod app;
mod billing_watch;
mod browser;
mod charts;
mod components;
mod cursor_list;
mod days;
mod format;
mod forms;
mod live_alerts;
mod pages;
mod session;
mod theme;
#[cfg(test)]
mod tidy;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
