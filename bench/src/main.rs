//! `pulse-bench`: load clients that measure a running Pulse server. Each subcommand
//! drives one scenario and prints its figures as one JSON object on stdout; progress
//! goes to stderr. `cargo xtask bench` starts the server and runs these.

mod account;
mod alerts;
mod billing;
mod company;
mod copy;
mod ingest;
mod reports;
mod sse;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pulse-bench",
    about = "Load clients that measure a running Pulse server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign up a fresh company and print its owner's access token, for `--token`. The
    /// server must send its mail to `--mail-port` on loopback, where the link is read.
    Signup {
        /// The server's base URL, e.g. http://127.0.0.1:18080.
        #[arg(long)]
        server: String,
        /// The port the server's `PULSE_SMTP_URL` names.
        #[arg(long, default_value_t = account::MAIL_PORT)]
        mail_port: u16,
    },
    /// Hold many alert streams open and time how fast test alerts reach all of them.
    Alerts(alerts::Options),
    /// Make a company for the ingest benchmark: tokens through the API, then seats and
    /// employees in bulk in SQL.
    IngestSetup(ingest::SetupOptions),
    /// Write activity rows straight into Postgres with the API's own statement.
    IngestDirect(ingest::DirectOptions),
    /// Send a burst of signed Stripe webhook events and time each, next to as many
    /// requests to a trivial route.
    Billing(billing::Options),
    /// Write a year of a company's activity straight into Postgres, then time the
    /// report queries over it through the API.
    Reports(reports::Options),
}

/// A line of progress, on stderr (stdout carries the report).
fn progress(message: impl std::fmt::Display) {
    eprintln!("pulse-bench: {message}");
}

async fn sign_up(server: &str, mail_port: u16) -> anyhow::Result<String> {
    let client = reqwest::Client::builder().build()?;
    let signed_up = account::sign_up(&client, server.trim_end_matches('/'), mail_port).await?;
    Ok(serde_json::to_string(&signed_up)?)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Signup { server, mail_port } => sign_up(&server, mail_port).await,
        Command::Alerts(options) => alerts::run(options)
            .await
            .and_then(|report| Ok(serde_json::to_string(&report)?)),
        Command::IngestSetup(options) => ingest::setup(options)
            .await
            .and_then(|setup| Ok(serde_json::to_string(&setup)?)),
        Command::IngestDirect(options) => ingest::direct(options)
            .await
            .and_then(|direct| Ok(serde_json::to_string(&direct)?)),
        Command::Billing(options) => billing::run(options)
            .await
            .and_then(|report| Ok(serde_json::to_string(&report)?)),
        Command::Reports(options) => reports::run(options)
            .await
            .and_then(|report| Ok(serde_json::to_string(&report)?)),
    };
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("pulse-bench: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
