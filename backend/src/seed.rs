//! `pulse seed-demo`: a demo company to look around in, created only in an empty database.

use chrono::Utc;
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
