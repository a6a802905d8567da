//! Alerts and their recipients: the statements behind [`crate::alerting::raise`], a
//! person's inbox, read state, preferences and stream tickets.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::alerts::{Alert, AlertKind, AlertPreference, AlertSubject, Severity};
use pulse_shared::ids::{AgentId, AlertId, CompanyId, PolicyId, UserId};
use pulse_shared::people::{Role, UserStatus};
use uuid::Uuid;

use super::schema::{alert_preferences, alert_recipients, alerts, stream_tickets};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = alerts)]
pub struct AlertRow {
    pub company_id: CompanyId,
    pub id: AlertId,
    pub kind: AlertKind,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub agent_id: Option<AgentId>,
    pub user_id: Option<UserId>,
    pub invoice_id: Option<String>,
    pub policy_id: Option<PolicyId>,
    pub open_key: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// How many computers a fleet alert lists.
    pub agent_count: Option<i32>,
}

impl AlertRow {
    pub fn kind(&self) -> AlertKind {
        self.kind
    }

    pub fn subject(&self) -> AlertSubject {
        AlertSubject {
            agent_id: self.agent_id,
            user_id: self.user_id,
            invoice_id: self.invoice_id.clone(),
            policy_id: self.policy_id,
        }
    }

    /// The alert as recipient number `seq` sees it.
    pub fn for_recipient(&self, seq: i64, read_at: Option<DateTime<Utc>>) -> Alert {
        Alert {
            id: self.id,
            seq,
            kind: self.kind(),
            severity: self.severity,
            title: self.title.clone(),
            body: self.body.clone(),
            subject: self.subject(),
            created_at: self.created_at,
            read_at,
            agent_count: self.agent_count.and_then(|count| u32::try_from(count).ok()),
        }
    }
}

/// Inserts the alert unless the same condition is already open (the partial unique
/// index on `open_key` decides). Answers whether it was inserted.
pub async fn insert(conn: &mut AsyncPgConnection, row: &AlertRow) -> QueryResult<bool> {
    diesel::insert_into(alerts::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|inserted| inserted > 0)
}

/// Closes the open condition `open_key`, if there is one.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    open_key: &str,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        alerts::table
            .filter(alerts::company_id.eq(company))
            .filter(alerts::open_key.eq(open_key))
            .filter(alerts::resolved_at.is_null()),
    )
    .set(alerts::resolved_at.eq(now))
    .execute(conn)
    .await
}

/// Whether an alert with `open_key` is open.
pub async fn is_open(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    open_key: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        alerts::table
            .filter(alerts::company_id.eq(company))
            .filter(alerts::open_key.eq(open_key))
            .filter(alerts::resolved_at.is_null()),
    ))
    .get_result(conn)
    .await
}

/// Writes the list of a fleet alert: one row per computer, away (`back_online_at`
/// unset) or back at `back_online_at`.
pub async fn insert_agents(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    alert: AlertId,
    agents: &[AgentId],
    back_online_at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let ids: Vec<Uuid> = agents.iter().map(|agent| agent.0).collect();
    // One statement whatever the fleet's size (a bind per row would meet Postgres's
    // limit of 65,535 parameters).
    diesel::sql_query(
        "INSERT INTO alert_agents (company_id, alert_id, agent_id, back_online_at)
         SELECT $1, $2, agent, $4 FROM unnest($3::uuid[]) agent
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<SqlUuid, _>(alert.0)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Nullable<Timestamptz>, _>(back_online_at)
    .execute(conn)
    .await
    .map(drop)
}

/// An open "fleet offline" alert, where its computers stand.
#[derive(Debug, QueryableByName)]
pub struct FleetReturn {
    #[diesel(sql_type = SqlUuid)]
    pub alert_id: Uuid,
    /// Its computers that reported again, now or before.
    #[diesel(sql_type = Array<SqlUuid>)]
    pub back: Vec<Uuid>,
    /// Their employees, in the same order.
    #[diesel(sql_type = Array<SqlUuid>)]
    pub back_users: Vec<Uuid>,
    /// Its computers still away (revoked ones are not waited for).
    #[diesel(sql_type = BigInt)]
    pub away: i64,
    /// Its computers revoked while away.
    #[diesel(sql_type = BigInt)]
    pub revoked: i64,
    /// When it was raised.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Whether [`settle_fleets`] closed it: none of its computers is away any more.
    #[diesel(sql_type = Bool)]
    pub closed: bool,
}

/// Records that `agents` of `company` report again at `now` in every open alert that
/// waits for them (see [`AlertKind::waits_for_agents`]); answers those alerts.
pub async fn mark_back(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agents: &[AgentId],
    now: DateTime<Utc>,
) -> QueryResult<Vec<AlertId>> {
    let ids: Vec<Uuid> = agents.iter().map(|agent| agent.0).collect();
    let touched: Vec<AlertIdRow> = diesel::sql_query(
        "WITH back AS (
             UPDATE alert_agents m
                SET back_online_at = $3
               FROM alerts a
              WHERE m.company_id = $1 AND m.agent_id = ANY($2) AND m.back_online_at IS NULL
                AND a.company_id = m.company_id AND a.id = m.alert_id
                AND a.resolved_at IS NULL
             RETURNING m.alert_id)
         SELECT DISTINCT alert_id FROM back",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Timestamptz, _>(now)
    .load(conn)
    .await?;
    Ok(touched
        .into_iter()
        .map(|row| AlertId(row.alert_id))
        .collect())
}

/// The open alerts that wait for `agent` of `company`.
pub async fn waiting_for(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
) -> QueryResult<Vec<AlertId>> {
    let waiting: Vec<AlertIdRow> = diesel::sql_query(
        "SELECT m.alert_id
           FROM alert_agents m
           JOIN alerts a ON a.company_id = m.company_id AND a.id = m.alert_id
          WHERE m.company_id = $1 AND m.agent_id = $2 AND m.back_online_at IS NULL
            AND a.resolved_at IS NULL",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<SqlUuid, _>(agent.0)
    .load(conn)
    .await?;
    Ok(waiting
        .into_iter()
        .map(|row| AlertId(row.alert_id))
        .collect())
}

/// Where the computers of `company`'s alerts `fleets` stand; an open one with none
/// away any more (back, or revoked) is closed (`resolved_at`) at `now`, so it is
/// closed once.
pub async fn settle_fleets(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    fleets: &[AlertId],
    now: DateTime<Utc>,
) -> QueryResult<Vec<FleetReturn>> {
    if fleets.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query(
        "WITH fleets AS (
             SELECT m.alert_id,
                    array_agg(m.agent_id ORDER BY m.agent_id)
                        FILTER (WHERE m.back_online_at IS NOT NULL) AS back,
                    array_agg(g.user_id ORDER BY m.agent_id)
                        FILTER (WHERE m.back_online_at IS NOT NULL) AS back_users,
                    count(*) FILTER (WHERE m.back_online_at IS NULL
                                       AND g.revoked_at IS NULL) AS away,
                    count(*) FILTER (WHERE m.back_online_at IS NULL
                                       AND g.revoked_at IS NOT NULL) AS revoked
               FROM alert_agents m
               JOIN agents g ON g.company_id = m.company_id AND g.id = m.agent_id
              WHERE m.company_id = $1 AND m.alert_id = ANY($2)
              GROUP BY m.alert_id),
         closed AS (
             UPDATE alerts a SET resolved_at = $3
               FROM fleets f
              WHERE a.company_id = $1 AND a.id = f.alert_id AND f.away = 0
                AND a.resolved_at IS NULL
             RETURNING a.id)
         SELECT f.alert_id, coalesce(f.back, '{}') AS back,
                coalesce(f.back_users, '{}') AS back_users, f.away, f.revoked, a.created_at,
                EXISTS (SELECT 1 FROM closed c WHERE c.id = f.alert_id) AS closed
           FROM fleets f
           JOIN alerts a ON a.company_id = $1 AND a.id = f.alert_id",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Array<SqlUuid>, _>(fleets.iter().map(|alert| alert.0).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(now)
    .load(conn)
    .await
}

#[derive(Debug, QueryableByName)]
struct AlertIdRow {
    #[diesel(sql_type = SqlUuid)]
    alert_id: Uuid,
}

/// Who an alert reached and how.
#[derive(Debug, QueryableByName)]
pub struct Reached {
    #[diesel(sql_type = Bool)]
    pub in_app: bool,
    #[diesel(sql_type = Bool)]
    pub by_email: bool,
}

/// Writes one recipient row per active person in the alert's audience who wants the
/// kind in the app or by email, in one statement. The audience is `person` alone when
/// given; otherwise the owners and admins, plus the managers of the teams of `about`
/// (the employees the alert concerns). Only the audience's rows are read, however many
/// people the company has.
pub async fn insert_recipients(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    alert: AlertId,
    kind: AlertKind,
    person: Option<UserId>,
    about: &[UserId],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Reached>> {
    diesel::sql_query(format!(
        "WITH audience AS (
             SELECT $5::uuid AS id WHERE $5::uuid IS NOT NULL
             UNION
             SELECT a.id FROM users a
              WHERE $5::uuid IS NULL AND a.company_id = $1 AND a.role IN ('{owner}', '{admin}')
             UNION
             SELECT tm.user_id
               FROM users s
               JOIN team_managers tm ON tm.company_id = s.company_id AND tm.team_id = s.team_id
              WHERE $5::uuid IS NULL AND s.company_id = $1 AND s.id = ANY($6))
         INSERT INTO alert_recipients (company_id, alert_id, user_id, in_app, email_status, email_next_at)
         SELECT u.company_id, $2, u.id, wants.in_app,
                CASE WHEN wants.email THEN 'pending' END,
                CASE WHEN wants.email THEN $7::timestamptz END
           FROM audience
           JOIN users u ON u.company_id = $1 AND u.id = audience.id
           LEFT JOIN alert_preferences p
                  ON p.company_id = u.company_id AND p.user_id = u.id AND p.kind = $3
          CROSS JOIN LATERAL (SELECT coalesce(p.in_app, true) AS in_app,
                                     coalesce(p.email, $4) AS email) wants
          WHERE u.status = '{active}'
            AND (wants.in_app OR wants.email)
         RETURNING in_app, email_status IS NOT NULL AS by_email",
            owner = Role::Owner.as_str(),
            admin = Role::Admin.as_str(),
            active = UserStatus::Active.as_str(),
        ),
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<SqlUuid, _>(alert.0)
    .bind::<Text, _>(kind.as_str())
    .bind::<Bool, _>(kind.emailed_by_default())
    .bind::<Nullable<SqlUuid>, _>(person.map(|user| user.0))
    .bind::<Array<SqlUuid>, _>(about.iter().map(|user| user.0).collect::<Vec<_>>())
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .load(conn)
    .await
}

/// Wakes the replicas: `channel` is [`crate::alerting::live::ALERTS_CHANNEL`] or
/// [`crate::worker::outbox::CHANNEL`]. Postgres delivers it when the transaction commits.
pub async fn notify(conn: &mut AsyncPgConnection, channel: &str, payload: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(channel)
        .bind::<Text, _>(payload)
        .execute(conn)
        .await
        .map(drop)
}

/// Filters of a person's alert list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub kind: Option<AlertKind>,
    pub severity: Option<Severity>,
    pub read: Option<bool>,
}

/// Which part of a person's alerts to read.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    /// Newest first, before this seq (all when `None`): the list.
    Before(Option<i64>),
    /// Oldest first, after this seq: what a resuming stream missed.
    After(i64),
}

/// `user`'s alerts matching `filter` in `window`, at most `limit`.
pub async fn inbox(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    filter: Filter,
    window: Window,
    limit: i64,
) -> QueryResult<Vec<Alert>> {
    let mut query = alert_recipients::table
        .inner_join(
            alerts::table.on(alerts::company_id
                .eq(alert_recipients::company_id)
                .and(alerts::id.eq(alert_recipients::alert_id))),
        )
        .filter(alert_recipients::company_id.eq(company))
        .filter(alert_recipients::user_id.eq(user))
        .filter(alert_recipients::in_app)
        .select((
            alert_recipients::seq,
            alert_recipients::read_at,
            AlertRow::as_select(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(alerts::kind.eq(kind.as_str()));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(alerts::severity.eq(severity.as_str()));
    }
    match filter.read {
        Some(true) => query = query.filter(alert_recipients::read_at.is_not_null()),
        Some(false) => query = query.filter(alert_recipients::read_at.is_null()),
        None => {}
    }
    query = match window {
        Window::Before(before) => {
            let query = query.order(alert_recipients::seq.desc());
            match before {
                Some(before) => query.filter(alert_recipients::seq.lt(before)),
                None => query,
            }
        }
        Window::After(after) => query
            .order(alert_recipients::seq.asc())
            .filter(alert_recipients::seq.gt(after)),
    };
    let rows: Vec<(i64, Option<DateTime<Utc>>, AlertRow)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(seq, read_at, row)| row.for_recipient(seq, read_at))
        .collect())
}

/// An alert and who sees it in the app, `(user, seq)`: what the live stream fans out.
pub async fn with_recipients(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    alert: AlertId,
) -> QueryResult<(AlertRow, Vec<(Uuid, i64)>)> {
    let row = alerts::table
        .find((company, alert))
        .select(AlertRow::as_select())
        .first(conn)
        .await?;
    let recipients = alert_recipients::table
        .filter(alert_recipients::company_id.eq(company))
        .filter(alert_recipients::alert_id.eq(alert))
        .filter(alert_recipients::in_app)
        .select((alert_recipients::user_id, alert_recipients::seq))
        .load(conn)
        .await?;
    Ok((row, recipients))
}

pub async fn unread(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<i64> {
    alert_recipients::table
        .filter(alert_recipients::company_id.eq(company))
        .filter(alert_recipients::user_id.eq(user))
        .filter(alert_recipients::in_app)
        .filter(alert_recipients::read_at.is_null())
        .count()
        .get_result(conn)
        .await
}

/// Marks one of `user`'s alerts read (at `now`) or unread; 0 when it is not theirs.
pub async fn mark(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    alert: AlertId,
    read: bool,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let target = alert_recipients::table
        .filter(alert_recipients::company_id.eq(company))
        .filter(alert_recipients::user_id.eq(user))
        .filter(alert_recipients::alert_id.eq(alert))
        .filter(alert_recipients::in_app);
    if read {
        // Keep the first time it was read.
        diesel::update(target)
            .set(
                alert_recipients::read_at.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                >("coalesce(read_at, ")
                .bind::<diesel::sql_types::Timestamptz, _>(now)
                .sql(")")),
            )
            .execute(conn)
            .await
    } else {
        diesel::update(target)
            .set(alert_recipients::read_at.eq(None::<DateTime<Utc>>))
            .execute(conn)
            .await
    }
}

/// Marks all of `user`'s unread alerts read; answers how many changed.
pub async fn mark_all(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        alert_recipients::table
            .filter(alert_recipients::company_id.eq(company))
            .filter(alert_recipients::user_id.eq(user))
            .filter(alert_recipients::in_app)
            .filter(alert_recipients::read_at.is_null()),
    )
    .set(alert_recipients::read_at.eq(now))
    .execute(conn)
    .await
}

/// `user`'s preference for every kind, defaults filled in.
pub async fn preferences(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<Vec<AlertPreference>> {
    let chosen: Vec<(String, bool, bool)> = alert_preferences::table
        .filter(alert_preferences::company_id.eq(company))
        .filter(alert_preferences::user_id.eq(user))
        .select((
            alert_preferences::kind,
            alert_preferences::in_app,
            alert_preferences::email,
        ))
        .load(conn)
        .await?;
    Ok(AlertKind::ALL
        .into_iter()
        .map(|kind| {
            chosen
                .iter()
                .find(|(name, _, _)| name == kind.as_str())
                .map_or_else(
                    || AlertPreference::default_for(kind),
                    |(_, in_app, email)| AlertPreference {
                        kind,
                        in_app: *in_app,
                        email: *email,
                    },
                )
        })
        .collect())
}

pub async fn save_preferences(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    items: &[AlertPreference],
) -> QueryResult<()> {
    use diesel::upsert::excluded;
    let rows: Vec<_> = items
        .iter()
        .map(|item| {
            (
                alert_preferences::company_id.eq(company),
                alert_preferences::user_id.eq(user),
                alert_preferences::kind.eq(item.kind.as_str()),
                alert_preferences::in_app.eq(item.in_app),
                alert_preferences::email.eq(item.email),
            )
        })
        .collect();
    diesel::insert_into(alert_preferences::table)
        .values(rows)
        .on_conflict((
            alert_preferences::company_id,
            alert_preferences::user_id,
            alert_preferences::kind,
        ))
        .do_update()
        .set((
            alert_preferences::in_app.eq(excluded(alert_preferences::in_app)),
            alert_preferences::email.eq(excluded(alert_preferences::email)),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn insert_ticket(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    token_hash: Vec<u8>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    // Expired tickets are dropped by the next one issued.
    diesel::delete(stream_tickets::table.filter(stream_tickets::expires_at.lt(now)))
        .execute(conn)
        .await?;
    diesel::insert_into(stream_tickets::table)
        .values((
            stream_tickets::token_hash.eq(token_hash),
            stream_tickets::company_id.eq(company),
            stream_tickets::user_id.eq(user),
            stream_tickets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Uses up a ticket: deleted as it is read, so it opens one stream at most, on any replica.
pub async fn take_ticket(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<(CompanyId, UserId)>> {
    let taken: Option<(Uuid, Uuid, DateTime<Utc>)> =
        diesel::delete(stream_tickets::table.filter(stream_tickets::token_hash.eq(token_hash)))
            .returning((
                stream_tickets::company_id,
                stream_tickets::user_id,
                stream_tickets::expires_at,
            ))
            .get_result(conn)
            .await
            .optional()?;
    Ok(taken
        .filter(|(_, _, expires_at)| *expires_at > now)
        .map(|(company, user, _)| (CompanyId(company), UserId(user))))
}

/// An alert email claimed for sending.
#[derive(Debug, QueryableByName)]
pub struct ClaimedEmail {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub body: String,
}

/// Claims up to `limit` due alert emails for five minutes (a crashed sender's claim
/// lapses), counting the attempt. `now` decides what is due.
pub async fn claim_emails(
    conn: &mut AsyncPgConnection,
    limit: i64,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ClaimedEmail>> {
    diesel::sql_query(
        "WITH claimed AS (
             UPDATE alert_recipients
                SET email_next_at = $2 + interval '5 minutes',
                    email_attempts = email_attempts + 1
              WHERE seq IN (SELECT seq FROM alert_recipients
                             WHERE email_status = 'pending' AND email_next_at <= $2
                             ORDER BY email_next_at
                             LIMIT $1
                             FOR UPDATE SKIP LOCKED)
          RETURNING seq, company_id, alert_id, user_id, email_attempts)
         SELECT c.seq, c.email_attempts AS attempts, u.email::text AS email, u.name,
                a.severity, a.title, a.body
           FROM claimed c
           JOIN users u ON u.company_id = c.company_id AND u.id = c.user_id
           JOIN alerts a ON a.company_id = c.company_id AND a.id = c.alert_id",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .load(conn)
    .await
}

/// Records how sending an alert email went: `next` is when to try again, or `None`
/// when it was sent (`sent`) or given up on.
pub async fn finish_email(
    conn: &mut AsyncPgConnection,
    seq: i64,
    sent: bool,
    next: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    let status = match (sent, next) {
        (true, _) => "sent",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    diesel::update(alert_recipients::table.find(seq))
        .set((
            alert_recipients::email_status.eq(status),
            alert_recipients::email_next_at.eq(next),
        ))
        .execute(conn)
        .await
        .map(drop)
}
