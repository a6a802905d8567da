//! Running programs: the PATH the tools see, progress lines, and readable failures.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};

/// Prints one progress line.
pub fn step(message: impl std::fmt::Display) {
    println!("==> {message}");
}

/// What every step needs: where the project is and how to find programs.
pub struct Ctx {
    pub root: PathBuf,
    /// `PATH` for child processes: the caller's, plus cargo's bin directory and the
    /// project-local npm tools, so freshly installed tools are found without a new shell.
    path: OsString,
    pub is_root: bool,
    apt_updated: bool,
    started: Instant,
}

impl Ctx {
    pub fn new() -> anyhow::Result<Self> {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let mut dirs = vec![local_npm_bin(&root), cargo_home().join("bin")];
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        let path = std::env::join_paths(dirs).context("a PATH entry contains ':'")?;
        Ok(Self {
            root,
            path,
            is_root: is_root(),
            apt_updated: false,
            started: Instant::now(),
        })
    }

    /// Seconds since xtask started, for the closing line.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// `<root>/.pulse`, the git-ignored home of local state (database, tools).
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".pulse")
    }

    /// A command that runs from the project root with the tool-aware PATH.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", &self.path);
        cmd
    }

    /// `cargo`, the same one that runs xtask.
    pub fn cargo(&self) -> Command {
        self.cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
    }

    /// Finds an executable on the tool-aware PATH.
    pub fn which(&self, name: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }

    /// The first line of a program's stdout, or `None` if it is missing or fails.
    pub fn first_line_of(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
        let output = self
            .cmd(program)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&output.stdout);
        text.lines().next().map(|line| line.trim().to_owned())
    }

    /// Installs Debian packages as root; as anyone else, stops with the command to run.
    pub fn apt_install(&mut self, packages: &[&str], why: &str) -> anyhow::Result<()> {
        let command = format!("apt-get install -y {}", packages.join(" "));
        if !self.is_root {
            bail!(
                "{why} is missing and installing it needs root. Run:\n\n    sudo {command}\n\nthen run this command again."
            );
        }
        if self.which("apt-get").is_none() {
            bail!(
                "{why} is missing and this is not a Debian-like system (no apt-get); install {} yourself",
                packages.join(" ")
            );
        }
        if !self.apt_updated {
            step("apt-get update");
            run(self
                .cmd("apt-get")
                .arg("update")
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
            self.apt_updated = true;
        }
        step(format_args!("{command} ({why}, about a minute, once)"));
        run(self
            .cmd("apt-get")
            .args(["install", "-y"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    }
}

/// Runs a command with inherited stdio and fails if it does not succeed.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Runs a command, capturing stdout; fails with its stderr if it does not succeed.
pub fn capture(cmd: &mut Command) -> anyhow::Result<String> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {}", describe(cmd)))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            describe(cmd),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `program arg arg` for messages.
pub fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    std::iter::once(program)
        .chain(cmd.get_args().map(|arg| arg.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where `npm install --prefix <root>/.pulse/tools` puts executables.
pub fn local_npm_bin(root: &Path) -> PathBuf {
    root.join(".pulse/tools/node_modules/.bin")
}

fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cargo")
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether we run as uid 0, read from `/proc/self/status` (no libc, no unsafe).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| effective_uid(&status))
        .map_or_else(
            || {
                Command::new("id")
                    .arg("-u")
                    .output()
                    .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
            },
            |uid| uid == 0,
        )
}

/// The effective uid from the `Uid:` line of `/proc/<pid>/status` (real, effective, saved, fs).
pub fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Bytes as a short human number: `194.3 KiB`.
pub fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // sizes of files, far below 2^52
    let value = bytes as f64;
    if value < 1024.0 {
        format!("{bytes} B")
    } else if value < 1024.0 * 1024.0 {
        format!("{:.1} KiB", value / 1024.0)
    } else {
        format!("{:.2} MiB", value / (1024.0 * 1024.0))
    }
}

/// A port of loopback nobody listens on now (the caller's child binds it a moment later).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_uid() {
        let status = "Name:\tcat\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Name:\tcat\n"), None);
    }

    #[test]
    fn sizes_read_like_a_person_would_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(198_963), "194.3 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.00 MiB");
    }

    #[test]
    fn describes_commands_by_program_name_and_args() {
        let mut cmd = Command::new("/usr/bin/pg_ctl");
        cmd.args(["-D", "data", "status"]);
        assert_eq!(describe(&cmd), "pg_ctl -D data status");
    }
}
