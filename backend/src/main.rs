//! `pulse`: the server binary. `pulse serve` (the default) or `pulse migrate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pulse_backend::config::Config;
use pulse_backend::{db, server, telemetry};

#[derive(Parser)]
#[command(name = "pulse", version, about = "Pulse: workforce monitoring server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API and the web app (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("pulse: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_filter, config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(config).await,
        Command::Migrate => db::migrate(&config.database_url)
            .await
            .map_err(Into::into)
            .map(|applied| {
                println!(
                    "applied {} migration(s){}",
                    applied.len(),
                    if applied.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", applied.join(", "))
                    }
                );
            }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pulse: {error:#}");
            ExitCode::FAILURE
        }
    }
}
