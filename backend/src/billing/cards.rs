//! The card a company's invoices are charged to: brand, last four digits and expiry,
//! never the number (Stripe keeps that).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::billing::PaymentCard;
use pulse_shared::ids::CompanyId;

use crate::db::schema::payment_cards;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = payment_cards)]
pub struct CardRow {
    pub company_id: CompanyId,
    pub stripe_payment_method_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<CardRow> for PaymentCard {
    fn from(row: CardRow) -> Self {
        Self {
            brand: row.brand,
            last4: row.last4,
            exp_month: u32::try_from(row.exp_month).unwrap_or(0),
            exp_year: u32::try_from(row.exp_year).unwrap_or(0),
        }
    }
}

pub async fn of_company(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> QueryResult<Option<CardRow>> {
    payment_cards::table
        .find(company)
        .select(CardRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Makes `card` the company's card, replacing the one before.
pub async fn store(conn: &mut AsyncPgConnection, card: &CardRow) -> QueryResult<()> {
    diesel::insert_into(payment_cards::table)
        .values(card)
        .on_conflict(payment_cards::company_id)
        .do_update()
        .set(card)
        .execute(conn)
        .await
        .map(drop)
}
