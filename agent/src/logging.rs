//! The agent's log. Lines go to stderr, which is the journal when the systemd user unit
//! runs the agent; with `run --log-file` (the XDG autostart entry's way) they go to
//! `agent.log` in the state directory instead, which is rotated at [`ROTATE_AT`] with
//! [`KEPT`] older files (`agent.log.1` the newest).

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::Utc;

/// The size at which the log file is rotated.
pub const ROTATE_AT: u64 = 1024 * 1024;
/// How many rotated files are kept.
pub const KEPT: usize = 3;

static FILE: OnceLock<Mutex<Rotating>> = OnceLock::new();

/// Sends the log to `path` (rotated) instead of stderr, from now on.
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    let rotating = Rotating::open(path.to_owned())?;
    let _ = FILE.set(Mutex::new(rotating));
    Ok(())
}

/// Writes one line, stamped with the time.
pub fn log(message: std::fmt::Arguments<'_>) {
    let line = format!(
        "{} pulse-agent: {message}\n",
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    match FILE.get() {
        Some(file) => file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .write(&line),
        None => eprint!("{line}"),
    }
}

struct Rotating {
    path: PathBuf,
    file: File,
    size: u64,
}

impl Rotating {
    fn open(path: PathBuf) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        Ok(Self { path, file, size })
    }

    fn write(&mut self, line: &str) {
        if self.size + line.len() as u64 > ROTATE_AT {
            // When rotating fails, logging goes on into the full file rather than lose lines.
            let _ = self.rotate();
        }
        if self.file.write_all(line.as_bytes()).is_ok() {
            self.size += line.len() as u64;
        }
    }

    /// `agent.log` → `agent.log.1` → … → `agent.log.KEPT` (dropped beyond).
    fn rotate(&mut self) -> std::io::Result<()> {
        let numbered = |n: usize| {
            let mut name = self.path.clone().into_os_string();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        for n in (1..KEPT).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, numbered(1))?;
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_file_rotates_and_keeps_three_old_ones() {
        let dir = std::env::temp_dir().join(format!("pulse-log-{}", uuid::Uuid::new_v4()));
        let path = dir.join("agent.log");
        let mut log = Rotating::open(path.clone()).unwrap();
        let line = format!("{}\n", "x".repeat(1023));
        for _ in 0..(5 * 1024 + 10) {
            log.write(&line);
        }
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert_eq!(size(&path), 10 * 1024);
        for n in 1..=KEPT {
            assert_eq!(size(&dir.join(format!("agent.log.{n}"))), ROTATE_AT, "{n}");
        }
        assert!(!dir.join(format!("agent.log.{}", KEPT + 1)).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
