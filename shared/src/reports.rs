//! Reports: time, activity and productivity over a range, attendance against working
//! hours, and the rules that classify applications and sites.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CategoryRuleId, TeamId, UserId};
use crate::validate::Invalid;

/// An enum stored and sent by its lower-case name: `ALL`, `as_str`, `FromStr`.
macro_rules! named {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable lower-case name, as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == s)
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($name)))
            }
        }
    };
}

/// The longest range a report covers, in days.
pub const MAX_REPORT_DAYS: i64 = 366;
/// The longest range grouped by hour, in days.
pub const MAX_HOURLY_DAYS: i64 = 31;
/// Rows in a report grouped by application (the rest are summed as "Other").
pub const MAX_APP_ROWS: usize = 50;

/// What a report's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    Person,
    Team,
    /// Each hour of the range (at most 31 days): a day's timeline.
    Hour,
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
    /// Weekday × hour of the day over the range: the heatmap.
    WeekdayHour,
    /// Applications and sites, longest first.
    App,
    Category,
}

named!(Grouping {
    Person => "person",
    Team => "team",
    Hour => "hour",
    Day => "day",
    Week => "week",
    Month => "month",
    WeekdayHour => "weekday_hour",
    App => "app",
    Category => "category",
});

impl Grouping {
    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            Grouping::Person => "Person",
            Grouping::Team => "Team",
            Grouping::Hour => "Hour",
            Grouping::Day => "Day",
            Grouping::Week => "Week",
            Grouping::Month => "Month",
            Grouping::WeekdayHour => "Weekday and hour",
            Grouping::App => "App or site",
            Grouping::Category => "Category",
        }
    }
}

/// How time spent in an application or site counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Productivity {
    Productive,
    Neutral,
    Unproductive,
}

named!(Productivity {
    Productive => "productive",
    Neutral => "neutral",
    Unproductive => "unproductive",
});

impl Productivity {
    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            Productivity::Productive => "Productive",
            Productivity::Neutral => "Neutral",
            Productivity::Unproductive => "Unproductive",
        }
    }
}

/// `GET /api/v1/reports/time`: the days `from` to `to` (both included, at most 366),
/// as days of `time_zone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: Grouping,
    /// Only this team's people.
    pub team_id: Option<TeamId>,
    /// Only this person.
    pub user_id: Option<UserId>,
    /// An IANA time zone; absent: the company's (its default policy's).
    pub time_zone: Option<String>,
}

/// The figures of a report row, or of the whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// Active and idle time: the seconds a computer reported, each second counted once
    /// however many of the person's computers reported it.
    pub worked_secs: i64,
    pub active_secs: i64,
    pub idle_secs: i64,
    /// Active time as a share of worked time, 0 to 100.
    pub activity_percent: u32,
    /// Active time by how its applications and sites are classified.
    pub productive_secs: i64,
    pub neutral_secs: i64,
    pub unproductive_secs: i64,
}

impl Figures {
    /// Worked time and activity % from active and idle time.
    pub fn complete(mut self) -> Self {
        self.worked_secs = self.active_secs + self.idle_secs;
        self.activity_percent = percent(self.active_secs, self.worked_secs);
        self
    }

    /// Productive time as a share of active time, 0 to 100.
    pub fn productive_percent(&self) -> u32 {
        percent(self.productive_secs, self.active_secs)
    }
}

/// `part` as a whole percentage of `whole`, rounded; 0 of nothing.
pub fn percent(part: i64, whole: i64) -> u32 {
    if whole <= 0 {
        return 0;
    }
    u32::try_from((part.clamp(0, whole) * 200 + whole) / (2 * whole)).unwrap_or(0)
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    /// What the row is, stable for links: a person's or team's id, `2026-03-29`,
    /// `2026-03-29T14` (hour), `2026-W13`, `2026-03`, `1-09` (ISO weekday and hour),
    /// an application, or a category name.
    pub key: String,
    /// What to show: a name, a date, `Mon 09:00`, `firefox · github.com`.
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Grouped by application: how it is classified for the people in the report.
    pub productivity: Option<Productivity>,
    /// Grouped by application: its category.
    pub category: Option<String>,
}

/// A report: its rows in order and the total over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: Grouping,
    pub time_zone: String,
    pub rows: Vec<ReportRow>,
    pub total: Figures,
}

/// `GET /api/v1/reports/attendance`: each person's days from `from` to `to` (both
/// included, at most 366) against their policy's working hours, in their policy's time
/// zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct AttendanceQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    /// Minutes of tolerance before a start counts as late or an end as early, 0 to 120;
    /// default 10.
    pub grace_mins: Option<u32>,
}

/// The default tolerance of the attendance report.
pub const DEFAULT_GRACE_MINS: u32 = 10;
/// The largest tolerance of the attendance report.
pub const MAX_GRACE_MINS: u32 = 120;

/// How a person's day went against their working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// Started and ended within the grace period of the working hours.
    OnTime,
    /// Started later than the grace period allows.
    LateStart,
    /// Ended earlier than the grace period allows.
    EarlyEnd,
    /// Both.
    LateStartEarlyEnd,
    /// A working day without activity.
    Absent,
    /// Not a working day, yet worked.
    DayOff,
    /// The policy sets no working hours: activity only.
    Unscheduled,
}

named!(Attendance {
    OnTime => "on_time",
    LateStart => "late_start",
    EarlyEnd => "early_end",
    LateStartEarlyEnd => "late_start_early_end",
    Absent => "absent",
    DayOff => "day_off",
    Unscheduled => "unscheduled",
});

impl Attendance {
    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            Attendance::OnTime => "On time",
            Attendance::LateStart => "Late start",
            Attendance::EarlyEnd => "Early end",
            Attendance::LateStartEarlyEnd => "Late start, early end",
            Attendance::Absent => "Absent",
            Attendance::DayOff => "Day off",
            Attendance::Unscheduled => "No working hours",
        }
    }
}

/// One person's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceDay {
    pub user_id: UserId,
    pub name: String,
    /// A day of the person's time zone.
    pub day: NaiveDate,
    pub time_zone: String,
    pub status: Attendance,
    pub first_activity_at: Option<DateTime<Utc>>,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub worked_secs: i64,
    pub active_secs: i64,
    /// The working hours of the day, `HH:MM`, when it is a working day.
    pub expected_start: Option<String>,
    pub expected_end: Option<String>,
    /// Minutes after the expected start (late starts only).
    pub late_by_mins: Option<u32>,
    /// Minutes before the expected end (early ends only).
    pub early_by_mins: Option<u32>,
}

/// Days counted by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceSummary {
    pub on_time: u32,
    pub late_start: u32,
    pub early_end: u32,
    pub absent: u32,
}

impl AttendanceSummary {
    /// Counts a day of `status`.
    pub fn add(&mut self, status: Attendance) {
        match status {
            Attendance::OnTime => self.on_time += 1,
            Attendance::LateStart => self.late_start += 1,
            Attendance::EarlyEnd => self.early_end += 1,
            Attendance::LateStartEarlyEnd => {
                self.late_start += 1;
                self.early_end += 1;
            }
            Attendance::Absent => self.absent += 1,
            Attendance::DayOff | Attendance::Unscheduled => {}
        }
    }
}

/// The attendance report: person by person, day by day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttendanceReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub grace_mins: u32,
    pub days: Vec<AttendanceDay>,
    pub summary: AttendanceSummary,
}

/// What a category rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum RuleField {
    /// The application's name, e.g. `code`.
    App,
    /// The site's domain, e.g. `github.com` (its subdomains too for wildcards).
    Domain,
}

named!(RuleField {
    App => "app",
    Domain => "domain",
});

/// How a rule's pattern matches, always ignoring case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum RuleMatch {
    /// The whole name.
    Exact,
    /// `*` stands for any characters: `*.google.com`, `jetbrains-*`.
    Wildcard,
    /// A regular expression that must match the whole name.
    Regex,
}

named!(RuleMatch {
    Exact => "exact",
    Wildcard => "wildcard",
    Regex => "regex",
});

/// The longest pattern a rule may have.
pub const MAX_PATTERN_CHARS: usize = 200;
/// The longest category name.
pub const MAX_CATEGORY_CHARS: usize = 60;
/// The most rules a company may have.
pub const MAX_RULES_PER_COMPANY: i64 = 2_000;

/// A rule as written: what it matches, how that time counts, and whom it applies to
/// (a person, else a team, else the company). The more specific wins: person, team,
/// company, then the built-in catalogue; within one level a domain rule beats an app
/// rule, and an exact pattern a wildcard, a wildcard a regular expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCategoryRule {
    pub field: RuleField,
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    /// 1 to 200 characters.
    pub pattern: String,
    pub productivity: Productivity,
    /// Such as `Development` or `Communication`; 1 to 60 characters.
    pub category: String,
    /// Only this team's people.
    pub team_id: Option<TeamId>,
    /// Only this person.
    pub user_id: Option<UserId>,
}

impl NewCategoryRule {
    /// Every rule the fields must meet, as `(JSON pointer, why)`. A regular expression
    /// is checked by the server, which compiles it.
    pub fn check(&self) -> Vec<(&'static str, Invalid)> {
        let mut faults = Vec::new();
        let pattern = self.pattern.trim();
        if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN_CHARS {
            faults.push((
                "/pattern",
                ("length", "Give a pattern of 1 to 200 characters."),
            ));
        }
        let category = self.category.trim();
        if category.is_empty() || category.chars().count() > MAX_CATEGORY_CHARS {
            faults.push((
                "/category",
                ("length", "Give a category name of 1 to 60 characters."),
            ));
        }
        if self.team_id.is_some() && self.user_id.is_some() {
            faults.push((
                "/user_id",
                (
                    "conflict",
                    "A rule applies to a team or to a person, not both.",
                ),
            ));
        }
        faults
    }
}

/// A stored rule: the rule as written, with its id and when it was made and last changed.
// The fields of `NewCategoryRule` spelt out rather than flattened: that type refuses
// unknown fields, so in the OpenAPI document a flattened copy would refuse the id and
// times beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryRule {
    pub id: CategoryRuleId,
    pub field: RuleField,
    #[serde(rename = "match")]
    pub matches: RuleMatch,
    /// 1 to 200 characters.
    pub pattern: String,
    pub productivity: Productivity,
    /// Such as `Development` or `Communication`; 1 to 60 characters.
    pub category: String,
    /// Only this team's people.
    pub team_id: Option<TeamId>,
    /// Only this person.
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CategoryRule {
    /// The stored rule `id` as written.
    pub fn stored(
        id: CategoryRuleId,
        rule: NewCategoryRule,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Self {
        let NewCategoryRule {
            field,
            matches,
            pattern,
            productivity,
            category,
            team_id,
            user_id,
        } = rule;
        Self {
            id,
            field,
            matches,
            pattern,
            productivity,
            category,
            team_id,
            user_id,
            created_at,
            updated_at,
        }
    }

    /// The rule as written, to edit or send again.
    pub fn written(&self) -> NewCategoryRule {
        NewCategoryRule {
            field: self.field,
            matches: self.matches,
            pattern: self.pattern.clone(),
            productivity: self.productivity,
            category: self.category.clone(),
            team_id: self.team_id,
            user_id: self.user_id,
        }
    }
}

/// An application (and site, for browsers) as recorded, with how it is classified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subject {
    pub app: String,
    /// The site's domain, for browsers when the policy records URLs.
    pub domain: Option<String>,
    pub productivity: Productivity,
    pub category: String,
    /// Whose rule decided: `person`, `team`, `company` or `catalogue` (the built-in
    /// default); `none` when nothing matched (neutral, "Uncategorized").
    pub decided_by: String,
    /// Active time in the last 30 days, everyone's.
    pub recent_secs: i64,
    /// `firefox · github.com`, or the application alone.
    pub label: String,
}

/// `POST /api/v1/category-rules/preview`: the applications and sites a rule would
/// classify, with how they are classified now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RulePreview {
    /// At most 100, most used first.
    pub matches: Vec<Subject>,
    /// How many in all.
    pub total: u32,
}

/// `GET /api/v1/overview`: the landing page's figures for the people the caller may
/// see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// An IANA time zone for "today" and "this week"; absent: the company's.
    pub time_zone: Option<String>,
}

/// Seats in use against the plan's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeatUsage {
    pub used: i32,
    /// `None`: no limit.
    pub limit: Option<i32>,
}

/// The landing page: what is happening now, today and this week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub time_zone: String,
    pub today: NaiveDate,
    /// The people in view (the caller's reach).
    pub people: u32,
    /// People with a computer online and in use now.
    pub working_now: u32,
    pub agents: crate::agents::AgentCounts,
    pub today_figures: Figures,
    /// Monday to now.
    pub this_week: Figures,
    /// Last Monday to the same moment a week ago.
    pub last_week: Figures,
    /// Worked time this week against last week to the same moment, in percent
    /// (`12`: 12 % more); `None` when last week had none.
    pub week_trend_percent: Option<i32>,
    /// This week by team: activity % and productive share.
    pub teams: Vec<ReportRow>,
    pub attendance_today: AttendanceSummary,
    /// The caller's five newest alerts.
    pub latest_alerts: Vec<crate::alerts::Alert>,
    /// For owners and admins.
    pub seats: Option<SeatUsage>,
}

/// `now` against `before` in whole percent, rounded; `None` without a `before`.
pub fn trend_percent(now: i64, before: i64) -> Option<i32> {
    if before <= 0 {
        return None;
    }
    // Half a percent rounds away from zero.
    let diff = (now - before) * 100;
    let change = (2 * diff + diff.signum() * before) / (2 * before);
    i32::try_from(change).ok()
}

/// How often a summary of the people one may see arrives by e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum ReportFrequency {
    /// Each morning, about the day before.
    Daily,
    /// Each Monday morning, about the week before.
    Weekly,
}

named!(ReportFrequency {
    Daily => "daily",
    Weekly => "weekly",
});

/// `GET|PUT /api/v1/me/report-subscription`: the scheduled summary a manager, admin or
/// owner receives, at 07:00 in their time zone; `null`: none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportSubscription {
    pub frequency: Option<ReportFrequency>,
}

/// The label of a subject: `firefox · github.com`, or the application alone.
pub fn subject_label(app: &str, domain: Option<&str>) -> String {
    match domain {
        Some(domain) if !domain.is_empty() => format!("{app} · {domain}"),
        _ => app.to_owned(),
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(Productivity);

#[cfg(feature = "diesel")]
crate::sql::text_column!(RuleField);

#[cfg(feature = "diesel")]
crate::sql::text_column!(RuleMatch);

#[cfg(feature = "diesel")]
crate::sql::text_column!(ReportFrequency);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for grouping in Grouping::ALL {
            assert_eq!(grouping.as_str().parse::<Grouping>(), Ok(*grouping));
        }
        for status in Attendance::ALL {
            assert_eq!(status.as_str().parse::<Attendance>(), Ok(*status));
        }
        assert!("hourly".parse::<Grouping>().is_err());
    }

    #[test]
    fn percentages_round_and_never_exceed_100() {
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(7, 5), 100);
    }

    #[test]
    fn trends_compare_against_the_week_before() {
        assert_eq!(trend_percent(112, 100), Some(12));
        assert_eq!(trend_percent(70, 100), Some(-30));
        assert_eq!(trend_percent(5, 0), None);
        assert_eq!(trend_percent(0, 3), Some(-100));
    }
}
