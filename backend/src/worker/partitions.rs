//! The months of `activity_events`: each month gets its partition before it begins
//! (and the last month one too, should events of it have landed in the default
//! partition), and a month that no one's retention keeps any more is dropped whole, so
//! retention deletes rows one by one only within the months still kept.

use std::time::Duration;

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::clock::Clock;
use crate::db::{self, Db, policies};

/// The advisory lock of the job.
const PARTITIONS_LOCK: i64 = 0x7075_6c73_655f_7061; // "pulse_pa"
/// How often the job runs.
pub const EVERY: Duration = Duration::from_secs(3_600);
/// Months made ahead of the current one.
const AHEAD: u32 = 2;

/// Runs [`round`] every `period` until the process ends.
pub async fn run(db: Db, clock: Clock, period: Duration) {
    super::every(clock, period, "partitions", |now| {
        let db = db.clone();
        async move { Ok(round(&db, now).await.map(drop)?) }
    })
    .await;
}

/// What a round did: the months it created and dropped.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub created: Vec<String>,
    pub dropped: Vec<String>,
}

/// Makes the partitions from last month to [`AHEAD`] months on, and drops those that
/// ended before everyone's retention at `now`; under the job's lock, each month in a
/// transaction of its own.
pub async fn round(db: &Db, now: DateTime<Utc>) -> Result<Round, db::DbError> {
    let mut conn = db.owner().await?;
    let mut done = Round::default();
    let this_month = first_of_month(now.date_naive());
    let months = (0..=AHEAD + 1).filter_map(|n| {
        this_month
            .checked_sub_months(Months::new(1))
            .and_then(|first| first.checked_add_months(Months::new(n)))
    });
    for month in months {
        let created = conn
            .transaction::<_, db::DbError, _>(async |conn| {
                if !super::try_lock(conn, PARTITIONS_LOCK).await? {
                    return Ok(None);
                }
                super::allow_long_statements(conn, super::LockWaits::Short).await?;
                Ok(create(conn, month).await?)
            })
            .await?;
        done.created.extend(created);
    }
    let dropped = conn
        .transaction::<_, db::DbError, _>(async |conn| {
            if !super::try_lock(conn, PARTITIONS_LOCK).await? {
                return Ok(Vec::new());
            }
            super::allow_long_statements(conn, super::LockWaits::Short).await?;
            Ok(drop_expired(conn, now).await?)
        })
        .await?;
    done.dropped = dropped;
    if !done.created.is_empty() || !done.dropped.is_empty() {
        tracing::info!(created = ?done.created, dropped = ?done.dropped, "activity partitions");
    }
    Ok(done)
}

/// Makes the partitions of the months from `first`'s to `last`'s unless they exist,
/// each in a transaction that waits for the job's lock: for a writer of past months'
/// events (`pulse seed-demo`). Its rows would otherwise land in the default partition
/// while a round attaches their month, and a transaction that also writes `agents`
/// deadlocks with the attach (which takes the default partition whole and locks
/// `agents` for the month's foreign key). Answers the months it made.
pub async fn make_months(
    conn: &mut AsyncPgConnection,
    first: NaiveDate,
    last: NaiveDate,
) -> diesel::QueryResult<Vec<String>> {
    let mut made = Vec::new();
    let mut month = first_of_month(first);
    while month <= last {
        let created = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                hold_off(conn).await?;
                super::allow_long_statements(conn, super::LockWaits::Long).await?;
                create(conn, month).await
            })
            .await?;
        made.extend(created);
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        month = next;
    }
    Ok(made)
}

/// Keeps the job's rounds off until the transaction ends, waiting for one under way:
/// for a transaction that writes `agents` and then `activity_events` (see
/// [`make_months`]).
pub async fn hold_off(conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(PARTITIONS_LOCK)
        .execute(conn)
        .await
        .map(drop)
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The partition of the month starting on `month`.
fn name(month: NaiveDate) -> String {
    format!("activity_events_{:04}_{:02}", month.year(), month.month())
}

/// The month a partition of ours holds, from its name.
fn month_of(name: &str) -> Option<NaiveDate> {
    let rest = name.strip_prefix("activity_events_")?;
    let (year, month) = rest.split_once('_')?;
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

/// Creates `month`'s partition unless it exists: as a table of its own, filled with the
/// month's rows from the default partition (which would otherwise refuse the new
/// bounds), then attached. Answers its name when it made one.
async fn create(
    conn: &mut AsyncPgConnection,
    month: NaiveDate,
) -> diesel::QueryResult<Option<String>> {
    let table = name(month);
    let found: Found = diesel::sql_query("SELECT to_regclass($1)::text AS name")
        .bind::<Text, _>(&table)
        .get_result(conn)
        .await?;
    if found.name.is_some() {
        return Ok(None);
    }
    let Some(next) = month.checked_add_months(Months::new(1)) else {
        return Ok(None);
    };
    let (from, to) = (midnight(month), midnight(next));
    // The name is made here from a date: nothing from outside goes into the statement.
    diesel::sql_query(format!(
        "CREATE TABLE {table} (LIKE activity_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    ))
    .execute(conn)
    .await?;
    diesel::sql_query(format!(
        "WITH moved AS (
              DELETE FROM activity_events_default
               WHERE started_at >= $1 AND started_at < $2
           RETURNING *)
         INSERT INTO {table} SELECT * FROM moved"
    ))
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .execute(conn)
    .await?;
    diesel::sql_query(format!(
        "ALTER TABLE activity_events ATTACH PARTITION {table}
             FOR VALUES FROM ('{}') TO ('{}')",
        from.to_rfc3339(),
        to.to_rfc3339()
    ))
    .execute(conn)
    .await?;
    Ok(Some(table))
}

#[derive(diesel::QueryableByName)]
struct Partition {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Longest {
    #[diesel(sql_type = Nullable<Integer>)]
    days: Option<i32>,
}

/// Drops every month that ended before the longest activity retention of anyone at
/// `now` (holds included) began; answers their names.
async fn drop_expired(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<String>> {
    let longest: Longest = diesel::sql_query(format!(
        "SELECT max(days)::int AS days FROM ({}) r",
        policies::retention_days_sql("activity_retention_days", "$1")
    ))
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await?;
    // Nobody at all: keep everything (a company may be about to arrive with its data).
    let Some(days) = longest.days else {
        return Ok(Vec::new());
    };
    let keep_from = now - chrono::Duration::days(i64::from(days));
    let partitions: Vec<Partition> = diesel::sql_query(
        "SELECT c.relname::text AS name
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'activity_events'::regclass
          ORDER BY 1
          LIMIT $1",
    )
    .bind::<BigInt, _>(10_000)
    .load(conn)
    .await?;
    let mut dropped = Vec::new();
    for partition in partitions {
        let ends = month_of(&partition.name)
            .and_then(|month| month.checked_add_months(Months::new(1)))
            .map(midnight);
        if ends.is_some_and(|ends| ends <= keep_from) {
            diesel::sql_query(format!("DROP TABLE {}", partition.name))
                .execute(conn)
                .await?;
            dropped.push(partition.name);
        }
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_named_by_their_month() {
        let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(name(march), "activity_events_2026_03");
        assert_eq!(month_of("activity_events_2026_03"), Some(march));
        assert_eq!(month_of("activity_events_default"), None);
    }
}
