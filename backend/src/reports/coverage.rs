//! Which seconds of an hour a person's computers reported, so a second reported by two
//! computers counts once. Values only: the rollup reads and writes them.

use chrono::{DateTime, Duration, DurationRound, Utc};

/// Seconds in an hour, and bytes in an hour's bitmap.
pub const HOUR_SECS: usize = 3_600;
pub const BITMAP_BYTES: usize = HOUR_SECS / 8;

/// One person's hour: the seconds reported active, and those reported idle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCoverage {
    active: Vec<u8>,
    idle: Vec<u8>,
}

impl Default for HourCoverage {
    fn default() -> Self {
        Self {
            active: vec![0; BITMAP_BYTES],
            idle: vec![0; BITMAP_BYTES],
        }
    }
}

/// What an hour holds: its seconds by state, and whether those are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourTotals {
    pub active_secs: i32,
    /// Idle and not active.
    pub idle_secs: i32,
}

impl HourCoverage {
    /// The stored bitmaps, if both are whole.
    pub fn from_bits(active: Vec<u8>, idle: Vec<u8>) -> Option<Self> {
        (active.len() == BITMAP_BYTES && idle.len() == BITMAP_BYTES)
            .then_some(Self { active, idle })
    }

    pub fn into_bits(self) -> (Vec<u8>, Vec<u8>) {
        (self.active, self.idle)
    }

    /// Marks seconds `from..to` of the hour active; answers how many were not active
    /// before.
    pub fn mark_active(&mut self, from: usize, to: usize) -> i32 {
        mark(&mut self.active, from, to)
    }

    /// Marks seconds `from..to` of the hour idle.
    pub fn mark_idle(&mut self, from: usize, to: usize) {
        mark(&mut self.idle, from, to);
    }

    pub fn totals(&self) -> HourTotals {
        let count = |bytes: &mut dyn Iterator<Item = u8>| -> i32 {
            bytes
                .map(|byte| i32::try_from(byte.count_ones()).unwrap_or(0))
                .sum()
        };
        HourTotals {
            active_secs: count(&mut self.active.iter().copied()),
            idle_secs: count(
                &mut self
                    .idle
                    .iter()
                    .zip(&self.active)
                    .map(|(idle, active)| idle & !active),
            ),
        }
    }
}

/// Sets bits `from..to`; answers how many were clear.
fn mark(bits: &mut [u8], from: usize, to: usize) -> i32 {
    let mut newly = 0;
    for second in from..to.min(HOUR_SECS) {
        let (byte, bit) = (second / 8, 1u8 << (second % 8));
        if bits[byte] & bit == 0 {
            bits[byte] |= bit;
            newly += 1;
        }
    }
    newly
}

/// A piece of an event within one UTC hour, in seconds from the hour's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub hour: DateTime<Utc>,
    pub from: usize,
    pub to: usize,
}

impl Slice {
    pub fn started_at(&self) -> DateTime<Utc> {
        self.hour + seconds(self.from)
    }

    pub fn ended_at(&self) -> DateTime<Utc> {
        self.hour + seconds(self.to)
    }
}

fn seconds(n: usize) -> Duration {
    Duration::seconds(i64::try_from(n).unwrap_or(0))
}

/// `[start, start + secs)` cut at hour boundaries, to whole seconds (an event's
/// sub-second start is dropped).
pub fn slices(start: DateTime<Utc>, secs: u32) -> Vec<Slice> {
    let Ok(mut hour) = start.duration_trunc(Duration::hours(1)) else {
        return Vec::new();
    };
    let mut from = usize::try_from((start - hour).num_seconds()).unwrap_or(0);
    let mut left = usize::try_from(secs).unwrap_or(0);
    let mut out = Vec::new();
    while left > 0 {
        let to = (from + left).min(HOUR_SECS);
        out.push(Slice { hour, from, to });
        left -= to - from;
        hour += Duration::hours(1);
        from = 0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 29, h, m, s)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn an_event_is_cut_at_the_hour() {
        let cut = slices(at(9, 50, 0), 1_200);
        assert_eq!(
            cut,
            vec![
                Slice {
                    hour: at(9, 0, 0),
                    from: 3_000,
                    to: 3_600
                },
                Slice {
                    hour: at(10, 0, 0),
                    from: 0,
                    to: 600
                },
            ]
        );
        assert_eq!(cut[1].ended_at(), at(10, 10, 0));
    }

    #[test]
    fn a_second_reported_twice_counts_once() {
        let mut hour = HourCoverage::default();
        assert_eq!(hour.mark_active(0, 600), 600);
        // A second computer reports 05:00–15:00: only the last 5 minutes are new.
        assert_eq!(hour.mark_active(300, 900), 300);
        assert_eq!(
            hour.totals(),
            HourTotals {
                active_secs: 900,
                idle_secs: 0
            }
        );
    }

    #[test]
    fn active_beats_idle_for_the_same_second() {
        let mut hour = HourCoverage::default();
        hour.mark_idle(0, 1_200);
        hour.mark_active(600, 1_800);
        assert_eq!(
            hour.totals(),
            HourTotals {
                active_secs: 1_200,
                idle_secs: 600
            }
        );
    }

    #[test]
    fn bitmaps_round_trip_and_must_be_whole() {
        let mut hour = HourCoverage::default();
        hour.mark_active(7, 9);
        let (active, idle) = hour.clone().into_bits();
        assert_eq!(HourCoverage::from_bits(active, idle), Some(hour));
        assert_eq!(
            HourCoverage::from_bits(vec![0; 3], vec![0; BITMAP_BYTES]),
            None
        );
    }
}
