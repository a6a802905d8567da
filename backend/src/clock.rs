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
        assert!((Clock::system().now() - Utc::now()).abs() < TimeDelta::seconds(5));
    }

    /// Tidy check: the server's code asks its [`Clock`]; only this file reads the system's.
    #[test]
    fn nothing_else_reads_the_system_clock() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|ext| ext == "rs")
                    && !path.ends_with("clock.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    if ["Utc::now()", "Local::now()", "SystemTime::now()"]
                        .iter()
                        .any(|call| text.contains(call))
                    {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.is_empty(), "read the time from a Clock in {found:?}");
    }
}
