//! Outgoing e-mail. With `PULSE_SMTP_URL` set, messages go out over SMTP (lettre);
//! without it, the log says a message was not sent (to whom, about what), never what it
//! says: messages carry links with secrets, and logs are read by more people than
//! mailboxes. Callers show what matters another way (an invitation's link is in the
//! answer to the person who invited).

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

    /// Sends a plain-text message in the background: the caller answers first, so
    /// neither its answer nor its timing says whether a message went out.
    pub fn send_later(&self, to: String, subject: &'static str, body: String) {
        let mailer = self.clone();
        tokio::spawn(async move { mailer.send(&to, subject, body).await });
    }

    /// Sends a plain-text message, or logs that it was not sent when no SMTP server is
    /// configured; the error is for callers that retry.
    pub async fn deliver(&self, to: &str, subject: &str, body: String) -> anyhow::Result<Sent> {
        let Some(transport) = &self.transport else {
            tracing::info!(%to, %subject, "e-mail not sent: no PULSE_SMTP_URL is configured");
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log output, kept for the test to read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn without_smtp_the_log_names_a_message_but_never_holds_its_secrets() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let mailer = Mailer::new(None, "Pulse <no-reply@localhost>").unwrap();
        let body = "Join here: https://pulse.example/join#the-secret-token".to_owned();
        let sent = mailer
            .deliver("grace@example.com", "You are invited", body)
            .await
            .unwrap();
        assert_eq!(sent, Sent::Logged);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("grace@example.com"), "{log}");
        assert!(!log.contains("the-secret-token"), "{log}");
    }
}
