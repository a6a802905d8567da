//! `pulse`: the server binary. `pulse serve` (the default), `pulse migrate`, and the
//! chores beside them (`seed-demo`, `stripe-setup`, `backup`, `restore`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pulse_backend::config::Config;
use pulse_backend::{backup, db, seed, server, telemetry};

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
    /// Write a backup of the database (`pg_dump`) and of a local object store's
    /// screenshots into one new tar file.
    Backup {
        /// The archive to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Restore a backup into an empty database and the configured object store, then
    /// check it: migrations, every company's audit chain, screenshots that open.
    Restore {
        /// The archive `pulse backup` wrote.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Restore into this database on DATABASE_URL's server instead of
        /// DATABASE_URL's own (a name, not a URL: the password stays in DATABASE_URL).
        #[arg(long, value_name = "DATABASE")]
        into: Option<String>,
        /// Replace whatever the target database holds (its `public` schema is dropped).
        #[arg(long)]
        force: bool,
    },
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
        Command::Backup { to } => backup::backup(&config, &to)
            .await
            .map(|written| println!("{written}")),
        Command::Restore { from, into, force } => {
            let options = backup::RestoreOptions { from, into, force };
            backup::restore(&config, &options)
                .await
                .map(|restored| println!("{restored}"))
        }
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
