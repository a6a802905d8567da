//! Enrollment tokens and agents.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::agents::{
    Agent, AgentCounts, AgentState, AgentStatus, EnrollmentToken, SpoolReport,
};
use pulse_shared::ids::{AgentId, AlertId, CompanyId, EnrollmentTokenId, TeamId, UserId};
use uuid::Uuid;

use super::schema::{agents, companies, enrollment_tokens, users};

/// Heard from within its heartbeat interval plus this counts as online.
pub const ONLINE_GRACE: Duration = Duration::seconds(30);
/// Not heard from for this long counts as missing.
pub const MISSING_AFTER: Duration = Duration::days(30);

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enrollment_tokens)]
pub struct TokenRow {
    pub company_id: CompanyId,
    pub id: EnrollmentTokenId,
    pub name: String,
    pub token_hash: Vec<u8>,
    pub user_id: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: i32,
    pub uses: i32,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for EnrollmentToken {
    fn from(row: TokenRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            user_id: row.user_id,
            expires_at: row.expires_at,
            max_uses: row.max_uses,
            uses: row.uses,
            created_by: row.created_by,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub async fn insert_token(conn: &mut AsyncPgConnection, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(enrollment_tokens::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn tokens(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<TokenRow>> {
    let mut query = enrollment_tokens::table
        .filter(enrollment_tokens::company_id.eq(company))
        .select(TokenRow::as_select())
        .order(enrollment_tokens::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(enrollment_tokens::id.lt(before));
    }
    query.load(conn).await
}

pub async fn revoke_token(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    token: EnrollmentTokenId,
    now: DateTime<Utc>,
) -> QueryResult<Option<TokenRow>> {
    diesel::update(enrollment_tokens::table.find((company, token)))
        .set(enrollment_tokens::revoked_at.eq(now))
        .returning(TokenRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Why a token cannot enroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Unknown,
    Revoked,
    Expired,
    UsedUp,
}

/// Counts one use of the token with hash `hash`, if it is usable; the row is locked
/// until the transaction ends, so concurrent enrollments cannot overshoot its uses.
pub async fn use_token(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Result<TokenRow, Unusable>> {
    let Some(row) = enrollment_tokens::table
        .filter(enrollment_tokens::token_hash.eq(hash))
        .select(TokenRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
    else {
        return Ok(Err(Unusable::Unknown));
    };
    if row.revoked_at.is_some() {
        return Ok(Err(Unusable::Revoked));
    }
    if row.expires_at <= now {
        return Ok(Err(Unusable::Expired));
    }
    if row.uses >= row.max_uses {
        return Ok(Err(Unusable::UsedUp));
    }
    diesel::update(enrollment_tokens::table.find((row.company_id, row.id)))
        .set(enrollment_tokens::uses.eq(enrollment_tokens::uses + 1))
        .returning(TokenRow::as_returning())
        .get_result(conn)
        .await
        .map(Ok)
}

/// The company's seat limit (`None`: no limit) and the seats in use (people with at
/// least one unrevoked agent, kept by triggers on `agents`), with its row locked until
/// the transaction ends, so that enrollments of one company are counted one at a time.
pub async fn lock_seats(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
) -> QueryResult<(Option<i32>, i32)> {
    companies::table
        .find(company.0)
        .select((companies::seat_limit, companies::seats_used))
        // Not `FOR UPDATE`: rows inserted meanwhile that refer to the company hold
        // `FOR KEY SHARE`, which would keep overtaking a waiting `FOR UPDATE`.
        .for_no_key_update()
        .first(conn)
        .await
}

/// Whether `user` holds a seat already: an unrevoked agent of theirs.
pub async fn holds_seat(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        agents::table
            .filter(agents::company_id.eq(company))
            .filter(agents::user_id.eq(user))
            .filter(agents::revoked_at.is_null()),
    ))
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agents)]
pub struct AgentRow {
    pub company_id: CompanyId,
    pub id: AgentId,
    pub user_id: UserId,
    pub hostname: String,
    pub os: String,
    pub agent_version: String,
    pub secret_hash: Vec<u8>,
    pub enrolled_with: Option<EnrollmentTokenId>,
    pub enrolled_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_state: Option<AgentState>,
    pub presence: AgentStatus,
    pub revoked_at: Option<DateTime<Utc>>,
    pub spool_pending: Option<i32>,
    pub spool_dropped: Option<i64>,
    pub spool_dead_letters: Option<i32>,
}

impl AgentRow {
    /// The spool report of the latest heartbeat, if it carried one.
    fn spool(&self) -> Option<SpoolReport> {
        let count = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok());
        Some(SpoolReport {
            pending: count(self.spool_pending)?,
            dropped: self.spool_dropped.and_then(|n| u64::try_from(n).ok())?,
            dead_letters: count(self.spool_dead_letters)?,
        })
    }

    /// The agent of employee `user_name` as admins see it at `now`, for a heartbeat
    /// interval of `heartbeat`.
    pub fn view(self, user_name: String, now: DateTime<Utc>, heartbeat: Duration) -> Agent {
        let status = match (self.revoked_at, self.last_seen_at) {
            (Some(_), _) => AgentStatus::Revoked,
            (None, Some(seen)) if seen + heartbeat + ONLINE_GRACE > now => AgentStatus::Online,
            (None, Some(seen)) if seen + MISSING_AFTER > now => AgentStatus::Offline,
            (None, None) if self.enrolled_at + MISSING_AFTER > now => AgentStatus::Offline,
            (None, _) => AgentStatus::Missing,
        };
        let spool = self.spool();
        Agent {
            id: self.id,
            user_id: self.user_id,
            user_name,
            hostname: self.hostname,
            os: self.os,
            agent_version: self.agent_version,
            status,
            state: self.last_state,
            enrolled_at: self.enrolled_at,
            last_seen_at: self.last_seen_at,
            revoked_at: self.revoked_at,
            spool,
        }
    }
}

pub async fn insert_agent(conn: &mut AsyncPgConnection, row: &AgentRow) -> QueryResult<()> {
    diesel::insert_into(agents::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// An agent calling with a credential: who it is and whom it reports for.
#[derive(Debug, Clone, Queryable)]
pub struct Caller {
    pub company_id: CompanyId,
    pub id: AgentId,
    pub user_id: UserId,
    pub team_id: Option<TeamId>,
}

/// The unrevoked agent holding the credential with hash `hash`, if its employee is
/// active: one indexed lookup per agent call.
pub async fn caller(conn: &mut AsyncPgConnection, hash: &[u8]) -> QueryResult<Option<Caller>> {
    use super::schema::users;
    agents::table
        .inner_join(
            users::table.on(users::company_id
                .eq(agents::company_id)
                .and(users::id.eq(agents::user_id))),
        )
        .filter(agents::secret_hash.eq(hash))
        .filter(agents::revoked_at.is_null())
        .filter(users::status.eq(pulse_shared::people::UserStatus::Active.as_str()))
        .select((
            agents::company_id,
            agents::id,
            agents::user_id,
            users::team_id,
        ))
        .first(conn)
        .await
        .optional()
}

/// The name and effective heartbeat interval (seconds; `None`: the built-in default)
/// of each of `people`.
pub async fn employees(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[UserId],
) -> QueryResult<Vec<Employee>> {
    let heartbeat = super::policies::effective_setting_sql("heartbeat_secs");
    diesel::sql_query(format!(
        "SELECT u.id, u.name, h.value::int AS heartbeat_secs
           FROM users u JOIN ({heartbeat}) h ON h.company_id = u.company_id AND h.user_id = u.id
          WHERE u.company_id = $1 AND u.id = ANY($2)"
    ))
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(people)
    .load(conn)
    .await
}

/// An agent's employee, for the list of agents.
#[derive(Debug, QueryableByName)]
pub struct Employee {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: UserId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    pub heartbeat_secs: Option<i32>,
}

/// `company`'s agents, newest first; only those of `people` when given.
/// Which agents [`list`] and [`counts`] take.
#[derive(Debug, Clone, Default)]
pub struct AgentFilter {
    /// Only these people's agents (a manager's or an employee's reach).
    pub people: Option<Vec<UserId>>,
    /// Part of the host name, or of the employee's name or e-mail address.
    pub q: Option<String>,
    /// The status the presence job last recorded (or revoked).
    pub status: Option<AgentStatus>,
    /// Only the computers a fleet alert lists.
    pub alert: Option<AlertId>,
}

/// `company`'s agents matching `filter`, newest first, before the cursor `before`, at
/// most `limit`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    filter: &AgentFilter,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<AgentRow>> {
    let mut query = agents::table
        .filter(agents::company_id.eq(company))
        .select(AgentRow::as_select())
        .order(agents::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(people) = &filter.people {
        query = query.filter(agents::user_id.eq_any(people.clone()));
    }
    if let Some(q) = &filter.q {
        let pattern = super::contains_pattern(q);
        let named = users::table
            .filter(users::company_id.eq(company))
            .filter(
                users::name
                    .ilike(pattern.clone())
                    .or(users::email.ilike(pattern.clone())),
            )
            .select(users::id);
        query = query.filter(
            agents::hostname
                .ilike(pattern)
                .or(agents::user_id.eq_any(named)),
        );
    }
    match filter.status {
        Some(AgentStatus::Revoked) => query = query.filter(agents::revoked_at.is_not_null()),
        Some(status) => {
            query = query
                .filter(agents::revoked_at.is_null())
                .filter(agents::presence.eq(status.as_str()));
        }
        None => {}
    }
    if let Some(alert) = filter.alert {
        use super::schema::alert_agents;
        query = query.filter(
            agents::id.eq_any(
                alert_agents::table
                    .filter(alert_agents::company_id.eq(company))
                    .filter(alert_agents::alert_id.eq(alert))
                    .select(alert_agents::agent_id),
            ),
        );
    }
    if let Some(before) = before {
        query = query.filter(agents::id.lt(before));
    }
    query.load(conn).await
}

/// How many of `company`'s agents (only `people`'s, when given) are in each status.
pub async fn counts(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: Option<&[UserId]>,
) -> QueryResult<AgentCounts> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let count = |status: AgentStatus| {
        sql::<BigInt>(&format!(
            "count(*) FILTER (WHERE revoked_at IS NULL AND presence = '{}')",
            status.as_str()
        ))
    };
    let mut query = agents::table
        .filter(agents::company_id.eq(company))
        .select((
            count(AgentStatus::Online),
            count(AgentStatus::Offline),
            count(AgentStatus::Missing),
            sql::<BigInt>("count(*) FILTER (WHERE revoked_at IS NOT NULL)"),
        ))
        .into_boxed();
    if let Some(people) = people {
        query = query.filter(agents::user_id.eq_any(people.to_vec()));
    }
    let (online, offline, missing, revoked): (i64, i64, i64, i64) = query.get_result(conn).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(AgentCounts {
        online: count(online),
        offline: count(offline),
        missing: count(missing),
        revoked: count(revoked),
    })
}

/// `user`'s agents that are not revoked, newest first.
pub async fn unrevoked_of(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
) -> QueryResult<Vec<AgentRow>> {
    agents::table
        .filter(agents::company_id.eq(company))
        .filter(agents::user_id.eq(user))
        .filter(agents::revoked_at.is_null())
        .select(AgentRow::as_select())
        .order(agents::id.desc())
        .load(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
) -> QueryResult<AgentRow> {
    agents::table
        .find((company, agent))
        .select(AgentRow::as_select())
        .first(conn)
        .await
}

pub async fn revoke(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    agent: AgentId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        agents::table
            .find((company, agent))
            .filter(agents::revoked_at.is_null()),
    )
    .set(agents::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// Revokes every agent of `user` at `now` (their seat goes with them); answers how many.
pub async fn revoke_for_user(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        agents::table
            .filter(agents::company_id.eq(company))
            .filter(agents::user_id.eq(user))
            .filter(agents::revoked_at.is_null()),
    )
    .set(agents::revoked_at.eq(now))
    .execute(conn)
    .await
}

/// An agent's latest heartbeat, as [`seen_many`] writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub state: AgentState,
    pub spool: Option<SpoolReport>,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// Writes coalesced heartbeats in one statement: each agent's `last_seen_at`, state and
/// spool report (`NULL` when the heartbeat carried none), unless the stored heartbeat is
/// newer. Answers how many agents changed.
pub async fn seen_many(
    conn: &mut AsyncPgConnection,
    seen: &[(CompanyId, AgentId, Seen)],
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
    // Counts past the columns' range (which no real spool reaches) are stored as the
    // most they hold.
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::sql_query(
        "UPDATE agents a
            SET last_seen_at = s.at, last_state = s.state, spool_pending = s.pending,
                spool_dropped = s.dropped, spool_dead_letters = s.dead_letters
           FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],
                       $5::int[], $6::bigint[], $7::int[])
                AS s(company_id, id, state, at, pending, dropped, dead_letters)
          WHERE a.company_id = s.company_id AND a.id = s.id
            AND (a.last_seen_at IS NULL OR a.last_seen_at <= s.at)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(seen.iter().map(|s| s.0.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(seen.iter().map(|s| s.1.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(seen.iter().map(|s| s.2.state.as_str()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(seen.iter().map(|s| s.2.at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Integer>>, _>(
        seen.iter()
            .map(|(_, _, seen)| seen.spool.map(|report| int(report.pending)))
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<BigInt>>, _>(
        seen.iter()
            .map(|(_, _, seen)| {
                seen.spool
                    .map(|report| i64::try_from(report.dropped).unwrap_or(i64::MAX))
            })
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Integer>>, _>(
        seen.iter()
            .map(|(_, _, seen)| seen.spool.map(|report| int(report.dead_letters)))
            .collect::<Vec<_>>(),
    )
    .execute(conn)
    .await
}

/// The people of `teams`.
pub async fn people_in_teams(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    teams: &[TeamId],
) -> QueryResult<Vec<UserId>> {
    use super::schema::users;
    users::table
        .filter(users::company_id.eq(company))
        .filter(users::team_id.eq_any(teams.to_vec()))
        .select(users::id)
        .load(conn)
        .await
}

/// An agent whose presence the job just changed.
#[derive(Debug, QueryableByName)]
pub struct Transition {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: AgentId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: UserId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub hostname: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub presence: AgentStatus,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub previous: AgentStatus,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Moves unrevoked agents to the presence they have at `now` (online while heard from
/// within their employee's heartbeat interval and the grace period; missing after 30
/// days; offline between), at most `limit` of those whose presence changes, and
/// answers them, in one statement.
pub async fn update_presence(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: usize,
) -> QueryResult<Vec<Transition>> {
    move_presence(
        conn,
        now,
        "SELECT * FROM computed WHERE presence <> previous LIMIT $5",
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
    .await
}

/// Moves every online agent that stops reporting at `now` to offline (or missing), but
/// only in the companies where at least `at_least` of them do, and answers them, in
/// one statement: the fleets that go offline at once, each whole.
pub async fn take_fleets_offline(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    at_least: usize,
) -> QueryResult<Vec<Transition>> {
    move_presence(
        conn,
        now,
        &format!(
            "SELECT * FROM (SELECT c.*, count(*) OVER (PARTITION BY c.company_id) AS going
                              FROM computed c
                             WHERE c.previous = '{online}' AND c.presence <> '{online}') g
              WHERE going >= $5",
            online = AgentStatus::Online.as_str(),
        ),
        i64::try_from(at_least).unwrap_or(i64::MAX),
    )
    .await
}

/// Moves the agents that `changed` (a query over `computed`, each agent's presence at
/// `$1` beside its `previous` one, with `$5` bound to `bound`) picks to their presence.
async fn move_presence(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    changed: &str,
    bound: i64,
) -> QueryResult<Vec<Transition>> {
    let heartbeat = super::policies::effective_setting_sql("heartbeat_secs");
    diesel::sql_query(format!(
        "WITH computed AS (
             SELECT a.company_id, a.id, a.presence AS previous,
                    CASE
                      WHEN a.last_seen_at IS NOT NULL
                           AND a.last_seen_at + make_interval(secs =>
                                 coalesce(h.value::int, $4) + $2) > $1
                        THEN '{online}'
                      WHEN coalesce(a.last_seen_at, a.enrolled_at) + make_interval(days => $3) <= $1
                        THEN '{missing}'
                      ELSE '{offline}'
                    END AS presence
               FROM agents a
               LEFT JOIN ({heartbeat}) h ON h.company_id = a.company_id AND h.user_id = a.user_id
              WHERE a.revoked_at IS NULL),
         changed AS ({changed})
         UPDATE agents a
            SET presence = c.presence
           FROM changed c
          WHERE a.company_id = c.company_id AND a.id = c.id
      RETURNING a.company_id, a.id, a.user_id, a.hostname, a.presence, c.previous,
                a.last_seen_at",
        online = AgentStatus::Online.as_str(),
        missing = AgentStatus::Missing.as_str(),
        offline = AgentStatus::Offline.as_str(),
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Double, _>(ONLINE_GRACE.num_seconds() as f64)
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(MISSING_AFTER.num_days()).unwrap_or(30))
    .bind::<diesel::sql_types::Integer, _>(
        i32::try_from(pulse_shared::policies::PolicySettings::default().heartbeat_secs)
            .unwrap_or(30),
    )
    .bind::<diesel::sql_types::BigInt, _>(bound)
    .load(conn)
    .await
}
