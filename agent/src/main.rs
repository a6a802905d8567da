//! `pulse-agent`: the desktop agent's command line.
//!
//! `check` verifies a server is reachable and healthy; `simulate` drives many fake
//! agents against it (see `pulse_agent::simulate`).

mod check;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pulse_agent::simulate;

#[derive(Parser)]
#[command(name = "pulse-agent", version, about = "Pulse desktop agent")]
struct Cli {
    /// The Pulse server, e.g. https://pulse.example.com.
    #[arg(
        long,
        env = "PULSE_SERVER",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    server: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check that the server answers and its database is up.
    Check,
    /// Run many simulated agents against the server and report what happened.
    Simulate(Box<simulate::Options>),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check => check::check(&cli.server).await,
        Command::Simulate(options) => {
            let json = options.json;
            simulate::run(&cli.server, *options)
                .await
                .and_then(|report| {
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
