//! The audit chain: each event's hash covers the previous event's hash and every field
//! of the event, so changing, removing or reordering a row is detectable.
//!
//! Two forms. The first (events written before personal data could be erased) hashes
//! the personal fields (summary, IP address, user agent) themselves. The second hashes
//! a salted digest of them instead ([`personal_digest`]), kept beside the event: erasure
//! replaces the fields and forgets the salt, the digest stays, and the chain still
//! verifies every other field. Without the salt, the digest of an address or a name
//! cannot be found again by trying candidates.

use chrono::{DateTime, SubsecRound, Utc};
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash before a company's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields of an event that the chain covers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainedEvent<'a> {
    pub company_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: Option<Uuid>,
    pub personal: Personal<'a>,
}

/// The personal fields of an event, as its chain covers them.
#[derive(Debug, Clone, PartialEq)]
pub enum Personal<'a> {
    /// The first form: the fields themselves.
    Inline(PersonalFields<'a>),
    /// The second form: their salted digest ([`personal_digest`]).
    Digest(&'a [u8]),
}

/// What an event says that may be about a person: erasure replaces these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PersonalFields<'a> {
    pub summary: &'a serde_json::Value,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// SHA-256 over `salt` and a canonical JSON array of the personal fields (object keys
/// sorted, as `serde_json` keeps them).
pub fn personal_digest(salt: &[u8], fields: &PersonalFields<'_>) -> [u8; 32] {
    let canonical = serde_json::json!([fields.summary, fields.ip, fields.user_agent]);
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(canonical.to_string().as_bytes());
    hasher.finalize().into()
}

/// SHA-256 over the previous hash and a canonical JSON array of the event's fields.
/// Times are cut to microseconds (what Postgres keeps) and object keys are sorted, so
/// the hash of a row read back equals the hash computed before it was written.
/// In the second form the array ends with the hex digest in place of the three
/// personal fields.
pub fn event_hash(prev_hash: &[u8], event: &ChainedEvent<'_>) -> [u8; 32] {
    let occurred_at = event
        .occurred_at
        .trunc_subsecs(6)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut canonical = vec![
        serde_json::json!(event.company_id),
        serde_json::json!(event.seq),
        serde_json::json!(event.id),
        serde_json::json!(occurred_at),
        serde_json::json!(event.actor_kind.as_str()),
        serde_json::json!(event.actor_id),
        serde_json::json!(event.action.as_str()),
        serde_json::json!(event.target_kind.as_str()),
        serde_json::json!(event.target_id),
    ];
    match &event.personal {
        Personal::Inline(fields) => canonical.extend([
            fields.summary.clone(),
            serde_json::json!(fields.ip),
            serde_json::json!(fields.user_agent),
        ]),
        Personal::Digest(digest) => canonical.push(serde_json::json!(hex(digest))),
    }
    let canonical = serde_json::Value::Array(canonical);
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(canonical.to_string().as_bytes());
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(summary: &serde_json::Value) -> ChainedEvent<'_> {
        ChainedEvent {
            company_id: Uuid::nil(),
            seq: 1,
            id: Uuid::from_u128(7),
            occurred_at: DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456789Z")
                .unwrap()
                .with_timezone(&Utc),
            actor_kind: ActorKind::User,
            actor_id: Some(Uuid::from_u128(1)),
            action: AuditAction::UserInvited,
            target_kind: TargetKind::User,
            target_id: Some(Uuid::from_u128(2)),
            personal: Personal::Inline(PersonalFields {
                summary,
                ip: Some("192.0.2.1"),
                user_agent: None,
            }),
        }
    }

    #[test]
    fn every_field_and_the_link_change_the_hash() {
        let summary = serde_json::json!({"role": "manager"});
        let base = event_hash(&GENESIS, &event(&summary));
        let other_summary = serde_json::json!({"role": "owner"});
        let variants = [
            event_hash(&[1; 32], &event(&summary)),
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    seq: 2,
                    ..event(&summary)
                },
            ),
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    action: AuditAction::UserDeleted,
                    ..event(&summary)
                },
            ),
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    actor_id: None,
                    ..event(&summary)
                },
            ),
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    personal: Personal::Inline(PersonalFields {
                        summary: &summary,
                        ip: Some("192.0.2.2"),
                        user_agent: None,
                    }),
                    ..event(&summary)
                },
            ),
            event_hash(&GENESIS, &event(&other_summary)),
        ];
        for (index, variant) in variants.iter().enumerate() {
            assert_ne!(*variant, base, "variant {index} did not change the hash");
        }
    }

    #[test]
    fn nanoseconds_and_key_order_do_not() {
        let a = serde_json::json!({"a": 1, "b": 2});
        let b: serde_json::Value = serde_json::from_str(r#"{"b": 2, "a": 1}"#).unwrap();
        let rounded = DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            event_hash(&GENESIS, &event(&a)),
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    occurred_at: rounded,
                    ..event(&b)
                }
            )
        );
    }

    /// Computed by the code before the second form existed.
    const FIRST_FORM_HASH: &str =
        "533157007f23dabbaf3c55752a559c3c9fe28093654cae26280a1f012d097b9d";

    /// The hash of the first form is what it always was: chains written before the
    /// second form existed still verify (this value was computed by the old code).
    #[test]
    fn the_first_form_hashes_as_before() {
        let summary = serde_json::json!({"role": "manager"});
        let hash = event_hash(&GENESIS, &event(&summary));
        assert_eq!(
            hex(&hash),
            FIRST_FORM_HASH,
            "the first form's canonical array changed"
        );
    }

    #[test]
    fn the_second_form_survives_erasure_of_the_personal_fields_only() {
        let summary = serde_json::json!({"email": "emma@example.test"});
        let salt = [7u8; 16];
        let fields = PersonalFields {
            summary: &summary,
            ip: Some("192.0.2.1"),
            user_agent: Some("Firefox"),
        };
        let digest = personal_digest(&salt, &fields);
        let sealed = ChainedEvent {
            personal: Personal::Digest(&digest),
            ..event(&summary)
        };
        let hash = event_hash(&GENESIS, &sealed);
        // Erased: the fields are gone, the digest and so the hash stay.
        let erased = serde_json::json!({"email": "Erased person"});
        assert_eq!(
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    personal: Personal::Digest(&digest),
                    ..event(&erased)
                }
            ),
            hash
        );
        // The digest binds the fields and the salt: other fields or another salt differ.
        let other = PersonalFields {
            ip: Some("192.0.2.2"),
            ..fields
        };
        assert_ne!(personal_digest(&salt, &other), digest);
        assert_ne!(personal_digest(&[8u8; 16], &fields), digest);
        // Every field outside the digest is still covered.
        assert_ne!(
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    action: AuditAction::UserDeleted,
                    ..sealed.clone()
                }
            ),
            hash
        );
        assert_ne!(
            event_hash(
                &GENESIS,
                &ChainedEvent {
                    target_id: None,
                    ..sealed
                }
            ),
            hash
        );
    }
}
