//! Where invoices and billing notices go, or the owners when unset.

use leptos::prelude::*;
use pulse_shared::billing::{BillingEmailRequest, BillingOverview};
use pulse_shared::validate;

use crate::api;
use crate::components::{Button, Card, FormField, FormMessage, use_toasts};
use crate::forms::{FormErrors, submission};
use crate::session::use_session;

/// The billing address form.
#[component]
pub(super) fn BillingAddress(
    email: Option<String>,
    on_saved: Callback<BillingOverview>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let errors = FormErrors::new();
    let value = RwSignal::new(email.unwrap_or_default());
    let save = submission(
        errors,
        &["billing_email"],
        move |request: BillingEmailRequest| async move {
            api::set_billing_email(session, &request).await
        },
        move |saved: BillingOverview| {
            value.set(saved.billing_email.clone().unwrap_or_default());
            toasts.success(match &saved.billing_email {
                Some(email) => format!("Invoices go to {email}"),
                None => "Invoices go to the owners".to_owned(),
            });
            on_saved.run(saved);
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let email = value.get_untracked().trim().to_owned();
        if !email.is_empty() && !errors.check("billing_email", validate::email(&email)) {
            return;
        }
        save.dispatch_local(BillingEmailRequest {
            billing_email: (!email.is_empty()).then_some(email),
        });
    };
    view! {
        <Card title="Billing address" subtitle="Invoices and payment notices go here; empty, to the owners.">
            <form class="form" on:submit=submit novalidate=true data-testid="billing-address">
                <FormMessage error=errors.general() />
                <FormField
                    id="billing-email"
                    name="billing_email"
                    label="E-mail address"
                    input_type="email"
                    autocomplete="email"
                    placeholder="accounts@example.com"
                    value=value
                    error=errors.of("billing_email")
                />
                <div class="form-actions">
                    <Button submit=true loading={busy}>"Save address"</Button>
                </div>
            </form>
        </Card>
    }
}
