//! `pulse`: the server binary. `pulse serve` (the default) or `pulse migrate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pulse_backend::config::Config;
use pulse_backend::{db, seed, server, telemetry};

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
    /// Apply migrations, then create a demo company if the database has none.
    SeedDemo,
    /// Put the paid plans on sale in the Stripe account (`STRIPE_SECRET_KEY`): one
    /// product and monthly price each, recorded in the plans table; prints their ids.
    StripeSetup,
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
        Command::Migrate => migrate(&config).await,
        Command::SeedDemo => seed_demo(&config).await,
        Command::StripeSetup => stripe_setup(&config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pulse: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let applied = db::migrate(&config.database_url).await?;
    println!("applied {} migration(s)", applied.len());
    Ok(())
}

async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    use diesel_async::AsyncConnection;
    db::migrate(&config.database_url).await?;
    let mut conn = diesel_async::AsyncPgConnection::establish(&config.database_url).await?;
    if seed::seed_demo(&mut conn, config.clock.now()).await? {
        println!(
            "created the demo company: sign in as {} / {}",
            seed::DEMO_EMAIL,
            seed::DEMO_PASSWORD
        );
    } else {
        println!("the database already has a company; nothing seeded");
    }
    Ok(())
}

async fn stripe_setup(config: &Config) -> anyhow::Result<()> {
    use diesel_async::AsyncConnection;
    let Some(stripe) = &config.stripe else {
        anyhow::bail!(
            "STRIPE_SECRET_KEY (with STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET) is not set"
        );
    };
    db::migrate(&config.database_url).await?;
    let mut conn = diesel_async::AsyncPgConnection::establish(&config.database_url).await?;
    let client = pulse_backend::billing::client::StripeClient::new(stripe);
    for (plan, price) in pulse_backend::billing::plans::sell_on_stripe(&mut conn, &client).await? {
        println!("{}\t{price}", plan.as_str());
    }
    Ok(())
}
