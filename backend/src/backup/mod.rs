//! `pulse backup` and `pulse restore`: the database and the screenshots of a local
//! object store in one tar file, and the way back into an empty database, checked
//! before the restore calls itself done.
//!
//! An archive holds, in this order:
//!
//! - `manifest.json`: the [`Manifest`] (format, the Pulse that made it and when, the
//!   migrations applied, where the screenshots are);
//! - `database.pgdump`: `pg_dump --format=custom` of the whole database, schema and
//!   data, the migrations table included (restorable by `pg_restore` alone);
//! - `objects/<key>`: every object of a local object store. An S3 store is not copied:
//!   its objects are protected by the bucket's versioning and replication, and a
//!   restore points at the same bucket.
//!
//! The database is dumped before the objects are copied. An upload writes its objects
//! before its row, so every screenshot in the dump finds its picture in the archive; a
//! screenshot deleted while the objects are being copied may come back without one.
//!
//! The archive and the scratch dump are readable by their owner only: they hold every
//! company's data. Connection secrets come from `DATABASE_URL` alone and are masked in
//! every message.

mod postgres;
mod verify;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use serde::{Deserialize, Serialize};

use self::postgres::Database;
pub use self::verify::Checked;
use crate::config::{Config, ObjectStoreConfig};
use crate::{db, storage};

/// The archive layout this binary writes and reads.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "database.pgdump";
const OBJECTS: &str = "objects/";

/// What an archive says about itself, its first entry.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// `pulse <version>`.
    pub made_by: String,
    pub made_at: DateTime<Utc>,
    /// The versions of the migrations applied to the dumped database, oldest first.
    pub migrations: Vec<String>,
    pub objects: Objects,
}

/// Where a backup's screenshots are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Objects {
    /// In the archive, under `objects/`.
    Archived,
    /// Left in this S3 bucket (`s3://bucket/prefix`).
    Bucket { url: String },
}

/// A backup written.
#[derive(Debug)]
pub struct Written {
    pub database: String,
    pub to: PathBuf,
    pub migrations: usize,
    pub dump_bytes: u64,
    pub objects: Objects,
    pub object_count: usize,
    pub object_bytes: u64,
}

/// Writes a backup of the database of `DATABASE_URL` (and of the local object store)
/// to `to`, which must not exist yet. A failed backup leaves nothing at `to`.
pub async fn backup(config: &Config, to: &Path) -> anyhow::Result<Written> {
    if to.exists() {
        bail!(
            "{} already exists; a backup never replaces one",
            to.display()
        );
    }
    let database = Database::parse(&config.database_url)?;
    let mut conn = connect(&database).await?;
    let mut migrations: Vec<String> = db::applied_migrations(&mut conn)
        .await
        .with_context(|| {
            format!(
                "{} has no Pulse migrations to read (is it the Pulse database?)",
                database.masked()
            )
        })?
        .into_iter()
        .map(|migration| migration.version)
        .collect();
    drop(conn);
    migrations.reverse();
    let objects = match &config.object_store {
        ObjectStoreConfig::Local(_) => Objects::Archived,
        ObjectStoreConfig::S3 { bucket, prefix } => Objects::Bucket {
            url: format!("s3://{bucket}/{prefix}")
                .trim_end_matches('/')
                .to_owned(),
        },
    };
    let manifest = Manifest {
        format: FORMAT,
        made_by: format!("pulse {}", env!("CARGO_PKG_VERSION")),
        made_at: config.clock.now(),
        migrations,
        objects,
    };

    let dump = Scratch::create(scratch_path("backup", "pgdump"))?;
    database.dump(&dump.path).await?;
    let dump_bytes = std::fs::metadata(&dump.path)
        .with_context(|| format!("cannot read {}", dump.path.display()))?
        .len();

    let archive = Scratch::create(with_suffix(to, ".partial"))?;
    let mut tar = tar::Builder::new(BufWriter::new(archive.file()?));
    let mtime = u64::try_from(manifest.made_at.timestamp()).unwrap_or(0);
    let append = |tar: &mut tar::Builder<_>, name: &str, size: u64, data: &mut dyn Read| {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data)
            .with_context(|| format!("cannot write {}", archive.path.display()))
    };
    let described = serde_json::to_vec_pretty(&manifest)?;
    append(
        &mut tar,
        MANIFEST,
        described.len() as u64,
        &mut described.as_slice(),
    )?;
    let mut dumped =
        File::open(&dump.path).with_context(|| format!("cannot read {}", dump.path.display()))?;
    append(&mut tar, DATABASE, dump_bytes, &mut dumped)?;
    drop(dumped);
    drop(dump);
    let (mut object_count, mut object_bytes) = (0, 0);
    if manifest.objects == Objects::Archived {
        let store = storage::open(&config.object_store)?;
        let mut listing = store.list(None);
        while let Some(object) = listing.next().await {
            let object = object.context("cannot list the object store")?;
            let bytes = match async { store.get(&object.location).await?.bytes().await }.await {
                Ok(bytes) => bytes,
                // Deleted since it was listed: its screenshot is being deleted too.
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(error) => {
                    bail!(
                        "cannot read {} from the object store: {error}",
                        object.location
                    )
                }
            };
            let name = format!("{OBJECTS}{}", object.location);
            append(&mut tar, &name, bytes.len() as u64, &mut bytes.as_ref())?;
            object_count += 1;
            object_bytes += bytes.len() as u64;
        }
    }
    tar.into_inner()
        .and_then(|buffered| buffered.into_inner().map_err(|error| error.into_error()))
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot write {}", archive.path.display()))?;
    archive.keep_as(to)?;
    Ok(Written {
        database: database.masked(),
        to: to.to_owned(),
        migrations: manifest.migrations.len(),
        dump_bytes,
        objects: manifest.objects,
        object_count,
        object_bytes,
    })
}

/// What `pulse restore` was asked.
#[derive(Debug)]
pub struct RestoreOptions {
    pub from: PathBuf,
    /// A database on `DATABASE_URL`'s server to restore into instead of its own.
    pub into: Option<String>,
    /// Consent to replace whatever the target database holds.
    pub force: bool,
}

/// A backup restored and checked.
#[derive(Debug)]
pub struct Restored {
    pub from: PathBuf,
    pub manifest: Manifest,
    pub database: String,
    pub objects_restored: usize,
    pub checked: Checked,
}

/// Restores the archive into the database of `DATABASE_URL` (or `--into`), which must
/// be empty unless `force`, and its objects into the configured object store; then
/// checks the result ([`verify::restored`]).
pub async fn restore(config: &Config, options: &RestoreOptions) -> anyhow::Result<Restored> {
    let from = &options.from;
    let file = File::open(from).with_context(|| format!("cannot open {}", from.display()))?;
    let mut archive = tar::Archive::new(BufReader::new(file));
    // The tar reader reports a malformed archive as `Other` with the raw header bytes in
    // the message, which is no help to anyone; other errors come from the disk.
    let unreadable = |error: std::io::Error| match error.kind() {
        ErrorKind::Other | ErrorKind::InvalidData | ErrorKind::UnexpectedEof => {
            anyhow!("{} is damaged or not a Pulse backup", from.display())
        }
        _ => anyhow!("cannot read {}: {error}", from.display()),
    };
    let mut entries = archive.entries().map_err(unreadable)?;
    let mut next = |expected: &str| -> anyhow::Result<tar::Entry<'_, _>> {
        let entry = entries
            .next()
            .transpose()
            .map_err(unreadable)?
            .filter(|entry| entry.path().is_ok_and(|path| path == Path::new(expected)));
        entry.with_context(|| {
            format!(
                "{} is not a Pulse backup: its entries do not start with {MANIFEST} and {DATABASE}",
                from.display()
            )
        })
    };

    let manifest: Manifest = serde_json::from_reader(next(MANIFEST)?.take(1 << 20))
        .with_context(|| format!("{} has an unreadable {MANIFEST}", from.display()))?;
    if manifest.format != FORMAT {
        bail!(
            "{} is in backup format {}, which this Pulse cannot read (it reads format {FORMAT})",
            from.display(),
            manifest.format
        );
    }
    let known = verify::known_migrations()?;
    if let Some(unknown) = manifest.migrations.iter().find(|m| !known.contains(*m)) {
        bail!(
            "{} was made by {} with migration {unknown}, which this binary does not have: restore it with that Pulse or a newer one",
            from.display(),
            manifest.made_by
        );
    }

    // The dump is taken out before the target is touched: a truncated archive leaves
    // it as it was, even with --force.
    let dump = Scratch::create(scratch_path("restore", "pgdump"))?;
    std::io::copy(&mut next(DATABASE)?, &mut dump.file()?).with_context(|| {
        format!(
            "cannot copy the database dump out of {} into {}",
            from.display(),
            dump.path.display()
        )
    })?;

    let mut database = Database::parse(&config.database_url)?;
    if let Some(name) = &options.into {
        database = database.sibling(name)?;
    }
    let mut conn = connect(&database).await?;
    let relations = postgres::relations(&mut conn).await?;
    if relations > 0 {
        if !options.force {
            bail!(
                "{} is not empty ({relations} tables, views and sequences): restore into an empty database, or pass --force to replace everything in it",
                database.masked()
            );
        }
        postgres::clear(&mut conn).await?;
    }
    drop(conn);

    database.restore(&dump.path).await?;
    drop(dump);
    // The dump leaves grants out: give the server's roles theirs again (made first on
    // a cluster that lacks them). A backup older than row-level security has no such
    // function; the server's migrations then bring everything at its next start.
    let mut conn = connect(&database).await?;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "DO $$ BEGIN IF to_regproc('pulse_roles') IS NOT NULL THEN PERFORM pulse_roles(); END IF; END $$",
    )
    .await
    .context("cannot grant the server's roles their tables")?;
    drop(conn);

    let store = storage::open(&config.object_store)?;
    let mut objects_restored = 0;
    for entry in entries {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map_err(unreadable)?
            .to_string_lossy()
            .into_owned();
        let key = name
            .strip_prefix(OBJECTS)
            .and_then(|key| object_store::path::Path::parse(key).ok())
            .with_context(|| format!("{} holds an unexpected entry {name}", from.display()))?;
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry.read_to_end(&mut bytes).map_err(unreadable)?;
        store
            .put(&key, bytes.into())
            .await
            .with_context(|| format!("cannot write {key} to the object store"))?;
        objects_restored += 1;
    }

    let mut conn = connect(&database).await?;
    let checked = verify::restored(&mut conn, store.as_ref(), &manifest.migrations)
        .await
        .context("the restored backup does not check out")?;
    Ok(Restored {
        from: from.clone(),
        manifest,
        database: database.masked(),
        objects_restored,
        checked,
    })
}

async fn connect(database: &Database) -> anyhow::Result<AsyncPgConnection> {
    AsyncPgConnection::establish(database.url())
        .await
        .with_context(|| format!("cannot connect to {}", database.masked()))
}

/// A file of this process's own, readable by its owner only, removed when dropped
/// unless kept.
struct Scratch {
    path: PathBuf,
    kept: bool,
}

impl Scratch {
    fn create(path: PathBuf) -> anyhow::Result<Self> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path, kept: false })
    }

    fn file(&self) -> anyhow::Result<File> {
        OpenOptions::new()
            .write(true)
            .open(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Moves the file to `to` (in the same directory) and keeps it.
    fn keep_as(mut self, to: &Path) -> anyhow::Result<()> {
        std::fs::rename(&self.path, to).with_context(|| {
            format!("cannot rename {} to {}", self.path.display(), to.display())
        })?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A file name of the temporary directory (`TMPDIR`) no other run uses.
fn scratch_path(what: &str, extension: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "pulse-{what}-{}.{extension}",
        uuid::Uuid::new_v4().simple()
    ))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn plural(n: impl Into<i64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "backed up {} to {}", self.database, self.to.display())?;
        writeln!(
            f,
            "  database: {} applied, dump {}",
            plural(self.migrations as i64, "migration", "migrations"),
            mib(self.dump_bytes)
        )?;
        match &self.objects {
            Objects::Archived => write!(
                f,
                "  objects: {} ({}) from the local object store",
                plural(self.object_count as i64, "object", "objects"),
                mib(self.object_bytes)
            ),
            Objects::Bucket { url } => write!(
                f,
                "  objects: not copied; they stay in {url}, protected by the bucket's versioning and replication"
            ),
        }
    }
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let checked = &self.checked;
        writeln!(
            f,
            "restored {} ({}, {}) into {}",
            self.from.display(),
            self.manifest.made_by,
            self.manifest
                .made_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            self.database
        )?;
        let pending = match checked.pending_migrations {
            0 => "none pending".to_owned(),
            n => format!("{n} pending, applied by `pulse migrate` or `pulse serve`"),
        };
        writeln!(
            f,
            "  migrations: {} as recorded ({pending})",
            checked.migrations
        )?;
        writeln!(
            f,
            "  audit: {} re-walked, every chain of {} intact",
            plural(checked.audit_events, "event", "events"),
            plural(checked.companies as i64, "company", "companies")
        )?;
        writeln!(f, "  people: {}", checked.people)?;
        let objects = match &self.manifest.objects {
            Objects::Archived => format!(
                "{} restored",
                plural(self.objects_restored as i64, "object", "objects")
            ),
            Objects::Bucket { url } => format!("objects stay in {url}"),
        };
        write!(
            f,
            "  screenshots: {} ({objects}); the newest of each company opens",
            checked.screenshots
        )
    }
}
