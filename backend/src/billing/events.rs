//! Stripe's webhook events: verified, then stored once each.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;

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
    payload: serde_json::Value,
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
