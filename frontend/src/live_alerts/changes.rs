//! What can happen to the person's alerts ([`AlertChange`]) and how a list of alerts
//! catches up with it without loading again.

use chrono::{DateTime, Utc};
use pulse_shared::alerts::{Alert, AlertQuery};
use pulse_shared::ids::AlertId;

/// Something that happened to the person's alerts.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertChange {
    /// A new alert came in over the stream.
    Arrived(Alert),
    /// One alert was marked read (`read_at` is when) or unread (`None`).
    Marked {
        id: AlertId,
        read_at: Option<DateTime<Utc>>,
    },
    /// Every alert was marked read.
    AllRead { at: DateTime<Utc> },
    /// Some changes may have been missed: lists must load again.
    Resync,
}

impl AlertChange {
    /// Brings `rows` (newest first, the answer to `filter`) up to date with this change.
    /// Returns false when that is not possible and the list must load again.
    ///
    /// A new alert goes on top when it matches the filter and is newer than every row;
    /// rows whose read state changed stay in place even if the filter no longer matches,
    /// so nothing moves under the pointer.
    pub fn apply(&self, rows: &mut Vec<Alert>, filter: &AlertQuery) -> bool {
        match self {
            Self::Arrived(alert) => {
                let newest = rows.first().map(|row| row.seq);
                if matches(alert, filter)
                    && newest.is_none_or(|seq| alert.seq > seq)
                    && !rows.iter().any(|row| row.id == alert.id)
                {
                    rows.insert(0, alert.clone());
                }
                true
            }
            Self::Marked { id, read_at } => {
                for row in rows.iter_mut().filter(|row| row.id == *id) {
                    // Marking a read alert read again keeps when it was first read.
                    row.read_at = read_at.map(|at| row.read_at.unwrap_or(at));
                }
                true
            }
            Self::AllRead { at } => {
                for row in rows.iter_mut().filter(|row| row.read_at.is_none()) {
                    row.read_at = Some(*at);
                }
                true
            }
            Self::Resync => false,
        }
    }
}

/// Whether `alert` is one of the alerts `filter` asks for.
pub fn matches(alert: &Alert, filter: &AlertQuery) -> bool {
    filter.kind.is_none_or(|kind| alert.kind == kind)
        && filter
            .severity
            .is_none_or(|severity| alert.severity == severity)
        && filter
            .read
            .is_none_or(|read| alert.read_at.is_some() == read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_shared::alerts::{AlertKind, Severity};

    fn alert(seq: i64, kind: AlertKind, read: bool) -> Alert {
        let json = serde_json::json!({
            "id": format!("00000000-0000-7000-8000-{seq:012}"),
            "seq": seq,
            "kind": kind,
            "severity": kind.severity(),
            "title": kind.label(),
            "body": "",
            "subject": {"agent_id": null, "user_id": null, "invoice_id": null, "policy_id": null},
            "created_at": "2026-11-25T10:00:00Z",
            "read_at": if read { Some("2026-11-25T11:00:00Z") } else { None },
        });
        serde_json::from_value(json).expect("a valid alert")
    }

    fn seqs(rows: &[Alert]) -> Vec<i64> {
        rows.iter().map(|row| row.seq).collect()
    }

    #[test]
    fn new_alerts_go_on_top_when_they_match() {
        let mut rows = vec![alert(2, AlertKind::Test, false)];
        let all = AlertQuery::default();
        assert!(AlertChange::Arrived(alert(3, AlertKind::Test, false)).apply(&mut rows, &all));
        assert_eq!(seqs(&rows), [3, 2]);
        // Again (a replay), or older than the top: no change.
        AlertChange::Arrived(alert(3, AlertKind::Test, false)).apply(&mut rows, &all);
        AlertChange::Arrived(alert(1, AlertKind::Test, false)).apply(&mut rows, &all);
        assert_eq!(seqs(&rows), [3, 2]);

        let critical_only = AlertQuery {
            severity: Some(Severity::Critical),
            ..Default::default()
        };
        AlertChange::Arrived(alert(4, AlertKind::Test, false)).apply(&mut rows, &critical_only);
        assert_eq!(seqs(&rows), [3, 2]);
        AlertChange::Arrived(alert(5, AlertKind::PaymentFailed, false))
            .apply(&mut rows, &critical_only);
        assert_eq!(seqs(&rows), [5, 3, 2]);

        let read_only = AlertQuery {
            read: Some(true),
            ..Default::default()
        };
        let mut empty = Vec::new();
        AlertChange::Arrived(alert(6, AlertKind::Test, false)).apply(&mut empty, &read_only);
        assert!(empty.is_empty());
    }

    #[test]
    fn marks_change_rows_in_place() {
        let mut rows = vec![
            alert(3, AlertKind::Test, false),
            alert(2, AlertKind::Test, true),
        ];
        let unread_only = AlertQuery {
            read: Some(false),
            ..Default::default()
        };
        let first_read = rows[1].read_at;
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        for row in [rows[0].id, rows[1].id] {
            AlertChange::Marked {
                id: row,
                read_at: Some(now),
            }
            .apply(&mut rows, &unread_only);
        }
        assert_eq!(rows[0].read_at, Some(now));
        assert_eq!(rows[1].read_at, first_read, "read stays read since then");
        assert_eq!(
            rows.len(),
            2,
            "rows stay although the filter no longer matches"
        );

        let id = rows[1].id;
        AlertChange::Marked { id, read_at: None }.apply(&mut rows, &unread_only);
        assert_eq!(rows[1].read_at, None);

        AlertChange::AllRead { at: now }.apply(&mut rows, &unread_only);
        assert!(rows.iter().all(|row| row.read_at.is_some()));
        assert!(!AlertChange::Resync.apply(&mut rows, &unread_only));
    }
}
