//! Typed configuration, read once from environment variables at start.
//!
//! Every variable has one parser; a bad value is reported as one line that names the
//! variable, and the process exits without a panic trace.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::auth::rate_limit::TrustedProxies;
use crate::clock::Clock;

/// Everything the server needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: the Postgres database to use (required), as the role that owns
    /// its tables: it runs the migrations, makes partitions and takes backups.
    pub database_url: String,
    /// `PULSE_APP_DATABASE_URL`: the same database as `pulse_app`, the role requests act
    /// as under row-level security (default: `DATABASE_URL` with user `pulse_app` and
    /// no password, for local trust or peer authentication).
    pub app_database_url: String,
    /// `PULSE_SYSTEM_DATABASE_URL`: the same database as `pulse_system`, the role of the
    /// work across companies (default: `DATABASE_URL` with user `pulse_system`).
    pub system_database_url: String,
    /// `PULSE_BIND`: the address to listen on (default `127.0.0.1:8080`).
    pub bind: SocketAddr,
    /// `PULSE_DIST_DIR`: the SPA built by trunk (default `dist`).
    pub dist_dir: PathBuf,
    /// `PULSE_DB_POOL_SIZE`: the most database connections this process opens per role
    /// (default 16).
    pub db_pool_size: usize,
    /// `PULSE_DB_TIMEOUT_MS`: how long to wait for a database connection (default 1000 ms).
    pub db_timeout: Duration,
    /// `PULSE_DB_STATEMENT_TIMEOUT_MS`: the longest one statement of the server may run
    /// before Postgres cancels it and the request answers 503 (default 10 s). Background
    /// jobs that work through a backlog lift it for their own transactions.
    pub db_statement_timeout: Duration,
    /// `PULSE_DB_LOCK_TIMEOUT_MS`: the longest a statement waits for a lock (default 5 s).
    pub db_lock_timeout: Duration,
    /// `PULSE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS`: how long a transaction may sit between
    /// statements before Postgres ends its session, releasing its locks (default 60 s).
    pub db_idle_in_transaction_timeout: Duration,
    /// `PULSE_WORKERS`: HTTP worker threads (default: one per core).
    pub workers: Option<usize>,
    /// `PULSE_MAX_BODY_BYTES`: the largest JSON body accepted (default 1 MiB).
    pub max_body_bytes: usize,
    /// `PULSE_DATA_DIR`: where the server keeps generated local secrets (default `.pulse/data`).
    pub data_dir: PathBuf,
    /// `PULSE_JWT_SECRET`: the key that signs access tokens, at least 32 characters. When
    /// unset, a random key is generated once into `PULSE_DATA_DIR/jwt.key`.
    pub jwt_secret: Option<String>,
    /// `PULSE_TRUSTED_PROXIES`: addresses and networks (`10.0.0.0/8, ::1`) of the proxies
    /// in front of the server, whose `X-Forwarded-For` names the client (default: none,
    /// the peer is the client).
    pub trusted_proxies: TrustedProxies,
    /// `PULSE_PUBLIC_URL`: the address people reach the app at, for links in invitations
    /// and to decide whether cookies need `Secure` (default `http://` + `PULSE_BIND`).
    pub public_url: String,
    /// `PULSE_SMTP_URL`: where e-mail goes, e.g. `smtp://user:pass@mail.example.com:587`;
    /// unset, messages are written to the log.
    pub smtp_url: Option<String>,
    /// `PULSE_MAIL_FROM`: the sender of e-mail (default `Pulse <no-reply@localhost>`).
    pub mail_from: String,
    /// Stripe, when `STRIPE_SECRET_KEY` is set; without it billing is off and every
    /// company stays on its plan.
    pub stripe: Option<StripeConfig>,
    /// `PULSE_PLANS`: changes to the plans the migration seeded, as JSON keyed by plan
    /// id, e.g. `{"pro": {"monthly_price_cents": 3900, "seat_limit": 60}}` (fields:
    /// `name`, `monthly_price_cents`, `seat_limit` (`null`: no limit), `features`,
    /// `stripe_price_id`); applied when the server starts.
    pub plans: std::collections::BTreeMap<
        pulse_shared::billing::PlanId,
        crate::billing::plans::PlanOverride,
    >,
    /// `PULSE_WEBHOOKS_ALLOW_PRIVATE`: `true` lets webhook endpoints use plain `http://`
    /// and loopback, private, link-local and metadata addresses. For local testing only
    /// (default `false`).
    pub webhooks_allow_private: bool,
    /// `PULSE_WEBHOOK_RETRY_BASE_MS`: the wait before the second attempt of a failed
    /// webhook delivery; each later wait doubles, with jitter, up to an hour (default 30 s).
    pub webhook_retry_base: Duration,
    /// `PULSE_OUTBOX_POLL_MS`: how often each replica looks for due webhook deliveries and
    /// alert emails when nothing wakes it sooner (default 1000 ms).
    pub outbox_poll: Duration,
    /// `PULSE_SSE_HEARTBEAT_SECS`: the interval of keep-alive comments on alert streams
    /// (default 15 s).
    pub sse_heartbeat: Duration,
    /// `PULSE_MAX_STREAMS`: alert streams one replica holds open at most (default 20,000).
    pub max_streams: usize,
    /// `PULSE_MAX_STREAMS_PER_PERSON`: alert streams one person may hold open on one
    /// replica (default 20: tabs and devices).
    pub max_streams_per_person: usize,
    /// `PULSE_PRESENCE_EVERY_SECS`: how often agents' presence (online, offline, missing)
    /// is recomputed and its alerts raised (default 10 s).
    pub presence_every: Duration,
    /// `PULSE_SEEN_FLUSH_MS`: how often coalesced heartbeats are written (default 2 s).
    pub seen_flush: Duration,
    /// `PULSE_SESSIONS_EVERY_MS`: how often stored activity is folded into work sessions
    /// (default 1 s).
    pub sessions_every: Duration,
    /// `PULSE_RETENTION_EVERY_SECS`: how often expired activity and screenshots are
    /// deleted (default hourly).
    pub retention_every: Duration,
    /// `PULSE_EXPORTS_EVERY_MS`: how often a replica looks for data exports to build
    /// (default 5 s); the replica a request reaches starts at once.
    pub exports_every: Duration,
    /// `PULSE_SCREENSHOT_QUOTA_GB`: the most screenshot bytes one company may store
    /// (default 50 GB); past it, uploads are refused until retention or deletions free
    /// room.
    pub screenshot_quota_bytes: i64,
    /// `PULSE_DELETION_GRACE_DAYS`: how long a deleted person, with their activity and
    /// screenshots, is kept so that an owner can restore them, and how long a lowered
    /// retention waits before it deletes anything (default 7 days).
    pub deletion_grace: chrono::Duration,
    /// `PULSE_OBJECT_STORE`: where screenshots are stored: a directory (default
    /// `.pulse/objects`) or `s3://bucket[/prefix]`, with credentials, region and endpoint
    /// from the standard `AWS_*` variables.
    pub object_store: ObjectStoreConfig,
    /// `PULSE_LOG`: the tracing filter (default `info`).
    pub log_filter: String,
    /// `PULSE_LOG_FORMAT`: `text` or `json` (default `text`).
    pub log_format: LogFormat,
    /// What "now" is: the system clock. Not read from the environment; tests start it
    /// at an instant of their choosing.
    pub clock: Clock,
}

/// Where objects (screenshots) are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectStoreConfig {
    /// A directory of the local file system.
    Local(PathBuf),
    /// An S3 bucket (or an S3-compatible service named by `AWS_ENDPOINT`), with keys
    /// under `prefix` (empty: the bucket's root).
    S3 { bucket: String, prefix: String },
}

impl ObjectStoreConfig {
    fn parse(value: &str) -> Result<Self, String> {
        if let Some(rest) = value.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            if !valid_bucket {
                return Err("must name a bucket: s3://bucket or s3://bucket/prefix".into());
            }
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if value.contains("://") {
            return Err("must be a directory or s3://bucket/prefix".into());
        }
        Ok(Self::Local(PathBuf::from(value)))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A variable that is missing or cannot be understood.
/// How Pulse reaches Stripe (or a test double of it).
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY`: the API key (`sk_…`).
    pub secret_key: String,
    /// `STRIPE_PUBLISHABLE_KEY`: the key Stripe.js uses in the browser (`pk_…`).
    pub publishable_key: String,
    /// `STRIPE_WEBHOOK_SECRET`: the secret Stripe signs webhook events with (`whsec_…`).
    pub webhook_secret: String,
    /// `PULSE_STRIPE_API_BASE`: where the API is (default `https://api.stripe.com`).
    pub api_base: String,
    /// `PULSE_STRIPE_JS_URL`: where Stripe.js is loaded from (default
    /// `https://js.stripe.com/v3/`); the page's CSP admits its origin.
    pub js_url: String,
    /// `PULSE_BILLING_GRACE_DAYS`: how long a company keeps its paid plan while a
    /// payment is overdue before it falls back to Free (default 7 days).
    pub grace: chrono::TimeDelta,
}

impl StripeConfig {
    /// `None` without `STRIPE_SECRET_KEY`; with it, the other two keys are required.
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let Some(secret_key) = get("STRIPE_SECRET_KEY") else {
            return Ok(None);
        };
        let required = |variable: &'static str| {
            get(variable).ok_or(ConfigError {
                variable,
                message: "is required when STRIPE_SECRET_KEY is set".into(),
            })
        };
        let url = |variable: &'static str, default: &str| {
            let value = get(variable).unwrap_or_else(|| default.to_owned());
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(value.trim_end_matches('/').to_owned())
            } else {
                Err(ConfigError {
                    variable,
                    message: "must be an http:// or https:// URL".into(),
                })
            }
        };
        Ok(Some(Self {
            secret_key,
            publishable_key: required("STRIPE_PUBLISHABLE_KEY")?,
            webhook_secret: required("STRIPE_WEBHOOK_SECRET")?,
            api_base: url("PULSE_STRIPE_API_BASE", "https://api.stripe.com")?,
            js_url: url("PULSE_STRIPE_JS_URL", "https://js.stripe.com/v3")? + "/",
            grace: match get("PULSE_BILLING_GRACE_DAYS") {
                None => chrono::TimeDelta::days(7),
                Some(days) => days
                    .parse::<u16>()
                    .ok()
                    .filter(|days| *days <= 365)
                    .map(|days| chrono::TimeDelta::days(i64::from(days)))
                    .ok_or(ConfigError {
                        variable: "PULSE_BILLING_GRACE_DAYS",
                        message: "must be a number of days from 0 to 365".into(),
                    })?,
            },
        }))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Points the server at the database of `url` (in tests, one behind a proxy), as
    /// its owner and, derived from it, as `pulse_app` and `pulse_system`.
    pub fn set_database_url(&mut self, url: String) -> Result<(), ConfigError> {
        let none = |_: &str| None;
        self.app_database_url = role_url(&none, "PULSE_APP_DATABASE_URL", &url, "pulse_app")?;
        self.system_database_url =
            role_url(&none, "PULSE_SYSTEM_DATABASE_URL", &url, "pulse_system")?;
        self.database_url = url;
        Ok(())
    }

    /// Reads the configuration through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = get("DATABASE_URL").ok_or(ConfigError {
            variable: "DATABASE_URL",
            message: "is not set; give a Postgres URL such as postgres://user@127.0.0.1:5432/pulse"
                .into(),
        })?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                message: "must start with postgres:// or postgresql://".into(),
            });
        }
        let app_database_url =
            role_url(&get, "PULSE_APP_DATABASE_URL", &database_url, "pulse_app")?;
        let system_database_url = role_url(
            &get,
            "PULSE_SYSTEM_DATABASE_URL",
            &database_url,
            "pulse_system",
        )?;
        let bind = parse(&get, "PULSE_BIND", "127.0.0.1:8080".parse().ok(), |v| {
            v.parse::<SocketAddr>()
                .map_err(|_| "must be an address and port such as 127.0.0.1:8080".into())
        })?;
        let jwt_secret = get("PULSE_JWT_SECRET");
        if jwt_secret.as_ref().is_some_and(|secret| secret.len() < 32) {
            return Err(ConfigError {
                variable: "PULSE_JWT_SECRET",
                message: "must be at least 32 characters".into(),
            });
        }
        let public_url = parse(
            &get,
            "PULSE_PUBLIC_URL",
            Some(format!("http://{bind}")),
            |v| {
                if v.starts_with("http://") || v.starts_with("https://") {
                    Ok(v.trim_end_matches('/').to_owned())
                } else {
                    Err("must start with http:// or https://".into())
                }
            },
        )?;
        Ok(Self {
            database_url,
            app_database_url,
            system_database_url,
            bind,
            data_dir: get("PULSE_DATA_DIR")
                .map_or_else(|| PathBuf::from(".pulse/data"), PathBuf::from),
            jwt_secret,
            public_url,
            smtp_url: match get("PULSE_SMTP_URL") {
                Some(url) if !(url.starts_with("smtp://") || url.starts_with("smtps://")) => {
                    return Err(ConfigError {
                        variable: "PULSE_SMTP_URL",
                        message: "must start with smtp:// or smtps://".into(),
                    });
                }
                url => url,
            },
            mail_from: get("PULSE_MAIL_FROM")
                .unwrap_or_else(|| "Pulse <no-reply@localhost>".into()),
            stripe: StripeConfig::from_lookup(&get)?,
            plans: match get("PULSE_PLANS") {
                None => std::collections::BTreeMap::new(),
                Some(json) => serde_json::from_str(&json).map_err(|error| ConfigError {
                    variable: "PULSE_PLANS",
                    message: format!(
                        "must be a JSON object of plan changes keyed by plan id: {error}"
                    ),
                })?,
            },
            dist_dir: get("PULSE_DIST_DIR").map_or_else(|| PathBuf::from("dist"), PathBuf::from),
            db_pool_size: parse(&get, "PULSE_DB_POOL_SIZE", Some(16), |v| {
                bounded(v, 1, 1000)
            })?,
            db_timeout: Duration::from_millis(parse(
                &get,
                "PULSE_DB_TIMEOUT_MS",
                Some(1000),
                |v| bounded(v, 50, 60_000).map(|ms| ms as u64),
            )?),
            db_statement_timeout: millis(&get, "PULSE_DB_STATEMENT_TIMEOUT_MS", 10_000, 10)?,
            db_lock_timeout: millis(&get, "PULSE_DB_LOCK_TIMEOUT_MS", 5_000, 10)?,
            db_idle_in_transaction_timeout: millis(
                &get,
                "PULSE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                60_000,
                1000,
            )?,
            workers: parse(&get, "PULSE_WORKERS", Some(None), |v| {
                bounded(v, 1, 256).map(Some)
            })?,
            max_body_bytes: parse(&get, "PULSE_MAX_BODY_BYTES", Some(1024 * 1024), |v| {
                bounded(v, 1024, 64 * 1024 * 1024)
            })?,
            webhooks_allow_private: parse(
                &get,
                "PULSE_WEBHOOKS_ALLOW_PRIVATE",
                Some(false),
                |v| match v {
                    "true" | "1" => Ok(true),
                    "false" | "0" => Ok(false),
                    _ => Err("must be true or false".into()),
                },
            )?,
            webhook_retry_base: millis(&get, "PULSE_WEBHOOK_RETRY_BASE_MS", 30_000, 10)?,
            outbox_poll: millis(&get, "PULSE_OUTBOX_POLL_MS", 1000, 10)?,
            sse_heartbeat: Duration::from_secs(parse(
                &get,
                "PULSE_SSE_HEARTBEAT_SECS",
                Some(15),
                |v| bounded(v, 1, 300).map(|secs| secs as u64),
            )?),
            trusted_proxies: parse(
                &get,
                "PULSE_TRUSTED_PROXIES",
                Some(TrustedProxies::default()),
                TrustedProxies::parse,
            )?,
            max_streams: parse(&get, "PULSE_MAX_STREAMS", Some(20_000), |v| {
                bounded(v, 1, 1_000_000)
            })?,
            max_streams_per_person: parse(&get, "PULSE_MAX_STREAMS_PER_PERSON", Some(20), |v| {
                bounded(v, 1, 1_000_000)
            })?,
            presence_every: Duration::from_secs(parse(
                &get,
                "PULSE_PRESENCE_EVERY_SECS",
                Some(10),
                |v| bounded(v, 1, 3600).map(|secs| secs as u64),
            )?),
            object_store: parse(
                &get,
                "PULSE_OBJECT_STORE",
                Some(ObjectStoreConfig::Local(PathBuf::from(".pulse/objects"))),
                ObjectStoreConfig::parse,
            )?,
            seen_flush: millis(&get, "PULSE_SEEN_FLUSH_MS", 2000, 10)?,
            sessions_every: millis(&get, "PULSE_SESSIONS_EVERY_MS", 1000, 10)?,
            exports_every: millis(&get, "PULSE_EXPORTS_EVERY_MS", 5000, 10)?,
            screenshot_quota_bytes: parse(
                &get,
                "PULSE_SCREENSHOT_QUOTA_GB",
                Some(50_000_000_000),
                |v| bounded(v, 1, 1_000_000).map(|gb| gb as i64 * 1_000_000_000),
            )?,
            deletion_grace: chrono::Duration::days(parse(
                &get,
                "PULSE_DELETION_GRACE_DAYS",
                Some(7),
                |v| bounded(v, 1, 365).map(|days| days as i64),
            )?),
            retention_every: Duration::from_secs(parse(
                &get,
                "PULSE_RETENTION_EVERY_SECS",
                Some(3600),
                |v| bounded(v, 1, 86_400).map(|secs| secs as u64),
            )?),
            log_filter: get("PULSE_LOG").unwrap_or_else(|| "info".into()),
            log_format: parse(
                &get,
                "PULSE_LOG_FORMAT",
                Some(LogFormat::Text),
                |v| match v {
                    "text" => Ok(LogFormat::Text),
                    "json" => Ok(LogFormat::Json),
                    _ => Err("must be text or json".into()),
                },
            )?,
            clock: Clock::system(),
        })
    }
}

/// Parses one variable, falling back to `default` when it is unset.
fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: Option<T>,
    parser: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(variable) {
        Some(value) => parser(value.trim()).map_err(|message| ConfigError {
            variable,
            message: format!("{message} (got {value:?})"),
        }),
        None => default.ok_or(ConfigError {
            variable,
            message: "is not set".into(),
        }),
    }
}

/// A duration in milliseconds, from `min` to an hour.
/// `variable`, else `database_url` with `role` as its user and no password.
fn role_url(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    database_url: &str,
    role: &str,
) -> Result<String, ConfigError> {
    if let Some(url) = get(variable) {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError {
                variable,
                message: "must start with postgres:// or postgresql://".into(),
            });
        }
        return Ok(url);
    }
    let mut url = url::Url::parse(database_url).map_err(|error| ConfigError {
        variable: "DATABASE_URL",
        message: format!("is not a URL: {error}"),
    })?;
    if url.set_username(role).is_err() || url.set_password(None).is_err() {
        return Err(ConfigError {
            variable: "DATABASE_URL",
            message: format!("names no server to reach as {role}; set {variable}"),
        });
    }
    Ok(url.into())
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    min: usize,
) -> Result<Duration, ConfigError> {
    parse(get, variable, Some(Duration::from_millis(default)), |v| {
        bounded(v, min, 3_600_000).map(|ms| Duration::from_millis(ms as u64))
    })
}

fn bounded(value: &str, min: usize, max: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const DB: (&str, &str) = ("DATABASE_URL", "postgres://u@localhost/pulse");

    #[test]
    fn defaults_apply_when_only_the_database_is_given() {
        let config = config(&[DB]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.dist_dir, PathBuf::from("dist"));
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.workers, None);
        assert_eq!(
            config.object_store,
            ObjectStoreConfig::Local(PathBuf::from(".pulse/objects"))
        );
        assert_eq!(config.screenshot_quota_bytes, 50_000_000_000);
        assert_eq!(config.deletion_grace, chrono::Duration::days(7));
        assert_eq!(config.db_statement_timeout, Duration::from_secs(10));
        assert_eq!(config.db_lock_timeout, Duration::from_secs(5));
        assert_eq!(
            config.db_idle_in_transaction_timeout,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn object_stores_are_directories_or_s3_buckets() {
        let cases = [
            (
                "/var/lib/pulse",
                ObjectStoreConfig::Local("/var/lib/pulse".into()),
            ),
            (
                "s3://pulse-shots",
                ObjectStoreConfig::S3 {
                    bucket: "pulse-shots".into(),
                    prefix: String::new(),
                },
            ),
            (
                "s3://pulse-shots/prod/eu/",
                ObjectStoreConfig::S3 {
                    bucket: "pulse-shots".into(),
                    prefix: "prod/eu".into(),
                },
            ),
        ];
        for (value, expected) in cases {
            let config = config(&[DB, ("PULSE_OBJECT_STORE", value)]).unwrap();
            assert_eq!(config.object_store, expected, "{value}");
        }
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "DATABASE_URL"),
            (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
            (&[DB, ("PULSE_BIND", "8080")], "PULSE_BIND"),
            (&[DB, ("PULSE_BIND", "127.0.0.1:99999")], "PULSE_BIND"),
            (&[DB, ("PULSE_DB_POOL_SIZE", "0")], "PULSE_DB_POOL_SIZE"),
            (
                &[DB, ("PULSE_DB_TIMEOUT_MS", "soon")],
                "PULSE_DB_TIMEOUT_MS",
            ),
            (
                &[DB, ("PULSE_DB_STATEMENT_TIMEOUT_MS", "0")],
                "PULSE_DB_STATEMENT_TIMEOUT_MS",
            ),
            (
                &[DB, ("PULSE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "10")],
                "PULSE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS",
            ),
            (&[DB, ("PULSE_WORKERS", "-1")], "PULSE_WORKERS"),
            (&[DB, ("PULSE_MAX_BODY_BYTES", "1")], "PULSE_MAX_BODY_BYTES"),
            (&[DB, ("PULSE_LOG_FORMAT", "xml")], "PULSE_LOG_FORMAT"),
            (&[DB, ("PULSE_OBJECT_STORE", "s3://")], "PULSE_OBJECT_STORE"),
            (
                &[DB, ("PULSE_OBJECT_STORE", "gs://bucket")],
                "PULSE_OBJECT_STORE",
            ),
            (
                &[DB, ("PULSE_RETENTION_EVERY_SECS", "0")],
                "PULSE_RETENTION_EVERY_SECS",
            ),
            (&[DB, ("PULSE_JWT_SECRET", "short")], "PULSE_JWT_SECRET"),
            (
                &[DB, ("PULSE_PUBLIC_URL", "pulse.example.com")],
                "PULSE_PUBLIC_URL",
            ),
            (
                &[DB, ("PULSE_PLANS", r#"{"gold": {"seat_limit": 9}}"#)],
                "PULSE_PLANS",
            ),
            (
                &[DB, ("PULSE_PLANS", r#"{"pro": {"seats": 9}}"#)],
                "PULSE_PLANS",
            ),
            (
                &[
                    DB,
                    ("STRIPE_SECRET_KEY", "sk_x"),
                    ("STRIPE_PUBLISHABLE_KEY", "pk_x"),
                    ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
                    ("PULSE_BILLING_GRACE_DAYS", "a week"),
                ],
                "PULSE_BILLING_GRACE_DAYS",
            ),
            (
                &[DB, ("STRIPE_SECRET_KEY", "sk_x")],
                "STRIPE_PUBLISHABLE_KEY",
            ),
        ];
        for (vars, variable) in cases {
            let error = config(vars).unwrap_err();
            assert_eq!(error.variable, *variable, "{vars:?}");
            assert!(error.to_string().starts_with(variable), "{error}");
        }
    }

    #[test]
    fn given_values_are_used() {
        let config = config(&[
            DB,
            ("PULSE_BIND", "0.0.0.0:9000"),
            ("PULSE_WORKERS", "3"),
            ("PULSE_LOG_FORMAT", "json"),
            ("PULSE_SCREENSHOT_QUOTA_GB", "2"),
            ("PULSE_DELETION_GRACE_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.screenshot_quota_bytes, 2_000_000_000);
        assert_eq!(config.deletion_grace, chrono::Duration::days(30));
        assert_eq!(config.workers, Some(3));
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn plans_are_changed_field_by_field_and_null_seats_mean_no_limit() {
        use crate::billing::plans::PlanOverride;
        use pulse_shared::billing::PlanId;
        let config = config(&[
            DB,
            (
                "PULSE_PLANS",
                r#"{"pro": {"monthly_price_cents": 3900, "seat_limit": null}, "free": {"seat_limit": 3}}"#,
            ),
        ])
        .unwrap();
        assert_eq!(
            config.plans.get(&PlanId::Pro),
            Some(&PlanOverride {
                monthly_price_cents: Some(3900),
                seat_limit: Some(None),
                ..PlanOverride::default()
            })
        );
        assert_eq!(config.plans[&PlanId::Free].seat_limit, Some(Some(3)));
        assert!(config.plans[&PlanId::Free].name.is_none());
    }
}
