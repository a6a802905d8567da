//! Made-up but plausible activity: one [`Workday`] per simulated person, producing
//! events that follow each other without gaps (so the server builds work sessions from
//! them), in the applications people really spend their day in, with input counts
//! that meet [`ActivityEvent::check`].

use chrono::{DateTime, Duration, Utc};
use pulse_shared::activity::{ActivityEvent, MAX_EVENT_SECS};
use uuid::Uuid;

/// What kind of window an application shows, which decides its titles and URLs.
#[derive(Clone, Copy)]
enum Kind {
    Editor,
    Browser,
    Chat,
    Terminal,
    Mail,
    Sheet,
    Meeting,
    Files,
}

struct App {
    name: &'static str,
    kind: Kind,
    /// How often it is picked, relative to the others.
    weight: u32,
    /// Typical key presses and mouse events per active second.
    keys_per_sec: f64,
    mouse_per_sec: f64,
}

const APPS: &[App] = &[
    App {
        name: "code",
        kind: Kind::Editor,
        weight: 30,
        keys_per_sec: 3.0,
        mouse_per_sec: 0.8,
    },
    App {
        name: "firefox",
        kind: Kind::Browser,
        weight: 25,
        keys_per_sec: 0.6,
        mouse_per_sec: 2.5,
    },
    App {
        name: "slack",
        kind: Kind::Chat,
        weight: 15,
        keys_per_sec: 2.2,
        mouse_per_sec: 0.7,
    },
    App {
        name: "gnome-terminal",
        kind: Kind::Terminal,
        weight: 12,
        keys_per_sec: 2.5,
        mouse_per_sec: 0.2,
    },
    App {
        name: "thunderbird",
        kind: Kind::Mail,
        weight: 6,
        keys_per_sec: 1.5,
        mouse_per_sec: 1.2,
    },
    App {
        name: "libreoffice-calc",
        kind: Kind::Sheet,
        weight: 5,
        keys_per_sec: 1.2,
        mouse_per_sec: 1.5,
    },
    App {
        name: "zoom",
        kind: Kind::Meeting,
        weight: 5,
        keys_per_sec: 0.05,
        mouse_per_sec: 0.2,
    },
    App {
        name: "nautilus",
        kind: Kind::Files,
        weight: 2,
        keys_per_sec: 0.2,
        mouse_per_sec: 1.5,
    },
];

const PROJECTS: &[&str] = &[
    "billing",
    "pulse",
    "website",
    "data-pipeline",
    "mobile-app",
    "infra",
];
const FILES: &[&str] = &[
    "main.rs",
    "lib.rs",
    "api.rs",
    "README.md",
    "Cargo.toml",
    "index.ts",
    "styles.css",
    "schema.sql",
    "handlers.go",
    "test_ingest.py",
];
const CHANNELS: &[&str] = &[
    "general",
    "engineering",
    "support",
    "random",
    "releases",
    "design",
];
const SEARCHES: &[&str] = &[
    "postgres+unnest+insert",
    "rust+tokio+select",
    "css+grid+auto-fit",
    "quarterly+report+template",
    "http+retry-after",
    "docker+compose+healthcheck",
];

/// Chance that an event is idle time (no input past the idle threshold).
const IDLE_CHANCE: f64 = 0.04;
/// Chance that the next event stays in the same application.
const STAY_CHANCE: f64 = 0.55;
/// Shortest and longest event when replaying a spool (no span to fill).
const REPLAY_SECS: (u32, u32) = (5, 120);

/// One simulated person's day: who they are, what they have open, and where their
/// timeline has got to.
pub struct Workday {
    rng: fastrand::Rng,
    user: String,
    host: String,
    project: &'static str,
    app: usize,
    /// Whether the last event was idle time.
    idle: bool,
    /// Where the next event starts: the end of the last one.
    cursor: DateTime<Utc>,
}

impl Workday {
    /// The day of person `n`, whose first event starts at `start`. The same `seed` and
    /// `n` make the same day (ids apart).
    pub fn new(n: usize, seed: u64, start: DateTime<Utc>) -> Self {
        let mut rng =
            fastrand::Rng::with_seed(seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let project = PROJECTS[rng.usize(..PROJECTS.len())];
        let app = pick_app(&mut rng);
        Self {
            rng,
            user: format!("sim{n}"),
            host: format!("sim-{n:05}"),
            project,
            app,
            idle: false,
            cursor: start,
        }
    }

    /// Where the next event starts.
    pub fn cursor(&self) -> DateTime<Utc> {
        self.cursor
    }

    /// Moves the timeline to `at` (a gap or an overlap in the person's day).
    pub fn jump_to(&mut self, at: DateTime<Utc>) {
        self.cursor = at;
    }

    /// About `count` events that exactly fill `[cursor, until)`: what a live agent
    /// recorded since its last batch. Fewer when the span has fewer seconds than
    /// `count`, more when `count` events would each exceed an hour; none when `until`
    /// is not after the cursor.
    pub fn fill_until(&mut self, until: DateTime<Utc>, count: usize) -> Vec<ActivityEvent> {
        let span = u32::try_from((until - self.cursor).num_seconds().max(0)).unwrap_or(u32::MAX);
        split_span(&mut self.rng, span, count)
            .into_iter()
            .map(|secs| self.next_event(secs))
            .collect()
    }

    /// `count` events of realistic lengths from the cursor on: what an agent that was
    /// offline replays from its spool.
    pub fn replay(&mut self, count: usize) -> Vec<ActivityEvent> {
        (0..count)
            .map(|_| {
                let secs = self.rng.u32(REPLAY_SECS.0..=REPLAY_SECS.1);
                self.next_event(secs)
            })
            .collect()
    }

    /// Whether the last event was idle time: what a heartbeat reports.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    fn next_event(&mut self, duration_secs: u32) -> ActivityEvent {
        if self.rng.f64() >= STAY_CHANCE {
            self.app = pick_app(&mut self.rng);
        }
        let app = &APPS[self.app];
        let started_at = self.cursor;
        self.cursor = started_at + Duration::seconds(i64::from(duration_secs));
        let (title, url) = self.window(app.kind);
        self.idle = self.rng.f64() < IDLE_CHANCE;
        if self.idle {
            return ActivityEvent {
                id: Uuid::now_v7(),
                app: app.name.to_owned(),
                title: Some(title),
                url,
                started_at,
                duration_secs,
                keystrokes: 0,
                mouse_events: 0,
                active_secs: 0,
                idle: true,
            };
        }
        let active_secs = scale(duration_secs, 0.4 + 0.6 * self.rng.f64()).clamp(1, duration_secs);
        let most = duration_secs.saturating_mul(pulse_shared::activity::MAX_INPUTS_PER_SEC);
        let keystrokes = scale(active_secs, app.keys_per_sec * 1.5 * self.rng.f64()).min(most);
        let mouse_events = scale(active_secs, app.mouse_per_sec * 1.5 * self.rng.f64()).min(most);
        ActivityEvent {
            id: Uuid::now_v7(),
            app: app.name.to_owned(),
            title: Some(title),
            url,
            started_at,
            duration_secs,
            keystrokes,
            mouse_events,
            active_secs,
            idle: false,
        }
    }

    /// A window title, and a URL for browsers.
    fn window(&mut self, kind: Kind) -> (String, Option<String>) {
        let rng = &mut self.rng;
        let project = self.project;
        let number = rng.u32(100..2000);
        match kind {
            Kind::Editor => (
                format!(
                    "{} — {project} — Visual Studio Code",
                    FILES[rng.usize(..FILES.len())]
                ),
                None,
            ),
            Kind::Browser => {
                let (title, url) = match rng.u8(..5) {
                    0 => (
                        format!("Pull request #{number} · acme/{project}"),
                        format!("https://github.com/acme/{project}/pull/{number}"),
                    ),
                    1 => {
                        let search = SEARCHES[rng.usize(..SEARCHES.len())];
                        (
                            format!("{} - Google Search", search.replace('+', " ")),
                            format!("https://www.google.com/search?q={search}"),
                        )
                    }
                    2 => (
                        format!("[OPS-{number}] Flaky deploy of {project} - Jira"),
                        format!("https://acme.atlassian.net/browse/OPS-{number}"),
                    ),
                    3 => (
                        "tokio - Rust".to_owned(),
                        "https://docs.rs/tokio/latest/tokio/".to_owned(),
                    ),
                    _ => (
                        "Inbox - Gmail".to_owned(),
                        "https://mail.google.com/mail/u/0/#inbox".to_owned(),
                    ),
                };
                (format!("{title} — Mozilla Firefox"), Some(url))
            }
            Kind::Chat => (
                format!("Slack | #{} | Acme", CHANNELS[rng.usize(..CHANNELS.len())]),
                None,
            ),
            Kind::Terminal => (
                format!("{}@{}: ~/src/{project}", self.user, self.host),
                None,
            ),
            Kind::Mail => (
                format!("Inbox - {}@acme.test - Mozilla Thunderbird", self.user),
                None,
            ),
            Kind::Sheet => (
                format!("Q{} budget.ods - LibreOffice Calc", rng.u8(1..=4)),
                None,
            ),
            Kind::Meeting => ("Zoom Meeting".to_owned(), None),
            Kind::Files => (format!("{project} - Files"), None),
        }
    }
}

fn pick_app(rng: &mut fastrand::Rng) -> usize {
    let total: u32 = APPS.iter().map(|app| app.weight).sum();
    let mut ticket = rng.u32(..total);
    for (index, app) in APPS.iter().enumerate() {
        if ticket < app.weight {
            return index;
        }
        ticket -= app.weight;
    }
    0
}

/// `value × factor`, rounded, as a count.
fn scale(value: u32, factor: f64) -> u32 {
    let scaled = (f64::from(value) * factor).round();
    // Bounded by the caller's clamp; the cast saturates anyway.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let count = scaled.max(0.0) as u32;
    count
}

/// Cuts `span` seconds into about `count` random whole-second lengths that add up to
/// `span`, each between 1 and [`MAX_EVENT_SECS`]: fewer parts when `span < count`, more
/// when `count` parts would be longer than allowed.
pub fn split_span(rng: &mut fastrand::Rng, span: u32, count: usize) -> Vec<u32> {
    let most = usize::try_from(span).unwrap_or(usize::MAX);
    let least = usize::try_from(span.div_ceil(MAX_EVENT_SECS)).unwrap_or(usize::MAX);
    let parts = count.min(most).max(least);
    if parts == 0 {
        return Vec::new();
    }
    // Each part gets one second, then the rest is dealt out by random weights.
    let weights: Vec<f64> = (0..parts).map(|_| 0.2 + rng.f64()).collect();
    let total: f64 = weights.iter().sum();
    let spare = span - u32::try_from(parts).unwrap_or(u32::MAX);
    let mut lengths: Vec<u32> = weights
        .iter()
        .map(|w| 1 + scale(spare, w / total).min(MAX_EVENT_SECS - 1))
        .collect();
    // Rounding leaves the sum a few seconds off: settle the difference part by part.
    let mut sum: u32 = lengths.iter().sum();
    let mut index = 0;
    while sum != span {
        let length = &mut lengths[index % parts];
        if sum < span && *length < MAX_EVENT_SECS {
            *length += 1;
            sum += 1;
        } else if sum > span && *length > 1 {
            *length -= 1;
            sum -= 1;
        }
        index += 1;
    }
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed instant: what is checked is relative to it, never the calendar.
    fn instant() -> DateTime<Utc> {
        "2028-02-29T23:59:30Z".parse().unwrap()
    }

    #[test]
    fn live_batches_fill_their_span_without_gaps_and_pass_the_servers_checks() {
        let now = instant();
        for n in 0..200 {
            let start = now - Duration::seconds(60);
            let mut day = Workday::new(n, 7, start);
            let events = day.fill_until(now, 20);
            assert_eq!(events.len(), 20);
            assert_eq!(events[0].started_at, start);
            for pair in events.windows(2) {
                assert_eq!(pair[0].ended_at(), pair[1].started_at, "continuous");
            }
            assert_eq!(day.cursor(), now);
            for event in &events {
                assert_eq!(event.check(now), vec![], "{event:?}");
                assert!(event.idle || event.active_secs >= 1);
            }
        }
    }

    #[test]
    fn replayed_events_are_valid_and_ids_unique() {
        let now = instant();
        let mut day = Workday::new(3, 1, now - Duration::days(29));
        let mut ids = std::collections::HashSet::new();
        let mut idle = 0;
        let mut apps = std::collections::HashSet::new();
        for _ in 0..100 {
            for event in day.replay(20) {
                assert_eq!(event.check(now), vec![], "{event:?}");
                assert!(ids.insert(event.id));
                idle += usize::from(event.idle);
                apps.insert(event.app.clone());
                if event.app == "firefox" {
                    assert!(
                        event
                            .url
                            .as_deref()
                            .is_some_and(|u| u.starts_with("https://"))
                    );
                }
            }
        }
        assert!(
            (20..200).contains(&idle),
            "about 4 % idle, got {idle} of 2000"
        );
        assert!(apps.len() >= 6, "a day uses many apps: {apps:?}");
        assert!(day.cursor() < now);
    }

    #[test]
    fn spans_split_into_whole_seconds_that_add_up() {
        let mut rng = fastrand::Rng::with_seed(5);
        let cases = [
            (60, 20, 20),
            (61, 20, 20),
            (3, 20, 3),
            (0, 20, 0),
            (20, 20, 20),
            (7200, 1, 2),
            (10_000, 2, 3),
        ];
        for (span, count, parts) in cases {
            for _ in 0..50 {
                let lengths = split_span(&mut rng, span, count);
                assert_eq!(lengths.len(), parts, "{span} in {count}");
                assert_eq!(lengths.iter().sum::<u32>(), span, "{span} in {count}");
                assert!(lengths.iter().all(|&l| (1..=MAX_EVENT_SECS).contains(&l)));
            }
        }
    }

    #[test]
    fn a_span_that_is_not_ahead_gives_nothing() {
        let now = instant();
        let mut day = Workday::new(1, 1, now);
        assert!(day.fill_until(now - Duration::seconds(5), 20).is_empty());
        assert_eq!(day.cursor(), now);
    }
}
