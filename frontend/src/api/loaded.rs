//! [`Loaded`]: what a page reads from the server, as a resource that reloads when the
//! signals its call reads change.
//!
//! Every `LocalResource` is compiled once per call site: its loop, its future wrappers
//! and its storage are generic over the closure that fetches. Here there is one resource
//! type for the whole app, over an answer erased to `Arc<dyn Any>`; only the thin typed
//! layer (boxing the call, reading the answer back) is per page.

use std::any::Any;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;

use super::ApiError;

/// An answer of any type, as the one resource type holds it.
type Erased = Result<Arc<dyn Any + Send + Sync>, ApiError>;
/// A call that answers [`Erased`].
type Call = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Erased>>>>;

/// The server's answer to `fetch`, loaded when created and again whenever a signal the
/// call read (before its first `.await`) changes or [`refetch`](Self::refetch) is asked.
/// Read it like a `LocalResource`: `.await` it under `Suspense`/`Transition`, or
/// [`get`](Self::get) it.
pub struct Loaded<T> {
    resource: LocalResource<Erased>,
    answer: PhantomData<fn() -> T>,
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loaded<T> {}

impl<T: Clone + Send + Sync + 'static> Loaded<T> {
    /// Starts loading `fetch()`'s answer.
    pub fn new<F>(fetch: impl Fn() -> F + 'static) -> Self
    where
        F: Future<Output = Result<T, ApiError>> + 'static,
    {
        let call: Call = Box::new(move || {
            let answer = fetch();
            Box::pin(async move { erased(answer.await) })
        });
        Self {
            resource: resource(call),
            answer: PhantomData,
        }
    }

    /// The answer once it is there (`None` while the first load runs), tracked.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.resource.get().map(typed)
    }

    /// Loads the answer again.
    pub fn refetch(&self) {
        self.resource.refetch();
    }

    /// Replaces the answer with one the page fetched itself.
    pub fn set(&self, answer: Result<T, ApiError>) {
        self.resource.set(Some(erased(answer)));
    }

    /// Whether an answer other than an error is there, untracked.
    pub fn answered_untracked(&self) -> bool {
        self.resource
            .with_untracked(|answer| matches!(answer, Some(Ok(_))))
    }
}

impl<T: Clone + Send + Sync + 'static> IntoFuture for Loaded<T> {
    type Output = Result<T, ApiError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let answer = self.resource.into_future();
        Box::pin(async move { typed(answer.await) })
    }
}

/// The one resource every [`Loaded`] is.
fn resource(call: Call) -> LocalResource<Erased> {
    LocalResource::new(call)
}

/// The answer as the one resource holds it.
fn erased<T: Send + Sync + 'static>(answer: Result<T, ApiError>) -> Erased {
    answer.map(|value| Arc::new(value) as Arc<dyn Any + Send + Sync>)
}

/// The answer as the type it was stored as (only [`Loaded::new`] stores, so it always
/// is).
fn typed<T: Clone + 'static>(answer: Erased) -> Result<T, ApiError> {
    answer?
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| ApiError::Decode("an answer of another type".to_owned()))
}
