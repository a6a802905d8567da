//! The Pulse web app: a Leptos single-page app compiled to WASM, split into a core and
//! a chunk per section by `cargo xtask` (see `sections`).

mod alert_bell;
mod api;
mod app;
mod billing_watch;
mod browser;
mod charts;
mod components;
mod cursor_list;
mod days;
mod first_page;
mod format;
mod forms;
mod live_alerts;
mod pages;
mod reactive;
mod sections;
mod session;
mod sort;
mod theme;
#[cfg(test)]
mod tidy;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        browser::show_stopped();
    }));
    leptos::mount::mount_to_body(app::App);
    first_page::watch();
}
