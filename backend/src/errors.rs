//! The one error type of the HTTP boundary, and how it is rendered.
//!
//! Policy: every failure a client can see is an [`ApiError`] rendered as
//! `application/problem+json` (RFC 9457) with a stable `type`. Lower layers return their
//! own errors and `?` converts them here. Internal failures are logged with their cause
//! and answered with a generic 500 that reveals nothing; client mistakes (bad JSON, a
//! wrong query parameter, a body over the limit) name the field at fault and never
//! become a 500.
//!
//! The database failing under a request is not the request's fault and is worth trying
//! again: no connection to be had, or Postgres unreachable, answers 503 `unavailable`;
//! a statement Postgres stopped (`statement_timeout`, `lock_timeout`, a cancellation)
//! answers 503 `timeout`. Both carry `Retry-After`. 503 rather than 504: Pulse is the
//! origin server, not a gateway, and the limit is its own, so the answer is "try again
//! shortly", not "something behind me did not answer".

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use pulse_shared::problem::PROBLEM_JSON;
use pulse_shared::{FieldError, Problem, ProblemType};

use crate::db::{DbError, Interrupted};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// A limit other than a rate (open streams, say), with what to do about it.
    #[error("limit reached: {detail}")]
    LimitReached {
        detail: &'static str,
        retry_after_secs: u64,
    },
    /// The company's plan does not include this, or a card was refused: says which
    /// plan includes it, or why the payment failed, in words.
    #[error("{0}")]
    PaymentRequired(String),
    /// Stripe failed or could not be reached; nothing was charged twice.
    #[error("{0}")]
    PaymentProvider(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the database is unavailable: {0}")]
    Unavailable(DbError),
    /// Postgres stopped a statement of this request (`DbError::Interrupted`).
    #[error("the database stopped the request: {0}")]
    DatabaseTimeout(DbError),
    /// A bounded queue (password hashing) is full: try again in a moment.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("internal error: {0}")]
    Internal(anyhow::Error),
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Pool(_)
            | DbError::Timeout(_)
            | DbError::Connect(_)
            | DbError::Interrupted(Interrupted::SessionEnded, _) => Self::Unavailable(error),
            DbError::Interrupted(..) => Self::DatabaseTimeout(error),
            DbError::Query(diesel::result::Error::NotFound) => Self::NotFound,
            other => Self::Internal(other.into()),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    /// An internal error, unless the database failed under it: that stays a 503,
    /// whichever layer wrapped it.
    fn from(error: anyhow::Error) -> Self {
        let error = match error.downcast::<DbError>() {
            Ok(error @ DbError::Query(_)) | Ok(error @ DbError::Migration(_)) => {
                return Self::Internal(error.into());
            }
            Ok(error) => return error.into(),
            Err(error) => error,
        };
        match error.downcast::<diesel::result::Error>() {
            Ok(error) if Interrupted::of(&error).is_some() => DbError::from(error).into(),
            Ok(error) => Self::Internal(error.into()),
            Err(error) => Self::Internal(error),
        }
    }
}

impl From<crate::auth::password::PasswordError> for ApiError {
    fn from(error: crate::auth::password::PasswordError) -> Self {
        use crate::auth::password::PasswordError;
        match error {
            PasswordError::Busy => {
                Self::Busy("The server is busy checking passwords; try again in a few seconds.")
            }
            PasswordError::Failed(error) => Self::Internal(error),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl ApiError {
    fn kind(&self) -> ProblemType {
        match self {
            Self::NotFound => ProblemType::NotFound,
            Self::Unauthorized(_) => ProblemType::Unauthorized,
            Self::Forbidden(_) => ProblemType::Forbidden,
            Self::Conflict(_) => ProblemType::Conflict,
            Self::TooManyRequests { .. } | Self::LimitReached { .. } => {
                ProblemType::TooManyRequests
            }
            Self::PaymentRequired(_) => ProblemType::PaymentRequired,
            Self::PaymentProvider(_) => ProblemType::PaymentProvider,
            Self::BadRequest(_) => ProblemType::BadRequest,
            Self::Validation(_) => ProblemType::Validation,
            Self::PayloadTooLarge { .. } => ProblemType::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
            Self::MethodNotAllowed => ProblemType::MethodNotAllowed,
            Self::Unavailable(_) | Self::Busy(_) => ProblemType::Unavailable,
            Self::DatabaseTimeout(_) => ProblemType::Timeout,
            Self::Internal(_) => ProblemType::Internal,
        }
    }

    /// The problem document sent to the client.
    pub fn problem(&self) -> Problem {
        let problem = Problem::new(self.kind());
        match self {
            Self::Unauthorized(detail) | Self::Forbidden(detail) | Self::Busy(detail) => {
                problem.with_detail(*detail)
            }
            Self::Conflict(detail)
            | Self::PaymentRequired(detail)
            | Self::PaymentProvider(detail) => problem.with_detail(detail.clone()),
            Self::TooManyRequests { retry_after_secs } => problem.with_detail(format!(
                "Too many attempts; try again in {retry_after_secs} s."
            )),
            Self::LimitReached { detail, .. } => problem.with_detail(*detail),
            Self::BadRequest(detail) | Self::UnsupportedMediaType(detail) => {
                problem.with_detail(detail.clone())
            }
            Self::PayloadTooLarge { .. } => problem.with_detail(self.to_string()),
            Self::Validation(errors) => Problem {
                errors: errors.clone(),
                ..problem
            },
            Self::Unavailable(_) => {
                problem.with_detail("The database is not reachable; try again shortly.")
            }
            Self::DatabaseTimeout(DbError::Interrupted(Interrupted::LockTimeout, _)) => problem
                .with_detail(
                    "What this request needs is held by another change that is taking long, \
                     so the request was stopped. Try again shortly.",
                ),
            Self::DatabaseTimeout(_) => problem.with_detail(
                "The database took too long on this request and stopped it. Try again \
                 shortly, or ask for less (a shorter range, a narrower filter).",
            ),
            Self::NotFound | Self::MethodNotAllowed | Self::Internal(_) => problem,
        }
    }

    /// Every failed rule among `checks` as one validation problem, so a form shows all
    /// its mistakes at once; `Ok` when all pass.
    pub fn check_fields<'a>(
        checks: impl IntoIterator<Item = (&'a str, Result<(), pulse_shared::validate::Invalid>)>,
    ) -> Result<(), Self> {
        let errors: Vec<FieldError> = checks
            .into_iter()
            .filter_map(|(field, result)| {
                result.err().map(|(code, message)| FieldError {
                    field: field.into(),
                    code: code.into(),
                    message: message.into(),
                })
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Validation(errors))
        }
    }

    /// Over a rate limit: try again after `wait`.
    pub fn too_many(wait: std::time::Duration) -> Self {
        Self::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        }
    }

    /// A validation failure of one field from a shared rule.
    pub fn invalid(field: &str, (code, message): pulse_shared::validate::Invalid) -> Self {
        Self::field(field, code, message)
    }

    /// A validation failure of one field.
    pub fn field(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }])
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.kind().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed")
            }
            Self::Unavailable(error) => tracing::warn!(%error, "database unavailable"),
            Self::DatabaseTimeout(error) => tracing::warn!(%error, "database stopped a request"),
            Self::PaymentProvider(error) => tracing::warn!(%error, "Stripe failed"),
            _ => {}
        }
        let mut response = problem_response(&self.problem());
        if let Self::TooManyRequests { retry_after_secs }
        | Self::LimitReached {
            retry_after_secs, ..
        } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Self::Unauthorized(_) = self {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Renders a problem document with its status and media type.
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
    }
    response.json(problem)
}

/// Turns actix's query-string errors into a validation problem.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    ApiError::field(
        "query",
        "invalid",
        crate::api::extract::strip_position(&error.to_string()),
    )
    .into()
}

/// Turns actix's path-segment errors into a 404: a malformed id names nothing that exists.
pub fn path_error(_error: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_its_status() {
        let cases = [
            (ApiError::NotFound, 404),
            (ApiError::Unauthorized("x"), 401),
            (ApiError::Forbidden("x"), 403),
            (ApiError::Conflict("x".into()), 409),
            (
                ApiError::TooManyRequests {
                    retry_after_secs: 3,
                },
                429,
            ),
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::field("/a", "invalid", "bad"), 422),
            (ApiError::PayloadTooLarge { limit: 10 }, 413),
            (ApiError::UnsupportedMediaType("x".into()), 415),
            (ApiError::MethodNotAllowed, 405),
            (ApiError::Internal(anyhow::anyhow!("secret detail")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status_code().as_u16(), status, "{error:?}");
            assert_eq!(error.problem().status, status);
        }
    }

    #[test]
    fn a_database_that_stops_a_request_answers_503_however_it_is_wrapped() {
        let stopped = |message: &str| {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(message.to_owned()),
            )
        };
        let cases = [
            (
                ApiError::from(stopped("canceling statement due to statement timeout")),
                "/problems/timeout",
            ),
            (
                ApiError::from(anyhow::Error::new(stopped(
                    "canceling statement due to lock timeout",
                ))),
                "/problems/timeout",
            ),
            (
                ApiError::from(
                    anyhow::Error::new(DbError::from(stopped(
                        "terminating connection due to idle-in-transaction timeout",
                    )))
                    .context("reading the trail"),
                ),
                "/problems/unavailable",
            ),
            (
                ApiError::from(anyhow::Error::new(stopped("syntax error"))),
                "/problems/internal",
            ),
        ];
        for (error, kind) in cases {
            let problem = error.problem();
            assert_eq!(problem.kind, kind, "{error:?}");
            let expected = if kind == "/problems/internal" {
                500
            } else {
                503
            };
            assert_eq!(error.status_code().as_u16(), expected, "{error:?}");
        }
    }

    #[test]
    fn internal_errors_reveal_nothing() {
        let problem = ApiError::Internal(anyhow::anyhow!("password=hunter2")).problem();
        assert!(problem.detail.is_none());
        assert!(!serde_json::to_string(&problem).unwrap().contains("hunter2"));
    }
}
