//! The plans table: price, seats and features of Free, Pro and Enterprise.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::billing::{Plan, PlanId};
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

/// Where a company stands: its plan, seats and billing address.
#[derive(Debug, Clone)]
pub struct CompanyPlan {
    pub plan: Plan,
    pub seats_used: i32,
    pub seat_limit: i32,
    pub billing_email: Option<String>,
}

/// `company`'s plan and seats; with `lock`, the company row is locked for the
/// transaction (as enrollment locks it to count seats).
pub async fn of_company(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    lock: bool,
) -> QueryResult<CompanyPlan> {
    if lock {
        companies::table
            .find(company)
            .select(companies::id)
            .for_update()
            .first::<CompanyId>(conn)
            .await?;
    }
    let (plan, seats_used, seat_limit, billing_email) = companies::table
        .inner_join(plans::table.on(plans::id.eq(companies::plan_id)))
        .filter(companies::id.eq(company))
        .select((
            PlanRow::as_select(),
            companies::seats_used,
            companies::seat_limit,
            companies::billing_email,
        ))
        .first::<(PlanRow, i32, i32, Option<String>)>(conn)
        .await?;
    Ok(CompanyPlan {
        plan: plan.try_into()?,
        seats_used,
        seat_limit,
        billing_email,
    })
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
