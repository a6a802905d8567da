//! `SecretDialog`: a dialog whose form creates something (an API key, an enrollment
//! token, a webhook endpoint), then shows its secret, once.

use leptos::prelude::*;

use super::{Button, Dialog};
use crate::reactive::effect;

/// A [`Dialog`] showing `form` until it calls back with what it created, then a warning
/// that the secret is shown this once, `secret` (its fields and hints) and a button
/// that closes it. Each opening starts with the form again.
#[component]
pub fn SecretDialog<T>(
    open: RwSignal<bool>,
    /// The title while the form shows.
    form_title: &'static str,
    /// The title once the secret shows.
    secret_title: &'static str,
    /// The form, given the callback that takes what it created.
    #[prop(into)]
    form: Callback<Callback<T>, AnyView>,
    /// Runs with what the form created, as the secret shows.
    #[prop(into)]
    on_created: Callback<T>,
    /// The warning's first sentence, in bold.
    warning: &'static str,
    /// The rest of the warning: what to do with the secret.
    advice: &'static str,
    /// The secret's fields and hints.
    #[prop(into)]
    secret: Callback<T, AnyView>,
    /// The closing button's label.
    done_label: &'static str,
    /// The closing button's `data-testid`.
    done_testid: &'static str,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let created = RwSignal::new(None::<T>);
    effect(move |_| {
        if open.get() {
            created.set(None);
        }
    });
    let title = Signal::derive(move || {
        if created.with(Option::is_some) {
            secret_title.to_owned()
        } else {
            form_title.to_owned()
        }
    });
    let shown = Callback::new(move |value: T| {
        on_created.run(value.clone());
        created.set(Some(value));
    });
    view! {
        <Dialog open=open title=title>
            {move || match created.get() {
                None => form.run(shown),
                Some(value) => {
                    view! {
                        <div class="dialog-body">
                            <div class="notice notice-warning" role="note">
                                <strong>{warning}</strong>
                                {advice}
                            </div>
                            {secret.run(value)}
                        </div>
                        <footer class="dialog-footer">
                            <Button on_click=move |_| open.set(false) {..} data-testid=done_testid>
                                {done_label}
                            </Button>
                        </footer>
                    }
                        .into_any()
                }
            }}
        </Dialog>
    }
}
