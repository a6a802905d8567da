//! `pulse-agent check`: is the server reachable and healthy.

use std::time::Duration;

use anyhow::Context;
use pulse_shared::system::{Health, SystemStatusResponse};

/// Prints the server's status; `Ok(false)` when a part of it is down.
pub async fn check(server: &str) -> anyhow::Result<bool> {
    let url = format!("{}/api/v1/system/status", server.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let response = response
        .error_for_status()
        .with_context(|| format!("{url} answered with an error"))?;
    let status: SystemStatusResponse = response
        .json()
        .await
        .context("the server's answer is not a Pulse status")?;
    println!("Pulse {} at {server}", status.version);
    for component in &status.components {
        let health = match component.health {
            Health::Up => "up",
            Health::Down => "down",
        };
        println!(
            "  {:<10} {health}{}",
            component.name,
            component
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
    }
    Ok(status.components.iter().all(|c| c.health == Health::Up))
}
