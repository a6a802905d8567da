//! A list loaded page by page with the API's cursors: the rows so far, whether more
//! follow, and its loading and error state. Answers to a query that has since been
//! replaced are dropped, so a slow old answer never overwrites a newer one.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::alerts::AlertQuery;
use pulse_shared::audit::AuditQuery;
use pulse_shared::billing::InvoiceQuery;
use pulse_shared::people::PeopleQuery;
use pulse_shared::screenshots::ScreenshotQuery;
use pulse_shared::{Page, PageQuery};

use crate::api::ApiError;
use crate::components::{Button, ButtonVariant, ErrorCard, Skeleton, Toasts, use_toasts};
use crate::session::Session;

/// A list query that can be pointed at a page.
pub trait CursorQuery: Clone + Send + Sync + 'static {
    fn at(&self, cursor: Option<String>) -> Self;
}

/// The one implementation for the shared query types: each has an optional `cursor`.
macro_rules! cursor_queries {
    ($($query:ty),+ $(,)?) => {
        $(
            impl CursorQuery for $query {
                fn at(&self, cursor: Option<String>) -> Self {
                    Self {
                        cursor,
                        ..self.clone()
                    }
                }
            }
        )+
    };
}

cursor_queries!(
    PeopleQuery,
    AlertQuery,
    AuditQuery,
    ScreenshotQuery,
    InvoiceQuery,
    PageQuery
);

/// The API call that answers one page.
pub type Fetch<T, Q> = fn(Session, Q) -> Pin<Box<dyn Future<Output = Result<Page<T>, ApiError>>>>;

pub struct CursorList<T: Send + Sync + 'static, Q: CursorQuery> {
    session: Session,
    fetch: Fetch<T, Q>,
    /// What the rows are, for messages ("people", "events").
    noun: &'static str,
    pub rows: RwSignal<Vec<T>>,
    pub next_cursor: RwSignal<Option<String>>,
    /// The query the rows answer (for "Load more" and "Retry").
    query: StoredValue<Option<Q>>,
    generation: StoredValue<u64>,
    pub loading: RwSignal<bool>,
    pub loading_more: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
}

impl<T: Send + Sync + 'static, Q: CursorQuery> Clone for CursorList<T, Q> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static, Q: CursorQuery> Copy for CursorList<T, Q> {}

impl<T: Clone + Send + Sync + 'static, Q: CursorQuery> CursorList<T, Q> {
    pub fn new(session: Session, noun: &'static str, fetch: Fetch<T, Q>) -> Self {
        Self {
            session,
            fetch,
            noun,
            rows: RwSignal::new(Vec::new()),
            next_cursor: RwSignal::new(None),
            query: StoredValue::new(None),
            generation: StoredValue::new(0),
            loading: RwSignal::new(true),
            loading_more: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Starts a new query; answers to earlier ones will be ignored.
    pub fn begin(self) -> u64 {
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        generation
    }

    fn is_current(self, generation: u64) -> bool {
        self.generation.try_get_value() == Some(generation)
    }

    /// Loads the first page of `query`, if `generation` is still the newest.
    pub fn load_first(self, generation: u64, query: Q) {
        if !self.is_current(generation) {
            return;
        }
        let query = query.at(None);
        self.loading.set(true);
        self.query.set_value(Some(query.clone()));
        spawn_local(async move {
            let result = (self.fetch)(self.session, query).await;
            if !self.is_current(generation) {
                return;
            }
            match result {
                Ok(page) => {
                    self.rows.set(page.items);
                    self.next_cursor.set(page.next_cursor);
                    self.error.set(None);
                }
                Err(error) => self.error.set(Some(error)),
            }
            self.loading.set(false);
        });
    }

    /// Replaces the list with the first page of `query`.
    pub fn load(self, query: Q) {
        let generation = self.begin();
        self.load_first(generation, query);
    }

    /// Loads the current query again from its first page.
    pub fn reload(self) {
        if let Some(query) = self.query.get_value() {
            self.load(query);
        }
    }

    /// Appends the next page.
    pub fn load_more(self, toasts: Toasts) {
        let (Some(cursor), Some(query)) =
            (self.next_cursor.get_untracked(), self.query.get_value())
        else {
            return;
        };
        let generation = self.generation.get_value();
        let query = query.at(Some(cursor));
        self.loading_more.set(true);
        spawn_local(async move {
            let result = (self.fetch)(self.session, query).await;
            if self.is_current(generation) {
                match result {
                    Ok(page) => {
                        self.rows.update(|rows| rows.extend(page.items));
                        self.next_cursor.set(page.next_cursor);
                    }
                    Err(error) => {
                        toasts.error(format!("Could not load more {}: {error}", self.noun))
                    }
                }
            }
            let _ = self.loading_more.try_set(false);
        });
    }
}

/// What every list page shows around its table (`children`): an error card with
/// "Retry" when loading failed, and a skeleton of `lines` lines until the first page
/// arrives. Later loads keep the rows on screen.
#[component]
pub fn CursorListBody<T: Clone + Send + Sync + 'static, Q: CursorQuery>(
    list: CursorList<T, Q>,
    /// Names the list in the error card.
    title: &'static str,
    lines: usize,
    children: ChildrenFn,
) -> impl IntoView {
    view! {
        {move || {
            list.error
                .get()
                .map(|error| {
                    view! {
                        <div class="card-inset">
                            <ErrorCard
                                title=title
                                error=error
                                on_retry=Callback::new(move |()| list.reload())
                            />
                        </div>
                    }
                })
        }}
        <Show
            when=move || !(list.loading.get() && list.rows.with(Vec::is_empty))
            fallback=move || view! { <div class="card-inset"><Skeleton lines=lines /></div> }
        >
            {children()}
        </Show>
    }
}

/// "Load more" under a list while more pages follow, spinning while the next one loads.
#[component]
pub fn LoadMore<T: Clone + Send + Sync + 'static, Q: CursorQuery>(
    list: CursorList<T, Q>,
) -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <Show when=move || list.next_cursor.with(Option::is_some)>
            <div class="load-more">
                <LoadMoreButton
                    loading=list.loading_more
                    on_load=Callback::new(move |()| list.load_more(toasts))
                />
            </div>
        </Show>
    }
}

/// The "Load more" button itself, for lists that keep their pages their own way (the
/// Agent Monitor's), spinning while `loading`.
#[component]
pub fn LoadMoreButton(loading: RwSignal<bool>, on_load: Callback<()>) -> impl IntoView {
    view! {
        <Button
            variant=ButtonVariant::Secondary
            loading=loading
            on_click=move |_| on_load.run(())
            {..}
            data-testid="load-more"
        >
            "Load more"
        </Button>
    }
}
