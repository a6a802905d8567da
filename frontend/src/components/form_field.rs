//! `FormField`: a labelled text input with a hint and an inline, announced error.

use leptos::prelude::*;

/// A `<label>` + `<input>` pair bound to `value`. The hint and the error are tied to the
/// input with `aria-describedby`; while `error` holds text the input is `aria-invalid`.
#[component]
pub fn FormField(
    /// The input's `id`; the hint and error ids derive from it.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The text in the input, kept in sync both ways.
    value: RwSignal<String>,
    /// A short help line under the input.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The error to show under the input, if any.
    #[prop(optional, into)]
    error: Signal<Option<String>>,
    /// The input's `type`.
    #[prop(default = "text")]
    input_type: &'static str,
    /// Shown in the empty input.
    #[prop(optional)]
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label class="field-label" for=id>
                {label}
            </label>
            <input
                class="field-input"
                id=id
                type=input_type
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=described_by
                bind:value=value
            />
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}
