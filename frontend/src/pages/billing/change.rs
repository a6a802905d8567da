//! Changing plan: the prorated charge previewed by Stripe (amount and lines), then
//! "Confirm", which charges exactly what was shown (the preview's `proration_date`).
//! Refusals (seats in use, a declined card) are shown in the server's words.

use leptos::prelude::*;
use pulse_shared::billing::{Plan, PlanChangeRequest, PlanPreview, PlanPreviewRequest};

use super::BillingState;
use crate::api::{self, ApiError};
use crate::components::{Button, ButtonVariant, Dialog, FormMessage, Skeleton, use_toasts};
use crate::format;
use crate::forms::task;
use crate::session::use_session;

/// The dialog of the plan being chosen.
#[component]
pub(super) fn ChangePlanDialog(state: BillingState) -> impl IntoView {
    let title = Signal::derive(move || {
        state
            .choosing
            .get()
            .map_or_else(String::new, |plan| format!("Change to {}", plan.name))
    });
    view! {
        <Dialog open=state.change_open title={title} {..} data-testid="change-plan">
            {move || state.choosing.get().map(|plan| view! { <PlanChange plan=plan state=state /> })}
        </Dialog>
    }
}

#[component]
fn PlanChange(plan: Plan, state: BillingState) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let id = plan.id;
    let preview = api::Loaded::new(move || async move {
        api::preview_plan(session, &PlanPreviewRequest { plan: id }).await
    });
    let error = RwSignal::new(None::<String>);
    let plan = StoredValue::new(plan);
    let confirm = task(move |proration_date: i64| async move {
        error.set(None);
        let request = PlanChangeRequest {
            plan: id,
            proration_date: Some(proration_date),
        };
        match api::change_plan(session, &request).await {
            Ok(fresh) => {
                toasts.success(format!("You are on {} now.", fresh.plan.name));
                state.change_open.set(false);
                state.update(fresh);
            }
            // The card went meanwhile: ask for one, then come back here.
            Err(failure) if lacks_card(&failure) => {
                state.change_open.set(false);
                state.ask_for_card(Some(plan.get_value()));
            }
            Err(failure) => error.set(Some(in_words(&failure))),
        }
    });
    let busy = confirm.pending();
    let close = move |_| state.change_open.set(false);
    // The buttons are inside the Suspense too: the preview is read there only.
    view! {
        <Suspense fallback=|| view! { <div class="dialog-body"><Skeleton lines=3 /></div> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(preview) => {
                        let proration_date = preview.proration_date;
                        view! {
                            <div class="dialog-body">
                                {preview_body(plan.get_value(), preview)}
                                <FormMessage error=error />
                            </div>
                            <footer class="dialog-footer">
                                <Button variant=ButtonVariant::Secondary on_click=close>
                                    "Cancel"
                                </Button>
                                <Button
                                    loading=busy
                                    on_click=move |_| {
                                        confirm.dispatch_local(proration_date);
                                    }
                                    {..}
                                    data-testid="confirm-plan"
                                >
                                    "Confirm"
                                </Button>
                            </footer>
                        }
                            .into_any()
                    }
                    Err(failure) => view! {
                        <div class="dialog-body">
                            <p class="form-message" role="alert" data-testid="preview-error">
                                {in_words(&failure)}
                            </p>
                        </div>
                        <footer class="dialog-footer">
                            <Button variant=ButtonVariant::Secondary on_click=close>
                                "Close"
                            </Button>
                        </footer>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The amount due now, what it is made of, and what the plan then costs each month.
fn preview_body(plan: Plan, preview: PlanPreview) -> impl IntoView {
    let PlanPreview {
        amount_due_cents,
        currency,
        lines,
        ..
    } = preview;
    let (label, amount) = if amount_due_cents < 0 {
        (
            "Credit towards later invoices",
            format::money(-amount_due_cents, &currency),
        )
    } else {
        ("Charged now", format::money(amount_due_cents, &currency))
    };
    let monthly = if plan.monthly_price_cents == 0 {
        format!("{} costs nothing; the paid plan ends now.", plan.name)
    } else {
        format!(
            "Then {} a month, charged to the card on file.",
            format::money(i64::from(plan.monthly_price_cents), &plan.currency)
        )
    };
    view! {
        <div class="preview" data-testid="plan-preview">
            <p class="preview-total">
                <span class="preview-total-label">{label}</span>
                <span class="preview-total-amount" data-testid="preview-amount">{amount}</span>
            </p>
            {(!lines.is_empty()).then(|| view! {
                <ul class="preview-lines" data-testid="preview-lines">
                    {lines
                        .into_iter()
                        .map(|line| view! {
                            <li>
                                <span>{line.description}</span>
                                <span class="preview-line-amount">{format::money(line.amount_cents, &currency)}</span>
                            </li>
                        })
                        .collect_view()}
                </ul>
            })}
            <p class="muted">{monthly}</p>
        </div>
    }
}

/// A refusal because no card is on file (`/plan`, `no_card`).
fn lacks_card(error: &ApiError) -> bool {
    error
        .field_errors()
        .iter()
        .any(|field| field.code == "no_card")
}

/// The server's own words: the problem's detail, or its field messages.
fn in_words(error: &ApiError) -> String {
    let fields = error.field_errors();
    if fields.is_empty() {
        error.summary()
    } else {
        fields
            .iter()
            .map(|field| field.message.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}
