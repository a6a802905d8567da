//! `pulse seed-demo`: a demo company to look around in, created only in an empty database.

use chrono::{Datelike, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_shared::audit::ActorKind;
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::people::{Role, UserStatus};
use serde_json::json;
use uuid::Uuid;

use crate::auth::password::Passwords;
use crate::db::audit::{self, Actor, Change};
use crate::db::people::{self, CompanyRow, UserRow};
use crate::db::schema::companies;
use crate::db::teams::{self, TeamRow};
use crate::db::{activity, agents};

/// Apps of a demo day, with a window title and the URL when it is a browser.
const APPS: [(&str, &str, Option<&str>); 6] = [
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
];

/// A small deterministic generator: the demo is the same on every machine.
fn mix(seed: u64) -> u64 {
    let mut x = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// An enrolled computer for `user`, heard from just now (every fifth one went quiet an
/// hour ago), with yesterday's and today's working hours of activity.
async fn seed_agent(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: &UserRow,
    index: usize,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<()> {
    let first = user.name.split(' ').next().unwrap_or("demo").to_lowercase();
    let quiet = index % 5 == 4;
    let last_seen = if quiet {
        now - chrono::Duration::hours(1)
    } else {
        now
    };
    let agent = agents::AgentRow {
        company_id: company.0,
        id: Uuid::now_v7(),
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
        enrolled_at: now - chrono::Duration::days(3),
        last_seen_at: Some(last_seen),
        last_state: Some(if quiet { "locked" } else { "active" }.into()),
        presence: if quiet { "offline" } else { "online" }.into(),
        revoked_at: None,
    };
    agents::insert_agent(conn, &agent).await?;
    let mut events = Vec::new();
    let today = now.date_naive();
    for day in [today - chrono::Duration::days(1), today] {
        let Some(start) = day.and_hms_opt(8, 30, 0) else {
            continue;
        };
        let mut at = start.and_utc() + chrono::Duration::minutes((index as i64 * 7) % 40);
        let end = (start.and_utc() + chrono::Duration::hours(9)).min(last_seen);
        let mut n = index as u64 * 1_000 + day.ordinal() as u64;
        while at + chrono::Duration::minutes(5) < end {
            n += 1;
            let roll = mix(n);
            let (app, title, url) = APPS[(roll % APPS.len() as u64) as usize];
            let secs = 60 + (roll >> 8) % 540;
            let idle = (roll >> 20).is_multiple_of(9);
            // A lunch break, and now and then a coffee: gaps past the idle threshold.
            let gap = match (roll >> 24) % 14 {
                0 => 60 * 45,
                1 => 60 * 8,
                _ => (roll >> 32) % 90,
            };
            let duration = u32::try_from(secs).unwrap_or(60);
            events.push(pulse_shared::activity::ActivityEvent {
                id: Uuid::new_v4(),
                app: app.into(),
                title: Some(title.into()),
                url: url.map(str::to_owned),
                started_at: at,
                duration_secs: duration,
                keystrokes: if idle { 0 } else { duration * 2 },
                mouse_events: if idle { 0 } else { duration },
                active_secs: if idle { 0 } else { duration * 4 / 5 },
                idle,
            });
            at += chrono::Duration::seconds(i64::try_from(secs + gap).unwrap_or(600));
        }
    }
    activity::insert_events(
        conn,
        (
            company,
            pulse_shared::ids::AgentId(agent.id),
            UserId(user.id),
        ),
        &events,
        chrono::Duration::minutes(5),
        now,
    )
    .await?;
    activity::build_sessions(conn, 1_000).await?;
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

/// Creates the demo company unless the database already has a company. Returns whether it did.
pub async fn seed_demo(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let existing: i64 = companies::table.count().get_result(conn).await?;
    if existing > 0 {
        return Ok(false);
    }
    let passwords = Passwords::new(1)?;
    // Everyone shares the demo password; hash it once.
    let password_hash = passwords.hash(DEMO_PASSWORD.into()).await?;
    let now = Utc::now();
    let company = CompanyRow {
        id: Uuid::now_v7(),
        name: "Demo Co".into(),
        created_at: now,
        updated_at: now,
    };
    let company_id = CompanyId(company.id);
    let system = Actor {
        kind: ActorKind::System,
        id: None,
        ip: None,
        user_agent: None,
    };
    let person = |name: &str, role: Role, team: Option<Uuid>| {
        let email = format!(
            "{}@demo.pulse.test",
            name.split(' ').next().unwrap_or(name).to_lowercase()
        );
        UserRow {
            company_id: company.id,
            id: Uuid::now_v7(),
            email: if role == Role::Owner {
                DEMO_EMAIL.into()
            } else {
                email
            },
            name: name.into(),
            role: role.as_str().into(),
            status: UserStatus::Active.as_str().into(),
            team_id: team,
            password_hash: password_hash.clone(),
            created_at: now,
            updated_at: now,
        }
    };
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        people::insert_company(conn, &company).await?;
        let record = async |conn: &mut AsyncPgConnection,
                            action: &str,
                            kind: &str,
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
            "company.created",
            "company",
            company.id,
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
                id: Uuid::now_v7(),
                name: name.into(),
                created_at: now,
                updated_at: now,
            };
            teams::insert(conn, &team).await?;
            record(
                conn,
                "team.created",
                "team",
                team.id,
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
                "user.created",
                "user",
                user.id,
                json!({"after": {"email": user.email, "role": user.role}}),
            )
            .await?;
        }
        diesel::update(companies::table.find(company.id))
            .set(companies::seat_limit.eq(25))
            .execute(conn)
            .await?;
        for (index, user) in everyone.iter().skip(2).enumerate() {
            seed_agent(conn, company_id, user, index, now).await?;
        }
        for (index, team) in team_ids.iter().enumerate() {
            let manager = everyone
                .iter()
                .find(|user| user.name == TEAMS[index].1)
                .map(|user| UserId(user.id));
            teams::set_managers(
                conn,
                company_id,
                TeamId(*team),
                &manager.into_iter().collect::<Vec<_>>(),
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    Ok(true)
}
