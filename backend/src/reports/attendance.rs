//! Attendance: each person's days against their policy's working hours, in their
//! policy's time zone, from the day rollups.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, Date, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, UserId};
use pulse_shared::policies::{PolicySettings, Weekday, WorkingHours};
use pulse_shared::reports::{Attendance, AttendanceDay, AttendanceSummary};

use super::time::Person;
use super::zones;

/// A person's day as the rollup holds it, with its times of day in their zone.
#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Integer)]
    active_secs: i32,
    #[diesel(sql_type = Integer)]
    idle_secs: i32,
    /// Seconds after local midnight of the day.
    #[diesel(sql_type = Nullable<Integer>)]
    first_local: Option<i32>,
    #[diesel(sql_type = Nullable<Integer>)]
    last_local: Option<i32>,
}

/// Where each person's clock stands now: their date and seconds after midnight.
#[derive(diesel::QueryableByName)]
struct NowRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
    #[diesel(sql_type = Date)]
    today: NaiveDate,
    #[diesel(sql_type = Integer)]
    now_local: i32,
}

/// `people` with their effective policies, as [`days`] takes them.
pub async fn with_policies(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[Person],
) -> QueryResult<Vec<(Person, PolicySettings)>> {
    let pairs: Vec<_> = people.iter().map(|p| (p.id, p.team_id)).collect();
    let mut settings = crate::db::policies::effective_for_all(conn, company, &pairs).await?;
    Ok(people
        .iter()
        .map(|p| (p.clone(), settings.remove(&p.id).unwrap_or_default()))
        .collect())
}

/// The attendance of `people` (with their effective settings) over `from..=to`, as of
/// `now`: days after a person's today are left out, today is judged only on what has
/// happened so far, and people who never had a computer enrolled are left out.
pub async fn days(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[(Person, PolicySettings)],
    (from, to): (NaiveDate, NaiveDate),
    grace_mins: u32,
    now: DateTime<Utc>,
) -> QueryResult<(Vec<AttendanceDay>, AttendanceSummary)> {
    let mut zone_of: Vec<String> = Vec::with_capacity(people.len());
    for (_, settings) in people {
        zone_of.push(zones::or_utc(conn, &settings.time_zone).await?.to_owned());
    }
    let ids: Vec<UserId> = people.iter().map(|(person, _)| person.id).collect();
    // Days past midnight local time: seconds since the day's midnight (a last activity
    // after midnight counts as late in the day, not early).
    let rows: Vec<DayRow> = diesel::sql_query(
        "SELECT d.user_id, d.day, d.first_at, d.last_at, d.active_secs, d.idle_secs,
                extract(epoch FROM (d.first_at AT TIME ZONE z.zone) - d.day::timestamp)::int
                    AS first_local,
                extract(epoch FROM (d.last_at AT TIME ZONE z.zone) - d.day::timestamp)::int
                    AS last_local
           FROM UNNEST($2::uuid[], $3::text[]) AS z(user_id, zone)
           JOIN activity_days d ON d.company_id = $1 AND d.user_id = z.user_id
          WHERE d.day BETWEEN $4 AND $5",
    )
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Array<Text>, _>(&zone_of)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?;
    let clocks: Vec<NowRow> = diesel::sql_query(
        "SELECT z.user_id, ($1 AT TIME ZONE z.zone)::date AS today,
                extract(epoch FROM ($1 AT TIME ZONE z.zone)::time)::int AS now_local
           FROM UNNEST($2::uuid[], $3::text[]) AS z(user_id, zone)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Array<Text>, _>(&zone_of)
    .load(conn)
    .await?;
    let clocks: HashMap<UserId, (NaiveDate, i32)> = clocks
        .into_iter()
        .map(|row| (row.user_id, (row.today, row.now_local)))
        .collect();
    let mut worked: HashMap<(UserId, NaiveDate), DayRow> = rows
        .into_iter()
        .map(|row| ((row.user_id, row.day), row))
        .collect();
    let monitored = monitored(conn, company, &ids).await?;
    let grace = i32::try_from(grace_mins).unwrap_or(0) * 60;
    let mut out = Vec::new();
    let mut summary = AttendanceSummary::default();
    for ((person, settings), zone) in people.iter().zip(&zone_of) {
        if !monitored.contains(&person.id) {
            continue;
        }
        let (today, now_local) = clocks.get(&person.id).copied().unwrap_or((to, 0));
        for day in from.iter_days().take_while(|day| *day <= to.min(today)) {
            let row = worked.remove(&(person.id, day));
            let clock = (day == today).then_some(now_local);
            let judged = judge(
                settings.working_hours.as_ref(),
                day,
                row.as_ref(),
                clock,
                grace,
            );
            let Some(judged) = judged else { continue };
            summary.add(judged.status);
            out.push(AttendanceDay {
                user_id: person.id,
                name: person.name.clone(),
                day,
                time_zone: zone.clone(),
                status: judged.status,
                first_activity_at: row.as_ref().and_then(|r| r.first_at),
                last_activity_at: row.as_ref().and_then(|r| r.last_at),
                worked_secs: row
                    .as_ref()
                    .map_or(0, |r| i64::from(r.active_secs) + i64::from(r.idle_secs)),
                active_secs: row.as_ref().map_or(0, |r| i64::from(r.active_secs)),
                expected_start: judged.hours.map(|(start, _)| start.to_owned()),
                expected_end: judged.hours.map(|(_, end)| end.to_owned()),
                late_by_mins: judged.late_by_mins,
                early_by_mins: judged.early_by_mins,
            });
        }
    }
    Ok((out, summary))
}

#[derive(diesel::QueryableByName)]
struct Monitored {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: UserId,
}

/// Those of `people` with a computer enrolled (now or before): nobody else can be
/// judged on attendance (an owner without an agent is not absent every day).
async fn monitored(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[UserId],
) -> QueryResult<std::collections::HashSet<UserId>> {
    let rows: Vec<Monitored> = diesel::sql_query(
        "SELECT DISTINCT user_id FROM agents WHERE company_id = $1 AND user_id = ANY($2)",
    )
    .bind::<diesel::sql_types::Uuid, _>(company.0)
    .bind::<Array<diesel::sql_types::Uuid>, _>(people)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|row| row.user_id).collect())
}

/// A day's verdict.
struct Judged<'a> {
    status: Attendance,
    hours: Option<(&'a str, &'a str)>,
    late_by_mins: Option<u32>,
    early_by_mins: Option<u32>,
}

/// `HH:MM` as seconds after midnight.
fn seconds_of(time: &str) -> Option<i32> {
    let (hours, minutes) = time.split_once(':')?;
    Some(hours.parse::<i32>().ok()? * 3_600 + minutes.parse::<i32>().ok()? * 60)
}

fn weekday_of(day: NaiveDate) -> Weekday {
    Weekday::ALL[usize::try_from(day.weekday().num_days_from_monday()).unwrap_or(0)]
}

/// How `day` went: `clock` is the seconds after midnight now when the day is today
/// (it is judged on what has happened so far; `None` when today has not reached its
/// start and grace yet).
fn judge<'a>(
    hours: Option<&'a WorkingHours>,
    day: NaiveDate,
    row: Option<&DayRow>,
    clock: Option<i32>,
    grace: i32,
) -> Option<Judged<'a>> {
    let first = row.and_then(|r| r.first_local);
    let last = row.and_then(|r| r.last_local);
    let nothing = |status| Judged {
        status,
        hours: None,
        late_by_mins: None,
        early_by_mins: None,
    };
    let Some(hours) = hours else {
        return first.map(|_| nothing(Attendance::Unscheduled));
    };
    // A day off is listed only when someone worked on it.
    if !hours.days.contains(&weekday_of(day)) {
        return first.map(|_| nothing(Attendance::DayOff));
    }
    let (start, end) = (seconds_of(&hours.start)?, seconds_of(&hours.end)?);
    let minutes = |secs: i32| u32::try_from((secs + 59) / 60).ok();
    let late = first
        .filter(|first| *first > start + grace)
        .map(|first| first - start);
    let early = last
        .filter(|last| *last < end - grace && clock.is_none_or(|now| now >= end))
        .map(|last| end - last);
    let status = match (first, late, early) {
        (None, _, _) if clock.is_some_and(|now| now <= start + grace) => return None,
        (None, _, _) => Attendance::Absent,
        (Some(_), Some(_), Some(_)) => Attendance::LateStartEarlyEnd,
        (Some(_), Some(_), None) => Attendance::LateStart,
        (Some(_), None, Some(_)) => Attendance::EarlyEnd,
        (Some(_), None, None) => Attendance::OnTime,
    };
    Some(Judged {
        status,
        hours: Some((&hours.start, &hours.end)),
        late_by_mins: late.and_then(minutes),
        early_by_mins: early.and_then(minutes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours() -> WorkingHours {
        WorkingHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: "09:00".to_owned(),
            end: "17:00".to_owned(),
        }
    }

    fn row(first: i32, last: i32) -> DayRow {
        DayRow {
            user_id: UserId(uuid::Uuid::nil()),
            day: NaiveDate::MIN,
            first_at: None,
            last_at: None,
            active_secs: 0,
            idle_secs: 0,
            first_local: Some(first),
            last_local: Some(last),
        }
    }

    const MONDAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 3, 30) {
        Some(day) => day,
        None => NaiveDate::MIN,
    };

    fn status(row: Option<&DayRow>, clock: Option<i32>) -> Option<Attendance> {
        let hours = hours();
        judge(Some(&hours), MONDAY, row, clock, 600).map(|judged| judged.status)
    }

    #[test]
    fn starts_and_ends_within_the_grace_period_are_on_time() {
        let on_time = row(9 * 3_600 + 599, 17 * 3_600 - 600);
        assert_eq!(status(Some(&on_time), None), Some(Attendance::OnTime));
        let late = row(9 * 3_600 + 601, 17 * 3_600);
        assert_eq!(status(Some(&late), None), Some(Attendance::LateStart));
        let hours = hours();
        let judged = judge(Some(&hours), MONDAY, Some(&late), None, 600);
        assert_eq!(judged.and_then(|j| j.late_by_mins), Some(11));
        let both = row(10 * 3_600, 16 * 3_600);
        assert_eq!(
            status(Some(&both), None),
            Some(Attendance::LateStartEarlyEnd)
        );
    }

    #[test]
    fn a_working_day_without_activity_is_an_absence_once_it_started() {
        assert_eq!(status(None, None), Some(Attendance::Absent));
        // Today, 09:05: not yet late, so not judged.
        assert_eq!(status(None, Some(9 * 3_600 + 300)), None);
        assert_eq!(status(None, Some(11 * 3_600)), Some(Attendance::Absent));
        // Today, still working at 15:00: not an early end.
        let so_far = row(9 * 3_600, 15 * 3_600);
        assert_eq!(
            status(Some(&so_far), Some(15 * 3_600)),
            Some(Attendance::OnTime)
        );
    }

    #[test]
    fn weekends_and_policies_without_hours() {
        let sunday = MONDAY.pred_opt().unwrap_or(MONDAY);
        let hours = hours();
        assert!(judge(Some(&hours), sunday, None, None, 600).is_none());
        let worked = row(3_600, 7_200);
        let judged = judge(Some(&hours), sunday, Some(&worked), None, 600).map(|j| j.status);
        assert_eq!(judged, Some(Attendance::DayOff));
        let judged = judge(None, MONDAY, Some(&worked), None, 600).map(|j| j.status);
        assert_eq!(judged, Some(Attendance::Unscheduled));
        assert!(judge(None, MONDAY, None, None, 600).is_none());
    }
}
