//! The card invoices are charged to: what is on file, and the form that replaces it.
//! The number is typed into Stripe.js Elements (Stripe's own frames), confirmed against
//! a SetupIntent the server makes, and only the PaymentMethod id reaches Pulse.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::billing::{PaymentCard, PaymentMethodRequest};

use super::BillingState;
use super::stripe::CardElement;
use crate::api;
use crate::components::{Button, ButtonVariant, Card, Dialog, FormMessage, Skeleton, use_toasts};
use crate::forms::task;
use crate::reactive::effect;
use crate::session::use_session;

/// The card on file, with "Add card" or "Replace card".
#[component]
pub(super) fn PaymentMethodCard(state: BillingState) -> impl IntoView {
    move || {
        let (configured, card) = state
            .overview
            .with(|now| (now.configured, now.payment_method.clone()));
        let body = match (&card, configured) {
            (Some(card), _) => card_on_file(card).into_any(),
            (None, true) => view! {
                <p class="muted" data-testid="no-card">
                    "No card on file. Paid plans are charged to a card; Free needs none."
                </p>
            }
            .into_any(),
            (None, false) => view! {
                <p class="muted" data-testid="no-card">
                    "Payments are not set up on this server, so there is no card to add."
                </p>
            }
            .into_any(),
        };
        let label = if card.is_some() {
            "Replace card"
        } else {
            "Add card"
        };
        view! {
            <Card title="Payment method" subtitle="The card invoices are charged to.">
                <div class="stack stack-tight">
                    {body}
                    {configured.then(|| view! {
                        <div class="form-actions">
                            <Button
                                variant=ButtonVariant::Secondary
                                on_click=move |_| state.ask_for_card(None)
                                {..}
                                data-testid="add-card"
                            >
                                {label}
                            </Button>
                        </div>
                    })}
                </div>
            </Card>
        }
    }
}

fn card_on_file(card: &PaymentCard) -> impl IntoView {
    let brand = brand_name(&card.brand);
    let expiry = format!("Expires {:02}/{}", card.exp_month, card.exp_year % 100);
    view! {
        <div class="payment-card" data-testid="card-on-file" data-brand=card.brand.clone()>
            <svg class="icon payment-card-icon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M3 6h18v12H3zM3 10h18M7 15h4" />
            </svg>
            <div class="stacked">
                <span class="payment-card-number">
                    {brand} " " <span aria-hidden="true">"•••• "</span>
                    <span class="visually-hidden">"ending in "</span>
                    {card.last4.clone()}
                </span>
                <span class="cell-sub">{expiry}</span>
            </div>
        </div>
    }
}

/// `visa` → `Visa`, `amex` → `American Express`.
fn brand_name(brand: &str) -> String {
    match brand {
        "amex" => "American Express".to_owned(),
        "diners" => "Diners Club".to_owned(),
        "jcb" => "JCB".to_owned(),
        "mastercard" => "Mastercard".to_owned(),
        "unionpay" => "UnionPay".to_owned(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    }
}

/// The card form in a dialog.
#[component]
pub(super) fn CardDialog(state: BillingState) -> impl IntoView {
    let title = Signal::derive(move || {
        if state.overview.with(|now| now.payment_method.is_some()) {
            "Replace card".to_owned()
        } else {
            "Add a card".to_owned()
        }
    });
    let description = Signal::derive(move || match state.after_card.get() {
        Some(plan) => format!(
            "{} is charged to a card. Add one, then confirm the change.",
            plan.name
        ),
        None => "Stripe keeps the number; Pulse sees only the brand, last four digits and expiry."
            .to_owned(),
    });
    view! {
        <Dialog open=state.card_open title=title description={description} {..} data-testid="card-dialog">
            <CardForm state=state />
        </Dialog>
    }
}

#[component]
fn CardForm(state: BillingState) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let host = NodeRef::<html::Div>::new();
    let mounted = StoredValue::new_local(None::<CardElement>);
    let ready = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let (js_url, key) = state.overview.with_untracked(|now| {
        (
            now.stripe_js_url.clone().unwrap_or_default(),
            now.publishable_key.clone().unwrap_or_default(),
        )
    });
    effect(move |_| {
        let Some(host) = host.get() else {
            return;
        };
        if ready.get_untracked() {
            return;
        }
        let (js_url, key) = (js_url.clone(), key.clone());
        spawn_local(async move {
            match CardElement::mount(&js_url, &key, &host).await {
                Ok(card) => match mounted.try_set_value(Some(card)) {
                    None => {
                        let _ = ready.try_set(true);
                    }
                    // The dialog closed meanwhile: the element goes too.
                    Some(card) => {
                        if let Some(card) = card {
                            card.destroy();
                        }
                    }
                },
                Err(message) => {
                    let _ = error.try_set(Some(message));
                }
            }
        });
    });
    on_cleanup(move || {
        if let Some(Some(card)) = mounted.try_get_value() {
            card.destroy();
        }
    });
    let save = task(move |()| async move {
        error.set(None);
        let setup = match api::card_setup(session).await {
            Ok(setup) => setup,
            Err(failure) => return error.set(Some(failure.summary())),
        };
        let Some(Some(card)) = mounted.try_get_value() else {
            return error.set(Some("The card form is not ready yet.".to_owned()));
        };
        let payment_method_id = match card.confirm_setup(&setup.client_secret).await {
            Ok(id) => id,
            Err(message) => return error.set(Some(message)),
        };
        match api::set_payment_method(session, &PaymentMethodRequest { payment_method_id }).await {
            Ok(fresh) => {
                let saved = fresh.payment_method.as_ref().map(|card| {
                    format!("{} ending in {} saved", brand_name(&card.brand), card.last4)
                });
                toasts.success(saved.unwrap_or_else(|| "Card saved".to_owned()));
                state.card_saved(fresh);
            }
            Err(failure) => error.set(Some(failure.summary())),
        }
    });
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !busy.get_untracked() && ready.get_untracked() {
            save.dispatch_local(());
        }
    };
    view! {
        <form class="card-form" on:submit=submit novalidate=true data-testid="card-form">
            <div class="dialog-body">
                <div class="field">
                    <span class="field-label" id="card-element-label">"Card"</span>
                    <div
                        class="card-element"
                        node_ref=host
                        role="group"
                        aria-labelledby="card-element-label"
                        data-testid="card-element"
                    ></div>
                    <Show when=move || !ready.get() && error.with(Option::is_none)>
                        <Skeleton lines=1 />
                    </Show>
                    <p class="field-hint">"Number, expiry (MM / YY), CVC and postal code."</p>
                </div>
                <FormMessage error=error />
            </div>
            <footer class="dialog-footer">
                <Button variant=ButtonVariant::Secondary on_click=move |_| state.card_open.set(false)>
                    "Cancel"
                </Button>
                <Button
                    submit=true
                    loading=busy
                    disabled=Signal::derive(move || !ready.get())
                    {..}
                    data-testid="save-card"
                >
                    "Save card"
                </Button>
            </footer>
        </form>
    }
}
