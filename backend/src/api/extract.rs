//! Request extractors whose failures are problems a person can act on.
//!
//! [`Json`] replaces `actix_web::web::Json` for request bodies: it enforces the body
//! limit while streaming (413 before reading a declared oversize body), refuses any
//! `Content-Encoding` (415), and names the exact field at fault as a JSON pointer
//! (`/members/2/email`) with `serde_path_to_error`. [`CompressedJson`] also takes gzip
//! and brotli, for the one route where they pay (agents' activity batches): the body is
//! inflated by a decoder that stops one byte past the limit, so what a small body
//! expands to is never held beyond it.

use std::future::Future;
use std::io::Read as _;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use pulse_shared::FieldError;
use serde::de::DeserializeOwned;

use crate::errors::ApiError;

/// The largest request body, set from `PULSE_MAX_BODY_BYTES`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body of type `T`, at most `LIMIT` bytes (`0`: the server's
/// `PULSE_MAX_BODY_BYTES`), sent without a `Content-Encoding`.
#[derive(Debug)]
pub struct Json<T, const LIMIT: usize = 0>(pub T);

/// A JSON request body of type `T`, plain or gzip- or brotli-encoded, at most `LIMIT`
/// bytes once decoded (`0`: the server's `PULSE_MAX_BODY_BYTES`).
#[derive(Debug)]
pub struct CompressedJson<T, const LIMIT: usize = 0>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for Json<T, LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body::<T>(req, payload, LIMIT, false);
        Box::pin(async move { body.await.map(Json) })
    }
}

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for CompressedJson<T, LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_body::<T>(req, payload, LIMIT, true);
        Box::pin(async move { body.await.map(CompressedJson) })
    }
}

/// Reads and parses a JSON body of at most `limit` decoded bytes (`0`: the server's);
/// gzip and brotli only when `compressed`.
fn json_body<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    compressed: bool,
) -> impl Future<Output = Result<T, ApiError>> + 'static {
    let limit = match limit {
        0 => req
            .app_data::<BodyLimit>()
            .map_or(1024 * 1024, |limit| limit.0),
        limit => limit,
    };
    let is_json =
        req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")
        });
    let encoding = Encoding::of(req, compressed);
    let declared = declared_length(req);
    let payload = payload.take();
    async move {
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as application/json".into(),
            ));
        }
        let encoding = encoding?;
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let raw = read_raw(payload, limit).await?;
        parse(&encoding.decode(raw, limit)?)
    }
}

/// The `Content-Length` a request declares, if any.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
}

/// How a request body is encoded (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The body's encoding: none, or, where `compressed`, gzip or brotli; 415 for any
    /// other.
    pub fn of(req: &HttpRequest, compressed: bool) -> Result<Self, ApiError> {
        let Some(value) = req.headers().get(header::CONTENT_ENCODING) else {
            return Ok(Self::Identity);
        };
        let value = value.to_str().unwrap_or("?").trim().to_ascii_lowercase();
        match value.as_str() {
            "" | "identity" => Ok(Self::Identity),
            "gzip" | "x-gzip" if compressed => Ok(Self::Gzip),
            "br" if compressed => Ok(Self::Brotli),
            _ if compressed => Err(ApiError::UnsupportedMediaType(
                "send the body as it is, or with Content-Encoding gzip or br".into(),
            )),
            _ => Err(ApiError::UnsupportedMediaType(
                "send the body as it is: this route takes no Content-Encoding".into(),
            )),
        }
    }

    /// The decoded body, refused (413) as soon as it grows past `limit` bytes.
    fn decode(self, raw: Bytes, limit: usize) -> Result<Bytes, ApiError> {
        let decoder: Box<dyn std::io::Read + '_> = match self {
            Self::Identity => return Ok(raw),
            Self::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw.as_ref())),
            Self::Brotli => Box::new(brotli_decompressor::Decompressor::new(raw.as_ref(), 8192)),
        };
        let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        let mut decoded = Vec::new();
        decoder
            .take(cap)
            .read_to_end(&mut decoded)
            .map_err(|error| {
                ApiError::BadRequest(format!(
                    "the request body could not be decompressed: {error}"
                ))
            })?;
        if decoded.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        Ok(Bytes::from(decoded))
    }
}

/// The body as sent, refused (413) as soon as more than `limit` bytes have arrived.
pub async fn read_raw(payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    read_raw_sized(payload, limit, 0).await
}

/// A body taken exactly as sent, for routes that read bytes rather than JSON (an image,
/// a signed event): any `Content-Encoding` is refused (415), and more than `limit`
/// bytes (413) as they arrive; `declared` (the `Content-Length`, when known) sizes the
/// buffer.
pub async fn read_unencoded(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
    declared: Option<usize>,
) -> Result<Bytes, ApiError> {
    Encoding::of(req, false)?;
    read_raw_sized(payload, limit, declared.unwrap_or(0)).await
}

/// [`read_raw`] into a buffer of `expected` bytes (the declared length, at most
/// `limit`), so a large body is not copied as its buffer grows.
pub async fn read_raw_sized(
    mut payload: Payload,
    limit: usize,
    expected: usize,
) -> Result<Bytes, ApiError> {
    let mut bytes = BytesMut::with_capacity(expected.min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::BadRequest(format!("the request body could not be read: {error}"))
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
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
            // serde_json calls some shapes it did not expect syntax errors (an object
            // where an enum's name belongs, `[null]` for a struct): when the body is
            // JSON, the fault is the value at `pointer`, not the syntax.
            _ if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
                ApiError::Validation(vec![FieldError {
                    field: pointer,
                    code: "invalid".into(),
                    message: strip_position(&inner.to_string()),
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
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    enum Kind {
        Staff,
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
            // JSON that serde_json calls a syntax error for the shape it expected.
            (
                r#"{"email": "a", "members": [], "kind": {}}"#,
                "/kind",
                "invalid",
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

    async fn extract_compressed(req: TestRequest) -> Result<CompressedJson<Member>, ApiError> {
        let (req, mut payload) = req.app_data(BodyLimit(64)).to_http_parts();
        CompressedJson::<Member>::from_request(&req, &mut payload).await
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut encoder = brotli_encoder(Vec::new());
        encoder.write_all(bytes).unwrap();
        encoder.into_inner()
    }

    fn brotli_encoder(out: Vec<u8>) -> brotli::CompressorWriter<Vec<u8>> {
        brotli::CompressorWriter::new(out, 4096, 11, 22)
    }

    fn encoded(encoding: &str, body: Vec<u8>) -> TestRequest {
        TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .insert_header(("content-encoding", encoding))
            .set_payload(body)
    }

    #[actix_web::test]
    async fn compressed_bodies_only_where_taken_and_counted_as_they_inflate() {
        let member = br#"{"name":"a","age":3}"#;
        for (name, body) in [("gzip", gzip(member)), ("br", brotli(member))] {
            let taken = extract_compressed(encoded(name, body.clone())).await;
            assert_eq!(taken.map(|CompressedJson(m)| m.age).ok(), Some(3), "{name}");
            let refused = extract(encoded(name, body)).await;
            assert!(
                matches!(refused, Err(ApiError::UnsupportedMediaType(_))),
                "{name}"
            );
        }
        let deflate = extract_compressed(encoded("deflate", member.to_vec())).await;
        assert!(matches!(deflate, Err(ApiError::UnsupportedMediaType(_))));
        // A megabyte of zeros, a few hundred bytes on the wire: refused at 64 decoded bytes.
        let zeros = vec![0u8; 1024 * 1024];
        for (name, bomb) in [("gzip", gzip(&zeros)), ("br", brotli(&zeros))] {
            assert!(bomb.len() < 64 * 1024, "{name}: {}", bomb.len());
            let refused = extract_compressed(encoded(name, bomb)).await;
            assert!(
                matches!(refused, Err(ApiError::PayloadTooLarge { limit: 64 })),
                "{name}: {refused:?}"
            );
        }
        let garbage = extract_compressed(encoded("gzip", b"not gzip at all".to_vec())).await;
        assert!(matches!(garbage, Err(ApiError::BadRequest(_))));
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
