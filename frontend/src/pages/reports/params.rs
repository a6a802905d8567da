//! What the Reports page shows, kept in its query string so that a link shows the same
//! report: the tab, the range, the grouping, whose time, the time zone, chart or table,
//! and the attendance report's tolerance. Also the range presets.

use chrono::{Datelike, Months, NaiveDate};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::reports::{
    AttendanceQuery, DEFAULT_GRACE_MINS, Grouping, MAX_GRACE_MINS, MAX_HOURLY_DAYS,
    MAX_REPORT_DAYS, ReportQuery,
};

use crate::format::{self, DayStyle};

/// The two reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Time,
    Attendance,
}

/// How the time report is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Chart,
    Table,
}

/// The page's parameters, read from its query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportParams {
    pub tab: Tab,
    pub view: View,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group: Grouping,
    pub team_id: Option<TeamId>,
    pub user_id: Option<UserId>,
    /// An IANA zone; none: the company's.
    pub time_zone: Option<String>,
    pub grace_mins: u32,
}

impl ReportParams {
    /// The parameters in the query string (`get` answers one name's value). Missing or
    /// unreadable ones take their defaults: the time report as a chart by day, over the
    /// current month up to `today`, for everyone the viewer may see, in the company's
    /// time zone, with 10 minutes' grace.
    pub fn read(get: impl Fn(&str) -> Option<String>, today: NaiveDate) -> Self {
        let day = |name: &str| get(name).and_then(|value| crate::format::parse_day(&value));
        let (first, last) = Preset::ThisMonth.range(today);
        Self {
            tab: match get("tab").as_deref() {
                Some("attendance") => Tab::Attendance,
                _ => Tab::Time,
            },
            view: match get("view").as_deref() {
                Some("table") => View::Table,
                _ => View::Chart,
            },
            from: day("from").unwrap_or(first),
            to: day("to").unwrap_or(last),
            group: get("group")
                .and_then(|group| group.parse().ok())
                .unwrap_or(Grouping::Day),
            team_id: get("team_id").and_then(|id| id.parse().ok()),
            user_id: get("user_id").and_then(|id| id.parse().ok()),
            time_zone: get("time_zone").filter(|zone| !zone.trim().is_empty()),
            grace_mins: get("grace_mins")
                .and_then(|mins| mins.trim().parse().ok())
                .filter(|mins| *mins <= MAX_GRACE_MINS)
                .unwrap_or(DEFAULT_GRACE_MINS),
        }
    }

    /// The query string, without `?`: the range always (so that a link keeps showing
    /// the same days), everything else when it is not the default.
    pub fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        if self.tab == Tab::Attendance {
            pairs.push(("tab", "attendance".to_owned()));
        }
        pairs.push(("from", self.from.to_string()));
        pairs.push(("to", self.to.to_string()));
        if self.group != Grouping::Day {
            pairs.push(("group", self.group.as_str().to_owned()));
        }
        if let Some(team) = self.team_id {
            pairs.push(("team_id", team.to_string()));
        }
        if let Some(user) = self.user_id {
            pairs.push(("user_id", user.to_string()));
        }
        if let Some(zone) = &self.time_zone {
            pairs.push(("time_zone", zone.clone()));
        }
        if self.view == View::Table {
            pairs.push(("view", "table".to_owned()));
        }
        if self.grace_mins != DEFAULT_GRACE_MINS {
            pairs.push(("grace_mins", self.grace_mins.to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// What the time report asks the server.
    pub fn time_query(&self) -> ReportQuery {
        ReportQuery {
            from: self.from,
            to: self.to,
            group: self.group,
            team_id: self.team_id,
            user_id: self.user_id,
            time_zone: self.time_zone.clone(),
        }
    }

    /// What the attendance report asks the server.
    pub fn attendance_query(&self) -> AttendanceQuery {
        AttendanceQuery {
            from: self.from,
            to: self.to,
            team_id: self.team_id,
            user_id: self.user_id,
            grace_mins: Some(self.grace_mins),
        }
    }

    /// Why the range cannot be reported, as the field to blame and the message; the
    /// server would refuse it too.
    pub fn fault(&self) -> Option<(&'static str, String)> {
        let days = (self.to - self.from).num_days() + 1;
        if days < 1 {
            Some(("to", "The end is before the start.".to_owned()))
        } else if days > MAX_REPORT_DAYS {
            Some((
                "to",
                format!("Choose at most {MAX_REPORT_DAYS} days; this is {days}."),
            ))
        } else if self.tab == Tab::Time && self.group == Grouping::Hour && days > MAX_HOURLY_DAYS {
            Some((
                "group",
                format!(
                    "Hour by hour covers at most {MAX_HOURLY_DAYS} days: choose fewer days or group by day."
                ),
            ))
        } else {
            None
        }
    }

    /// The range in words: `1 – 31 Mar 2026`, `28 Feb – 3 Mar 2026`, `29 Dec 2025 – 4 Jan 2026`.
    pub fn range_text(&self) -> String {
        let (from, to) = (self.from, self.to);
        let until = format::day(to, DayStyle::Date);
        if from == to {
            until
        } else if from.year() != to.year() {
            format!("{} – {until}", format::day(from, DayStyle::Date))
        } else if from.month() != to.month() {
            format!("{} – {until}", format::day(from, DayStyle::DayMonth))
        } else {
            format!("{} – {until}", from.day())
        }
    }
}

/// A range chosen with one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::ThisWeek,
        Preset::LastWeek,
        Preset::ThisMonth,
        Preset::LastMonth,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Preset::ThisWeek => "This week",
            Preset::LastWeek => "Last week",
            Preset::ThisMonth => "This month",
            Preset::LastMonth => "Last month",
        }
    }

    /// The first and last day, seen from `today`: weeks start on Monday (as ISO weeks
    /// and the week grouping do), and this week or month ends today.
    pub fn range(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
        let first = today.with_day(1).unwrap_or(today);
        match self {
            Preset::ThisWeek => (monday, today),
            Preset::LastWeek => (monday - chrono::Days::new(7), monday - chrono::Days::new(1)),
            Preset::ThisMonth => (first, today),
            Preset::LastMonth => (
                first.checked_sub_months(Months::new(1)).unwrap_or(first),
                first.pred_opt().unwrap_or(first),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn read(query: &str, today: NaiveDate) -> ReportParams {
        let pairs: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
        ReportParams::read(|name| pairs.get(name).cloned(), today)
    }

    #[test]
    fn presets_end_today_or_cover_the_whole_period_before() {
        // A Wednesday.
        let today = day(2026, 3, 4);
        let cases = [
            (Preset::ThisWeek, day(2026, 3, 2), today),
            (Preset::LastWeek, day(2026, 2, 23), day(2026, 3, 1)),
            (Preset::ThisMonth, day(2026, 3, 1), today),
            (Preset::LastMonth, day(2026, 2, 1), day(2026, 2, 28)),
        ];
        for (preset, from, to) in cases {
            assert_eq!(preset.range(today), (from, to), "{preset:?}");
        }
        // A Monday on the first of January.
        let new_year = day(2024, 1, 1);
        assert_eq!(Preset::ThisWeek.range(new_year), (new_year, new_year));
        assert_eq!(
            Preset::LastMonth.range(new_year),
            (day(2023, 12, 1), day(2023, 12, 31))
        );
    }

    #[test]
    fn an_empty_query_is_this_month_by_day() {
        let today = day(2026, 3, 18);
        let params = read("", today);
        assert_eq!(params.tab, Tab::Time);
        assert_eq!(params.view, View::Chart);
        assert_eq!((params.from, params.to), (day(2026, 3, 1), today));
        assert_eq!(params.group, Grouping::Day);
        assert_eq!(params.grace_mins, DEFAULT_GRACE_MINS);
        assert_eq!(params.query_string(), "from=2026-03-01&to=2026-03-18");
        assert_eq!(params.fault(), None);
    }

    #[test]
    fn queries_round_trip_and_junk_falls_back() {
        let today = day(2026, 3, 18);
        let query = "tab=attendance&from=2026-02-01&to=2026-02-28&group=weekday_hour\
                     &team_id=0193a1b2-0000-7000-8000-000000000001\
                     &time_zone=Europe%2FBerlin&view=table&grace_mins=15";
        let params = read(query, today);
        assert_eq!(params.group, Grouping::WeekdayHour);
        assert_eq!(params.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(params.query_string(), query);
        assert_eq!(read(&params.query_string(), today), params);

        let junk = read(
            "tab=x&from=yesterday&group=hourly&user_id=42&grace_mins=500",
            today,
        );
        assert_eq!(junk, read("", today));
    }

    #[test]
    fn ranges_the_server_would_refuse_are_named() {
        let today = day(2026, 3, 18);
        let backwards = read("from=2026-03-10&to=2026-03-09", today);
        assert_eq!(backwards.fault().map(|(field, _)| field), Some("to"));
        let too_long = read("from=2025-01-01&to=2026-03-01", today);
        assert_eq!(too_long.fault().map(|(field, _)| field), Some("to"));
        let hourly = read("from=2026-01-01&to=2026-03-01&group=hour", today);
        assert_eq!(hourly.fault().map(|(field, _)| field), Some("group"));
        let attendance = read(
            "tab=attendance&from=2026-01-01&to=2026-03-01&group=hour",
            today,
        );
        assert_eq!(attendance.fault(), None);
    }

    #[test]
    fn ranges_read_briefly() {
        let today = day(2026, 3, 18);
        let text = |query: &str| read(query, today).range_text();
        assert_eq!(text("from=2026-03-01&to=2026-03-31"), "1 – 31 Mar 2026");
        assert_eq!(text("from=2026-02-28&to=2026-03-03"), "28 Feb – 3 Mar 2026");
        assert_eq!(
            text("from=2025-12-29&to=2026-01-04"),
            "29 Dec 2025 – 4 Jan 2026"
        );
        assert_eq!(text("from=2026-03-05&to=2026-03-05"), "5 Mar 2026");
    }
}
