//! Effects and memos with one copy of Leptos's machinery per output type, not per
//! closure: `Effect::new` and `Memo::new` compile their loop and bookkeeping once for
//! every closure given to them, so here the closure is boxed first and the framework
//! sees a single closure type.

use leptos::prelude::*;

/// Runs `run` now and again whenever a signal it read changes, as `Effect::new` does;
/// `run` is told whether this is its first run.
pub fn effect(run: impl Fn(bool) + 'static) -> Effect<LocalStorage> {
    boxed_effect(Box::new(run))
}

fn boxed_effect(run: Box<dyn Fn(bool)>) -> Effect<LocalStorage> {
    Effect::new(move |previous: Option<()>| run(previous.is_none()))
}

/// `compute()`, kept and handed out until a signal it read changes, as `Memo::new` does:
/// readers are told only when the value differs.
pub fn memo<T>(compute: impl Fn() -> T + Send + Sync + 'static) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    boxed_memo(Box::new(compute))
}

fn boxed_memo<T>(compute: Box<dyn Fn() -> T + Send + Sync>) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| compute())
}

/// False until `ready()` is, then true from the task after that on: what draws behind it
/// waits a task, so that the browser paints what came before and answers taps in
/// between (on a phone every long task is a wait before the page responds).
pub fn a_task_after(ready: impl Fn() -> bool + 'static) -> ReadSignal<bool> {
    let (due, set_due) = signal(false);
    effect(move |_| {
        if ready() && !due.get_untracked() {
            set_timeout(
                move || {
                    set_due.try_set(true);
                },
                std::time::Duration::ZERO,
            );
        }
    });
    due
}
