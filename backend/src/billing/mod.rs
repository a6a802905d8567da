//! Billing: the plans companies choose from and what Stripe tells us. The plans live
//! in the `plans` table (seeded by a migration); Stripe's webhook events are verified
//! against `STRIPE_WEBHOOK_SECRET` and stored once each in `stripe_events`, so a
//! redelivered event changes nothing. Taking a seat past 80 % of the limit, or the
//! last one, alerts the owners and admins ([`seats`]).

pub mod events;
pub mod plans;
pub mod seats;
