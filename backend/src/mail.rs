//! Outgoing e-mail. With `PULSE_SMTP_URL` set, messages go out over SMTP (lettre);
//! without it, they are written to the log so that a local operator can pass them on.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp_url`: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…`
    /// (TLS from the start), or `smtp://host:25` (plain, for a relay on the same
    /// machine or network). `from`: the sender, e.g.
    /// `Pulse <no-reply@example.com>`.
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|error| anyhow::anyhow!("PULSE_MAIL_FROM is not an address: {error}"))?;
        let transport = match smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|error| anyhow::anyhow!("PULSE_SMTP_URL is not usable: {error}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            None => None,
        };
        Ok(Self { transport, from })
    }

    /// Sends a plain-text message; answers whether it left by e-mail. A failure is
    /// logged, never returned: the caller shows the content another way.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> bool {
        match self.deliver(to, subject, body).await {
            Ok(sent) => sent == Sent::Smtp,
            Err(error) => {
                tracing::warn!(%to, %error, "cannot send e-mail");
                false
            }
        }
    }

    /// Sends a plain-text message, or logs it when no SMTP server is configured; the
    /// error is for callers that retry.
    pub async fn deliver(&self, to: &str, subject: &str, body: String) -> anyhow::Result<Sent> {
        let Some(transport) = &self.transport else {
            tracing::info!(%to, %subject, %body, "e-mail (no PULSE_SMTP_URL configured, so logged instead)");
            return Ok(Sent::Logged);
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse::<Mailbox>()?)
            .subject(subject)
            .body(body)?;
        transport.send(message).await?;
        Ok(Sent::Smtp)
    }
}

/// How a message left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Smtp,
    /// Written to the log: no SMTP server is configured.
    Logged,
}
