//! A company's subscription as Stripe last told us, and the plan it puts the company
//! on. Stripe's answers to our own calls and its webhook events both arrive here, in
//! any order: each carries the time of the state it describes, and state older than
//! what is stored changes nothing.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::billing::{PlanId, Subscription, SubscriptionStatus};
use pulse_shared::ids::CompanyId;
use serde_json::json;

use super::client;
use super::plans;
use crate::db::audit::{self, Actor, Change};
use crate::db::schema::subscriptions;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = subscriptions, treat_none_as_null = true)]
pub struct SubscriptionRow {
    pub company_id: CompanyId,
    pub stripe_subscription_id: String,
    pub stripe_item_id: String,
    pub plan_id: PlanId,
    pub status: SubscriptionStatus,
    pub cancel_at_period_end: bool,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    pub unpaid_since: Option<DateTime<Utc>>,
    pub expiring_alerted_for: Option<DateTime<Utc>>,
    pub synced_at: DateTime<Utc>,
}

impl SubscriptionRow {
    /// What the API shows, with the end of the grace period when payment is overdue.
    pub fn to_api(&self, grace: TimeDelta) -> Subscription {
        Subscription {
            plan: self.plan_id,
            status: self.status,
            current_period_start: self.current_period_start,
            current_period_end: self.current_period_end,
            cancel_at_period_end: self.cancel_at_period_end,
            unpaid_since: self.unpaid_since,
            grace_ends_at: self.unpaid_since.map(|since| since + grace),
        }
    }
}

/// `company`'s subscription, if it ever had one; with `lock`, locked for the
/// transaction.
pub async fn of_company(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    lock: bool,
) -> QueryResult<Option<SubscriptionRow>> {
    let query = subscriptions::table
        .find(company)
        .select(SubscriptionRow::as_select());
    if lock {
        query.for_update().first(conn).await.optional()
    } else {
        query.first(conn).await.optional()
    }
}

/// How far along its life a subscription with `status` is. Stripe moves it only forward
/// between these stages: waiting for its first payment, then running (in trial, paid,
/// overdue or paused, back and forth), then ended for good.
fn stage(status: SubscriptionStatus) -> u8 {
    match status {
        SubscriptionStatus::Incomplete => 0,
        SubscriptionStatus::Trialing
        | SubscriptionStatus::Active
        | SubscriptionStatus::PastDue
        | SubscriptionStatus::Unpaid
        | SubscriptionStatus::Paused => 1,
        SubscriptionStatus::IncompleteExpired | SubscriptionStatus::Canceled => 2,
    }
}

/// What storing a state did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Newer state was already stored (or the subscription is one the company left).
    Stale,
    /// Stored; `plan_before` is the plan the company left, when it changed.
    Applied {
        row: SubscriptionRow,
        plan_before: Option<PlanId>,
    },
}

/// Stores `subscription` (on `plan`) as Stripe described it at `at`, unless newer
/// state is stored, and puts the company on the plan it grants: the subscription's
/// while it is paid for (or in trial), Free once it has ended. While payment is
/// overdue the plan stays as it was, and the grace period counts from the first time
/// it was seen overdue. Changes are audited in the caller's transaction, by `actor`.
pub async fn store(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    plan: PlanId,
    subscription: &client::Subscription,
    at: DateTime<Utc>,
    actor: &Actor,
) -> QueryResult<Stored> {
    let (Ok(status), Some((period_start, period_end))) = (
        subscription.status.parse::<SubscriptionStatus>(),
        subscription.period(),
    ) else {
        tracing::warn!(
            subscription = subscription.id,
            status = subscription.status,
            "a subscription Pulse cannot read"
        );
        return Ok(Stored::Stale);
    };
    let before = of_company(conn, company, true).await?;
    let same = before
        .as_ref()
        .filter(|row| row.stripe_subscription_id == subscription.id);
    match (&before, same) {
        // Stripe's events carry whole seconds: news of the same second may come in any
        // order, but a subscription never goes back to an earlier stage of its life.
        (Some(_), Some(row)) if row.synced_at > at || stage(row.status) > stage(status) => {
            return Ok(Stored::Stale);
        }
        // Another subscription's news: only a live one replaces the stored one.
        (Some(_), None) if status.is_ended() => return Ok(Stored::Stale),
        _ => {}
    }
    let unpaid_since = status
        .is_overdue()
        .then(|| same.and_then(|row| row.unpaid_since).unwrap_or(at));
    let row = SubscriptionRow {
        company_id: company,
        stripe_subscription_id: subscription.id.clone(),
        stripe_item_id: subscription
            .item()
            .map(|(item, _)| item.to_owned())
            .unwrap_or_default(),
        plan_id: plan,
        status,
        cancel_at_period_end: subscription.cancel_at_period_end,
        current_period_start: timestamp(period_start, at),
        current_period_end: timestamp(period_end, at),
        unpaid_since,
        expiring_alerted_for: same.and_then(|row| row.expiring_alerted_for),
        synced_at: at,
    };
    diesel::insert_into(subscriptions::table)
        .values(&row)
        .on_conflict(subscriptions::company_id)
        .do_update()
        .set(&row)
        .execute(conn)
        .await?;
    let granted = if status.grants_plan() {
        Some(plan)
    } else if status.is_ended() {
        Some(PlanId::Free)
    } else {
        None
    };
    let plan_before = match granted {
        Some(granted) => plans::set_plan(conn, company, granted, actor.at).await?,
        None => None,
    };
    let changed = same.is_none_or(|old| {
        (
            old.status,
            old.plan_id,
            old.cancel_at_period_end,
            old.current_period_end,
        ) != (
            row.status,
            row.plan_id,
            row.cancel_at_period_end,
            row.current_period_end,
        )
    });
    if changed {
        let change = Change {
            action: AuditAction::BillingSubscriptionUpdated,
            target_kind: TargetKind::Company,
            target_id: Some(company.0),
            summary: json!({
                "subscription": row.stripe_subscription_id,
                "before": same.map(summary),
                "after": summary(&row),
            }),
        };
        audit::record(conn, company, actor, change).await?;
    }
    if let (Some(from), Some(to)) = (plan_before, granted) {
        plan_changed(conn, company, from, to, actor).await?;
    }
    Ok(Stored::Applied { row, plan_before })
}

/// Audits a change of plan.
pub async fn plan_changed(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    from: PlanId,
    to: PlanId,
    actor: &Actor,
) -> QueryResult<()> {
    let change = Change {
        action: AuditAction::BillingPlanChanged,
        target_kind: TargetKind::Company,
        target_id: Some(company.0),
        summary: json!({"before": {"plan": from}, "after": {"plan": to}}),
    };
    audit::record(conn, company, actor, change).await.map(drop)
}

fn summary(row: &SubscriptionRow) -> serde_json::Value {
    json!({
        "plan": row.plan_id,
        "status": row.status,
        "cancel_at_period_end": row.cancel_at_period_end,
        "current_period_end": row.current_period_end,
    })
}

/// A Stripe time (Unix seconds), or `fallback` when out of range.
pub fn timestamp(seconds: i64, fallback: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(fallback)
}

/// Subscriptions overdue since before `cutoff` whose company still has the paid
/// plan: the grace period is over.
pub async fn grace_over(
    conn: &mut AsyncPgConnection,
    cutoff: DateTime<Utc>,
) -> QueryResult<Vec<CompanyId>> {
    use crate::db::schema::companies;
    subscriptions::table
        .inner_join(companies::table.on(companies::id.eq(subscriptions::company_id)))
        .filter(subscriptions::unpaid_since.lt(cutoff))
        .filter(companies::plan_id.ne(PlanId::Free))
        .select(subscriptions::company_id)
        .load(conn)
        .await
}

/// Subscriptions that end (auto-renew off) before `horizon` and have not been
/// announced for this period: `(company, period end)`.
pub async fn expiring(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> QueryResult<Vec<(CompanyId, DateTime<Utc>)>> {
    subscriptions::table
        .filter(subscriptions::cancel_at_period_end.eq(true))
        .filter(
            subscriptions::status
                .eq_any([SubscriptionStatus::Active, SubscriptionStatus::Trialing]),
        )
        .filter(subscriptions::current_period_end.gt(now))
        .filter(subscriptions::current_period_end.le(horizon))
        .filter(
            subscriptions::expiring_alerted_for
                .is_distinct_from(subscriptions::current_period_end.nullable()),
        )
        .select((subscriptions::company_id, subscriptions::current_period_end))
        .load(conn)
        .await
}

/// Notes that the end of the period ending at `period_end` was announced.
pub async fn mark_expiring_alerted(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    period_end: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(subscriptions::table.find(company))
        .set(subscriptions::expiring_alerted_for.eq(period_end))
        .execute(conn)
        .await
        .map(drop)
}
