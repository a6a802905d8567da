//! The app shell: routes, and the layout around them (sidebar on desktop, top bar on phones).

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::components::{Button, ButtonVariant, ToastProvider, use_toasts};
use crate::pages::{NotFound, Overview, Status};
use crate::theme::{self, Theme};

/// The root component: toasts, the router, the shell and the routes.
/// Any path without a route renders [`NotFound`] (the server falls back to `index.html`).
#[component]
pub fn App() -> impl IntoView {
    view! {
        <ToastProvider>
            <Router>
                <Shell>
                    <Routes fallback=|| view! { <NotFound /> }>
                        <Route path=path!("/") view=Overview />
                        <Route path=path!("/status") view=Status />
                    </Routes>
                </Shell>
            </Router>
        </ToastProvider>
    }
}

/// Navigation plus the page. On phones the navigation folds behind the menu button.
#[component]
fn Shell(children: Children) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    // Close the phone menu once a link was followed.
    let pathname = use_location().pathname;
    // Read the memo with `.get()`: with only `.track()` the effect was not re-run on navigation.
    Effect::watch(
        move || pathname.get(),
        move |_, _, _| menu_open.set(false),
        false,
    );
    let close_on_escape = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" && menu_open.get_untracked() {
            menu_open.set(false);
        }
    };

    view! {
        <div class="shell" on:keydown=close_on_escape>
            <header class="sidebar" class:menu-open=move || menu_open.get()>
                <div class="sidebar-head">
                    <A href="/" attr:class="brand" {..} aria-label="Pulse, go to Overview">
                        <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M3 12h4l2.5-6 5 12 2.5-6h4" />
                        </svg>
                        <span class="brand-name">"Pulse"</span>
                    </A>
                    <div class="sidebar-tools">
                        <ThemeToggle />
                        <Button
                            variant=ButtonVariant::Ghost
                            on_click=move |_| menu_open.update(|open| *open = !*open)
                            {..}
                            class:btn-icon=true
                            class:menu-button=true
                            data-testid="menu-button"
                            aria-controls="primary-nav"
                            aria-expanded=move || menu_open.get().to_string()
                            aria-label=move || {
                                if menu_open.get() { "Close navigation" } else { "Open navigation" }
                            }
                        >
                            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                                <path d=move || {
                                    if menu_open.get() {
                                        "M6 6l12 12M18 6L6 18"
                                    } else {
                                        "M4 7h16M4 12h16M4 17h16"
                                    }
                                } />
                            </svg>
                        </Button>
                    </div>
                </div>
                <nav id="primary-nav" class="nav" aria-label="Main">
                    <A href="/" exact=true {..} class="nav-link" data-nav="overview">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M4 13h6V4H4zM14 20h6v-9h-6zM4 20h6v-3H4zM14 7h6V4h-6z" />
                        </svg>
                        "Overview"
                    </A>
                    <A href="/status" {..} class="nav-link" data-nav="status">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M3 12h4l3 7 4-14 3 7h4" />
                        </svg>
                        "System status"
                    </A>
                    <a href="/api/docs" rel="external" class="nav-link" data-nav="api-docs">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M8 7l-5 5 5 5M16 7l5 5-5 5" />
                        </svg>
                        "API docs"
                        <svg class="icon icon-trailing" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M14 5h5v5M19 5l-8 8M17 14v5H5V7h5" />
                        </svg>
                    </a>
                </nav>
            </header>
            <main id="main" class="content">
                {children()}
            </main>
        </div>
    }
}

/// Cycles the colour theme system → light → dark and says which one is active.
#[component]
fn ThemeToggle() -> impl IntoView {
    let toasts = use_toasts();
    let current = RwSignal::new(theme::load());
    // Apply on start too: the stored choice may be "system", or storage may hold junk.
    Effect::new(move || theme::apply(current.get()));
    let label = move || {
        let theme = current.get();
        format!(
            "Theme: {}. Switch to {}",
            theme.label(),
            theme.next().label()
        )
    };
    view! {
        <Button
            variant=ButtonVariant::Ghost
            on_click=move |_| {
                let next = current.get_untracked().next();
                current.set(next);
                toasts.info(format!("Theme: {}", next.label()));
            }
            {..}
            class:btn-icon=true
            data-testid="theme-toggle"
            data-theme-choice=move || current.get().as_str()
            aria-label=label
            title=label
        >
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d=move || icon_path(current.get()) />
            </svg>
        </Button>
    }
}

/// The icon of each theme: a monitor, a sun, a moon.
fn icon_path(theme: Theme) -> &'static str {
    match theme {
        Theme::System => "M4 5h16v11H4zM9 20h6M12 16v4",
        Theme::Light => {
            "M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
        }
        Theme::Dark => "M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z",
    }
}
