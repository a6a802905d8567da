//! Screenshots (`/screenshots`): one person's screenshots of one day as a grid of
//! thumbnails, each fetched when it scrolls into view; a lightbox with the full image,
//! previous / next (buttons and arrow keys), who else opened it, and deleting where the
//! policy allows. Below, who opened the signed-in person's own screenshots.
//!
//! The pictures need the access token, so they are fetched with it and shown through
//! `blob:` URLs ([`api::ObjectUrl`]) that are revoked when their view goes away.

mod lightbox;
mod views;

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::ids::ScreenshotId;
use pulse_shared::screenshots::{Screenshot, ScreenshotQuery};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use super::person_day::{PersonDay, PersonDayHeader};
use crate::api::{self, ObjectUrl, Picture};
use crate::components::{Badge, BadgeTone};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::days;
use crate::reactive::effect;
use crate::session::use_session;
use lightbox::Lightbox;
use views::MyViewsCard;

/// How many screenshots one "Load more" brings.
const PAGE_SIZE: u32 = 48;

/// How many views of one's screenshots one "Load more" brings.
const VIEWS_PAGE: u32 = 10;

type ShotList = CursorList<Screenshot, ScreenshotQuery>;

/// The page: the chooser, the grid, the lightbox and the "who viewed mine" card.
#[component]
pub fn Screenshots() -> impl IntoView {
    super::set_title("Screenshots");
    let session = use_session();
    let chooser = PersonDay::new();
    let PersonDay {
        day, chosen, name, ..
    } = chooser;
    let list: ShotList = CursorList::new(session, "screenshots", |session, query| {
        Box::pin(async move { api::screenshots(session, &query).await })
    });
    effect(move |_| {
        let (from, to) = days::bounds(day.get());
        list.load(ScreenshotQuery {
            from,
            to,
            user_id: chosen.get(),
            cursor: None,
            limit: Some(PAGE_SIZE),
        });
    });
    let viewing = RwSignal::new(None::<usize>);
    let lightbox_open = RwSignal::new(false);
    effect(move |_| {
        if !lightbox_open.get() {
            viewing.set(None);
        }
    });
    let open = Callback::new(move |id: ScreenshotId| {
        let index = list
            .rows
            .with_untracked(|rows| rows.iter().position(|shot| shot.id == id));
        if index.is_some() {
            viewing.set(index);
            lightbox_open.set(true);
        }
    });
    let subtitle = move || days::long(day.get());

    view! {
        <div class="page" data-page="screenshots">
            <PersonDayHeader
                chooser=chooser
                title="Screenshots"
                lede="What was on screen, where the policy asks for screenshots."
                testid="screenshots-toolbar"
                person_id="screenshots-person"
                day_id="screenshots-day"
            />
            <section class="card" data-testid="screenshots-day">
                <header class="card-header">
                    <div class="card-heading">
                        <h2 class="card-title">{move || name.get()}</h2>
                        <p class="card-subtitle">{subtitle}</p>
                    </div>
                    <div class="card-actions">
                        {move || {
                            let count = list.rows.with(Vec::len);
                            let more = list.next_cursor.with(Option::is_some);
                            view! {
                                <Badge>{format!("{count}{} shown", if more { "+" } else { "" })}</Badge>
                            }
                        }}
                    </div>
                </header>
                <div class="card-body card-body-flush">
                    <CursorListBody list=list title="Screenshots" lines=4>
                        <Show
                            when=move || !list.rows.with(Vec::is_empty)
                            fallback=move || {
                                view! {
                                    <Show when=move || list.error.with(Option::is_none)>
                                        <p class="empty-state" data-testid="screenshots-empty">
                                            "No screenshots on this day. They are taken only when the policy turns them on."
                                        </p>
                                    </Show>
                                }
                            }
                        >
                            <ul class="shot-grid" data-testid="screenshot-grid" class:is-refreshing=move || list.loading.get()>
                                <For each=move || list.rows.get() key=|shot| shot.id let:shot>
                                    <li>
                                        <Thumb shot=shot on_open=open />
                                    </li>
                                </For>
                            </ul>
                        </Show>
                    </CursorListBody>
                    <LoadMore list=list />
                </div>
            </section>
            <MyViewsCard />
            <Lightbox open=lightbox_open index=viewing list=list />
        </div>
    }
}

/// Whether the browser can watch elements scroll into view.
fn observer_supported() -> bool {
    js_sys::Reflect::has(&window(), &"IntersectionObserver".into()).unwrap_or(false)
}

/// One thumbnail: a button that opens the lightbox, its picture fetched once it is near
/// the visible part of the page.
#[component]
fn Thumb(shot: Screenshot, on_open: Callback<ScreenshotId>) -> impl IntoView {
    let session = use_session();
    let id = shot.id;
    let node = NodeRef::<leptos::html::Button>::new();
    let picture = RwSignal::new(None::<Arc<ObjectUrl>>);
    let failed = RwSignal::new(false);
    let fetch = move || {
        spawn_local(async move {
            match api::screenshot_picture(session, id, Picture::Thumbnail).await {
                // Set only while the thumbnail is still shown; otherwise dropping the
                // URL here frees it at once.
                Ok(url) => {
                    let _ = picture.try_set(Some(Arc::new(url)));
                }
                Err(_) => {
                    let _ = failed.try_set(true);
                }
            }
        });
    };
    // The observer and its handler, kept while the thumbnail is shown.
    type Watch = (
        web_sys::IntersectionObserver,
        Closure<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>,
    );
    let watch = StoredValue::new_local(None::<Watch>);
    effect(move |_| {
        let Some(element) = node.get() else {
            return;
        };
        if watch.with_value(Option::is_some) || picture.with_untracked(Option::is_some) {
            return;
        }
        if !observer_supported() {
            fetch();
            return;
        }
        let handler = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
            move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
                let visible = entries.iter().any(|entry| {
                    entry
                        .dyn_into::<web_sys::IntersectionObserverEntry>()
                        .is_ok_and(|entry| entry.is_intersecting())
                });
                if visible {
                    observer.disconnect();
                    fetch();
                }
            },
        );
        let options = web_sys::IntersectionObserverInit::new();
        options.set_root_margin("200px");
        let Ok(observer) = web_sys::IntersectionObserver::new_with_options(
            handler.as_ref().unchecked_ref(),
            &options,
        ) else {
            fetch();
            return;
        };
        observer.observe(&element);
        watch.set_value(Some((observer, handler)));
    });
    on_cleanup(move || {
        watch.with_value(|watch| {
            if let Some((observer, _)) = watch {
                observer.disconnect();
            }
        });
    });

    let time = days::time(shot.captured_at);
    let exact = days::exact(shot.captured_at);
    let label = format!("Open the screenshot of {time}");
    let blurred = shot.blurred;
    let monitor = shot.monitor;
    view! {
        <button
            type="button"
            class="shot"
            node_ref=node
            data-screenshot-id=id.to_string()
            data-loaded=move || picture.with(Option::is_some).to_string()
            aria-label=label
            title=exact
            on:click=move |_| on_open.run(id)
        >
            <span class="shot-frame">
                {move || match picture.get() {
                    Some(url) => {
                        view! { <img class="shot-image" src=url.as_str().to_owned() alt="" /> }.into_any()
                    }
                    None if failed.get() => {
                        view! { <span class="shot-missing">"Not available"</span> }.into_any()
                    }
                    None => view! { <span class="skeleton shot-placeholder"></span> }.into_any(),
                }}
            </span>
            <span class="shot-caption">
                <span class="shot-time">{time}</span>
                {(monitor > 0).then(|| view! { <span class="cell-sub">{format!("Screen {}", monitor + 1)}</span> })}
                {blurred.then(|| view! { <Badge tone=BadgeTone::Info>"Blurred"</Badge> })}
            </span>
        </button>
    }
}
