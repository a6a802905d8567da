//! The reports data set, written straight into the server's database: the company's
//! settings (Europe/Berlin, working hours Monday to Friday 09:00–17:00), 20 teams and
//! their employees, a computer (agent) each, the dictionary of applications and sites
//! they use, the company's category rules, a year of rollups (hours, days and months,
//! each in all and by application) and a month of raw events of some people,
//! the rollups and events streamed by `COPY`. What the reports should answer is kept
//! per person and day, so every answer can be checked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pulse_backend::reports::rules::RuleRow;
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::policies::{PolicySettings, Weekday, WorkingHours};
use pulse_shared::reports::{AttendanceSummary, NewCategoryRule};
use serde::Serialize;
use uuid::Uuid;

use super::dictionary::{self, Entry, Scope};
use super::history::{self, Person, TIME_ZONE};
use crate::{company, copy, progress};

/// What to make.
#[derive(Debug, Clone)]
pub struct Plan {
    pub employees: u32,
    /// Employees `Simulated 1` to `Simulated {event_people}` (as many in each team) whose
    /// raw events of the last `event_days` days are stored too.
    pub event_people: u32,
    pub event_days: i64,
    pub seed: u64,
    /// The instant the history ends; its day in Europe/Berlin is the last of the year.
    pub now: DateTime<Utc>,
}

/// An employee as stored.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: UserId,
    /// `n` of `Simulated n`.
    pub number: u32,
    /// Index into [`dictionary::TEAMS`].
    pub team: usize,
    pub agent: Uuid,
    pub events: bool,
}

/// A worked day of one employee, as the reports should see it.
#[derive(Debug, Clone, Copy)]
pub struct Worked {
    /// Index into [`Dataset::people`].
    pub person: usize,
    pub day: NaiveDate,
    pub active: i64,
    pub idle: i64,
    /// Against the working hours with the default 10 minutes of grace.
    pub late: bool,
    pub early: bool,
}

/// Rows written per table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rows {
    pub activity_hours: u64,
    pub activity_hour_subjects: u64,
    pub activity_days: u64,
    pub activity_day_subjects: u64,
    pub activity_months: u64,
    pub activity_month_subjects: u64,
    pub activity_events: u64,
}

impl Rows {
    pub fn rollups(&self) -> u64 {
        self.activity_hours
            + self.activity_hour_subjects
            + self.activity_days
            + self.activity_day_subjects
            + self.activity_months
            + self.activity_month_subjects
    }
}

/// The data set as stored.
#[derive(Debug)]
pub struct Dataset {
    pub teams: Vec<TeamId>,
    /// In the order of their ids.
    pub people: Vec<Member>,
    /// The first and last day of the history (the last is today, up to `now`).
    pub from: NaiveDate,
    pub today: NaiveDate,
    pub worked: Vec<Worked>,
    /// Working days (before today) each employee was away.
    pub absences: Vec<(usize, NaiveDate)>,
    pub subjects: usize,
    pub rules: usize,
    pub rows: Rows,
    pub event_people: usize,
    /// Seconds writing the company, people, dictionary, rules, rollups and events.
    pub generation_secs: f64,
}

/// The grace the attendance report allows by default, in seconds.
const GRACE_SECS: i64 = pulse_shared::reports::DEFAULT_GRACE_MINS as i64 * 60;
/// Employees whose rows are committed together.
const PEOPLE_PER_COMMIT: usize = 25;

/// A table's size on disk.
#[derive(Debug, Serialize, QueryableByName)]
pub struct Size {
    #[diesel(sql_type = Text)]
    pub table: String,
    /// `pg_total_relation_size`: the table, its indexes and TOAST (of all its
    /// partitions, when it has some).
    #[diesel(sql_type = BigInt)]
    pub bytes: i64,
}

/// `VACUUM (ANALYZE)` of `tables`, as autovacuum would have run on a database this
/// old: statistics for the planner, and all-visible pages for index-only scans.
pub async fn vacuum(conn: &mut AsyncPgConnection, tables: &[&str]) -> anyhow::Result<()> {
    for table in tables {
        diesel::sql_query(format!("VACUUM (ANALYZE) {table}"))
            .execute(conn)
            .await
            .with_context(|| format!("VACUUM {table}"))?;
    }
    Ok(())
}

/// The size of each of `tables`, in their order.
pub async fn sizes(conn: &mut AsyncPgConnection, tables: &[&str]) -> anyhow::Result<Vec<Size>> {
    diesel::sql_query(
        "SELECT t AS table,
                coalesce((SELECT sum(pg_total_relation_size(p.relid))
                            FROM pg_partition_tree(t::regclass) p),
                         pg_total_relation_size(t::regclass))::int8 AS bytes
           FROM UNNEST($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n",
    )
    .bind::<Array<Text>, _>(tables)
    .load(conn)
    .await
    .context("measuring the tables")
}

/// Fills the company of the owner `owner` (signed up already) per `plan`.
pub async fn fill(
    conn: &mut AsyncPgConnection,
    database_url: &str,
    owner: &str,
    plan: &Plan,
) -> anyhow::Result<Dataset> {
    let started = Instant::now();
    let company = company::of_owner(conn, owner).await?;
    configure(conn, company, plan).await?;
    let names: Vec<&str> = dictionary::TEAMS.iter().map(|(name, _)| *name).collect();
    let teams = company::insert_teams(conn, company, &names).await?;
    company::allow_seats(conn, company, plan.employees.saturating_add(10)).await?;
    company::insert_employees(
        conn,
        company,
        "reports{n}@bench.test",
        plan.employees,
        &teams,
    )
    .await?;
    let people = members(conn, company, &teams, plan).await?;
    insert_agents(conn, company, &people).await?;

    let entries = dictionary::entries();
    let persons: Vec<Person> = people
        .iter()
        .map(|m| Person::new(m.number, m.team, &entries, plan.seed))
        .collect();
    let today = history::local_day(plan.now.timestamp());
    let from = today - Duration::days(364);
    // Everything anyone might use: each person's applications and sites.
    let used: BTreeSet<usize> = persons.iter().flat_map(Person::uses).collect();
    let subject_ids = insert_subjects(conn, company, &entries, &used).await?;
    let rules = insert_rules(conn, company, &teams, &people).await?;
    let subjects = subject_ids.iter().filter(|id| **id > 0).count();
    progress(format_args!(
        "reports: company, {} teams, {} employees with an agent each, {subjects} applications and sites, {rules} rules in {:.1} s; now the rollups",
        teams.len(),
        people.len(),
        started.elapsed().as_secs_f64()
    ));
    let writer = Writer {
        company: company.0.to_string(),
        entries,
        subject_ids,
        from,
        today,
        events_from: today - Duration::days(plan.event_days - 1),
        now: plan.now.timestamp(),
        seed: plan.seed,
    };
    let (worked, absences, rows) = writer
        .write_all(database_url, people.clone(), persons)
        .await?;
    let generation_secs = started.elapsed().as_secs_f64();
    progress(format_args!(
        "reports: {} rollup rows and {} events written in {generation_secs:.1} s",
        rows.rollups(),
        rows.activity_events
    ));
    Ok(Dataset {
        teams,
        event_people: people.iter().filter(|m| m.events).count(),
        people,
        from,
        today,
        worked,
        absences,
        subjects,
        rules,
        rows,
        generation_secs,
    })
}

/// On the plan with the longest history and no seat limit to speak of; everyone in
/// Europe/Berlin with working hours, sites recorded, activity kept over a year.
async fn configure(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    plan: &Plan,
) -> anyhow::Result<()> {
    diesel::sql_query("UPDATE companies SET plan_id = 'enterprise' WHERE id = $1")
        .bind::<SqlUuid, _>(company.0)
        .execute(conn)
        .await
        .context("choosing the plan")?;
    let settings = PolicySettings {
        track_urls: true,
        working_hours: Some(WorkingHours {
            days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            start: history::WORK_START.to_owned(),
            end: history::WORK_END.to_owned(),
        }),
        time_zone: TIME_ZONE.to_owned(),
        activity_retention_days: 400,
        ..PolicySettings::default()
    };
    // The default policy is made when first read.
    pulse_backend::db::policies::company(conn, company, plan.now).await?;
    let json = pulse_backend::db::policies::to_json(&settings);
    diesel::sql_query(
        "UPDATE policies SET settings = $2::jsonb
          WHERE company_id = $1 AND team_id IS NULL AND user_id IS NULL",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Text, _>(json.to_string())
    .execute(conn)
    .await
    .context("setting the company policy")?;
    Ok(())
}

/// The employees as stored, in the order of their ids (the order of the rollups'
/// keys, so rows arrive in index order), each with a new agent id.
async fn members(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    teams: &[TeamId],
    plan: &Plan,
) -> anyhow::Result<Vec<Member>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
        team_id: Option<Uuid>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, name, team_id FROM users
          WHERE company_id = $1 AND role = 'employee' ORDER BY id",
    )
    .bind::<SqlUuid, _>(company.0)
    .load(conn)
    .await?;
    if rows.len() != usize::try_from(plan.employees)? {
        bail!(
            "{} employees stored, {} wanted: were their addresses taken?",
            rows.len(),
            plan.employees
        );
    }
    rows.into_iter()
        .map(|row| {
            let number: u32 = row
                .name
                .trim_start_matches("Simulated ")
                .parse()
                .with_context(|| format!("an employee named {}", row.name))?;
            let team = teams
                .iter()
                .position(|team| Some(team.0) == row.team_id)
                .context("an employee without a team")?;
            Ok(Member {
                id: UserId(row.id),
                number,
                team,
                agent: Uuid::now_v7(),
                // The first by number: as many in each team.
                events: number <= plan.event_people,
            })
        })
        .collect()
}

/// One computer per employee, as enrollment would have made it a year ago.
async fn insert_agents(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    people: &[Member],
) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO agents (company_id, id, user_id, hostname, os, agent_version,
                             secret_hash, enrolled_at)
         SELECT $1, a, u, 'bench-' || n, 'linux', 'bench', sha256(convert_to(a::text, 'UTF8')),
                now() - interval '400 days'
           FROM UNNEST($2::uuid[], $3::uuid[]) WITH ORDINALITY AS x(a, u, n)",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Array<SqlUuid>, _>(people.iter().map(|m| m.agent).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(people.iter().map(|m| m.id.0).collect::<Vec<_>>())
    .execute(conn)
    .await
    .context("inserting agents")?;
    Ok(())
}

/// Stores the `used` entries in the company's dictionary; answers each entry's id
/// (0 for the unused).
async fn insert_subjects(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    entries: &[Entry],
    used: &BTreeSet<usize>,
) -> anyhow::Result<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        app: String,
        #[diesel(sql_type = Text)]
        domain: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "INSERT INTO activity_subjects (company_id, app, domain)
         SELECT $1, app, domain FROM UNNEST($2::text[], $3::text[]) WITH ORDINALITY AS s(app, domain, n)
          ORDER BY n
         RETURNING id, app, domain",
    )
    .bind::<SqlUuid, _>(company.0)
    .bind::<Array<Text>, _>(used.iter().map(|&i| entries[i].app).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(used.iter().map(|&i| entries[i].domain).collect::<Vec<_>>())
    .load(conn)
    .await
    .context("inserting the dictionary")?;
    let stored: HashMap<(String, String), i64> = rows
        .into_iter()
        .map(|row| ((row.app, row.domain), row.id))
        .collect();
    let mut ids = vec![0; entries.len()];
    for &index in used {
        let entry = &entries[index];
        ids[index] = stored
            .get(&(entry.app.to_owned(), entry.domain.to_owned()))
            .copied()
            .with_context(|| format!("{} · {} was not stored", entry.app, entry.domain))?;
    }
    Ok(ids)
}

/// The company's rules, stored as the API stores them; answers how many.
async fn insert_rules(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    teams: &[TeamId],
    people: &[Member],
) -> anyhow::Result<usize> {
    let now = Utc::now();
    for (field, matches, pattern, productivity, category, scope) in dictionary::RULES {
        let (team_id, user_id) = match scope {
            Scope::Company => (None, None),
            Scope::Team(team) => (Some(teams[*team]), None),
            Scope::Person(number) => (
                None,
                Some(
                    people
                        .iter()
                        .find(|m| m.number == *number)
                        .map(|m| m.id)
                        .with_context(|| {
                            format!("a rule for Simulated {number}, who is not there")
                        })?,
                ),
            ),
        };
        let rule = NewCategoryRule {
            field: *field,
            matches: *matches,
            pattern: (*pattern).to_owned(),
            productivity: *productivity,
            category: (*category).to_owned(),
            team_id,
            user_id,
        };
        pulse_backend::reports::rules::insert(conn, &RuleRow::new(company, &rule, now))
            .await
            .with_context(|| format!("inserting the rule {pattern}"))?;
    }
    Ok(dictionary::RULES.len())
}

/// Writes everyone's year as rows.
struct Writer {
    company: String,
    entries: Vec<Entry>,
    /// The dictionary id of each entry.
    subject_ids: Vec<i64>,
    from: NaiveDate,
    today: NaiveDate,
    events_from: NaiveDate,
    now: i64,
    seed: u64,
}

/// The tables written by `COPY`, with their columns, indexed by the constants below.
const COPIED: [(&str, &str); 7] = [
    (
        "activity_hours",
        "company_id, user_id, hour, active_secs, idle_secs, keystrokes, mouse_events",
    ),
    (
        "activity_hour_subjects",
        "company_id, user_id, hour, subject_id, active_secs",
    ),
    (
        "activity_days",
        "company_id, user_id, day, first_at, last_at, active_secs, idle_secs, keystrokes, mouse_events",
    ),
    (
        "activity_day_subjects",
        "company_id, user_id, day, subject_id, active_secs",
    ),
    (
        "activity_months",
        "company_id, user_id, month, active_secs, idle_secs, keystrokes, mouse_events",
    ),
    (
        "activity_month_subjects",
        "company_id, user_id, month, subject_id, active_secs",
    ),
    (
        "activity_events",
        "company_id, agent_id, id, user_id, app, title, url, started_at, duration_secs, keystrokes, mouse_events, active_secs, idle, received_at",
    ),
];
const HOURS: usize = 0;
const HOUR_SUBJECTS: usize = 1;
const DAYS: usize = 2;
const DAY_SUBJECTS: usize = 3;
const MONTHS: usize = 4;
const MONTH_SUBJECTS: usize = 5;
const EVENTS: usize = 6;

/// A person's month (of their own days) being added up.
#[derive(Default)]
struct Month {
    active: i64,
    idle: i64,
    keys: i64,
    mouse: i64,
    /// Active seconds per dictionary id.
    subjects: BTreeMap<i64, i64>,
}

type Written = (Vec<Worked>, Vec<(usize, NaiveDate)>, Rows);

impl Writer {
    async fn write_all(
        self,
        database_url: &str,
        people: Vec<Member>,
        persons: Vec<Person>,
    ) -> anyhow::Result<Written> {
        let (mut tables, mut tasks) = (Vec::new(), Vec::new());
        for (name, columns) in COPIED {
            let (table, task) = copy::open(database_url, name, columns);
            tables.push(table);
            tasks.push(task);
        }
        // Rows are made on a thread of their own, which waits while the COPYs catch up.
        let (tables, written) = tokio::task::spawn_blocking(move || {
            let written = self.write_people(&mut tables, &people, &persons);
            (tables, written)
        })
        .await?;
        // Ends each COPY, whatever happened; a COPY's own error says more than the
        // writer's "it stopped".
        let mut rows = [0; COPIED.len()];
        for ((table, task), count) in tables.into_iter().zip(tasks).zip(&mut rows) {
            let written = table.finish();
            let stored = task.await??;
            let written = written?;
            if written != stored {
                bail!("{written} rows written but {stored} stored");
            }
            *count = stored;
        }
        let (worked, absences) = written?;
        Ok((
            worked,
            absences,
            Rows {
                activity_hours: rows[HOURS],
                activity_hour_subjects: rows[HOUR_SUBJECTS],
                activity_days: rows[DAYS],
                activity_day_subjects: rows[DAY_SUBJECTS],
                activity_months: rows[MONTHS],
                activity_month_subjects: rows[MONTH_SUBJECTS],
                activity_events: rows[EVENTS],
            },
        ))
    }

    /// Everyone's days, person after person, in the rollups' key order.
    #[allow(clippy::type_complexity)]
    fn write_people(
        &self,
        tables: &mut [copy::Table],
        people: &[Member],
        persons: &[Person],
    ) -> anyhow::Result<(Vec<Worked>, Vec<(usize, NaiveDate)>)> {
        let mut worked = Vec::new();
        let mut absences = Vec::new();
        for (index, (member, person)) in people.iter().zip(persons).enumerate() {
            let user = member.id.to_string();
            let agent = member.agent.to_string();
            let mut months: BTreeMap<NaiveDate, Month> = BTreeMap::new();
            for day in self.from.iter_days().take_while(|day| *day <= self.today) {
                if !history::is_working_day(day) {
                    continue;
                }
                let Some(workday) = person.day(day, &self.entries, self.seed, self.now) else {
                    if day < self.today {
                        absences.push((index, day));
                    }
                    continue;
                };
                let totals = self.write_day(tables, &user, &workday)?;
                let month = months.entry(day.with_day(1).unwrap_or(day)).or_default();
                month.active += i64::from(totals.active);
                month.idle += i64::from(totals.idle);
                month.keys += totals.keys;
                month.mouse += totals.mouse;
                for &(entry, secs) in &totals.subjects {
                    *month.subjects.entry(self.subject_ids[entry]).or_default() += i64::from(secs);
                }
                if member.events && day >= self.events_from {
                    self.write_events(tables, (&user, &agent), &workday)?;
                }
                let (late, early) = history::lateness(day, &totals, GRACE_SECS);
                worked.push(Worked {
                    person: index,
                    day,
                    active: i64::from(totals.active),
                    idle: i64::from(totals.idle),
                    late,
                    early,
                });
            }
            self.write_months(tables, &user, &months)?;
            if (index + 1) % PEOPLE_PER_COMMIT == 0 {
                for table in tables.iter_mut() {
                    table.commit()?;
                }
            }
            if (index + 1) % 100 == 0 {
                progress(format_args!(
                    "reports: {} of {} employees written",
                    index + 1,
                    people.len()
                ));
            }
        }
        Ok((worked, absences))
    }

    /// A person's months, as the rollup adds their days up.
    fn write_months(
        &self,
        tables: &mut [copy::Table],
        user: &str,
        months: &BTreeMap<NaiveDate, Month>,
    ) -> anyhow::Result<()> {
        let company = &self.company;
        for (month, m) in months {
            tables[MONTHS].row(format_args!(
                "{company}\t{user}\t{month}\t{}\t{}\t{}\t{}",
                m.active, m.idle, m.keys, m.mouse
            ))?;
            for (subject, secs) in &m.subjects {
                tables[MONTH_SUBJECTS].row(format_args!(
                    "{company}\t{user}\t{month}\t{subject}\t{secs}"
                ))?;
            }
        }
        Ok(())
    }

    /// One day's hour and day rows; answers the day's totals.
    fn write_day(
        &self,
        tables: &mut [copy::Table],
        user: &str,
        workday: &history::Workday,
    ) -> anyhow::Result<history::Totals> {
        let company = &self.company;
        let hours = workday.hours();
        for hour in &hours {
            let at = stamp(hour.start);
            tables[HOURS].row(format_args!(
                "{company}\t{user}\t{at}\t{}\t{}\t{}\t{}",
                hour.active, hour.idle, hour.keys, hour.mouse
            ))?;
            for &(entry, secs) in &hour.subjects {
                tables[HOUR_SUBJECTS].row(format_args!(
                    "{company}\t{user}\t{at}\t{}\t{secs}",
                    self.subject_ids[entry]
                ))?;
            }
        }
        let totals = workday.totals(&hours);
        let day = workday.day;
        tables[DAYS].row(format_args!(
            "{company}\t{user}\t{day}\t{}\t{}\t{}\t{}\t{}\t{}",
            stamp(totals.first_at),
            stamp(totals.last_at),
            totals.active,
            totals.idle,
            totals.keys,
            totals.mouse
        ))?;
        for &(entry, secs) in &totals.subjects {
            tables[DAY_SUBJECTS].row(format_args!(
                "{company}\t{user}\t{day}\t{}\t{secs}",
                self.subject_ids[entry]
            ))?;
        }
        Ok(totals)
    }

    /// The day's events as the agent sent them: one per segment, received half a
    /// minute after it ended.
    fn write_events(
        &self,
        tables: &mut [copy::Table],
        (user, agent): (&str, &str),
        workday: &history::Workday,
    ) -> anyhow::Result<()> {
        let company = &self.company;
        for segment in &workday.segments {
            let entry = &self.entries[segment.entry];
            let id = Uuid::new_v7(uuid::Timestamp::from_unix(
                uuid::NoContext,
                u64::try_from(segment.start)?,
                0,
            ));
            let url = if entry.domain.is_empty() {
                "\\N".to_owned()
            } else {
                format!("https://{}/", entry.domain)
            };
            let active = if segment.idle { 0 } else { segment.secs };
            tables[EVENTS].row(format_args!(
                "{company}\t{agent}\t{id}\t{user}\t{}\t\\N\t{url}\t{}\t{}\t{}\t{}\t{active}\t{}\t{}",
                entry.app,
                stamp(segment.start),
                segment.secs,
                segment.keys,
                segment.mouse,
                if segment.idle { 't' } else { 'f' },
                stamp(segment.end() + 30),
            ))?;
        }
        Ok(())
    }
}

/// Seconds since the epoch as Postgres reads a `timestamptz`.
fn stamp(secs: i64) -> impl std::fmt::Display {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S+00")
}

impl Dataset {
    /// Active and idle seconds of the people `who` picks over `from..=to`.
    pub fn worked_secs(
        &self,
        who: impl Fn(&Member) -> bool,
        (from, to): (NaiveDate, NaiveDate),
    ) -> (i64, i64) {
        self.worked
            .iter()
            .filter(|w| (from..=to).contains(&w.day) && who(&self.people[w.person]))
            .fold((0, 0), |(active, idle), w| {
                (active + w.active, idle + w.idle)
            })
    }

    /// The attendance report's summary for `team` over `from..=to` (days before today),
    /// and how many person-days it lists (working days only: nobody works weekends).
    pub fn attendance(
        &self,
        team: usize,
        (from, to): (NaiveDate, NaiveDate),
    ) -> (AttendanceSummary, usize) {
        let mut summary = AttendanceSummary::default();
        let mut days = 0;
        let in_team = |person: usize| self.people[person].team == team;
        for w in self
            .worked
            .iter()
            .filter(|w| in_team(w.person) && (from..=to).contains(&w.day))
        {
            days += 1;
            if w.late {
                summary.late_start += 1;
            }
            if w.early {
                summary.early_end += 1;
            }
            if !w.late && !w.early {
                summary.on_time += 1;
            }
        }
        for _ in self
            .absences
            .iter()
            .filter(|(p, day)| in_team(*p) && (from..=to).contains(day))
        {
            days += 1;
            summary.absent += 1;
        }
        (summary, days)
    }
}
