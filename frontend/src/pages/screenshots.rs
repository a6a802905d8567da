//! Screenshots (`/screenshots`): one person's screenshots of one day as a grid of
//! thumbnails, each fetched when it scrolls into view; a lightbox with the full image,
//! previous / next (buttons and arrow keys), who else opened it, and deleting where the
//! policy allows. Below, who opened the signed-in person's own screenshots.
//!
//! The pictures need the access token, so they are fetched with it and shown through
//! `blob:` URLs ([`api::ObjectUrl`]) that are revoked when their view goes away.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::PageQuery;
use pulse_shared::access::{Action, Reach};
use pulse_shared::ids::{ScreenshotId, UserId};
use pulse_shared::screenshots::{Screenshot, ScreenshotQuery, ScreenshotView};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{self, ObjectUrl, Picture};
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, DataTable,
    DayPicker, Dialog, Empty, SelectField, Skeleton, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody};
use crate::days;
use crate::format;
use crate::session::use_session;

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
    let sees_others = Memo::new(move |_| session.reaches_others(Action::ReadActivity));
    let (person, day) = super::person_and_day();
    let people = LocalResource::new(move || async move {
        if sees_others.get() {
            api::everyone(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let people_list = Signal::derive(move || people.get().and_then(Result::ok).unwrap_or_default());
    let me = Memo::new(move |_| session.me().map(|me| me.user));
    let options =
        Signal::derive(move || super::person_options(&people_list.get(), me.get().as_ref()));
    let chosen: Memo<Option<UserId>> = Memo::new(move |_| person.get().parse().ok());
    let name = Memo::new(move |_| match chosen.get() {
        None => me.get().map(|me| me.name).unwrap_or_default(),
        Some(id) => people_list.with(|people| {
            people
                .iter()
                .find(|person| person.id == id)
                .map(|person| person.name.clone())
                .unwrap_or_default()
        }),
    });
    let list: ShotList = CursorList::new(session, "screenshots", |session, query| {
        Box::pin(async move { api::screenshots(session, &query).await })
    });
    Effect::new(move || {
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
    Effect::new(move || {
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
    let zone = move || days::zone_name(days::offset_at(days::start(day.get())));
    let toasts = use_toasts();

    view! {
        <div class="page" data-page="screenshots">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Screenshots"</h1>
                    <p class="page-lede">
                        "What was on screen, where the policy asks for screenshots. Times are in your time zone ("
                        {zone}
                        ")."
                    </p>
                </div>
            </header>
            <div class="day-toolbar" data-testid="screenshots-toolbar">
                <Show when=move || sees_others.get()>
                    <SelectField id="screenshots-person" name="person" label="Employee" value=person options=options />
                </Show>
                <DayPicker id="screenshots-day" day=day />
            </div>
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
                    <Show when=move || list.next_cursor.with(Option::is_some)>
                        <div class="load-more">
                            <Button
                                variant=ButtonVariant::Secondary
                                loading=list.loading_more
                                on_click=move |_| list.load_more(toasts)
                                {..}
                                data-testid="load-more"
                            >
                                "Load more"
                            </Button>
                        </div>
                    </Show>
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
    Effect::new(move || {
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

/// The full image of the screenshot at `index` of `list`, with previous / next, its
/// facts, who else opened it, and Delete where allowed.
#[component]
fn Lightbox(open: RwSignal<bool>, index: RwSignal<Option<usize>>, list: ShotList) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let shot = Memo::new(move |_| {
        index
            .get()
            .and_then(|index| list.rows.with(|rows| rows.get(index).cloned()))
    });
    let count = Memo::new(move |_| list.rows.with(Vec::len));
    let image = RwSignal::new(None::<Arc<ObjectUrl>>);
    let image_error = RwSignal::new(None::<String>);
    // Each opened screenshot bumps this; an answer for an earlier one is dropped.
    let generation = StoredValue::new(0_u64);
    Effect::new(move || {
        let id = shot.with(|shot| shot.as_ref().map(|shot| shot.id));
        image.set(None);
        image_error.set(None);
        let Some(id) = id else {
            return;
        };
        generation.update_value(|generation| *generation += 1);
        let mine = generation.get_value();
        spawn_local(async move {
            let result = api::screenshot_picture(session, id, Picture::Image).await;
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match result {
                Ok(url) => {
                    let _ = image.try_set(Some(Arc::new(url)));
                }
                Err(error) => {
                    let _ = image_error.try_set(Some(error.to_string()));
                }
            }
        });
    });
    // Who opened it: for its subject, and for those who see everyone's. Asked again
    // once the image has loaded (opening it may be a view).
    let me = Memo::new(move |_| session.me().map(|me| me.user.id));
    let sees_views = Memo::new(move |_| {
        session.reach(Action::ReadScreenshotViews) == Reach::Company
            || shot.with(|shot| shot.as_ref().map(|shot| shot.user_id)) == me.get()
    });
    let views = LocalResource::new(move || {
        let id = shot.with(|shot| shot.as_ref().map(|shot| shot.id));
        let loaded = image.with(Option::is_some);
        let wanted = sees_views.get();
        async move {
            match (id, loaded && wanted) {
                (Some(id), true) => api::screenshot_views(session, id).await.map(Some),
                _ => Ok(None),
            }
        }
    });
    let step = move |by: isize| {
        let Some(current) = index.get_untracked() else {
            return;
        };
        let next = current.saturating_add_signed(by);
        if next < count.get_untracked() && next != current {
            index.set(Some(next));
        }
    };
    let has_prev = Signal::derive(move || index.get().is_some_and(|index| index > 0));
    let has_next = Signal::derive(move || index.get().is_some_and(|index| index + 1 < count.get()));
    let on_key = move |event: leptos::ev::KeyboardEvent| match event.key().as_str() {
        "ArrowLeft" => step(-1),
        "ArrowRight" => step(1),
        _ => {}
    };

    let confirm_delete = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);
    let delete = Callback::new(move |()| {
        let Some(target) = shot.get_untracked() else {
            return;
        };
        deleting.set(true);
        delete_error.set(None);
        spawn_local(async move {
            match api::delete_screenshot(session, target.id).await {
                Ok(()) => {
                    confirm_delete.set(false);
                    list.rows
                        .update(|rows| rows.retain(|row| row.id != target.id));
                    let left = list.rows.with_untracked(Vec::len);
                    if left == 0 {
                        open.set(false);
                    } else if index.get_untracked().is_some_and(|index| index >= left) {
                        index.set(Some(left - 1));
                    }
                    toasts.success(format!(
                        "Screenshot of {} deleted",
                        days::time(target.captured_at)
                    ));
                }
                Err(error) => delete_error.set(Some(error.to_string())),
            }
            let _ = deleting.try_set(false);
        });
    });

    let title = Signal::derive(move || {
        shot.with(|shot| {
            shot.as_ref()
                .map(|shot| format!("Screenshot of {}", days::time(shot.captured_at)))
                .unwrap_or_default()
        })
    });
    let position = move || {
        index
            .get()
            .map(|index| format!("{} of {}", index + 1, count.get()))
            .unwrap_or_default()
    };
    view! {
        <Dialog
            open=open
            title={title}
            {..}
            class:dialog-lightbox=true
            data-testid="lightbox"
            on:keydown=on_key
        >
            <div class="dialog-body lightbox-body">
                <div class="lightbox-stage">
                    <Button
                        variant=ButtonVariant::Secondary
                        disabled=Signal::derive(move || !has_prev.get())
                        on_click=move |_| step(-1)
                        {..}
                        class:btn-icon=true
                        class:lightbox-prev=true
                        data-testid="lightbox-prev"
                        aria-label="Previous screenshot"
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M15 6l-6 6 6 6" />
                        </svg>
                    </Button>
                    <figure class="lightbox-figure">
                        {move || match (image.get(), image_error.get()) {
                            (Some(url), _) => {
                                view! {
                                    <img
                                        class="lightbox-image"
                                        src=url.as_str().to_owned()
                                        alt=title.get()
                                        data-testid="lightbox-image"
                                    />
                                }
                                    .into_any()
                            }
                            (None, Some(error)) => {
                                view! { <p class="lightbox-missing" role="alert">{error}</p> }.into_any()
                            }
                            (None, None) => view! { <span class="skeleton lightbox-placeholder"></span> }.into_any(),
                        }}
                    </figure>
                    <Button
                        variant=ButtonVariant::Secondary
                        disabled=Signal::derive(move || !has_next.get())
                        on_click=move |_| step(1)
                        {..}
                        class:btn-icon=true
                        class:lightbox-next=true
                        data-testid="lightbox-next"
                        aria-label="Next screenshot"
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M9 6l6 6-6 6" />
                        </svg>
                    </Button>
                </div>
                <div class="lightbox-side">
                {move || shot.get().map(|shot| view! { <ShotFacts shot=shot position=position() /> })}
                <Show when=move || sees_views.get()>
                <section class="detail-section" data-testid="screenshot-views">
                    <h3 class="detail-title">"Opened by"</h3>
                    <Transition fallback=|| view! { <Skeleton lines=2 /> }>
                        {move || Suspend::new(async move {
                            match views.await {
                                Err(error) => view! { <p class="muted">{error.to_string()}</p> }.into_any(),
                                Ok(None) => view! { <Skeleton lines=1 /> }.into_any(),
                                Ok(Some(views)) if views.is_empty() => {
                                    view! { <p class="muted">"Nobody else has opened it."</p> }.into_any()
                                }
                                Ok(Some(views)) => {
                                    view! {
                                        <ul class="viewer-list">
                                            {views.into_iter().map(viewer_item).collect_view()}
                                        </ul>
                                    }
                                        .into_any()
                                }
                            }
                        })}
                    </Transition>
                </section>
                </Show>
                </div>
            </div>
            <footer class="dialog-footer">
                <Show when=move || shot.with(|shot| shot.as_ref().is_some_and(|shot| shot.deletable))>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| {
                            delete_error.set(None);
                            confirm_delete.set(true);
                        }
                        {..}
                        class:btn-ghost-danger=true
                        class:lightbox-delete=true
                        data-testid="screenshot-delete"
                    >
                        "Delete"
                    </Button>
                </Show>
                <Button variant=ButtonVariant::Secondary on_click=move |_| open.set(false)>
                    "Close"
                </Button>
            </footer>
        </Dialog>
        <ConfirmDialog
            open=confirm_delete
            title="Delete this screenshot?"
            message="It is removed for everyone, with its thumbnail. This cannot be undone."
            confirm_label="Delete screenshot"
            busy=deleting
            error=delete_error
            on_confirm=delete
        />
    }
}

#[component]
fn ShotFacts(shot: Screenshot, position: String) -> impl IntoView {
    let size = format!(
        "{} × {} px, {}",
        shot.width,
        shot.height,
        kilobytes(shot.bytes)
    );
    view! {
        <dl class="facts facts-inline" data-testid="lightbox-facts">
            <div class="fact">
                <dt>"Taken"</dt>
                <dd>{days::exact(shot.captured_at)}</dd>
            </div>
            <div class="fact">
                <dt>"Screen"</dt>
                <dd>{shot.monitor + 1}</dd>
            </div>
            <div class="fact">
                <dt>"Size"</dt>
                <dd>{size}</dd>
            </div>
            <div class="fact">
                <dt>"Position"</dt>
                <dd>{position}</dd>
            </div>
            {shot
                .blurred
                .then(|| {
                    view! {
                        <div class="fact">
                            <dt>"Blurred"</dt>
                            <dd>"On upload, as the policy says"</dd>
                        </div>
                    }
                })}
        </dl>
    }
}

/// `532 KB`, `1.4 MB`.
fn kilobytes(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes >= 1_000_000.0 {
        format!("{:.1} MB", bytes / 1_000_000.0)
    } else {
        format!("{:.0} KB", (bytes / 1_000.0).ceil())
    }
}

fn viewer_item(view: ScreenshotView) -> impl IntoView {
    let when = format::ago(view.viewed_at, browser::now());
    let exact = days::exact(view.viewed_at);
    view! {
        <li class="viewer" data-viewer-id=view.viewer_id.to_string()>
            <span class="avatar avatar-sm" aria-hidden="true">{format::initials(&view.viewer_name)}</span>
            <span class="viewer-text">
                <span class="cell-title">{view.viewer_name.clone()}</span>
                <span class="cell-sub">{view.viewer_role.label()}</span>
            </span>
            <time class="cell-sub" title=exact datetime=view.viewed_at.to_rfc3339()>{when}</time>
        </li>
    }
}

/// Who opened the signed-in person's screenshots, newest first.
#[component]
fn MyViewsCard() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let list: CursorList<ScreenshotView, PageQuery> =
        CursorList::new(session, "views", |session, query| {
            Box::pin(async move { api::my_screenshot_views(session, &query).await })
        });
    list.load(PageQuery {
        cursor: None,
        limit: Some(VIEWS_PAGE),
    });
    view! {
        <Card
            title="Who viewed your screenshots"
            subtitle="Everyone else who opened one of your screenshots, newest first."
            flush=true
            {..}
            data-testid="my-screenshot-views"
        >
            <CardActions slot>
                <Button variant=ButtonVariant::Ghost on_click=move |_| list.reload() {..} data-testid="my-views-refresh">
                    "Refresh"
                </Button>
            </CardActions>
            <CursorListBody list=list title="Views" lines=3>
                <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                    <DataTable
                        columns=&["Viewer", "Role", "Opened", "Screenshot"]
                        is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                        {..}
                        class:table-views=true
                    >
                        <Empty slot>"Nobody else has opened your screenshots."</Empty>
                        <For
                            each=move || list.rows.get()
                            key=|view| (view.screenshot_id, view.viewer_id, view.viewed_at)
                            let:view
                        >
                            {view_row(view)}
                        </For>
                    </DataTable>
                </div>
            </CursorListBody>
            <Show when=move || list.next_cursor.with(Option::is_some)>
                <div class="load-more">
                    <Button
                        variant=ButtonVariant::Secondary
                        loading=list.loading_more
                        on_click=move |_| list.load_more(toasts)
                        {..}
                        data-testid="load-more"
                    >
                        "Load more"
                    </Button>
                </div>
            </Show>
        </Card>
    }
}

fn view_row(view: ScreenshotView) -> impl IntoView {
    let when = format::ago(view.viewed_at, browser::now());
    let exact = days::exact(view.viewed_at);
    let shot = short(view.screenshot_id);
    view! {
        <tr data-viewer-id=view.viewer_id.to_string() data-screenshot-id=view.screenshot_id.to_string()>
            <td class="cell-title cell-viewer">{view.viewer_name.clone()}</td>
            <td class="cell-role">{super::people::role_badge(view.viewer_role)}</td>
            <td class="cell-opened">
                <time title=exact datetime=view.viewed_at.to_rfc3339()>{when}</time>
            </td>
            <td class="mono cell-shot" data-label="Screenshot">{shot}</td>
        </tr>
    }
}

/// The first characters of an id, enough to tell screenshots apart.
fn short(id: ScreenshotId) -> String {
    id.to_string().chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_kilobytes_and_megabytes() {
        assert_eq!(kilobytes(0), "0 KB");
        assert_eq!(kilobytes(1), "1 KB");
        assert_eq!(kilobytes(532_000), "532 KB");
        assert_eq!(kilobytes(1_400_000), "1.4 MB");
    }
}
