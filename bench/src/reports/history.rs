//! A year of made-up working days, the same for the same seed: who works when (Monday
//! to Friday, starting between 07:45 and 10:00 in Europe/Berlin, 7 to 9 hours with a
//! lunch break), in which 5 to 15 of their applications and sites, with what input;
//! some days absent, some started late. A day is a timeline of segments (one
//! application in front, or idle), folded into what the server's rollups hold: per UTC
//! hour, per application in the hour, and per local day.

use chrono::{Datelike, NaiveDate, Weekday};

use super::dictionary::{self, Entry, Kind};

/// Everyone's time zone: the year holds its changes to and from summer time.
pub const TIME_ZONE: &str = "Europe/Berlin";
/// Everyone's working hours (the company policy's), local time.
pub const WORK_START: &str = "09:00";
pub const WORK_END: &str = "17:00";
const WORK_START_SECS: i64 = 9 * HOUR;
const WORK_END_SECS: i64 = 17 * HOUR;
pub const HOUR: i64 = 3_600;
/// Share of working days a person is away, and of the others started late (after
/// 09:15, past the attendance report's default 10 minutes of grace).
pub const ABSENT_SHARE: f64 = 0.03;
pub const LATE_SHARE: f64 = 0.10;
/// Applications and sites a person uses at all, and on one day.
const POOL: usize = 30;
const PER_DAY: std::ops::RangeInclusive<usize> = 5..=15;
/// Active plus idle time of a day.
pub const WORKED_SECS: std::ops::RangeInclusive<i64> = 7 * HOUR..=9 * HOUR;
/// The longest event an agent sends.
const LONGEST: i64 = pulse_shared::activity::MAX_EVENT_SECS as i64;

/// The last Sunday of `month`.
fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .unwrap_or(NaiveDate::MIN);
    let last = next.pred_opt().unwrap_or(next);
    let back = last.weekday().num_days_from_sunday();
    last - chrono::Duration::days(i64::from(back))
}

/// Midnight UTC at the start of `day`, in seconds since the epoch.
fn midnight_utc(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(0, |midnight| midnight.and_utc().timestamp())
}

/// Europe/Berlin's offset from UTC in seconds at the instant `utc`: summer time (+2 h)
/// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October, else +1 h.
fn offset_at(utc: i64) -> i64 {
    let year = chrono::DateTime::from_timestamp(utc, 0).map_or(1970, |at| at.year());
    let from = midnight_utc(last_sunday(year, 3)) + HOUR;
    let to = midnight_utc(last_sunday(year, 10)) + HOUR;
    if (from..to).contains(&utc) {
        2 * HOUR
    } else {
        HOUR
    }
}

/// The day in Europe/Berlin at the instant `utc`.
pub fn local_day(utc: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(utc + offset_at(utc), 0)
        .map_or(NaiveDate::MIN, |at| at.date_naive())
}

/// The instant of `local_secs` after midnight of `day` in Europe/Berlin, for times of
/// the working day (the clocks change at night, so one offset holds all day).
pub fn to_utc(day: NaiveDate, local_secs: i64) -> i64 {
    let noon = midnight_utc(day) + 12 * HOUR;
    midnight_utc(day) + local_secs - offset_at(noon)
}

/// Monday to Friday.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A well-mixed seed of a few numbers (splitmix64's finaliser).
fn mix(parts: &[u64]) -> u64 {
    let mut z = 0x9E37_79B9_7F4A_7C15_u64;
    for part in parts {
        z ^= part.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

/// The index of one of `weights`, each as likely as its weight.
fn pick(rng: &mut fastrand::Rng, weights: &[(usize, f64)]) -> usize {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut at = rng.f64() * total;
    for (index, (_, weight)) in weights.iter().enumerate() {
        if at < *weight {
            return index;
        }
        at -= weight;
    }
    weights.len().saturating_sub(1)
}

/// Up to `count` different items of `weights`, each drawn as likely as its weight.
fn draw(
    rng: &mut fastrand::Rng,
    mut weights: Vec<(usize, f64)>,
    count: usize,
) -> Vec<(usize, f64)> {
    let mut drawn = Vec::with_capacity(count);
    while drawn.len() < count && !weights.is_empty() {
        drawn.push(weights.swap_remove(pick(rng, &weights)));
    }
    drawn
}

/// One employee's habits.
#[derive(Debug, Clone)]
pub struct Person {
    /// `n` of `Simulated n`: their data depends on it, not on their random id.
    pub number: u32,
    /// When they usually start, seconds after local midnight.
    habit_start: i64,
    /// The applications and sites they use (dictionary indices), with how much.
    pool: Vec<(usize, f64)>,
}

impl Person {
    pub fn new(number: u32, team: usize, entries: &[Entry], seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(mix(&[seed, u64::from(number)]));
        let browsers: Vec<(usize, f64)> = dictionary::BROWSERS
            .iter()
            .enumerate()
            .map(|(index, (_, share))| (index, f64::from(*share)))
            .collect();
        let browser = pick(&mut rng, &browsers);
        // Some spend more time on distractions than others.
        let distraction = 0.3 + rng.f64() * 1.7;
        let mut kind_totals: Vec<(Kind, f64)> = Vec::new();
        for entry in entries {
            match kind_totals.iter_mut().find(|(kind, _)| *kind == entry.kind) {
                Some((_, total)) => *total += f64::from(entry.popularity),
                None => kind_totals.push((entry.kind, f64::from(entry.popularity))),
            }
        }
        let candidates: Vec<(usize, f64)> = entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.browser.is_none_or(|b| b == browser))
            .filter_map(|(index, entry)| {
                let kind_total = kind_totals
                    .iter()
                    .find(|(kind, _)| *kind == entry.kind)
                    .map_or(1.0, |(_, total)| *total);
                let mut weight = f64::from(dictionary::team_weight(team, entry.kind))
                    * f64::from(entry.popularity)
                    / kind_total;
                if entry.kind == Kind::Distraction {
                    weight *= distraction;
                }
                (weight > 0.0).then_some((index, weight))
            })
            .collect();
        let pool = draw(&mut rng, candidates, POOL)
            .into_iter()
            .map(|(index, weight)| (index, weight * (0.5 + rng.f64())))
            .collect();
        Self {
            number,
            habit_start: rng.i64(8 * HOUR..=9 * HOUR),
            pool,
        }
    }

    /// The dictionary entries they use at all.
    pub fn uses(&self) -> impl Iterator<Item = usize> + '_ {
        self.pool.iter().map(|(index, _)| *index)
    }

    /// Their `day`, up to the instant `now`: `None` on weekends, when they are away, and
    /// today before they start.
    pub fn day(&self, day: NaiveDate, entries: &[Entry], seed: u64, now: i64) -> Option<Workday> {
        if !is_working_day(day) {
            return None;
        }
        let days = u64::try_from(day.num_days_from_ce()).unwrap_or(0);
        let mut rng = fastrand::Rng::with_seed(mix(&[seed, u64::from(self.number), days]));
        if rng.f64() < ABSENT_SHARE {
            return None;
        }
        let late = rng.f64() < LATE_SHARE;
        let start = if late {
            rng.i64(WORK_START_SECS + 15 * 60..=10 * HOUR)
        } else {
            (self.habit_start + rng.i64(-15 * 60..=15 * 60))
                .clamp(7 * HOUR + 45 * 60, WORK_START_SECS + 9 * 60)
        };
        let worked = rng.i64(WORKED_SECS);
        let lunch_at = rng.i64(12 * HOUR..=13 * HOUR + 30 * 60);
        let lunch = rng.i64(30 * 60..=60 * 60);
        let count = rng.usize(PER_DAY);
        let today: Vec<(usize, f64)> = draw(&mut rng, self.pool.clone(), count)
            .into_iter()
            .map(|(index, weight)| (index, weight * (0.5 + rng.f64())))
            .collect();
        if today.is_empty() {
            return None;
        }

        let mut segments = Vec::new();
        let (mut at, mut done, mut lunched) = (start, 0, false);
        let mut front = today.first().map_or(0, |(index, _)| *index);
        while done < worked {
            if !lunched && at >= lunch_at {
                at += lunch;
                lunched = true;
            }
            let idle = !segments.is_empty() && rng.f64() < 0.10;
            let (entry, secs) = if idle {
                (front, rng.i64(60..=900))
            } else {
                let entry = today[pick(&mut rng, &today)].0;
                let meeting = entries.get(entry).map(|e| e.kind) == Some(Kind::Meetings);
                let roll = rng.f64();
                let secs = if meeting {
                    rng.i64(900..=LONGEST)
                } else if roll < 0.55 {
                    rng.i64(30..=240)
                } else if roll < 0.9 {
                    rng.i64(240..=900)
                } else {
                    rng.i64(900..=2_400)
                };
                (entry, secs)
            };
            let secs = secs.min(worked - done).max(1);
            let (keys, mouse) = if idle {
                (0, 0)
            } else {
                let (keys, mouse) = entries
                    .get(entry)
                    .map_or((1.0, 1.0), |e| e.kind.input_rates());
                #[allow(clippy::cast_precision_loss)] // seconds of a day
                let length = secs as f64;
                (
                    count_of(keys * length * (0.3 + rng.f64())),
                    count_of(mouse * length * (0.3 + rng.f64())),
                )
            };
            segments.push(Segment {
                start: to_utc(day, at),
                secs: u32::try_from(secs).unwrap_or(0),
                entry,
                idle,
                keys,
                mouse,
            });
            front = entry;
            at += secs;
            done += secs;
        }
        // Today: only what has happened.
        segments.retain(|s| s.start < now);
        if let Some(last) = segments.last_mut() {
            last.secs = last
                .secs
                .min(u32::try_from(now - last.start).unwrap_or(u32::MAX));
        }
        segments
            .first()
            .is_some_and(|s| !s.idle)
            .then_some(Workday { day, segments })
    }
}

fn count_of(value: f64) -> u32 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small, positive
    let count = value.round().max(0.0) as u32;
    count
}

/// One stretch of a day: an application or site in front, or idle (with what was in
/// front), as an agent reports it in one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Seconds since the epoch.
    pub start: i64,
    pub secs: u32,
    /// Index into the dictionary's entries.
    pub entry: usize,
    pub idle: bool,
    pub keys: u32,
    pub mouse: u32,
}

impl Segment {
    pub fn end(&self) -> i64 {
        self.start + i64::from(self.secs)
    }
}

/// One person's worked day.
#[derive(Debug, Clone)]
pub struct Workday {
    /// In Europe/Berlin.
    pub day: NaiveDate,
    /// In order, none overlapping.
    pub segments: Vec<Segment>,
}

/// A person's UTC hour, as `activity_hours` and `activity_hour_subjects` hold it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hour {
    /// Its first second, since the epoch.
    pub start: i64,
    pub active: i32,
    pub idle: i32,
    pub keys: i64,
    pub mouse: i64,
    /// Active seconds per dictionary entry, in entry order.
    pub subjects: Vec<(usize, i32)>,
}

/// A person's day, as `activity_days` and `activity_day_subjects` hold it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// The first and last second with input, since the epoch.
    pub first_at: i64,
    pub last_at: i64,
    pub active: i32,
    pub idle: i32,
    pub keys: i64,
    pub mouse: i64,
    pub subjects: Vec<(usize, i32)>,
}

fn add(subjects: &mut Vec<(usize, i32)>, entry: usize, secs: i32) {
    match subjects.iter_mut().find(|(e, _)| *e == entry) {
        Some((_, total)) => *total += secs,
        None => subjects.push((entry, secs)),
    }
}

impl Workday {
    /// The UTC hours the day touches, in order, as the server's rollup folds the same
    /// events: each second once, input counted in the hour its event started.
    pub fn hours(&self) -> Vec<Hour> {
        let mut hours: Vec<Hour> = Vec::new();
        for segment in &self.segments {
            let mut at = segment.start;
            let mut first = true;
            while at < segment.end() {
                let start = at - at.rem_euclid(HOUR);
                let to = segment.end().min(start + HOUR);
                let secs = i32::try_from(to - at).unwrap_or(0);
                if hours.last().is_none_or(|hour| hour.start != start) {
                    hours.push(Hour {
                        start,
                        ..Hour::default()
                    });
                }
                if let Some(hour) = hours.last_mut() {
                    if segment.idle {
                        hour.idle += secs;
                    } else {
                        hour.active += secs;
                        add(&mut hour.subjects, segment.entry, secs);
                    }
                    if first {
                        hour.keys += i64::from(segment.keys);
                        hour.mouse += i64::from(segment.mouse);
                    }
                }
                first = false;
                at = to;
            }
        }
        for hour in &mut hours {
            hour.subjects.sort_unstable();
        }
        hours
    }

    /// The day's totals, from its hours.
    pub fn totals(&self, hours: &[Hour]) -> Totals {
        let active = self.segments.iter().filter(|s| !s.idle);
        let mut totals = Totals {
            first_at: active.clone().map(|s| s.start).min().unwrap_or(0),
            last_at: active.map(Segment::end).max().unwrap_or(0),
            ..Totals::default()
        };
        for hour in hours {
            totals.active += hour.active;
            totals.idle += hour.idle;
            totals.keys += hour.keys;
            totals.mouse += hour.mouse;
            for &(entry, secs) in &hour.subjects {
                add(&mut totals.subjects, entry, secs);
            }
        }
        totals.subjects.sort_unstable();
        totals
    }
}

/// The attendance report's verdict on a worked day with these totals, with `grace`
/// seconds of tolerance: (late start, early end).
pub fn lateness(day: NaiveDate, totals: &Totals, grace: i64) -> (bool, bool) {
    let midnight = to_utc(day, 0);
    let (first, last) = (totals.first_at - midnight, totals.last_at - midnight);
    (
        first > WORK_START_SECS + grace,
        last < WORK_END_SECS - grace,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn berlin_changes_to_and_from_summer_time_on_the_last_sundays() {
        assert_eq!(last_sunday(2026, 3), date(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), date(2026, 10, 25));
        assert_eq!(last_sunday(2025, 12), date(2025, 12, 28));
        // 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer.
        let nine = 9 * HOUR;
        assert_eq!(
            to_utc(date(2026, 3, 27), nine) - midnight_utc(date(2026, 3, 27)),
            8 * HOUR
        );
        assert_eq!(
            to_utc(date(2026, 3, 30), nine) - midnight_utc(date(2026, 3, 30)),
            7 * HOUR
        );
        assert_eq!(
            to_utc(date(2026, 10, 23), nine) - midnight_utc(date(2026, 10, 23)),
            7 * HOUR
        );
        assert_eq!(
            to_utc(date(2026, 10, 26), nine) - midnight_utc(date(2026, 10, 26)),
            8 * HOUR
        );
        // 23:30 UTC is already tomorrow in Berlin.
        let late = midnight_utc(date(2026, 7, 1)) + 23 * HOUR + 1_800;
        assert_eq!(local_day(late), date(2026, 7, 2));
        assert_eq!(local_day(late - 2 * HOUR), date(2026, 7, 1));
        let winter = midnight_utc(date(2026, 1, 1)) + 22 * HOUR + 1_800;
        assert_eq!(local_day(winter), date(2026, 1, 1));
        assert_eq!(local_day(winter + HOUR), date(2026, 1, 2));
    }

    fn people() -> (Vec<Entry>, Vec<Person>) {
        let entries = dictionary::entries();
        let people = (1..=40)
            .map(|n| Person::new(n, n as usize % dictionary::TEAMS.len(), &entries, 7))
            .collect();
        (entries, people)
    }

    #[test]
    fn hours_and_days_add_up_as_the_rollups_do() {
        let (entries, people) = people();
        let mut checked = 0;
        for person in &people {
            for offset in 0..30 {
                let day = date(2026, 3, 16) + chrono::Duration::days(offset);
                let Some(workday) = person.day(day, &entries, 7, i64::MAX) else {
                    continue;
                };
                let hours = workday.hours();
                let totals = workday.totals(&hours);
                for hour in &hours {
                    assert_eq!(hour.start % HOUR, 0);
                    assert!(hour.active + hour.idle <= 3_600, "{hour:?}");
                    let by_subject: i32 = hour.subjects.iter().map(|(_, s)| s).sum();
                    assert_eq!(by_subject, hour.active);
                    assert_eq!(local_day(hour.start), day);
                }
                let segments = &workday.segments;
                let active: i64 = segments
                    .iter()
                    .filter(|s| !s.idle)
                    .map(|s| i64::from(s.secs))
                    .sum();
                assert_eq!(i64::from(totals.active), active);
                let worked = i64::from(totals.active + totals.idle);
                assert!(WORKED_SECS.contains(&worked), "{worked}");
                let keys: i64 = segments.iter().map(|s| i64::from(s.keys)).sum();
                assert_eq!(totals.keys, keys);
                let by_subject: i32 = totals.subjects.iter().map(|(_, s)| s).sum();
                assert_eq!(by_subject, totals.active);
                assert!(totals.subjects.len() <= 15);
                assert!(segments.windows(2).all(|w| w[0].end() <= w[1].start));
                assert!(
                    segments
                        .iter()
                        .all(|s| s.secs >= 1 && i64::from(s.secs) <= LONGEST)
                );
                checked += 1;
            }
        }
        assert!(checked > 700, "{checked}");
    }

    #[test]
    fn about_three_percent_absent_and_ten_percent_late() {
        let (entries, people) = people();
        let (mut working, mut absent, mut late) = (0, 0, 0);
        for person in &people {
            for offset in 0..250 {
                let day = date(2026, 1, 1) + chrono::Duration::days(offset);
                if !is_working_day(day) {
                    assert!(person.day(day, &entries, 7, i64::MAX).is_none());
                    continue;
                }
                working += 1;
                match person.day(day, &entries, 7, i64::MAX) {
                    None => absent += 1,
                    Some(workday) => {
                        let totals = workday.totals(&workday.hours());
                        late += usize::from(lateness(day, &totals, 600).0);
                    }
                }
            }
        }
        let share = |n: usize| n as f64 / working as f64;
        assert!((0.02..0.04).contains(&share(absent)), "{}", share(absent));
        assert!((0.08..0.12).contains(&share(late)), "{}", share(late));
    }

    #[test]
    fn the_same_seed_makes_the_same_day_and_today_ends_now() {
        let (entries, people) = people();
        let day = date(2026, 6, 3);
        let a = people[0].day(day, &entries, 7, i64::MAX).unwrap();
        let b = Person::new(1, 1, &entries, 7)
            .day(day, &entries, 7, i64::MAX)
            .unwrap();
        assert_eq!(a.segments, b.segments);
        let other = Person::new(1, 1, &entries, 8).day(day, &entries, 8, i64::MAX);
        assert_ne!(other.map(|d| d.segments), Some(a.segments.clone()));
        let noon = to_utc(day, 12 * HOUR);
        let so_far = people[0].day(day, &entries, 7, noon).unwrap();
        assert!(so_far.segments.iter().all(|s| s.end() <= noon));
        assert!(so_far.segments.len() < a.segments.len());
        assert!(
            people[0]
                .day(day, &entries, 7, to_utc(day, 6 * HOUR))
                .is_none()
        );
    }
}
