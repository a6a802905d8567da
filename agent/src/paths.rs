//! Where the agent keeps its files: the credential under the XDG config directory
//! (`~/.config/pulse-agent/credential.json`, mode 0600), the spool under the XDG state
//! directory (`~/.local/state/pulse-agent/spool.sqlite3`, with `agent.log` and
//! `run.lock` beside it). `PULSE_AGENT_CONFIG_DIR` and `PULSE_AGENT_STATE_DIR` move
//! them (tests, several agents on one account).

use std::path::PathBuf;

use anyhow::Context as _;

fn xdg(own: &str, xdg: &str, fallback: &str) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(own).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os(xdg).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("pulse-agent"));
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(fallback).join("pulse-agent"))
}

pub fn credential() -> anyhow::Result<PathBuf> {
    Ok(xdg("PULSE_AGENT_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")?.join("credential.json"))
}

fn state(file: &str) -> anyhow::Result<PathBuf> {
    Ok(xdg("PULSE_AGENT_STATE_DIR", "XDG_STATE_HOME", ".local/state")?.join(file))
}

pub fn spool() -> anyhow::Result<PathBuf> {
    state("spool.sqlite3")
}

/// The log file of `run --log-file`, beside the spool.
pub fn log_file() -> anyhow::Result<PathBuf> {
    state("agent.log")
}

/// Held by the running agent, so a second one for the same account (the autostart
/// entry and the systemd unit both enabled) stops at once.
pub fn run_lock() -> anyhow::Result<PathBuf> {
    state("run.lock")
}
