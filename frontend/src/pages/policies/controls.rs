//! The control of one setting (number, switch, mode, list, time zone) with its Override
//! tick, hint and error, and the working hours control.

use leptos::prelude::*;
use pulse_shared::policies::Weekday;
use serde_json::Value;

use super::draft::{Draft, Field, HoursDraft};
use super::settings::{Kind, Setting, ZONES, day_label, describe};
use crate::forms::FormErrors;

/// One setting: its label, the "Override" tick (overrides), the control, the hint or the
/// inherited value, and its error.
#[component]
pub(super) fn SettingControl(
    setting: &'static Setting,
    draft: StoredValue<Draft>,
    errors: FormErrors,
    company: bool,
    inherited_from: &'static str,
) -> impl IntoView {
    let key = setting.key;
    let field = draft.with_value(|draft| draft.field(key));
    let id = format!("policy-{key}");
    let error_id = format!("policy-{key}-error");
    let error = errors.of(key);
    let inherited_text = draft.with_value(|draft| {
        describe(
            setting.kind,
            draft.inherited.get(key).unwrap_or(&Value::Null),
        )
    });
    let locked = move || !field.set.get();
    let wide = setting.kind == Kind::Hours;
    let toggle = move |event: leptos::ev::Event| {
        if event_target_checked(&event) {
            field.set.set(true);
            // An override cannot clear working hours, only set them.
            if setting.kind == Kind::Hours {
                field.value.set("hours".to_owned());
            }
        } else {
            draft.with_value(|draft| draft.inherit(setting));
            errors.forget(key);
        }
    };
    let invalid = move || error.with(Option::is_some);
    let control = match setting.kind {
        Kind::Number { bounds, unit } => view! {
            <div class="input-unit">
                <input
                    class="field-input"
                    type="number"
                    inputmode="numeric"
                    id=id.clone()
                    name=key
                    min=bounds.0
                    max=bounds.1
                    disabled=locked
                    aria-invalid=move || invalid().then_some("true")
                    aria-describedby=error_id.clone()
                    bind:value=field.value
                />
                <span class="input-unit-label">{unit.short()}</span>
            </div>
        }
        .into_any(),
        Kind::Switch => view! {
            <label class="switch">
                <input
                    type="checkbox"
                    role="switch"
                    id=id.clone()
                    name=key
                    disabled=locked
                    prop:checked=move || field.value.get() == "true"
                    on:change=move |event| field.value.set(event_target_checked(&event).to_string())
                />
                <span class="switch-track" aria-hidden="true"></span>
                <span class="switch-text">{move || if field.value.get() == "true" { "On" } else { "Off" }}</span>
            </label>
        }
        .into_any(),
        Kind::Mode => view! {
            <select
                class="field-input field-select"
                id=id.clone()
                name=key
                disabled=locked
                prop:value=move || field.value.get()
                on:change=move |event| field.value.set(event_target_value(&event))
            >
                <option value="off">"Off"</option>
                <option value="interval">"At every interval"</option>
            </select>
        }
        .into_any(),
        Kind::Zone => view! {
            <input
                class="field-input"
                type="text"
                id=id.clone()
                name=key
                list="policy-zones"
                spellcheck="false"
                autocomplete="off"
                disabled=locked
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=error_id.clone()
                bind:value=field.value
            />
            <datalist id="policy-zones">
                {ZONES.iter().map(|zone| view! { <option value=*zone></option> }).collect_view()}
            </datalist>
        }
        .into_any(),
        Kind::List => view! {
            <textarea
                class="field-input field-textarea"
                id=id.clone()
                name=key
                rows="3"
                spellcheck="false"
                disabled=locked
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=error_id.clone()
                prop:value=move || field.value.get()
                on:input=move |event| field.value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        Kind::Hours => {
            let hours = draft.with_value(|draft| draft.hours);
            view! { <HoursControl id=id.clone() field=field hours=hours errors=errors company=company /> }.into_any()
        }
    };
    let label_for = id.clone();
    view! {
        <div
            class="policy-setting"
            class:policy-setting-wide=wide
            class:is-inherited=locked
            class:is-overridden=move || !company && field.set.get()
            class:field-invalid=invalid
            data-setting=key
        >
            <div class="policy-setting-head">
                <label class="field-label" for=label_for>
                    {setting.label}
                </label>
                {(!company)
                    .then(|| {
                        view! {
                            <label class="override-toggle">
                                <input
                                    type="checkbox"
                                    class="checkbox"
                                    name=format!("override-{key}")
                                    prop:checked=move || field.set.get()
                                    on:change=toggle
                                />
                                "Override"
                            </label>
                        }
                    })}
            </div>
            {control}
            <p class="field-hint">
                {move || {
                    if field.set.get() {
                        setting.hint.to_owned()
                    } else {
                        format!("Inherited from {inherited_from}: {inherited_text}.")
                    }
                }}
            </p>
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// Always, or only on some days between two times.
#[component]
pub(super) fn HoursControl(
    id: String,
    field: Field,
    hours: HoursDraft,
    errors: FormErrors,
    company: bool,
) -> impl IntoView {
    let locked = move || !field.set.get();
    let limited = move || field.value.get() == "hours";
    let days_error = errors.of("working_hours_days");
    let start_error = errors.of("working_hours_start");
    let end_error = errors.of("working_hours_end");
    let start_id = format!("{id}-start");
    let end_id = format!("{id}-end");
    view! {
        <select
            class="field-input field-select"
            id=id
            name="working_hours"
            disabled=move || locked() || !company
            prop:value=move || field.value.get()
            on:change=move |event| field.value.set(event_target_value(&event))
        >
            <option value="always">"Always"</option>
            <option value="hours">"Only during these hours"</option>
        </select>
        <Show when=limited>
            <div class="hours">
                <fieldset class="day-chips" disabled=locked>
                    <legend class="visually-hidden">"Days"</legend>
                    {Weekday::ALL
                        .into_iter()
                        .map(|day| {
                            let label = day_label(day);
                            view! {
                                <label class="day-chip">
                                    <input
                                        type="checkbox"
                                        name="working_days"
                                        value=label
                                        prop:checked=move || hours.days.with(|days| days.contains(&day))
                                        on:change=move |event| {
                                            let on = event_target_checked(&event);
                                            hours.days.update(|days| {
                                                days.retain(|d| *d != day);
                                                if on {
                                                    days.push(day);
                                                }
                                            });
                                        }
                                    />
                                    <span>{label}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <p class="field-error">{move || days_error.get()}</p>
                <div class="hours-span">
                    <div class="field">
                        <label class="field-label" for=start_id.clone()>"From"</label>
                        <input
                            class="field-input"
                            type="time"
                            id=start_id.clone()
                            name="working_hours_start"
                            disabled=locked
                            bind:value=hours.start
                        />
                        <p class="field-error">{move || start_error.get()}</p>
                    </div>
                    <div class="field">
                        <label class="field-label" for=end_id.clone()>"To"</label>
                        <input
                            class="field-input"
                            type="time"
                            id=end_id.clone()
                            name="working_hours_end"
                            disabled=locked
                            bind:value=hours.end
                        />
                        <p class="field-error">{move || end_error.get()}</p>
                    </div>
                </div>
            </div>
        </Show>
    }
}
