//! `pulse-agent`: the desktop agent's command line.
//!
//! `enroll` trades an enrollment token for this computer's credential; `run` runs the
//! agent (`pulse_agent::run`); `status` says what it reports and to whom; `probe` prints
//! one sample of what it sees; `check` verifies a server is reachable and healthy;
//! `simulate` drives many fake agents against it (see `pulse_agent::simulate`).

mod check;
mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pulse_agent::simulate;

#[derive(Parser)]
#[command(name = "pulse-agent", version, about = "Pulse desktop agent")]
struct Cli {
    /// The Pulse server, e.g. https://pulse.example.com; `enroll` falls back on the
    /// `server` of /etc/pulse-agent/config.toml, `check` and `simulate` on
    /// http://127.0.0.1:8080 (`run` and `status` use the one this computer enrolled with).
    #[arg(long, env = "PULSE_SERVER", global = true)]
    server: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Enroll this computer with an enrollment token; the credential is kept in a file
    /// only its owner can read.
    Enroll(commands::EnrollOptions),
    /// Run the agent: report activity until stopped (SIGTERM, Ctrl-C).
    Run(commands::RunOptions),
    /// Print the server, the employee, the last sync, what is spooled and the policy.
    Status,
    /// Print one sample of what the agent sees: the active window, idle time, monitors.
    Probe {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check that the server answers and its database is up.
    Check,
    /// Run many simulated agents against the server and report what happened.
    Simulate(Box<simulate::Options>),
}

/// The server of `check` and `simulate` when none is named.
const LOCAL_SERVER: &str = "http://127.0.0.1:8080";

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let local = || {
        cli.server
            .clone()
            .unwrap_or_else(|| LOCAL_SERVER.to_owned())
    };
    let result = match cli.command {
        Command::Enroll(options) => commands::enroll(cli.server.clone(), options)
            .await
            .map(|()| true),
        Command::Run(options) => commands::run(options).await.map(|()| true),
        Command::Status => commands::status().map(|()| true),
        Command::Probe { json } => commands::probe(json).map(|()| true),
        Command::Check => check::check(&local()).await,
        Command::Simulate(options) => {
            let json = options.json;
            simulate::run(&local(), *options).await.and_then(|report| {
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    print!("{}", report.text());
                }
                Ok(true)
            })
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(error) => {
            eprintln!("pulse-agent: {error:#}");
            ExitCode::FAILURE
        }
    }
}
