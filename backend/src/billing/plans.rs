//! The plans table: price, seats and features of Free, Pro and Enterprise.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::billing::{Plan, PlanId};

use crate::db::schema::plans;

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
