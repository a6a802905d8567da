//! What an owner or admin does to the company's billing. Each action makes its Stripe
//! calls first (each with an idempotency key named after the operation, so a retried
//! request never charges twice), then stores Stripe's answers, audited, in one
//! transaction. Stripe's webhook events about the same change arrive later and, being
//! older than what is stored, change nothing.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::billing::{PlanId, PlanPreview, PreviewLine, SubscriptionStatus};
use pulse_shared::ids::CompanyId;
use serde_json::json;

use super::Stripe;
use super::cards::{self, CardRow};
use super::client::{self, CallError};
use super::invoices::{self, InvoiceRow};
use super::plans::{self, CompanyPlan};
use super::subscriptions::{self, SubscriptionRow};
use crate::db::Db;
use crate::db::audit::{self, Actor, Change};
use crate::errors::ApiError;

impl From<CallError> for ApiError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Declined(message) => Self::PaymentRequired(message),
            CallError::Missing(message) | CallError::Failed(message) => {
                Self::PaymentProvider(message)
            }
        }
    }
}

/// The company's Stripe customer, made on first need with the company's name and
/// billing address.
pub async fn customer(db: &Db, stripe: &Stripe, company: CompanyId) -> Result<String, ApiError> {
    let mut conn = db.tenant(company).await?;
    let current = plans::of_company(&mut conn, company, false).await?;
    if let Some(customer) = current.stripe_customer_id {
        return Ok(customer);
    }
    drop(conn);
    let customer = stripe
        .client
        .create_customer(company.0, &current.name, current.billing_email.as_deref())
        .await?;
    let mut conn = db.tenant(company).await?;
    plans::set_customer(&mut conn, company, &customer.id).await?;
    Ok(customer.id)
}

/// Makes the card Stripe.js collected (`payment_method`) the company's: attached to
/// its customer, the default for its invoices, and stored (brand, last four, expiry).
pub async fn set_card(
    db: &Db,
    stripe: &Stripe,
    company: CompanyId,
    actor: &Actor,
    payment_method: &str,
) -> Result<CardRow, ApiError> {
    let customer = customer(db, stripe, company).await?;
    let unknown = || {
        ApiError::field(
            "/payment_method_id",
            "not_found",
            "Stripe knows no card by this id: enter the card again.",
        )
    };
    let method = match stripe.client.payment_method(payment_method).await {
        Err(CallError::Missing(_)) => return Err(unknown()),
        other => other?,
    };
    let method = match method.customer.as_deref() {
        Some(owner) if owner == customer => method,
        Some(_) => return Err(unknown()),
        None => {
            stripe
                .client
                .attach_payment_method(payment_method, &customer)
                .await?
        }
    };
    let Some(card) = method.card else {
        return Err(ApiError::field(
            "/payment_method_id",
            "not_a_card",
            "This payment method is not a card.",
        ));
    };
    stripe
        .client
        .set_default_payment_method(&customer, &method.id)
        .await?;
    let row = CardRow {
        company_id: company,
        stripe_payment_method_id: method.id,
        brand: card.brand,
        last4: card.last4,
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        updated_at: actor.at,
    };
    let mut conn = db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let before = cards::of_company(conn, company).await?;
        cards::store(conn, &row).await?;
        let change = Change {
            action: AuditAction::BillingPaymentMethodChanged,
            target_kind: TargetKind::Company,
            target_id: Some(company.0),
            summary: json!({
                "before": before.map(|card| json!({"brand": card.brand, "last4": card.last4})),
                "after": {"brand": row.brand, "last4": row.last4},
            }),
        };
        audit::record(conn, company, actor, change).await?;
        Ok(())
    })
    .await?;
    drop(conn);
    settle_overdue(db, stripe, company, actor, &row.stripe_payment_method_id).await?;
    Ok(row)
}

/// Charges the invoices left unpaid by a refused card to the new `card`, and reads
/// their subscription back: a company whose payment was overdue is in good standing
/// again as soon as a card that pays is added.
async fn settle_overdue(
    db: &Db,
    stripe: &Stripe,
    company: CompanyId,
    actor: &Actor,
    card: &str,
) -> Result<(), ApiError> {
    let mut conn = db.tenant(company).await?;
    let unpaid = invoices::unpaid(&mut conn, company).await?;
    let subscription = subscriptions::of_company(&mut conn, company, false)
        .await?
        .filter(|row| row.status.is_overdue());
    drop(conn);
    if unpaid.is_empty() {
        return Ok(());
    }
    let mut paid = Vec::new();
    for invoice in unpaid {
        let answer = stripe.client.pay_invoice(&invoice, card).await?;
        paid.push(with_error(stripe, answer).await?);
    }
    let subscription = match &subscription {
        Some(row) => Some((
            row.plan_id,
            stripe
                .client
                .subscription(&row.stripe_subscription_id)
                .await?,
        )),
        None => None,
    };
    let mut conn = db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        for (invoice, error) in paid {
            if let Some(row) = InvoiceRow::from_stripe(company, &invoice, error, actor.at) {
                invoices::store(conn, row, actor).await?;
            }
        }
        if let Some((plan, subscription)) = &subscription {
            subscriptions::store(conn, company, *plan, subscription, actor.at, actor).await?;
        }
        Ok(())
    })
    .await
}

/// The subscription the company pays, unless it has ended.
async fn live_subscription(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> Result<Option<SubscriptionRow>, ApiError> {
    Ok(subscriptions::of_company(conn, company, false)
        .await?
        .filter(|row| !row.status.is_ended()))
}

/// The Stripe price of a paid plan, or why it cannot be sold.
async fn price(conn: &mut AsyncPgConnection, plan: PlanId) -> Result<String, ApiError> {
    plans::price_of(conn, plan).await?.ok_or_else(|| {
        ApiError::Conflict(format!(
            "The {} plan has no Stripe price yet: run `pulse stripe-setup`.",
            plan.as_str()
        ))
    })
}

/// Refuses a plan whose seats are fewer than those in use, naming how many agents
/// must be revoked first.
async fn check_seats(
    conn: &mut AsyncPgConnection,
    current: &CompanyPlan,
    plan: PlanId,
) -> Result<(), ApiError> {
    let offer = plans::list(conn).await?;
    let Some(target) = offer.iter().find(|offer| offer.id == plan) else {
        return Err(ApiError::NotFound);
    };
    if let Some(limit) = target
        .seat_limit
        .and_then(|limit| i32::try_from(limit).ok())
        && current.seats_used > limit
    {
        let over = current.seats_used - limit;
        return Err(ApiError::Conflict(format!(
            "{} has {limit} seats and {} are in use: revoke the agents of {over} {} before changing plan.",
            target.name,
            current.seats_used,
            if over == 1 { "person" } else { "people" },
        )));
    }
    Ok(())
}

/// What moving to `plan` would charge now: Stripe's preview of the next invoice,
/// prorated as of now (the instant returned, to confirm with).
pub async fn preview(
    db: &Db,
    stripe: &Stripe,
    company: CompanyId,
    plan: PlanId,
    now: DateTime<Utc>,
) -> Result<PlanPreview, ApiError> {
    let mut conn = db.tenant(company).await?;
    let current = plans::of_company(&mut conn, company, false).await?;
    check_seats(&mut conn, &current, plan).await?;
    let live = live_subscription(&mut conn, company).await?;
    let proration_date = now.timestamp();
    if plan == PlanId::Free {
        return Ok(PlanPreview {
            plan,
            amount_due_cents: 0,
            currency: current.plan.currency,
            proration_date,
            lines: Vec::new(),
        });
    }
    let price = price(&mut conn, plan).await?;
    drop(conn);
    let customer = customer(db, stripe, company).await?;
    let invoice = stripe
        .client
        .preview_invoice(
            &customer,
            live.as_ref().map(|row| {
                (
                    row.stripe_subscription_id.as_str(),
                    row.stripe_item_id.as_str(),
                )
            }),
            &price,
            proration_date,
        )
        .await?;
    Ok(PlanPreview {
        plan,
        amount_due_cents: invoice.amount_due,
        currency: invoice.currency.to_lowercase(),
        proration_date,
        lines: invoice
            .lines
            .map(|lines| lines.data)
            .unwrap_or_default()
            .into_iter()
            .map(|line| PreviewLine {
                description: line.description.unwrap_or_default(),
                amount_cents: line.amount,
            })
            .collect(),
    })
}

/// Moves the company to `plan`: a first paid plan subscribes (charging the card on
/// file), another paid plan changes the subscription with proration as of
/// `proration_date` and invoices the difference at once, Free ends the subscription
/// now. Refused when the plan has fewer seats than are in use. A refused card leaves
/// the company on its plan, the invoice open and "payment failed" raised, and
/// answers 402 with Stripe's words.
pub async fn change_plan(
    db: &Db,
    stripe: &Stripe,
    company: CompanyId,
    actor: &Actor,
    plan: PlanId,
    proration_date: Option<i64>,
) -> Result<(), ApiError> {
    let mut conn = db.tenant(company).await?;
    let current = plans::of_company(&mut conn, company, false).await?;
    check_seats(&mut conn, &current, plan).await?;
    let stored = subscriptions::of_company(&mut conn, company, false).await?;
    let live = stored.as_ref().filter(|row| !row.status.is_ended());
    if live.is_some_and(|row| row.plan_id == plan && row.status.grants_plan())
        || (live.is_none() && current.plan.id == plan)
    {
        return Err(ApiError::Conflict(format!(
            "The company is on {} already.",
            current.plan.name
        )));
    }
    let now = actor.at;
    if plan == PlanId::Free {
        let Some(live) = live else {
            // On a paid plan without a subscription (set by hand): back to Free.
            conn.transaction::<_, ApiError, _>(async |conn| {
                if let Some(from) = plans::set_plan(conn, company, plan, now).await? {
                    subscriptions::plan_changed(conn, company, from, plan, actor).await?;
                }
                Ok(())
            })
            .await?;
            return Ok(());
        };
        let (id, paid_plan) = (live.stripe_subscription_id.clone(), live.plan_id);
        drop(conn);
        let ended = stripe.client.cancel_subscription(&id).await?;
        return save(db, company, paid_plan, Some(&ended), None, now, actor).await;
    }
    let price = price(&mut conn, plan).await?;
    let card = cards::of_company(&mut conn, company).await?;
    drop(conn);
    let customer = customer(db, stripe, company).await?;
    match live {
        Some(live) if live.status.grants_plan() => {
            let proration_date = proration_date_checked(proration_date, now)?;
            let changed = stripe
                .client
                .change_plan(
                    &live.stripe_subscription_id,
                    &live.stripe_item_id,
                    &price,
                    proration_date,
                )
                .await?;
            let key = format!("{}-{}", live.stripe_item_id, price);
            let invoice = stripe
                .client
                .invoice_now(&customer, &changed.id, &key)
                .await?;
            let invoice = with_error(stripe, invoice).await?;
            save(db, company, plan, Some(&changed), Some(invoice), now, actor).await?;
            Ok(())
        }
        live => {
            let Some(card) = card else {
                return Err(ApiError::field(
                    "/plan",
                    "no_card",
                    "Add a card before choosing a paid plan.",
                ));
            };
            // A subscription whose first payment failed is left for a new one.
            if let Some(unpaid) = live {
                let ended = stripe
                    .client
                    .cancel_subscription(&unpaid.stripe_subscription_id)
                    .await?;
                save(db, company, unpaid.plan_id, Some(&ended), None, now, actor).await?;
            }
            let key = format!(
                "subscribe-{}-{}-{}-{}",
                company.0,
                price,
                card.stripe_payment_method_id,
                stored
                    .as_ref()
                    .map_or("first", |row| row.stripe_subscription_id.as_str()),
            );
            let created = stripe
                .client
                .create_subscription(&customer, &price, company.0, key)
                .await?;
            let invoice = match &created.latest_invoice {
                Some(id) => Some(with_error(stripe, stripe.client.invoice(id).await?).await?),
                None => None,
            };
            let declined = invoice
                .as_ref()
                .and_then(|(_, error)| error.clone())
                .filter(|_| {
                    !created
                        .status
                        .parse::<SubscriptionStatus>()
                        .is_ok_and(SubscriptionStatus::grants_plan)
                });
            save(db, company, plan, Some(&created), invoice, now, actor).await?;
            match declined {
                Some(error) => Err(ApiError::PaymentRequired(error)),
                None => Ok(()),
            }
        }
    }
}

/// How long a preview's `proration_date` may be confirmed: the charge shown is the one
/// made, but an instant moved back would credit unused time that was used.
const PREVIEW_VALID_SECS: i64 = 3600;

/// The proration instant of a change confirmed at `now`: the preview's, when it was
/// made within the last hour, else now.
fn proration_date_checked(given: Option<i64>, now: DateTime<Utc>) -> Result<i64, ApiError> {
    let now = now.timestamp();
    match given {
        None => Ok(now),
        Some(at) if (now - PREVIEW_VALID_SECS..=now + 60).contains(&at) => Ok(at),
        Some(_) => Err(ApiError::field(
            "/proration_date",
            "expired",
            "This preview is more than an hour old: preview the change again.",
        )),
    }
}

/// The invoice with why its payment failed, when it is open with a failed payment.
async fn with_error(
    stripe: &Stripe,
    invoice: client::Invoice,
) -> Result<(client::Invoice, Option<String>), ApiError> {
    let error = match (invoice.status.as_deref(), &invoice.payment_intent) {
        (Some("open"), Some(intent)) => stripe.client.payment_error(intent).await?,
        _ => None,
    };
    Ok((invoice, error))
}

/// Stores what Stripe answered, in one transaction.
async fn save(
    db: &Db,
    company: CompanyId,
    plan: PlanId,
    subscription: Option<&client::Subscription>,
    invoice: Option<(client::Invoice, Option<String>)>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<(), ApiError> {
    let mut conn = db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        if let Some(subscription) = subscription {
            subscriptions::store(conn, company, plan, subscription, now, actor).await?;
        }
        if let Some((invoice, error)) = invoice
            && let Some(row) = InvoiceRow::from_stripe(company, &invoice, error, now)
        {
            invoices::store(conn, row, actor).await?;
        }
        Ok(())
    })
    .await
}

/// Auto-renew on or off (Stripe's `cancel_at_period_end`).
pub async fn set_auto_renew(
    db: &Db,
    stripe: &Stripe,
    company: CompanyId,
    actor: &Actor,
    auto_renew: bool,
) -> Result<(), ApiError> {
    let mut conn = db.tenant(company).await?;
    let Some(live) = live_subscription(&mut conn, company).await? else {
        return Err(ApiError::Conflict(
            "There is no paid subscription to renew: the company is on Free.".into(),
        ));
    };
    drop(conn);
    let updated = stripe
        .client
        .set_cancel_at_period_end(
            &live.stripe_subscription_id,
            !auto_renew,
            uuid::Uuid::new_v4(),
        )
        .await?;
    let mut conn = db.tenant(company).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        subscriptions::store(conn, company, live.plan_id, &updated, actor.at, actor).await?;
        if live.cancel_at_period_end == auto_renew {
            let change = Change {
                action: AuditAction::BillingAutoRenewChanged,
                target_kind: TargetKind::Company,
                target_id: Some(company.0),
                summary: json!({
                    "before": {"auto_renew": !live.cancel_at_period_end},
                    "after": {"auto_renew": auto_renew},
                }),
            };
            audit::record(conn, company, actor, change).await?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_confirmed_within_the_hour_only() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let at = now.timestamp();
        assert_eq!(proration_date_checked(None, now).ok(), Some(at));
        assert_eq!(
            proration_date_checked(Some(at - 600), now).ok(),
            Some(at - 600)
        );
        assert!(proration_date_checked(Some(at - 3601), now).is_err());
        assert!(proration_date_checked(Some(at + 3600), now).is_err());
    }
}
