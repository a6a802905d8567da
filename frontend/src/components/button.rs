//! `Button`: the one button style of the app, with variants, a loading state and disabling.

use leptos::ev::MouseEvent;
use leptos::prelude::*;

/// How much a button stands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ButtonVariant {
    /// The main action of a view; at most one per view.
    #[default]
    Primary,
    /// Any other action.
    Secondary,
    /// Low-emphasis actions and icon buttons (toolbars, the menu).
    Ghost,
    /// Actions that destroy something (delete, revoke); usually behind a confirmation.
    Danger,
}

impl ButtonVariant {
    fn class(self) -> &'static str {
        match self {
            Self::Primary => "btn btn-primary",
            Self::Secondary => "btn btn-secondary",
            Self::Ghost => "btn btn-ghost",
            Self::Danger => "btn btn-danger",
        }
    }
}

/// A `<button type="button">` (or `type="submit"` with `submit`). While `loading` is true it shows a spinner, is disabled
/// and says so with `aria-busy`. Extra attributes (`aria-*`, `data-*`) can be spread on
/// with `{..}`.
#[component]
pub fn Button(
    /// The visual weight.
    #[prop(optional)]
    variant: ButtonVariant,
    /// Shows a spinner and blocks clicks while true.
    #[prop(optional, into)]
    loading: Signal<bool>,
    /// Blocks clicks while true.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// What a click does.
    #[prop(optional, into)]
    on_click: Option<Callback<MouseEvent>>,
    /// Submits its form instead of being a plain button.
    #[prop(optional)]
    submit: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <button
            type=if submit { "submit" } else { "button" }
            class=variant.class()
            class:is-loading=move || loading.get()
            disabled=move || disabled.get() || loading.get()
            aria-busy=move || loading.get().then_some("true")
            on:click=move |event| {
                if let Some(on_click) = on_click {
                    on_click.run(event);
                }
            }
        >
            <Show when=move || loading.get()>
                <span class="spinner" aria-hidden="true"></span>
            </Show>
            {children()}
        </button>
    }
}
