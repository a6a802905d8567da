//! "Your data": asking for an export of a person's data (one's own on Account; an owner
//! or admin for someone, in the person's dialog), following its progress while the
//! server builds it, and saving the ZIP once ready.

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::ids::UserId;
use pulse_shared::privacy::{DataExport, ExportStatus};

use crate::api;
use crate::browser;
use crate::components::{Button, ButtonVariant, use_toasts};
use crate::format;
use crate::forms::task;
use crate::session::use_session;

/// How often an export in the making is looked at again.
const POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// The newest export of `person` (`None`: the signed-in person) with its progress or
/// its download, and a button to ask for a new one.
#[component]
pub fn DataExportPanel(
    /// Whose data: `None` for the signed-in person.
    person: Option<UserId>,
    /// The button's words, e.g. "Download my data".
    #[prop(into)]
    action_label: String,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let newest = RwSignal::new(None::<DataExport>);
    let error = RwSignal::new(None::<String>);
    let load = move || {
        spawn_local(async move {
            match api::data_exports(session, person).await {
                Ok(list) => {
                    let _ = newest.try_set(list.into_iter().next());
                }
                Err(problem) => {
                    let _ = error.try_set(Some(problem.to_string()));
                }
            }
        });
    };
    load();
    // While an export is being made, look again every second.
    let poll = set_interval_with_handle(
        move || {
            let open = newest.with_untracked(|export| {
                export
                    .as_ref()
                    .is_some_and(|export| export.status.is_open())
            });
            if open {
                load();
            }
        },
        POLL,
    )
    .ok();
    on_cleanup(move || {
        if let Some(poll) = poll {
            poll.clear();
        }
    });

    let ask = task(move |()| async move {
        error.set(None);
        match api::request_export(session, person).await {
            Ok(export) => newest.set(Some(export)),
            Err(problem) => error.set(Some(problem.to_string())),
        }
    });
    let asking = ask.pending();
    let save = task(move |()| async move {
        let Some(export) = newest.get_untracked() else {
            return;
        };
        let name = format!("pulse-data-{}.zip", browser::file_stamp());
        match api::download_export(session, export.id).await {
            Ok(blob) => match browser::save_blob(&name, &blob) {
                Ok(()) => toasts.success(format!("Saved {name}")),
                Err(problem) => toasts.error(format!("Could not save the file: {problem}")),
            },
            Err(problem) => toasts.error(format!("Could not download the export: {problem}")),
        }
    });
    let saving = save.pending();
    let busy = Signal::derive(move || {
        asking.get()
            || newest.with(|export| {
                export
                    .as_ref()
                    .is_some_and(|export| export.status.is_open())
            })
    });

    view! {
        <div class="data-export" data-testid="data-export">
            <p class="field-hint">{contents(person.is_none())}</p>
            {move || {
                newest
                    .get()
                    .map(|export| {
                        let status = export.status;
                        let (progress, expires_at) = (export.progress, export.expires_at);
                        let size = export.size_bytes.map(crate::format::file_size).unwrap_or_default();
                        view! {
                            <div class="data-export-status" data-status=status.as_str() data-testid="data-export-status">
                                <p>
                                    <strong>{status.label()}</strong>
                                    " · asked for "
                                    {format::timestamp(export.created_at)}
                                </p>
                                <Show when=move || status.is_open()>
                                    <progress
                                        class="data-export-progress"
                                        max="100"
                                        value=progress.to_string()
                                        aria-label="Export progress"
                                        data-testid="data-export-progress"
                                    >
                                        {format!("{progress} %")}
                                    </progress>
                                </Show>
                                <Show when=move || status == ExportStatus::Ready>
                                    <p class="muted">
                                        {size.clone()}
                                        " · available until "
                                        {format::date(expires_at)}
                                    </p>
                                    <div class="form-actions">
                                        <Button
                                            variant=ButtonVariant::Primary
                                            loading=saving
                                            on_click=move |_| {
                                                save.dispatch_local(());
                                            }
                                            {..}
                                            data-testid="data-export-download"
                                        >
                                            "Download ZIP"
                                        </Button>
                                    </div>
                                </Show>
                                <Show when=move || status == ExportStatus::Failed>
                                    <p class="field-error">"The export could not be made. Ask for a new one."</p>
                                </Show>
                            </div>
                        }
                    })
            }}
            {move || error.get().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <div class="form-actions">
                <Button
                    variant=ButtonVariant::Secondary
                    loading=asking
                    disabled=busy
                    on_click=move |_| {
                        ask.dispatch_local(());
                    }
                    {..}
                    data-testid="data-export-request"
                >
                    {action_label}
                </Button>
            </div>
        </div>
    }
}

/// What the archive holds, said to the person (`own`) or to an owner or admin.
fn contents(own: bool) -> &'static str {
    if own {
        "One ZIP file with your profile, activity, work sessions, screenshots, who opened them, and the audit events about you, as JSON and CSV, with an index.html to open first. It is ready in a few moments and kept for a week."
    } else {
        "One ZIP file with their profile, activity, work sessions, screenshots, who opened them, and the audit events about them, as JSON and CSV, with an index.html to open first. Asking for it and downloading it are in the audit log; it is kept for a week."
    }
}
