//! The test harness shared by the API tests (`backend/tests/`) and the browser tests
//! (`e2e/`): a fresh database per test, cloned from a migrated template, and the real
//! application served over HTTP on a free port.
//!
//! The server to use comes from `PULSE_TEST_DATABASE_URL` (or `DATABASE_URL`): a URL
//! whose role may create databases. `cargo xtask test` sets it.
//!
//! Each app's clock starts at `PULSE_TEST_NOW` (RFC 3339) when it is set, so the whole
//! suite can be run as if on another day: `PULSE_TEST_NOW=2028-02-29T23:59:00Z cargo
//! xtask test`. Tests ask the app for the time ([`TestApp::now`]), never the system.
//!
//! [`TcpProxy`] stands between a client and a server and can play dead, for fault tests.

mod proxy;

pub use proxy::TcpProxy;

use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::config::Config;
use crate::db;

/// Serialises template creation across test processes.
const TEMPLATE_LOCK_KEY: i64 = 0x7075_6c73_655f_7470; // "pulse_tp"

static TEMPLATE: OnceLock<String> = OnceLock::new();

/// A database of its own for one test, dropped with it.
pub struct TestDb {
    pub url: String,
    name: String,
    admin_url: String,
}

impl TestDb {
    /// Creates an empty, migrated database by cloning the template (which is built
    /// once per migration set and reused across runs).
    pub async fn new() -> anyhow::Result<Self> {
        let admin_url = admin_url()?;
        let template = ensure_template(&admin_url).await?;
        Self::create(admin_url, Some(&template)).await
    }

    /// Creates a migrated database on the server of `admin_url` (a cluster of a test's
    /// own, say), removed with it.
    pub async fn migrated_on(admin_url: &str) -> anyhow::Result<Self> {
        let db = Self::create(admin_url.to_owned(), None).await?;
        crate::db::migrate(&db.url).await?;
        Ok(db)
    }

    /// Creates an empty database (no migrations, no tables), for a restore to fill.
    pub async fn empty() -> anyhow::Result<Self> {
        Self::create(admin_url()?, None).await
    }

    async fn create(admin_url: String, template: Option<&str>) -> anyhow::Result<Self> {
        let name = format!("pulse_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .with_context(|| {
                format!("cannot connect to the test database server at {admin_url}")
            })?;
        let from = template.map_or(String::new(), |template| {
            format!(r#" TEMPLATE "{template}""#)
        });
        admin
            .batch_execute(&format!(r#"CREATE DATABASE "{name}"{from}"#))
            .await?;
        Ok(Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        })
    }

    /// The database's name on its server.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived
        // thread with its own runtime removes the database.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                admin
                    .batch_execute(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                    .await
                    .ok()
            })
        });
        let _ = dropper.join();
    }
}

/// The real application, served on `127.0.0.1` at a free port against its own database.
/// The server stops when this is dropped.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    pub db: TestDb,
    pub config: Config,
    /// The object store's directory, this app's own, removed with it.
    pub objects_dir: PathBuf,
    /// Where the app's e-mail goes (unless `spawn_with` pointed it elsewhere).
    pub mailbox: Mailbox,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// Serves the app with the SPA from `PULSE_DIST_DIR` (which may not exist for API tests).
    pub async fn spawn() -> anyhow::Result<Self> {
        Self::spawn_with(|_| {}).await
    }

    /// Serves the app with the SPA from `dist_dir`.
    pub async fn spawn_with_dist(dist_dir: PathBuf) -> anyhow::Result<Self> {
        Self::spawn_with(|config| config.dist_dir = dist_dir).await
    }

    /// Serves the app after `adjust` has changed its configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let db = TestDb::new().await?;
        let objects_dir =
            std::env::temp_dir().join(format!("pulse-objects-{}", uuid::Uuid::new_v4().simple()));
        Self::serve_on(db, objects_dir, adjust).await
    }

    /// Serves the app on a database prepared otherwise (restored from a backup, say),
    /// with its objects in `objects_dir`; both are removed with the app.
    pub async fn spawn_on(db: TestDb, objects_dir: PathBuf) -> anyhow::Result<Self> {
        Self::serve_on(db, objects_dir, |_| {}).await
    }

    /// [`TestApp::spawn_on`] after `adjust` has changed the configuration.
    pub async fn spawn_on_with(
        db: TestDb,
        objects_dir: PathBuf,
        adjust: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        Self::serve_on(db, objects_dir, adjust).await
    }

    async fn serve_on(
        db: TestDb,
        objects_dir: PathBuf,
        adjust: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        // `PULSE_TEST_LOG=info` (a tracing filter) prints the servers' logs, for debugging.
        if let Ok(filter) = std::env::var("PULSE_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let mut config = test_config(&db.url, &objects_dir)?;
        config.clock = test_clock()?;
        let mailbox = Mailbox::start().await?;
        config.smtp_url = Some(mailbox.smtp_url());
        adjust(&mut config);
        let (base_url, handle) = serve(&config)?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            base_url,
            db,
            config,
            objects_dir,
            mailbox,
            client,
            handle,
        })
    }

    /// The time on this app's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.config.clock.now()
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An HTTP client that does not follow redirects.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        self.client.get(self.url(path)).send().await
    }

    /// Signs up `owner` (who is also the monitored employee), puts `policy` on them when
    /// it is not empty, and makes an enrollment token for them good for `computers`
    /// enrollments: the owner's access token and the token's secret.
    pub async fn monitored_owner(
        &self,
        owner: &pulse_shared::auth::SignupRequest,
        policy: &serde_json::Value,
        computers: usize,
    ) -> anyhow::Result<(String, String)> {
        let signed_up: pulse_shared::auth::SessionResponse = self
            .sign_up(owner)
            .await?
            .error_for_status()?
            .json()
            .await?;
        let access = signed_up.access_token;
        let me = signed_up.me.user.id;
        if policy.as_object().is_some_and(|fields| !fields.is_empty()) {
            self.client
                .put(self.url(&format!("/api/v1/policies/employees/{me}")))
                .bearer_auth(&access)
                .json(policy)
                .send()
                .await?
                .error_for_status()
                .context("setting the policy")?;
        }
        let token: serde_json::Value = self
            .client
            .post(self.url("/api/v1/enrollment-tokens"))
            .bearer_auth(&access)
            // Made for the owner: a company-wide token enrolls no owner.
            .json(&serde_json::json!({
                "name": "Test computers",
                "user_id": me,
                "expires_in_hours": 1,
                "max_uses": computers,
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let secret = token["secret"].as_str().context("no secret")?.to_owned();
        Ok((access, secret))
    }

    /// Every item of the paged list at `path` (`/api/v1/activity`, `/api/v1/screenshots`)
    /// from `from` to `to`, as `access` sees it, page after page of 200.
    pub async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        access: &str,
        path: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Vec<T>> {
        let (from, to) = (from.to_rfc3339(), to.to_rfc3339());
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("limit", "200"),
            ];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor));
            }
            let page: pulse_shared::Page<T> = self
                .client
                .get(self.url(path))
                .bearer_auth(access)
                .query(&query)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// Another replica of the app: its own process state (pool, live hub, outbox),
    /// the same database and signing key. It stops when dropped.
    pub fn replica(&self) -> anyhow::Result<Replica> {
        self.replica_with(|_| {})
    }

    /// Another replica whose configuration `adjust` has changed.
    pub fn replica_with(&self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Replica> {
        let mut config = self.config.clone();
        adjust(&mut config);
        let (base_url, handle) = serve(&config)?;
        Ok(Replica { base_url, handle })
    }

    /// Signs up as a person does: asks for the link, reads it from the mailbox and
    /// opens it. Answers the answer to opening it (`201` with the session when all
    /// went well).
    pub async fn sign_up(
        &self,
        request: &pulse_shared::auth::SignupRequest,
    ) -> anyhow::Result<reqwest::Response> {
        let asked = self
            .client
            .post(self.url("/api/v1/auth/signup"))
            .json(request)
            .send()
            .await?;
        anyhow::ensure!(
            asked.status() == reqwest::StatusCode::ACCEPTED,
            "signing up answered {}: {}",
            asked.status(),
            asked.text().await.unwrap_or_default()
        );
        let email = request.email.trim().to_lowercase();
        let link = self.mailbox.link_to(&email, "/verify#").await?;
        let token = link.split_once('#').map(|(_, token)| token).unwrap_or("");
        Ok(self
            .client
            .post(self.url("/api/v1/auth/signup/verify"))
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await?)
    }

    /// Puts the company of the person signed up as `email` on `plan`, as a paid (or
    /// ended) subscription does, through the same function.
    pub async fn set_plan(
        &self,
        email: &str,
        plan: pulse_shared::billing::PlanId,
    ) -> anyhow::Result<()> {
        use diesel::{ExpressionMethods, QueryDsl};

        use crate::db::schema::users;
        let mut conn = AsyncPgConnection::establish(&self.db.url).await?;
        let company: pulse_shared::ids::CompanyId = users::table
            .filter(users::email.eq(email))
            .select(users::company_id)
            .first(&mut conn)
            .await?;
        crate::billing::plans::set_plan(&mut conn, company, plan, self.config.clock.now()).await?;
        Ok(())
    }

    /// This app's database as the server reaches it, for driving the server's own
    /// functions directly.
    pub fn db(&self) -> anyhow::Result<db::Db> {
        db::Db::connect(&self.config)
    }

    /// The number one SQL query answers in this app's database, e.g.
    /// `SELECT count(*) FROM agents`.
    pub async fn scalar(&self, query: &str) -> anyhow::Result<i64> {
        #[derive(diesel::QueryableByName)]
        struct Number {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let mut conn = AsyncPgConnection::establish(&self.db.url).await?;
        let number: Number = diesel::sql_query(format!("SELECT ({query})::bigint AS n"))
            .get_result(&mut conn)
            .await?;
        Ok(number.n)
    }

    /// This app's object store, for driving the server's own functions directly.
    pub fn store(&self) -> anyhow::Result<crate::storage::Store> {
        crate::storage::open(&self.config.object_store)
    }

    /// The paths of every object stored, relative to the store's directory, sorted.
    pub fn stored_objects(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, found);
                } else if let Ok(relative) = path.strip_prefix(root) {
                    found.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.objects_dir, &self.objects_dir, &mut found);
        found.sort();
        found
    }
}

/// A second server on a [`TestApp`]'s database.
pub struct Replica {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Replica {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// What a [`Receiver`] saw of one request.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: String,
    pub event_id: String,
    pub event_type: String,
    pub body: Vec<u8>,
}

/// A webhook receiver on loopback that answers the queued statuses in turn (a 302
/// redirects to the metadata address), then 200. It stops when dropped.
pub struct Receiver {
    /// `http://127.0.0.1:<port>/hooks/pulse`.
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// A status that is never sent: the receiver holds the request a minute, like an
    /// endpoint that hangs.
    pub const HANG: u16 = 0;

    /// Answers the requests with `statuses` in turn (then 200); [`Self::HANG`] holds one.
    pub fn start(statuses: Vec<u16>) -> anyhow::Result<Self> {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::StatusCode, web};
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::from(statuses)));
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}/hooks/pulse", listener.local_addr()?);
        let store = seen.clone();
        let server = HttpServer::new(move || {
            let (store, answers) = (store.clone(), answers.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (store, answers) = (store.clone(), answers.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|value| value.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    if let Ok(mut seen) = store.lock() {
                        seen.push(Received {
                            signature: header("pulse-signature"),
                            event_id: header("pulse-event-id"),
                            event_type: header("pulse-event-type"),
                            body: body.to_vec(),
                        });
                    }
                    let status = answers
                        .lock()
                        .ok()
                        .and_then(|mut answers| answers.pop_front())
                        .unwrap_or(200);
                    if status == Self::HANG {
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                    if status == 302 {
                        return HttpResponse::Found()
                            .insert_header(("location", "http://169.254.169.254/"))
                            .finish();
                    }
                    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                        .body("received")
                }
            }))
        })
        .workers(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { url, seen, handle })
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Received> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Serves the app with `config` on a free port.
fn serve(config: &Config) -> anyhow::Result<(String, actix_web::dev::ServerHandle)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let db = db::Db::connect(config)?;
    let server = crate::server::run(config, listener, db)?;
    let handle = server.handle();
    tokio::spawn(server);
    Ok((base_url, handle))
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
        let _ = std::fs::remove_dir_all(&self.objects_dir);
    }
}

fn test_config(database_url: &str, objects_dir: &Path) -> anyhow::Result<Config> {
    let dist = std::env::var("PULSE_DIST_DIR").unwrap_or_else(|_| "dist".into());
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.to_owned()),
        ("PULSE_DIST_DIR", dist),
        ("PULSE_WORKERS", "1".into()),
        ("PULSE_DB_POOL_SIZE", "4".into()),
        // Tests run the presence and retention jobs themselves, with their own clock.
        ("PULSE_PRESENCE_EVERY_SECS", "3600".into()),
        ("PULSE_RETENTION_EVERY_SECS", "86400".into()),
        // Heartbeats reach the database within a few milliseconds.
        ("PULSE_SEEN_FLUSH_MS", "20".into()),
        // Sessions follow stored activity within a few milliseconds; API tests also
        // call `worker::sessions::round` to be sure.
        ("PULSE_SESSIONS_EVERY_MS", "20".into()),
        // Data exports are built when the request wakes the worker; polling, which finds
        // what other replicas queued, would only add load to the tests' small pool.
        ("PULSE_EXPORTS_EVERY_MS", "3600000".into()),
        (
            "PULSE_OBJECT_STORE",
            objects_dir.to_string_lossy().into_owned(),
        ),
        ("PULSE_JWT_SECRET", crate::auth::secrets::random_token(48)?),
        (
            "PULSE_LOG",
            std::env::var("PULSE_LOG").unwrap_or_else(|_| "warn".into()),
        ),
    ]);
    Ok(Config::from_lookup(|name| vars.get(name).cloned())?)
}

/// Every presence round at `now`, as the job runs them: until one takes less than a
/// batch. Answers how many agents changed. A served app runs the presence job too: a
/// round that finds the job holding the lock waits for it (a round is short), and
/// fails only when the lock stays taken for 10 s.
pub async fn presence_rounds(
    db: &db::Db,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<usize> {
    use crate::worker::presence::{PRESENCE_BATCH, round};
    let mut changed = 0;
    let mut waited = 0;
    loop {
        let Some(taken) = round(db, now).await? else {
            waited += 1;
            anyhow::ensure!(waited < 200, "the presence lock stayed taken for 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        changed += taken;
        if taken < PRESENCE_BATCH {
            return Ok(changed);
        }
    }
}

/// The clock test apps run on: started at `PULSE_TEST_NOW` when it is set, else the
/// system clock.
pub fn test_clock() -> anyhow::Result<Clock> {
    match std::env::var("PULSE_TEST_NOW") {
        Ok(at) if !at.trim().is_empty() => {
            let at = chrono::DateTime::parse_from_rfc3339(at.trim()).with_context(|| {
                format!("PULSE_TEST_NOW={at} is not an RFC 3339 time such as 2028-02-29T23:59:00Z")
            })?;
            Ok(Clock::starting_at(at.to_utc()))
        }
        _ => Ok(Clock::system()),
    }
}

fn admin_url() -> anyhow::Result<String> {
    std::env::var("PULSE_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .context("set PULSE_TEST_DATABASE_URL to a Postgres URL whose role may create databases (`cargo xtask test` does)")
}

/// Names the template after a hash of the migration files, building it when missing.
async fn ensure_template(admin_url: &str) -> anyhow::Result<String> {
    if let Some(name) = TEMPLATE.get() {
        return Ok(name.clone());
    }
    let name = format!("pulse_template_{}", migrations_hash()?);
    let mut admin = AsyncPgConnection::establish(admin_url)
        .await
        .with_context(|| format!("cannot connect to the test database server at {admin_url}"))?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(&mut admin)
        .await?;
    let built = build_template(&mut admin, admin_url, &name).await;
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(&mut admin)
        .await?;
    built?;
    Ok(TEMPLATE.get_or_init(|| name).clone())
}

async fn build_template(
    admin: &mut AsyncPgConnection,
    admin_url: &str,
    name: &str,
) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        datistemplate: bool,
    }
    let found: Vec<Found> =
        diesel::sql_query("SELECT datistemplate FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(admin)
            .await?;
    match <[Found]>::first(&found) {
        Some(found) if found.datistemplate => return Ok(()),
        // A template left half-built by an interrupted run.
        Some(_) => {
            admin
                .batch_execute(&format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#))
                .await?
        }
        None => {}
    }
    admin
        .batch_execute(&format!(r#"CREATE DATABASE "{name}""#))
        .await?;
    db::migrate(&with_database(admin_url, name)).await?;
    admin
        .batch_execute(&format!(r#"ALTER DATABASE "{name}" IS_TEMPLATE true"#))
        .await?;
    Ok(())
}

/// A short hash of the migrations compiled into this binary (their names) and of their
/// files, so a changed migration gets a new template, and a binary built before a
/// migration was added never builds (or uses) a template named after it.
fn migrations_hash() -> anyhow::Result<String> {
    let embedded =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&db::MIGRATIONS)
            .map_err(|error| anyhow::anyhow!("reading the embedded migrations: {error}"))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut hasher = Sha256::new();
    for migration in embedded {
        let name = migration.name().to_string();
        hasher.update(name.as_bytes());
        for file in ["up.sql", "down.sql"] {
            let path = root.join(&name).join(file);
            hasher.update(
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
            );
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .take(6)
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut result = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

/// A minimal SMTP receiver on loopback: answers each command and keeps every message
/// (headers and body, as sent). Every [`TestApp`] has one and sends its mail there.
#[derive(Clone)]
pub struct Mailbox {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Mailbox {
    /// Listens on a free port of loopback until the runtime ends.
    pub async fn start() -> anyhow::Result<Self> {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 receiver ready\r\n").await?;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let command = line.to_uppercase();
                        let reply: &[u8] = if command.starts_with("EHLO") {
                            b"250-receiver\r\n250 OK\r\n"
                        } else if command.starts_with("DATA") {
                            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(&line);
                                data.push('\n');
                            }
                            if let Ok(mut stored) = store.lock() {
                                stored.push(data);
                            }
                            b"250 queued\r\n"
                        } else if command.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        write.write_all(reply).await?;
                    }
                    Ok::<_, std::io::Error>(())
                });
            }
        });
        Ok(Self { port, messages })
    }

    /// The `PULSE_SMTP_URL` that delivers here.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The messages received so far addressed to `to`, oldest first.
    pub fn messages_to(&self, to: &str) -> Vec<String> {
        let header = format!("To: {to}\n");
        let mut found = self.messages();
        found.retain(|message| message.contains(&header));
        found
    }

    /// Waits up to ten seconds for a message to `to` with a link whose address contains
    /// `marker` (such as `/verify#`); answers the newest such link.
    pub async fn link_to(&self, to: &str, marker: &str) -> anyhow::Result<String> {
        for _ in 0..200 {
            let newest = self
                .messages_to(to)
                .iter()
                .rev()
                .find_map(|message| link_in(message, marker));
            if let Some(link) = newest {
                return Ok(link);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        anyhow::bail!("no message to {to} with a {marker} link arrived in 10 s")
    }
}

/// The first link in `message` whose address contains `marker` (such as `/reset#`).
pub fn link_in(message: &str, marker: &str) -> Option<String> {
    let at = message.find(marker)?;
    let start = message[..at].rfind("http")?;
    let end = message[at..]
        .find(|c: char| c.is_whitespace())
        .map_or(message.len(), |end| at + end);
    Some(message[start..end].to_owned())
}

/// localstripe, the Stripe test double, on a port of its own for one test: started
/// from `PULSE_LOCALSTRIPE` (set by `cargo xtask test`), empty, and stopped when
/// dropped.
pub struct Localstripe {
    port: u16,
    _process: tokio::process::Child,
}

impl Localstripe {
    /// Starts one and waits until it answers.
    pub async fn start() -> anyhow::Result<Self> {
        let command = std::env::var_os("PULSE_LOCALSTRIPE")
            .context("PULSE_LOCALSTRIPE is not set: run the tests through `cargo xtask test`")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let process = tokio::process::Command::new(&command)
            .args(["--port", &port.to_string(), "--from-scratch"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("could not start {}", command.to_string_lossy()))?;
        let stripe = Self {
            port,
            _process: process,
        };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            let answer = client
                .get(stripe.url("/v1/customers"))
                .bearer_auth(Self::SECRET_KEY)
                .send()
                .await;
            if answer.is_ok_and(|answer| answer.status().is_success()) {
                return Ok(stripe);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!("localstripe did not answer on port {port} within 10 s")
    }

    /// Any `sk_…` key works with localstripe; this is the one the tests use.
    pub const SECRET_KEY: &'static str = "sk_test_pulse";

    /// The API base, for `PULSE_STRIPE_API_BASE`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The webhook secret of the apps billing through a double.
    pub const WEBHOOK_SECRET: &'static str = "whsec_test_pulse";

    /// The Stripe configuration of an app whose Stripe this is.
    pub fn config(&self) -> crate::config::StripeConfig {
        crate::config::StripeConfig {
            secret_key: Self::SECRET_KEY.into(),
            publishable_key: "pk_test_pulse".into(),
            webhook_secret: Self::WEBHOOK_SECRET.into(),
            api_base: self.base(),
            js_url: self.url("/js.stripe.com/v3/"),
            grace: chrono::TimeDelta::days(7),
        }
    }

    /// Serves an app billing through this double, its paid plans on sale and the
    /// double's events sent to its webhook. On the system clock whatever
    /// `PULSE_TEST_NOW` says: the double signs its events with the real time.
    pub async fn spawn_app(&self) -> anyhow::Result<TestApp> {
        let app = TestApp::spawn_with(|config| {
            config.stripe = Some(self.config());
            config.clock = Clock::system();
        })
        .await?;
        let mut conn = AsyncPgConnection::establish(&app.db.url).await?;
        let client = crate::billing::client::StripeClient::new(&self.config());
        crate::billing::plans::sell_on_stripe(&mut conn, &client).await?;
        self.send_webhooks_to(&app.url("/api/v1/stripe/webhook"), Self::WEBHOOK_SECRET)
            .await?;
        Ok(app)
    }

    /// A card made from `number` as Stripe.js makes one: its PaymentMethod id.
    pub async fn card(&self, number: &str) -> anyhow::Result<String> {
        let method: serde_json::Value = reqwest::Client::new()
            .post(self.url("/v1/payment_methods"))
            .bearer_auth(Self::SECRET_KEY)
            .form(&[
                ("type", "card"),
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        method["id"]
            .as_str()
            .map(str::to_owned)
            .context("a payment method without an id")
    }

    /// Sends the events localstripe makes to `url`, signed with `secret`.
    pub async fn send_webhooks_to(&self, url: &str, secret: &str) -> anyhow::Result<()> {
        reqwest::Client::new()
            .post(self.url("/_config/webhooks/pulse"))
            .bearer_auth(Self::SECRET_KEY)
            .form(&[("url", url), ("secret", secret)])
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:1/postgres", "x"),
            "postgres://u@h:1/x"
        );
        assert_eq!(with_database("postgres://u@h:1", "x"), "postgres://u@h:1/x");
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}
