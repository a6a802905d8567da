//! Webhook endpoints, their deliveries (outbox and log in one table) and attempts.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::alerts::AlertKind;
use pulse_shared::ids::{CompanyId, UserId, WebhookDeliveryId, WebhookEndpointId};
use pulse_shared::webhooks::{DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint};
use uuid::Uuid;

use super::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub company_id: CompanyId,
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    pub secret: String,
    pub kinds: Vec<String>,
    pub enabled: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(row: EndpointRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            description: row.description,
            kinds: row
                .kinds
                .iter()
                .filter_map(|kind| kind.parse().ok())
                .collect(),
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The fields a `PATCH` may change.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

pub async fn insert_endpoint(conn: &mut AsyncPgConnection, row: &EndpointRow) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn endpoint_count(conn: &mut AsyncPgConnection, company: CompanyId) -> QueryResult<i64> {
    webhook_endpoints::table
        .filter(webhook_endpoints::company_id.eq(company))
        .count()
        .get_result(conn)
        .await
}

pub async fn endpoints(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        .filter(webhook_endpoints::company_id.eq(company))
        .select(EndpointRow::as_select())
        .order(webhook_endpoints::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_endpoints::id.lt(before));
    }
    query.load(conn).await
}

pub async fn endpoint(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: WebhookEndpointId,
) -> QueryResult<EndpointRow> {
    webhook_endpoints::table
        .find((company, id))
        .select(EndpointRow::as_select())
        .first(conn)
        .await
}

/// The enabled endpoints that want `kind`.
pub async fn subscribed(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    kind: AlertKind,
) -> QueryResult<Vec<WebhookEndpointId>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::company_id.eq(company))
        .filter(webhook_endpoints::enabled)
        .filter(webhook_endpoints::kinds.contains(vec![kind.as_str()]))
        .select(webhook_endpoints::id)
        .load(conn)
        .await
}

pub async fn update_endpoint(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: WebhookEndpointId,
    changes: &EndpointChanges,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find((company, id)))
        .set(changes)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete_endpoint(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: WebhookEndpointId,
) -> QueryResult<usize> {
    diesel::delete(webhook_endpoints::table.find((company, id)))
        .execute(conn)
        .await
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub company_id: CompanyId,
    pub id: WebhookDeliveryId,
    pub endpoint_id: WebhookEndpointId,
    pub event_id: Uuid,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub give_up_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub replay_of: Option<WebhookDeliveryId>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryRow {
    /// A delivery of `payload` to `endpoint`, due now.
    pub fn new(
        company: CompanyId,
        endpoint: WebhookEndpointId,
        event_id: Uuid,
        event_type: &str,
        payload: serde_json::Value,
        replay_of: Option<WebhookDeliveryId>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            company_id: company,
            id: WebhookDeliveryId(Uuid::now_v7()),
            endpoint_id: endpoint,
            event_id,
            event_type: event_type.to_owned(),
            payload,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(now),
            give_up_at: now
                + chrono::Duration::from_std(crate::domain::webhooks::RETRY_FOR)
                    .unwrap_or_else(|_| chrono::Duration::days(1)),
            delivered_at: None,
            last_status_code: None,
            last_latency_ms: None,
            last_error: None,
            replay_of,
            created_at: now,
        }
    }
}

impl From<DeliveryRow> for WebhookDelivery {
    fn from(row: DeliveryRow) -> Self {
        let status = row.status;
        Self {
            id: row.id,
            endpoint_id: row.endpoint_id,
            event_id: row.event_id,
            event_type: row.event_type,
            status,
            attempts: row.attempts,
            created_at: row.created_at,
            next_attempt_at: row
                .next_attempt_at
                .filter(|_| status == DeliveryStatus::Pending),
            delivered_at: row.delivered_at,
            last_status_code: row.last_status_code,
            last_latency_ms: row.last_latency_ms,
            last_error: row.last_error,
            replay_of: row.replay_of,
        }
    }
}

pub async fn insert_deliveries(
    conn: &mut AsyncPgConnection,
    rows: &[DeliveryRow],
) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    endpoint: WebhookEndpointId,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::company_id.eq(company))
        .filter(webhook_deliveries::endpoint_id.eq(endpoint))
        .select(DeliveryRow::as_select())
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_deliveries::id.lt(before));
    }
    query.load(conn).await
}

pub async fn delivery(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    id: WebhookDeliveryId,
) -> QueryResult<DeliveryRow> {
    webhook_deliveries::table
        .find((company, id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .await
}

pub async fn attempts(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    delivery: WebhookDeliveryId,
) -> QueryResult<Vec<WebhookAttempt>> {
    webhook_attempts::table
        .filter(webhook_attempts::company_id.eq(company))
        .filter(webhook_attempts::delivery_id.eq(delivery))
        .order(webhook_attempts::number.asc())
        .select(AttemptRow::as_select())
        .load::<AttemptRow>(conn)
        .await
        .map(|rows| rows.into_iter().map(WebhookAttempt::from).collect())
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
struct AttemptRow {
    number: i32,
    attempted_at: DateTime<Utc>,
    status_code: Option<i32>,
    latency_ms: i32,
    error: Option<String>,
}

impl From<AttemptRow> for WebhookAttempt {
    fn from(row: AttemptRow) -> Self {
        Self {
            number: row.number,
            attempted_at: row.attempted_at,
            status_code: row.status_code,
            latency_ms: row.latency_ms,
            error: row.error,
        }
    }
}

/// A delivery claimed for one attempt, with where and how to send it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub company_id: CompanyId,
    #[diesel(sql_type = SqlUuid)]
    pub id: WebhookDeliveryId,
    #[diesel(sql_type = SqlUuid)]
    pub endpoint_id: WebhookEndpointId,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub give_up_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
}

/// Which due deliveries a dispatcher may take: at most `limit`, none of the `busy`
/// endpoints or `full` companies (this replica is sending to them already), at most
/// `per_endpoint` of one endpoint and `per_company` of one company.
#[derive(Debug, Clone, Default)]
pub struct Claim {
    pub limit: i64,
    pub busy: Vec<Uuid>,
    pub full: Vec<Uuid>,
    pub per_endpoint: i64,
    pub per_company: i64,
}

/// Claims due deliveries for `lease_secs` by moving them that far into the future, as
/// `claim` allows: a claim whose dispatcher died comes due again when the lease ends.
/// Another dispatcher's claim made meanwhile is seen when the row is locked (it is no
/// longer due), so no delivery is claimed twice. `now` decides what is due.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    lease_secs: i64,
    claim: &Claim,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Claimed>> {
    if claim.limit <= 0 {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "WITH claimed AS (
             UPDATE webhook_deliveries d
                SET next_attempt_at = $3 + make_interval(secs => $1)
              WHERE (d.company_id, d.id) IN (
                    SELECT company_id, id FROM (
                        SELECT company_id, id, next_attempt_at,
                               row_number() OVER (PARTITION BY company_id, endpoint_id
                                                  ORDER BY next_attempt_at) AS of_endpoint,
                               row_number() OVER (PARTITION BY company_id
                                                  ORDER BY next_attempt_at) AS of_company
                          FROM webhook_deliveries
                         WHERE status = 'pending' AND next_attempt_at <= $3
                           AND endpoint_id <> ALL($4) AND company_id <> ALL($5)) due
                     WHERE of_endpoint <= $6 AND of_company <= $7
                     ORDER BY next_attempt_at
                     LIMIT $2)
                AND d.status = 'pending' AND d.next_attempt_at <= $3
          RETURNING company_id, id, endpoint_id, event_id, event_type, payload, attempts,
                    give_up_at)
         SELECT c.company_id, c.id, c.endpoint_id, c.event_id, c.event_type, c.payload,
                c.attempts, c.give_up_at, e.url, e.secret
           FROM claimed c
           JOIN webhook_endpoints e ON e.company_id = c.company_id AND e.id = c.endpoint_id",
    )
    .bind::<diesel::sql_types::Double, _>(lease_secs as f64)
    .bind::<diesel::sql_types::BigInt, _>(claim.limit)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&claim.busy)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&claim.full)
    .bind::<diesel::sql_types::BigInt, _>(claim.per_endpoint)
    .bind::<diesel::sql_types::BigInt, _>(claim.per_company)
    .load(conn)
    .await
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub number: i32,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    /// `Succeeded`, `Failed` (gave up) or `Pending` (try again at `next_attempt_at`).
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Logs an attempt and moves the delivery on, releasing the claim.
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    delivery: WebhookDeliveryId,
    outcome: &Outcome,
) -> QueryResult<()> {
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::company_id.eq(company),
            webhook_attempts::delivery_id.eq(delivery),
            webhook_attempts::number.eq(outcome.number),
            webhook_attempts::attempted_at.eq(outcome.attempted_at),
            webhook_attempts::status_code.eq(outcome.status_code),
            webhook_attempts::latency_ms.eq(outcome.latency_ms),
            webhook_attempts::error.eq(&outcome.error),
        ))
        .execute(conn)
        .await?;
    diesel::update(webhook_deliveries::table.find((company, delivery)))
        .set((
            webhook_deliveries::status.eq(outcome.status.as_str()),
            webhook_deliveries::attempts.eq(outcome.number),
            webhook_deliveries::next_attempt_at.eq(outcome.next_attempt_at),
            webhook_deliveries::delivered_at
                .eq((outcome.status == DeliveryStatus::Succeeded).then_some(outcome.attempted_at)),
            webhook_deliveries::last_status_code.eq(outcome.status_code),
            webhook_deliveries::last_latency_ms.eq(outcome.latency_ms),
            webhook_deliveries::last_error.eq(&outcome.error),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Deletes finished deliveries created more than `age` ago; answers how many.
pub async fn prune(
    conn: &mut AsyncPgConnection,
    age: chrono::Duration,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        webhook_deliveries::table
            .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending.as_str()))
            .filter(webhook_deliveries::created_at.lt(now - age)),
    )
    .execute(conn)
    .await
}
