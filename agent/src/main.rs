//! `pulse-agent`: the desktop agent's command line.
//!
//! For now it can check that a Pulse server is reachable and healthy; enrollment,
//! reporting and the load simulator come with the agent API.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pulse_shared::system::{Health, SystemStatusResponse};

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
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check => check(&cli.server).await,
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

/// Prints the server's status; `Ok(false)` when a part of it is down.
async fn check(server: &str) -> anyhow::Result<bool> {
    let url = format!("{}/api/v1/system/status", server.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let response = response
        .error_for_status()
        .with_context(|| format!("{url} answered with an error"))?;
    let status: SystemStatusResponse = response
        .json()
        .await
        .context("the server's answer is not a Pulse status")?;
    println!("Pulse {} at {server}", status.version);
    for component in &status.components {
        let health = match component.health {
            Health::Up => "up",
            Health::Down => "down",
        };
        println!(
            "  {:<10} {health}{}",
            component.name,
            component
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
    }
    Ok(status.components.iter().all(|c| c.health == Health::Up))
}
