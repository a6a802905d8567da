//! Payment history (`/billing/invoices`): the company's invoices, newest first, with
//! filters (status, from, to), "Load more", the same filter as CSV, and a link to each
//! invoice's own page.

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::billing::{Invoice, InvoiceQuery, InvoiceStatus};

use crate::api;
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, DataTable, Empty, FormField, FormMessage,
    SelectField, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::format::{self, DayStyle};
use crate::forms::{FormErrors, task};
use crate::reactive::effect;
use crate::session::use_session;

/// How many invoices one "Load more" brings.
const PAGE_SIZE: u32 = 25;

type InvoiceList = CursorList<Invoice, InvoiceQuery>;

/// The page.
#[component]
pub fn PaymentHistory() -> impl IntoView {
    super::super::set_title("Payment history");
    let session = use_session();
    let toasts = use_toasts();
    let applied = RwSignal::new(InvoiceQuery::default());
    let list: InvoiceList = CursorList::new(session, "invoices", |session, query| {
        Box::pin(async move { api::invoices(session, &query).await })
    });
    effect(move |_| {
        list.load(InvoiceQuery {
            limit: Some(PAGE_SIZE),
            ..applied.get()
        })
    });
    let export_csv = task(move |()| {
        let filter = applied.get_untracked();
        async move {
            let csv = api::invoices_csv(session, &filter).await;
            browser::save_csv(toasts, csv, "invoices", ("invoice", "invoices"));
        }
    });
    let exporting = export_csv.pending();
    view! {
        <div class="page" data-page="billing-invoices">
            <header class="page-header">
                <div>
                    <A href="/billing" attr:class="back-link">"← Billing"</A>
                    <h1 class="page-title">"Payment history"</h1>
                    <p class="page-lede">"Every invoice Stripe made for your company, newest first."</p>
                </div>
                <Button
                    variant=ButtonVariant::Secondary
                    loading=exporting
                    on_click=move |_| {
                        export_csv.dispatch_local(());
                    }
                    {..}
                    data-testid="invoices-csv"
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />
                    </svg>
                    "Download CSV"
                </Button>
            </header>
            <Card title="Invoices" flush=true>
                <InvoiceFilters applied=applied />
                <CursorListBody list=list title="Invoices" lines=4>
                    <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                        <DataTable
                            columns=&["Invoice", "Status", "Amount", "Period", "Date", ""]
                            is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                            {..}
                            class:table-invoices=true
                            data-testid="invoices"
                        >
                            <Empty slot>"No invoices match. Invoices appear here once a paid plan is charged."</Empty>
                            <For each=move || list.rows.get() key=|invoice| (invoice.id.clone(), invoice.status) let:invoice>
                                {invoice_row(invoice)}
                            </For>
                        </DataTable>
                    </div>
                </CursorListBody>
                <LoadMore list=list />
            </Card>
        </div>
    }
}

/// Status, from and to; "Apply" replaces the applied filter, "Clear" empties it.
#[component]
fn InvoiceFilters(applied: RwSignal<InvoiceQuery>) -> impl IntoView {
    let status = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any status".to_owned())];
        options.extend(
            InvoiceStatus::ALL
                .iter()
                .map(|status| (status.as_str().to_owned(), status.label().to_owned())),
        );
        options
    });
    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let start = format::parse_day(&from.get_untracked());
        let end = format::parse_day(&to.get_untracked());
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            errors.set("to", "The end is before the start.");
            return;
        }
        applied.set(InvoiceQuery {
            status: status.get_untracked().parse().ok(),
            from: start,
            to: end,
            cursor: None,
            limit: None,
        });
    };
    let clear = move |_| {
        for field in [status, from, to] {
            field.set(String::new());
        }
        errors.clear();
        applied.set(InvoiceQuery::default());
    };
    let filtered = move || applied.with(|query| *query != InvoiceQuery::default());
    view! {
        <form class="filter-bar filter-bar-invoices" on:submit=apply novalidate=true data-testid="invoice-filters">
            <SelectField id="invoice-status" name="status" label="Status" value=status options=options />
            <FormField id="invoice-from" name="from" label="From" input_type="date" value=from />
            <FormField id="invoice-to" name="to" label="To" input_type="date" value=to error=errors.of("to") />
            <div class="filter-actions">
                <Button submit=true variant={ButtonVariant::Secondary} {..} data-testid="invoices-apply">
                    "Apply filters"
                </Button>
                <Show when=filtered>
                    <Button variant=ButtonVariant::Ghost on_click=clear>
                        "Clear"
                    </Button>
                </Show>
            </div>
            <FormMessage error=errors.general() />
        </form>
    }
}

/// An invoice's state as a badge; the same on its own page.
pub(super) fn invoice_badge(status: InvoiceStatus) -> impl IntoView {
    let tone = match status {
        InvoiceStatus::Paid => BadgeTone::Success,
        InvoiceStatus::Open => BadgeTone::Warning,
        InvoiceStatus::Uncollectible => BadgeTone::Danger,
        InvoiceStatus::Draft | InvoiceStatus::Void => BadgeTone::Neutral,
    };
    view! { <Badge tone={tone} {..} data-status=status.as_str()>{status.label()}</Badge> }
}

/// `1 Mar – 1 Apr 2026`.
pub(super) fn period(invoice: &Invoice) -> String {
    format!(
        "{} – {}",
        format::day(invoice.period_start, DayStyle::DayMonth),
        format::date(invoice.period_end)
    )
}

/// The invoice's printed number, or Stripe's id before it has one.
pub(super) fn invoice_name(invoice: &Invoice) -> String {
    invoice.number.clone().unwrap_or_else(|| invoice.id.clone())
}

fn invoice_row(invoice: Invoice) -> impl IntoView {
    let href = format!(
        "/billing/invoices/{}",
        js_sys::encode_uri_component(&invoice.id)
    );
    let name = invoice_name(&invoice);
    let amount = format::money(invoice.total_cents, &invoice.currency);
    let period = period(&invoice);
    let iso = invoice.created_at.to_rfc3339();
    let exact = format::timestamp(invoice.created_at);
    let label = format!("View invoice {name}");
    view! {
        <tr data-invoice-id=invoice.id.clone() data-invoice-status=invoice.status.as_str()>
            <td class="cell-invoice">
                <A href=href.clone() attr:class="mono">{name}</A>
                {invoice.payment_error.clone().map(|error| view! { <span class="cell-sub cell-error">{error}</span> })}
            </td>
            <td class="cell-status">{invoice_badge(invoice.status)}</td>
            <td class="cell-amount" data-label="Amount">{amount}</td>
            <td class="cell-period" data-label="Period">{period}</td>
            <td class="cell-date" data-label="Date">
                <time datetime=iso title=exact>{format::date(invoice.created_at)}</time>
            </td>
            <td class="cell-actions">
                <A href=href attr:class="btn btn-ghost" {..} aria-label=label data-testid="invoice-link">
                    "View"
                </A>
            </td>
        </tr>
    }
}
