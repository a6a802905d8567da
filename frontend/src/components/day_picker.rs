//! `DayPicker`: one calendar day, with previous / next day and "Today".

use chrono::NaiveDate;
use leptos::prelude::*;

use super::{Button, ButtonVariant};
use crate::days;
use crate::reactive::memo;

/// A date input between "previous day" and "next day" buttons, bound to `day`. Days
/// after today cannot be chosen: nothing has been recorded there yet.
#[component]
pub fn DayPicker(
    /// The input's `id`, for its label.
    id: &'static str,
    /// The chosen day (in the browser's time zone).
    day: RwSignal<NaiveDate>,
) -> impl IntoView {
    let today = memo(move || {
        // Read again whenever the day changes, so a page left open past midnight
        // lets the new day be chosen.
        day.track();
        days::today()
    });
    let at_today = move || day.get() >= today.get();
    let on_input = move |event: leptos::ev::Event| {
        if let Some(chosen) = days::parse_input(&event_target_value(&event)) {
            day.set(chosen.min(today.get_untracked()));
        }
    };
    view! {
        <div class="field day-picker" data-testid="day-picker">
            <label class="field-label" for=id>
                "Day"
            </label>
            <div class="day-picker-row">
                <Button
                    variant=ButtonVariant::Secondary
                    on_click=move |_| day.update(|day| *day = days::shift(*day, -1))
                    {..}
                    class:btn-icon=true
                    data-testid="day-prev"
                    aria-label="Previous day"
                    title="Previous day"
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M15 6l-6 6 6 6" />
                    </svg>
                </Button>
                <input
                    class="field-input day-input"
                    type="date"
                    id=id
                    name="day"
                    max=move || days::input_value(today.get())
                    prop:value=move || days::input_value(day.get())
                    on:change=on_input
                />
                <Button
                    variant=ButtonVariant::Secondary
                    disabled=Signal::derive(at_today)
                    on_click=move |_| day.update(|day| *day = days::shift(*day, 1))
                    {..}
                    class:btn-icon=true
                    data-testid="day-next"
                    aria-label="Next day"
                    title="Next day"
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M9 6l6 6-6 6" />
                    </svg>
                </Button>
                <Button
                    variant=ButtonVariant::Ghost
                    disabled=Signal::derive(at_today)
                    on_click=move |_| day.set(days::today())
                    {..}
                    data-testid="day-today"
                >
                    "Today"
                </Button>
            </div>
        </div>
    }
}
