//! Where the company stands: its plan and price, the subscription's status and renewal,
//! the seats in use against the plan's, the next invoice, and the auto-renew switch.

use leptos::prelude::*;
use pulse_shared::billing::{AutoRenewRequest, BillingOverview, SubscriptionStatus};

use super::BillingState;
use super::plans::price;
use crate::api;
use crate::components::{Badge, BadgeTone, Card, CardActions, use_toasts};
use crate::format;
use crate::forms::task;
use crate::session::use_session;

/// The plan card; rebuilt whenever the standing changes.
#[component]
pub(super) fn CurrentPlan(state: BillingState) -> impl IntoView {
    move || standing(state, state.overview.get())
}

fn standing(state: BillingState, overview: BillingOverview) -> impl IntoView {
    let subtitle = if overview.configured {
        "Billed monthly through Stripe."
    } else {
        "Payments are not set up on this server: the company stays on its plan."
    };
    let (badge_tone, badge_text) = status_badge(&overview);
    let renewal = renewal(&overview);
    let next = overview.next_invoice.as_ref().map(|next| {
        format!(
            "{} on {}",
            format::money(next.amount_cents, &next.currency),
            format::date(next.date)
        )
    });
    let overdue = overview
        .subscription
        .as_ref()
        .filter(|subscription| subscription.status.is_overdue())
        .map(|subscription| match subscription.grace_ends_at {
            Some(end) => format!(
                "The last payment failed. The company keeps {} until {}; update the card so Stripe can charge it again.",
                overview.plan.name,
                format::date(end)
            ),
            None => "The last payment failed; update the card so Stripe can charge it again.".to_owned(),
        });
    let renews = overview.configured
        && overview
            .subscription
            .as_ref()
            .is_some_and(|s| !s.status.is_ended());
    let auto_renew = overview
        .subscription
        .as_ref()
        .is_some_and(|subscription| !subscription.cancel_at_period_end);
    view! {
        <Card title="Plan" subtitle=subtitle flush=true>
            <CardActions slot>
                <Badge tone={badge_tone} {..} data-testid="subscription-status">{badge_text}</Badge>
            </CardActions>
            <dl class="stats" data-testid="billing-plan">
                <div class="stat">
                    <dt>"Plan"</dt>
                    <dd data-plan=overview.plan.id.as_str()>{overview.plan.name.clone()}</dd>
                </div>
                <div class="stat">
                    <dt>"Price"</dt>
                    <dd>{price(&overview.plan)}</dd>
                </div>
                <div class="stat">
                    <dt>{renewal.0}</dt>
                    <dd data-testid="renewal">{renewal.1}</dd>
                </div>
            </dl>
            <Seats used=overview.seats_used limit=overview.seat_limit />
            <dl class="facts billing-facts">
                {next.map(|next| view! {
                    <div class="fact">
                        <dt>"Next invoice"</dt>
                        <dd class="fact-value" data-testid="next-invoice">{next}</dd>
                    </div>
                })}
                {renews.then(|| view! {
                    <div class="fact">
                        <dt>"Auto-renew"</dt>
                        <dd><AutoRenew state=state on=auto_renew /></dd>
                    </div>
                })}
            </dl>
            {overdue.map(|text| view! { <p class="notice notice-warning billing-notice" role="status">{text}</p> })}
        </Card>
    }
}

/// The seats in use as a number and a bar (no bar without a limit).
#[component]
fn Seats(used: u32, limit: Option<u32>) -> impl IntoView {
    let text = match limit {
        Some(limit) => format!("{used} of {limit}"),
        None => format!("{used}, no limit"),
    };
    let percent = limit.map(|limit| {
        (used * 100)
            .checked_div(limit)
            .map_or(100, |percent| percent.min(100))
    });
    let tone = match percent {
        Some(100..) => "seats-bar-full",
        Some(80..) => "seats-bar-high",
        _ => "",
    };
    view! {
        <div class="seats">
            <div class="seats-head">
                <span class="seats-label">"Seats used"</span>
                <span class="seats-count" data-testid="seats">{text}</span>
            </div>
            {percent.map(|percent| view! {
                <div
                    class=format!("seats-bar {tone}")
                    role="meter"
                    aria-label="Seats used"
                    aria-valuemin="0"
                    aria-valuemax=limit.unwrap_or_default().to_string()
                    aria-valuenow=used.to_string()
                >
                    <span style:width=format!("{percent}%")></span>
                </div>
            })}
            <p class="seats-note">
                "A seat is a person with at least one enrolled computer; their other computers are free."
            </p>
        </div>
    }
}

/// The switch that turns renewal at the period's end on or off.
#[component]
fn AutoRenew(state: BillingState, on: bool) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let checked = RwSignal::new(on);
    let save = task(move |auto_renew: bool| async move {
        match api::set_auto_renew(session, &AutoRenewRequest { auto_renew }).await {
            Ok(fresh) => {
                let message = match (&fresh.subscription, auto_renew) {
                    (Some(subscription), false) => format!(
                        "Auto-renew is off: {} ends on {}.",
                        fresh.plan.name,
                        format::date(subscription.current_period_end)
                    ),
                    _ => format!("Auto-renew is on: {} renews every month.", fresh.plan.name),
                };
                toasts.success(message);
                state.update(fresh);
            }
            Err(error) => {
                checked.set(!auto_renew);
                toasts.error(format!("Could not change auto-renew: {error}"));
            }
        }
    });
    let busy = save.pending();
    view! {
        <label class="switch">
            <input
                type="checkbox"
                name="auto_renew"
                data-testid="auto-renew"
                prop:checked=move || checked.get()
                disabled=move || busy.get()
                on:change=move |event| {
                    let on = event_target_checked(&event);
                    checked.set(on);
                    save.dispatch_local(on);
                }
            />
            <span class="switch-track" aria-hidden="true"></span>
            <span class="switch-text">{move || if checked.get() { "On" } else { "Off" }}</span>
        </label>
    }
}

/// The subscription's state as a badge: the plan's own state on Free.
fn status_badge(overview: &BillingOverview) -> (BadgeTone, &'static str) {
    let Some(subscription) = &overview.subscription else {
        return (BadgeTone::Neutral, "No subscription");
    };
    let tone = match subscription.status {
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
            if subscription.cancel_at_period_end =>
        {
            BadgeTone::Warning
        }
        SubscriptionStatus::Active | SubscriptionStatus::Trialing => BadgeTone::Success,
        SubscriptionStatus::PastDue | SubscriptionStatus::Unpaid => BadgeTone::Danger,
        SubscriptionStatus::Incomplete | SubscriptionStatus::Paused => BadgeTone::Warning,
        SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired => BadgeTone::Neutral,
    };
    let text = if subscription.cancel_at_period_end && subscription.status.grants_plan() {
        "Ending"
    } else {
        subscription.status.label()
    };
    (tone, text)
}

/// The label and value of the renewal stat: when it renews, or ends.
fn renewal(overview: &BillingOverview) -> (&'static str, String) {
    match &overview.subscription {
        Some(subscription) if subscription.status.is_ended() => {
            ("Ended", format::date(subscription.current_period_end))
        }
        Some(subscription) if subscription.cancel_at_period_end => {
            ("Ends on", format::date(subscription.current_period_end))
        }
        Some(subscription) => ("Renews on", format::date(subscription.current_period_end)),
        None => ("Renews", "Never".to_owned()),
    }
}
