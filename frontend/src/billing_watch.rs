//! The company's billing standing for the whole app: fetched once per signed-in owner
//! or admin, again when a payment or subscription alert arrives, and replaced by the
//! Billing page whenever it learns more; and [`BillingBanner`], which every page shows
//! them while a payment is overdue or every seat is taken.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use pulse_shared::access::Action;
use pulse_shared::alerts::AlertKind;
use pulse_shared::billing::{BillingOverview, PlanFeatures};
use pulse_shared::ids::{AlertId, UserId};

use crate::api;
use crate::first_page;
use crate::format;
use crate::live_alerts::use_live_alerts;
use crate::reactive::{effect, memo};
use crate::session::use_session;

/// The handle pages use; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct BillingWatch {
    overview: RwSignal<Option<BillingOverview>>,
}

impl BillingWatch {
    /// Replaces what the app knows with a fresher answer of the server.
    pub fn set(self, overview: BillingOverview) {
        self.overview.set(Some(overview));
    }

    /// The company's plan when it lacks what `included` asks of its features; `None`
    /// when it has it, or while the standing is unknown (the server decides anyway).
    pub fn lacking(self, included: fn(&PlanFeatures) -> bool) -> Option<String> {
        self.overview.with(|now| {
            now.as_ref()
                .filter(|overview| !included(&overview.plan.features))
                .map(|overview| overview.plan.name.clone())
        })
    }
}

/// Says, in place of a page's "new" button, that the company's plan does not include
/// `what` (e.g. "Webhooks are"), with the way to a plan that does; shows nothing when
/// the plan includes it.
#[component]
pub fn PlanLock(what: &'static str, included: fn(&PlanFeatures) -> bool) -> impl IntoView {
    let watch = use_billing_watch();
    move || {
        watch.lacking(included).map(|plan| {
            view! {
                <p class="notice notice-info plan-lock" role="note" data-testid="plan-lock">
                    {format!("{what} not part of the {plan} plan. ")}
                    <A href="/billing">"Choose a plan that includes them"</A>
                </p>
            }
        })
    }
}

/// The watch of the app, or one that knows nothing outside [`BillingWatchProvider`].
pub fn use_billing_watch() -> BillingWatch {
    use_context().unwrap_or_else(|| BillingWatch {
        overview: RwSignal::new(None),
    })
}

/// Holds the standing of the signed-in person's company, when they manage billing.
#[component]
pub fn BillingWatchProvider(children: Children) -> impl IntoView {
    let session = use_session();
    let live = use_live_alerts();
    let watch = BillingWatch {
        overview: RwSignal::new(None),
    };
    provide_context(watch);
    // Whom the standing is for: a Memo, so renewing the token does not fetch again.
    let manager = memo(move || {
        session
            .me()
            .filter(|_| session.reaches_others(Action::ManageBilling))
            .map(|me| me.user.id)
    });
    // After the first page (see `first_page`).
    let fetch = move |who: UserId| {
        first_page::after(move || {
            spawn_local(async move {
                if let Ok(overview) = api::billing(session).await
                    && manager.try_get_untracked() == Some(Some(who))
                {
                    watch.overview.set(Some(overview));
                }
            });
        });
    };
    effect(move |_| {
        watch.overview.set(None);
        if let Some(who) = manager.get() {
            fetch(who);
        }
    });
    // The newest billing alert seen: a new one means the standing changed.
    let newest = memo(move || {
        live.recent()
            .into_iter()
            .find(|alert| is_billing(alert.kind))
            .map(|alert| alert.id)
    });
    Effect::watch(
        move || newest.get(),
        move |now: &Option<AlertId>, before: Option<&Option<AlertId>>, _| {
            if before.is_some_and(|before| before != now)
                && let Some(who) = manager.get_untracked()
            {
                fetch(who);
            }
        },
        false,
    );
    children()
}

fn is_billing(kind: AlertKind) -> bool {
    matches!(
        kind,
        AlertKind::PaymentSucceeded | AlertKind::PaymentFailed | AlertKind::SubscriptionExpiring
    )
}

/// What the banner says, when something needs doing.
pub fn trouble(overview: &BillingOverview) -> Option<String> {
    if let Some(subscription) = &overview.subscription
        && subscription.status.is_overdue()
    {
        let until = subscription.grace_ends_at.map_or_else(String::new, |end| {
            format!(
                " The company keeps {} until {}, then moves to Free.",
                overview.plan.name,
                format::date(end)
            )
        });
        return Some(format!(
            "Payment for {} is overdue ({}).{until} Update the card to keep the plan.",
            overview.plan.name,
            subscription.status.label().to_ascii_lowercase()
        ));
    }
    match overview.seat_limit {
        Some(limit) if overview.seats_used >= limit => Some(format!(
            "All {limit} seats of {} are taken: new computers of other people cannot enroll. Choose a larger plan to add people.",
            overview.plan.name
        )),
        _ => None,
    }
}

/// The warning above every page while payment is overdue or the seats are all taken.
#[component]
pub fn BillingBanner() -> impl IntoView {
    let watch = use_billing_watch();
    let message = memo(move || watch.overview.with(|now| now.as_ref().and_then(trouble)));
    move || {
        message.get().map(|message| {
            view! {
                <div class="billing-banner notice notice-warning" role="status" data-testid="billing-banner">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 4l9 16H3zM12 10v4M12 17h.01" />
                    </svg>
                    <p>{message}</p>
                    <A href="/billing" attr:class="btn btn-secondary" {..} data-testid="billing-banner-link">
                        "Go to Billing"
                    </A>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_shared::billing::{Plan, PlanFeatures, PlanId, Subscription, SubscriptionStatus};

    fn overview(
        used: u32,
        limit: Option<u32>,
        status: Option<SubscriptionStatus>,
    ) -> BillingOverview {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        BillingOverview {
            configured: true,
            publishable_key: None,
            stripe_js_url: None,
            plan: Plan {
                id: PlanId::Pro,
                name: "Pro".into(),
                monthly_price_cents: 2900,
                currency: "usd".into(),
                seat_limit: limit,
                features: PlanFeatures {
                    screenshots: true,
                    webhooks: true,
                    api_keys: true,
                    reports_export: true,
                    retention_days: 365,
                    sso: false,
                },
            },
            seats_used: used,
            seat_limit: limit,
            billing_email: None,
            subscription: status.map(|status| Subscription {
                plan: PlanId::Pro,
                status,
                current_period_start: at,
                current_period_end: at,
                cancel_at_period_end: false,
                unpaid_since: None,
                grace_ends_at: Some(at),
            }),
            payment_method: None,
            next_invoice: None,
        }
    }

    #[test]
    fn the_banner_shows_for_overdue_payments_and_full_seats_only() {
        assert_eq!(
            trouble(&overview(3, Some(50), Some(SubscriptionStatus::Active))),
            None
        );
        assert_eq!(trouble(&overview(49, Some(50), None)), None);
        assert_eq!(trouble(&overview(400, None, None)), None);
        assert!(
            trouble(&overview(50, Some(50), None))
                .is_some_and(|text| text.contains("All 50 seats"))
        );
        for status in [
            SubscriptionStatus::PastDue,
            SubscriptionStatus::Unpaid,
            SubscriptionStatus::Incomplete,
        ] {
            let text = trouble(&overview(1, Some(50), Some(status)));
            assert!(text.is_some_and(|text| text.contains("overdue") && text.contains("Free")));
        }
    }
}
