//! Billing: the plans companies choose from, their Stripe subscriptions, cards and
//! invoices, and what Stripe tells us.
//!
//! - [`plans`]: the plans table and the plan each company is on;
//! - [`client`]: the Stripe API (async-stripe's generic calls over lean types);
//! - [`account`]: what an owner or admin does (card, preview, change plan, auto-renew),
//!   each a few Stripe calls whose answers are stored and audited in one transaction;
//! - [`subscriptions`], [`invoices`], [`cards`]: Stripe's state as last told, older
//!   news never overwriting newer;
//! - [`events`]: webhook events, verified, stored once and applied in one transaction;
//! - [`seats`]: "seat usage high" when enrollments cross 80 % or 100 % of the limit.
//!
//! The grace period and the "subscription expiring" notices are a periodic job
//! (`worker::billing`).

pub mod account;
pub mod cards;
pub mod client;
pub mod events;
pub mod invoices;
pub mod plans;
pub mod seats;
pub mod subscriptions;

use crate::config::StripeConfig;

/// Stripe, when billing is configured: its settings and a client.
#[derive(Debug, Clone)]
pub struct Stripe {
    pub config: StripeConfig,
    pub client: client::StripeClient,
}

impl Stripe {
    pub fn new(config: StripeConfig) -> Self {
        let client = client::StripeClient::new(&config);
        Self { config, client }
    }
}
