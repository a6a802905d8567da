//! Form controls: `FormField` (a labelled text input) and `SelectField` (a labelled
//! `<select>`), each with a hint and an inline, announced error.

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
    /// The input's `name`: the JSON field it fills (browser tests find inputs by it).
    #[prop(optional)]
    name: Option<&'static str>,
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
    /// The `autocomplete` token (`email`, `current-password`, `new-password`, …).
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// Marks the input as required (the form still validates in Rust, with messages).
    #[prop(optional)]
    required: bool,
    /// Gives the input the focus when it appears.
    #[prop(optional)]
    autofocus: bool,
    /// The `id` of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
) -> impl IntoView {
    field_frame(id, label, hint, error, move |described_by| {
        view! {
            <input
                class="field-input"
                id=id
                name=name
                type=input_type
                placeholder=placeholder
                autocomplete=autocomplete
                spellcheck="false"
                aria-required=required.then_some("true")
                autofocus=autofocus
                list=list
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || described_by.get()
                bind:value=value
            />
        }
    })
}

/// One choice of a [`SelectField`]: the submitted value and the text shown.
pub type SelectOption = (String, String);

/// A `<label>` + `<select>` pair bound to `value` (the chosen option's value).
#[component]
pub fn SelectField(
    /// The select's `id`; the hint and error ids derive from it.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The chosen option's value, kept in sync both ways.
    value: RwSignal<String>,
    /// The choices, in order; may change over time (e.g. once teams have loaded).
    #[prop(into)]
    options: Signal<Vec<SelectOption>>,
    /// The select's `name`: the JSON field it fills.
    #[prop(optional)]
    name: Option<&'static str>,
    /// A short help line under the select.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The error to show under the select, if any.
    #[prop(optional, into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    field_frame(id, label, hint, error, move |described_by| {
        view! {
            <select
                class="field-input field-select"
                id=id
                name=name
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || described_by.get()
                // Set after the options so the browser finds the chosen one.
                prop:value=move || { options.track(); value.get() }
                on:change=move |event| value.set(event_target_value(&event))
            >
                {move || {
                    let chosen = value.get_untracked();
                    options
                        .get()
                        .into_iter()
                        .map(|(option, text)| {
                            let selected = option == chosen;
                            view! { <option value=option selected=selected>{text}</option> }
                        })
                        .collect_view()
                }}
            </select>
        }
    })
}

/// The frame of a control with the id `id`: the label, the control (`control` is given
/// its `aria-describedby`), the hint and the error.
fn field_frame<V: IntoView + 'static>(
    id: &'static str,
    label: &'static str,
    hint: Option<&'static str>,
    error: Signal<Option<String>>,
    control: impl FnOnce(Signal<Option<String>>) -> V,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let control = control(described_by(
        hint.is_some(),
        hint_id.clone(),
        error_id.clone(),
        error,
    ));
    view! {
        <div class="field" class:field-invalid=move || error.with(Option::is_some)>
            <label class="field-label" for=id>
                {label}
            </label>
            {control}
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The `aria-describedby` of a control: its hint (when it has one) and its error (while shown).
fn described_by(
    has_hint: bool,
    hint_id: String,
    error_id: String,
    error: Signal<Option<String>>,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(hint_id.clone());
        }
        if error.with(Option::is_some) {
            ids.push(error_id.clone());
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    })
}
