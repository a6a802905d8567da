//! Stripe's webhook events: verified, stored once each, and applied in the same
//! transaction, so a redelivered event changes nothing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;

use pulse_shared::audit::ActorKind;

use super::invoices::{self, InvoiceRow};
use super::{client, plans, subscriptions};
use crate::db::audit::Actor;
use crate::db::schema::stripe_events;

/// How old a signed event may be, in seconds, before it is refused (either way, for
/// clocks apart): Stripe's own tolerance.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// The largest event accepted (Stripe's are a few KiB).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// The header Stripe signs events in: `t=<unix time>,v1=<hex HMAC-SHA256>[,v1=…]`.
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";

/// What every event carries, whatever its type.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When Stripe made the event (Unix seconds).
    pub created: i64,
}

/// Whether `header` signs `body` with `secret` within the tolerance of `now`: an
/// HMAC-SHA256 over `"<t>.<body>"`, any of the `v1` values, compared in constant time.
/// Stripe signs as Pulse signs its own webhooks, so one rule checks both.
pub fn verify(secret: &str, header: &str, body: &[u8], now: DateTime<Utc>) -> bool {
    crate::domain::webhooks::verify(
        secret,
        header,
        body,
        now.timestamp(),
        SIGNATURE_TOLERANCE_SECS,
    )
}

/// Stores `event` (its whole `payload`) unless its id is stored already; answers
/// whether it was new.
pub async fn record(
    conn: &mut AsyncPgConnection,
    event: &Envelope,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let created_at = DateTime::from_timestamp(event.created, 0).unwrap_or(now);
    let inserted = diesel::insert_into(stripe_events::table)
        .values((
            stripe_events::id.eq(&event.id),
            stripe_events::kind.eq(&event.kind),
            stripe_events::created_at.eq(created_at),
            stripe_events::received_at.eq(now),
            stripe_events::payload.eq(payload),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Applies a newly stored event in the caller's transaction: subscription and invoice
/// events update what is stored (unless it is newer than the event) and raise their
/// alerts; a failed payment intent explains its invoice's failure. Events about
/// customers that are no company's, and types Pulse does not use, are kept only.
pub async fn apply(
    conn: &mut AsyncPgConnection,
    event: &Envelope,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let kind = event.kind.as_str();
    let applied = kind.starts_with("customer.subscription.")
        || kind.starts_with("invoice.")
        || kind == "payment_intent.payment_failed";
    let object = &payload["data"]["object"];
    // Only the types applied below look their company up.
    let Some(customer) = object["customer"].as_str().filter(|_| applied) else {
        return Ok(());
    };
    let Some(company) = plans::company_of_customer(conn, customer).await? else {
        return Ok(());
    };
    let at = DateTime::from_timestamp(event.created, 0).unwrap_or(now);
    let actor = Actor::unattended(ActorKind::Stripe, now);
    match kind {
        kind if kind.starts_with("customer.subscription.") => {
            let Ok(subscription) = client::Subscription::deserialize(object) else {
                tracing::warn!(event = event.id, "a subscription event Pulse cannot read");
                return Ok(());
            };
            let Some((_, price)) = subscription.item() else {
                return Ok(());
            };
            if let Some(plan) = plans::plan_of_price(conn, price).await? {
                subscriptions::store(conn, company, plan, &subscription, at, &actor).await?;
            }
        }
        kind if kind.starts_with("invoice.") => {
            let Ok(invoice) = client::Invoice::deserialize(object) else {
                tracing::warn!(event = event.id, "an invoice event Pulse cannot read");
                return Ok(());
            };
            let error =
                (kind == "invoice.payment_failed").then(|| "The card was declined.".to_owned());
            if let Some(row) = InvoiceRow::from_stripe(company, &invoice, error, at) {
                invoices::store(conn, row, &actor).await?;
            }
        }
        "payment_intent.payment_failed" => {
            if let Some(invoice) = object["invoice"].as_str() {
                let error = object["last_payment_error"]["message"]
                    .as_str()
                    .unwrap_or("The card was declined.")
                    .to_owned();
                invoices::payment_failed(conn, company, invoice, error, &actor).await?;
            }
        }
        _ => {}
    }
    Ok(())
}
