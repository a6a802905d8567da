//! Every HTTP call of the app, one file per resource as on the server
//! (`backend/src/api/`): typed with `pulse-shared`, errors folded into [`ApiError`].
//!
//! Calls that need a signed-in person take the [`Session`](crate::session::Session):
//! they send its access token as `Authorization: Bearer`, and on a 401 they renew the
//! session once (the refresh token is an `HttpOnly` cookie the browser sends by itself)
//! and retry once; when renewing fails the session ends and the app shows the sign-in
//! page. The plumbing (sending, reading answers, renewing) is in `client.rs`.

use std::fmt;

use pulse_shared::problem::{FieldError, Problem};

mod agents;
mod alerts;
mod api_keys;
mod audit;
mod auth;
mod billing;
mod category_rules;
mod client;
mod data_exports;
mod fetched;
mod invitations;
mod loaded;
mod me;
mod overview;
mod people;
mod policies;
mod reports;
mod screenshots;
mod sessions;
mod system;
mod teams;
mod webhooks;

pub use agents::*;
pub use alerts::*;
pub use api_keys::*;
pub use audit::*;
pub use auth::*;
pub use billing::*;
pub use category_rules::*;
pub use client::{end_session, restore_session, sign_in_known, start_session};
pub use data_exports::*;
pub use fetched::Fetched;
pub use invitations::*;
pub use loaded::Loaded;
pub use me::*;
pub use overview::*;
pub use people::*;
pub use policies::*;
pub use reports::*;
pub use screenshots::*;
pub use sessions::*;
pub use system::*;
pub use teams::*;
pub use webhooks::*;

/// Why a call to the API did not give the expected answer.
///
/// `Display` is written for people: the text is shown as is in error cards and toasts.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down, blocked by the browser).
    Network(String),
    /// The server answered with `application/problem+json`.
    Problem(Box<Problem>),
    /// The server refused because of too many attempts; `retry_after` is in seconds.
    TooManyRequests { retry_after: Option<u64> },
    /// The server answered with an error status but no problem document
    /// (e.g. a proxy in between, or the API is not served at this address).
    Status { status: u16, text: String },
    /// The answer was not the JSON shape this version of the app expects.
    Decode(String),
    /// A renewal found no sign-in to renew: this browser holds none (any more).
    SignedOut,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(_) => f.write_str(
                "The Pulse server could not be reached. Check your connection and try again.",
            ),
            Self::Problem(problem) => f.write_str(&problem.message()),
            Self::TooManyRequests {
                retry_after: Some(seconds),
            } => write!(
                f,
                "Too many attempts. Try again in {}.",
                wait_in_words(*seconds)
            ),
            Self::TooManyRequests { retry_after: None } => {
                f.write_str("Too many attempts. Wait a moment and try again.")
            }
            Self::Status { status, text } if text.is_empty() => {
                write!(f, "The server answered with an unexpected error (HTTP {status}).")
            }
            Self::Status { status, text } => write!(
                f,
                "The server answered with an unexpected error (HTTP {status} {text})."
            ),
            Self::Decode(_) => f.write_str(
                "The server's answer could not be read. Reload the page to get the latest version of Pulse.",
            ),
            Self::SignedOut => f.write_str("You are signed out. Sign in to continue."),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The server's id for the failed request, for people to quote when reporting it.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Problem(problem) => problem.instance.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(problem) => Some(problem.status),
            Self::TooManyRequests { .. } => Some(429),
            Self::Status { status, .. } => Some(*status),
            Self::Network(_) | Self::Decode(_) | Self::SignedOut => None,
        }
    }

    /// Whether the sign-in is over: the server refused it (401), or there was none.
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::SignedOut) || self.status() == Some(401)
    }

    /// The per-field errors of a validation problem (empty for anything else).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Problem(problem) => &problem.errors,
            _ => &[],
        }
    }

    /// The sentence to show above a form whose fields already show their own errors:
    /// the problem's detail or title without the field list.
    pub fn summary(&self) -> String {
        match self {
            Self::Problem(problem) => problem
                .detail
                .clone()
                .unwrap_or_else(|| problem.title.clone()),
            other => other.to_string(),
        }
    }
}

/// `30` → `30 seconds`, `90` → `2 minutes`.
fn wait_in_words(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        0..=59 => format!("{seconds} seconds"),
        _ => {
            let minutes = seconds.div_ceil(60);
            if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_words() {
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(30), "30 seconds");
        assert_eq!(wait_in_words(60), "1 minute");
        assert_eq!(wait_in_words(61), "2 minutes");
    }
}
