//! The simulated agents' device credentials, kept in a file between runs
//! (`--credentials`), as a real agent keeps its own: a later run with more agents
//! enrolls only the new ones.

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
        file.write_all(serde_json::to_string(self)?.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
    }
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
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
