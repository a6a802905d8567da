//! Erasure of a person once their deletion grace has passed (GDPR article 17): their
//! personal data goes from every table and, through the object deletion queue, from the
//! object store; the audit events by or about them are pseudonymised, not deleted, so
//! the company's chain still verifies; and the erasure is itself an audit event.
//!
//! The chain survives because events of its second form hash a salted digest of their
//! personal fields (`domain::audit`): erasure replaces the fields and forgets the salt,
//! and the digest the hash covers stays. Events of the first form (written before the
//! digest existed) keep their links to their neighbours, and `audit_pseudonymised` tells
//! the verifier that erasure, not tampering, changed them.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use pulse_shared::ids::{CompanyId, UserId};
use serde_json::{Value, json};

use crate::db::audit::{self, Actor, Change};
use crate::db::{self, erasure};

/// Audit events read per query while pseudonymising.
const PAGE: i64 = 500;

/// What stands in for an erased person in the audit trail: "Erased person" and the
/// start of their id, so one person's events still read as one person's.
pub fn pseudonym(user: UserId) -> String {
    let id = user.to_string();
    format!("Erased person {}", &id[..8])
}

/// `value` with every string that names the person replaced by `pseudonym`: any that
/// contains their address, or that is their name (or contains it, when it is long
/// enough not to be part of other words), ignoring case.
pub fn redact(value: &Value, (name, email): (&str, &str), pseudonym: &str) -> Value {
    let (name, email) = (name.to_lowercase(), email.to_lowercase());
    let names_them = |text: &str| {
        let text = text.to_lowercase();
        (!email.is_empty() && text.contains(&email))
            || (!name.is_empty() && text == name)
            || (name.chars().count() >= 5 && text.contains(&name))
    };
    fn walk(value: &Value, names_them: &dyn Fn(&str) -> bool, pseudonym: &str) -> Value {
        match value {
            Value::String(text) if names_them(text) => Value::String(pseudonym.to_owned()),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| walk(item, names_them, pseudonym))
                    .collect(),
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, item)| (key.clone(), walk(item, names_them, pseudonym)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(value, &names_them, pseudonym)
}

/// What one erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub company: CompanyId,
    pub user: UserId,
    pub pseudonym: String,
    /// Audit events whose personal fields were replaced.
    pub pseudonymised: usize,
    pub removed: erasure::Removed,
}

/// Erases every person deleted before `before`, each in a transaction of their own;
/// answers how many. Any replica may do it: a person already erased is not found again,
/// and one restored meanwhile is left alone.
pub async fn erase_due(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, db::DbError> {
    let mut erased = 0;
    loop {
        let due = erasure::due(conn, before, 100).await?;
        let mut progressed = false;
        for (company, user) in &due {
            let done = conn
                .transaction::<_, db::DbError, _>(async |conn| {
                    crate::worker::allow_long_statements(conn, crate::worker::LockWaits::Short)
                        .await?;
                    erase(conn, *company, *user, before, now).await
                })
                .await?;
            if let Some(done) = done {
                tracing::info!(
                    company = %done.company,
                    pseudonym = done.pseudonym,
                    pseudonymised = done.pseudonymised,
                    "a deleted person was erased"
                );
                erased += 1;
                progressed = true;
            }
        }
        if due.len() < 100 || !progressed {
            return Ok(erased);
        }
    }
}

/// Erases `company`'s person `user` if they are still deleted before `before`. Call in
/// a transaction: the person's row is locked first, and everything (the
/// pseudonymisation, the deletions, the `user.erased` event) commits together.
pub async fn erase(
    conn: &mut AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Erasure>, db::DbError> {
    let Some(person) = erasure::lock_due(conn, company, user, before).await? else {
        return Ok(None);
    };
    let pseudonym = pseudonym(user);
    let agents = erasure::agents_of(conn, company, user).await?;
    let mut ids = erasure::aliases(conn, company, &person).await?;
    ids.push(user.0);

    audit::allow_pseudonymising(conn).await?;
    let mut pseudonymised = 0;
    let mut after = 0;
    loop {
        let rows =
            erasure::audit_events_naming(conn, company, (&ids, &person.email), after, PAGE).await?;
        let full = i64::try_from(rows.len()).unwrap_or(0) == PAGE;
        for row in rows {
            after = row.seq;
            let summary = redact(&row.summary, (&person.name, &person.email), &pseudonym);
            // The address and browser of a change are its actor's: theirs only when
            // they acted.
            let by_them = row.actor_id.is_some_and(|actor| ids.contains(&actor));
            let (ip, user_agent) = if by_them {
                (None, None)
            } else {
                (row.ip, row.user_agent)
            };
            audit::pseudonymise(
                conn,
                company,
                row.seq,
                (summary, ip, user_agent),
                user.0,
                now,
            )
            .await?;
            pseudonymised += 1;
        }
        if !full {
            break;
        }
    }

    let removed = erasure::remove(conn, company, &person, &agents).await?;
    let change = Change {
        action: AuditAction::UserErased,
        target_kind: TargetKind::User,
        target_id: Some(user.0),
        summary: json!({
            "pseudonym": pseudonym,
            "deleted_at": person.deleted_at,
            "pseudonymised_events": pseudonymised,
            "invitations": removed.invitations,
            "alerts": removed.alerts,
            "webhook_deliveries": removed.webhook_deliveries,
            "api_keys": removed.api_keys,
        }),
    };
    audit::record(
        conn,
        company,
        &Actor::unattended(ActorKind::System, now),
        change,
    )
    .await?;
    Ok(Some(Erasure {
        company,
        user,
        pseudonym,
        pseudonymised,
        removed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_what_names_the_person_and_keeps_the_rest() {
        let summary = json!({
            "email": "Emma@Example.test",
            "before": {"name": "Emma Stone", "role": "employee"},
            "note": "invited emma@example.test again",
            "others": ["Ada Owner", 3, null],
            "team": "Alpha",
        });
        let redacted = redact(
            &summary,
            ("Emma Stone", "emma@example.test"),
            "Erased person 1",
        );
        assert_eq!(
            redacted,
            json!({
                "email": "Erased person 1",
                "before": {"name": "Erased person 1", "role": "employee"},
                "note": "Erased person 1",
                "others": ["Ada Owner", 3, null],
                "team": "Alpha",
            })
        );
    }

    #[test]
    fn a_short_name_is_replaced_only_where_it_is_the_whole_value() {
        let summary = json!({"name": "Al", "team": "Alpha"});
        assert_eq!(
            redact(&summary, ("Al", "al@example.test"), "X"),
            json!({"name": "X", "team": "Alpha"})
        );
    }

    #[test]
    fn a_pseudonym_names_the_start_of_the_id() {
        let user = UserId("0193c0de-0000-7000-8000-000000000000".parse().unwrap());
        assert_eq!(pseudonym(user), "Erased person 0193c0de");
    }
}
