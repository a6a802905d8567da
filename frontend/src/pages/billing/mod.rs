//! Billing (`/billing`, owners and admins): where the company stands (plan, status,
//! renewal, seats, next invoice, auto-renew), the card invoices are charged to (entered
//! in Stripe.js Elements), the plans side by side with a previewed, prorated change, and
//! the address invoices go to; `/billing/invoices` is the payment history and
//! `/billing/invoices/{id}` one invoice, printable.

mod address;
mod card;
mod change;
mod invoice;
mod invoices;
mod plans;
mod standing;
mod stripe;

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::billing::{BillingOverview, Plan};

use super::heading::{self, PageHeading};
use crate::api;
use crate::billing_watch::{BillingWatch, use_billing_watch};
use crate::components::{Card, ErrorCard, Skeleton};
use crate::session::use_session;
use address::BillingAddress;
use card::{CardDialog, PaymentMethodCard};
use change::ChangePlanDialog;
pub use invoice::BillingInvoice;
pub use invoices::PaymentHistory;
use plans::PlanComparison;
use standing::CurrentPlan;

/// The page: where the company stands, its card, the plans, the billing address.
#[component]
pub fn Billing() -> impl IntoView {
    let session = use_session();
    let overview = api::Loaded::new(move || api::billing(session));
    let plans = api::Loaded::new(move || api::plans(session));
    // The page's parts keep their own state once loaded; only a retry loads it again.
    let body = move || match (overview.get(), plans.get()) {
        (Some(Ok(now)), Some(Ok(offer))) => {
            view! { <BillingBody overview=now plans=offer /> }.into_any()
        }
        (Some(Err(error)), _) | (_, Some(Err(error))) => view! {
            <ErrorCard
                title="Billing"
                error=error
                on_retry=Callback::new(move |()| {
                    overview.refetch();
                    plans.refetch();
                })
            />
        }
        .into_any(),
        _ => view! { <Card title="Plan"><Skeleton lines=3 /></Card> }.into_any(),
    };

    view! {
        <div class="page" data-page="billing">
            <header class="page-header">
                <PageHeading heading=heading::BILLING />
                <A href="/billing/invoices" attr:class="btn btn-secondary" {..} data-testid="billing-history-link">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M7 3h10v18l-2.5-1.5L12 21l-2.5-1.5L7 21zM10 8h4M10 12h4M10 16h2" />
                    </svg>
                    "Payment history"
                </A>
            </header>
            {body}
        </div>
    }
}

/// What the page's parts share: the company's standing, replaced by every answer that
/// carries it, and which dialog is open for what.
#[derive(Clone, Copy)]
struct BillingState {
    overview: RwSignal<BillingOverview>,
    card_open: RwSignal<bool>,
    /// The paid plan chosen without a card on file: previewed once a card is saved.
    after_card: RwSignal<Option<Plan>>,
    /// The plan whose change is previewed.
    choosing: RwSignal<Option<Plan>>,
    change_open: RwSignal<bool>,
    watch: BillingWatch,
}

impl BillingState {
    /// A fresher standing from the server: for this page and the banner.
    fn update(self, fresh: BillingOverview) {
        self.watch.set(fresh.clone());
        self.overview.set(fresh);
    }

    /// Opens the card form; `then` is previewed once the card is saved.
    fn ask_for_card(self, then: Option<Plan>) {
        self.after_card.set(then);
        self.card_open.set(true);
    }

    /// "Choose" on a plan card: its preview, or first a card for a paid plan.
    fn choose(self, plan: Plan) {
        let has_card = self
            .overview
            .with_untracked(|now| now.payment_method.is_some());
        if plan.monthly_price_cents > 0 && !has_card {
            self.ask_for_card(Some(plan));
        } else {
            self.choosing.set(Some(plan));
            self.change_open.set(true);
        }
    }

    /// The card form saved a card: on to the plan chosen before, if any.
    fn card_saved(self, fresh: BillingOverview) {
        self.update(fresh);
        self.card_open.set(false);
        if let Some(plan) = self.after_card.get_untracked() {
            self.after_card.set(None);
            self.choosing.set(Some(plan));
            self.change_open.set(true);
        }
    }
}

#[component]
fn BillingBody(overview: BillingOverview, plans: Vec<Plan>) -> impl IntoView {
    let watch = use_billing_watch();
    watch.set(overview.clone());
    let email = overview.billing_email.clone();
    let state = BillingState {
        overview: RwSignal::new(overview),
        card_open: RwSignal::new(false),
        after_card: RwSignal::new(None),
        choosing: RwSignal::new(None),
        change_open: RwSignal::new(false),
        watch,
    };
    view! {
        <div class="grid grid-2 billing-top">
            <CurrentPlan state=state />
            <PaymentMethodCard state=state />
        </div>
        <PlanComparison plans=plans state=state />
        <BillingAddress email=email on_saved=Callback::new(move |fresh| state.update(fresh)) />
        <CardDialog state=state />
        <ChangePlanDialog state=state />
    }
}
