//! The plans side by side, the company's own marked, each other one with "Choose"
//! (when payments are set up); and how prices, seats and features read.

use leptos::prelude::*;
use pulse_shared::billing::{Plan, PlanFeatures, PlanId};

use super::BillingState;
use crate::components::{Badge, BadgeTone, Button, ButtonVariant, Card};

/// Free, Pro and Enterprise side by side.
#[component]
pub(super) fn PlanComparison(plans: Vec<Plan>, state: BillingState) -> impl IntoView {
    let subtitle = if state.overview.with_untracked(|now| now.configured) {
        "What each plan includes. A change is charged or credited for the rest of the month."
    } else {
        "What each plan includes. Payments are not set up on this server, so the plan cannot be changed here."
    };
    let plans = StoredValue::new(plans);
    view! {
        <Card title="Plans" subtitle=subtitle>
            <ul class="plan-cards" data-testid="plans">
                {move || {
                    let (current, configured) = state
                        .overview
                        .with(|now| (now.plan.id, now.configured));
                    plans
                        .get_value()
                        .into_iter()
                        .map(|plan| plan_card(plan, current, configured, state))
                        .collect_view()
                }}
            </ul>
        </Card>
    }
}

/// One plan; "Choose" when it is not the company's and payments are set up.
fn plan_card(plan: Plan, current: PlanId, configured: bool, state: BillingState) -> impl IntoView {
    let is_current = plan.id == current;
    let choosable = configured && !is_current;
    let name = plan.name.clone();
    let chosen = plan.clone();
    view! {
        <li class="plan-card" class:plan-card-current=is_current data-plan=plan.id.as_str()>
            <div class="plan-card-head">
                <h3>{plan.name.clone()}</h3>
                {is_current.then(|| view! { <Badge tone=BadgeTone::Info>"Current plan"</Badge> })}
            </div>
            <p class="plan-price">{price(&plan)}</p>
            <ul class="plan-features">
                <li>{seats(plan.seat_limit)}</li>
                {features(&plan.features)
                    .into_iter()
                    .map(|(name, included)| {
                        view! {
                            <li class:plan-feature-missing=!included>
                                <span class="visually-hidden">
                                    {if included { "Included: " } else { "Not included: " }}
                                </span>
                                {name}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {choosable.then(|| {
                let label = format!("Choose {name}");
                view! {
                    <div class="plan-card-action">
                        <Button
                            variant=ButtonVariant::Secondary
                            on_click=move |_| state.choose(chosen.clone())
                            {..}
                            data-testid="choose-plan"
                            aria-label=label
                        >
                            "Choose"
                        </Button>
                    </div>
                }
            })}
        </li>
    }
}

/// `$29 / month`.
pub(super) fn price(plan: &Plan) -> String {
    match plan.monthly_price_cents {
        cents if cents % 100 == 0 => format!("${} / month", cents / 100),
        cents => format!("${}.{:02} / month", cents / 100, cents % 100),
    }
}

/// `Up to 50 people`, or `Unlimited people`.
fn seats(limit: Option<u32>) -> String {
    match limit {
        Some(1) => "1 person".to_owned(),
        Some(limit) => format!("Up to {limit} people"),
        None => "Unlimited people".to_owned(),
    }
}

/// `30 days`, `1 year`, `5 years`.
fn kept_for(days: u32) -> String {
    match days {
        365 => "1 year".to_owned(),
        days if days % 365 == 0 => format!("{} years", days / 365),
        1 => "1 day".to_owned(),
        days => format!("{days} days"),
    }
}

/// The features a plan card lists, with whether the plan has each.
fn features(features: &PlanFeatures) -> Vec<(String, bool)> {
    vec![
        ("Screenshots".to_owned(), features.screenshots),
        ("Webhooks".to_owned(), features.webhooks),
        ("API keys".to_owned(), features.api_keys),
        ("Report export".to_owned(), features.reports_export),
        (
            format!("Data kept {}", kept_for(features.retention_days)),
            true,
        ),
        ("Single sign-on".to_owned(), features.sso),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cents: u32) -> Plan {
        Plan {
            id: PlanId::Pro,
            name: "Pro".into(),
            monthly_price_cents: cents,
            currency: "usd".into(),
            seat_limit: Some(50),
            features: PlanFeatures {
                screenshots: true,
                webhooks: true,
                api_keys: true,
                reports_export: true,
                retention_days: 365,
                sso: false,
            },
        }
    }

    #[test]
    fn prices_and_seats_read_as_people_say_them() {
        assert_eq!(price(&plan(0)), "$0 / month");
        assert_eq!(price(&plan(2900)), "$29 / month");
        assert_eq!(price(&plan(2950)), "$29.50 / month");
        assert_eq!(seats(Some(5)), "Up to 5 people");
        assert_eq!(seats(None), "Unlimited people");
        assert_eq!(kept_for(30), "30 days");
        assert_eq!(kept_for(365), "1 year");
        assert_eq!(kept_for(1825), "5 years");
    }
}
