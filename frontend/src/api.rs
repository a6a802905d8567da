//! Every HTTP call of the app: typed with `pulse-shared`, errors folded into [`ApiError`].

use std::fmt;

use gloo_net::http::{Request, Response};
use pulse_shared::problem::{PROBLEM_JSON, Problem};
use pulse_shared::system::SystemStatusResponse;
use serde::de::DeserializeOwned;

/// Why a call to the API did not give the expected answer.
///
/// `Display` is written for people: the text is shown as is in error cards and toasts.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down, blocked by the browser).
    Network(String),
    /// The server answered with `application/problem+json`.
    Problem(Problem),
    /// The server answered with an error status but no problem document
    /// (e.g. a proxy in between, or the API is not served at this address).
    Status { status: u16, text: String },
    /// The answer was not the JSON shape this version of the app expects.
    Decode(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(_) => f.write_str(
                "The Pulse server could not be reached. Check your connection and try again.",
            ),
            Self::Problem(problem) => f.write_str(&problem.message()),
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
}

/// `GET /api/v1/system/status`: the server's version, uptime and the health of its parts.
pub async fn system_status() -> Result<SystemStatusResponse, ApiError> {
    get_json("/api/v1/system/status").await
}

/// Sends a same-origin `GET` and reads a JSON answer of type `T`.
async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))?;
    read_json(response).await
}

/// Turns a response into `T`, or into the most precise [`ApiError`] it carries.
async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ApiError::Decode(error.to_string()));
    }
    let is_problem = response
        .headers()
        .get("content-type")
        .is_some_and(|content_type| content_type.starts_with(PROBLEM_JSON));
    if is_problem {
        // A problem document that does not parse still has a status worth reporting.
        if let Ok(problem) = response.json::<Problem>().await {
            return Err(ApiError::Problem(problem));
        }
    }
    Err(ApiError::Status {
        status: response.status(),
        text: response.status_text(),
    })
}
