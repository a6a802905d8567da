//! When to try again after the server was busy or could not be reached: exponential
//! backoff with jitter, never sooner than the server's `Retry-After`.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The pauses of one call's retries.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// Pauses start around `base` and double per failure up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max: max.max(base),
            failures: 0,
        }
    }

    /// The pause before the next attempt. Half of the exponential step is fixed and half
    /// random ("equal jitter"), so agents refused together do not return together; a
    /// `Retry-After` from the server is a floor, spread by up to a quarter of itself
    /// (at most 5 s) for the same reason.
    pub fn next(&mut self, retry_after: Option<Duration>, rng: &mut fastrand::Rng) -> Duration {
        let step = self
            .base
            .saturating_mul(1 << self.failures.min(20))
            .min(self.max);
        self.failures = self.failures.saturating_add(1);
        let jittered = step / 2 + step.mul_f64(rng.f64() / 2.0);
        match retry_after {
            Some(floor) => {
                let spread = (floor / 4).min(Duration::from_secs(5));
                jittered.max(floor + spread.mul_f64(rng.f64()))
            }
            None => jittered,
        }
    }
}

/// A `Retry-After` value: delay seconds, or an HTTP date (read against `now`; a date in
/// the past means now).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// `interval` ± 10 %.
pub fn jittered(interval: Duration, rng: &mut fastrand::Rng) -> Duration {
    interval.mul_f64(0.9 + 0.2 * rng.f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn intervals_vary_by_a_tenth() {
        let mut rng = fastrand::Rng::with_seed(9);
        let base = Duration::from_secs(30);
        let pauses: Vec<Duration> = (0..1000).map(|_| jittered(base, &mut rng)).collect();
        assert!(
            pauses
                .iter()
                .all(|p| *p >= Duration::from_secs(27) && *p <= Duration::from_secs(33))
        );
        let mean = pauses.iter().sum::<Duration>() / 1000;
        assert!(mean > Duration::from_millis(29_500) && mean < Duration::from_millis(30_500));
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pauses_double_with_jitter_up_to_the_ceiling() {
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..100 {
            let mut backoff = Backoff::new(MS * 500, Duration::from_secs(8));
            let expected_steps = [500, 1000, 2000, 4000, 8000, 8000, 8000];
            for step in expected_steps {
                let pause = backoff.next(None, &mut rng);
                assert!(
                    pause >= MS * step / 2 && pause <= MS * step,
                    "{pause:?} for {step}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_agents_refused_together() {
        let mut rng = fastrand::Rng::with_seed(2);
        let pauses: std::collections::HashSet<Duration> = (0..50)
            .map(|_| Backoff::new(MS * 500, MS * 500).next(None, &mut rng))
            .collect();
        assert!(pauses.len() > 40);
    }

    #[test]
    fn retry_after_is_a_floor() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..100 {
            let mut backoff = Backoff::new(MS * 100, Duration::from_secs(30));
            let pause = backoff.next(Some(Duration::from_secs(4)), &mut rng);
            assert!(
                pause >= Duration::from_secs(4) && pause <= Duration::from_secs(5),
                "{pause:?}"
            );
            // A long Retry-After is spread by at most 5 s.
            let pause = backoff.next(Some(Duration::from_secs(60)), &mut rng);
            assert!(pause >= Duration::from_secs(60) && pause <= Duration::from_secs(65));
        }
    }

    #[test]
    fn reads_both_forms_of_retry_after() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
