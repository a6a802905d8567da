//! The account a load run acts as: a fresh company signed up for the run. Signing up
//! proves the address by a link sent to it: the server under test sends its mail to
//! `--mail-port` on loopback (`cargo xtask bench` starts it so), where the sign-up
//! listens for the link.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use reqwest::{Client, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Where sign-ups listen for their link unless `--mail-port` says otherwise.
pub const MAIL_PORT: u16 = 18025;
/// The password of every owner a run signs up.
const PASSWORD: &str = "bench-password-not-secret";

/// What `pulse-bench signup` prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignedUp {
    /// Valid for 15 minutes.
    pub access_token: String,
}

/// Signs up a fresh company, with a unique address, at the server at `base`
/// (`http://host:port`). The server allows 30 sign-ups a minute from one address.
pub async fn sign_up(client: &Client, base: &str, mail_port: u16) -> anyhow::Result<SignedUp> {
    sign_up_as(client, base, &unique_address(), mail_port).await
}

/// A sign-in address no other run has used.
pub fn unique_address() -> String {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("bench-{stamp}-{}@example.com", std::process::id())
}

/// Signs up a fresh company whose owner signs in as `email`, receiving the link on
/// `mail_port`.
pub async fn sign_up_as(
    client: &Client,
    base: &str,
    email: &str,
    mail_port: u16,
) -> anyhow::Result<SignedUp> {
    let mail = tokio::net::TcpListener::bind(("127.0.0.1", mail_port))
        .await
        .with_context(|| format!("cannot receive mail on port {mail_port}"))?;
    let body = json!({
        "company_name": "Bench company",
        "name": "Bench Client",
        "email": email,
        "password": PASSWORD,
    });
    let asked = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&body)
        .send()
        .await
        .with_context(|| format!("could not reach {base}"))?;
    expect(asked, StatusCode::ACCEPTED, "POST /api/v1/auth/signup").await?;
    let message = tokio::time::timeout(Duration::from_secs(30), receive(&mail))
        .await
        .with_context(|| {
            format!(
                "no sign-up e-mail in 30 s: does the server send to smtp://127.0.0.1:{mail_port}?"
            )
        })??;
    let token = message
        .split_once("/verify#")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .context("the sign-up e-mail holds no /verify# link")?;
    let verified = client
        .post(format!("{base}/api/v1/auth/signup/verify"))
        .json(&json!({ "token": token }))
        .send()
        .await?;
    let verified = expect(
        verified,
        StatusCode::CREATED,
        "POST /api/v1/auth/signup/verify",
    )
    .await?;
    Ok(verified.json::<SignedUp>().await?)
}

/// Signs in as the owner `email` signed up earlier (by [`sign_up_as`]): a fresh access
/// token, for runs that outlast the first one's 15 minutes.
pub async fn sign_in(client: &Client, base: &str, email: &str) -> anyhow::Result<SignedUp> {
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .with_context(|| format!("could not reach {base}"))?;
    let response = expect(response, StatusCode::OK, "POST /api/v1/auth/login").await?;
    Ok(response.json::<SignedUp>().await?)
}

async fn expect(
    response: reqwest::Response,
    status: StatusCode,
    what: &str,
) -> anyhow::Result<reqwest::Response> {
    if response.status() != status {
        bail!(
            "{what} answered {}: {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    Ok(response)
}

/// Receives one message over SMTP (the server under test sends nothing else while a
/// run signs up) and answers it, headers and body.
async fn receive(listener: &tokio::net::TcpListener) -> anyhow::Result<String> {
    let (socket, _) = listener.accept().await?;
    Ok(converse(socket).await?.concat())
}

/// One SMTP conversation, answering every command with success; the messages it
/// carried (headers and body), in order.
pub async fn converse(socket: tokio::net::TcpStream) -> anyhow::Result<Vec<String>> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 pulse-bench\r\n").await?;
    let mut messages = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let command = line.to_uppercase();
        if command.starts_with("DATA") {
            write.write_all(b"354 go on\r\n").await?;
            let mut message = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                message.push_str(&line);
                message.push('\n');
            }
            messages.push(message);
        } else if command.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            break;
        }
        write.write_all(b"250 OK\r\n").await?;
    }
    Ok(messages)
}
