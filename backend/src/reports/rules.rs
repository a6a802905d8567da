//! The stored category rules of a company.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CategoryRuleId, CompanyId, TeamId, UserId};
use pulse_shared::reports::{CategoryRule, NewCategoryRule, Productivity, RuleField, RuleMatch};

use crate::db::schema::category_rules;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = category_rules)]
pub struct RuleRow {
    pub company_id: CompanyId,
    pub id: CategoryRuleId,
    pub field: RuleField,
    pub match_kind: RuleMatch,
    pub pattern: String,
    pub productivity: Productivity,
    pub category: String,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RuleRow {
    /// A new rule of `company` as written (trimmed).
    pub fn new(company: CompanyId, rule: &NewCategoryRule, now: DateTime<Utc>) -> Self {
        Self {
            company_id: company,
            id: CategoryRuleId(uuid::Uuid::now_v7()),
            field: rule.field,
            match_kind: rule.matches,
            pattern: rule.pattern.trim().to_owned(),
            productivity: rule.productivity,
            category: rule.category.trim().to_owned(),
            team_id: rule.team_id,
            user_id: rule.user_id,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn rule(&self) -> NewCategoryRule {
        NewCategoryRule {
            field: self.field,
            matches: self.match_kind,
            pattern: self.pattern.clone(),
            productivity: self.productivity,
            category: self.category.clone(),
            team_id: self.team_id,
            user_id: self.user_id,
        }
    }
}

impl From<RuleRow> for CategoryRule {
    fn from(row: RuleRow) -> Self {
        Self::stored(row.id, row.rule(), row.created_at, row.updated_at)
    }
}

/// `company`'s rules in the order they were written.
pub async fn list(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<Vec<RuleRow>> {
    category_rules::table
        .filter(category_rules::company_id.eq(company))
        .order((category_rules::created_at.asc(), category_rules::id.asc()))
        .select(RuleRow::as_select())
        .load(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: CategoryRuleId,
) -> QueryResult<RuleRow> {
    category_rules::table
        .find((company, id))
        .select(RuleRow::as_select())
        .first(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<i64> {
    category_rules::table
        .filter(category_rules::company_id.eq(company))
        .count()
        .get_result(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &RuleRow) -> QueryResult<()> {
    diesel::insert_into(category_rules::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Replaces a rule's fields (not its id or creation time).
pub async fn update(conn: &mut AsyncPgConnection, row: &RuleRow) -> QueryResult<()> {
    diesel::update(category_rules::table.find((row.company_id, row.id)))
        .set((
            category_rules::field.eq(row.field),
            category_rules::match_kind.eq(row.match_kind),
            category_rules::pattern.eq(&row.pattern),
            category_rules::productivity.eq(row.productivity),
            category_rules::category.eq(&row.category),
            category_rules::team_id.eq(row.team_id),
            category_rules::user_id.eq(row.user_id),
            category_rules::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: CategoryRuleId,
) -> QueryResult<()> {
    diesel::delete(category_rules::table.find((company, id)))
        .execute(conn)
        .await
        .map(drop)
}
