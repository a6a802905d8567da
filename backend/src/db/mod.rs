//! The database layer: the connection pool, embedded migrations, and (per area) row
//! structs and queries.

pub mod activity;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod erasure;
pub mod exports;
pub mod invitations;
pub mod password_resets;
pub mod people;
pub mod policies;
pub mod refresh_tokens;
pub mod schema;
pub mod screenshots;
pub mod signups;
pub mod teams;
pub mod webhooks;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use deadpool::managed::{Metrics, Object, Pool, RecycleResult};
use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use pulse_shared::ids::CompanyId;

use crate::config::Config;

/// The migrations in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Advisory lock key held while migrating, so that replicas starting together take turns.
const MIGRATION_LOCK_KEY: i64 = 0x7075_6c73_655f_6d67; // "pulse_mg"

pub type DbPool = Pool<Connections>;
pub type DbConn = Object<Connections>;
pub type PoolError = deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>;

/// Why the database could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection is available: {0}")]
    Pool(#[from] PoolError),
    #[error("database query failed: {0}")]
    Query(diesel::result::Error),
    /// Postgres stopped the statement or ended the session; the same request may well
    /// succeed a moment later.
    #[error("the database stopped the query ({0}): {1}")]
    Interrupted(Interrupted, diesel::result::Error),
    #[error("the database did not answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("migrations failed: {0}")]
    Migration(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        match Interrupted::of(&error) {
            Some(why) => Self::Interrupted(why, error),
            None => Self::Query(error),
        }
    }
}

/// Why Postgres stopped a statement, or ended a session, that was not at fault itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// `statement_timeout` (SQLSTATE 57014, `query_canceled`).
    #[error("statement timeout")]
    StatementTimeout,
    /// `lock_timeout` (55P03, `lock_not_available`).
    #[error("lock timeout")]
    LockTimeout,
    /// Cancelled otherwise: `pg_cancel_backend`, or a conflict with recovery on a replica.
    #[error("cancelled")]
    Cancelled,
    /// The session ended under the statement: `idle_in_transaction_session_timeout`
    /// (25P03), an administrator or a restart (57P01), or the connection was lost.
    #[error("session ended")]
    SessionEnded,
}

impl Interrupted {
    /// Tells an interruption from `error`. diesel-async keeps Postgres's message but not
    /// its SQLSTATE, so this reads the message as Postgres words it in English (the
    /// default `lc_messages`); tokio-postgres's own words name a lost connection.
    pub fn of(error: &diesel::result::Error) -> Option<Self> {
        use diesel::result::{DatabaseErrorKind, Error};
        let Error::DatabaseError(kind, info) = error else {
            return None;
        };
        let message = info.message();
        if let Some(reason) = message.strip_prefix("canceling statement due to ") {
            return Some(match reason {
                "statement timeout" => Self::StatementTimeout,
                "lock timeout" => Self::LockTimeout,
                _ => Self::Cancelled,
            });
        }
        let lost = *kind == DatabaseErrorKind::UnableToSendCommand
            && (message.starts_with("connection closed")
                || message.starts_with("error communicating with the server"));
        (lost || message.starts_with("terminating connection due to")).then_some(Self::SessionEnded)
    }
}

/// The database as the server reaches it, through two roles and a pool for each:
///
/// - [`Db::tenant`] lends a connection of `pulse_app`, the role every request acts as,
///   with the session's company (`pulse.company_id`) set to the authenticated
///   principal's: row-level security then shows and accepts that company's rows only,
///   whatever a query forgets to filter;
/// - [`Db::system`] lends a connection of `pulse_system`, whose policies pass every
///   company: for the background jobs, which work across companies, and for finding the
///   company a credential names before anyone is known.
///
/// The migrations' role owns the tables and is used only to migrate, to make and drop
/// partitions, and for backups ([`Db::owner`]).
#[derive(Clone)]
pub struct Db {
    app: DbPool,
    system: DbPool,
    owner_url: String,
    timeout: Duration,
}

impl Db {
    /// Builds both pools. No connection is opened until one is needed, so the server
    /// starts (and `/readyz` answers 503) even while the database is down.
    pub fn connect(config: &Config) -> anyhow::Result<Self> {
        let settings = session_settings(config);
        Ok(Self {
            app: pool(config, &config.app_database_url, &settings)?,
            system: pool(config, &config.system_database_url, &settings)?,
            owner_url: config.database_url.clone(),
            timeout: config.db_timeout,
        })
    }

    /// A connection that sees and writes `company`'s rows only.
    pub async fn tenant(&self, company: CompanyId) -> Result<DbConn, DbError> {
        let mut conn = self.app.get().await?;
        conn.act_for(company).await?;
        Ok(conn)
    }

    /// A connection for work across companies, as `pulse_system`.
    pub async fn system(&self) -> Result<DbConn, DbError> {
        Ok(self.system.get().await?)
    }

    /// A connection of the tables' owner, opened for the occasion: for changing the
    /// schema (partitions), never for rows.
    pub async fn owner(&self) -> Result<AsyncPgConnection, DbError> {
        use diesel_async::AsyncConnection;
        let open = AsyncPgConnection::establish(&self.owner_url);
        let mut conn = tokio::time::timeout(self.timeout, open)
            .await
            .map_err(|_| DbError::Timeout(self.timeout))??;
        conn.batch_execute("SET jit = off").await?;
        Ok(conn)
    }

    /// One round trip to the database as the requests' role, bounded by `timeout`;
    /// returns how long it took.
    pub async fn ping(&self, timeout: Duration) -> Result<Duration, DbError> {
        let started = Instant::now();
        let check = async {
            let mut conn = self.app.get().await?;
            diesel::sql_query("SELECT 1").execute(&mut conn).await?;
            Ok::<_, DbError>(())
        };
        tokio::time::timeout(timeout, check)
            .await
            .map_err(|_| DbError::Timeout(timeout))??;
        Ok(started.elapsed())
    }
}

fn pool(config: &Config, url: &str, settings: &str) -> anyhow::Result<DbPool> {
    let mut manager_config = ManagerConfig::default();
    manager_config.recycling_method = RecyclingMethod::Verified;
    let manager = Connections {
        manager: AsyncDieselConnectionManager::new_with_config(url, manager_config),
        settings: settings.to_owned(),
    };
    let pool = Pool::builder(manager)
        .max_size(config.db_pool_size)
        // The connection lent last is lent first, so it is more often one already
        // acting for the same company (and one that needs no check).
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .wait_timeout(Some(config.db_timeout))
        .create_timeout(Some(config.db_timeout))
        .recycle_timeout(Some(config.db_timeout))
        .runtime(deadpool_runtime())
        .build()?;
    Ok(pool)
}

/// A connection lent out again within this long of its last loan is not checked with
/// a round trip first.
const TRUSTED_FOR: Duration = Duration::from_secs(5);

/// The settings of every pool connection, run once when it is opened:
///
/// - no JIT compilation: requests are short and many, and compiling a plan to machine
///   code costs more than it saves below seconds of work (a year's report paid some
///   60 ms for it);
/// - `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` from
///   the configuration, so no request runs, waits or holds its locks without bound
///   (a cancelled statement answers 503, see [`crate::errors`]). Background jobs that
///   work through a backlog lift the first two for their own transactions
///   ([`crate::worker::allow_long_statements`]).
fn session_settings(config: &Config) -> String {
    format!(
        "SET jit = off; SET statement_timeout = {}; SET lock_timeout = {}; \
         SET idle_in_transaction_session_timeout = {}",
        config.db_statement_timeout.as_millis(),
        config.db_lock_timeout.as_millis(),
        config.db_idle_in_transaction_timeout.as_millis(),
    )
}

/// A pooled connection and the company its session acts for.
pub struct PgConn {
    conn: AsyncPgConnection,
    /// The company `pulse.company_id` names, as last set by [`PgConn::act_for`].
    company: Option<CompanyId>,
}

impl PgConn {
    /// Sets the session's company, unless it already is `company`. The setting is the
    /// session's (not a transaction's), made outside any transaction so no rollback can
    /// undo it, and every loan of a `pulse_app` connection makes it before its first
    /// query, so no loan acts for the company of the one before.
    async fn act_for(&mut self, company: CompanyId) -> Result<(), DbError> {
        if self.company == Some(company) {
            return Ok(());
        }
        self.company = None;
        diesel::sql_query("SELECT set_config('pulse.company_id', $1, false)")
            .bind::<diesel::sql_types::Text, _>(company.0.to_string())
            .execute(&mut self.conn)
            .await?;
        self.company = Some(company);
        Ok(())
    }
}

impl std::ops::Deref for PgConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        &mut self.conn
    }
}

/// The pool's connections: opened by diesel-async's manager with [`session_settings`],
/// and checked before each loan. A connection that was idle for [`TRUSTED_FOR`] or more
/// is checked with a round trip (`SELECT 1`), so one that died while Postgres restarted
/// is replaced instead of failing a request; a busy one only for a closed socket or a
/// broken transaction, which spares the round trip that would otherwise precede every
/// query under load.
pub struct Connections {
    manager: AsyncDieselConnectionManager<AsyncPgConnection>,
    settings: String,
}

impl deadpool::managed::Manager for Connections {
    type Type = PgConn;
    type Error = diesel_async::pooled_connection::PoolError;

    async fn create(&self) -> Result<PgConn, Self::Error> {
        let mut conn = self.manager.create().await?;
        conn.batch_execute(&self.settings)
            .await
            .map_err(diesel_async::pooled_connection::PoolError::QueryError)?;
        Ok(PgConn {
            conn,
            company: None,
        })
    }

    async fn recycle(&self, conn: &mut PgConn, metrics: &Metrics) -> RecycleResult<Self::Error> {
        if metrics.last_used() < TRUSTED_FOR && !conn.conn.is_broken() {
            return Ok(());
        }
        self.manager.recycle(&mut conn.conn, metrics).await
    }
}

// Timeouts need a runtime to measure them with.
fn deadpool_runtime() -> deadpool::Runtime {
    deadpool::Runtime::Tokio1
}

/// Applies every pending migration, holding an advisory lock so that replicas starting
/// at the same time do not race. Returns the versions applied by this call.
pub async fn migrate(database_url: &str) -> Result<Vec<String>, DbError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        let lock = diesel::sql_query("SELECT pg_advisory_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY);
        diesel::RunQueryDsl::execute(lock, &mut conn)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| DbError::Migration(error.to_string()));
        // Closing the connection releases the lock too; unlocking first keeps it short.
        let unlock = diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK_KEY);
        diesel::RunQueryDsl::execute(unlock, &mut conn)?;
        applied
    })
    .await
    .map_err(|error| DbError::Migration(error.to_string()))?
}

/// An `ILIKE` pattern matching `text` anywhere, its wildcards taken literally.
pub fn contains_pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// One applied migration, as diesel records it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = schema::__diesel_schema_migrations)]
pub struct AppliedMigration {
    pub version: String,
    pub run_on: chrono::NaiveDateTime,
}

impl From<AppliedMigration> for pulse_shared::system::MigrationInfo {
    fn from(row: AppliedMigration) -> Self {
        Self {
            version: row.version,
            run_on: DateTime::<Utc>::from_naive_utc_and_offset(row.run_on, Utc),
        }
    }
}

/// The migrations applied to this database, newest first.
pub async fn applied_migrations(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<AppliedMigration>, DbError> {
    use schema::__diesel_schema_migrations::dsl;
    Ok(dsl::__diesel_schema_migrations
        .select(AppliedMigration::as_select())
        .order(dsl::version.desc())
        .load(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn interruptions_are_told_from_their_messages() {
        let database =
            |kind, message: &str| Error::DatabaseError(kind, Box::new(message.to_owned()));
        let unknown = DatabaseErrorKind::Unknown;
        let cases = [
            (
                database(unknown, "canceling statement due to statement timeout"),
                Some(Interrupted::StatementTimeout),
            ),
            (
                database(unknown, "canceling statement due to lock timeout"),
                Some(Interrupted::LockTimeout),
            ),
            (
                database(unknown, "canceling statement due to user request"),
                Some(Interrupted::Cancelled),
            ),
            (
                database(
                    unknown,
                    "terminating connection due to idle-in-transaction timeout",
                ),
                Some(Interrupted::SessionEnded),
            ),
            (
                database(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
                Some(Interrupted::SessionEnded),
            ),
            (
                database(
                    DatabaseErrorKind::UniqueViolation,
                    "duplicate key value violates unique constraint",
                ),
                None,
            ),
            (
                database(unknown, "relation \"missing\" does not exist"),
                None,
            ),
            (Error::NotFound, None),
        ];
        for (error, expected) in cases {
            assert_eq!(Interrupted::of(&error), expected, "{error}");
        }
    }
}
