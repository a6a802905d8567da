//! Summaries of measured latencies.

use std::time::Duration;

use serde::Serialize;

/// The `p`-th percentile (0–100) of `sorted` by the nearest-rank method: the smallest
/// value that at least `p` % of the values do not exceed. `None` when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)] // n is far below 2^52
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// Milliseconds with microsecond resolution, for reports.
pub fn millis(duration: Option<Duration>) -> Option<f64> {
    duration.map(|d| (d.as_secs_f64() * 1_000_000.0).round() / 1000.0)
}

/// How many latencies there were, their median, 99th percentile and slowest.
#[derive(Debug, Serialize)]
pub struct Latencies {
    pub count: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Latencies {
    pub fn of(mut latencies: Vec<Duration>) -> Self {
        latencies.sort_unstable();
        Self {
            count: latencies.len(),
            p50_ms: millis(percentile(&latencies, 50.0)),
            p99_ms: millis(percentile(&latencies, 99.0)),
            max_ms: millis(latencies.last().copied()),
        }
    }
}

/// `value` to one decimal place.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// `value` to three decimal places.
pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let cases = [(50.0, 50), (99.0, 99), (100.0, 100), (0.0, 1), (99.9, 100)];
        for (p, expected) in cases {
            assert_eq!(
                percentile(&hundred, p),
                Some(Duration::from_millis(expected)),
                "p{p}"
            );
        }
        let small = ms(&[10, 20, 30]);
        assert_eq!(percentile(&small, 50.0), Some(Duration::from_millis(20)));
        assert_eq!(percentile(&small, 99.0), Some(Duration::from_millis(30)));
        assert_eq!(percentile(&ms(&[7]), 50.0), Some(Duration::from_millis(7)));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(millis(Some(Duration::from_micros(12_345))), Some(12.345));
        assert_eq!(millis(None), None);
    }
}
