//! Request extractors whose failures are problems a person can act on.
//!
//! [`Json`] replaces `actix_web::web::Json` for request bodies: it enforces the body
//! limit while streaming (413 before reading a declared oversize body), accepts
//! `Content-Encoding: gzip`/`br`, and names the exact field at fault as a JSON pointer
//! (`/members/2/email`) with `serde_path_to_error`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Decompress, Payload};
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use pulse_shared::FieldError;
use serde::de::DeserializeOwned;

use crate::errors::ApiError;

/// The largest request body, set from `PULSE_MAX_BODY_BYTES`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body of type `T`, at most `LIMIT` bytes once decompressed (`0`: the
/// server's `PULSE_MAX_BODY_BYTES`).
#[derive(Debug)]
pub struct Json<T, const LIMIT: usize = 0>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for Json<T, LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = match LIMIT {
            0 => req
                .app_data::<BodyLimit>()
                .map_or(1024 * 1024, |limit| limit.0),
            limit => limit,
        };
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
        });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut body = Decompress::from_headers(payload.take(), req.headers());
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if declared.is_some_and(|length| length > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut bytes = BytesMut::new();
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|error| {
                    ApiError::BadRequest(format!("the request body could not be read: {error}"))
                })?;
                if bytes.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                bytes.extend_from_slice(&chunk);
            }
            parse(&bytes).map(Json)
        })
    }
}

/// Deserialises `bytes`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let pointer = pointer(error.path());
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let (field, code) = match named_field(&message) {
                    // An unknown field's path already ends at it; a missing one's ends at its parent.
                    Some((name, code)) if !pointer.ends_with(&format!("/{name}")) => {
                        (format!("{}/{name}", pointer.trim_end_matches('/')), code)
                    }
                    Some((_, code)) => (pointer, code),
                    None => (pointer, "invalid"),
                };
                ApiError::Validation(vec![FieldError {
                    field,
                    code: code.into(),
                    message,
                }])
            }
            _ => ApiError::BadRequest(format!(
                "the request body is not valid JSON: {}",
                strip_position(&inner.to_string())
            )),
        }
    })
}

/// The JSON pointer (RFC 6901) of a serde path; `/` for the whole body.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => pointer.push_str(variant),
            Segment::Unknown => pointer.push('?'),
        }
    }
    if pointer.is_empty() {
        "/".into()
    } else {
        pointer
    }
}

/// serde reports a missing or unknown field at the enclosing object; this finds the
/// field's own name in the message, with the matching error code.
fn named_field(message: &str) -> Option<(String, &'static str)> {
    let (rest, code) = [
        ("missing field ", "required"),
        ("unknown field ", "unknown"),
        ("duplicate field ", "duplicate"),
    ]
    .iter()
    .find_map(|(prefix, code)| message.strip_prefix(prefix).map(|rest| (rest, *code)))?;
    let start = rest.find('`')? + 1;
    let end = start + rest[start..].find('`')?;
    Some((rest[start..end].to_owned(), code))
}

/// Drops serde's " at line 1 column 9", which means nothing to a person.
pub(crate) fn strip_position(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Invite {
        email: String,
        members: Vec<Member>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Member {
        name: String,
        age: u8,
    }

    fn field_error(body: &str) -> FieldError {
        match parse::<Invite>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors[0].clone(),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn names_the_field_at_fault_as_a_pointer() {
        let cases = [
            (r#"{"members": []}"#, "/email", "required"),
            (r#"{"email": 5, "members": []}"#, "/email", "invalid"),
            (
                r#"{"email": "a", "members": [{"name": "x", "age": 1}, {"name": "y", "age": 300}]}"#,
                "/members/1/age",
                "invalid",
            ),
            (
                r#"{"email": "a", "members": [{"name": "x"}]}"#,
                "/members/0/age",
                "required",
            ),
            (
                r#"{"email": "a", "members": [], "role": "OWNER"}"#,
                "/role",
                "unknown",
            ),
        ];
        for (body, field, code) in cases {
            let error = field_error(body);
            assert_eq!(
                (error.field.as_str(), error.code.as_str()),
                (field, code),
                "{body}: {}",
                error.message
            );
            assert!(!error.message.contains("line 1"), "{}", error.message);
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse::<Invite>(b"{\"email\":"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse::<Invite>(b"not json"),
            Err(ApiError::BadRequest(_))
        ));
    }

    async fn extract(req: TestRequest) -> Result<Json<Member>, ApiError> {
        let (req, mut payload) = req.app_data(BodyLimit(64)).to_http_parts();
        Json::<Member>::from_request(&req, &mut payload).await
    }

    #[actix_web::test]
    async fn enforces_type_and_size() {
        let ok = extract(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload(r#"{"name":"a","age":3}"#),
        )
        .await;
        assert_eq!(ok.map(|Json(m)| m.age).ok(), Some(3));
        let text = extract(
            TestRequest::post()
                .insert_header(("content-type", "text/plain"))
                .set_payload("{}"),
        )
        .await;
        assert!(matches!(text, Err(ApiError::UnsupportedMediaType(_))));
        let big = format!(r#"{{"name":"{}","age":3}}"#, "x".repeat(100));
        let large = extract(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload(big),
        )
        .await;
        assert!(matches!(
            large,
            Err(ApiError::PayloadTooLarge { limit: 64 })
        ));
    }
}
