//! Billing (`/billing`, owners and admins): the company's plan and seats, the plans on
//! offer side by side, and the address invoices go to.

use leptos::prelude::*;
use pulse_shared::billing::{BillingEmailRequest, BillingOverview, Plan, PlanFeatures};
use pulse_shared::validate;

use crate::api;
use crate::components::{
    Badge, BadgeTone, Button, Card, ErrorCard, FormField, FormMessage, Skeleton, use_toasts,
};
use crate::forms::{FormErrors, submission};
use crate::session::use_session;

/// The page: where the company stands, then the plans, then the billing address.
#[component]
pub fn Billing() -> impl IntoView {
    super::set_title("Billing");
    let session = use_session();
    let overview = LocalResource::new(move || api::billing(session));
    let plans = LocalResource::new(move || api::plans(session));
    let loaded = move || async move { Ok::<_, api::ApiError>((overview.await?, plans.await?)) };

    view! {
        <div class="page" data-page="billing">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Billing"</h1>
                    <p class="page-lede">"Your plan, the seats it gives you, and where invoices go."</p>
                </div>
            </header>
            <Transition fallback=|| view! { <Card title="Plan"><Skeleton lines=3 /></Card> }>
                {move || Suspend::new(async move {
                    match loaded().await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="Billing"
                                    error=error
                                    on_retry=Callback::new(move |()| {
                                        overview.refetch();
                                        plans.refetch();
                                    })
                                />
                            }
                                .into_any()
                        }
                        Ok((now, offer)) => {
                            let email = now.billing_email.clone();
                            view! {
                                <CurrentPlan overview=now.clone() />
                                <PlanComparison plans=offer current=now.plan.id />
                                <BillingAddress email=email />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

/// The plan the company is on, its seats as a bar, and whether payments are set up.
#[component]
fn CurrentPlan(overview: BillingOverview) -> impl IntoView {
    let used = overview.seats_used;
    let limit = overview.seat_limit;
    let percent = (used * 100)
        .checked_div(limit)
        .map_or(100, |percent| percent.min(100));
    let tone = match percent {
        100.. => "seats-bar-full",
        80.. => "seats-bar-high",
        _ => "",
    };
    let subtitle = if overview.configured {
        "Billed monthly through Stripe.".to_owned()
    } else {
        "Payments are not set up on this server: the company stays on its plan.".to_owned()
    };
    view! {
        <Card title="Plan" subtitle=subtitle>
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
                    <dt>"Seats used"</dt>
                    <dd data-testid="seats">{format!("{used} of {limit}")}</dd>
                </div>
            </dl>
            <div class="seats">
                <div
                    class=format!("seats-bar {tone}")
                    role="meter"
                    aria-label="Seats used"
                    aria-valuemin="0"
                    aria-valuemax=limit.to_string()
                    aria-valuenow=used.to_string()
                >
                    <span style:width=format!("{percent}%")></span>
                </div>
                <p class="seats-note">
                    "A seat is a person with at least one enrolled computer; their other computers are free."
                </p>
            </div>
        </Card>
    }
}

/// Free, Pro and Enterprise side by side, the company's own marked.
#[component]
fn PlanComparison(plans: Vec<Plan>, current: pulse_shared::billing::PlanId) -> impl IntoView {
    view! {
        <Card title="Plans" subtitle="What each plan includes.">
            <ul class="plan-cards" data-testid="plans">
                {plans
                    .into_iter()
                    .map(|plan| {
                        let is_current = plan.id == current;
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
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Card>
    }
}

/// Where invoices and billing notices go, or the owners when unset.
#[component]
fn BillingAddress(email: Option<String>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let errors = FormErrors::new();
    let value = RwSignal::new(email.unwrap_or_default());
    let save = submission(
        errors,
        &["billing_email"],
        move |request: BillingEmailRequest| async move {
            api::set_billing_email(session, &request).await
        },
        move |saved: BillingOverview| {
            value.set(saved.billing_email.clone().unwrap_or_default());
            toasts.success(match saved.billing_email {
                Some(email) => format!("Invoices go to {email}"),
                None => "Invoices go to the owners".to_owned(),
            });
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let email = value.get_untracked().trim().to_owned();
        if !email.is_empty() && !errors.check("billing_email", validate::email(&email)) {
            return;
        }
        save.dispatch_local(BillingEmailRequest {
            billing_email: (!email.is_empty()).then_some(email),
        });
    };
    view! {
        <Card title="Billing address" subtitle="Invoices and payment notices go here; empty, to the owners.">
            <form class="form" on:submit=submit novalidate=true>
                <FormMessage error=errors.general() />
                <FormField
                    id="billing-email"
                    name="billing_email"
                    label="E-mail address"
                    input_type="email"
                    autocomplete="email"
                    placeholder="accounts@example.com"
                    value=value
                    error=errors.of("billing_email")
                />
                <div class="form-actions">
                    <Button submit=true loading={busy}>"Save address"</Button>
                </div>
            </form>
        </Card>
    }
}

/// `$29 / month`.
fn price(plan: &Plan) -> String {
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
    use pulse_shared::billing::PlanId;

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
