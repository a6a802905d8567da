//! The PostgreSQL side of backups: finding `pg_dump` and `pg_restore`, giving them the
//! database of `DATABASE_URL` with its password in `PGPASSWORD` (never on a command
//! line, where `ps` shows it, nor in a message), and emptying a target on consent.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio::process::Command;
use url::Url;

/// A database to dump or restore into, as `DATABASE_URL` (or `--into`) names it.
#[derive(Clone)]
pub struct Database {
    url: Url,
}

impl Database {
    pub fn parse(database_url: &str) -> anyhow::Result<Self> {
        // The parser's errors never quote the input, so the password stays out of them.
        let url = Url::parse(database_url).context("DATABASE_URL is not a URL")?;
        Ok(Self { url })
    }

    /// Another database on the same server, with the same role and password.
    pub fn sibling(&self, name: &str) -> anyhow::Result<Self> {
        let plain =
            !name.is_empty() && name.len() <= 63 && !name.contains(['/', '?', '#', '@', ':', '%']);
        if !plain {
            bail!(
                "--into takes the name of a database on DATABASE_URL's server (such as pulse_restored), not a URL"
            );
        }
        let mut url = self.url.clone();
        url.set_path(&format!("/{name}"));
        Ok(Self { url })
    }

    /// The URL to connect with, password included: for this process only.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The URL with its password masked, for messages.
    pub fn masked(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() {
            // Setting a password fails only for URLs that cannot have one.
            let _ = url.set_password(Some("***"));
        }
        url.to_string()
    }

    /// The password, decoded, for `PGPASSWORD`.
    fn password(&self) -> Option<String> {
        self.url.password().map(|encoded| {
            percent_encoding::percent_decode_str(encoded)
                .decode_utf8_lossy()
                .into_owned()
        })
    }

    /// `program` (a libpq client) connecting to this database: the URL without its
    /// password in `--dbname`, the password in the child's environment.
    fn command(&self, program: &Path) -> Command {
        let mut without_password = self.url.clone();
        let _ = without_password.set_password(None);
        let mut command = Command::new(program);
        command
            .arg("--no-password")
            .arg(format!("--dbname={without_password}"))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(password) = self.password() {
            command.env("PGPASSWORD", password);
        }
        if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
            command.env("PGCONNECT_TIMEOUT", "10");
        }
        command
    }

    /// `pg_dump --format=custom` of the whole database into `file`.
    pub async fn dump(&self, file: &Path) -> anyhow::Result<()> {
        let mut command = self.command(&program("pg_dump")?);
        command.arg("--format=custom").arg("--file").arg(file);
        self.run(command, "pg_dump").await
    }

    /// `pg_restore` of `file`, in one transaction: all of it, or nothing. Owners and
    /// grants are left out, so the role of the URL owns what it restores whatever role
    /// owned the dumped database.
    pub async fn restore(&self, file: &Path) -> anyhow::Result<()> {
        let mut command = self.command(&program("pg_restore")?);
        command
            .args([
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
            ])
            .arg(file);
        self.run(command, "pg_restore").await
    }

    async fn run(&self, mut command: Command, name: &str) -> anyhow::Result<()> {
        let output = command
            .stdout(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run {name}"))?;
        if output.status.success() {
            return Ok(());
        }
        let mut said = String::from_utf8_lossy(&output.stderr)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(password) = self.password().filter(|password| !password.is_empty()) {
            said = said.replace(&password, "***");
        }
        if said.is_empty() {
            said = output.status.to_string();
        }
        bail!("{name} failed on {}: {said}", self.masked())
    }
}

/// A PostgreSQL client program: from PATH (Debian's `pg_wrapper` picks the version
/// that fits the server), else from `/usr/lib/postgresql/<major>/bin`, newest first.
fn program(name: &str) -> anyhow::Result<PathBuf> {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((major, entry.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    on_path
        .into_iter()
        .chain(versioned.into_iter().map(|(_, dir)| dir))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .with_context(|| {
            format!(
                "{name} is not installed: install Debian's postgresql-client package (apt-get install postgresql-client), at the server's major version or newer"
            )
        })
}

/// How many tables, views and sequences the database holds outside Postgres's own
/// schemas: 0 for a database made with `CREATE DATABASE` (or `createdb`).
pub async fn relations(conn: &mut AsyncPgConnection) -> anyhow::Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(
        r"SELECT count(*) AS n
            FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
             AND s.nspname NOT IN ('pg_catalog', 'information_schema')
             AND s.nspname NOT LIKE 'pg\_toast%'
             AND s.nspname NOT LIKE 'pg\_temp%'",
    )
    .get_result(conn)
    .await?;
    Ok(count.n)
}

/// Empties the database for a restore made with `--force`: every object Pulse makes
/// lives in the `public` schema, which is dropped and made again (owned by the role
/// of the URL).
pub async fn clear(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        .await
        .context("cannot empty the target database")
}

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn passwords_are_masked_and_decoded() {
        let database =
            Database::parse("postgres://pulse:p%40ss%3Aw@db.example:5432/pulse?sslmode=require")
                .unwrap();
        assert_eq!(
            database.masked(),
            "postgres://pulse:***@db.example:5432/pulse?sslmode=require"
        );
        assert_eq!(database.password().as_deref(), Some("p@ss:w"));
        let plain = Database::parse("postgres://postgres@127.0.0.1:54329/pulse").unwrap();
        assert_eq!(plain.masked(), "postgres://postgres@127.0.0.1:54329/pulse");
        assert_eq!(plain.password(), None);
    }

    #[test]
    fn into_names_a_database_on_the_same_server() {
        let database =
            Database::parse("postgres://pulse:secret@db.example/pulse?sslmode=require").unwrap();
        assert_eq!(
            database.sibling("pulse_drill").unwrap().url(),
            "postgres://pulse:secret@db.example/pulse_drill?sslmode=require"
        );
        for name in ["", "postgres://x@y/z", "a/b", "db?x=1"] {
            assert!(database.sibling(name).is_err(), "{name}");
        }
    }
}
