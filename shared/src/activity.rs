//! Activity: the events agents report, and the work sessions the server builds from
//! them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{AgentId, TeamId, UserId, WorkSessionId};
use crate::validate::Invalid;

/// Most events in one batch.
pub const MAX_BATCH_EVENTS: usize = 1_000;
/// Longest application name.
pub const MAX_APP_CHARS: usize = 200;
/// Longest window title.
pub const MAX_TITLE_CHARS: usize = 1_000;
/// Longest URL or domain.
pub const MAX_URL_CHARS: usize = 2_048;
/// Longest single event: an agent splits anything longer.
pub const MAX_EVENT_SECS: u32 = 3_600;
/// How far ahead of the server's clock an event may end (clock skew).
pub const MAX_FUTURE_SKEW_SECS: i64 = 120;
/// How old an event may be: an agent that was offline longer drops what it spooled.
pub const MAX_EVENT_AGE_DAYS: i64 = 30;
/// Most keyboard or mouse events counted in one second of an event.
pub const MAX_INPUTS_PER_SEC: u32 = 100;
/// The longest span `GET /api/v1/sessions` and `GET /api/v1/activity` cover at once.
pub const MAX_RANGE_DAYS: i64 = 31;
/// How many top apps a session lists.
pub const TOP_APPS: usize = 5;

/// One thing the person did for a while: a window in front, with input counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityEvent {
    /// Made by the agent (UUID); re-sending an event with the same id changes nothing.
    pub id: Uuid,
    /// The application in front, e.g. `firefox`; 1 to 200 characters.
    pub app: String,
    /// The window title, when the policy tracks titles; at most 1,000 characters.
    pub title: Option<String>,
    /// The URL or domain, when the policy tracks URLs; at most 2,048 characters.
    pub url: Option<String>,
    pub started_at: DateTime<Utc>,
    /// 1 to 3,600 seconds.
    pub duration_secs: u32,
    /// Key presses counted during the event.
    pub keystrokes: u32,
    /// Mouse clicks, scrolls and moves counted during the event.
    pub mouse_events: u32,
    /// Seconds with any input, at most `duration_secs`.
    pub active_secs: u32,
    /// No input for longer than the idle threshold: the time counts as idle.
    pub idle: bool,
}

impl ActivityEvent {
    /// When the event ended; the end of time for a start so late it has none (such an
    /// event fails [`ActivityEvent::check`] as being in the future).
    pub fn ended_at(&self) -> DateTime<Utc> {
        self.started_at
            .checked_add_signed(chrono::Duration::seconds(i64::from(self.duration_secs)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Every rule an event must meet, as `(field, why)`; `now` is the server's clock.
    pub fn check(&self, now: DateTime<Utc>) -> Vec<(&'static str, Invalid)> {
        let mut faults = Vec::new();
        if let Err(why) = text(&self.app, MAX_APP_CHARS, true) {
            faults.push(("app", why));
        }
        if let Some(Err(why)) = self
            .title
            .as_deref()
            .map(|t| text(t, MAX_TITLE_CHARS, false))
        {
            faults.push(("title", why));
        }
        if let Some(Err(why)) = self.url.as_deref().map(|u| text(u, MAX_URL_CHARS, false)) {
            faults.push(("url", why));
        }
        if self.duration_secs == 0 {
            faults.push((
                "duration_secs",
                ("too_small", "An event lasts at least a second."),
            ));
            return faults;
        } else if self.duration_secs > MAX_EVENT_SECS {
            faults.push((
                "duration_secs",
                (
                    "too_large",
                    "An event lasts at most an hour; split longer ones.",
                ),
            ));
            return faults;
        }
        if self.ended_at() > now + chrono::Duration::seconds(MAX_FUTURE_SKEW_SECS) {
            faults.push((
                "started_at",
                (
                    "in_future",
                    "This event ends in the future; check the computer's clock.",
                ),
            ));
        } else if self.started_at < now - chrono::Duration::days(MAX_EVENT_AGE_DAYS) {
            faults.push((
                "started_at",
                ("too_old", "Events older than 30 days are not accepted."),
            ));
        }
        if self.active_secs > self.duration_secs {
            faults.push((
                "active_secs",
                (
                    "too_large",
                    "Active seconds cannot exceed the event's duration.",
                ),
            ));
        }
        let most_inputs = self.duration_secs.saturating_mul(MAX_INPUTS_PER_SEC);
        if self.keystrokes > most_inputs {
            faults.push((
                "keystrokes",
                (
                    "too_large",
                    "More than 100 key presses a second is not plausible.",
                ),
            ));
        }
        if self.mouse_events > most_inputs {
            faults.push((
                "mouse_events",
                (
                    "too_large",
                    "More than 100 mouse events a second is not plausible.",
                ),
            ));
        }
        faults
    }
}

/// A non-blank (when `required`), bounded string without control characters.
fn text(value: &str, max: usize, required: bool) -> Result<(), Invalid> {
    if required && value.trim().is_empty() {
        Err(("required", "This cannot be empty."))
    } else if value.chars().count() > max {
        Err(("too_long", "This is longer than allowed."))
    } else if value.chars().any(char::is_control) {
        Err(("invalid", "This contains control characters."))
    } else {
        Ok(())
    }
}

/// `POST /api/v1/agent/activity`: up to 1,000 events (JSON, optionally
/// `Content-Encoding: gzip`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityBatch {
    pub events: Vec<ActivityEvent>,
}

/// The answer of `POST /api/v1/agent/activity`, sent after the batch is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityReceipt {
    /// Events stored by this call.
    pub stored: u32,
    /// Events already stored by an earlier call (same ids): nothing changed for them.
    pub duplicates: u32,
    /// Events that covered time this computer had reported already: shortened to the
    /// time not covered (and stored), or dropped when none was left.
    #[serde(default)]
    pub overlapping: u32,
}

/// Time spent in one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppUsage {
    pub app: String,
    pub secs: i64,
}

/// A stretch of work: activity joined while the gaps stay under the idle threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkSession {
    pub id: WorkSessionId,
    pub user_id: UserId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub active_secs: i64,
    pub idle_secs: i64,
    pub keystrokes: i64,
    pub mouse_events: i64,
    /// The applications used longest, longest first (at most 5).
    pub top_apps: Vec<AppUsage>,
}

/// `GET /api/v1/sessions` and `GET /api/v1/sessions/summary`: sessions that overlap
/// `[from, to)`, at most 31 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct SessionQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One employee; absent: the caller (`/sessions`) or everyone the caller may see
    /// (`/sessions/summary`).
    pub user_id: Option<UserId>,
    /// Only this team's employees (`/sessions/summary`).
    pub team_id: Option<TeamId>,
}

/// One employee's totals over a range: the team view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    pub user_id: UserId,
    pub name: String,
    pub team_id: Option<TeamId>,
    pub sessions: i64,
    pub active_secs: i64,
    pub idle_secs: i64,
    pub first_started_at: Option<DateTime<Utc>>,
    pub last_ended_at: Option<DateTime<Utc>>,
    pub top_apps: Vec<AppUsage>,
}

/// `GET /api/v1/activity`: one employee's events in `[from, to)`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Absent: the caller.
    pub user_id: Option<UserId>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// A stored event as people see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityRecord {
    pub id: Uuid,
    pub agent_id: AgentId,
    pub user_id: UserId,
    pub app: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_secs: i32,
    pub keystrokes: i32,
    pub mouse_events: i32,
    pub active_secs: i32,
    pub idle: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(now: DateTime<Utc>) -> ActivityEvent {
        ActivityEvent {
            id: Uuid::nil(),
            app: "code".into(),
            title: Some("main.rs".into()),
            url: None,
            started_at: now - chrono::Duration::seconds(60),
            duration_secs: 30,
            keystrokes: 40,
            mouse_events: 10,
            active_secs: 25,
            idle: false,
        }
    }

    /// A fixed instant: the rules are relative to the server's clock, never the calendar.
    fn instant() -> DateTime<Utc> {
        "2028-02-29T23:59:00Z".parse().unwrap()
    }

    #[test]
    fn the_last_instant_chrono_knows_is_refused_not_overflowed() {
        let mut late = event(instant());
        late.started_at = DateTime::<Utc>::MAX_UTC;
        assert_eq!(late.ended_at(), DateTime::<Utc>::MAX_UTC);
        assert!(
            late.check(instant())
                .iter()
                .any(|(field, _)| *field == "started_at")
        );
    }

    #[test]
    fn a_plausible_event_passes() {
        let now = instant();
        assert!(event(now).check(now).is_empty());
    }

    /// A way to break an event, and the field it should be refused for.
    type Case = (fn(&mut ActivityEvent), &'static str);

    #[test]
    fn each_rule_names_its_field() {
        let now = instant();
        let cases: Vec<Case> = vec![
            (|e| e.app = " ".into(), "app"),
            (|e| e.app = "a".repeat(201), "app"),
            (|e| e.title = Some("t\u{7}".into()), "title"),
            (|e| e.url = Some("u".repeat(2049)), "url"),
            (|e| e.duration_secs = 0, "duration_secs"),
            (|e| e.duration_secs = 3601, "duration_secs"),
            (
                |e| e.started_at += chrono::Duration::minutes(10),
                "started_at",
            ),
            (|e| e.started_at -= chrono::Duration::days(31), "started_at"),
            (|e| e.active_secs = 31, "active_secs"),
            (|e| e.keystrokes = 3001, "keystrokes"),
            (|e| e.mouse_events = 3001, "mouse_events"),
        ];
        for (break_it, field) in cases {
            let mut e = event(now);
            break_it(&mut e);
            let faults = e.check(now);
            assert_eq!(faults.len(), 1, "{field}: {faults:?}");
            assert_eq!(faults[0].0, field);
        }
    }
}
