//! The lightbox: one screenshot at full size with previous and next, its facts, who
//! opened it, and Delete.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::access::{Action, Reach};
use pulse_shared::screenshots::{Screenshot, ScreenshotView};

use super::ShotList;
use crate::api::{self, ObjectUrl, Picture};
use crate::browser;
use crate::components::{Button, ButtonVariant, ConfirmDialog, Dialog, Skeleton, use_toasts};
use crate::days;
use crate::format;
use crate::forms::task;
use crate::reactive::{effect, memo};
use crate::session::use_session;

/// The full image of the screenshot at `index` of `list`, with previous / next, its
/// facts, who else opened it, and Delete where allowed.
#[component]
pub(super) fn Lightbox(
    open: RwSignal<bool>,
    index: RwSignal<Option<usize>>,
    list: ShotList,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let shot = memo(move || {
        index
            .get()
            .and_then(|index| list.rows.with(|rows| rows.get(index).cloned()))
    });
    let count = memo(move || list.rows.with(Vec::len));
    let image = RwSignal::new(None::<Arc<ObjectUrl>>);
    let image_error = RwSignal::new(None::<String>);
    // Each opened screenshot bumps this; an answer for an earlier one is dropped.
    let generation = StoredValue::new(0_u64);
    effect(move |_| {
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
    let me = memo(move || session.me().map(|me| me.user.id));
    let sees_views = memo(move || {
        session.reach(Action::ReadScreenshotViews) == Reach::Company
            || shot.with(|shot| shot.as_ref().map(|shot| shot.user_id)) == me.get()
    });
    let views = api::Loaded::new(move || {
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
    let delete_error = RwSignal::new(None::<String>);
    let delete_shown = task(move |target: Screenshot| {
        delete_error.set(None);
        async move {
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
        }
    });
    let deleting = delete_shown.pending();
    let delete = Callback::new(move |()| {
        if let Some(target) = shot.get_untracked() {
            delete_shown.dispatch_local(target);
        }
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
pub(super) fn ShotFacts(shot: Screenshot, position: String) -> impl IntoView {
    let size = format!(
        "{} × {} px, {}",
        shot.width,
        shot.height,
        crate::format::file_size(shot.bytes)
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

pub(super) fn viewer_item(view: ScreenshotView) -> impl IntoView {
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
