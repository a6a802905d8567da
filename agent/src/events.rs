//! Samples become events: consecutive samples of the same application and title (and
//! the same idle state) merge into one event with a duration and input counts, as
//! ActivityWatch's heartbeat merge does; an event is cut at the server's limits (an
//! hour, or sooner when the agent flushes) and its counts kept within them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pulse_shared::activity::{ActivityEvent, MAX_EVENT_SECS, MAX_INPUTS_PER_SEC};
use uuid::Uuid;

use crate::capture::Inputs;
use crate::policy::Seen;

/// A longer pause between two samples (a suspended computer, a stopped agent) is not
/// time anyone spent in front of the window: the event ends before it.
pub const MAX_GAP: Duration = Duration::from_secs(10);

/// What the agent saw at one tick.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at: DateTime<Utc>,
    /// The window in front as the policy lets it be recorded; `None`: none in front.
    pub seen: Option<Seen>,
    /// No input for longer than the policy's idle threshold.
    pub idle: bool,
    /// Inputs since the previous sample.
    pub inputs: Inputs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    app: String,
    title: Option<String>,
    idle: bool,
}

#[derive(Debug)]
struct Open {
    key: Key,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
    inputs: Inputs,
    active: chrono::Duration,
}

/// Builds events from samples; see the module's doc.
#[derive(Debug)]
pub struct Builder {
    open: Option<Open>,
    last_at: Option<DateTime<Utc>>,
    /// Inputs of a stretch too short to be an event, given to the next one.
    carried: Inputs,
    /// Where the last event ended in whole seconds (events last whole seconds): the
    /// next one starts there when it follows on, so the fractions are not lost.
    resume_at: Option<DateTime<Utc>>,
    max_secs: u32,
}

impl Builder {
    /// Events last at most `max_secs` (and never more than the server's hour).
    pub fn new(max_secs: u32) -> Self {
        Self {
            open: None,
            last_at: None,
            carried: Inputs::default(),
            resume_at: None,
            max_secs: max_secs.clamp(1, MAX_EVENT_SECS),
        }
    }

    /// Adds a sample, which covers the time since the previous one; answers the events
    /// it ended.
    pub fn push(&mut self, sample: Sample) -> Vec<ActivityEvent> {
        let mut done = Vec::new();
        let since = self.last_at.replace(sample.at);
        let covered = since.filter(|&since| {
            sample.at > since && (sample.at - since).to_std().is_ok_and(|gap| gap <= MAX_GAP)
        });
        let (Some(since), Some(seen)) = (covered, sample.seen) else {
            done.extend(self.close());
            return done;
        };
        let key = Key {
            app: seen.app,
            title: seen.title,
            idle: sample.idle,
        };
        let continues = self
            .open
            .as_ref()
            .is_some_and(|open| open.key == key && open.ended_at == since);
        if !continues {
            done.extend(self.close());
            let started_at = self
                .resume_at
                .take()
                .filter(|&at| at <= since && since - at < chrono::Duration::seconds(1))
                .unwrap_or(since);
            self.open = Some(Open {
                key,
                started_at,
                ended_at: since,
                inputs: std::mem::take(&mut self.carried),
                active: chrono::Duration::zero(),
            });
        }
        if let Some(open) = self.open.as_mut() {
            open.ended_at = sample.at;
            open.inputs.keystrokes = open
                .inputs
                .keystrokes
                .saturating_add(sample.inputs.keystrokes);
            open.inputs.mouse_events = open
                .inputs
                .mouse_events
                .saturating_add(sample.inputs.mouse_events);
            if sample.inputs != Inputs::default() {
                open.active += sample.at - since;
            }
            if open.ended_at - open.started_at
                >= chrono::Duration::seconds(i64::from(self.max_secs))
            {
                done.extend(self.close());
            }
        }
        done
    }

    /// Ends the open event now (at its last sample): before a flush or a stop. The next
    /// sample starts a new one where it ended.
    pub fn close(&mut self) -> Option<ActivityEvent> {
        let open = self.open.take()?;
        let secs = (open.ended_at - open.started_at)
            .num_seconds()
            .min(i64::from(self.max_secs));
        self.resume_at = Some(open.started_at + chrono::Duration::seconds(secs.max(0)));
        let Ok(duration_secs @ 1..) = u32::try_from(secs) else {
            // Under a second in front: not an event; its inputs count for the next one.
            self.carried.keystrokes = self
                .carried
                .keystrokes
                .saturating_add(open.inputs.keystrokes);
            self.carried.mouse_events = self
                .carried
                .mouse_events
                .saturating_add(open.inputs.mouse_events);
            return None;
        };
        let most = duration_secs.saturating_mul(MAX_INPUTS_PER_SEC);
        let active_secs = u32::try_from(open.active.num_seconds().max(0)).unwrap_or(u32::MAX);
        let active_secs = if open.key.idle {
            0
        } else if open.inputs != Inputs::default() {
            active_secs.clamp(1, duration_secs)
        } else {
            0
        };
        Some(ActivityEvent {
            id: Uuid::now_v7(),
            app: open.key.app,
            title: open.key.title,
            url: None,
            started_at: open.started_at,
            duration_secs,
            keystrokes: open.inputs.keystrokes.min(most),
            mouse_events: open.inputs.mouse_events.min(most),
            active_secs,
            idle: open.key.idle,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn sample(secs: i64, app: Option<&str>, idle: bool, keys: u32) -> Sample {
        Sample {
            at: at(secs),
            seen: app.map(|app| Seen {
                app: app.into(),
                title: Some(format!("{app} window")),
                private: false,
            }),
            idle,
            inputs: Inputs {
                keystrokes: keys,
                mouse_events: 0,
            },
        }
    }

    fn run(builder: &mut Builder, samples: Vec<Sample>) -> Vec<ActivityEvent> {
        let mut events: Vec<_> = samples.into_iter().flat_map(|s| builder.push(s)).collect();
        events.extend(builder.close());
        events
    }

    #[test]
    fn events_of_whole_seconds_lose_no_fractions_between_them() {
        // Samples a little under a second apart, each flushed: cut naively, every
        // event would last 0.999 s and none would count.
        let mut builder = Builder::new(1);
        let start = at(0);
        let samples: Vec<_> = (0..=100)
            .map(|n| Sample {
                at: start + chrono::Duration::milliseconds(n * 999),
                ..sample(0, Some("xterm"), false, 1)
            })
            .collect();
        let events = run(&mut builder, samples);
        let total: u32 = events.iter().map(|e| e.duration_secs).sum();
        assert_eq!(total, 99, "99.9 s in whole seconds: {events:?}");
        for pair in events.windows(2) {
            let end = pair[0].started_at + chrono::Duration::seconds(pair[0].duration_secs.into());
            assert_eq!(end, pair[1].started_at, "events follow on without gaps");
        }
    }

    #[test]
    fn same_window_merges_and_a_switch_starts_a_new_event() {
        let mut builder = Builder::new(3600);
        let mut samples: Vec<_> = (0..=10)
            .map(|s| sample(s, Some("xterm"), false, 2))
            .collect();
        samples.extend((11..=15).map(|s| sample(s, Some("firefox"), false, 0)));
        let events = run(&mut builder, samples);
        assert_eq!(events.len(), 2, "{events:?}");
        let (first, second) = (&events[0], &events[1]);
        assert_eq!(
            (first.app.as_str(), first.started_at, first.duration_secs),
            ("xterm", at(0), 10)
        );
        assert_eq!((first.keystrokes, first.active_secs), (20, 10));
        assert_eq!(
            (second.app.as_str(), second.started_at, second.duration_secs),
            ("firefox", at(10), 5)
        );
        assert_eq!((second.keystrokes, second.active_secs), (0, 0));
        for event in &events {
            assert!(event.check(at(20)).is_empty(), "{:?}", event.check(at(20)));
        }
    }

    #[test]
    fn idle_time_is_its_own_event_and_gaps_end_events() {
        let mut builder = Builder::new(3600);
        let mut samples: Vec<_> = (0..=5)
            .map(|s| sample(s, Some("xterm"), false, 1))
            .collect();
        samples.extend((6..=9).map(|s| sample(s, Some("xterm"), true, 0)));
        // The computer slept for a minute.
        samples.extend((70..=72).map(|s| sample(s, Some("xterm"), true, 0)));
        let events = run(&mut builder, samples);
        let shape: Vec<_> = events
            .iter()
            .map(|e| (e.started_at, e.duration_secs, e.idle))
            .collect();
        assert_eq!(
            shape,
            vec![(at(0), 5, false), (at(5), 4, true), (at(70), 2, true)]
        );
        assert_eq!(events[1].active_secs, 0);
    }

    #[test]
    fn events_are_cut_at_the_limit_and_inputs_kept_within_it() {
        let mut builder = Builder::new(60);
        let samples = (0..=150)
            .map(|s| sample(s, Some("game"), false, 500))
            .collect();
        let events = run(&mut builder, samples);
        let shape: Vec<_> = events
            .iter()
            .map(|e| (e.started_at, e.duration_secs))
            .collect();
        assert_eq!(shape, vec![(at(0), 60), (at(60), 60), (at(120), 30)]);
        assert!(
            events
                .iter()
                .all(|e| e.keystrokes == e.duration_secs * MAX_INPUTS_PER_SEC)
        );
        assert!(events.iter().all(|e| e.check(at(200)).is_empty()));
    }

    #[test]
    fn no_window_in_front_is_no_event() {
        let mut builder = Builder::new(3600);
        let mut samples: Vec<_> = (0..=3)
            .map(|s| sample(s, Some("xterm"), false, 0))
            .collect();
        samples.push(sample(4, None, false, 0));
        samples.extend((5..=8).map(|s| sample(s, Some("xterm"), false, 0)));
        let events = run(&mut builder, samples);
        let shape: Vec<_> = events
            .iter()
            .map(|e| (e.started_at, e.duration_secs))
            .collect();
        // Each sample covers the second before it: [3, 4) had no window.
        assert_eq!(shape, vec![(at(0), 3), (at(4), 4)]);
    }
}
