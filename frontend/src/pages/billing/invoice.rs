//! One invoice (`/billing/invoices/{id}`), laid out to be read or printed: its number,
//! status, amounts, period, why its payment failed if it did, and Stripe's own page and
//! PDF when Stripe made them.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use pulse_shared::billing::Invoice;

use super::invoices::{invoice_badge, invoice_name, period};
use crate::api;
use crate::components::{Button, ButtonVariant, Card, ErrorCard, Skeleton};
use crate::format;
use crate::reactive::memo;
use crate::session::use_session;

/// The page.
#[component]
pub fn BillingInvoice() -> impl IntoView {
    super::super::set_title("Invoice");
    let session = use_session();
    let params = use_params_map();
    let id = memo(move || params.with(|params| params.get("id").unwrap_or_default()));
    let invoice = api::Loaded::new(move || {
        let id = id.get();
        async move { api::invoice(session, &id).await }
    });
    let company = memo(move || session.me().map(|me| me.company.name).unwrap_or_default());
    view! {
        <div class="page page-invoice" data-page="billing-invoice">
            <header class="page-header">
                <div>
                    <A href="/billing/invoices" attr:class="back-link no-print">"← Payment history"</A>
                    <h1 class="page-title">
                        {move || {
                            invoice
                                .get()
                                .and_then(Result::ok)
                                .map_or_else(|| "Invoice".to_owned(), |invoice| format!("Invoice {}", invoice_name(&invoice)))
                        }}
                    </h1>
                    <p class="page-lede">{move || company.get()}</p>
                </div>
                <Button
                    variant=ButtonVariant::Secondary
                    on_click=move |_| {
                        let _ = leptos::prelude::window().print();
                    }
                    {..}
                    class:no-print=true
                    data-testid="invoice-print"
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M7 9V3h10v6M7 17H4v-8h16v8h-3M7 14h10v7H7z" />
                    </svg>
                    "Print"
                </Button>
            </header>
            <Transition fallback=|| view! { <Card title="Invoice"><Skeleton lines=5 /></Card> }>
                {move || Suspend::new(async move {
                    match invoice.await {
                        Ok(invoice) => invoice_view(invoice).into_any(),
                        Err(error) => view! {
                            <ErrorCard title="Invoice" error=error on_retry=Callback::new(move |()| invoice.refetch()) />
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

fn invoice_view(invoice: Invoice) -> impl IntoView {
    let money = |cents| format::money(cents, &invoice.currency);
    let total = money(invoice.total_cents);
    let due = money(invoice.amount_due_cents);
    let paid = money(invoice.amount_paid_cents);
    let remaining = money((invoice.amount_due_cents - invoice.amount_paid_cents).max(0));
    let period = period(&invoice);
    let links = invoice.hosted_invoice_url.is_some() || invoice.invoice_pdf.is_some();
    view! {
        <Card title="Summary" {..} data-testid="invoice" data-invoice-status=invoice.status.as_str()>
            <div class="invoice-total">
                <span class="invoice-total-amount" data-testid="invoice-total">{total}</span>
                {invoice_badge(invoice.status)}
            </div>
            <dl class="facts">
                <div class="fact">
                    <dt>"Number"</dt>
                    <dd class="mono">{invoice.number.clone().unwrap_or_else(|| "Not finalized".to_owned())}</dd>
                </div>
                <div class="fact">
                    <dt>"Period"</dt>
                    <dd>{period}</dd>
                </div>
                <div class="fact">
                    <dt>"Made on"</dt>
                    <dd>{format::date(invoice.created_at)}</dd>
                </div>
                <div class="fact">
                    <dt>"Amount due"</dt>
                    <dd class="fact-value">{due}</dd>
                </div>
                <div class="fact">
                    <dt>"Paid"</dt>
                    <dd class="fact-value" data-testid="invoice-paid">{paid}</dd>
                </div>
                <div class="fact">
                    <dt>"Left to pay"</dt>
                    <dd class="fact-value">{remaining}</dd>
                </div>
                <div class="fact">
                    <dt>"Stripe id"</dt>
                    <dd class="mono fact-detail">{invoice.id.clone()}</dd>
                </div>
                {invoice.payment_error.clone().map(|error| view! {
                    <div class="fact fact-wide">
                        <dt>"Why the payment failed"</dt>
                        <dd class="fact-detail" data-testid="invoice-error">{error}</dd>
                    </div>
                })}
            </dl>
            {links.then(|| view! {
                <div class="form-actions invoice-links no-print">
                    {invoice.hosted_invoice_url.clone().map(|url| view! {
                        <a class="btn btn-secondary" href=url target="_blank" rel="noopener noreferrer" data-testid="invoice-hosted">
                            "Open on Stripe"
                        </a>
                    })}
                    {invoice.invoice_pdf.clone().map(|url| view! {
                        <a class="btn btn-secondary" href=url target="_blank" rel="noopener noreferrer" data-testid="invoice-pdf">
                            "Download PDF"
                        </a>
                    })}
                </div>
            })}
        </Card>
    }
}
