//! Keeping the overview current: every [`EVERY`] while the page is visible, at once when
//! it becomes visible again, and whenever a new alert arrives on the live stream (an
//! alert usually means a figure moved: an agent went offline, someone started late).
//! Nothing runs while the page is hidden or in the back-forward cache, nor after the
//! overview is left.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::live_alerts::{AlertChange, use_live_alerts};
use crate::reactive::effect;

/// How often the figures are fetched again while the page is visible.
pub(super) const EVERY: Duration = Duration::from_secs(60);

/// Calls `load` on each of the occasions above, until the calling component is
/// unmounted. `load` is not called here at first: the caller loads once itself.
pub(super) fn keep_fresh(load: impl Fn() + Copy + 'static) {
    // The poll, while the page is shown; `pagehide` stops it, `pageshow` restarts it.
    let poll = StoredValue::new_local(None::<IntervalHandle>);
    let start = move || {
        stop(poll);
        let handle = set_interval_with_handle(
            move || {
                if !document().hidden() {
                    load();
                }
            },
            EVERY,
        )
        .ok();
        poll.set_value(handle);
    };
    start();
    let on_hide = window_event_listener_untyped("pagehide", move |_| stop(poll));
    let on_show = window_event_listener_untyped("pageshow", move |event| {
        // Back from the back-forward cache: the figures are as old as the visit.
        let restored = js_sys::Reflect::get(&event, &"persisted".into())
            .ok()
            .and_then(|persisted| persisted.as_bool())
            .unwrap_or(false);
        if restored {
            start();
            load();
        }
    });
    let on_visible = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        if !document().hidden() {
            load();
        }
    });
    let _ = document()
        .add_event_listener_with_callback("visibilitychange", on_visible.as_ref().unchecked_ref());
    let on_visible = StoredValue::new_local(on_visible);
    on_cleanup(move || {
        stop(poll);
        on_hide.remove();
        on_show.remove();
        on_visible.with_value(|handler| {
            let _ = document().remove_event_listener_with_callback(
                "visibilitychange",
                handler.as_ref().unchecked_ref(),
            );
        });
    });

    // A new alert (or a gap in the stream) means the figures may have moved.
    let alerts = use_live_alerts();
    let seen = StoredValue::new(alerts.changed_untracked());
    effect(move |first| {
        let latest = alerts.changed();
        let changes = alerts.changes_since(seen.get_value());
        seen.set_value(latest);
        if !first && changes.is_none_or(|changes| changes.iter().any(moves_figures)) {
            load();
        }
    });
}

/// Whether a change to the alerts calls for fresh figures: a new alert, or a resync
/// (some may have been missed). Marking alerts read changes nothing shown but the
/// alerts' own state, which the next load brings.
fn moves_figures(change: &AlertChange) -> bool {
    matches!(change, AlertChange::Arrived(_) | AlertChange::Resync)
}

/// Stops the poll, if it runs.
fn stop(poll: StoredValue<Option<IntervalHandle>, LocalStorage>) {
    let _ = poll.try_update_value(|poll| {
        if let Some(handle) = poll.take() {
            handle.clear();
        }
    });
}
