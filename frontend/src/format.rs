//! Turning API values into text for people: durations, dates, timestamps, money,
//! initials, working hours.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use pulse_shared::policies::{Weekday, WorkingHours};

/// `10000` → `10,000`, as the server writes counts too.
pub use pulse_shared::text::thousands;

/// A duration as its two largest units, e.g. `3 d 4 h`, `2 h 5 min`, `45 s`.
/// Negative durations (clock skew) read as `0 s`.
pub fn duration(delta: TimeDelta) -> String {
    let seconds = delta.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min {} s", seconds % 60),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Worked time to the minute, as reports show it: `7 h 05 min`, `45 min`, `0 min`.
/// Minutes are padded once there are hours, so that a column of them lines up.
pub fn hours_minutes(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// How a day is written. The app writes dates in one way, through [`day`], rather than
/// with chrono's `format`, whose strftime interpreter would ship in the WASM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayStyle {
    /// `4 Dec`
    DayMonth,
    /// `4 Dec 2026`
    Date,
    /// `Fri 4 Dec`
    WeekdayDayMonth,
    /// `Fri 4 Dec 2026`
    WeekdayDate,
    /// `Friday 4 December`
    Heading,
    /// `Friday, 4 December 2026`
    LongDate,
    /// `Dec 2026`
    MonthYear,
    /// `2026-12-04`, as `<input type="date">` takes it.
    Iso,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `date` written in `style`, in English.
pub fn day(date: impl Datelike, style: DayStyle) -> String {
    let month = MONTHS[date.month0() as usize];
    let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
    let (mon, wd) = (&month[..3], &weekday[..3]);
    let (d, year) = (date.day(), date.year());
    match style {
        DayStyle::DayMonth => format!("{d} {mon}"),
        DayStyle::Date => format!("{d} {mon} {year}"),
        DayStyle::WeekdayDayMonth => format!("{wd} {d} {mon}"),
        DayStyle::WeekdayDate => format!("{wd} {d} {mon} {year}"),
        DayStyle::Heading => format!("{weekday} {d} {month}"),
        DayStyle::LongDate => format!("{weekday}, {d} {month} {year}"),
        DayStyle::MonthYear => format!("{mon} {year}"),
        DayStyle::Iso => format!("{year:04}-{:02}-{d:02}", date.month()),
    }
}

/// A time of day on a 24-hour clock: `14:03`, or with `seconds` `14:03:07`.
pub fn clock(time: impl Timelike, seconds: bool) -> String {
    let (h, m) = (time.hour(), time.minute());
    if seconds {
        format!("{h:02}:{m:02}:{:02}", time.second())
    } else {
        format!("{h:02}:{m:02}")
    }
}

/// A moment in UTC, e.g. `25 Nov 2026, 14:03:07 UTC`.
///
/// Rationale: UTC, labelled, because status data is compared with server logs.
pub fn timestamp(moment: DateTime<Utc>) -> String {
    format!("{}, {} UTC", date(moment), clock(moment, true))
}

/// A day, e.g. `25 Nov 2026` (UTC, like [`timestamp`]).
pub fn date(moment: DateTime<Utc>) -> String {
    day(moment, DayStyle::Date)
}

/// A moment to the minute, e.g. `25 Nov 2026, 14:03 UTC`: for tables, where seconds are noise.
pub fn minute(moment: DateTime<Utc>) -> String {
    format!("{}, {} UTC", date(moment), clock(moment, false))
}

/// How long ago `moment` was, seen from `now`: `just now` (under ten seconds),
/// `40 s ago`, `5 min ago`, `3 h ago`, `2 d ago`, and the day (as [`date`]) after a
/// week. A moment in the future (clock skew) reads as `just now`. Seconds count: an
/// agent turns offline about forty seconds after it was last heard from.
pub fn ago(moment: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - moment).num_seconds();
    match seconds {
        ..10 => "just now".to_owned(),
        10..60 => format!("{seconds} s ago"),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..604_800 => format!("{} d ago", seconds / 86_400),
        _ => date(moment),
    }
}

/// A date field's value (`2026-11-25`) as that day; anything else as none.
pub fn parse_day(value: &str) -> Option<NaiveDate> {
    let mut parts = value.trim().splitn(3, '-');
    let mut next = || parts.next()?.parse().ok();
    let (year, month, day) = (next()?, next()?, next()?);
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// `value` to `places` decimals (at most 9), as `{:.N}` writes it: `12.346`, `-4.5`,
/// `7`. Written with integers, as every number the app shows: printing a float brings
/// the float printer into the WASM (ARCHITECTURE.md, "Where the WASM's bytes go").
pub fn fixed(value: f64, places: u32) -> String {
    let places = places.min(9);
    let scale = 10_u64.pow(places);
    let scaled = (value * scale as f64).round() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let (whole, fraction) = (scaled.unsigned_abs() / scale, scaled.unsigned_abs() % scale);
    match places {
        0 => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{fraction:0width$}", width = places as usize),
    }
}

/// A file's size: `532 KB` (rounded up, so a small file is never `0 KB`), `1.4 MB`; the
/// number and its unit never part at the end of a line.
pub fn file_size(bytes: i64) -> String {
    let bytes = bytes.max(0);
    if bytes >= 1_000_000 {
        format!("{}\u{a0}MB", fixed(bytes as f64 / 1_000_000.0, 1))
    } else {
        format!("{}\u{a0}KB", (bytes + 999) / 1_000)
    }
}

/// An amount in a currency's smallest unit, e.g. `$29.00`, `−$4.50`, `€12.00`, or
/// `12.00 CHF` for currencies without a symbol here.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "\u{2212}" } else { "" };
    let amount = format!(
        "{}.{:02}",
        cents.unsigned_abs() / 100,
        cents.unsigned_abs() % 100
    );
    let symbol = match currency.to_ascii_lowercase().as_str() {
        "usd" => Some("$"),
        "eur" => Some("€"),
        "gbp" => Some("£"),
        _ => None,
    };
    match symbol {
        Some(symbol) => format!("{sign}{symbol}{amount}"),
        None => format!("{sign}{amount} {}", currency.to_ascii_uppercase()),
    }
}

/// "Ada Lovelace" → "AL"; one letter for one name.
pub fn initials(name: &str) -> String {
    let mut words = name.split_whitespace();
    let first = words.next().and_then(|word| word.chars().next());
    let last = words.last().and_then(|word| word.chars().next());
    first
        .into_iter()
        .chain(last)
        .flat_map(char::to_uppercase)
        .collect()
}

/// A day's short name: `Mon`.
pub fn weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

/// `Mon–Fri 09:00–17:00`, `Every day 08:00–12:00`, `Mon, Wed 10:00–14:00`.
pub fn working_hours(hours: &WorkingHours) -> String {
    let mut days = hours.days.clone();
    crate::sort::ascending(&mut days);
    days.dedup();
    let days = if days == Weekday::ALL[..5] {
        "Mon–Fri".to_owned()
    } else if days.len() == Weekday::ALL.len() {
        "Every day".to_owned()
    } else {
        days.iter()
            .map(|day| weekday(*day))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("{days} {}–{}", hours.start, hours.end)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_written_to_their_decimals() {
        let written = [
            fixed(12.3456, 3),
            fixed(12.3456, 1),
            fixed(99.6, 0),
            fixed(-4.25, 1),
            fixed(-0.004, 2),
            fixed(0.5, 3),
            fixed(0.25, 12),
        ];
        assert_eq!(
            written,
            [
                "12.346",
                "12.3",
                "100",
                "-4.3",
                "0.00",
                "0.500",
                "0.250000000"
            ]
        );
    }

    #[test]
    fn file_sizes_read_in_kilobytes_then_megabytes() {
        let written = [
            0, 1, 532_000, 532_100, 999_999, 1_000_000, 1_400_000, 25_960_000,
        ]
        .map(|bytes| file_size(bytes).replace('\u{a0}', " "));
        assert_eq!(
            written,
            [
                "0 KB", "1 KB", "532 KB", "533 KB", "1000 KB", "1.0 MB", "1.4 MB", "26.0 MB"
            ]
        );
    }

    use super::*;

    #[test]
    fn durations_read_as_two_units() {
        let cases = [
            (0, "0 s"),
            (-5, "0 s"),
            (45, "45 s"),
            (125, "2 min 5 s"),
            (2 * 3_600 + 5 * 60 + 9, "2 h 5 min"),
            (3 * 86_400 + 4 * 3_600 + 59, "3 d 4 h"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(
                duration(TimeDelta::seconds(seconds)),
                expected,
                "{seconds} s"
            );
        }
    }

    #[test]
    fn worked_time_reads_in_hours_and_padded_minutes() {
        let cases = [
            (-5, "0 min"),
            (59, "0 min"),
            (45 * 60, "45 min"),
            (3_600, "1 h 00 min"),
            (7 * 3_600 + 5 * 60 + 59, "7 h 05 min"),
            (100 * 3_600, "100 h 00 min"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(hours_minutes(seconds), expected, "{seconds} s");
        }
    }

    #[test]
    fn money_reads_with_its_symbol_and_cents() {
        assert_eq!(money(2900, "usd"), "$29.00");
        assert_eq!(money(5, "usd"), "$0.05");
        assert_eq!(money(-450, "usd"), "\u{2212}$4.50");
        assert_eq!(money(1200, "EUR"), "€12.00");
        assert_eq!(money(1200, "chf"), "12.00 CHF");
    }

    #[test]
    fn initials_take_first_and_last_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("Ada Augusta King Lovelace"), "AL");
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials("  "), "");
    }

    #[test]
    fn ages_read_in_the_largest_unit() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let cases = [
            (-30, "just now"),
            (0, "just now"),
            (9, "just now"),
            (10, "10 s ago"),
            (59, "59 s ago"),
            (60, "1 min ago"),
            (3_599, "59 min ago"),
            (3_600, "1 h ago"),
            (86_399, "23 h ago"),
            (86_400, "1 d ago"),
            (604_799, "6 d ago"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(
                ago(now - TimeDelta::seconds(seconds), now),
                expected,
                "{seconds} s"
            );
        }
        assert_eq!(
            ago(now - TimeDelta::days(8), now),
            date(now - TimeDelta::days(8))
        );
    }

    #[test]
    fn timestamps_name_utc() {
        let moment = DateTime::parse_from_rfc3339("2026-11-25T14:03:07.123Z")
            .map(|moment| moment.with_timezone(&Utc));
        assert_eq!(
            moment.map(timestamp).ok().as_deref(),
            Some("25 Nov 2026, 14:03:07 UTC")
        );
    }

    #[test]
    fn days_read_in_each_style() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 9);
        let cases = [
            (DayStyle::DayMonth, "9 Mar"),
            (DayStyle::Date, "9 Mar 2026"),
            (DayStyle::WeekdayDayMonth, "Mon 9 Mar"),
            (DayStyle::WeekdayDate, "Mon 9 Mar 2026"),
            (DayStyle::Heading, "Monday 9 March"),
            (DayStyle::LongDate, "Monday, 9 March 2026"),
            (DayStyle::MonthYear, "Mar 2026"),
            (DayStyle::Iso, "2026-03-09"),
        ];
        for (style, expected) in cases {
            assert_eq!(
                day.map(|day| super::day(day, style)).as_deref(),
                Some(expected)
            );
        }
        let sunday = NaiveDate::from_ymd_opt(2026, 12, 27);
        assert_eq!(
            sunday
                .map(|day| super::day(day, DayStyle::LongDate))
                .as_deref(),
            Some("Sunday, 27 December 2026")
        );
    }

    #[test]
    fn clocks_pad_to_two_digits() {
        let moment = DateTime::parse_from_rfc3339("2026-11-25T04:03:07Z")
            .map(|moment| moment.with_timezone(&Utc));
        assert_eq!(
            moment.map(|m| clock(m, false)).ok().as_deref(),
            Some("04:03")
        );
        assert_eq!(
            moment.map(|m| clock(m, true)).ok().as_deref(),
            Some("04:03:07")
        );
        assert_eq!(
            moment.map(minute).ok().as_deref(),
            Some("25 Nov 2026, 04:03 UTC")
        );
    }

    #[test]
    fn date_fields_parse_only_whole_days() {
        assert_eq!(
            parse_day(" 2026-02-28 "),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "",
            "2026-02-30",
            "2026-02",
            "28/02/2026",
            "2026-02-28-1",
            "2026-xx-01",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }
}
