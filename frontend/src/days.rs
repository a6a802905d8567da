//! Calendar days in the browser's time zone: where a day begins and ends as UTC
//! instants, and times of day as the person at the screen reads them.
//!
//! Rationale: a work day is a local thing (a session from 22:00 to 02:00 UTC is one
//! evening in New York), so the Sessions and Screenshots pages pick days and show times in
//! the browser's zone and say which zone that is. The zone comes from the page's own
//! `Date`, since `chrono::Local` does not work in the browser.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeDelta, Utc};

use crate::format::{self, DayStyle};

/// Today in the browser's time zone.
pub fn today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
    .unwrap_or_default()
}

/// The moment `day` begins in the browser's time zone (its local midnight, or the first
/// moment after it where a clock change skips midnight).
pub fn start(day: NaiveDate) -> DateTime<Utc> {
    let local = js_sys::Date::new_with_year_month_day(
        day.year().max(0) as u32,
        day.month0() as i32,
        day.day() as i32,
    );
    DateTime::from_timestamp_millis(local.get_time() as i64).unwrap_or_default()
}

/// `[start, end)` of `day`: 23, 24 or 25 hours, as the clock changes.
pub fn bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = day.succ_opt().unwrap_or(day);
    (start(day), start(next))
}

/// The browser's offset from UTC at `moment`.
pub fn offset_at(moment: DateTime<Utc>) -> FixedOffset {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        moment.timestamp_millis() as f64
    ));
    // getTimezoneOffset is minutes *behind* UTC: -60 in Berlin in winter.
    let east = -(date.get_timezone_offset() as i32) * 60;
    FixedOffset::east_opt(east).unwrap_or_else(|| Utc.fix())
}

/// `moment` on the browser's clock.
pub fn local(moment: DateTime<Utc>) -> DateTime<FixedOffset> {
    moment.with_timezone(&offset_at(moment))
}

/// A time of day on the browser's clock, e.g. `14:03`.
pub fn time(moment: DateTime<Utc>) -> String {
    format::clock(local(moment), false)
}

/// The browser's IANA time zone, e.g. `Europe/Berlin` (none where the browser does not say).
pub fn zone_id() -> Option<String> {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()?
        .as_string()
}

/// A time of day, e.g. `14:03`, on the clock of the IANA zone `zone` (a person's policy
/// zone); on the browser's clock when the browser does not know that zone.
pub fn time_in(moment: DateTime<Utc>, zone: &str) -> String {
    zone_time(moment, zone).unwrap_or_else(|| time(moment))
}

/// `Intl.DateTimeFormat` through `Reflect`, whose calls return errors instead of throwing
/// (an unknown zone is a `RangeError`).
fn zone_time(moment: DateTime<Utc>, zone: &str) -> Option<String> {
    use js_sys::{Array, Function, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&options, &key.into(), &value.into()).ok()?;
    }
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let constructor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let arguments = Array::of2(&"en-GB".into(), &options);
    let formatter = Reflect::construct(&constructor, &arguments).ok()?;
    let format: Function = Reflect::get(&formatter, &"format".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let date = js_sys::Date::new(&JsValue::from_f64(moment.timestamp_millis() as f64));
    format.call1(&formatter, &date).ok()?.as_string()
}

/// A moment on the browser's clock with its zone, for tooltips:
/// `25 Nov 2026, 14:03:07 UTC+01:00`.
pub fn exact(moment: DateTime<Utc>) -> String {
    let local = local(moment);
    format!(
        "{}, {} {}",
        format::day(local, DayStyle::Date),
        format::clock(local, true),
        zone_name(*local.offset())
    )
}

/// `UTC`, `UTC+01:00`, `UTC-05:30`.
pub fn zone_name(offset: FixedOffset) -> String {
    let seconds = offset.local_minus_utc();
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A day for headings: `Tuesday, 25 November 2026`.
pub fn long(day: NaiveDate) -> String {
    format::day(day, DayStyle::LongDate)
}

/// The `value` of an `<input type="date">`: `2026-11-25`.
pub fn input_value(day: NaiveDate) -> String {
    format::day(day, DayStyle::Iso)
}

/// Reads an `<input type="date">` value.
pub fn parse_input(value: &str) -> Option<NaiveDate> {
    format::parse_day(value)
}

/// `day` moved by `days` (negative: back), staying put at the calendar's ends.
pub fn shift(day: NaiveDate, days: i64) -> NaiveDate {
    day.checked_add_signed(TimeDelta::days(days)).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_read_as_utc_offsets() {
        let cases = [
            (0, "UTC"),
            (3_600, "UTC+01:00"),
            (-5 * 3_600 - 1_800, "UTC-05:30"),
            (13 * 3_600 + 45 * 60, "UTC+13:45"),
        ];
        for (seconds, expected) in cases {
            let offset = FixedOffset::east_opt(seconds).unwrap_or_else(|| Utc.fix());
            assert_eq!(zone_name(offset), expected, "{seconds}");
        }
    }

    #[test]
    fn date_inputs_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default();
        assert_eq!(input_value(day), "2026-03-09");
        assert_eq!(parse_input("2026-03-09"), Some(day));
        assert_eq!(parse_input(""), None);
        assert_eq!(parse_input("09/03/2026"), None);
        assert_eq!(long(day), "Monday, 9 March 2026");
        assert_eq!(
            shift(day, -9),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default()
        );
    }
}
