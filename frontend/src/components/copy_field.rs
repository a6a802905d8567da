//! `CopyField`: a read-only value (a link, a secret) with a Copy button.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Button, ButtonVariant};
use crate::browser;

/// Shows `value` in a read-only input, selected on focus, and a Copy button that puts it
/// on the clipboard and says so. When the browser refuses, the text is selected for the
/// person to copy by hand.
#[component]
pub fn CopyField(
    /// The input's `id`, for the label.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// What to copy.
    #[prop(into)]
    value: String,
    /// The input's `data-testid`.
    testid: &'static str,
    /// Shows the value on as many lines as it needs (a command), not cut off on one.
    #[prop(optional)]
    wrap: bool,
) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let area = NodeRef::<leptos::html::Textarea>::new();
    // "Copy" → "Copied" / "Press Ctrl+C": said on the button, since a toast would sit
    // under the modal dialog this usually lives in.
    let feedback = RwSignal::new(None::<&'static str>);
    let select_all = move || {
        if let Some(input) = input.get_untracked() {
            input.select();
        }
        if let Some(area) = area.get_untracked() {
            area.select();
        }
    };
    let text = StoredValue::new(value.clone());
    let copy = move |_| {
        spawn_local(async move {
            let outcome = browser::copy_text(&text.get_value()).await;
            if outcome.is_err() {
                select_all();
            }
            feedback.set(Some(if outcome.is_ok() {
                "Copied"
            } else {
                "Press Ctrl+C"
            }));
            set_timeout(
                move || {
                    let _ = feedback.try_set(None);
                },
                std::time::Duration::from_secs(3),
            );
        });
    };
    view! {
        <div class="field">
            <label class="field-label" for=id>
                {label}
            </label>
            <div class="copy-field" class:copy-field-wrap=wrap>
                {if wrap {
                    view! {
                        <textarea
                            class="field-input field-textarea mono"
                            id=id
                            node_ref=area
                            readonly=true
                            rows="3"
                            spellcheck="false"
                            data-testid=testid
                            prop:value=value
                            on:focus=move |_| select_all()
                        ></textarea>
                    }
                        .into_any()
                } else {
                    view! {
                        <input
                            class="field-input mono"
                            id=id
                            node_ref=input
                            readonly=true
                            value=value
                            spellcheck="false"
                            data-testid=testid
                            on:focus=move |_| select_all()
                        />
                    }
                        .into_any()
                }}
                <Button variant=ButtonVariant::Secondary on_click={copy} {..} data-testid=format!("{testid}-copy")>
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M9 9h10v11H9zM5 15V4h10" />
                    </svg>
                    <span aria-live="polite">{move || feedback.get().unwrap_or("Copy")}</span>
                </Button>
            </div>
        </div>
    }
}
