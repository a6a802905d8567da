//! What a snapshot of an answer holds: its status, its media type and its body, with
//! what varies from run to run (ids, instants, `instance` URLs) replaced by names.

use serde_json::{Value, json};

/// `response` as the snapshot of a problem answer: status, `content-type` and the body
/// (read as JSON on purpose: the snapshot is the wire shape clients parse), redacted.
pub async fn answer(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.unwrap();
    json!({
        "status": status,
        "content-type": content_type,
        "body": redacted(body),
    })
}

/// `value` with every UUID, RFC 3339 instant and `instance` replaced by a placeholder,
/// so a snapshot changes only when the shape or the wording does.
pub fn redacted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if key == "instance" && !value.is_null() {
                        json!("[instance]")
                    } else {
                        redacted(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        Value::String(text) => Value::String(redact_text(&text)),
        other => other,
    }
}

/// Replaces UUIDs and RFC 3339 instants within `text`.
fn redact_text(text: &str) -> String {
    let words: Vec<String> = text
        .split_inclusive(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>/".contains(c))
        .map(|word| {
            let trimmed =
                word.trim_end_matches(|c: char| c.is_whitespace() || "\"'`,;()[]{}<>/".contains(c));
            let end = &word[trimmed.len()..];
            if uuid::Uuid::parse_str(trimmed).is_ok() {
                format!("[uuid]{end}")
            } else if chrono::DateTime::parse_from_rfc3339(trimmed).is_ok() {
                format!("[instant]{end}")
            } else {
                word.to_owned()
            }
        })
        .collect();
    words.concat()
}
