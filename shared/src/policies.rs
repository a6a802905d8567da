//! Monitoring policies: what agents record, how often, and for how long it is kept.
//!
//! A company has one default policy ([`PolicySettings`], every field set); a team and
//! an employee may each override any fields ([`PolicyOverride`], every field optional).
//! The effective policy of an employee is the default, then their team's override,
//! then their own; its version changes exactly when its content does.

use serde::{Deserialize, Serialize};

use crate::agents::Agent;
use crate::ids::{PolicyId, TeamId, UserId};
use crate::validate::Invalid;

/// Bounds of the numeric settings, as `(min, max)`.
pub const HEARTBEAT_SECS: (u32, u32) = (10, 300);
pub const SCREENSHOT_INTERVAL_MINS: (u32, u32) = (1, 240);
pub const SCREENSHOT_JITTER_PERCENT: (u32, u32) = (0, 50);
pub const IDLE_THRESHOLD_SECS: (u32, u32) = (60, 3600);
pub const RETENTION_DAYS: (u32, u32) = (1, 3650);
/// The most entries of an exclusion list, and the longest entry.
pub const MAX_EXCLUSIONS: usize = 200;
pub const MAX_EXCLUSION_CHARS: usize = 253;

/// When screenshots are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScreenshotMode {
    /// Never.
    Off,
    /// Every `screenshot_interval_mins`, moved by up to `screenshot_jitter_percent` of it.
    Interval,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
}

/// When monitoring runs, in the policy's time zone. Outside these hours agents record
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    pub days: Vec<Weekday>,
    /// `HH:MM`, 24-hour.
    pub start: String,
    /// `HH:MM`, after `start`.
    pub end: String,
}

impl WorkingHours {
    /// Whether `minute` (after midnight) of `day`, in the policy's time zone, is within
    /// these hours: a listed day, from `start` up to but not including `end`.
    pub fn contains(&self, day: Weekday, minute: u32) -> bool {
        let (Some(start), Some(end)) = (minutes(&self.start), minutes(&self.end)) else {
            return false;
        };
        self.days.contains(&day) && (start..end).contains(&minute)
    }
}

/// Whether `domain` is `excluded` or one of its subdomains; `*.example.com` reads as
/// `example.com`. Both sides are compared in lower case.
pub fn domain_excluded(domain: &str, excluded: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    let excluded = excluded
        .trim()
        .trim_start_matches("*.")
        .to_ascii_lowercase();
    !excluded.is_empty()
        && (domain == excluded
            || domain
                .strip_suffix(&excluded)
                .is_some_and(|rest| rest.ends_with('.')))
}

/// Every setting of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicySettings {
    /// How often agents report that they are alive, 10 to 300 seconds.
    pub heartbeat_secs: u32,
    pub screenshot_mode: ScreenshotMode,
    /// 1 to 240 minutes.
    pub screenshot_interval_mins: u32,
    /// 0 to 50 % of the interval, so screenshots cannot be predicted.
    pub screenshot_jitter_percent: u32,
    /// Blur screenshots before they are stored.
    pub blur_screenshots: bool,
    /// Record which application is in front.
    pub track_apps: bool,
    /// Record window titles (needs `track_apps`).
    pub track_titles: bool,
    /// Record the domain of the browser's page.
    pub track_urls: bool,
    /// Applications never recorded (executable or app names, case-insensitive).
    pub excluded_apps: Vec<String>,
    /// Domains never recorded, with their subdomains.
    pub excluded_domains: Vec<String>,
    /// No input for this long (60 to 3,600 seconds) makes a person idle and ends a work
    /// session.
    pub idle_threshold_secs: u32,
    /// Absent: always.
    pub working_hours: Option<WorkingHours>,
    /// An IANA time zone name such as `Europe/Berlin`, for working hours.
    pub time_zone: String,
    /// How long activity is kept, 1 to 3,650 days.
    pub activity_retention_days: u32,
    /// How long screenshots are kept, 1 to 3,650 days.
    pub screenshot_retention_days: u32,
    /// Whether employees may delete their own screenshots.
    pub employees_may_delete_screenshots: bool,
}

impl Default for PolicySettings {
    /// What a new company starts with: apps tracked, titles and screenshots off.
    fn default() -> Self {
        Self {
            heartbeat_secs: 30,
            screenshot_mode: ScreenshotMode::Off,
            screenshot_interval_mins: 10,
            screenshot_jitter_percent: 30,
            blur_screenshots: false,
            track_apps: true,
            track_titles: false,
            track_urls: false,
            excluded_apps: Vec::new(),
            excluded_domains: Vec::new(),
            idle_threshold_secs: 300,
            working_hours: None,
            time_zone: "UTC".to_owned(),
            activity_retention_days: 180,
            screenshot_retention_days: 30,
            employees_may_delete_screenshots: true,
        }
    }
}

/// Some settings, overriding those of the level above. `null` or absent: inherited.
/// (`working_hours` cannot be cleared by an override; set all days instead.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PolicyOverride {
    pub heartbeat_secs: Option<u32>,
    pub screenshot_mode: Option<ScreenshotMode>,
    pub screenshot_interval_mins: Option<u32>,
    pub screenshot_jitter_percent: Option<u32>,
    pub blur_screenshots: Option<bool>,
    pub track_apps: Option<bool>,
    pub track_titles: Option<bool>,
    pub track_urls: Option<bool>,
    pub excluded_apps: Option<Vec<String>>,
    pub excluded_domains: Option<Vec<String>>,
    pub idle_threshold_secs: Option<u32>,
    pub working_hours: Option<WorkingHours>,
    pub time_zone: Option<String>,
    pub activity_retention_days: Option<u32>,
    pub screenshot_retention_days: Option<u32>,
    pub employees_may_delete_screenshots: Option<bool>,
}

impl PolicyOverride {
    /// Whether it overrides nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl PolicySettings {
    /// These settings with `layer`'s fields put over them.
    pub fn with(&self, layer: &PolicyOverride) -> Self {
        let mut out = self.clone();
        macro_rules! take {
            ($($field:ident),*) => {
                $(if let Some(value) = &layer.$field { out.$field = value.clone(); })*
            };
        }
        take!(
            heartbeat_secs,
            screenshot_mode,
            screenshot_interval_mins,
            screenshot_jitter_percent,
            blur_screenshots,
            track_apps,
            track_titles,
            track_urls,
            excluded_apps,
            excluded_domains,
            idle_threshold_secs,
            time_zone,
            activity_retention_days,
            screenshot_retention_days,
            employees_may_delete_screenshots
        );
        if let Some(hours) = &layer.working_hours {
            out.working_hours = Some(hours.clone());
        }
        out
    }

    /// Every field out of bounds, as `(JSON pointer, why)`.
    pub fn check(&self) -> Vec<(String, Invalid)> {
        self.as_override().check()
    }

    fn as_override(&self) -> PolicyOverride {
        PolicyOverride {
            heartbeat_secs: Some(self.heartbeat_secs),
            screenshot_mode: Some(self.screenshot_mode),
            screenshot_interval_mins: Some(self.screenshot_interval_mins),
            screenshot_jitter_percent: Some(self.screenshot_jitter_percent),
            blur_screenshots: Some(self.blur_screenshots),
            track_apps: Some(self.track_apps),
            track_titles: Some(self.track_titles),
            track_urls: Some(self.track_urls),
            excluded_apps: Some(self.excluded_apps.clone()),
            excluded_domains: Some(self.excluded_domains.clone()),
            idle_threshold_secs: Some(self.idle_threshold_secs),
            working_hours: self.working_hours.clone(),
            time_zone: Some(self.time_zone.clone()),
            activity_retention_days: Some(self.activity_retention_days),
            screenshot_retention_days: Some(self.screenshot_retention_days),
            employees_may_delete_screenshots: Some(self.employees_may_delete_screenshots),
        }
    }
}

impl PolicyOverride {
    /// Every field present and out of bounds, as `(JSON pointer, why)`.
    pub fn check(&self) -> Vec<(String, Invalid)> {
        let mut errors = Vec::new();
        let mut range = |field: &str, value: Option<u32>, (min, max): (u32, u32), why| {
            if value.is_some_and(|value| !(min..=max).contains(&value)) {
                errors.push((format!("/{field}"), ("out_of_range", why)));
            }
        };
        range(
            "heartbeat_secs",
            self.heartbeat_secs,
            HEARTBEAT_SECS,
            "Use 10 to 300 seconds.",
        );
        range(
            "screenshot_interval_mins",
            self.screenshot_interval_mins,
            SCREENSHOT_INTERVAL_MINS,
            "Use 1 to 240 minutes.",
        );
        range(
            "screenshot_jitter_percent",
            self.screenshot_jitter_percent,
            SCREENSHOT_JITTER_PERCENT,
            "Use 0 to 50 percent.",
        );
        range(
            "idle_threshold_secs",
            self.idle_threshold_secs,
            IDLE_THRESHOLD_SECS,
            "Use 60 to 3,600 seconds.",
        );
        range(
            "activity_retention_days",
            self.activity_retention_days,
            RETENTION_DAYS,
            "Use 1 to 3,650 days.",
        );
        range(
            "screenshot_retention_days",
            self.screenshot_retention_days,
            RETENTION_DAYS,
            "Use 1 to 3,650 days.",
        );
        for (field, list) in [
            ("excluded_apps", &self.excluded_apps),
            ("excluded_domains", &self.excluded_domains),
        ] {
            let Some(list) = list else { continue };
            if list.len() > MAX_EXCLUSIONS {
                errors.push((
                    format!("/{field}"),
                    ("too_many", "List at most 200 entries."),
                ));
            }
            for (index, entry) in list.iter().enumerate() {
                let entry = entry.trim();
                if entry.is_empty()
                    || entry.chars().count() > MAX_EXCLUSION_CHARS
                    || entry.chars().any(char::is_control)
                {
                    errors.push((
                        format!("/{field}/{index}"),
                        ("invalid", "Use 1 to 253 printable characters."),
                    ));
                }
            }
        }
        if let Some(zone) = &self.time_zone
            && let Err(invalid) = time_zone(zone)
        {
            errors.push(("/time_zone".to_owned(), invalid));
        }
        if let Some(hours) = &self.working_hours {
            if hours.days.is_empty() {
                errors.push((
                    "/working_hours/days".to_owned(),
                    ("required", "Choose at least one day."),
                ));
            }
            let start = minutes(&hours.start);
            let end = minutes(&hours.end);
            if start.is_none() {
                errors.push((
                    "/working_hours/start".to_owned(),
                    ("invalid", "Use a time such as 09:00."),
                ));
            }
            match (start, end) {
                (_, None) => errors.push((
                    "/working_hours/end".to_owned(),
                    ("invalid", "Use a time such as 17:30."),
                )),
                (Some(start), Some(end)) if end <= start => errors.push((
                    "/working_hours/end".to_owned(),
                    ("before_start", "End after the start."),
                )),
                _ => {}
            }
        }
        errors
    }
}

/// Minutes after midnight of `HH:MM`.
pub fn minutes(time: &str) -> Option<u32> {
    let (hours, mins) = time.split_once(':')?;
    if hours.len() != 2 || mins.len() != 2 {
        return None;
    }
    let (hours, mins): (u32, u32) = (hours.parse().ok()?, mins.parse().ok()?);
    (hours < 24 && mins < 60).then_some(hours * 60 + mins)
}

/// A plausible IANA time zone name: `UTC`, or `Area/Location` of letters, digits, `_`,
/// `-`, `+` and `/`.
pub fn time_zone(name: &str) -> Result<(), Invalid> {
    let plausible = name == "UTC"
        || (name.len() <= 64
            && name.contains('/')
            && !name.starts_with('/')
            && !name.ends_with('/')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/')));
    if plausible {
        Ok(())
    } else {
        Err((
            "invalid",
            "Use a time zone name such as Europe/Berlin or UTC.",
        ))
    }
}

/// `GET|PUT /api/v1/policies/company`: the company default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompanyPolicy {
    pub id: PolicyId,
    pub settings: PolicySettings,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A team's or an employee's override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyOverrideEntry {
    pub id: PolicyId,
    /// Set for a team's override.
    pub team_id: Option<TeamId>,
    /// Set for an employee's override.
    pub user_id: Option<UserId>,
    pub settings: PolicyOverride,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// `GET /api/v1/policies`: the default and every override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyOverview {
    pub company: CompanyPolicy,
    pub teams: Vec<PolicyOverrideEntry>,
    pub employees: Vec<PolicyOverrideEntry>,
}

/// `GET /api/v1/policies/effective/{user_id}`: what applies to one employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectivePolicy {
    pub user_id: UserId,
    pub settings: PolicySettings,
    /// Changes exactly when `settings` does; agents compare it to decide to refetch.
    pub version: String,
    /// The override of the employee's team, if any.
    pub team: Option<PolicyOverride>,
    /// The employee's own override, if any.
    pub employee: Option<PolicyOverride>,
}

/// `GET /api/v1/me/monitoring`: whether the signed-in person is monitored, on which
/// computers, and what is recorded there. Pulse has no stealth mode: everyone may see this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonitoringResponse {
    /// Their computers whose agent is not revoked, newest first. Empty: nothing of theirs
    /// is monitored.
    pub computers: Vec<Agent>,
    /// Their effective policy: what the agents on those computers record, and when.
    pub settings: PolicySettings,
}

impl MonitoringResponse {
    /// Whether any computer of theirs reports to Pulse.
    pub fn is_monitored(&self) -> bool {
        !self.computers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let base = PolicySettings::default();
        let team = PolicyOverride {
            heartbeat_secs: Some(60),
            track_titles: Some(true),
            ..PolicyOverride::default()
        };
        let employee = PolicyOverride {
            heartbeat_secs: Some(20),
            ..PolicyOverride::default()
        };
        let effective = base.with(&team).with(&employee);
        assert_eq!(effective.heartbeat_secs, 20);
        assert!(effective.track_titles);
        assert_eq!(effective.idle_threshold_secs, base.idle_threshold_secs);
        assert!(PolicyOverride::default().is_empty() && !team.is_empty());
    }

    #[test]
    fn the_default_is_valid_and_bounds_are_named() {
        assert!(PolicySettings::default().check().is_empty());
        let bad = PolicyOverride {
            heartbeat_secs: Some(5),
            idle_threshold_secs: Some(4000),
            excluded_apps: Some(vec!["slack".into(), " ".into()]),
            time_zone: Some("Mars".into()),
            working_hours: Some(WorkingHours {
                days: vec![],
                start: "18:00".into(),
                end: "09:00".into(),
            }),
            ..PolicyOverride::default()
        };
        let fields: Vec<String> = bad.check().into_iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            [
                "/heartbeat_secs",
                "/idle_threshold_secs",
                "/excluded_apps/1",
                "/time_zone",
                "/working_hours/days",
                "/working_hours/end"
            ]
        );
    }

    #[test]
    fn times_and_zones() {
        assert_eq!(minutes("09:30"), Some(570));
        assert_eq!(minutes("24:00"), None);
        assert_eq!(minutes("9:30"), None);
        assert!(time_zone("Europe/Berlin").is_ok());
        assert!(time_zone("America/Argentina/Buenos_Aires").is_ok());
        assert!(time_zone("UTC").is_ok());
        assert!(time_zone("Berlin").is_err() && time_zone("a/b c").is_err());
    }
}
