//! The account a load run acts as: a fresh company signed up for the run.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use reqwest::{Client, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What `pulse-bench signup` prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignedUp {
    /// Valid for 15 minutes.
    pub access_token: String,
}

/// Signs up a fresh company, with a unique address, at the server at `base`
/// (`http://host:port`). The server allows 30 sign-ups a minute from one address.
pub async fn sign_up(client: &Client, base: &str) -> anyhow::Result<SignedUp> {
    sign_up_as(client, base, &unique_address()).await
}

/// A sign-in address no other run has used.
pub fn unique_address() -> String {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("bench-{stamp}-{}@example.com", std::process::id())
}

/// Signs up a fresh company whose owner signs in as `email`.
pub async fn sign_up_as(client: &Client, base: &str, email: &str) -> anyhow::Result<SignedUp> {
    let body = json!({
        "company_name": "Bench company",
        "name": "Bench Client",
        "email": email,
        "password": "bench-password-not-secret",
    });
    let response = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&body)
        .send()
        .await
        .with_context(|| format!("could not reach {base}"))?;
    let status = response.status();
    if status != StatusCode::CREATED {
        bail!(
            "POST /api/v1/auth/signup answered {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    Ok(response.json::<SignedUp>().await?)
}
