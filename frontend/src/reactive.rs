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
