//! The audit chain: each event's hash covers the previous event's hash and every field
//! of the event, so changing, removing or reordering a row is detectable.

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
    pub summary: &'a serde_json::Value,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// SHA-256 over the previous hash and a canonical JSON array of the event's fields.
/// Times are cut to microseconds (what Postgres keeps) and object keys are sorted, so
/// the hash of a row read back equals the hash computed before it was written.
pub fn event_hash(prev_hash: &[u8], event: &ChainedEvent<'_>) -> [u8; 32] {
    let canonical = serde_json::json!([
        event.company_id,
        event.seq,
        event.id,
        event
            .occurred_at
            .trunc_subsecs(6)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        event.actor_kind.as_str(),
        event.actor_id,
        event.action.as_str(),
        event.target_kind.as_str(),
        event.target_id,
        event.summary,
        event.ip,
        event.user_agent,
    ]);
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(canonical.to_string().as_bytes());
    hasher.finalize().into()
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
            summary,
            ip: Some("192.0.2.1"),
            user_agent: None,
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
                    ip: Some("192.0.2.2"),
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
}
