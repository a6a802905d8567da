//! The load client's side of `cargo xtask bench ingest`.
//!
//! `pulse-bench ingest-setup` makes the company the simulated agents enroll into: a
//! sign-up and enrollment tokens through the API, then seats and employees in bulk
//! straight in SQL (one statement, where inviting 25,000 people through the API would
//! take longer than the benchmark). `pulse-bench ingest-direct` writes activity rows
//! with `pulse_backend::db::activity::insert_events`, the statement the API runs (the
//! rows and their entry in the session builder's queue), with the same batch size and
//! concurrency as the API flood, to show what Postgres itself takes on this machine.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use pulse_agent::simulate::events::Workday;
use pulse_backend::db::schema::agents;
use pulse_shared::agents::{CreateEnrollmentTokenRequest, EnrollmentTokenCreated, MAX_TOKEN_USES};
use pulse_shared::ids::{AgentId, CompanyId, UserId};
use reqwest::{Client, StatusCode};
use serde::Serialize;
use uuid::Uuid;

use crate::{account, company, stats};

#[derive(Debug, clap::Args)]
pub struct SetupOptions {
    /// The server's base URL, e.g. http://127.0.0.1:18080.
    #[arg(long)]
    server: String,
    /// The server's database, for the bulk part.
    #[arg(long)]
    database_url: String,
    /// Where the server sends its mail, for signing up (see `pulse-bench signup`).
    #[arg(long, default_value_t = account::MAIL_PORT)]
    mail_port: u16,
    /// Employees to create (and seats to allow).
    #[arg(long)]
    employees: u32,
    /// Their addresses; `{n}` is 1 to `--employees`.
    #[arg(long, default_value = "sim{n}@bench.test")]
    email_pattern: String,
}

/// What `pulse-bench ingest-setup` prints.
#[derive(Debug, Serialize)]
pub struct Setup {
    pub company_id: CompanyId,
    pub employees: u32,
    /// Enrollment token secrets: together they allow at least one enrollment per
    /// employee when agent n uses token n mod their number.
    pub tokens: Vec<String>,
}

pub async fn setup(options: SetupOptions) -> anyhow::Result<Setup> {
    let base = options.server.trim_end_matches('/');
    let client = Client::new();
    let owner = account::unique_address();
    let token = account::sign_up_as(&client, base, &owner, options.mail_port)
        .await?
        .access_token;

    // One token enrolls at most 10,000 computers; agent n takes token n mod k, so each
    // gets at most ⌈employees / k⌉ of them.
    let count = options.employees.div_ceil(MAX_TOKEN_USES - 1).max(1);
    let mut tokens = Vec::new();
    for number in 1..=count {
        let request = CreateEnrollmentTokenRequest {
            name: format!("Bench agents {number}"),
            user_id: None,
            expires_in_hours: 24,
            max_uses: MAX_TOKEN_USES,
        };
        let response = client
            .post(format!("{base}/api/v1/enrollment-tokens"))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await
            .context("POST /api/v1/enrollment-tokens")?;
        if response.status() != StatusCode::CREATED {
            bail!(
                "POST /api/v1/enrollment-tokens answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        tokens.push(response.json::<EnrollmentTokenCreated>().await?.secret);
    }

    let mut conn = AsyncPgConnection::establish(&options.database_url)
        .await
        .context("connecting to the server's database")?;
    let company_id = company::of_owner(&mut conn, &owner).await?;
    company::allow_seats(&mut conn, company_id, options.employees.saturating_add(10)).await?;
    company::insert_employees(
        &mut conn,
        company_id,
        &options.email_pattern,
        options.employees,
        &[],
    )
    .await?;
    Ok(Setup {
        company_id,
        employees: options.employees,
        tokens,
    })
}

#[derive(Debug, clap::Args)]
pub struct DirectOptions {
    /// The server's database, holding the enrolled agents.
    #[arg(long)]
    database_url: String,
    /// Batches in flight at once, each on its own connection.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// Agents whose events are written (the first by host name), taken in turn.
    #[arg(long, default_value_t = 2500)]
    agents: i64,
    /// Events per batch.
    #[arg(long, default_value_t = 20)]
    batch_events: usize,
    /// How long to write, in seconds.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Seed of the made-up activity.
    #[arg(long, default_value_t = 2)]
    seed: u64,
}

/// What `pulse-bench ingest-direct` prints.
#[derive(Debug, Serialize)]
pub struct Direct {
    pub in_flight: usize,
    pub agents: usize,
    pub batch_events: usize,
    pub batches: usize,
    pub rows: u64,
    pub measured_s: f64,
    pub rows_per_s: f64,
    /// One `insert_events` call, over all batches.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// One agent as its rows name it.
#[derive(Debug, Clone, Copy, Queryable)]
struct Owner {
    company: Uuid,
    agent: Uuid,
    user: Uuid,
}

pub async fn direct(options: DirectOptions) -> anyhow::Result<Direct> {
    let mut conn = AsyncPgConnection::establish(&options.database_url)
        .await
        .context("connecting to the database")?;
    let owners: Vec<Owner> = agents::table
        .filter(agents::revoked_at.is_null())
        .order(agents::hostname)
        .limit(options.agents)
        .select((agents::company_id, agents::id, agents::user_id))
        .load(&mut conn)
        .await?;
    drop(conn);
    if owners.is_empty() {
        bail!("the database has no agents: run the simulator first");
    }
    let in_flight = options.in_flight.max(1);
    let started = Instant::now();
    let until = started + Duration::from_secs(options.duration_secs);
    // Two weeks later in the agents' days than the API flood (`pulse-agent simulate
    // --flood` replays from 28 days ago): one computer cannot report the same minutes
    // twice, so the two runs must not cover the same time.
    let replay_from = Utc::now() - chrono::Duration::days(14);
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..in_flight {
        // Writer w takes agents w, w + in_flight, … in turn, like the simulator's senders.
        let mut mine: Vec<(Owner, Workday)> = owners
            .iter()
            .enumerate()
            .filter(|(index, _)| index % in_flight == writer)
            .map(|(index, owner)| (*owner, Workday::new(index + 1, options.seed, replay_from)))
            .collect();
        let url = options.database_url.clone();
        let count = options.batch_events;
        // The default policy's, which these employees have.
        let idle_gap = chrono::Duration::seconds(i64::from(
            pulse_shared::policies::PolicySettings::default().idle_threshold_secs,
        ));
        writers.spawn(async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            let mut latencies = Vec::new();
            let mut rows = 0_u64;
            if mine.is_empty() {
                return anyhow::Ok((latencies, rows));
            }
            for turn in 0.. {
                if Instant::now() >= until {
                    break;
                }
                let index = turn % mine.len();
                let (owner, day) = &mut mine[index];
                let events = day.replay(count);
                let begun = Instant::now();
                let stored = pulse_backend::db::activity::insert_events(
                    &mut conn,
                    (
                        CompanyId(owner.company),
                        AgentId(owner.agent),
                        UserId(owner.user),
                    ),
                    &events,
                    (idle_gap, "UTC"),
                    Utc::now(),
                )
                .await
                .context("insert_events")?;
                latencies.push(begun.elapsed());
                rows += u64::try_from(stored.len())?;
            }
            Ok((latencies, rows))
        });
    }
    let mut latencies = Vec::new();
    let mut rows = 0;
    while let Some(done) = writers.join_next().await {
        let (mine, stored) = done??;
        latencies.extend(mine);
        rows += stored;
    }
    let measured = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    #[allow(clippy::cast_precision_loss)] // row counts far below 2^52
    let rows_per_s = (rows as f64 / measured * 10.0).round() / 10.0;
    Ok(Direct {
        in_flight,
        agents: owners.len(),
        batch_events: options.batch_events,
        batches: latencies.len(),
        rows,
        measured_s: (measured * 10.0).round() / 10.0,
        rows_per_s,
        p50_ms: stats::millis(stats::percentile(&latencies, 50.0)),
        p99_ms: stats::millis(stats::percentile(&latencies, 99.0)),
        max_ms: stats::millis(latencies.last().copied()),
    })
}
