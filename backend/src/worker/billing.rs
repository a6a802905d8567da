//! Billing's clock: a company whose payment stays overdue past the grace period falls
//! back to Free, and companies whose subscription ends within a week (auto-renew off)
//! are told, once per period. Runs every quarter hour; each round is one transaction
//! under an advisory lock.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::AsyncConnection;
use pulse_shared::alerts::{AlertKind, AlertSubject};
use pulse_shared::audit::ActorKind;
use pulse_shared::billing::PlanId;

use crate::alerting::{self, Audience, NewAlert};
use crate::billing::{plans, subscriptions};
use crate::clock::Clock;
use crate::db::audit::Actor;
use crate::db::{self, Db};

const BILLING_LOCK: i64 = 0x7075_6c73_655f_6269; // "pulse_bi"

/// How long before a period ends (auto-renew off) the owners are told.
pub const EXPIRING_NOTICE: TimeDelta = TimeDelta::days(7);

/// How often a round runs.
pub const PERIOD: Duration = Duration::from_secs(15 * 60);

pub async fn run(db: Db, clock: Clock, grace: TimeDelta) {
    super::every(clock, PERIOD, "billing", |now| {
        let db = db.clone();
        async move {
            round(&db, now, grace).await?;
            Ok(())
        }
    })
    .await;
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Companies moved to Free because the grace period ended.
    pub downgraded: usize,
    /// "Subscription expiring" alerts raised.
    pub expiring: usize,
}

/// One round at `now` (a parameter, so tests can move the clock); `None` when another
/// replica holds the lock.
pub async fn round(
    db: &Db,
    now: DateTime<Utc>,
    grace: TimeDelta,
) -> Result<Option<Round>, db::DbError> {
    let mut conn = db.system().await?;
    conn.transaction::<_, db::DbError, _>(async |conn| {
        if !super::try_lock(conn, BILLING_LOCK).await? {
            return Ok(None);
        }
        let actor = Actor::unattended(ActorKind::System, now);
        let mut done = Round::default();
        for company in subscriptions::grace_over(conn, now - grace).await? {
            if let Some(from) = plans::set_plan(conn, company, PlanId::Free, now).await? {
                subscriptions::plan_changed(conn, company, from, PlanId::Free, &actor).await?;
                done.downgraded += 1;
            }
        }
        for (company, ends) in subscriptions::expiring(conn, now, now + EXPIRING_NOTICE).await? {
            let alert = NewAlert {
                kind: AlertKind::SubscriptionExpiring,
                title: format!("The subscription ends on {}", ends.format("%B %-d")),
                body: format!(
                    "Auto-renew is off: on {} UTC the company moves to Free (5 seats, no webhooks or API keys). Turn auto-renew on in Billing to keep the plan.",
                    ends.format("%Y-%m-%d %H:%M")
                ),
                subject: AlertSubject::default(),
                audience: Audience::Company,
                agents: Vec::new(),
            };
            alerting::resolve(conn, company, alert.kind, &alert.subject, now).await?;
            alerting::raise(conn, company, alert, now).await?;
            subscriptions::mark_expiring_alerted(conn, company, ends).await?;
            done.expiring += 1;
        }
        Ok(Some(done))
    })
    .await
}
