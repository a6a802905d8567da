//! `cargo xtask run|test|db|bench|dist`: the one entry point for people and CI.
//!
//! Each command installs what is missing (see `install`), makes sure a database is there
//! (see `postgres`), builds the SPA (see `spa`) and then serves or tests. Every step is
//! idempotent, so a second run only pays for what changed.

mod bench;
mod dist;
mod install;
mod lockfile;
mod mail;
mod postgres;
mod sh;
mod size;
mod spa;
mod tidy;
mod wasm;

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::install::Needs;
use crate::sh::{Ctx, run, step};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, run and test Pulse")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install what is missing, start Postgres, build the SPA and serve on http://127.0.0.1:8080
    /// (`PULSE_STRIPE=local`: with billing through a local Stripe test double).
    Run,
    /// Install what is missing (incl. Chromium), start Postgres, build the SPA, run every test.
    Test {
        /// Passed to `cargo test`, e.g. `-- -p pulse-e2e shell` or `-- some_test_name`.
        #[arg(last = true)]
        args: Vec<OsString>,
    },
    /// Only start the local Postgres (installing it if missing) and print its URLs.
    Db,
    /// Put the paid plans on sale in the Stripe account of `STRIPE_SECRET_KEY` (with
    /// `STRIPE_PUBLISHABLE_KEY` and `STRIPE_WEBHOOK_SECRET`; `PULSE_STRIPE_API_BASE` for
    /// a test double) and record their price ids in the plans table; prints them.
    StripeSetup,
    /// Measure release builds on this machine and record the figures in BENCHMARKS.md:
    /// `alerts` (alert streams held, memory, fan-out); every part when none is named.
    Bench(bench::Options),
    /// Build a package: `agent` makes the desktop agent's `.deb` (with cargo-deb).
    Dist {
        #[arg(value_enum)]
        what: DistWhat,
    },
    /// Receive the local server's e-mail and print it (started by `run`).
    #[command(hide = true)]
    MailCatcher {
        #[arg(long)]
        port: u16,
        /// The server's process id: the catcher ends with it.
        #[arg(long)]
        server: u32,
    },
}

/// What `cargo xtask dist` builds.
#[derive(Clone, Copy, clap::ValueEnum)]
enum DistWhat {
    /// The desktop agent's Debian package.
    Agent,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = Ctx::new().and_then(|mut ctx| match cli.command {
        Command::Run => run_app(&mut ctx),
        Command::Test { args } => test(&mut ctx, &args),
        Command::Db => db(&mut ctx),
        Command::StripeSetup => stripe_setup(&mut ctx),
        Command::Bench(options) => bench::bench(&mut ctx, &options),
        Command::Dist {
            what: DistWhat::Agent,
        } => dist::agent(&mut ctx).map(|_| ExitCode::SUCCESS),
        Command::MailCatcher { port, server } => {
            mail::catch(port, server).map(|()| ExitCode::SUCCESS)
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where the database is: the caller's `DATABASE_URL`, or the local cluster.
enum Database {
    External(String),
    Local,
}

impl Database {
    fn from_env() -> Self {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Self::External(url),
            _ => Self::Local,
        }
    }
}

/// What `run` and `test` share: tools, database, the SPA.
struct Prepared {
    database_url: String,
    target_dir: PathBuf,
    /// The Stripe test double's command, when asked for.
    localstripe: Option<PathBuf>,
    /// Where `initdb` and `pg_ctl` are, for tests that run a cluster of their own.
    postgres_bin: Option<PathBuf>,
    /// The API fuzzer's command, for the test run.
    schemathesis: Option<PathBuf>,
    /// axe-core's script, for the browser tests.
    axe: Option<PathBuf>,
}

/// The install step, the database and the SPA build. The URL is that of database `name`
/// (`None`: the cluster's maintenance database, where tests create their own).
fn prepare(
    ctx: &mut Ctx,
    browser: bool,
    localstripe: bool,
    name: Option<&str>,
) -> anyhow::Result<Prepared> {
    let database = Database::from_env();
    let needs = Needs {
        postgres: matches!(database, Database::Local),
        // The run with the browser is the test run, which has the backup tests.
        postgres_client: browser,
        browser,
        localstripe,
        // The API fuzzer runs in the tests only, as the backup tests do.
        schemathesis: browser,
    };
    let installed = install::install(ctx, &needs)?;
    let postgres_bin = installed
        .server
        .as_ref()
        .map(|server| server.bin_dir().to_owned());
    let database_url = match (database, installed.server) {
        (Database::External(url), _) => {
            step("DATABASE_URL is set: using that database, starting no Postgres");
            url
        }
        (Database::Local, Some(server)) => {
            postgres::ensure_running(ctx, &server, name)?;
            postgres::local_url(name.unwrap_or("postgres"))
        }
        (Database::Local, None) => bail!("no Postgres server was found or installed"),
    };
    let target_dir = target_dir(ctx)?;
    spa::build(ctx, &target_dir, &installed.spa_tools)?;
    Ok(Prepared {
        database_url,
        target_dir,
        localstripe: installed.localstripe,
        postgres_bin,
        schemathesis: installed.schemathesis,
        axe: installed.axe,
    })
}

fn run_app(ctx: &mut Ctx) -> anyhow::Result<ExitCode> {
    let local_stripe = match std::env::var("PULSE_STRIPE").as_deref() {
        Ok("local") => true,
        Ok("") | Err(_) => false,
        Ok(other) => bail!("PULSE_STRIPE={other}: the only value is `local`"),
    };
    let Prepared {
        database_url,
        target_dir: target,
        localstripe,
        ..
    } = prepare(ctx, false, local_stripe, Some("pulse"))?;
    step("building the backend (cargo build -p pulse-backend)");
    run(ctx.cargo().args(["build", "-p", "pulse-backend"]))?;
    let dist = ctx.root.join("dist");
    size::report(&dist)?;

    let binary = target.join("debug/pulse");
    let data_dir = ctx.root.join(".pulse/data");
    // Migrates, and creates the demo company when the database has no company yet.
    step("demo data (pulse seed-demo)");
    run(ctx
        .cmd(&binary)
        .arg("seed-demo")
        .env("DATABASE_URL", &database_url)
        .env("PULSE_DATA_DIR", &data_dir))?;
    let bind = std::env::var("PULSE_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let mut server = ctx.cmd(&binary);
    server
        .arg("serve")
        .env("DATABASE_URL", &database_url)
        .env("PULSE_BIND", &bind);
    if std::env::var_os("PULSE_DATA_DIR").is_none() {
        server.env("PULSE_DATA_DIR", &data_dir);
    }
    if std::env::var_os("PULSE_DIST_DIR").is_none() {
        server.env("PULSE_DIST_DIR", &dist);
    }
    if std::env::var_os("PULSE_SMTP_URL").is_none() {
        // No mail server: a catcher prints the messages here, links included, so that
        // signing up and the other e-mailed links work locally.
        let port = sh::free_port()?;
        std::process::Command::new(std::env::current_exe()?)
            .args(["mail-catcher", "--port", &port.to_string()])
            .args(["--server", &std::process::id().to_string()])
            .spawn()
            .context("could not start the mail catcher")?;
        server.env("PULSE_SMTP_URL", format!("smtp://127.0.0.1:{port}"));
        step(format_args!(
            "e-mail (sign-up links, invitations, resets) is printed here (no PULSE_SMTP_URL)"
        ));
    }
    if let Some(command) = localstripe {
        let stripe = LocalStripe::start(&command)?;
        stripe.configure(&mut server);
        step("billing through localstripe (PULSE_STRIPE=local): plans on sale, webhooks wired");
        let mut setup = ctx.cmd(&binary);
        setup.arg("stripe-setup").env("DATABASE_URL", &database_url);
        stripe.configure(&mut setup);
        run(&mut setup)?;
        stripe.send_webhooks_to(&command, &browsable(&bind))?;
    }
    step(format_args!(
        "ready in {:.1}s; starting the server (Ctrl-C stops it)",
        ctx.elapsed()
    ));
    println!("\n    Pulse is running at http://{}\n", browsable(&bind));
    let _ = std::io::stdout().flush();
    // Become the server: Ctrl-C reaches it directly, it shuts down gracefully, and its exit
    // code is ours. `exec` only returns on failure.
    let error = std::os::unix::process::CommandExt::exec(&mut server);
    Err(error).with_context(|| format!("could not start {}", binary.display()))
}

/// localstripe for `cargo xtask run`: on a port of its own, ended with the server (a
/// shell watches the server's process, which `run` becomes).
struct LocalStripe {
    port: u16,
}

impl LocalStripe {
    const SECRET_KEY: &str = "sk_test_local";
    const WEBHOOK_SECRET: &str = "whsec_local";

    fn start(command: &Path) -> anyhow::Result<Self> {
        let port = sh::free_port()?;
        let watch = format!(
            "{} --port {port} >/dev/null 2>&1 & child=$!; \
             while kill -0 {server} 2>/dev/null; do sleep 1; done; kill $child",
            command.display(),
            server = std::process::id(),
        );
        std::process::Command::new("sh")
            .args(["-c", &watch])
            .spawn()
            .context("could not start localstripe")?;
        let stripe = Self { port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(stripe);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        bail!("localstripe did not start on port {port}")
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's (or `pulse stripe-setup`'s) Stripe settings.
    fn configure(&self, command: &mut std::process::Command) {
        command
            .env("STRIPE_SECRET_KEY", Self::SECRET_KEY)
            .env("STRIPE_PUBLISHABLE_KEY", "pk_test_local")
            .env("STRIPE_WEBHOOK_SECRET", Self::WEBHOOK_SECRET)
            .env("PULSE_STRIPE_API_BASE", self.base())
            .env(
                "PULSE_STRIPE_JS_URL",
                format!("{}/js.stripe.com/v3/", self.base()),
            );
    }

    /// Sends localstripe's events to the server at `bind`, signed (through the Python
    /// of localstripe's own environment: no other HTTP client is needed).
    fn send_webhooks_to(&self, command: &Path, bind: &str) -> anyhow::Result<()> {
        let python = command.with_file_name("python");
        let script = format!(
            "import urllib.parse, urllib.request\n\
             data = urllib.parse.urlencode({{'url': 'http://{bind}/api/v1/stripe/webhook', 'secret': '{secret}'}}).encode()\n\
             request = urllib.request.Request('{base}/_config/webhooks/pulse', data)\n\
             request.add_header('Authorization', 'Bearer {key}')\n\
             urllib.request.urlopen(request)",
            secret = Self::WEBHOOK_SECRET,
            base = self.base(),
            key = Self::SECRET_KEY,
        );
        let status = std::process::Command::new(&python)
            .args(["-c", &script])
            .status()
            .with_context(|| format!("could not run {}", python.display()))?;
        if !status.success() {
            bail!("localstripe refused the webhook endpoint");
        }
        Ok(())
    }
}

fn stripe_setup(ctx: &mut Ctx) -> anyhow::Result<ExitCode> {
    if std::env::var_os("STRIPE_SECRET_KEY").is_none() {
        bail!(
            "set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (and PULSE_STRIPE_API_BASE for a test double)"
        );
    }
    let database_url = match Database::from_env() {
        Database::External(url) => url,
        Database::Local => {
            let server = postgres::ensure_installed(ctx)?;
            postgres::ensure_running(ctx, &server, Some("pulse"))?;
            postgres::local_url("pulse")
        }
    };
    step("building the backend (cargo build -p pulse-backend)");
    run(ctx.cargo().args(["build", "-p", "pulse-backend"]))?;
    let binary = target_dir(ctx)?.join("debug/pulse");
    run(ctx
        .cmd(&binary)
        .arg("stripe-setup")
        .env("DATABASE_URL", &database_url))?;
    Ok(ExitCode::SUCCESS)
}

fn test(ctx: &mut Ctx, args: &[OsString]) -> anyhow::Result<ExitCode> {
    let test_now = test_now()?;
    let Prepared {
        database_url,
        target_dir: target,
        localstripe,
        postgres_bin,
        schemathesis,
        axe,
    } = prepare(ctx, true, true, None)?;
    let screenshots = target.join("e2e-screenshots");
    std::fs::create_dir_all(&screenshots)
        .with_context(|| format!("creating {}", screenshots.display()))?;
    // Sizes are deterministic, so the weight is checked like a test; the tests still run.
    let budget = size::check_budget(&ctx.root.join("dist"));

    let mut cargo = ctx.cargo();
    // Every test binary runs even after a failure, so one run shows all that is broken.
    cargo.args(["test", "--no-fail-fast"]);
    if !selects_packages(args) {
        // The frontend's pure logic (formatting, validation, routing helpers) is unit
        // tested natively; its pages are tested in the browser by `e2e`.
        cargo.arg("--workspace");
    }
    cargo
        .args(args)
        .env("PULSE_TEST_DATABASE_URL", &database_url)
        .env("PULSE_DIST_DIR", ctx.root.join("dist"))
        .env("PULSE_SCREENSHOT_DIR", &screenshots)
        .env("PULSE_CHROMEDRIVER", install::CHROMEDRIVER)
        .env("PULSE_CHROMIUM", install::CHROMIUM);
    if let Some(localstripe) = &localstripe {
        cargo.env("PULSE_LOCALSTRIPE", localstripe);
    }
    if let Some(bin) = &postgres_bin {
        cargo.env("PULSE_TEST_PG_BINDIR", bin);
    }
    if let Some(schemathesis) = &schemathesis {
        cargo.env("PULSE_SCHEMATHESIS", schemathesis);
    }
    if let Some(axe) = &axe {
        cargo.env("PULSE_AXE", axe);
    }
    if let Some(at) = test_now {
        step(format_args!(
            "the servers of the API tests start their clocks at {at} (PULSE_TEST_NOW); \
             browser tests keep the system clock, which the browser reads"
        ));
    }
    if std::env::var_os("INSTA_UPDATE").is_none() {
        // A snapshot that differs fails its test and writes nothing (insta would
        // otherwise leave `.snap.new` files beside it outside CI). Review a change with
        // `cargo insta review`, or accept every one with `INSTA_UPDATE=always`.
        cargo.env("INSTA_UPDATE", "no");
    }
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // A failing test's anyhow error is clearer without a captured backtrace.
        cargo.env("RUST_LIB_BACKTRACE", "0");
    }
    step(format_args!(
        "{} (screenshots: {})",
        sh::describe(&cargo),
        screenshots.display()
    ));
    let status = cargo.status().context("could not start cargo test")?;
    if let Err(error) = &budget {
        step(format_args!("failed: {error:#}"));
    }
    if status.success() && budget.is_ok() {
        step(format_args!("all tests passed in {:.1}s", ctx.elapsed()));
        Ok(ExitCode::SUCCESS)
    } else {
        step(format_args!(
            "tests failed ({status}); screenshots in {}",
            screenshots.display()
        ));
        Ok(ExitCode::FAILURE)
    }
}

/// `PULSE_TEST_NOW`, checked before anything is built: the instant the test servers'
/// clocks start at (the tests read it themselves).
fn test_now() -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    match std::env::var("PULSE_TEST_NOW") {
        Ok(at) if !at.trim().is_empty() => chrono::DateTime::parse_from_rfc3339(at.trim())
            .map(|at| Some(at.to_utc()))
            .map_err(|_| {
                anyhow::anyhow!(
                    "PULSE_TEST_NOW={at} is not an RFC 3339 time such as 2028-02-29T23:59:00Z"
                )
            }),
        _ => Ok(None),
    }
}

fn db(ctx: &mut Ctx) -> anyhow::Result<ExitCode> {
    match Database::from_env() {
        Database::External(url) => println!("DATABASE_URL is set, nothing to start: {url}"),
        Database::Local => {
            let server = postgres::ensure_installed(ctx)?;
            postgres::ensure_running(ctx, &server, Some("pulse"))?;
            println!("export DATABASE_URL={}", postgres::local_url("pulse"));
            println!(
                "export PULSE_TEST_DATABASE_URL={}",
                postgres::local_url("postgres")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Cargo's target directory (respects `CARGO_TARGET_DIR` and config).
fn target_dir(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    let json = sh::capture(
        ctx.cargo()
            .args(["metadata", "--format-version", "1", "--no-deps"]),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&json).context("parsing cargo metadata")?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// Whether the user's `cargo test` arguments already choose packages.
fn selects_packages(args: &[OsString]) -> bool {
    args.iter()
        .map(|arg| arg.to_string_lossy())
        .take_while(|arg| arg != "--")
        .any(|arg| {
            arg == "-p"
                || arg.starts_with("--package")
                || arg == "--workspace"
                || arg == "--all"
                || (arg.starts_with("-p") && !arg.starts_with("--"))
        })
}

/// A bind address as a URL host: `0.0.0.0:8080` is browsed as `127.0.0.1:8080`.
fn browsable(bind: &str) -> String {
    bind.strip_prefix("0.0.0.0:")
        .map_or_else(|| bind.to_owned(), |port| format!("127.0.0.1:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn package_selection_replaces_the_default_workspace_run() {
        assert!(!selects_packages(&args(&[])));
        assert!(!selects_packages(&args(&["shell"])));
        assert!(selects_packages(&args(&["-p", "pulse-e2e"])));
        assert!(selects_packages(&args(&["-ppulse-e2e"])));
        assert!(selects_packages(&args(&["--package=pulse-e2e"])));
        assert!(!selects_packages(&args(&["--", "-p"])));
    }

    #[test]
    fn wildcard_binds_are_browsed_on_localhost() {
        assert_eq!(browsable("0.0.0.0:8080"), "127.0.0.1:8080");
        assert_eq!(browsable("127.0.0.1:9000"), "127.0.0.1:9000");
    }
}
