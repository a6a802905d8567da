//! Logging: one `tracing` subscriber for the process, text for people or JSON for machines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. A filter that does not parse falls back to `info`
/// with a warning rather than stopping the server.
pub fn init(filter: &str, format: LogFormat) {
    let (env_filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(env_filter) => (env_filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_target(false);
    // `try_init` fails only when a subscriber is already installed (tests start several servers).
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if let Some(error) = bad_filter {
        tracing::warn!(%error, filter, "PULSE_LOG is not a valid filter; logging at info");
    }
}
