//! The app shell: routes, the guards in front of signed-in pages, and the layout around
//! them (sidebar on desktop, top bar on phones).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;
use pulse_shared::access::Action;
use pulse_shared::people::Role;

use crate::alert_bell::AlertBell;
use crate::api;
use crate::billing_watch::{BillingBanner, BillingWatchProvider};
use crate::components::{Button, ButtonVariant, Card, Skeleton, ToastProvider, use_toasts};
use crate::format;
use crate::live_alerts::LiveAlertsProvider;
use crate::pages::heading::{self, PageHeading};
use crate::pages::{Forbidden, Login, NotFound, Overview};
use crate::reactive::{effect, memo};
use crate::sections;
use crate::session::{Phase, SessionProvider, use_session};
use crate::theme::{self, Theme};

/// The root component: toasts, the session, the router, the shell and the routes.
/// Any path without a route renders [`NotFound`] (the server falls back to `index.html`).
///
/// Overview, System status and the sign-in pages are open to everyone; the other pages
/// sit behind [`Gate`], which sends signed-out visitors to `/login?next=<page>`.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <ToastProvider>
            <SessionProvider>
                <LiveAlertsProvider>
                <BillingWatchProvider>
                <Router>
                    <Shell>
                        <Routes fallback=|| view! { <NotFound /> }>
                            <Route path=path!("/") view=Overview />
                            <Route path=path!("/login") view=Login />
                            // The other sections load on first visit (see `sections`).
                            <Route path=path!("/status") view=sections::status::ROUTE />
                            <Route path=path!("/signup") view=sections::signup::ROUTE />
                            <Route path=path!("/verify") view=sections::verify::ROUTE />
                            <Route path=path!("/join") view=sections::join::ROUTE />
                            <Route path=path!("/forgot") view=sections::forgot::ROUTE />
                            <Route path=path!("/reset") view=sections::reset::ROUTE />
                            <Route path=path!("/alerts") view=sections::alerts::ROUTE />
                            <Route path=path!("/agents") view=sections::agents::ROUTE />
                            <Route path=path!("/sessions") view=sections::sessions::ROUTE />
                            <Route path=path!("/screenshots") view=sections::screenshots::ROUTE />
                            <Route path=path!("/reports") view=sections::reports::ROUTE />
                            <Route path=path!("/people") view=sections::people::ROUTE />
                            <Route path=path!("/teams") view=sections::teams::ROUTE />
                            <Route path=path!("/policies") view=sections::policies::ROUTE />
                            <Route path=path!("/settings/categories") view=sections::categories::ROUTE />
                            <Route path=path!("/api-keys") view=sections::api_keys::ROUTE />
                            <Route path=path!("/webhooks") view=sections::webhooks::ROUTE />
                            <Route path=path!("/audit") view=sections::audit::ROUTE />
                            <Route path=path!("/billing") view=sections::billing::ROUTE />
                            <Route path=path!("/billing/invoices") view=sections::invoices::ROUTE />
                            <Route path=path!("/billing/invoices/:id") view=sections::invoice::ROUTE />
                            <Route path=path!("/account") view=sections::account::ROUTE />
                        </Routes>
                    </Shell>
                </Router>
                </BillingWatchProvider>
                </LiveAlertsProvider>
            </SessionProvider>
        </ToastProvider>
    }
}

/// Shows `children` to signed-in people whose role may do `needs` for others than
/// themself (with `own`, also for themself only); sends signed-out visitors to the
/// sign-in page (which brings them back) and tells everyone else the page is not for
/// their role.
#[component]
pub fn Gate(
    #[prop(optional)] needs: Option<Action>,
    /// Pages that show a person their own records too (their computers, their time).
    #[prop(optional)]
    own: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // Memos, so that renewing the token does not rebuild the page.
    let phase = memo(move || session.phase());
    let allowed = memo(move || {
        needs.is_none_or(|action| {
            if own {
                session.may(action)
            } else {
                session.reaches_others(action)
            }
        })
    });
    move || match phase.get() {
        Phase::Restoring => loading_page().into_any(),
        Phase::SignedOut => {
            let wanted =
                untrack(|| format!("{}{}", location.pathname.get(), location.search.get()));
            let path = format!("/login?next={}", js_sys::encode_uri_component(&wanted));
            view! { <Redirect path=path options=NavigateOptions { replace: true, ..Default::default() } /> }
                .into_any()
        }
        Phase::SignedIn if allowed.get() => children().into_any(),
        Phase::SignedIn => view! { <Forbidden /> }.into_any(),
    }
}

/// What a signed-in page shows while the app asks the server whether the session holds,
/// and any page the app opens on while its code arrives (`sections::opening`): the
/// page's heading when the core knows it ([`heading::of`]), and a placeholder for the rest.
fn loading_page() -> impl IntoView {
    let heading = heading::of(&use_location().pathname.get_untracked());
    view! {
        <div class="page" data-page="loading">
            {heading.map(|heading| {
                view! {
                    <header class="page-header">
                        <PageHeading heading />
                    </header>
                }
            })}
            <Card title="Loading">
                <Skeleton lines=4 />
            </Card>
        </div>
    }
}

/// Navigation plus the page. On phones the navigation folds behind the menu button.
#[component]
fn Shell(children: Children) -> impl IntoView {
    let session = use_session();
    let menu_open = RwSignal::new(false);
    // Close the phone menu once a link was followed.
    let pathname = use_location().pathname;
    // "Skip to content", and a new page that took the focused control away, give the
    // focus to the page itself, past the navigation.
    let main = NodeRef::<leptos::html::Main>::new();
    let focus_main = move || {
        if let Some(main) = main.get_untracked() {
            let _ = main.focus();
        }
    };
    // Read the memo with `.get()`: with only `.track()` the effect was not re-run on navigation.
    Effect::watch(
        move || pathname.get(),
        move |_, _, _| {
            menu_open.set(false);
            // A form sent (signing in) or a link followed inside the page leaves the focus
            // on nothing, and Tab would start over from the top: the new page takes it.
            request_animation_frame(move || {
                let lost = document()
                    .active_element()
                    .is_none_or(|active| active.tag_name().eq_ignore_ascii_case("body"));
                if lost {
                    focus_main();
                }
            });
        },
        false,
    );
    let close_on_escape = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" && menu_open.get_untracked() {
            menu_open.set(false);
        }
    };
    let role = memo(move || session.role());
    let signed_in = memo(move || session.phase() == Phase::SignedIn);

    // The page draws in a task after the shell's, for the same reason the app mounts in
    // a task of its own (`main`).
    let page = StoredValue::new_local(Some(children));
    let page_due = RwSignal::new(false);
    set_timeout(
        move || {
            page_due.set(true);
            crate::first_page::watch();
        },
        std::time::Duration::ZERO,
    );
    let page = move || {
        page_due
            .get()
            .then(|| page.try_update_value(Option::take).flatten())
            .flatten()
            // Untracked: only `page_due` may run this again (it would take nothing).
            .map(untrack)
    };

    let skip_to_content = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        focus_main();
    };

    view! {
        <div class="shell" on:keydown=close_on_escape>
            <a class="skip-link" href="#main" on:click=skip_to_content>
                "Skip to content"
            </a>
            <header class="sidebar" class:menu-open=move || menu_open.get()>
                <div class="sidebar-head">
                    <A href="/" attr:class="brand" {..} aria-label="Pulse, go to Overview">
                        <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M3 12h4l2.5-6 5 12 2.5-6h4" />
                        </svg>
                        <span class="brand-name">"Pulse"</span>
                    </A>
                    <div class="sidebar-tools">
                        <Show when=move || signed_in.get()>
                            <AlertBell on_open=Callback::new(move |()| menu_open.set(false)) />
                        </Show>
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
                <div class="sidebar-panel" id="primary-nav">
                    <nav class="nav" aria-label="Main">
                        {move || nav_links(role.get())}
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
                    <SidebarFooter />
                </div>
            </header>
            <main id="main" class="content" tabindex="-1" node_ref=main>
                <BillingBanner />
                <Show when=sections::opening>{loading_page()}</Show>
                {page}
            </main>
        </div>
    }
}

/// One navigation link: where it goes, its `data-nav` name, its label and icon path.
struct NavItem {
    href: &'static str,
    name: &'static str,
    label: &'static str,
    icon: &'static str,
}

const OVERVIEW: NavItem = NavItem {
    href: "/",
    name: "overview",
    label: "Overview",
    icon: "M4 13h6V4H4zM14 20h6v-9h-6zM4 20h6v-3H4zM14 7h6V4h-6z",
};
const ALERTS: NavItem = NavItem {
    href: "/alerts",
    name: "alerts",
    label: "Alerts",
    icon: "M6 9a6 6 0 1 1 12 0c0 6 2.5 8 2.5 8h-17S6 15 6 9zM10 20.5a2.2 2.2 0 0 0 4 0",
};
const AGENTS: NavItem = NavItem {
    href: "/agents",
    name: "agents",
    label: "Agents",
    icon: "M3 5h18v11H3zM8 20h8M12 16v4M7 10.5l2.5 2 4-4.5",
};
const SESSIONS: NavItem = NavItem {
    href: "/sessions",
    name: "sessions",
    label: "Sessions",
    icon: "M12 21a9 9 0 1 0 0-18a9 9 0 0 0 0 18zM12 7v5l3 2",
};
const SCREENSHOTS: NavItem = NavItem {
    href: "/screenshots",
    name: "screenshots",
    label: "Screenshots",
    icon: "M3 6h18v13H3zM3 15l5-5 4 4 3-3 6 6M15.5 9.5h.01",
};
const REPORTS: NavItem = NavItem {
    href: "/reports",
    name: "reports",
    label: "Reports",
    icon: "M4 20h16M7 16v-5M12 16V5M17 16V9",
};
const POLICIES: NavItem = NavItem {
    href: "/policies",
    name: "policies",
    label: "Policies",
    icon: "M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6zM9 12l2 2 4-4",
};
const CATEGORIES: NavItem = NavItem {
    href: "/settings/categories",
    name: "categories",
    label: "Categories",
    icon: "M3 12V4h8l10 10-8 8zM7.5 7.5h.01",
};
const PEOPLE: NavItem = NavItem {
    href: "/people",
    name: "people",
    label: "Employees",
    icon: "M9 11a3.5 3.5 0 1 0 0-7a3.5 3.5 0 0 0 0 7zM2.5 20a6.5 6.5 0 0 1 13 0M16 4.5a3.5 3.5 0 0 1 0 6.5M18 14.5a6.5 6.5 0 0 1 3.5 5.5",
};
const TEAMS: NavItem = NavItem {
    href: "/teams",
    name: "teams",
    label: "Teams",
    icon: "M4 6h16v4H4zM4 14h7v4H4zM14 14h6v4h-6zM12 10v4M7.5 12h9",
};
const API_KEYS: NavItem = NavItem {
    href: "/api-keys",
    name: "api-keys",
    label: "API keys",
    icon: "M14.5 9.5a4 4 0 1 0-3.2 3.9L13 15h2v2h2v2h3v-3l-5.6-5.6a4 4 0 0 0 .1-.9zM7.5 9.5h.01",
};
const WEBHOOKS: NavItem = NavItem {
    href: "/webhooks",
    name: "webhooks",
    label: "Webhooks",
    icon: "M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1.2 1.2M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1.2-1.2",
};
const AUDIT: NavItem = NavItem {
    href: "/audit",
    name: "audit",
    label: "Audit log",
    icon: "M7 3h8l4 4v14H7zM15 3v4h4M10 12h6M10 16h6",
};
const BILLING: NavItem = NavItem {
    href: "/billing",
    name: "billing",
    label: "Billing",
    icon: "M3 6h18v12H3zM3 10h18M7 15h4",
};
const STATUS: NavItem = NavItem {
    href: "/status",
    name: "status",
    label: "System status",
    icon: "M3 12h4l3 7 4-14 3 7h4",
};

/// The pages the signed-in role may use (the permission table decides), or the public
/// pages for visitors.
fn nav_links(role: Option<Role>) -> impl IntoView {
    use pulse_shared::access::{Reach, access, allows};
    let items: Vec<&NavItem> = match role {
        None => vec![&OVERVIEW, &STATUS],
        Some(role) => {
            let beyond_self = |action| access(role, action) >= Reach::Teams;
            let mut items = vec![&OVERVIEW];
            if allows(role, Action::ReadAlerts) {
                items.push(&ALERTS);
            }
            if allows(role, Action::ReadAgents) {
                items.push(&AGENTS);
            }
            if allows(role, Action::ReadActivity) {
                items.push(&SESSIONS);
                items.push(&SCREENSHOTS);
                items.push(&REPORTS);
            }
            if beyond_self(Action::ReadPeople) {
                items.push(&PEOPLE);
            }
            if beyond_self(Action::ReadTeams) {
                items.push(&TEAMS);
            }
            if beyond_self(Action::ManagePolicies) {
                items.push(&POLICIES);
            }
            if beyond_self(Action::ReadCategoryRules) {
                items.push(&CATEGORIES);
            }
            if beyond_self(Action::ManageApiKeys) {
                items.push(&API_KEYS);
            }
            if beyond_self(Action::ManageWebhooks) {
                items.push(&WEBHOOKS);
            }
            if beyond_self(Action::ReadAudit) {
                items.push(&AUDIT);
            }
            if beyond_self(Action::ManageBilling) {
                items.push(&BILLING);
            }
            if matches!(role, Role::Owner | Role::Admin) {
                items.push(&STATUS);
            }
            items
        }
    };
    items
        .into_iter()
        .map(|item| {
            view! {
                <A href=item.href exact={true} {..} class="nav-link" data-nav=item.name>
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d=item.icon />
                    </svg>
                    {item.label}
                </A>
            }
        })
        .collect_view()
}

/// Who is signed in (a link to their account) and "Sign out"; for visitors, "Sign in"
/// and "Create a company".
#[component]
fn SidebarFooter() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let me = memo(move || session.me());
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            api::end_session(session).await;
            navigate("/login", NavigateOptions::default());
            toasts.info("You are signed out.");
        });
    };
    let sign_out = Callback::new(sign_out);
    move || match me.get() {
        Some(me) => {
            let initials = format::initials(&me.user.name);
            let meta = format!("{} · {}", me.user.role.label(), me.company.name);
            view! {
                <div class="sidebar-footer">
                    <A href="/account" {..} class="user-menu" data-testid="user-menu" data-nav="account" title="Your account">
                        <span class="avatar" aria-hidden="true">{initials}</span>
                        <span class="user-text">
                            <span class="user-name">{me.user.name.clone()}</span>
                            <span class="user-meta">{meta}</span>
                        </span>
                    </A>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |event| sign_out.run(event)
                        {..}
                        class:btn-icon=true
                        data-testid="sign-out"
                        aria-label="Sign out"
                        title="Sign out"
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10" />
                        </svg>
                    </Button>
                </div>
            }
            .into_any()
        }
        None if session.phase() == Phase::Restoring => ().into_any(),
        None => view! {
            <div class="sidebar-footer sidebar-footer-visitor">
                <A href="/login" attr:class="btn btn-secondary" {..} data-nav="login">
                    "Sign in"
                </A>
                <A href="/signup" attr:class="btn btn-primary" {..} data-nav="signup">
                    "Create a company"
                </A>
            </div>
        }
        .into_any(),
    }
}

/// Cycles the colour theme system → light → dark and says which one is active.
#[component]
fn ThemeToggle() -> impl IntoView {
    let toasts = use_toasts();
    let current = RwSignal::new(theme::load());
    // Apply on start too: the stored choice may be "system", or storage may hold junk.
    effect(move |_| theme::apply(current.get()));
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
