//! The first page before the rest: what the shell does beside the page (the alert
//! stream with the bell's count, the billing standing) waits until the page the app
//! opened on has drawn what it asked the server for. On a slow line its requests would
//! share the page's bandwidth and delay its largest paint, and its code would run in
//! the page's first task, a longer wait before the page answers a tap.
//!
//! The page has drawn when no answer it asked for is on its way ([`Busy`], held by every
//! JSON call the app makes) and no section's code is ([`crate::sections::opening`]), at
//! two checks in a row [`EVERY`] apart, and the frame after is on screen; at most
//! [`AT_MOST`] after the shell put it on screen (a page that keeps loading).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use leptos::prelude::{request_animation_frame, set_timeout};

/// How often the app looks whether its first page has drawn.
const EVERY: Duration = Duration::from_millis(50);
/// How long the rest waits for the first page at most.
const AT_MOST: Duration = Duration::from_secs(5);

thread_local! {
    /// Answers the first page waits for.
    static BUSY: Cell<u32> = const { Cell::new(0) };
    /// Whether the first page has drawn; from then on the rest runs at once.
    static DRAWN: Cell<bool> = const { Cell::new(false) };
    /// What waits for it.
    static WAITING: RefCell<Vec<Box<dyn FnOnce()>>> = const { RefCell::new(Vec::new()) };
}

/// Held while an answer is on its way: until the first page has drawn, it waits for it.
pub struct Busy {
    counted: bool,
}

/// An answer on its way, which the first page waits for unless it has drawn already.
pub fn busy() -> Busy {
    let counted = !DRAWN.get();
    if counted {
        BUSY.set(BUSY.get() + 1);
    }
    Busy { counted }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if self.counted {
            BUSY.set(BUSY.get().saturating_sub(1));
        }
    }
}

/// Runs `work` once the first page has drawn (at once when it has).
pub fn after(work: impl FnOnce() + 'static) {
    if DRAWN.get() {
        work();
    } else {
        WAITING.with_borrow_mut(|waiting| waiting.push(Box::new(work)));
    }
}

/// Starts looking for the first page to have drawn; called once the shell has put it on
/// screen (its requests start meanwhile, so the first look is [`EVERY`] later).
pub fn watch() {
    set_timeout(|| check(1, false), EVERY);
}

fn check(checks: u32, quiet_before: bool) {
    if DRAWN.get() {
        return;
    }
    if EVERY * checks >= AT_MOST {
        drawn();
        return;
    }
    let quiet = BUSY.get() == 0 && !crate::sections::opening_untracked();
    if quiet && quiet_before {
        // Once the next frame is on screen (a long render can end just before a check,
        // and its paint comes after). A hidden tab paints nothing: then at most.
        request_animation_frame(|| set_timeout(drawn, Duration::ZERO));
    }
    set_timeout(move || check(checks + 1, quiet), EVERY);
}

/// The first page has drawn: what waited for it runs, each in a task of its own (each
/// starts requests and reads answers; together they made one long task on a phone).
fn drawn() {
    if DRAWN.replace(true) {
        return;
    }
    for work in WAITING.take() {
        set_timeout(work, Duration::ZERO);
    }
}
