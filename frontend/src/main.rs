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
    // (Not Leptos's `spawn_local`: its executor starts with the mount.)
    wasm_bindgen_futures::spawn_local(async {
        // In a task of its own, after the one that compiled and started the WASM: on a
        // phone each is a shorter wait before the page answers a tap than both in one.
        browser::next_task().await;
        api::sign_in_known(SIGN_IN_WAIT).await;
        leptos::mount::mount_to_body(app::App);
    });
}

/// How long the app waits at most to know who is signed in before it draws.
const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_millis(250);
