//! `pulse seed-demo`: a demo company to look around in, created only in an empty database.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_shared::activity::ActivityEvent;
use pulse_shared::agents::{AgentState, AgentStatus};
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use pulse_shared::billing::PlanId;
use pulse_shared::ids::{AgentId, CompanyId, TeamId, UserId};
use pulse_shared::people::{Role, UserStatus};
use pulse_shared::policies::{PolicySettings, WorkingHours};
use serde_json::json;
use uuid::Uuid;

use crate::auth::password::Passwords;
use crate::db::audit::{self, Actor, Change};
use crate::db::people::{self, CompanyRow, UserRow};
use crate::db::schema::companies;
use crate::db::teams::{self, TeamRow};
use crate::db::{activity, agents, policies};

/// Apps of a demo day, with a window title and the URL when it is a browser.
const APPS: [(&str, &str, Option<&str>); 8] = [
    ("code", "main.rs — pulse", None),
    (
        "firefox",
        "Pull requests · GitHub",
        Some("https://github.com/pulls"),
    ),
    ("slack", "#engineering — Demo Co", None),
    ("terminal", "cargo test", None),
    ("zoom", "Weekly sync", None),
    ("thunderbird", "Inbox", None),
    // Some time the built-in catalogue counts as unproductive, for the reports.
    (
        "firefox",
        "Conference talk — YouTube",
        Some("https://www.youtube.com/watch?v=demo"),
    ),
    (
        "firefox",
        "Hacker News",
        Some("https://news.ycombinator.com/"),
    ),
];

/// A small deterministic generator: the demo is the same on every machine.
fn mix(seed: u64) -> u64 {
    let mut x = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Working days of activity the demo holds before today.
const PAST_WORKING_DAYS: usize = 5;

/// Whether people work on `day`: Monday to Friday.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The days the demo has activity on: the last [`PAST_WORKING_DAYS`] working days before
/// today, oldest first, then today when it is a working day (up to `now`). Nobody works
/// at weekends, so on a Sunday the demo shows Friday's work and nothing today.
pub fn demo_days(now: DateTime<Utc>) -> Vec<NaiveDate> {
    let today = now.date_naive();
    let mut days: Vec<NaiveDate> = today
        .iter_days()
        .rev()
        .skip(1)
        .filter(|day| is_working_day(*day))
        .take(PAST_WORKING_DAYS)
        .collect();
    days.reverse();
    if is_working_day(today) {
        days.push(today);
    }
    days
}

/// One person's activity on `day` (UTC), ending no later than `until`: from about
/// 08:30 for nine hours, with a 45-minute lunch, short breaks now and then and some
/// idle minutes. Every full day has hours of active time, whatever the date.
pub fn demo_day(index: usize, day: NaiveDate, until: DateTime<Utc>) -> Vec<ActivityEvent> {
    let mut events = Vec::new();
    let Some(start) = day.and_hms_opt(8, 30, 0).map(|start| start.and_utc()) else {
        return events;
    };
    let offset = i64::try_from(index % 8).unwrap_or(0) * 5;
    let mut at = start + Duration::minutes(offset);
    let end = (start + Duration::hours(9)).min(until);
    let lunch = start + Duration::minutes(210 + offset);
    let mut lunched = false;
    let mut n = (index as u64) << 32 | u64::try_from(day.num_days_from_ce()).unwrap_or(0);
    while at + Duration::minutes(5) < end {
        if !lunched && at >= lunch {
            lunched = true;
            at += Duration::minutes(45);
            continue;
        }
        n += 1;
        let roll = mix(n);
        let (app, title, url) = APPS[(roll % APPS.len() as u64) as usize];
        let secs =
            (60 + (roll >> 8) % 540).min(u64::try_from((end - at).num_seconds()).unwrap_or(0));
        let duration = u32::try_from(secs).unwrap_or(60);
        let idle = (roll >> 20).is_multiple_of(12);
        // A coffee now and then: a gap past the idle threshold ends a session.
        let gap = if (roll >> 24).is_multiple_of(14) {
            60 * 8
        } else {
            (roll >> 32) % 60
        };
        events.push(ActivityEvent {
            id: Uuid::new_v4(),
            app: app.into(),
            title: Some(title.into()),
            url: url.map(str::to_owned),
            started_at: at,
            duration_secs: duration,
            keystrokes: if idle { 0 } else { duration * 2 },
            mouse_events: if idle { 0 } else { duration },
            active_secs: if idle { 0 } else { duration * 9 / 10 },
            idle,
        });
        at += Duration::seconds(i64::try_from(secs + gap).unwrap_or(600));
    }
    events
}

/// An enrolled computer for `user`, heard from just now (every fifth one went quiet an
/// hour ago), with the activity of the demo's days built into sessions.
async fn seed_agent(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: &UserRow,
    index: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let first = user.name.split(' ').next().unwrap_or("demo").to_lowercase();
    let quiet = index % 5 == 4;
    let last_seen = if quiet { now - Duration::hours(1) } else { now };
    let days = demo_days(now);
    let events: Vec<ActivityEvent> = days
        .iter()
        .flat_map(|day| demo_day(index, *day, last_seen))
        .collect();
    // At work now: the last event began within the quarter hour (today, so).
    let working_now = events
        .last()
        .is_some_and(|event| now - event.started_at < Duration::minutes(15));
    let agent = agents::AgentRow {
        company_id: company,
        id: AgentId(Uuid::now_v7()),
        user_id: user.id,
        hostname: format!("{first}-{}", ["laptop", "desktop", "mbp"][index % 3]),
        os: [
            "Ubuntu 24.04 (x86_64)",
            "Windows 11 (x86_64)",
            "macOS 15 (arm64)",
        ][index % 3]
            .into(),
        agent_version: "0.1.0".into(),
        secret_hash: crate::auth::secrets::token_hash(&format!("demo-{}", Uuid::new_v4())),
        enrolled_with: None,
        // (`<[_]>::first`: diesel's prelude has a `first` too.)
        enrolled_at: <[NaiveDate]>::first(&days)
            .and_then(|day| day.and_hms_opt(8, 0, 0))
            .map_or(now, |at| at.and_utc() - Duration::days(1)),
        last_seen_at: Some(last_seen),
        // Computers stay on out of hours, locked.
        last_state: Some(if working_now {
            AgentState::Active
        } else {
            AgentState::Locked
        }),
        presence: if quiet {
            AgentStatus::Offline
        } else {
            AgentStatus::Online
        },
        revoked_at: None,
        // A computer gone quiet still had work to send when it was last heard from.
        spool_pending: Some(if quiet { 37 } else { 0 }),
        spool_dropped: Some(0),
        spool_dead_letters: Some(0),
    };
    agents::insert_agent(conn, &agent).await?;
    activity::insert_events(
        conn,
        (company, agent.id, user.id),
        &events,
        (Duration::minutes(5), "UTC"),
        now,
    )
    .await?;
    crate::worker::sessions::build(conn, 1_000, now).await?;
    Ok(())
}

/// The demo owner's sign-in, printed by `cargo xtask run`.
pub const DEMO_EMAIL: &str = "owner@demo.pulse.test";
pub const DEMO_PASSWORD: &str = "pulse-demo-password";

const TEAMS: [(&str, &str); 2] = [
    ("Engineering", "Grace Hopper"),
    ("Customer Success", "Katherine Johnson"),
];
const EMPLOYEES: [(&str, usize); 12] = [
    ("Alan Turing", 0),
    ("Barbara Liskov", 0),
    ("Ken Thompson", 0),
    ("Frances Allen", 0),
    ("Dennis Ritchie", 0),
    ("Margaret Hamilton", 0),
    ("Edsger Dijkstra", 1),
    ("Radia Perlman", 1),
    ("John McCarthy", 1),
    ("Hedy Lamarr", 1),
    ("Niklaus Wirth", 1),
    ("Adele Goldberg", 1),
];

/// Creates the demo company, as it is at `now`, unless the database already has a
/// company. Returns whether it did.
pub async fn seed_demo(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let existing: i64 = companies::table.count().get_result(conn).await?;
    if existing > 0 {
        return Ok(false);
    }
    // The demo's days reach into last month on the first days of a month: their months
    // are made first, so its events never wait in the default partition.
    let days = demo_days(now);
    if let (Some(first), Some(last)) = (<[NaiveDate]>::first(&days), days.last()) {
        crate::worker::partitions::make_months(conn, *first, *last).await?;
    }
    let passwords = Passwords::new(1)?;
    // Everyone shares the demo password; hash it once.
    let password_hash = passwords.hash(DEMO_PASSWORD.into()).await?;
    let company = CompanyRow {
        id: CompanyId(Uuid::now_v7()),
        name: "Demo Co".into(),
        created_at: now,
        updated_at: now,
    };
    let company_id = company.id;
    let system = Actor::unattended(ActorKind::System, now);
    let person = |name: &str, role: Role, team: Option<TeamId>| {
        let email = format!(
            "{}@demo.pulse.test",
            name.split(' ').next().unwrap_or(name).to_lowercase()
        );
        UserRow {
            company_id: company.id,
            id: UserId(Uuid::now_v7()),
            email: if role == Role::Owner {
                DEMO_EMAIL.into()
            } else {
                email
            },
            name: name.into(),
            role,
            status: UserStatus::Active,
            team_id: team,
            password_hash: password_hash.clone(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    };
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        // No month is attached while the seed writes agents and their events.
        crate::worker::partitions::hold_off(conn).await?;
        people::insert_company(conn, &company).await?;
        let record = async |conn: &mut AsyncPgConnection,
                            action: AuditAction,
                            kind: TargetKind,
                            id: Uuid,
                            summary: serde_json::Value| {
            audit::record(
                conn,
                company_id,
                &system,
                Change {
                    action,
                    target_kind: kind,
                    target_id: Some(id),
                    summary,
                },
            )
            .await
        };
        record(
            conn,
            AuditAction::CompanyCreated,
            TargetKind::Company,
            company.id.0,
            json!({"after": {"name": company.name}, "seed": "demo"}),
        )
        .await?;
        let mut everyone = vec![
            person("Ada Lovelace", Role::Owner, None),
            person("Linus Admin", Role::Admin, None),
        ];
        let mut team_ids = Vec::new();
        for (name, manager) in TEAMS {
            let team = TeamRow {
                company_id: company.id,
                id: TeamId(Uuid::now_v7()),
                name: name.into(),
                created_at: now,
                updated_at: now,
            };
            teams::insert(conn, &team).await?;
            record(
                conn,
                AuditAction::TeamCreated,
                TargetKind::Team,
                team.id.0,
                json!({"after": {"name": name}}),
            )
            .await?;
            everyone.push(person(manager, Role::Manager, Some(team.id)));
            team_ids.push(team.id);
        }
        for (name, team) in EMPLOYEES {
            everyone.push(person(name, Role::Employee, team_ids.get(team).copied()));
        }
        for user in &everyone {
            people::insert_user(conn, user).await?;
            record(
                conn,
                AuditAction::UserCreated,
                TargetKind::User,
                user.id.0,
                json!({"after": {"email": user.email, "role": user.role}}),
            )
            .await?;
        }
        // The demo company is on Pro: its fourteen monitored people fit its 50 seats.
        diesel::update(companies::table.find(company.id))
            .set((
                companies::plan_id.eq(PlanId::Pro),
                companies::seat_limit.eq(50),
            ))
            .execute(conn)
            .await?;
        // Working hours, so attendance has something to judge; the demo's days are UTC.
        let hours = PolicySettings {
            working_hours: Some(WorkingHours {
                days: pulse_shared::policies::Weekday::ALL[..5].to_vec(),
                start: "09:00".to_owned(),
                end: "17:30".to_owned(),
            }),
            track_urls: true,
            ..PolicySettings::default()
        };
        policies::put(
            conn,
            company_id,
            policies::Level::Company,
            policies::to_json(&hours),
            now,
        )
        .await?;
        for (index, user) in everyone.iter().skip(2).enumerate() {
            seed_agent(conn, company_id, user, index, now).await?;
        }
        for (index, team) in team_ids.iter().enumerate() {
            let manager = everyone
                .iter()
                .find(|user| user.name == TEAMS[index].1)
                .map(|user| user.id);
            teams::set_managers(
                conn,
                company_id,
                *team,
                &manager.into_iter().collect::<Vec<_>>(),
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        rfc3339.parse().unwrap()
    }

    fn date(ymd: &str) -> NaiveDate {
        ymd.parse().unwrap()
    }

    #[test]
    fn the_demo_holds_the_last_working_week_and_today_when_people_work() {
        // Sunday night: Monday to Friday before it, nothing on the weekend.
        let sunday = demo_days(at("2026-12-06T23:59:00Z"));
        assert_eq!(sunday[0], date("2026-11-30"));
        assert_eq!(sunday.last(), Some(&date("2026-12-04")));
        assert_eq!(sunday.len(), 5);
        // Monday morning: last week, and today.
        let monday = demo_days(at("2026-12-07T08:00:00Z"));
        assert_eq!(monday[0], date("2026-11-30"));
        assert_eq!(monday[4], date("2026-12-04"));
        assert_eq!(monday.last(), Some(&date("2026-12-07")));
        // Across a leap day and a year's end.
        assert!(demo_days(at("2028-03-01T12:00:00Z")).contains(&date("2028-02-29")));
        assert_eq!(
            demo_days(at("2027-01-01T00:01:00Z")).last(),
            Some(&date("2027-01-01"))
        );
        assert!(demo_days(at("2027-01-01T00:01:00Z")).contains(&date("2026-12-31")));
    }

    /// Every person works over four hours on every working day of four years (a leap
    /// year among them), in events that follow each other without overlapping.
    #[test]
    fn every_demo_day_has_hours_of_active_time_whatever_the_date() {
        let mut day = date("2026-01-01");
        let far = at("2100-01-01T00:00:00Z");
        while day < date("2030-01-01") {
            for index in 0..14 {
                let events = demo_day(index, day, far);
                let active: u32 = events.iter().map(|e| e.active_secs).sum();
                assert!(active > 4 * 3600, "{day} #{index}: {active} s active");
                for pair in events.windows(2) {
                    let end = pair[0].started_at + Duration::seconds(pair[0].duration_secs.into());
                    assert!(end <= pair[1].started_at, "{day} #{index} overlaps");
                }
                assert!(events.iter().all(|e| e.started_at.date_naive() == day));
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn today_ends_at_the_time_given() {
        let until = at("2027-03-15T11:00:00Z");
        let events = demo_day(3, until.date_naive(), until);
        assert!(!events.is_empty());
        assert!(
            events
                .iter()
                .all(|e| e.started_at + Duration::seconds(e.duration_secs.into()) <= until)
        );
        assert!(demo_day(3, until.date_naive(), at("2027-03-15T08:00:00Z")).is_empty());
    }
}
