//! The table of settings ([`GROUPS`]): each setting's JSON key, label, hint and kind of
//! control with its bounds; how a value reads for people, and where a field error
//! lands.

use pulse_shared::policies::{
    HEARTBEAT_SECS, IDLE_THRESHOLD_SECS, RETENTION_DAYS, SCREENSHOT_INTERVAL_MINS,
    SCREENSHOT_JITTER_PERCENT, Weekday,
};
use serde_json::{Map, Value};

/// What a number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Seconds,
    Minutes,
    Percent,
    Days,
}

impl Unit {
    pub(super) fn short(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Minutes => "min",
            Self::Percent => "%",
            Self::Days => "days",
        }
    }
}

/// The kind of control a setting gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Number {
        bounds: (u32, u32),
        unit: Unit,
    },
    Switch,
    /// `screenshot_mode`: `off` or `interval`.
    Mode,
    /// A list of names, one per line.
    List,
    /// `working_hours`: always, or days and a time span.
    Hours,
    /// An IANA time zone name.
    Zone,
}

/// One setting of [`PolicySettings`], by its JSON field name.
#[derive(Debug)]
pub(super) struct Setting {
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) hint: &'static str,
    pub(super) kind: Kind,
}

pub(super) struct Group {
    pub(super) title: &'static str,
    pub(super) settings: &'static [Setting],
}

pub(super) const GROUPS: &[Group] = &[
    Group {
        title: "Agents",
        settings: &[
            Setting {
                key: "heartbeat_secs",
                label: "Heartbeat",
                hint: "How often agents report that they are alive, 10 to 300 seconds.",
                kind: Kind::Number {
                    bounds: HEARTBEAT_SECS,
                    unit: Unit::Seconds,
                },
            },
            Setting {
                key: "idle_threshold_secs",
                label: "Idle after",
                hint: "No input for this long makes a person idle and ends a work session, 60 to 3,600 seconds.",
                kind: Kind::Number {
                    bounds: IDLE_THRESHOLD_SECS,
                    unit: Unit::Seconds,
                },
            },
        ],
    },
    Group {
        title: "Activity",
        settings: &[
            Setting {
                key: "track_apps",
                label: "Record applications",
                hint: "Which application is in front.",
                kind: Kind::Switch,
            },
            Setting {
                key: "track_titles",
                label: "Record window titles",
                hint: "Needs applications recorded.",
                kind: Kind::Switch,
            },
            Setting {
                key: "track_urls",
                label: "Record web addresses",
                hint: "The domain of the browser's page.",
                kind: Kind::Switch,
            },
            Setting {
                key: "activity_retention_days",
                label: "Keep activity for",
                hint: "1 to 3,650 days. A shorter time deletes nothing for a week.",
                kind: Kind::Number {
                    bounds: RETENTION_DAYS,
                    unit: Unit::Days,
                },
            },
            Setting {
                key: "excluded_apps",
                label: "Applications never recorded",
                hint: "One per line, e.g. keepassxc.",
                kind: Kind::List,
            },
            Setting {
                key: "excluded_domains",
                label: "Domains never recorded",
                hint: "One per line, with their subdomains, e.g. bank.example.",
                kind: Kind::List,
            },
        ],
    },
    Group {
        title: "Screenshots",
        settings: &[
            Setting {
                key: "screenshot_mode",
                label: "Screenshots",
                hint: "Off, or one at every interval.",
                kind: Kind::Mode,
            },
            Setting {
                key: "screenshot_interval_mins",
                label: "Interval",
                hint: "1 to 240 minutes.",
                kind: Kind::Number {
                    bounds: SCREENSHOT_INTERVAL_MINS,
                    unit: Unit::Minutes,
                },
            },
            Setting {
                key: "screenshot_jitter_percent",
                label: "Jitter",
                hint: "0 to 50 % of the interval, so screenshots cannot be predicted.",
                kind: Kind::Number {
                    bounds: SCREENSHOT_JITTER_PERCENT,
                    unit: Unit::Percent,
                },
            },
            Setting {
                key: "screenshot_retention_days",
                label: "Keep screenshots for",
                hint: "1 to 3,650 days. A shorter time deletes nothing for a week.",
                kind: Kind::Number {
                    bounds: RETENTION_DAYS,
                    unit: Unit::Days,
                },
            },
            Setting {
                key: "blur_screenshots",
                label: "Blur screenshots",
                hint: "Blurred before they are stored.",
                kind: Kind::Switch,
            },
            Setting {
                key: "employees_may_delete_screenshots",
                label: "Employees may delete theirs",
                hint: "Their own screenshots only.",
                kind: Kind::Switch,
            },
        ],
    },
    Group {
        title: "Schedule",
        settings: &[
            Setting {
                key: "time_zone",
                label: "Time zone",
                hint: "For working hours, e.g. Europe/Berlin.",
                kind: Kind::Zone,
            },
            Setting {
                key: "working_hours",
                label: "Working hours",
                hint: "Outside these hours agents record nothing.",
                kind: Kind::Hours,
            },
        ],
    },
];

/// Every setting, in form order.
pub(super) fn settings() -> impl Iterator<Item = &'static Setting> {
    GROUPS.iter().flat_map(|group| group.settings.iter())
}

pub(super) fn setting(key: &str) -> Option<&'static Setting> {
    settings().find(|setting| setting.key == key)
}

/// Suggestions for the time zone input.
pub(super) const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Warsaw",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
];

pub(super) fn day_label(day: Weekday) -> &'static str {
    crate::format::weekday(day)
}

pub(super) const WORK_WEEK: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// A setting's value for people: `30 s`, `On`, `Mon–Fri 09:00–17:00`, `None`.
pub(super) fn describe(kind: Kind, value: &Value) -> String {
    match kind {
        Kind::Number { unit, .. } => match (value.as_u64(), unit) {
            (Some(n), Unit::Percent) => format!("{n} %"),
            (Some(n), unit) => format!("{n} {}", unit.short()),
            (None, _) => "—".to_owned(),
        },
        Kind::Switch => match value.as_bool() {
            Some(true) => "On".to_owned(),
            Some(false) => "Off".to_owned(),
            None => "—".to_owned(),
        },
        Kind::Mode => match value.as_str() {
            Some("interval") => "At every interval".to_owned(),
            Some("off") => "Off".to_owned(),
            _ => "—".to_owned(),
        },
        Kind::List => {
            let items: Vec<&str> = value
                .as_array()
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if items.is_empty() {
                "None".to_owned()
            } else {
                items.join(", ")
            }
        }
        Kind::Zone => value.as_str().unwrap_or("—").to_owned(),
        Kind::Hours => {
            let Ok(Some(hours)) = serde_json::from_value::<
                Option<pulse_shared::policies::WorkingHours>,
            >(value.clone()) else {
                return "Always".to_owned();
            };
            crate::format::working_hours(&hours)
        }
    }
}

/// Where a field error goes: `/excluded_apps/2` → (`excluded_apps`, "Line 3: …"),
/// `/working_hours/end` → `working_hours_end`; `None` for a field the form does not have.
pub(super) fn place(pointer: &str, message: &str) -> Option<(&'static str, String)> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let key = parts.next()?;
    let rest = parts.next();
    if key == "working_hours" {
        let field = match rest {
            Some("days") => "working_hours_days",
            Some("start") => "working_hours_start",
            Some("end") => "working_hours_end",
            _ => "working_hours",
        };
        return Some((field, message.to_owned()));
    }
    let setting = setting(key)?;
    match rest.and_then(|index| index.parse::<usize>().ok()) {
        Some(index) => Some((setting.key, format!("Line {}: {message}", index + 1))),
        None => Some((setting.key, message.to_owned())),
    }
}

pub(super) fn to_map<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use pulse_shared::policies::PolicySettings;
    use serde_json::json;

    use super::*;

    #[test]
    fn every_setting_has_a_control() {
        let keys: Vec<&str> = settings().map(|setting| setting.key).collect();
        let fields = to_map(&PolicySettings::default());
        assert_eq!(keys.len(), fields.len(), "{keys:?}");
        for key in fields.keys() {
            assert!(keys.contains(&key.as_str()), "{key} has no control");
        }
    }

    #[test]
    fn errors_land_under_their_fields() {
        assert_eq!(
            place("/heartbeat_secs", "Use 10 to 300 seconds."),
            Some(("heartbeat_secs", "Use 10 to 300 seconds.".to_owned()))
        );
        assert_eq!(
            place("/excluded_apps/2", "Use 1 to 253 printable characters."),
            Some((
                "excluded_apps",
                "Line 3: Use 1 to 253 printable characters.".to_owned()
            ))
        );
        assert_eq!(
            place("/working_hours/end", "End after the start."),
            Some(("working_hours_end", "End after the start.".to_owned()))
        );
        assert_eq!(place("/nonsense", "x"), None);
    }

    #[test]
    fn values_read_for_people() {
        let settings = to_map(&PolicySettings::default());
        let text = |key: &str| {
            describe(
                setting(key).map(|s| s.kind).unwrap_or(Kind::Zone),
                &settings[key],
            )
        };
        assert_eq!(text("heartbeat_secs"), "30 s");
        assert_eq!(text("screenshot_jitter_percent"), "30 %");
        assert_eq!(text("track_apps"), "On");
        assert_eq!(text("excluded_apps"), "None");
        assert_eq!(text("working_hours"), "Always");
        assert_eq!(
            describe(
                Kind::Hours,
                &json!({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"})
            ),
            "Mon–Fri 09:00–17:00"
        );
        assert_eq!(
            describe(
                Kind::Hours,
                &json!({"days": ["sat", "sun"], "start": "10:00", "end": "14:00"})
            ),
            "Sat, Sun 10:00–14:00"
        );
    }
}
