//! RFC 9457 problem details: the one error shape of the API.

use serde::{Deserialize, Serialize};

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer of the API (`application/problem+json`, RFC 9457).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A stable URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code of this answer.
    pub status: u16,
    /// A human explanation of this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// RFC 9457's reference to this occurrence. Not sent by the server today: quote the
    /// `x-request-id` response header when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// One entry per field at fault, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// What is wrong with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field at fault as a JSON pointer into the request body or a query parameter name,
    /// e.g. `/email` or `limit`.
    pub field: String,
    /// A stable machine-readable code, e.g. `required`, `too_long`, `invalid`.
    pub code: String,
    /// A human explanation.
    pub message: String,
}

/// The kinds of problem the API reports. The `type` URI of each is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// The plan does not include this, or a payment was refused.
    PaymentRequired,
    /// The payment provider failed or could not be reached.
    PaymentProvider,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Unavailable,
    /// The database stopped the request (a statement or lock timeout): try again.
    Timeout,
    Internal,
}

impl ProblemType {
    /// The stable `type` URI reference.
    pub fn uri(self) -> &'static str {
        match self {
            Self::BadRequest => "/problems/bad-request",
            Self::Validation => "/problems/validation",
            Self::Unauthorized => "/problems/unauthorized",
            Self::Forbidden => "/problems/forbidden",
            Self::NotFound => "/problems/not-found",
            Self::MethodNotAllowed => "/problems/method-not-allowed",
            Self::Conflict => "/problems/conflict",
            Self::PaymentRequired => "/problems/payment-required",
            Self::PaymentProvider => "/problems/payment-provider",
            Self::PayloadTooLarge => "/problems/payload-too-large",
            Self::UnsupportedMediaType => "/problems/unsupported-media-type",
            Self::TooManyRequests => "/problems/too-many-requests",
            Self::Unavailable => "/problems/unavailable",
            Self::Timeout => "/problems/timeout",
            Self::Internal => "/problems/internal",
        }
    }

    /// The human title shared by every occurrence.
    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "The request is malformed",
            Self::Validation => "Some fields are not valid",
            Self::Unauthorized => "Sign-in is required",
            Self::Forbidden => "You may not do this",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "This conflicts with the current state",
            Self::PaymentRequired => "Payment is required",
            Self::PaymentProvider => "The payment provider did not answer as expected",
            Self::PayloadTooLarge => "The request body is too large",
            Self::UnsupportedMediaType => "Unsupported content type",
            Self::TooManyRequests => "Too many requests",
            Self::Unavailable => "The service is temporarily unavailable",
            Self::Timeout => "The request took too long",
            Self::Internal => "Something went wrong on our side",
        }
    }

    /// The HTTP status code this kind of problem is answered with.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Validation => 422,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PaymentRequired => 402,
            Self::PaymentProvider => 502,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::TooManyRequests => 429,
            Self::Unavailable | Self::Timeout => 503,
            Self::Internal => 500,
        }
    }
}

impl Problem {
    /// A problem of the given kind with no detail.
    pub fn new(kind: ProblemType) -> Self {
        Self {
            kind: kind.uri().to_owned(),
            title: kind.title().to_owned(),
            status: kind.status(),
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    /// Adds a human explanation of this occurrence.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The sentence to show a person: the detail when there is one, else the title,
    /// followed by each field error.
    pub fn message(&self) -> String {
        let mut text = self.detail.clone().unwrap_or_else(|| self.title.clone());
        for error in &self.errors {
            text.push_str(&format!(
                "\n{}: {}",
                error.field.trim_start_matches('/'),
                error.message
            ));
        }
        text
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Problem {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_type_field_and_omits_empty_parts() {
        let json = serde_json::to_value(Problem::new(ProblemType::NotFound)).unwrap_or_default();
        assert_eq!(json["type"], "/problems/not-found");
        assert_eq!(json["status"], 404);
        assert!(json.get("errors").is_none());
        assert!(json.get("detail").is_none());
    }

    #[test]
    fn message_lists_field_errors() {
        let mut problem = Problem::new(ProblemType::Validation);
        problem.errors.push(FieldError {
            field: "/email".into(),
            code: "invalid".into(),
            message: "is not an email address".into(),
        });
        assert_eq!(
            problem.message(),
            "Some fields are not valid\nemail: is not an email address"
        );
    }
}
