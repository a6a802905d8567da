//! The rollups reports read: each round of the session builder folds the events it
//! takes into per-person hours and days, in the same transaction, so a stored batch is
//! in the sessions and the rollups or in neither. A late batch adds to the hours it
//! touches, whenever it arrives.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Bytea, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, UserId};

use super::coverage::{self, HourCoverage, HourTotals};
use super::subjects::{self, SubjectKey};
use super::zones;

/// An event as the rollups need it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub company: CompanyId,
    pub user: UserId,
    /// The person's time zone when the batch arrived.
    pub time_zone: String,
    pub app: String,
    pub url: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_secs: u32,
    pub keystrokes: u32,
    pub mouse_events: u32,
    pub idle: bool,
}

type HourKey = (CompanyId, UserId, DateTime<Utc>);

/// What an hour held before this round, and what it holds now.
struct Hour {
    /// The seconds, while the hour is open; `None` once closed (a late batch only adds).
    coverage: Option<HourCoverage>,
    before: HourTotals,
    now: HourTotals,
    keystrokes: i64,
    mouse_events: i64,
    first_at: Option<DateTime<Utc>>,
    last_at: Option<DateTime<Utc>>,
    time_zone: String,
}

impl Hour {
    fn new(stored: Option<StoredHour>, time_zone: &str) -> Self {
        let (coverage, before) = match stored {
            None => (Some(HourCoverage::default()), HourTotals::default()),
            Some(row) => {
                let totals = HourTotals {
                    active_secs: row.active_secs,
                    idle_secs: row.idle_secs,
                };
                let bits = row.active_bits.zip(row.idle_bits);
                (
                    bits.and_then(|(active, idle)| HourCoverage::from_bits(active, idle)),
                    totals,
                )
            }
        };
        Self {
            coverage,
            before,
            now: before,
            keystrokes: 0,
            mouse_events: 0,
            first_at: None,
            last_at: None,
            time_zone: time_zone.to_owned(),
        }
    }

    /// Takes a slice in; answers the active seconds it added.
    fn take(&mut self, slice: coverage::Slice, idle: bool) -> i32 {
        let len = i32::try_from(slice.to - slice.from).unwrap_or(0);
        let full = i32::try_from(coverage::HOUR_SECS).unwrap_or(i32::MAX);
        let added = match &mut self.coverage {
            Some(seconds) => {
                let added = if idle {
                    seconds.mark_idle(slice.from, slice.to);
                    0
                } else {
                    seconds.mark_active(slice.from, slice.to)
                };
                self.now = seconds.totals();
                added
            }
            // Closed: which seconds were reported is gone; count the slice, within the hour.
            None if idle => {
                self.now.idle_secs = (self.now.idle_secs + len).min(full - self.now.active_secs);
                0
            }
            None => {
                let added = len.min(full - self.now.active_secs);
                self.now.active_secs += added;
                self.now.idle_secs = self.now.idle_secs.min(full - self.now.active_secs);
                added
            }
        };
        if !idle {
            let (start, end) = (slice.started_at(), slice.ended_at());
            self.first_at = Some(self.first_at.map_or(start, |first| first.min(start)));
            self.last_at = Some(self.last_at.map_or(end, |last| last.max(end)));
        }
        added
    }
}

#[derive(diesel::QueryableByName)]
struct StoredHour {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    company_id: CompanyId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Timestamptz)]
    hour: DateTime<Utc>,
    #[diesel(sql_type = Integer)]
    active_secs: i32,
    #[diesel(sql_type = Integer)]
    idle_secs: i32,
    #[diesel(sql_type = Nullable<Bytea>)]
    active_bits: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    idle_bits: Option<Vec<u8>>,
}

/// Folds `events` into the hour and day rollups of their people.
pub async fn fold(conn: &mut AsyncPgConnection, mut events: Vec<Reported>) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    // Overlapping seconds go to the application reported first: an order that does not
    // depend on how the round's batches happened to be queued.
    events.sort_by(|a, b| {
        (a.company, a.user, a.started_at, &a.app).cmp(&(b.company, b.user, b.started_at, &b.app))
    });
    let keys: Vec<SubjectKey> = events
        .iter()
        .map(|event| {
            (
                event.company,
                event.app.clone(),
                subjects::domain_of(event.url.as_deref()),
            )
        })
        .collect();
    let ids = subjects::ids(conn, &keys).await?;
    let mut sliced = Vec::with_capacity(events.len());
    for (event, key) in events.iter().zip(&keys) {
        let subject = ids.get(key).copied().unwrap_or_default();
        sliced.push((
            event,
            subject,
            coverage::slices(event.started_at, event.duration_secs),
        ));
    }
    let touched: Vec<HourKey> = sliced
        .iter()
        .flat_map(|(event, _, slices)| {
            slices
                .iter()
                .map(|slice| (event.company, event.user, slice.hour))
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut stored: HashMap<HourKey, StoredHour> = stored_hours(conn, &touched)
        .await?
        .into_iter()
        .map(|row| ((row.company_id, row.user_id, row.hour), row))
        .collect();
    let mut hours: BTreeMap<HourKey, Hour> = BTreeMap::new();
    let mut subject_secs: BTreeMap<(HourKey, i64), i32> = BTreeMap::new();
    for (event, subject, slices) in sliced {
        let time_zone = zones::or_utc(conn, &event.time_zone).await?.to_owned();
        for (index, slice) in slices.into_iter().enumerate() {
            let key = (event.company, event.user, slice.hour);
            let hour = hours
                .entry(key)
                .or_insert_with(|| Hour::new(stored.remove(&key), &time_zone));
            let added = hour.take(slice, event.idle);
            if added > 0 {
                *subject_secs.entry((key, subject)).or_default() += added;
            }
            // Input counts go to the hour the event started in.
            if index == 0 {
                hour.keystrokes += i64::from(event.keystrokes);
                hour.mouse_events += i64::from(event.mouse_events);
            }
        }
    }
    write_hours(conn, &hours).await?;
    write_days(conn, &hours).await?;
    write_subjects(conn, &hours, &subject_secs).await
}

/// The stored rows of `keys`, bitmaps included.
async fn stored_hours(
    conn: &mut AsyncPgConnection,
    keys: &[HourKey],
) -> QueryResult<Vec<StoredHour>> {
    diesel::sql_query(
        "SELECT h.company_id, h.user_id, h.hour, h.active_secs, h.idle_secs, h.active_bits,
                h.idle_bits
           FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[]) AS k(company_id, user_id, hour)
           JOIN activity_hours h USING (company_id, user_id, hour)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(keys.iter().map(|k| k.2).collect::<Vec<_>>())
    .load(conn)
    .await
}

/// Replaces the hours' totals and bitmaps; adds their input counts.
async fn write_hours(
    conn: &mut AsyncPgConnection,
    hours: &BTreeMap<HourKey, Hour>,
) -> QueryResult<()> {
    let (mut active_bits, mut idle_bits) = (Vec::new(), Vec::new());
    for hour in hours.values() {
        let (active, idle) = hour.coverage.clone().map(HourCoverage::into_bits).unzip();
        active_bits.push(active);
        idle_bits.push(idle);
    }
    diesel::sql_query(
        "INSERT INTO activity_hours (company_id, user_id, hour, active_secs, idle_secs,
                                     keystrokes, mouse_events, active_bits, idle_bits)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[], $5::int[],
                              $6::int8[], $7::int8[], $8::bytea[], $9::bytea[])
         ON CONFLICT (company_id, user_id, hour) DO UPDATE
            SET active_secs = excluded.active_secs, idle_secs = excluded.idle_secs,
                keystrokes = activity_hours.keystrokes + excluded.keystrokes,
                mouse_events = activity_hours.mouse_events + excluded.mouse_events,
                active_bits = excluded.active_bits, idle_bits = excluded.idle_bits",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(hours.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(hours.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(hours.keys().map(|k| k.2).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(
        hours
            .values()
            .map(|h| h.now.active_secs)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(hours.values().map(|h| h.now.idle_secs).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(hours.values().map(|h| h.keystrokes).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(hours.values().map(|h| h.mouse_events).collect::<Vec<_>>())
    .bind::<Array<Nullable<Bytea>>, _>(active_bits)
    .bind::<Array<Nullable<Bytea>>, _>(idle_bits)
    .execute(conn)
    .await
    .map(drop)
}

/// Adds what the hours gained to the days (and months) they fall on in their people's
/// time zones.
async fn write_days(
    conn: &mut AsyncPgConnection,
    hours: &BTreeMap<HourKey, Hour>,
) -> QueryResult<()> {
    let values = hours.values();
    diesel::sql_query(
        "WITH gained AS (
              SELECT company_id, user_id, (hour AT TIME ZONE zone)::date AS day,
                     min(first_at) AS first_at, max(last_at) AS last_at, sum(active) AS active,
                     sum(idle) AS idle, sum(keys) AS keys, sum(mouse) AS mouse
                FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[],
                            $5::timestamptz[], $6::timestamptz[], $7::int[], $8::int[],
                            $9::int8[], $10::int8[])
                     AS d(company_id, user_id, hour, zone, first_at, last_at, active, idle,
                          keys, mouse)
               GROUP BY 1, 2, 3),
              -- Idle time shrinks when another computer reports its seconds active: the
              -- gain is added as it is, never clamped before it meets the stored day.
              grown AS (
              UPDATE activity_days d
                 SET first_at = least(d.first_at, g.first_at),
                     last_at = greatest(d.last_at, g.last_at),
                     active_secs = greatest(d.active_secs + g.active, 0),
                     idle_secs = greatest(d.idle_secs + g.idle, 0),
                     keystrokes = d.keystrokes + g.keys,
                     mouse_events = d.mouse_events + g.mouse
                FROM gained g
               WHERE d.company_id = g.company_id AND d.user_id = g.user_id AND d.day = g.day
           RETURNING d.company_id, d.user_id, d.day),
              added AS (
              INSERT INTO activity_days (company_id, user_id, day, first_at, last_at,
                                         active_secs, idle_secs, keystrokes, mouse_events)
              SELECT company_id, user_id, day, first_at, last_at, greatest(active, 0),
                     greatest(idle, 0), keys, mouse
                FROM gained g
               WHERE NOT EXISTS (SELECT 1 FROM grown w
                                  WHERE w.company_id = g.company_id AND w.user_id = g.user_id
                                    AND w.day = g.day)),
              monthly AS (
              SELECT company_id, user_id, date_trunc('month', day)::date AS month,
                     sum(active) AS active, sum(idle) AS idle, sum(keys) AS keys,
                     sum(mouse) AS mouse
                FROM gained GROUP BY 1, 2, 3),
              grown_months AS (
              UPDATE activity_months m
                 SET active_secs = greatest(m.active_secs + g.active, 0),
                     idle_secs = greatest(m.idle_secs + g.idle, 0),
                     keystrokes = m.keystrokes + g.keys,
                     mouse_events = m.mouse_events + g.mouse
                FROM monthly g
               WHERE m.company_id = g.company_id AND m.user_id = g.user_id
                 AND m.month = g.month
           RETURNING m.company_id, m.user_id, m.month)
         INSERT INTO activity_months (company_id, user_id, month, active_secs, idle_secs,
                                      keystrokes, mouse_events)
         SELECT company_id, user_id, month, greatest(active, 0), greatest(idle, 0), keys, mouse
           FROM monthly g
          WHERE NOT EXISTS (SELECT 1 FROM grown_months w
                             WHERE w.company_id = g.company_id AND w.user_id = g.user_id
                               AND w.month = g.month)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(hours.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(hours.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(hours.keys().map(|k| k.2).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        values
            .clone()
            .map(|h| h.time_zone.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(values.clone().map(|h| h.first_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Timestamptz>>, _>(values.clone().map(|h| h.last_at).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(
        values
            .clone()
            .map(|h| h.now.active_secs - h.before.active_secs)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(
        values
            .clone()
            .map(|h| h.now.idle_secs - h.before.idle_secs)
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(values.clone().map(|h| h.keystrokes).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(values.map(|h| h.mouse_events).collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// Adds the active seconds each application or site gained to its hours, days and
/// months.
async fn write_subjects(
    conn: &mut AsyncPgConnection,
    hours: &BTreeMap<HourKey, Hour>,
    secs: &BTreeMap<(HourKey, i64), i32>,
) -> QueryResult<()> {
    if secs.is_empty() {
        return Ok(());
    }
    let zone = |key: &HourKey| hours.get(key).map_or("UTC", |hour| hour.time_zone.as_str());
    diesel::sql_query(
        "WITH gained AS (
              SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[],
                                   $5::int8[], $6::int[])
                         AS g(company_id, user_id, hour, zone, subject_id, active_secs)),
              hourly AS (
              INSERT INTO activity_hour_subjects (company_id, user_id, hour, subject_id,
                                                  active_secs)
              SELECT company_id, user_id, hour, subject_id, active_secs FROM gained
              ON CONFLICT (company_id, user_id, hour, subject_id) DO UPDATE
                 SET active_secs = activity_hour_subjects.active_secs + excluded.active_secs),
              daily AS (
              INSERT INTO activity_day_subjects (company_id, user_id, day, subject_id,
                                                 active_secs)
              SELECT company_id, user_id, (hour AT TIME ZONE zone)::date, subject_id,
                     sum(active_secs)
                FROM gained
               GROUP BY 1, 2, 3, 4
              ON CONFLICT (company_id, user_id, day, subject_id) DO UPDATE
                 SET active_secs = activity_day_subjects.active_secs + excluded.active_secs)
         INSERT INTO activity_month_subjects (company_id, user_id, month, subject_id,
                                              active_secs)
         SELECT company_id, user_id, date_trunc('month', (hour AT TIME ZONE zone))::date,
                subject_id, sum(active_secs)
           FROM gained
          GROUP BY 1, 2, 3, 4
         ON CONFLICT (company_id, user_id, month, subject_id) DO UPDATE
            SET active_secs = activity_month_subjects.active_secs + excluded.active_secs",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(secs.keys().map(|k| k.0.0).collect::<Vec<_>>())
    .bind::<Array<diesel::sql_types::Uuid>, _>(secs.keys().map(|k| k.0.1).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(secs.keys().map(|k| k.0.2).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(secs.keys().map(|k| zone(&k.0)).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(secs.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(secs.values().copied().collect::<Vec<_>>())
    .execute(conn)
    .await
    .map(drop)
}

/// Drops the bitmaps of hours that ended before `before`: they are closed, and a batch
/// arriving for them later only adds. Answers how many hours it closed.
pub async fn close_hours(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE activity_hours SET active_bits = NULL, idle_bits = NULL
          WHERE hour < $1 AND active_bits IS NOT NULL",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)
    .await
}
