//! `pulse-bench reports`: how fast the reports answer over a year of a 1,000-person
//! company. Signs up a company, fills it straight in Postgres (see [`dataset`]: a year
//! of rollups for every employee, a month of raw events for some), then asks the API,
//! as the owner, one query at a time: a team's month by day, the company's year by
//! month, one person's week by application, a team's month of attendance and the
//! overview, each a few times unmeasured and then `--runs` times timed. Every answer
//! must be 200 and parse as the report it is, with the totals the data set implies,
//! so a broken query cannot pass as a fast one.

mod dataset;
mod dictionary;
mod history;

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{Datelike, NaiveDate, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::reports::{AttendanceReport, MAX_APP_ROWS, Overview, TimeReport};
use reqwest::{Client, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::stats::{Latencies, round1};
use crate::{account, progress};
use dataset::{Dataset, Plan, Rows, Size};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The server's base URL, e.g. http://127.0.0.1:18080.
    #[arg(long)]
    server: String,
    /// The server's database, which the data set is written into.
    #[arg(long)]
    database_url: String,
    /// Where the server sends its mail, for signing up (see `pulse-bench signup`).
    #[arg(long, default_value_t = account::MAIL_PORT)]
    mail_port: u16,
    /// Employees of the company, in 20 teams.
    #[arg(long, default_value_t = 1000)]
    employees: u32,
    /// Employees (as many in each team) whose raw events are stored too.
    #[arg(long, default_value_t = 100)]
    event_people: u32,
    /// Days of raw events, up to today.
    #[arg(long, default_value_t = 30)]
    event_days: i64,
    /// Timed requests per query, after the unmeasured ones.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Seed of the made-up year: the same seed makes the same people and days.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Requests sent and checked, unmeasured, before each query is timed.
const WARM_UP: usize = 3;
/// The tables the data set fills: the six rollups first.
const TABLES: [&str; 8] = [
    "activity_hours",
    "activity_hour_subjects",
    "activity_days",
    "activity_day_subjects",
    "activity_months",
    "activity_month_subjects",
    "activity_subjects",
    "activity_events",
];
const ROLLUPS: usize = 6;

/// What `pulse-bench reports` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    pub employees: u32,
    pub teams: usize,
    pub time_zone: &'static str,
    /// The first and last day of the history; the last is today, up to the moment the
    /// data set was made.
    pub history_from: NaiveDate,
    pub today: NaiveDate,
    /// Days worked, working days away, and days started late, over all employees.
    pub person_days: usize,
    pub absences: usize,
    pub late_starts: usize,
    /// Entries of the company's dictionary (those someone uses), of the applications,
    /// and the sites in each browser, people may use.
    pub subjects: usize,
    pub dictionary_apps: usize,
    pub dictionary_sites: usize,
    pub browsers: usize,
    /// Category rules in all, and those for one team or one person.
    pub rules: usize,
    pub team_rules: usize,
    pub person_rules: usize,
    pub rows: Rows,
    pub rollup_rows: u64,
    pub raw_events: u64,
    pub raw_event_people: usize,
    pub raw_event_days: i64,
    pub generation_secs: f64,
    /// `VACUUM (ANALYZE)` of the tables written, after the data set and before any
    /// query, as autovacuum would have done by then.
    pub vacuum_secs: f64,
    /// `pg_total_relation_size` (table, indexes and TOAST) per table, in bytes.
    pub sizes: Vec<Size>,
    pub rollup_bytes: i64,
    pub warm_up: usize,
    pub runs: usize,
    pub queries: Vec<Measured>,
    pub team_month_p50_ms: Option<f64>,
    pub team_month_p99_ms: Option<f64>,
    pub company_year_p50_ms: Option<f64>,
    pub company_year_p99_ms: Option<f64>,
    pub person_week_apps_p50_ms: Option<f64>,
    pub person_week_apps_p99_ms: Option<f64>,
    pub attendance_p50_ms: Option<f64>,
    pub attendance_p99_ms: Option<f64>,
    /// `None` when the server has no overview (404).
    pub overview_p50_ms: Option<f64>,
    pub overview_p99_ms: Option<f64>,
}

/// One query's timings and what its answer was checked against.
#[derive(Debug, Serialize)]
pub struct Measured {
    pub name: &'static str,
    pub path: String,
    /// `false`: the route answered 404 (not there yet); nothing was timed.
    pub present: bool,
    #[serde(flatten)]
    pub latencies: Latencies,
    pub response_bytes: usize,
    /// What every answer had to hold.
    pub checked: String,
}

pub async fn run(options: Options) -> anyhow::Result<Report> {
    let base = options.server.trim_end_matches('/').to_owned();
    let client = Client::builder().timeout(Duration::from_secs(60)).build()?;
    let owner = account::unique_address();
    account::sign_up_as(&client, &base, &owner, options.mail_port).await?;
    let mut conn = AsyncPgConnection::establish(&options.database_url)
        .await
        .context("connecting to the server's database")?;
    let plan = Plan {
        employees: options.employees,
        event_people: options.event_people,
        event_days: options.event_days,
        seed: options.seed,
        now: Utc::now(),
    };
    progress(format_args!(
        "reports: writing a year of {} employees straight into Postgres",
        plan.employees
    ));
    let data = dataset::fill(&mut conn, &options.database_url, &owner, &plan).await?;

    let vacuumed = Instant::now();
    dataset::vacuum(&mut conn, &TABLES).await?;
    let vacuum_secs = vacuumed.elapsed().as_secs_f64();
    let sizes = dataset::sizes(&mut conn, &TABLES).await?;
    let rollup_bytes = sizes
        .iter()
        .filter(|size| TABLES[..ROLLUPS].contains(&size.table.as_str()))
        .map(|size| size.bytes)
        .sum();
    progress(format_args!(
        "reports: VACUUM (ANALYZE) in {vacuum_secs:.1} s; the rollups take {:.0} MiB",
        mib(rollup_bytes)
    ));

    // A fresh token: writing the data set may have outlasted the first.
    let token = account::sign_in(&client, &base, &owner).await?.access_token;
    let asker = Asker {
        client,
        base,
        token,
        runs: options.runs.max(1),
    };
    let queries = ask_all(&asker, &data).await?;
    let figure = |name: &str, p99: bool| {
        queries.iter().find(|q| q.name == name).and_then(|q| {
            if p99 {
                q.latencies.p99_ms
            } else {
                q.latencies.p50_ms
            }
        })
    };
    Ok(Report {
        employees: plan.employees,
        teams: data.teams.len(),
        time_zone: history::TIME_ZONE,
        history_from: data.from,
        today: data.today,
        person_days: data.worked.len(),
        absences: data.absences.len(),
        late_starts: data.worked.iter().filter(|w| w.late).count(),
        subjects: data.subjects,
        dictionary_apps: dictionary::APPS.len(),
        dictionary_sites: dictionary::SITES.len(),
        browsers: dictionary::BROWSERS.len(),
        rules: data.rules,
        team_rules: dictionary::RULES
            .iter()
            .filter(|rule| matches!(rule.5, dictionary::Scope::Team(_)))
            .count(),
        person_rules: dictionary::RULES
            .iter()
            .filter(|rule| matches!(rule.5, dictionary::Scope::Person(_)))
            .count(),
        rollup_rows: data.rows.rollups(),
        raw_events: data.rows.activity_events,
        rows: data.rows.clone(),
        raw_event_people: data.event_people,
        raw_event_days: options.event_days,
        generation_secs: round1(data.generation_secs),
        vacuum_secs: round1(vacuum_secs),
        sizes,
        rollup_bytes,
        warm_up: WARM_UP,
        runs: asker.runs,
        team_month_p50_ms: figure("team_month", false),
        team_month_p99_ms: figure("team_month", true),
        company_year_p50_ms: figure("company_year", false),
        company_year_p99_ms: figure("company_year", true),
        person_week_apps_p50_ms: figure("person_week_apps", false),
        person_week_apps_p99_ms: figure("person_week_apps", true),
        attendance_p50_ms: figure("attendance", false),
        attendance_p99_ms: figure("attendance", true),
        overview_p50_ms: figure("overview", false),
        overview_p99_ms: figure("overview", true),
        queries,
    })
}

#[allow(clippy::cast_precision_loss)] // sizes far below 2^52
fn mib(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// The last whole month before `today`.
fn last_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of_this = today.with_day(1).unwrap_or(today);
    let end = first_of_this.pred_opt().unwrap_or(first_of_this);
    (end.with_day(1).unwrap_or(end), end)
}

/// The last whole week (Monday to Sunday) before `today`.
fn last_week(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let monday =
        today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7);
    (monday, monday + chrono::Duration::days(6))
}

/// Months `from..=to` touches.
fn months(from: NaiveDate, to: NaiveDate) -> usize {
    let index = |day: NaiveDate| day.year() * 12 + i32::try_from(day.month0()).unwrap_or(0);
    usize::try_from(index(to) - index(from) + 1).unwrap_or(0)
}

/// The owner's session with the server.
struct Asker {
    client: Client,
    base: String,
    token: String,
    runs: usize,
}

/// Each query in turn, its answers checked against the data set.
async fn ask_all(asker: &Asker, data: &Dataset) -> anyhow::Result<Vec<Measured>> {
    let today = data.today;
    let (month_from, month_to) = last_month(today);
    let (week_from, week_to) = last_week(today);
    // The first team, and its first member who worked in that week.
    let team = 0;
    let team_id = data.teams[team];
    let person = data
        .people
        .iter()
        .enumerate()
        .filter(|(_, m)| m.team == team)
        .find(|(index, _)| {
            data.worked
                .iter()
                .any(|w| w.person == *index && (week_from..=week_to).contains(&w.day))
        })
        .map(|(_, m)| m.id)
        .context("nobody of the first team worked last week")?;
    let mut measured = Vec::new();

    let (active, idle) = data.worked_secs(|m| m.team == team, (month_from, month_to));
    let days = usize::try_from((month_to - month_from).num_days() + 1)?;
    measured.push(
        asker
            .time(
                "team_month",
                format!(
                    "/api/v1/reports/time?from={month_from}&to={month_to}&group=day&team_id={team_id}"
                ),
                format!("{days} rows, one per day; active {active} s and idle {idle} s in all"),
                move |report: &TimeReport| {
                    let first = month_from.to_string();
                    if report.rows.len() != days || report.rows.first().map(|r| &r.key) != Some(&first) {
                        return Err(format!("{} rows, the first {:?}", report.rows.len(), report.rows.first().map(|r| &r.key)));
                    }
                    totals_are(report, active, idle)
                },
            )
            .await?,
    );

    let (year_from, year_to) = (data.from, today);
    let (active, idle) = data.worked_secs(|_| true, (year_from, year_to));
    let rows = months(year_from, year_to);
    measured.push(
        asker
            .time(
                "company_year",
                format!("/api/v1/reports/time?from={year_from}&to={year_to}&group=month"),
                format!("{rows} rows, one per month; active {active} s and idle {idle} s in all, some of it unproductive"),
                move |report: &TimeReport| {
                    if report.rows.len() != rows {
                        return Err(format!("{} rows", report.rows.len()));
                    }
                    if report.total.unproductive_secs == 0 || report.total.productive_secs == 0 {
                        return Err(format!("no productive or no unproductive time: {:?}", report.total));
                    }
                    totals_are(report, active, idle)
                },
            )
            .await?,
    );

    let (active, idle) = data.worked_secs(|m| m.id == person, (week_from, week_to));
    measured.push(
        asker
            .time(
                "person_week_apps",
                format!(
                    "/api/v1/reports/time?from={week_from}&to={week_to}&group=app&user_id={person}"
                ),
                format!("1 to {MAX_APP_ROWS} rows adding up to active {active} s; idle {idle} s"),
                move |report: &TimeReport| {
                    let rows: i64 = report.rows.iter().map(|r| r.figures.active_secs).sum();
                    if report.rows.is_empty() || report.rows.len() > MAX_APP_ROWS || rows != active
                    {
                        return Err(format!("{} rows adding up to {rows} s", report.rows.len()));
                    }
                    totals_are(report, active, idle)
                },
            )
            .await?,
    );

    let (summary, days) = data.attendance(team, (month_from, month_to));
    measured.push(
        asker
            .time(
                "attendance",
                format!(
                    "/api/v1/reports/attendance?from={month_from}&to={month_to}&team_id={team_id}"
                ),
                format!("{days} person-days: {summary:?}"),
                move |report: &AttendanceReport| {
                    if report.days.len() != days || report.summary != summary {
                        return Err(format!(
                            "{} person-days: {:?}",
                            report.days.len(),
                            report.summary
                        ));
                    }
                    Ok(())
                },
            )
            .await?,
    );

    // This week, Monday to now: the data set ends at the moment it was made.
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let (active, idle) = data.worked_secs(|_| true, (monday, today));
    let employees = data.people.len();
    measured.push(
        asker
            .time(
                "overview",
                "/api/v1/overview".to_owned(),
                format!(
                    "at least {employees} people; this week active {active} s and idle {idle} s"
                ),
                move |overview: &Overview| {
                    let week = &overview.this_week;
                    if usize::try_from(overview.people).unwrap_or(0) < employees
                        || overview.today != today
                        || (week.active_secs, week.idle_secs) != (active, idle)
                    {
                        return Err(format!(
                            "{} people on {}; this week active {} s and idle {} s",
                            overview.people, overview.today, week.active_secs, week.idle_secs
                        ));
                    }
                    Ok(())
                },
            )
            .await?,
    );
    Ok(measured)
}

/// `report`'s totals are the data set's `active` and `idle` seconds, and its active
/// time is all classified.
fn totals_are(report: &TimeReport, active: i64, idle: i64) -> Result<(), String> {
    let total = &report.total;
    let classified = total.productive_secs + total.neutral_secs + total.unproductive_secs;
    if total.active_secs != active || total.idle_secs != idle || classified != active {
        return Err(format!(
            "active {} s (classified {classified} s) and idle {} s",
            total.active_secs, total.idle_secs
        ));
    }
    Ok(())
}

impl Asker {
    /// `GET path` [`WARM_UP`] times unmeasured, then `runs` times timed from sending
    /// to the last byte; every answer must be 200 and parse as `T` that `check` takes.
    /// A route that answers 404 to the first request is not there: nothing is timed.
    async fn time<T: DeserializeOwned>(
        &self,
        name: &'static str,
        path: String,
        checked: String,
        check: impl Fn(&T) -> Result<(), String>,
    ) -> anyhow::Result<Measured> {
        progress(format_args!(
            "reports: {name}: GET {path}, {WARM_UP} + {} times",
            self.runs
        ));
        let url = format!("{}{path}", self.base);
        let mut latencies = Vec::with_capacity(self.runs);
        let mut response_bytes = 0;
        for attempt in 0..WARM_UP + self.runs {
            let begun = Instant::now();
            let response = self
                .client
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .with_context(|| format!("GET {path}"))?;
            let status = response.status();
            let body = response.bytes().await?;
            let took = begun.elapsed();
            if status == StatusCode::NOT_FOUND && attempt == 0 {
                progress(format_args!(
                    "reports: {name}: GET {path} answered 404: not measured"
                ));
                return Ok(Measured {
                    name,
                    path,
                    present: false,
                    latencies: Latencies::of(Vec::new()),
                    response_bytes: 0,
                    checked,
                });
            }
            if status != StatusCode::OK || body.is_empty() {
                bail!(
                    "GET {path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            let answer: T = serde_json::from_slice(&body)
                .with_context(|| format!("GET {path} answered something else than its report"))?;
            if let Err(why) = check(&answer) {
                bail!("GET {path} answered wrong: {why}; expected {checked}");
            }
            response_bytes = body.len();
            if attempt >= WARM_UP {
                latencies.push(took);
            }
        }
        let latencies = Latencies::of(latencies);
        progress(format_args!(
            "reports: {name}: p50 {:?} ms, p99 {:?} ms, {response_bytes} bytes",
            latencies.p50_ms, latencies.p99_ms
        ));
        Ok(Measured {
            name,
            path,
            present: true,
            latencies,
            response_bytes,
            checked,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_ranges_asked_for() {
        assert_eq!(
            last_month(date(2026, 12, 4)),
            (date(2026, 11, 1), date(2026, 11, 30))
        );
        assert_eq!(
            last_month(date(2026, 1, 1)),
            (date(2025, 12, 1), date(2025, 12, 31))
        );
        // Friday 2026-12-04: the week of Monday 23 November.
        assert_eq!(
            last_week(date(2026, 12, 4)),
            (date(2026, 11, 23), date(2026, 11, 29))
        );
        assert_eq!(
            last_week(date(2026, 11, 30)),
            (date(2026, 11, 23), date(2026, 11, 29))
        );
        assert_eq!(months(date(2025, 12, 5), date(2026, 12, 4)), 13);
        assert_eq!(months(date(2026, 1, 1), date(2026, 12, 31)), 12);
    }
}
