//! The administrator's settings for every account on the computer:
//! `/etc/pulse-agent/config.toml` (the package's conffile; `PULSE_AGENT_SYSTEM_CONFIG`
//! names another file). Every key is optional; a missing file is no settings, an
//! unknown key or a bad value stops the agent with the file and the reason.
//!
//! ```toml
//! server = "https://pulse.example.com"   # for `enroll` without --server
//! spool_cap_mib = 256                    # the most the spool may hold on disk
//! ```

use std::path::PathBuf;

use anyhow::Context as _;
use serde::Deserialize;

/// Where the settings are read from unless `PULSE_AGENT_SYSTEM_CONFIG` says otherwise.
pub const SYSTEM_CONFIG: &str = "/etc/pulse-agent/config.toml";

#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// The Pulse server computers enroll with.
    pub server: Option<String>,
    /// The most the spool holds, in MiB.
    pub spool_cap_mib: Option<u64>,
}

impl SystemConfig {
    pub fn path() -> PathBuf {
        std::env::var_os("PULSE_AGENT_SYSTEM_CONFIG")
            .filter(|path| !path.is_empty())
            .map_or_else(|| PathBuf::from(SYSTEM_CONFIG), PathBuf::from)
    }

    /// The settings, or none when the file does not exist.
    pub fn load() -> anyhow::Result<Self> {
        let path = Self::path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).with_context(|| format!("in {}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text)?;
        if let Some(server) = &config.server {
            anyhow::ensure!(
                server.starts_with("https://") || server.starts_with("http://"),
                "server: {server:?} is not an http(s) URL"
            );
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_config_takes_known_keys_and_names_what_is_wrong() {
        assert_eq!(SystemConfig::parse("").unwrap(), SystemConfig::default());
        let config = SystemConfig::parse(
            "# preset by IT\nserver = \"https://pulse.example.com\"\nspool_cap_mib = 64\n",
        )
        .unwrap();
        assert_eq!(config.server.as_deref(), Some("https://pulse.example.com"));
        assert_eq!(config.spool_cap_mib, Some(64));
        let unknown = SystemConfig::parse("sever = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("sever"), "{unknown}");
        let scheme = SystemConfig::parse("server = \"pulse.example.com\"")
            .unwrap_err()
            .to_string();
        assert!(scheme.contains("not an http(s) URL"), "{scheme}");
    }
}
