//! Toasts: short notices in a corner. `ToastProvider` holds them, `use_toasts()` pushes them.

use std::time::Duration;

use leptos::prelude::*;

/// How long a toast stays before it dismisses itself.
const LIFETIME: Duration = Duration::from_secs(5);

/// What kind of news a toast brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ToastKind {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
struct Toast {
    id: u64,
    kind: ToastKind,
    message: String,
}

/// The handle pages use to show toasts; cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

impl Toasts {
    /// Shows a neutral notice.
    pub fn info(self, message: impl Into<String>) {
        self.push(ToastKind::Info, message.into());
    }

    /// Shows that something worked.
    pub fn success(self, message: impl Into<String>) {
        self.push(ToastKind::Success, message.into());
    }

    /// Shows that something failed; the message should say what to do next.
    pub fn error(self, message: impl Into<String>) {
        self.push(ToastKind::Error, message.into());
    }

    fn push(self, kind: ToastKind, message: String) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items
            .update(|items| items.push(Toast { id, kind, message }));
        set_timeout(move || self.dismiss(id), LIFETIME);
    }

    fn dismiss(self, id: u64) {
        // The provider may be gone when a timer fires after navigation away.
        self.items
            .try_update(|items| items.retain(|toast| toast.id != id));
    }
}

/// The toasts of the nearest [`ToastProvider`].
///
/// Calling it outside a provider is a wiring mistake in `app.rs`, caught on first render.
pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

/// Provides [`Toasts`] to its children and renders the toast stack (a polite live region).
/// A toast goes away after a few seconds or when clicked.
#[component]
pub fn ToastProvider(children: Children) -> impl IntoView {
    let toasts = Toasts {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(0),
    };
    provide_context(toasts);
    view! {
        {children()}
        <ol class="toasts" aria-live="polite" aria-label="Notifications">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <li
                    class=match toast.kind {
                        ToastKind::Info => "toast toast-info",
                        ToastKind::Success => "toast toast-success",
                        ToastKind::Error => "toast toast-error",
                    }
                    role=(toast.kind == ToastKind::Error).then_some("alert")
                    data-testid="toast"
                    on:click=move |_| toasts.dismiss(toast.id)
                >
                    <span class="toast-icon" aria-hidden="true"></span>
                    <span class="toast-message">{toast.message}</span>
                    <button type="button" class="toast-close" aria-label="Dismiss notification">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M7 7l10 10M17 7L7 17" />
                        </svg>
                    </button>
                </li>
            </For>
        </ol>
    }
}
