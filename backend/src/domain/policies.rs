//! Policy rules over values: the effective settings of an employee and their version.

use pulse_shared::policies::{PolicyOverride, PolicySettings};
use sha2::{Digest, Sha256};

/// The company default with the team's and then the employee's override put over it.
pub fn effective(
    company: &PolicySettings,
    team: Option<&PolicyOverride>,
    employee: Option<&PolicyOverride>,
) -> PolicySettings {
    let mut settings = company.clone();
    for layer in [team, employee].into_iter().flatten() {
        settings = settings.with(layer);
    }
    settings
}

/// A short fingerprint of `settings`: equal settings give equal versions, and any
/// change gives another, so it serves as the policy's `ETag`.
pub fn version(settings: &PolicySettings) -> String {
    let json = serde_json::to_vec(settings).unwrap_or_default();
    Sha256::digest(&json)
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The names of the top-level fields whose values differ between two JSON objects.
pub fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (before, after) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let mut names: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_follow_content() {
        let base = PolicySettings::default();
        let same = effective(&base, Some(&PolicyOverride::default()), None);
        assert_eq!(version(&base), version(&same));
        let faster = PolicyOverride {
            heartbeat_secs: Some(15),
            ..PolicyOverride::default()
        };
        let changed = effective(&base, None, Some(&faster));
        assert_ne!(version(&base), version(&changed));
        assert_eq!(version(&base).len(), 16);
    }

    #[test]
    fn changed_fields_are_named() {
        assert_eq!(
            changed_fields(
                &json!({"a": 1, "b": 2}),
                &json!({"a": 1, "b": 3, "c": null})
            ),
            ["b", "c"]
        );
    }
}
