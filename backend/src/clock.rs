//! The server's clock. Production runs on the system clock; tests start it at a chosen
//! instant (`PULSE_TEST_NOW`) from which it runs on, so a test can be run on any day of
//! the calendar. Everything that asks "what time is it" asks a [`Clock`], never
//! `Utc::now()` directly, so the server, its jobs and the tests agree on "now".

use chrono::{DateTime, TimeDelta, Utc};

/// Wall-clock time, moved by a fixed offset. Cheap to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now and runs on at the system clock's pace.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            offset: at - Utc::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// The current time in whole seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> u64 {
        u64::try_from(self.now().timestamp()).unwrap_or(0)
    }

    /// Whether this is the system clock.
    pub fn is_system(&self) -> bool {
        self.offset.is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_started_at_an_instant_reads_it_and_runs_on() {
        let at = DateTime::parse_from_rfc3339("2028-02-29T23:59:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(at);
        let first = clock.now();
        assert!((first - at).abs() < TimeDelta::seconds(5), "{first}");
        assert!(clock.now() >= first);
        assert!(!clock.is_system());
        assert!(Clock::system().is_system());
    }
}
