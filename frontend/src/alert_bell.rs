//! The bell in the header: how many alerts are unread, and a menu of the newest ones
//! with "Mark all read" and a way to the Alerts page.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use pulse_shared::alerts::Alert;
use wasm_bindgen::JsCast;

use crate::browser;
use crate::components::{Badge, BadgeTone, use_toasts};
use crate::format;
use crate::forms::task;
use crate::live_alerts::use_live_alerts;
use crate::reactive::memo;

/// How many alerts the menu lists.
const SHOWN: usize = 8;

/// The text of the count on the bell: nothing at 0, `99+` above 99.
pub fn count_text(unread: i64) -> Option<String> {
    match unread {
        ..=0 => None,
        1..=99 => Some(unread.to_string()),
        _ => Some("99+".to_owned()),
    }
}

/// The words of the link from a fleet alert to its computers.
pub fn computers_link(count: u32) -> String {
    match count {
        1 => "See the computer".to_owned(),
        count => format!("See the {} computers", format::thousands(u64::from(count))),
    }
}

/// The bell button and its menu. The menu closes on Escape (focus returns to the bell),
/// on a click or tap outside, and when a link in it is followed. `on_open` runs when the
/// menu opens (the shell folds its phone navigation then).
#[component]
pub fn AlertBell(on_open: Callback<()>) -> impl IntoView {
    let live = use_live_alerts();
    let open = RwSignal::new(false);
    let root = NodeRef::<html::Div>::new();
    let bell = NodeRef::<html::Button>::new();

    let pathname = use_location().pathname;
    Effect::watch(
        move || pathname.get(),
        move |_, _, _| open.set(false),
        false,
    );
    // `pointerdown` rather than `click`: an item that re-renders as it is clicked would
    // no longer be inside the menu by the time a click reached the window.
    let outside = window_event_listener(ev::pointerdown, move |event| {
        if !open.get_untracked() {
            return;
        }
        let inside = root.get_untracked().is_some_and(|root| {
            let target = event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Node>().ok());
            root.contains(target.as_ref())
        });
        if !inside {
            open.set(false);
        }
    });
    on_cleanup(move || outside.remove());
    let close_on_escape = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" && open.get_untracked() {
            // Keep the shell from also handling it.
            event.stop_propagation();
            open.set(false);
            if let Some(bell) = bell.get_untracked() {
                let _ = bell.focus();
            }
        }
    };
    let toggle = move |_| {
        let opening = !open.get_untracked();
        open.set(opening);
        if opening {
            on_open.run(());
        }
    };
    let label = move || match live.unread() {
        0 => "Alerts".to_owned(),
        1 => "Alerts, 1 unread".to_owned(),
        unread => format!("Alerts, {unread} unread"),
    };

    view! {
        <div class="alert-bell" node_ref=root on:keydown=close_on_escape>
            <button
                type="button"
                class="btn btn-ghost btn-icon bell-button"
                node_ref=bell
                data-testid="alert-bell"
                data-unread=move || live.unread().to_string()
                aria-label=label
                title=label
                aria-expanded=move || open.get().to_string()
                aria-controls="alert-menu"
                on:click=toggle
            >
                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M6 9a6 6 0 1 1 12 0c0 6 2.5 8 2.5 8h-17S6 15 6 9zM10 20.5a2.2 2.2 0 0 0 4 0" />
                </svg>
                {move || {
                    count_text(live.unread())
                        .map(|text| {
                            view! {
                                <span class="bell-count" data-testid="alert-count" aria-hidden="true">
                                    {text}
                                </span>
                            }
                        })
                }}
            </button>
            <Show when=move || open.get()>
                <AlertMenu close=Callback::new(move |()| open.set(false)) />
            </Show>
        </div>
    }
}

/// The open menu: a header with "Mark all read", the newest alerts, "See all alerts".
#[component]
fn AlertMenu(close: Callback<()>) -> impl IntoView {
    let live = use_live_alerts();
    let toasts = use_toasts();
    let mark_all_read = task(move |()| async move {
        if let Err(error) = live.mark_all_read().await {
            toasts.error(format!("Could not mark the alerts read: {error}"));
        }
    });
    let marking_all = mark_all_read.pending();
    let mark_all = move |_| {
        mark_all_read.dispatch_local(());
    };
    let navigate = use_navigate();
    let open_alert = Callback::new(move |alert: Alert| {
        // A fleet alert opens the list of its computers.
        if alert.agent_count.is_some() {
            navigate(
                &format!("/agents?alert={}", alert.id),
                NavigateOptions::default(),
            );
        }
        if alert.read_at.is_some() {
            return;
        }
        spawn_local(async move {
            if let Err(error) = live.set_read(&alert, true).await {
                toasts.error(format!("Could not mark the alert read: {error}"));
            }
        });
    });
    let newest = memo(move || {
        let mut recent = live.recent();
        recent.truncate(SHOWN);
        recent
    });
    view! {
        <div class="alert-menu" id="alert-menu" role="region" aria-label="Recent alerts" data-testid="alert-menu">
            <header class="alert-menu-head">
                <h2 class="alert-menu-title">"Alerts"</h2>
                <button
                    type="button"
                    class="btn btn-ghost btn-small"
                    data-testid="alert-mark-all-read"
                    disabled=move || marking_all.get() || live.unread() == 0
                    on:click=mark_all
                >
                    "Mark all read"
                </button>
            </header>
            <Show
                when=move || !newest.with(Vec::is_empty)
                fallback=|| {
                    view! {
                        <p class="alert-menu-empty" data-testid="alert-menu-empty">
                            "No alerts yet. When something needs your attention, it shows up here."
                        </p>
                    }
                }
            >
                <ul class="alert-menu-list">
                    <For
                        each=move || newest.get()
                        key=|alert| (alert.id, alert.read_at.is_some())
                        let:alert
                    >
                        <li>{alert_item(alert, open_alert)}</li>
                    </For>
                </ul>
            </Show>
            // Closes the menu also when the Alerts page is already open.
            <footer class="alert-menu-foot" on:click=move |_| close.run(())>
                <A href="/alerts" {..} class="alert-menu-all" data-testid="alert-see-all">
                    "See all alerts"
                </A>
            </footer>
        </div>
    }
}

/// One alert in the menu; a click marks it read (and a fleet alert's opens its list).
fn alert_item(alert: Alert, on_open: Callback<Alert>) -> impl IntoView {
    let unread = alert.read_at.is_none();
    let now = browser::now();
    let when = format::ago(alert.created_at, now);
    let exact = format::timestamp(alert.created_at);
    let iso = alert.created_at.to_rfc3339();
    let severity = alert.severity;
    let title = alert.title.clone();
    let body = alert.body.clone();
    let id = alert.id.to_string();
    let computers = alert.agent_count.map(computers_link);
    let alert = StoredValue::new(alert);
    view! {
        <button
            type="button"
            class="alert-item"
            class:is-unread=unread
            data-testid="alert-item"
            data-alert-id=id
            data-unread=unread.to_string()
            on:click=move |_| on_open.run(alert.get_value())
        >
            <span class="unread-dot" aria-hidden="true"></span>
            <span class="alert-item-text">
                <span class="alert-item-meta">
                    <Badge tone=BadgeTone::from(severity)>{severity.label()}</Badge>
                    <time datetime=iso title=exact>{when}</time>
                </span>
                <span class="alert-item-title">
                    {unread.then(|| view! { <span class="visually-hidden">"Unread: "</span> })}
                    {title}
                </span>
                {(!body.is_empty()).then(|| view! { <span class="alert-item-body">{body}</span> })}
                {computers.map(|text| view! { <span class="alert-item-more">{text}</span> })}
            </span>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_alert_names_how_many_computers_it_lists() {
        assert_eq!(computers_link(1), "See the computer");
        assert_eq!(computers_link(1_234), "See the 1,234 computers");
    }

    #[test]
    fn the_count_hides_at_zero_and_caps_at_99() {
        let cases = [
            (-1, None),
            (0, None),
            (1, Some("1")),
            (42, Some("42")),
            (99, Some("99")),
            (100, Some("99+")),
            (12_345, Some("99+")),
        ];
        for (unread, expected) in cases {
            assert_eq!(count_text(unread).as_deref(), expected, "{unread}");
        }
    }
}
