//! `Dialog`: a modal dialog on the native `<dialog>` element, and `ConfirmDialog` for
//! "are you sure?" questions before something is destroyed.

use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Button, ButtonVariant};
use crate::reactive::effect;

/// A modal dialog shown while `open` is true.
///
/// Rationale: `<dialog>` opened with `showModal()` gives most of what a modal needs for
/// free and right: the rest of the page becomes inert, focus moves into the dialog (to
/// an `autofocus` control, else the first focusable one) and returns where it was on
/// close, Escape closes it. Only Tab past the last control (or Shift+Tab before the
/// first) would leave it, for the browser's own controls: it wraps around instead. The
/// content is built each time the dialog opens, so forms inside start empty.
#[component]
pub fn Dialog(
    /// Whether the dialog is shown; set to false when the person closes it.
    open: RwSignal<bool>,
    /// The heading, also the dialog's accessible name.
    #[prop(into)]
    title: Signal<String>,
    /// A line under the heading, also the dialog's accessible description.
    #[prop(optional, into)]
    description: Option<Signal<String>>,
    children: ChildrenFn,
) -> impl IntoView {
    static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let title_id = format!("dialog-{id}-title");
    let description_id = format!("dialog-{id}-description");
    let node = NodeRef::<html::Dialog>::new();
    effect(move |_| {
        let want_open = open.get();
        let Some(dialog) = node.get() else {
            return;
        };
        if want_open && !dialog.open() {
            let _ = dialog.show_modal();
        } else if !want_open && dialog.open() {
            dialog.close();
        }
    });
    let has_description = description.is_some();
    let (labelled_by, described_by) = (title_id.clone(), description_id.clone());
    view! {
        <dialog
            class="dialog"
            node_ref=node
            aria-modal="true"
            aria-labelledby=labelled_by
            aria-describedby=has_description.then_some(described_by)
            // Escape, or `close()` from anywhere: keep the signal in step.
            on:close=move |_| open.set(false)
            on:keydown=move |event| keep_focus_inside(&event, node)
        >
            <div class="dialog-panel">
                <header class="dialog-header">
                    <div>
                        <h2 class="dialog-title" id=title_id>
                            {move || title.get()}
                        </h2>
                        {description
                            .map(|description| {
                                view! {
                                    <p class="dialog-description" id=description_id>
                                        {move || description.get()}
                                    </p>
                                }
                            })}
                    </div>
                    <button
                        type="button"
                        class="btn btn-ghost btn-icon dialog-close"
                        aria-label="Close"
                        on:click=move |_| open.set(false)
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M7 7l10 10M17 7L7 17" />
                        </svg>
                    </button>
                </header>
                <Show when=move || open.get()>{children()}</Show>
            </div>
        </dialog>
    }
}

/// What Tab can reach inside a dialog.
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// Tab on the dialog's last control goes to its first, Shift+Tab on its first to its last.
fn keep_focus_inside(event: &leptos::ev::KeyboardEvent, node: NodeRef<html::Dialog>) {
    use wasm_bindgen::JsCast as _;
    if event.key() != "Tab" {
        return;
    }
    let Some(dialog) = node.get_untracked() else {
        return;
    };
    let mut controls = Vec::new();
    focusable_within(&dialog, &mut controls);
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else {
        return;
    };
    let active = document().active_element();
    let on = |control: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|active| active == control.unchecked_ref::<web_sys::Element>())
    };
    let wrap_to = if event.shift_key() && on(first) {
        last
    } else if !event.shift_key() && on(last) {
        first
    } else {
        return;
    };
    event.prevent_default();
    let _ = wrap_to.focus();
}

/// Gives the focus to the first control under `within`: for content that replaces the
/// focused control while a dialog stays open (a form's answer), since the focus would
/// otherwise be on nothing, where Tab does not reach the dialog.
pub fn focus_first_control(within: &web_sys::Element) {
    let mut controls = Vec::new();
    focusable_within(within, &mut controls);
    if let Some(first) = controls.first() {
        let _ = first.focus();
    }
}

/// The drawn controls Tab can reach under `parent`, in document order (`display: none`
/// leaves no offset parent).
fn focusable_within(parent: &web_sys::Element, found: &mut Vec<web_sys::HtmlElement>) {
    use wasm_bindgen::JsCast as _;
    let mut child = parent.first_element_child();
    while let Some(element) = child {
        if element.matches(FOCUSABLE).unwrap_or(false)
            && let Some(control) = element.dyn_ref::<web_sys::HtmlElement>()
            && control.offset_parent().is_some()
        {
            found.push(control.clone());
        }
        focusable_within(&element, found);
        child = element.next_element_sibling();
    }
}

/// A [`Dialog`] asking to confirm an action, with Cancel and a danger button labelled
/// `confirm_label`. `on_confirm` runs the action; the dialog stays open (the button
/// spinning) while `busy` is true, and the caller closes it when done. With
/// `type_to_confirm`, the button works only once that text (a name) is typed.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    /// What will happen, in a sentence or two.
    #[prop(into)]
    message: Signal<String>,
    /// The text of the confirming button, e.g. "Delete".
    #[prop(into)]
    confirm_label: String,
    /// Whether the action is under way.
    #[prop(optional, into)]
    busy: Signal<bool>,
    /// Why the action failed, shown in the dialog.
    #[prop(optional, into)]
    error: Signal<Option<String>>,
    /// Text the person must type before the action is allowed.
    #[prop(optional, into)]
    type_to_confirm: Option<String>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let confirm_label = StoredValue::new(confirm_label);
    let expected = StoredValue::new(type_to_confirm);
    let typed = RwSignal::new(String::new());
    // Each opening starts with nothing typed.
    effect(move |_| {
        if open.get() {
            typed.set(String::new());
        }
    });
    let unconfirmed = Signal::derive(move || {
        expected.with_value(|expected| {
            expected
                .as_deref()
                .is_some_and(|expected| typed.with(|typed| typed.trim() != expected.trim()))
        })
    });
    view! {
        <Dialog open=open title=title>
            <div class="dialog-body">
                <p class="prose">{move || message.get()}</p>
                {move || {
                    expected
                        .get_value()
                        .map(|expected| {
                            let label = format!("Type \u{201c}{expected}\u{201d} to confirm");
                            view! {
                                <div class="field">
                                    <label class="field-label" for="confirm-typed">{label}</label>
                                    <input
                                        class="field-input"
                                        id="confirm-typed"
                                        name="confirm_typed"
                                        autocomplete="off"
                                        spellcheck="false"
                                        autofocus=true
                                        bind:value=typed
                                    />
                                </div>
                            }
                        })
                }}
                <FormMessage error=error />
            </div>
            <footer class="dialog-footer">
                <Button variant=ButtonVariant::Secondary on_click=move |_| open.set(false)>
                    "Cancel"
                </Button>
                <Button
                    variant=ButtonVariant::Danger
                    loading=busy
                    disabled=unconfirmed
                    on_click=move |_| on_confirm.run(())
                    {..}
                    data-testid="confirm"
                >
                    {confirm_label.get_value()}
                </Button>
            </footer>
        </Dialog>
    }
}

/// What a [`ConfirmDialog`] about one item holds: the item asked about, whether the
/// dialog is open, whether the action is under way, and why it failed.
pub struct Confirmation<T: Send + Sync + 'static> {
    pub item: RwSignal<Option<T>>,
    pub open: RwSignal<bool>,
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl<T: Send + Sync + 'static> Clone for Confirmation<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Confirmation<T> {}

impl<T: Clone + Send + Sync + 'static> Confirmation<T> {
    pub fn new() -> Self {
        Self {
            item: RwSignal::new(None),
            open: RwSignal::new(false),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Opens the question about `item`.
    pub fn ask(self, item: T) {
        self.item.set(Some(item));
        self.error.set(None);
        self.open.set(true);
    }

    /// The dialog's message: `describe` of the item asked about.
    pub fn message(
        self,
        describe: impl Fn(&T) -> String + Send + Sync + 'static,
    ) -> Signal<String> {
        Signal::derive(move || {
            self.item
                .with(|item| item.as_ref().map(&describe).unwrap_or_default())
        })
    }

    /// Runs `action` on the item asked about: when it succeeds the dialog closes and
    /// `done` gets the item; when it fails the dialog stays open with the error.
    pub fn confirm<Fut, E>(
        self,
        action: impl FnOnce(T) -> Fut + 'static,
        done: impl FnOnce(T) + 'static,
    ) where
        Fut: Future<Output = Result<(), E>> + 'static,
        E: std::fmt::Display,
    {
        let Some(item) = self.item.get_untracked() else {
            return;
        };
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            match action(item.clone()).await {
                Ok(()) => {
                    self.open.set(false);
                    done(item);
                }
                Err(error) => self.error.set(Some(error.to_string())),
            }
            self.busy.set(false);
        });
    }
}

/// The message above or below a form when something failed that no field shows.
#[component]
pub fn FormMessage(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! {
                <p class="form-message" role="alert">
                    {message}
                </p>
            }
        })
    }
}

/// The footer of a dialog's form: Cancel, and the button that submits.
#[component]
pub fn FormFooter(
    /// Closes the dialog.
    close: Callback<()>,
    /// True while the submission is under way.
    #[prop(into)]
    busy: Signal<bool>,
    /// The submit button's weight (primary unless it destroys something).
    #[prop(optional)]
    variant: ButtonVariant,
    /// The submit button's label.
    children: Children,
) -> impl IntoView {
    view! {
        <footer class="dialog-footer">
            <Button variant=ButtonVariant::Secondary on_click=move |_| close.run(())>
                "Cancel"
            </Button>
            <Button variant=variant submit=true loading=busy>
                {children()}
            </Button>
        </footer>
    }
}
