//! The time report: worked, active and idle time and its productivity split over a
//! range, grouped by person, team, hour, day, week, month, weekday × hour, application
//! or category, from the rollups only.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Date, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::reports::{
    Figures, Grouping, MAX_APP_ROWS, Productivity, ReportRow, TimeReport, subject_label,
};

use super::classify::{Class, Classifier};
use super::rules;
use super::subjects::{self, SubjectRow};
use crate::db::teams;

/// Ranges longer than this are read from the day rollups, whose days are each
/// person's own; shorter ones from the hours, converted to the report's time zone.
pub const MAX_HOURLY_RANGE_DAYS: i64 = 92;

/// What every report of a company reads besides the rollups: its teams' names, its
/// rules and its dictionary of applications and sites.
#[derive(Debug)]
pub struct Company {
    pub id: CompanyId,
    pub teams: HashMap<TeamId, String>,
    pub classifier: Classifier,
    pub dictionary: Vec<SubjectRow>,
}

impl Company {
    pub async fn load(conn: &mut AsyncPgConnection, id: CompanyId) -> QueryResult<Self> {
        let teams = teams::list(conn, id, None)
            .await?
            .into_iter()
            .map(|team| (team.id, team.name))
            .collect();
        let written: Vec<_> = rules::list(conn, id)
            .await?
            .iter()
            .map(rules::RuleRow::rule)
            .collect();
        Ok(Self {
            id,
            teams,
            classifier: Classifier::new(&written),
            dictionary: subjects::list(conn, id, None).await?,
        })
    }
}

/// A person in the report.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub team_id: Option<TeamId>,
}

/// What a report is asked for, checked.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub company: &'a Company,
    pub people: &'a [Person],
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: Grouping,
    pub time_zone: &'a str,
    /// Only hours before this instant (the overview's "last week to the same moment");
    /// read from the hour rollups whatever the range.
    pub until: Option<DateTime<Utc>>,
    /// Whether to classify active time (the productivity split); without, the split
    /// figures are zero.
    pub classify: bool,
    /// Read each person's own days even for a short range (the overview's today and
    /// this week: fewer rows than the hours).
    pub by_own_days: bool,
}

impl Request<'_> {
    fn until_or_ever(&self) -> DateTime<Utc> {
        self.until.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Which rollups the report reads.
    fn tier(&self) -> Tier {
        let long = (self.to - self.from).num_days() >= MAX_HOURLY_RANGE_DAYS;
        if self.until.is_some() || matches!(self.group, Grouping::Hour | Grouping::WeekdayHour) {
            return Tier::Hours;
        }
        if !long {
            return if self.by_own_days {
                Tier::Days
            } else {
                Tier::Hours
            };
        }
        if matches!(self.group, Grouping::Day | Grouping::Week) {
            return Tier::Days;
        }
        // Whole months from the months, the days before and after from the days.
        let first = if self.from.day() == 1 {
            Some(self.from)
        } else {
            first_of_next_month(self.from)
        };
        let after = self.to.succ_opt().and_then(|next| {
            if next.day() == 1 {
                Some(next)
            } else {
                next.with_day(1)
            }
        });
        match (first, after) {
            (Some(first), Some(after)) if first < after => Tier::Months { first, after },
            _ => Tier::Days,
        }
    }

    /// The SQL of a row's key over the rollup aliased `r`: a time bucket in the
    /// report's zone (`$5`), or the person for person and team rows.
    fn key_sql(&self) -> &'static str {
        let hourly = self.tier() == Tier::Hours;
        match (self.group, hourly) {
            (Grouping::Person | Grouping::Team, _) => "r.user_id::text",
            (Grouping::Hour, _) => "to_char(r.hour AT TIME ZONE $5, 'YYYY-MM-DD\"T\"HH24')",
            (Grouping::WeekdayHour, _) => "to_char(r.hour AT TIME ZONE $5, 'ID-HH24')",
            (Grouping::Day, true) => "to_char(r.hour AT TIME ZONE $5, 'YYYY-MM-DD')",
            (Grouping::Day, false) => "to_char(r.day, 'YYYY-MM-DD')",
            (Grouping::Week, true) => "to_char(r.hour AT TIME ZONE $5, 'IYYY-\"W\"IW')",
            (Grouping::Week, false) => "to_char(r.day, 'IYYY-\"W\"IW')",
            (Grouping::Month, true) => "to_char(r.hour AT TIME ZONE $5, 'YYYY-MM')",
            (Grouping::Month, false) => "to_char(r.day, 'YYYY-MM')",
            // One row for the whole range: the totals of reports by application.
            (Grouping::App | Grouping::Category, _) => "''",
        }
    }

    /// The rollup to read as `r`, in the range and of the people: the totals, or with
    /// `per_app` the seconds per application. `people` is the condition on `user_id`
    /// (`$2`). `$5` (the zone) and `$6` (the cut) are read by the hourly tier only.
    fn rollup_sql(&self, per_app: bool, people: &str) -> String {
        let (seconds, hours, days, months) = if per_app {
            (
                "subject_id, active_secs",
                "activity_hour_subjects",
                "activity_day_subjects",
                "activity_month_subjects",
            )
        } else {
            (
                "active_secs, idle_secs",
                "activity_hours",
                "activity_days",
                "activity_months",
            )
        };
        match self.tier() {
            Tier::Hours => format!(
                "{hours} r
                 WHERE r.company_id = $1 AND r.{people}
                   AND r.hour >= ($3::timestamp AT TIME ZONE $5)
                   AND r.hour < (($4 + 1)::timestamp AT TIME ZONE $5)
                   AND r.hour < $6"
            ),
            Tier::Days => format!(
                "{days} r
                 WHERE r.company_id = $1 AND r.{people}
                   AND r.day BETWEEN $3 AND $4 AND $5 <> '' AND $6 IS NOT NULL"
            ),
            Tier::Months { first, after } => format!(
                "(SELECT user_id, month AS day, {seconds} FROM {months}
                   WHERE company_id = $1 AND {people}
                     AND month >= '{first}' AND month < '{after}'
                  UNION ALL
                  SELECT user_id, day, {seconds} FROM {days}
                   WHERE company_id = $1 AND {people} AND day BETWEEN $3 AND $4
                     AND (day < '{first}' OR day >= '{after}')) r
                 WHERE $5 <> '' AND $6 IS NOT NULL"
            ),
        }
    }
}

/// The rollups a report reads: hours (in the report's zone; short ranges), days or
/// whole months with the days around them (each person's own days; long ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Hours,
    Days,
    /// Months `first..after` from the month rollups.
    Months {
        first: NaiveDate,
        after: NaiveDate,
    },
}

fn first_of_next_month(day: NaiveDate) -> Option<NaiveDate> {
    day.with_day(1)?.checked_add_months(chrono::Months::new(1))
}

#[derive(diesel::QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    active: i64,
    #[diesel(sql_type = BigInt)]
    idle: i64,
}

#[derive(diesel::QueryableByName)]
struct SplitRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    productivity: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = BigInt)]
    secs: i64,
}

/// How the dictionary is classified for the people of a report: the company's view of
/// every entry, and where a person's or their team's rules differ, theirs.
struct Mapping {
    base: Vec<(i64, Class)>,
    overrides: Vec<(UserId, i64, Class)>,
}

impl Mapping {
    fn new(classifier: &Classifier, subjects: &[SubjectRow], people: &[Person]) -> Self {
        let base: Vec<(i64, Class)> = subjects
            .iter()
            .map(|s| (s.id, classifier.classify(&s.app, &s.domain, None, None)))
            .collect();
        // What differs from the company's view, worked out once per team (and once per
        // person with rules of their own), not once per person.
        let differing = |person: Option<UserId>, team: Option<TeamId>| -> Vec<(i64, Class)> {
            subjects
                .iter()
                .zip(&base)
                .filter_map(|(subject, (id, company_class))| {
                    let own = classifier.classify(&subject.app, &subject.domain, person, team);
                    (own != *company_class).then_some((*id, own))
                })
                .collect()
        };
        let mut teams: HashMap<Option<TeamId>, Vec<(i64, Class)>> = HashMap::new();
        let mut overrides = Vec::new();
        for person in people {
            if !classifier.has_own_rules(person.id, person.team_id) {
                continue;
            }
            let classes = if classifier.has_person_rules(person.id) {
                differing(Some(person.id), person.team_id)
            } else {
                teams
                    .entry(person.team_id)
                    .or_insert_with(|| differing(None, person.team_id))
                    .clone()
            };
            overrides.extend(
                classes
                    .into_iter()
                    .map(|(id, class)| (person.id, id, class)),
            );
        }
        Self { base, overrides }
    }
}

/// The people condition of a report's queries and the ids it binds (`$2`): those in
/// the report, or, when the report covers most of the company over a long range, the
/// company's other people, so the rollups are scanned (in parallel) rather than probed
/// person by person.
async fn people_filter(
    conn: &mut AsyncPgConnection,
    request: &Request<'_>,
) -> QueryResult<(Vec<UserId>, &'static str)> {
    let ids: Vec<UserId> = request.people.iter().map(|p| p.id).collect();
    // A short range is a few rows per person: their index entries, read person by
    // person, beat scanning the company's year.
    let long = (request.to - request.from).num_days() >= MAX_HOURLY_RANGE_DAYS;
    if request.tier() == Tier::Hours || !long {
        return Ok((ids, "user_id = ANY($2)"));
    }
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: UserId,
    }
    let everyone: Vec<Id> = diesel::sql_query("SELECT id FROM users WHERE company_id = $1")
        .bind::<diesel::sql_types::Uuid, _>(request.company.id.0)
        .load(conn)
        .await?;
    if ids.len() * 2 <= everyone.len() {
        return Ok((ids, "user_id = ANY($2)"));
    }
    let inside: std::collections::HashSet<UserId> = ids.into_iter().collect();
    let others = everyone
        .into_iter()
        .map(|row| row.id)
        .filter(|id| !inside.contains(id))
        .collect();
    Ok((others, "user_id <> ALL($2)"))
}

/// The report for `request`.
pub async fn report(
    conn: &mut AsyncPgConnection,
    request: &Request<'_>,
) -> QueryResult<TimeReport> {
    let (ids, people) = people_filter(conn, request).await?;
    let totals: Vec<TotalsRow> = diesel::sql_query(format!(
        "SELECT {key} AS key, sum(r.active_secs)::int8 AS active, sum(r.idle_secs)::int8 AS idle
           FROM {from}
          GROUP BY 1",
        key = request.key_sql(),
        from = request.rollup_sql(false, people),
    ))
    .bind::<diesel::sql_types::Uuid, _>(request.company.id.0)
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Date, _>(request.from)
    .bind::<Date, _>(request.to)
    .bind::<Text, _>(request.time_zone)
    .bind::<Timestamptz, _>(request.until_or_ever())
    .load(conn)
    .await?;
    let split = if request.classify {
        let company = request.company;
        let mapping = Mapping::new(&company.classifier, &company.dictionary, request.people);
        split(conn, request, (&ids, people), &mapping).await?
    } else {
        Vec::new()
    };
    Ok(assemble(request, totals, split))
}

/// Active time by key and classification. The rollup is summed per key and entry (and
/// per person only for those with rules of their own) before anything is joined, so the
/// classification joins a few thousand rows, not the rollup.
async fn split(
    conn: &mut AsyncPgConnection,
    request: &Request<'_>,
    (ids, people): (&[UserId], &str),
    mapping: &Mapping,
) -> QueryResult<Vec<SplitRow>> {
    let key = match request.group {
        Grouping::App => "r.subject_id::text",
        _ => request.key_sql(),
    };
    let own: Vec<UserId> = {
        let mut own: Vec<UserId> = mapping.overrides.iter().map(|o| o.0).collect();
        own.dedup();
        own
    };
    diesel::sql_query(format!(
        "WITH used AS (
              SELECT {key} AS key, r.subject_id,
                     CASE WHEN r.user_id = ANY($7) THEN r.user_id END AS own,
                     sum(r.active_secs)::int8 AS secs
                FROM {from}
               GROUP BY 1, 2, 3),
              base AS (
              SELECT * FROM UNNEST($8::int8[], $9::text[], $10::text[])
                         AS b(subject_id, productivity, category)),
              personal AS (
              SELECT * FROM UNNEST($11::uuid[], $12::int8[], $13::text[], $14::text[])
                         AS p(user_id, subject_id, productivity, category))
         SELECT u.key, coalesce(p.productivity, b.productivity, '{neutral}') AS productivity,
                coalesce(p.category, b.category, '') AS category, sum(u.secs)::int8 AS secs
           FROM used u
           LEFT JOIN base b ON b.subject_id = u.subject_id
           LEFT JOIN personal p ON p.user_id = u.own AND p.subject_id = u.subject_id
          GROUP BY 1, 2, 3",
        from = request.rollup_sql(true, people),
        neutral = Productivity::Neutral.as_str(),
    ))
    .bind::<diesel::sql_types::Uuid, _>(request.company.id.0)
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Date, _>(request.from)
    .bind::<Date, _>(request.to)
    .bind::<Text, _>(request.time_zone)
    .bind::<Timestamptz, _>(request.until_or_ever())
    .bind::<Array<diesel::sql_types::Uuid>, _>(&own)
    .bind::<Array<BigInt>, _>(mapping.base.iter().map(|b| b.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(productivities(mapping.base.iter().map(|b| &b.1)))
    .bind::<Array<Text>, _>(categories(mapping.base.iter().map(|b| &b.1)))
    .bind::<Array<diesel::sql_types::Uuid>, _>(
        mapping.overrides.iter().map(|o| o.0).collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(mapping.overrides.iter().map(|o| o.1).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(productivities(mapping.overrides.iter().map(|o| &o.2)))
    .bind::<Array<Text>, _>(categories(mapping.overrides.iter().map(|o| &o.2)))
    .load(conn)
    .await
}

fn productivities<'a>(classes: impl Iterator<Item = &'a Class>) -> Vec<&'static str> {
    classes.map(|class| class.productivity.as_str()).collect()
}

fn categories<'a>(classes: impl Iterator<Item = &'a Class>) -> Vec<&'a str> {
    classes.map(|class| class.category.as_str()).collect()
}

/// A row being added up.
#[derive(Default)]
struct Building {
    figures: Figures,
    /// Active seconds per classification, for rows by application.
    by_class: BTreeMap<Productivity, i64>,
    category: Option<String>,
}

impl Building {
    fn add_split(&mut self, productivity: Productivity, secs: i64) {
        match productivity {
            Productivity::Productive => self.figures.productive_secs += secs,
            Productivity::Neutral => self.figures.neutral_secs += secs,
            Productivity::Unproductive => self.figures.unproductive_secs += secs,
        }
        *self.by_class.entry(productivity).or_default() += secs;
    }
}

fn assemble(request: &Request<'_>, totals: Vec<TotalsRow>, split: Vec<SplitRow>) -> TimeReport {
    let team_of: HashMap<UserId, Option<TeamId>> =
        request.people.iter().map(|p| (p.id, p.team_id)).collect();
    // Person rows are keyed by the person; team rows by their team (`""`: none).
    let regroup = |key: String| -> String {
        if request.group != Grouping::Team {
            return key;
        }
        key.parse::<UserId>()
            .ok()
            .and_then(|id| team_of.get(&id).copied().flatten())
            .map(|team| team.to_string())
            .unwrap_or_default()
    };
    let by_class_rows = matches!(request.group, Grouping::App | Grouping::Category);
    let mut rows: BTreeMap<String, Building> = BTreeMap::new();
    // Every team of the report has a row, worked or not.
    if request.group == Grouping::Team {
        for person in request.people {
            rows.entry(person.team_id.map(|t| t.to_string()).unwrap_or_default())
                .or_default();
        }
    }
    let mut total = Figures::default();
    for row in totals {
        total.active_secs += row.active;
        total.idle_secs += row.idle;
        if !by_class_rows {
            let building = rows.entry(regroup(row.key)).or_default();
            building.figures.active_secs += row.active;
            building.figures.idle_secs += row.idle;
        }
    }
    for row in split {
        let productivity = row.productivity.parse().unwrap_or(Productivity::Neutral);
        match productivity {
            Productivity::Productive => total.productive_secs += row.secs,
            Productivity::Neutral => total.neutral_secs += row.secs,
            Productivity::Unproductive => total.unproductive_secs += row.secs,
        }
        let key = match request.group {
            Grouping::Category if row.category.is_empty() => {
                super::classify::UNCATEGORIZED.to_owned()
            }
            Grouping::Category => row.category.clone(),
            _ => regroup(row.key),
        };
        let building = rows.entry(key).or_default();
        building.add_split(productivity, row.secs);
        if by_class_rows {
            building.figures.active_secs += row.secs;
            building.category.get_or_insert(row.category);
        }
    }
    let mut out: Vec<ReportRow> = match request.group {
        Grouping::App => app_rows(rows, &request.company.dictionary),
        Grouping::Category => {
            let mut out: Vec<ReportRow> = rows
                .into_iter()
                .map(|(key, b)| finish(key.clone(), key, b, false))
                .collect();
            out.sort_by(|a, b| {
                b.figures
                    .active_secs
                    .cmp(&a.figures.active_secs)
                    .then(a.key.cmp(&b.key))
            });
            out
        }
        Grouping::Person => {
            let mut out: Vec<ReportRow> = request
                .people
                .iter()
                .map(|person| {
                    let key = person.id.to_string();
                    let b = rows.remove(&key).unwrap_or_default();
                    finish(key, person.name.clone(), b, false)
                })
                .collect();
            out.sort_by(|a, b| a.label.cmp(&b.label).then(a.key.cmp(&b.key)));
            out
        }
        Grouping::Team => {
            let mut out: Vec<ReportRow> = rows
                .into_iter()
                .map(|(key, b)| {
                    let label = key
                        .parse::<TeamId>()
                        .ok()
                        .and_then(|team| request.company.teams.get(&team).cloned())
                        .unwrap_or_else(|| "No team".to_owned());
                    finish(key, label, b, false)
                })
                .collect();
            out.sort_by(|a, b| (a.key.is_empty(), &a.label).cmp(&(b.key.is_empty(), &b.label)));
            out
        }
        _ => time_keys(request)
            .into_iter()
            .map(|(key, label)| {
                let b = rows.remove(&key).unwrap_or_default();
                finish(key, label, b, false)
            })
            .collect(),
    };
    // "No team" only when someone without a team worked.
    out.retain(|row| {
        !(request.group == Grouping::Team && row.key.is_empty() && row.figures.worked_secs == 0)
    });
    TimeReport {
        from: request.from,
        to: request.to,
        group: request.group,
        time_zone: request.time_zone.to_owned(),
        rows: out,
        total: total.complete(),
    }
}

fn finish(key: String, label: String, b: Building, classified: bool) -> ReportRow {
    let productivity = classified
        .then(|| {
            b.by_class
                .iter()
                .max_by_key(|(class, secs)| (**secs, std::cmp::Reverse(**class)))
                .map(|(class, _)| *class)
        })
        .flatten();
    ReportRow {
        key,
        label,
        figures: b.figures.complete(),
        productivity,
        category: classified.then_some(b.category).flatten(),
    }
}

/// Rows by application, longest first; past [`MAX_APP_ROWS`], the rest as "Other".
fn app_rows(rows: BTreeMap<String, Building>, subjects: &[SubjectRow]) -> Vec<ReportRow> {
    let names: HashMap<String, &SubjectRow> =
        subjects.iter().map(|s| (s.id.to_string(), s)).collect();
    let mut out: Vec<ReportRow> = rows
        .into_iter()
        .map(|(key, b)| {
            let (key, label) = match names.get(&key) {
                Some(s) => {
                    let domain = (!s.domain.is_empty()).then_some(s.domain.as_str());
                    (subject_label(&s.app, domain), subject_label(&s.app, domain))
                }
                None => (key.clone(), key),
            };
            finish(key, label, b, true)
        })
        .collect();
    out.sort_by(|a, b| {
        b.figures
            .active_secs
            .cmp(&a.figures.active_secs)
            .then(a.key.cmp(&b.key))
    });
    if out.len() > MAX_APP_ROWS {
        let rest = out.split_off(MAX_APP_ROWS - 1);
        let mut other = Figures::default();
        for row in rest {
            other.active_secs += row.figures.active_secs;
            other.productive_secs += row.figures.productive_secs;
            other.neutral_secs += row.figures.neutral_secs;
            other.unproductive_secs += row.figures.unproductive_secs;
        }
        out.push(ReportRow {
            key: "other".to_owned(),
            label: "Other".to_owned(),
            figures: other.complete(),
            productivity: None,
            category: None,
        });
    }
    out
}

/// Every bucket of the range in order, empty ones included, with its label.
fn time_keys(request: &Request<'_>) -> Vec<(String, String)> {
    let days: Vec<NaiveDate> = request
        .from
        .iter_days()
        .take_while(|day| *day <= request.to)
        .collect();
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut push = |key: String, label: String| {
        if keys.last().is_none_or(|(last, _)| *last != key) {
            keys.push((key, label));
        }
    };
    match request.group {
        Grouping::Hour => {
            for day in &days {
                for hour in 0..24 {
                    push(
                        format!("{}T{hour:02}", day.format("%Y-%m-%d")),
                        format!("{} {hour:02}:00", day.format("%a %Y-%m-%d")),
                    );
                }
            }
        }
        Grouping::Day => {
            for day in &days {
                push(
                    day.format("%Y-%m-%d").to_string(),
                    day.format("%a %Y-%m-%d").to_string(),
                );
            }
        }
        Grouping::Week => {
            for day in &days {
                let week = day.iso_week();
                let monday = *day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                push(
                    format!("{}-W{:02}", week.year(), week.week()),
                    format!("Week of {}", monday.format("%Y-%m-%d")),
                );
            }
        }
        Grouping::Month => {
            for day in &days {
                push(
                    day.format("%Y-%m").to_string(),
                    day.format("%B %Y").to_string(),
                );
            }
        }
        Grouping::WeekdayHour => {
            for weekday in 1..=7u32 {
                let name = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                    [usize::try_from(weekday - 1).unwrap_or(0)];
                for hour in 0..24 {
                    push(
                        format!("{weekday}-{hour:02}"),
                        format!("{name} {hour:02}:00"),
                    );
                }
            }
        }
        _ => {}
    }
    keys
}
