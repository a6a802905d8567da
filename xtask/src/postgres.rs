//! The project-local Postgres cluster in `.pulse/pg`: found, installed, initialised, started.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::sh::{Ctx, capture, run, step};

/// The cluster's port: not 5432, so it never meets a system Postgres.
pub const PORT: u16 = 54329;

/// The URL of database `name` in the local cluster.
pub fn local_url(name: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{PORT}/{name}")
}

/// The directory holding `pg_ctl`, `initdb`, `postgres` (and usually `psql`, `createdb`).
#[derive(Debug, Clone)]
pub struct Server {
    bin: PathBuf,
    pub major: String,
}

impl Server {
    /// The directory of `initdb`, `pg_ctl` and `postgres`.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// A client tool: from the server's directory if there, else from PATH (Debian's wrappers).
    fn client(&self, ctx: &Ctx, name: &str) -> PathBuf {
        let own = self.bin.join(name);
        if own.exists() {
            own
        } else {
            ctx.which(name).unwrap_or_else(|| PathBuf::from(name))
        }
    }
}

/// Finds the server, installing the Debian package when missing (or saying how to).
pub fn ensure_installed(ctx: &mut Ctx) -> anyhow::Result<Server> {
    let wanted = std::fs::read_to_string(data_dir(ctx).join("PG_VERSION")).ok();
    if let Some(server) = find(ctx, wanted.as_deref().map(str::trim)) {
        return Ok(server);
    }
    ctx.apt_install(&["postgresql"], "the PostgreSQL server")?;
    find(ctx, None)
        .context("postgresql was installed but pg_ctl/initdb/postgres are still not found")
}

/// Candidates: the directory of `pg_ctl` on PATH, then `/usr/lib/postgresql/*/bin`, newest
/// first. A cluster that already exists keeps the major version it was made with.
fn find(ctx: &Ctx, wanted_major: Option<&str>) -> Option<Server> {
    let mut candidates = Vec::new();
    if let Some(pg_ctl) = ctx.which("pg_ctl")
        && let Some(dir) = pg_ctl
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        candidates.push(dir);
    }
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
    candidates.extend(versioned.into_iter().map(|(_, dir)| dir));

    let servers: Vec<Server> = candidates
        .into_iter()
        .filter(|dir| {
            ["pg_ctl", "initdb", "postgres"]
                .iter()
                .all(|tool| dir.join(tool).is_file())
        })
        .filter_map(|bin| {
            let version = ctx.first_line_of(bin.join("pg_ctl"), &["--version"])?;
            let major = major_version(&version)?;
            Some(Server { bin, major })
        })
        .collect();
    match wanted_major {
        Some(wanted) => servers
            .iter()
            .find(|server| server.major == wanted)
            .or(servers.first())
            .cloned(),
        None => servers.into_iter().next(),
    }
}

/// `pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` → `15`.
pub fn major_version(version_line: &str) -> Option<String> {
    let number = version_line
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let major = number.split('.').next()?;
    major
        .chars()
        .all(|c| c.is_ascii_digit())
        .then(|| major.to_owned())
}

fn data_dir(ctx: &Ctx) -> PathBuf {
    ctx.state_dir().join("pg")
}

/// Makes sure the local cluster exists and runs, and that database `database` exists.
pub fn ensure_running(ctx: &Ctx, server: &Server, database: Option<&str>) -> anyhow::Result<()> {
    let state = ctx.state_dir();
    let data = data_dir(ctx);
    let sockets = state.join("pg-run");
    let log = state.join("pg.log");
    for dir in [&data, &sockets] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    if !log.exists() {
        std::fs::write(&log, "").with_context(|| format!("creating {}", log.display()))?;
    }
    let runner = Runner::new(ctx)?;
    runner.prepare(&state, &[&data, &sockets, &log])?;

    if !data.join("PG_VERSION").exists() {
        step(format_args!(
            "initialising a Postgres {} cluster in .pulse/pg (once)",
            server.major
        ));
        let initdb = |locale: &str| {
            runner
                .cmd(server.tool("initdb"))
                .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", locale, "-D"])
                .arg(&data)
                .output()
        };
        let first = initdb("--locale=C.UTF-8").context("could not start initdb")?;
        if !first.status.success() {
            // Some systems lack the C.UTF-8 locale; the C locale always exists.
            run(runner
                .cmd(server.tool("initdb"))
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "-D",
                ])
                .arg(&data))?;
        }
    }

    let status = runner
        .cmd(server.tool("pg_ctl"))
        .arg("-D")
        .arg(&data)
        .arg("status")
        .output()
        .context("could not start pg_ctl")?;
    if status.status.success() {
        step(format_args!(
            "Postgres is running on 127.0.0.1:{PORT} (data in .pulse/pg)"
        ));
    } else {
        step(format_args!(
            "starting Postgres on 127.0.0.1:{PORT} (log: .pulse/pg.log)"
        ));
        let options = format!(
            "-p {PORT} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            sockets.display()
        );
        let started = runner
            .cmd(server.tool("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdout(std::process::Stdio::null())
            .status()
            .context("could not start pg_ctl")?;
        if !started.success() {
            bail!(
                "Postgres did not start ({started}). The end of .pulse/pg.log says:\n{}",
                tail(&log, 15)
            );
        }
    }

    if let Some(name) = database {
        let exists = capture(
            ctx.cmd(server.client(ctx, "psql"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &PORT.to_string(),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-tAc",
                ])
                .arg(format!(
                    "SELECT 1 FROM pg_database WHERE datname = '{name}'"
                )),
        )?;
        if exists.trim() != "1" {
            step(format_args!("creating database {name}"));
            run(ctx.cmd(server.client(ctx, "createdb")).args([
                "-h",
                "127.0.0.1",
                "-p",
                &PORT.to_string(),
                "-U",
                "postgres",
                name,
            ]))?;
        }
    }
    Ok(())
}

/// `psql` connected to `url`, stopping at the first failing statement: the server's
/// own when known, else the one on PATH.
pub fn psql(ctx: &Ctx, server: Option<&Server>, url: &str) -> Command {
    let program = server.map_or_else(
        || ctx.which("psql").unwrap_or_else(|| PathBuf::from("psql")),
        |server| server.client(ctx, "psql"),
    );
    let mut cmd = ctx.cmd(program);
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url]);
    cmd
}

/// Drops database `name`, closing its connections, and creates it empty, through the
/// database at `admin_url` (which must be another one).
pub fn recreate_database(
    ctx: &Ctx,
    server: Option<&Server>,
    admin_url: &str,
    name: &str,
) -> anyhow::Result<()> {
    step(format_args!("recreating database {name}"));
    // Several -c run one after another in one session, none inside a transaction
    // (which DROP DATABASE refuses).
    run(psql(ctx, server, admin_url).args([
        "-c",
        "SET client_min_messages = warning",
        "-c",
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        "-c",
        &format!("CREATE DATABASE \"{name}\""),
    ]))
}

/// `url` naming database `name` instead of its own, keeping its parameters:
/// `postgres://u@h:5432/app?sslmode=require` → `postgres://u@h:5432/other?sslmode=require`.
pub fn with_database(url: &str, name: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = location.split_once('/').map_or(location, |(host, _)| host);
    if authority.is_empty() {
        return None;
    }
    let query = query.map(|query| format!("?{query}")).unwrap_or_default();
    Some(format!("{scheme}://{authority}/{name}{query}"))
}

/// Runs the server tools: directly for a normal user; as root, as the `postgres` OS user
/// (initdb and pg_ctl refuse to run as root).
struct Runner {
    postgres_uid: Option<u32>,
}

impl Runner {
    fn new(ctx: &Ctx) -> anyhow::Result<Self> {
        if !ctx.is_root {
            return Ok(Self { postgres_uid: None });
        }
        let uid = capture(Command::new("id").args(["-u", "postgres"]))
            .ok()
            .and_then(|out| out.trim().parse().ok())
            .context("running as root, Postgres must run as the `postgres` OS user, which does not exist (it comes with the Debian package: apt-get install -y postgresql)")?;
        Ok(Self {
            postgres_uid: Some(uid),
        })
    }

    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = if self.postgres_uid.is_some() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        // The postgres user may not be allowed into the caller's working directory.
        cmd.current_dir("/");
        cmd
    }

    /// As root: hands the cluster's files to `postgres` and lets it reach them.
    fn prepare(&self, state: &Path, owned: &[&Path]) -> anyhow::Result<()> {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let Some(uid) = self.postgres_uid else {
            return Ok(());
        };
        for path in owned {
            let meta = std::fs::metadata(path)?;
            if meta.uid() != uid {
                run(Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(path))?;
            }
        }
        // Every directory above the state directory must be searchable by others.
        for dir in state.ancestors() {
            let meta = std::fs::metadata(dir)?;
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                step(format_args!(
                    "letting the postgres user reach {} (chmod o+x)",
                    dir.display()
                ));
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o001))?;
            }
        }
        Ok(())
    }
}

/// The last `lines` lines of a file, for error messages.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_major_version_of_pg_ctl() {
        let debian = "pg_ctl (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)";
        assert_eq!(major_version(debian).as_deref(), Some("15"));
        assert_eq!(
            major_version("pg_ctl (PostgreSQL) 17devel").as_deref(),
            None
        );
        assert_eq!(
            major_version("pg_ctl (PostgreSQL) 9.6.24").as_deref(),
            Some("9")
        );
        assert_eq!(major_version("nonsense").as_deref(), None);
    }

    #[test]
    fn urls_can_name_another_database() {
        let cases = [
            (
                "postgres://u:p@db:5432/app?sslmode=require",
                Some("postgres://u:p@db:5432/pulse_bench?sslmode=require"),
            ),
            (
                "postgresql://u@127.0.0.1:54329/pulse",
                Some("postgresql://u@127.0.0.1:54329/pulse_bench"),
            ),
            ("postgres://db", Some("postgres://db/pulse_bench")),
            ("postgres:///app", None),
            ("not a url", None),
        ];
        for (url, expected) in cases {
            assert_eq!(
                with_database(url, "pulse_bench").as_deref(),
                expected,
                "{url}"
            );
        }
    }

    #[test]
    fn local_urls_point_at_the_project_port() {
        assert_eq!(
            local_url("pulse"),
            "postgres://postgres@127.0.0.1:54329/pulse"
        );
    }
}
