//! The plans table: price, seats and features of Free, Pro and Enterprise.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::billing::{Plan, PlanFeatures, PlanId};
use pulse_shared::ids::CompanyId;

use crate::db::schema::{companies, plans};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plans)]
pub struct PlanRow {
    pub id: PlanId,
    pub name: String,
    pub monthly_price_cents: i32,
    pub currency: String,
    pub seat_limit: Option<i32>,
    pub features: serde_json::Value,
    pub stripe_price_id: Option<String>,
}

impl TryFrom<PlanRow> for Plan {
    type Error = diesel::result::Error;

    fn try_from(row: PlanRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            name: row.name,
            monthly_price_cents: u32::try_from(row.monthly_price_cents).unwrap_or(0),
            currency: row.currency,
            seat_limit: row
                .seat_limit
                .map(|seats| u32::try_from(seats).unwrap_or(0)),
            features: serde_json::from_value(row.features)
                .map_err(|error| diesel::result::Error::DeserializationError(Box::new(error)))?,
        })
    }
}

/// Every plan, cheapest first.
pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Plan>> {
    plans::table
        .select(PlanRow::as_select())
        .order(plans::position.asc())
        .load(conn)
        .await?
        .into_iter()
        .map(Plan::try_from)
        .collect()
}

/// Where a company stands: its plan, seats, billing address and Stripe customer.
#[derive(Debug, Clone)]
pub struct CompanyPlan {
    pub name: String,
    pub plan: Plan,
    pub seats_used: i32,
    /// `None`: no limit.
    pub seat_limit: Option<i32>,
    pub billing_email: Option<String>,
    pub stripe_customer_id: Option<String>,
}

/// `company`'s plan and seats; with `lock`, the company row is locked for the
/// transaction (`FOR NO KEY UPDATE`, as enrollment locks it to count seats: the rows
/// that merely refer to the company, holding `FOR KEY SHARE` through their foreign
/// keys, neither wait for it nor starve it).
pub async fn of_company(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    lock: bool,
) -> QueryResult<CompanyPlan> {
    if lock {
        companies::table
            .find(company)
            .select(companies::id)
            .for_no_key_update()
            .first::<CompanyId>(conn)
            .await?;
    }
    let (name, plan, seats_used, seat_limit, billing_email, stripe_customer_id) = companies::table
        .inner_join(plans::table.on(plans::id.eq(companies::plan_id)))
        .filter(companies::id.eq(company))
        .select((
            companies::name,
            PlanRow::as_select(),
            companies::seats_used,
            companies::seat_limit,
            companies::billing_email,
            companies::stripe_customer_id,
        ))
        .first::<(
            String,
            PlanRow,
            i32,
            Option<i32>,
            Option<String>,
            Option<String>,
        )>(conn)
        .await?;
    Ok(CompanyPlan {
        name,
        plan: plan.try_into()?,
        seats_used,
        seat_limit,
        billing_email,
        stripe_customer_id,
    })
}

/// Puts `company` on `plan` with the plan's seat limit; answers the plan it was on
/// when that was another (the caller audits the change), `None` when nothing changed.
/// When the new limit leaves more seats in use than it allows, the owners and admins
/// are told (`seat_usage_high`) at `now`.
pub async fn set_plan(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    plan: PlanId,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<Option<PlanId>> {
    let before: PlanId = companies::table
        .find(company)
        .select(companies::plan_id)
        .for_no_key_update()
        .first(conn)
        .await?;
    if before == plan {
        return Ok(None);
    }
    let seat_limit: Option<i32> = plans::table
        .find(plan)
        .select(plans::seat_limit)
        .first(conn)
        .await?;
    let seats_used: i32 = diesel::update(companies::table.find(company))
        .set((
            companies::plan_id.eq(plan),
            companies::seat_limit.eq(seat_limit),
        ))
        .returning(companies::seats_used)
        .get_result(conn)
        .await?;
    if let Some(alert) = seat_limit.and_then(|limit| super::seats::over_limit(seats_used, limit)) {
        crate::alerting::resolve(conn, company, alert.kind, &alert.subject, now).await?;
        crate::alerting::raise(conn, company, alert, now).await?;
    }
    Ok(Some(before))
}

/// The Stripe price a paid plan is sold at, once `pulse stripe-setup` has made it.
pub async fn price_of(conn: &mut AsyncPgConnection, plan: PlanId) -> QueryResult<Option<String>> {
    plans::table
        .find(plan)
        .select(plans::stripe_price_id)
        .first(conn)
        .await
}

/// The plan sold at a Stripe price.
pub async fn plan_of_price(
    conn: &mut AsyncPgConnection,
    price: &str,
) -> QueryResult<Option<PlanId>> {
    plans::table
        .filter(plans::stripe_price_id.eq(price))
        .select(plans::id)
        .first(conn)
        .await
        .optional()
}

/// Records the Stripe price of `plan`.
pub async fn set_price(conn: &mut AsyncPgConnection, plan: PlanId, price: &str) -> QueryResult<()> {
    diesel::update(plans::table.find(plan))
        .set(plans::stripe_price_id.eq(price))
        .execute(conn)
        .await
        .map(drop)
}

/// Records `company`'s Stripe customer.
pub async fn set_customer(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    customer: &str,
) -> QueryResult<()> {
    diesel::update(companies::table.find(company))
        .set(companies::stripe_customer_id.eq(customer))
        .execute(conn)
        .await
        .map(drop)
}

/// The company a Stripe customer is.
pub async fn company_of_customer(
    conn: &mut AsyncPgConnection,
    customer: &str,
) -> QueryResult<Option<CompanyId>> {
    companies::table
        .filter(companies::stripe_customer_id.eq(customer))
        .select(companies::id)
        .first(conn)
        .await
        .optional()
}

/// Sets where `company`'s invoices go.
pub async fn set_billing_email(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    email: Option<&str>,
) -> QueryResult<()> {
    diesel::update(companies::table.find(company))
        .set(companies::billing_email.eq(email))
        .execute(conn)
        .await
        .map(drop)
}

/// Puts every paid plan on sale in the Stripe account: a product and a monthly price
/// each (found again, not duplicated, when run twice), recorded in the plans table.
/// Answers `(plan, price id)` for each.
pub async fn sell_on_stripe(
    conn: &mut AsyncPgConnection,
    stripe: &super::client::StripeClient,
) -> anyhow::Result<Vec<(PlanId, String)>> {
    let mut sold = Vec::new();
    for plan in list(conn).await? {
        if plan.monthly_price_cents == 0 {
            continue;
        }
        let price = stripe
            .ensure_price(
                plan.id.as_str(),
                &plan.name,
                i32::try_from(plan.monthly_price_cents)?,
                &plan.currency,
            )
            .await?;
        set_price(conn, plan.id, &price).await?;
        sold.push((plan.id, price));
    }
    Ok(sold)
}

/// What a plan may or may not include, as the API enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Webhooks,
    ApiKeys,
    ReportsExport,
}

impl Feature {
    fn included(self, features: &PlanFeatures) -> bool {
        match self {
            Feature::Webhooks => features.webhooks,
            Feature::ApiKeys => features.api_keys,
            Feature::ReportsExport => features.reports_export,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Feature::Webhooks => "Webhooks are",
            Feature::ApiKeys => "API keys are",
            Feature::ReportsExport => "Report exports are",
        }
    }
}

/// 402 unless `company`'s plan includes `feature`, naming the plans that do.
pub async fn require(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    feature: Feature,
) -> Result<(), crate::errors::ApiError> {
    let current = of_company(conn, company, false).await?;
    if feature.included(&current.plan.features) {
        return Ok(());
    }
    let offering: Vec<String> = list(conn)
        .await?
        .into_iter()
        .filter(|plan| feature.included(&plan.features))
        .map(|plan| plan.name)
        .collect();
    Err(crate::errors::ApiError::PaymentRequired(format!(
        "{} part of {}; this company is on {}. Choose a plan on the Billing page.",
        feature.name(),
        match offering.as_slice() {
            [] => "no plan".to_owned(),
            [one] => format!("the {one} plan"),
            [first @ .., last] => format!("the {} and {last} plans", first.join(", ")),
        },
        current.plan.name
    )))
}

/// A change to a plan from configuration (`PULSE_PLANS`, a JSON object keyed by plan
/// id): what is given replaces the migration's value.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanOverride {
    pub name: Option<String>,
    pub monthly_price_cents: Option<u32>,
    /// A number of seats, or `null` for no limit.
    #[serde(default, deserialize_with = "present")]
    pub seat_limit: Option<Option<u32>>,
    pub features: Option<PlanFeatures>,
    pub stripe_price_id: Option<String>,
}

/// A field that is present (perhaps `null`), as opposed to absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Applies `overrides` to the plans table; a changed seat limit also applies to the
/// companies on that plan that had its old limit (not to those that kept an earlier
/// one).
pub async fn apply_overrides(
    conn: &mut AsyncPgConnection,
    overrides: &std::collections::BTreeMap<PlanId, PlanOverride>,
) -> anyhow::Result<()> {
    use diesel_async::AsyncConnection;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        for (&plan, change) in overrides {
            let before: PlanRow = plans::table
                .find(plan)
                .select(PlanRow::as_select())
                .first(conn)
                .await?;
            let seat_limit = change
                .seat_limit
                .map(|limit| limit.map(i32::try_from).transpose())
                .transpose()?
                .unwrap_or(before.seat_limit);
            let features = match &change.features {
                Some(features) => serde_json::to_value(features)?,
                None => before.features.clone(),
            };
            diesel::update(plans::table.find(plan))
                .set((
                    plans::name.eq(change.name.clone().unwrap_or(before.name)),
                    plans::monthly_price_cents.eq(change
                        .monthly_price_cents
                        .map(i32::try_from)
                        .transpose()?
                        .unwrap_or(before.monthly_price_cents)),
                    plans::seat_limit.eq(seat_limit),
                    plans::features.eq(features),
                    plans::stripe_price_id
                        .eq(change.stripe_price_id.clone().or(before.stripe_price_id)),
                ))
                .execute(conn)
                .await?;
            if seat_limit != before.seat_limit {
                diesel::update(
                    companies::table
                        .filter(companies::plan_id.eq(plan))
                        .filter(companies::seat_limit.is_not_distinct_from(before.seat_limit)),
                )
                .set(companies::seat_limit.eq(seat_limit))
                .execute(conn)
                .await?;
            }
        }
        Ok(())
    })
    .await
}
