//! Invoices, kept from Stripe's answers and events. Like subscriptions, each state
//! carries the time it describes and an older one, or one of an earlier stage, changes
//! nothing; a change of status is audited, and a paid or failed payment alerts the
//! owners and admins, in the same transaction, once per invoice whatever told us first.

use chrono::{DateTime, NaiveTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::billing::{Invoice, InvoiceQuery, InvoiceStatus};
use pulse_shared::ids::CompanyId;
use serde_json::json;

use super::client;
use super::subscriptions::timestamp;
use crate::alerting::{self, Audience, NewAlert};
use crate::db::audit::{self, Actor, Change};
use crate::db::schema::invoices;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = invoices, treat_none_as_null = true)]
pub struct InvoiceRow {
    pub company_id: CompanyId,
    pub id: String,
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub total_cents: i64,
    pub amount_due_cents: i64,
    pub amount_paid_cents: i64,
    pub currency: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
    pub payment_error: Option<String>,
    pub synced_at: DateTime<Utc>,
}

impl From<InvoiceRow> for Invoice {
    fn from(row: InvoiceRow) -> Self {
        Self {
            id: row.id,
            number: row.number,
            status: row.status,
            total_cents: row.total_cents,
            amount_due_cents: row.amount_due_cents,
            amount_paid_cents: row.amount_paid_cents,
            currency: row.currency,
            period_start: row.period_start,
            period_end: row.period_end,
            created_at: row.created_at,
            hosted_invoice_url: row.hosted_invoice_url,
            invoice_pdf: row.invoice_pdf,
            payment_error: row.payment_error,
        }
    }
}

impl InvoiceRow {
    /// The row for Stripe's `invoice` as of `at`; `None` for a preview (no id) or a
    /// status Pulse does not know.
    pub fn from_stripe(
        company: CompanyId,
        invoice: &client::Invoice,
        payment_error: Option<String>,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        let created_at = timestamp(invoice.created.unwrap_or_default(), at);
        Some(Self {
            company_id: company,
            id: invoice.id.clone()?,
            number: invoice.number.clone(),
            status: invoice.status.as_deref()?.parse().ok()?,
            total_cents: invoice.total,
            amount_due_cents: invoice.amount_due,
            amount_paid_cents: invoice.amount_paid,
            currency: invoice.currency.to_lowercase(),
            period_start: invoice
                .period_start
                .map_or(created_at, |start| timestamp(start, at)),
            period_end: invoice
                .period_end
                .map_or(created_at, |end| timestamp(end, at)),
            created_at,
            hosted_invoice_url: invoice.hosted_invoice_url.clone(),
            invoice_pdf: invoice.invoice_pdf.clone(),
            payment_error,
            synced_at: at,
        })
    }
}

/// How far along its life an invoice with `status` is. Stripe moves an invoice only
/// forward: a draft is finalised (open), then paid, voided or marked uncollectible,
/// and an uncollectible one can still be paid or voided.
fn stage(status: InvoiceStatus) -> u8 {
    match status {
        InvoiceStatus::Draft => 0,
        InvoiceStatus::Open => 1,
        InvoiceStatus::Uncollectible => 2,
        InvoiceStatus::Paid | InvoiceStatus::Void => 3,
    }
}

/// Stores `row` unless a newer state of the invoice, or one further along, is stored; a payment error
/// already known stays until the invoice is paid. On a change of status the change
/// is audited by `actor`; an invoice newly paid raises "payment succeeded", a new
/// payment error "payment failed". Answers whether anything was stored.
pub async fn store(
    conn: &mut AsyncPgConnection,
    mut row: InvoiceRow,
    actor: &Actor,
) -> QueryResult<bool> {
    let before: Option<InvoiceRow> = invoices::table
        .filter(invoices::company_id.eq(row.company_id))
        .filter(invoices::id.eq(&row.id))
        .select(InvoiceRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    if let Some(before) = &before {
        // Events carry whole seconds, and two of one second come in any order: news of
        // an earlier step of the invoice's life is stale whatever its time says.
        if before.synced_at > row.synced_at || stage(before.status) > stage(row.status) {
            return Ok(false);
        }
        if row.payment_error.is_none() && row.status != InvoiceStatus::Paid {
            row.payment_error.clone_from(&before.payment_error);
        }
        row.number = row.number.or(before.number.clone());
        row.hosted_invoice_url = row.hosted_invoice_url.or(before.hosted_invoice_url.clone());
        row.invoice_pdf = row.invoice_pdf.or(before.invoice_pdf.clone());
    }
    if row.status == InvoiceStatus::Paid {
        row.payment_error = None;
    }
    diesel::insert_into(invoices::table)
        .values(&row)
        .on_conflict((invoices::company_id, invoices::id))
        .do_update()
        .set(&row)
        .execute(conn)
        .await?;
    let status_before = before.as_ref().map(|before| before.status);
    let error_before = before
        .as_ref()
        .and_then(|before| before.payment_error.as_ref());
    let alert = if row.status == InvoiceStatus::Paid
        && status_before != Some(InvoiceStatus::Paid)
        && row.amount_paid_cents > 0
    {
        Some(NewAlert {
            kind: AlertKind::PaymentSucceeded,
            title: format!(
                "Payment of {} received",
                money(row.amount_paid_cents, &row.currency)
            ),
            body: format!("Invoice {} is paid. Thank you.", row.label()),
            subject: row.subject(),
            audience: Audience::Company,
            agents: Vec::new(),
        })
    } else if let Some(error) = row
        .payment_error
        .as_ref()
        .filter(|_| error_before.is_none())
    {
        Some(NewAlert {
            kind: AlertKind::PaymentFailed,
            title: format!(
                "Payment of {} failed",
                money(row.amount_due_cents, &row.currency)
            ),
            body: format!(
                "Invoice {} could not be charged: {error} Update the card on the Billing page.",
                row.label()
            ),
            subject: row.subject(),
            audience: Audience::Company,
            agents: Vec::new(),
        })
    } else {
        None
    };
    if let Some(alert) = alert {
        alerting::raise(conn, row.company_id, alert, actor.at).await?;
    }
    // The audit entry last: it locks the company's chain until the commit, and every
    // event of the company waits for that lock (a burst is serialised there).
    if status_before != Some(row.status) {
        let change = Change {
            action: AuditAction::BillingInvoiceUpdated,
            target_kind: TargetKind::Company,
            target_id: Some(row.company_id.0),
            summary: json!({
                "invoice": row.id,
                "before": status_before.map(|status| json!({"status": status})),
                "after": {"status": row.status, "amount_due_cents": row.amount_due_cents},
            }),
        };
        audit::record(conn, row.company_id, actor, change).await?;
    }
    Ok(true)
}

impl InvoiceRow {
    /// How people refer to the invoice: its number, else Stripe's id.
    fn label(&self) -> &str {
        self.number.as_deref().unwrap_or(&self.id)
    }

    fn subject(&self) -> AlertSubject {
        AlertSubject {
            invoice_id: Some(self.id.clone()),
            ..AlertSubject::default()
        }
    }
}

/// An amount as people read it: `$29.00`, or `29.00 EUR` in other currencies.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let amount = format!(
        "{}.{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    );
    if currency.eq_ignore_ascii_case("usd") {
        format!("{sign}${amount}")
    } else {
        format!("{sign}{amount} {}", currency.to_uppercase())
    }
}

/// Sets the payment error of `company`'s invoice `id` (from a payment intent's
/// failure), as of `at`, raising "payment failed" when it is new.
pub async fn payment_failed(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: &str,
    error: String,
    actor: &Actor,
) -> QueryResult<bool> {
    let Some(row) = find(conn, company, id).await? else {
        return Ok(false);
    };
    if row.status == InvoiceStatus::Paid || row.payment_error.is_some() {
        return Ok(false);
    }
    store(
        conn,
        InvoiceRow {
            payment_error: Some(error),
            ..row
        },
        actor,
    )
    .await
}

/// `company`'s open invoices whose payment failed: what a new card should pay.
pub async fn unpaid(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<Vec<String>> {
    invoices::table
        .filter(invoices::company_id.eq(company))
        .filter(invoices::status.eq(InvoiceStatus::Open))
        .filter(invoices::payment_error.is_not_null())
        .order(invoices::created_at.asc())
        .select(invoices::id)
        .limit(12)
        .load(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: &str,
) -> QueryResult<Option<InvoiceRow>> {
    invoices::table
        .filter(invoices::company_id.eq(company))
        .filter(invoices::id.eq(id))
        .select(InvoiceRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Where a page of invoices starts: after this invoice (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: String,
}

impl std::str::FromStr for Cursor {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        let (micros, id) = text.split_once('_').ok_or(())?;
        Ok(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().map_err(|_| ())?)
                .ok_or(())?,
            id: id.to_owned(),
        })
    }
}

impl Cursor {
    pub fn of(row: &InvoiceRow) -> String {
        format!("{}_{}", row.created_at.timestamp_micros(), row.id)
    }
}

/// `company`'s invoices matching `query`, newest first, at most `limit` after `after`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    query: &InvoiceQuery,
    after: Option<&Cursor>,
    limit: i64,
) -> QueryResult<Vec<InvoiceRow>> {
    let mut rows = invoices::table
        .filter(invoices::company_id.eq(company))
        .select(InvoiceRow::as_select())
        .order((invoices::created_at.desc(), invoices::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(status) = query.status {
        rows = rows.filter(invoices::status.eq(status));
    }
    if let Some(from) = query.from {
        rows = rows.filter(invoices::created_at.ge(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(to) = query.to.and_then(|to| to.succ_opt()) {
        rows = rows.filter(invoices::created_at.lt(to.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(after) = after {
        rows = rows.filter(
            invoices::created_at
                .lt(after.created_at)
                .or(invoices::created_at
                    .eq(after.created_at)
                    .and(invoices::id.lt(&after.id))),
        );
    }
    rows.load(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_money() {
        assert_eq!(money(2900, "usd"), "$29.00");
        assert_eq!(money(-705, "USD"), "-$7.05");
        assert_eq!(money(9900, "eur"), "99.00 EUR");
    }

    #[test]
    fn cursors_read_back() {
        let cursor: Cursor = "1764806400000000_in_123".parse().unwrap();
        assert_eq!(cursor.id, "in_123");
        assert_eq!(cursor.created_at.timestamp(), 1_764_806_400);
        assert!("x_in".parse::<Cursor>().is_err() && "12".parse::<Cursor>().is_err());
    }
}
