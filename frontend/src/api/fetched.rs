//! [`Fetched`]: a call's answer in a signal, for the pages in the app's core.
//!
//! [`Loaded`](super::Loaded) is a `LocalResource` read under `Suspense`, and with the
//! first of them comes Leptos's async machinery: async-derived signals, their future
//! wrappers, suspense contexts and the locks they share. The core's pages (the Overview,
//! its monitoring notice) only need "fetch now, and again on retry": a signal filled by
//! a task does that, and the machinery stays in the chunks of the pages that use it.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ApiError;

/// An answer of the app's type `T`, or why there is none.
type Answer<T> = Result<T, ApiError>;
/// The call, boxed: one task type for every [`Fetched`].
type Call<T> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Answer<T>>>>>;

/// The server's answer to `fetch`, asked for when created and again on
/// [`refetch`](Self::refetch); read it with [`get`](Self::get) in a reactive view.
pub struct Fetched<T: 'static> {
    answer: RwSignal<Option<Answer<T>>, LocalStorage>,
    call: StoredValue<Call<T>, LocalStorage>,
    /// Bumped by every fetch: an answer to an older one is dropped.
    asked: StoredValue<u64>,
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

impl<T: Clone + 'static> Fetched<T> {
    /// Starts fetching `fetch()`'s answer.
    pub fn new<F>(fetch: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = Answer<T>> + 'static,
    {
        let call: Call<T> = Box::new(move || Box::pin(fetch()));
        let fetched = Self {
            answer: RwSignal::new_local(None),
            call: StoredValue::new_local(call),
            asked: StoredValue::new(0),
        };
        fetched.refetch();
        fetched
    }

    /// The answer once it is there (`None` while a fetch runs), tracked.
    pub fn get(&self) -> Option<Answer<T>> {
        self.answer.get()
    }

    /// Fetches the answer again; meanwhile there is none.
    pub fn refetch(&self) {
        let Some(asked) = self.asked.try_update_value(|asked| {
            *asked += 1;
            *asked
        }) else {
            return;
        };
        let Some(pending) = self.call.try_with_value(|call| call()) else {
            return;
        };
        if self.answer.with_untracked(Option::is_some) {
            self.answer.set(None);
        }
        let (answer, current) = (self.answer, self.asked);
        spawn_local(async move {
            let answered = pending.await;
            // Left meanwhile (the page was closed), or asked again since.
            if current.try_get_value() == Some(asked) {
                answer.set(Some(answered));
            }
        });
    }
}
