//! Device credentials kept in files only their owner can read: the real agent's one
//! ([`Credential`], written by `pulse-agent enroll`), and the simulated agents' many
//! ([`Saved`], `simulate --credentials`), so a later run with more agents enrolls only
//! the new ones.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use pulse_shared::ids::{AgentId, UserId};
use serde::{Deserialize, Serialize};

/// The file: the server they belong to, and one entry per agent number.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    pub server: String,
    pub agents: BTreeMap<usize, SavedAgent>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedAgent {
    pub agent_id: AgentId,
    pub user_id: UserId,
    /// `pag_…`: the bearer token.
    pub credential: String,
}

impl Saved {
    /// The credentials in `path` for `server`; none when the file is missing or holds
    /// another server's.
    pub fn load(path: &Path, server: &str) -> anyhow::Result<Self> {
        let empty = Self {
            server: server.to_owned(),
            agents: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(empty),
            Err(error) => {
                return Err(error).with_context(|| format!("reading {}", path.display()));
            }
        };
        let saved: Self = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a credentials file", path.display()))?;
        if saved.server != server {
            eprintln!(
                "pulse-agent: {} holds credentials for {}, not {server}: enrolling afresh",
                path.display(),
                saved.server
            );
            return Ok(empty);
        }
        Ok(saved)
    }

    /// Writes the file readable by its owner only (it holds secrets), replacing it whole.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        write_private(path, serde_json::to_string(self)?.as_bytes())
    }
}

/// The one computer's credential: what `pulse-agent enroll` got from the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Credential {
    pub server: String,
    #[serde(flatten)]
    pub agent: SavedAgent,
    pub hostname: String,
    /// The employee it reports for, as given at enrollment.
    pub employee_email: Option<String>,
}

impl Credential {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading {}: is this computer enrolled (`pulse-agent enroll`)?",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a credential file", path.display()))
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        write_private(path, serde_json::to_string_pretty(self)?.as_bytes())
    }
}

/// Writes `bytes` to `path` readable by its owner only (0600: it holds secrets),
/// replacing the file whole, so a crash leaves the old file or the new one.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let temporary = path.with_extension("tmp");
    let mut file = {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options
            .open(&temporary)
            .with_context(|| format!("writing {}", temporary.display()))?
    };
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_survive_a_round_trip_and_belong_to_one_server() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("pulse-sim-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("credentials.json");
        let _ = std::fs::remove_file(&path);
        assert!(Saved::load(&path, "http://a")?.agents.is_empty());
        let mut saved = Saved::load(&path, "http://a")?;
        saved.agents.insert(
            7,
            SavedAgent {
                agent_id: AgentId(uuid::Uuid::nil()),
                user_id: UserId(uuid::Uuid::nil()),
                credential: "pag_x".into(),
            },
        );
        saved.save(&path)?;
        assert_eq!(
            Saved::load(&path, "http://a")?.agents[&7].credential,
            "pag_x"
        );
        assert!(Saved::load(&path, "http://b")?.agents.is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "only the owner may read credentials");
        }
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
