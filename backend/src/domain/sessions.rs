//! Work sessions over values: how reported events join into sessions, how a new stretch
//! merges with the sessions it touches, and what an event keeps under its policy.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pulse_shared::activity::{ActivityEvent, AppUsage, TOP_APPS};
use pulse_shared::policies::{self, PolicySettings};

/// The app name stored when the policy does not track applications.
pub const UNTRACKED_APP: &str = "Untracked";
/// The app name stored for an excluded application or domain.
pub const PRIVATE_APP: &str = "Private";

/// A stretch of activity with its totals: a session, or a run of new events that will
/// become one or join one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub active_secs: i64,
    pub idle_secs: i64,
    pub keystrokes: i64,
    pub mouse_events: i64,
    /// Active seconds per application.
    pub app_secs: BTreeMap<String, i64>,
}

impl Span {
    /// The span of one event: idle events count as idle time, the rest as active time
    /// in their application.
    pub fn of(event: &ActivityEvent) -> Self {
        let secs = i64::from(event.duration_secs);
        let mut app_secs = BTreeMap::new();
        if !event.idle {
            app_secs.insert(event.app.clone(), secs);
        }
        Self {
            started_at: event.started_at,
            ended_at: event.ended_at(),
            active_secs: if event.idle { 0 } else { secs },
            idle_secs: if event.idle { secs } else { 0 },
            keystrokes: i64::from(event.keystrokes),
            mouse_events: i64::from(event.mouse_events),
            app_secs,
        }
    }

    /// Whether `other` belongs to the same session: the gap between them (if any) is
    /// shorter than `gap`.
    pub fn touches(&self, other: &Span, gap: Duration) -> bool {
        other.started_at < self.ended_at + gap && self.started_at < other.ended_at + gap
    }

    /// Takes `other` in: the union of the two stretches, their totals added, but never
    /// more active and idle time than the stretch lasts (two computers of one person
    /// can report the same minutes; one computer cannot, see [`without_overlap`]).
    pub fn absorb(&mut self, other: Span) {
        self.started_at = self.started_at.min(other.started_at);
        self.ended_at = self.ended_at.max(other.ended_at);
        self.active_secs += other.active_secs;
        self.idle_secs += other.idle_secs;
        self.keystrokes += other.keystrokes;
        self.mouse_events += other.mouse_events;
        for (app, secs) in other.app_secs {
            *self.app_secs.entry(app).or_default() += secs;
        }
        // To the nearest second, as event times are microseconds and durations seconds.
        let wall = ((self.ended_at - self.started_at).num_milliseconds() + 500).max(0) / 1000;
        self.active_secs = self.active_secs.min(wall);
        self.idle_secs = self.idle_secs.min(wall - self.active_secs);
    }

    /// The applications used longest, longest first (ties by name).
    pub fn top_apps(&self) -> Vec<AppUsage> {
        top_apps(&self.app_secs)
    }
}

/// The `TOP_APPS` longest-used applications of a seconds-per-app map.
pub fn top_apps(app_secs: &BTreeMap<String, i64>) -> Vec<AppUsage> {
    let mut apps: Vec<AppUsage> = app_secs
        .iter()
        .filter(|(_, secs)| **secs > 0)
        .map(|(app, secs)| AppUsage {
            app: app.clone(),
            secs: *secs,
        })
        .collect();
    apps.sort_by(|a, b| b.secs.cmp(&a.secs).then_with(|| a.app.cmp(&b.app)));
    apps.truncate(TOP_APPS);
    apps
}

/// The events joined into runs, in time order: an event starting less than `gap` after
/// the run so far ends joins it.
pub fn runs(events: &[ActivityEvent], gap: Duration) -> Vec<Span> {
    let mut spans: Vec<Span> = events.iter().map(Span::of).collect();
    spans.sort_by_key(|span| span.started_at);
    let mut runs: Vec<Span> = Vec::new();
    for span in spans {
        match runs.last_mut() {
            Some(run) if run.touches(&span, gap) => run.absorb(span),
            _ => runs.push(span),
        }
    }
    runs
}

/// A stretch of time `[start, end)` one computer has reported.
pub type Stretch = (DateTime<Utc>, DateTime<Utc>);

/// What [`without_overlap`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trimmed {
    /// The events to store, in time order.
    pub kept: Vec<ActivityEvent>,
    /// Kept events that were shortened.
    pub shortened: usize,
    /// Events dropped: the time they cover was reported already.
    pub dropped: usize,
}

/// One computer's `events` made to cover no time twice: not each other's, and not the
/// `reported` stretches of its events stored before. An event that overlaps keeps its
/// longest uncovered stretch, with its input counts scaled to it; one with less than
/// a second uncovered is dropped. (One computer cannot be busy twice at once: without
/// this, a faulty or forged agent adds up more active time than the day has.)
pub fn without_overlap(mut events: Vec<ActivityEvent>, mut reported: Vec<Stretch>) -> Trimmed {
    events.sort_by_key(|event| (event.started_at, event.id));
    reported.sort();
    let mut trimmed = Trimmed::default();
    for mut event in events {
        let (start, end) = (event.started_at, event.ended_at());
        let Some(free) = longest_free(start, end, &reported) else {
            trimmed.dropped += 1;
            continue;
        };
        // Less than a second covered twice is rounding (stored times are microseconds).
        if (end - start) - (free.1 - free.0) >= Duration::seconds(1) {
            shorten(&mut event, free);
            trimmed.shortened += 1;
        }
        let stretch = (event.started_at, event.ended_at());
        let at = reported.partition_point(|other| *other < stretch);
        reported.insert(at, stretch);
        trimmed.kept.push(event);
    }
    trimmed
}

/// The longest part of `[start, end)` outside every sorted stretch of `taken`, if it
/// lasts a second or more.
fn longest_free(start: DateTime<Utc>, end: DateTime<Utc>, taken: &[Stretch]) -> Option<Stretch> {
    let mut best: Option<Stretch> = None;
    let mut consider = |free: Stretch| {
        let longer = best.is_none_or(|best| free.1 - free.0 > best.1 - best.0);
        if free.1 - free.0 >= Duration::seconds(1) && longer {
            best = Some(free);
        }
    };
    let mut cursor = start;
    for &(from, to) in taken.iter().filter(|(from, to)| *from < end && *to > start) {
        if from > cursor {
            consider((cursor, from.min(end)));
        }
        cursor = cursor.max(to);
        if cursor >= end {
            break;
        }
    }
    if cursor < end {
        consider((cursor, end));
    }
    best
}

/// Narrows `event` to `free`, a part of it, scaling its counts to the time kept.
fn shorten(event: &mut ActivityEvent, free: Stretch) {
    // To the nearest second: stored times are rounded to microseconds, so a boundary
    // read back may sit a hair before the one sent.
    let millis = (free.1 - free.0).num_milliseconds();
    let kept = u32::try_from((millis + 500) / 1000)
        .unwrap_or(event.duration_secs)
        .min(event.duration_secs);
    let scale = |count: u32| {
        let scaled = u64::from(count) * u64::from(kept) / u64::from(event.duration_secs.max(1));
        u32::try_from(scaled).unwrap_or(count)
    };
    event.keystrokes = scale(event.keystrokes);
    event.mouse_events = scale(event.mouse_events);
    event.active_secs = scale(event.active_secs).min(kept);
    event.started_at = free.0;
    event.duration_secs = kept;
}

/// A session after folding: `id` is `None` for one that is new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folded<Id> {
    pub id: Option<Id>,
    pub span: Span,
}

/// Folds new `runs` of one employee into their `sessions` that lie near them: a run
/// absorbs every session within `gap` of it (the earliest keeps its id), and again
/// while the grown session reaches further ones. Answers the sessions to write (new or
/// changed, in time order) and the ids of those absorbed, to delete.
pub fn fold<Id: Copy>(
    sessions: Vec<(Id, Span)>,
    runs: Vec<Span>,
    gap: Duration,
) -> (Vec<Folded<Id>>, Vec<Id>) {
    let mut current: Vec<(Folded<Id>, bool)> = sessions
        .into_iter()
        .map(|(id, span)| (Folded { id: Some(id), span }, false))
        .collect();
    let mut absorbed = Vec::new();
    for run in runs {
        let mut merged = Folded {
            id: None,
            span: run,
        };
        while let Some(index) = current
            .iter()
            .position(|(session, _)| session.span.touches(&merged.span, gap))
        {
            let (session, _) = current.swap_remove(index);
            let keep_theirs = match merged.id {
                None => true,
                Some(_) => session.span.started_at < merged.span.started_at,
            };
            let (kept_id, other_id) = if keep_theirs {
                (session.id, merged.id)
            } else {
                (merged.id, session.id)
            };
            absorbed.extend(other_id);
            merged.id = kept_id;
            merged.span.absorb(session.span);
        }
        current.push((merged, true));
    }
    let mut written: Vec<_> = current
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(session, _)| session)
        .collect();
    written.sort_by_key(|session| session.span.started_at);
    (written, absorbed)
}

/// What of `event` may be stored under `policy`: titles and URLs only where tracked,
/// the application's name only where tracked, and nothing that names an excluded
/// application or domain.
pub fn redact(mut event: ActivityEvent, policy: &PolicySettings) -> ActivityEvent {
    let excluded_app = policy
        .excluded_apps
        .iter()
        .any(|app| app.eq_ignore_ascii_case(event.app.trim()));
    let excluded_domain = event
        .url
        .as_deref()
        .and_then(domain_of)
        .is_some_and(|domain| {
            policy
                .excluded_domains
                .iter()
                .any(|excluded| policies::domain_excluded(&domain, excluded))
        });
    if excluded_app || excluded_domain {
        event.app = PRIVATE_APP.to_owned();
        event.title = None;
        event.url = None;
        return event;
    }
    if !policy.track_apps {
        event.app = UNTRACKED_APP.to_owned();
    }
    if !policy.track_titles {
        event.title = None;
    }
    if !policy.track_urls {
        event.url = None;
    }
    event
}

/// The host of a URL (`https://mail.example.com/inbox` → `mail.example.com`) or of a
/// bare domain, lowercased, without `www.` or a port.
pub fn domain_of(url: &str) -> Option<String> {
    let rest = url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next()?
    } else {
        host.split(':').next()?
    };
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").map(str::to_owned).unwrap_or(host);
    (!host.is_empty() && host.chars().count() <= 253).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default()
            + Duration::minutes(minute)
    }

    fn event(app: &str, minute: i64, secs: u32, idle: bool) -> ActivityEvent {
        ActivityEvent {
            id: Uuid::new_v4(),
            app: app.into(),
            title: Some("title".into()),
            url: Some("https://mail.example.com/inbox".into()),
            started_at: at(minute),
            duration_secs: secs,
            keystrokes: 10,
            mouse_events: 5,
            active_secs: if idle { 0 } else { secs },
            idle,
        }
    }

    #[test]
    fn events_join_while_the_gap_is_under_the_threshold() {
        let gap = Duration::minutes(5);
        let events = [
            event("code", 10, 60, false),    // 10:00–11:00
            event("slack", 0, 120, false),   // 0:00–2:00, sent out of order
            event("code", 2, 60, true),      // 2:00–3:00 idle
            event("code", 15, 60, false),    // 4 min after 11:00: joins
            event("firefox", 21, 60, false), // 5 min after 16:00: a new session
        ];
        let runs = runs(&events, gap);
        assert_eq!(runs.len(), 3, "{runs:#?}");
        assert_eq!((runs[0].started_at, runs[0].ended_at), (at(0), at(3)));
        assert_eq!((runs[0].active_secs, runs[0].idle_secs), (120, 60));
        assert_eq!((runs[1].started_at, runs[1].ended_at), (at(10), at(16)));
        assert_eq!(runs[1].app_secs.get("code"), Some(&120));
        assert_eq!(runs[2].started_at, at(21));
        assert_eq!(runs[0].keystrokes, 20);
    }

    #[test]
    fn one_computer_covers_no_time_twice() {
        // Stored before: 0:00–2:00.
        let reported = vec![(at(0), at(2))];
        let mut inside = event("code", 5, 600, false); // 5:00–15:00
        inside.keystrokes = 600;
        let events = vec![
            event("slack", 1, 120, false), // 1:00–3:00: keeps 2:00–3:00
            inside.clone(),
            event("mail", 7, 120, false), // 7:00–9:00, inside the one above: dropped
            event("code", 0, 60, false),  // 0:00–1:00, stored already: dropped
            event("term", 14, 300, false), // 14:00–19:00: keeps 15:00–19:00
        ];
        let trimmed = without_overlap(events, reported);
        assert_eq!((trimmed.shortened, trimmed.dropped), (2, 2));
        let kept: Vec<_> = trimmed
            .kept
            .iter()
            .map(|e| (e.app.as_str(), e.started_at, e.ended_at()))
            .collect();
        assert_eq!(
            kept,
            [
                ("slack", at(2), at(3)),
                ("code", at(5), at(15)),
                ("term", at(15), at(19)),
            ]
        );
        let slack = &trimmed.kept[0];
        assert_eq!(
            (slack.active_secs, slack.keystrokes, slack.mouse_events),
            (60, 5, 2)
        );
        assert_eq!(trimmed.kept[1].keystrokes, 600, "untouched");
        // Active time now fits the wall time.
        let total: u32 = trimmed.kept.iter().map(|e| e.active_secs).sum();
        assert_eq!(total, 60 + 600 + 240);
    }

    #[test]
    fn an_event_with_time_stored_inside_it_keeps_its_longest_free_part() {
        let reported = vec![(at(3), at(4))];
        let trimmed = without_overlap(vec![event("code", 0, 600, false)], reported);
        assert_eq!(trimmed.shortened, 1);
        let kept = &trimmed.kept[0];
        assert_eq!((kept.started_at, kept.ended_at()), (at(4), at(10)));
        assert_eq!(kept.active_secs, 360);
    }

    #[test]
    fn two_computers_never_make_a_session_longer_than_it_lasts() {
        let gap = Duration::minutes(5);
        // The same hour from two computers of one person.
        let events = [event("code", 0, 3600, false), event("mail", 0, 3600, false)];
        let runs = runs(&events, gap);
        assert_eq!(runs.len(), 1);
        assert_eq!((runs[0].active_secs, runs[0].idle_secs), (3600, 0));
    }

    #[test]
    fn a_run_bridging_two_sessions_merges_them() {
        let gap = Duration::minutes(5);
        let mut morning = Span::of(&event("code", 0, 600, false));
        let afternoon = Span::of(&event("slack", 20, 600, false));
        let bridge = Span::of(&event("firefox", 13, 240, false));
        assert!(!morning.touches(&afternoon, gap));
        assert!(morning.touches(&bridge, gap) && afternoon.touches(&bridge, gap));
        morning.absorb(bridge);
        morning.absorb(afternoon);
        assert_eq!((morning.started_at, morning.ended_at), (at(0), at(30)));
        assert_eq!(morning.active_secs, 1440);
        let top: Vec<_> = morning.top_apps().into_iter().map(|a| a.app).collect();
        assert_eq!(top, ["code", "slack", "firefox"]);
    }

    #[test]
    fn folding_joins_runs_with_the_sessions_they_reach() {
        let gap = Duration::minutes(5);
        let morning = Span::of(&event("code", 0, 600, false)); // 0:00–0:10
        let noon = Span::of(&event("slack", 20, 600, false)); // 0:20–0:30
        let evening = Span::of(&event("code", 120, 600, false)); // 2:00–2:10
        let sessions = vec![(1, morning), (2, noon), (3, evening)];
        // One run bridging morning and noon, one far away, one next to the evening.
        let runs = vec![
            Span::of(&event("firefox", 13, 240, false)), // 0:13–0:17
            Span::of(&event("zoom", 300, 60, false)),    // 5:00–5:01
            Span::of(&event("code", 132, 60, false)),    // 2:12–2:13
        ];
        let (written, absorbed) = fold(sessions, runs, gap);
        assert_eq!(
            absorbed,
            vec![2],
            "noon joined the morning, which keeps its id"
        );
        let ids: Vec<_> = written.iter().map(|session| session.id).collect();
        assert_eq!(ids, [Some(1), Some(3), None]);
        assert_eq!(written[0].span.ended_at, at(30));
        assert_eq!(written[0].span.active_secs, 600 + 240 + 600);
        assert_eq!(written[1].span.ended_at, at(133));
        assert_eq!(written[2].span.started_at, at(300));
        // Untouched sessions are not written again.
        let (written, absorbed) = fold(
            vec![(9, Span::of(&event("code", 0, 60, false)))],
            vec![],
            gap,
        );
        assert!(written.is_empty() && absorbed.is_empty());
    }

    #[test]
    fn the_policy_decides_what_an_event_keeps() {
        let mut policy = PolicySettings {
            track_titles: false,
            track_urls: true,
            ..PolicySettings::default()
        };
        let kept = redact(event("code", 0, 60, false), &policy);
        assert_eq!((kept.app.as_str(), kept.title), ("code", None));
        assert!(kept.url.is_some());

        policy.excluded_domains = vec!["example.com".into()];
        let private = redact(event("firefox", 0, 60, false), &policy);
        assert_eq!(private.app, PRIVATE_APP);
        assert_eq!((private.title, private.url), (None, None));

        policy.excluded_domains = vec![];
        policy.excluded_apps = vec!["KeePassXC".into()];
        assert_eq!(
            redact(event("keepassxc", 0, 60, false), &policy).app,
            PRIVATE_APP
        );

        policy.excluded_apps = vec![];
        policy.track_apps = false;
        policy.track_urls = false;
        let bare = redact(event("code", 0, 60, false), &policy);
        assert_eq!((bare.app.as_str(), bare.url), (UNTRACKED_APP, None));
    }

    #[test]
    fn domains_are_read_from_urls_and_bare_names() {
        assert_eq!(
            domain_of("https://u:p@Mail.Example.com:8443/x?y").as_deref(),
            Some("mail.example.com")
        );
        assert_eq!(domain_of("example.org").as_deref(), Some("example.org"));
        assert!(policies::domain_excluded(
            "mail.example.com",
            "*.example.com"
        ));
        assert!(!policies::domain_excluded("notexample.com", "example.com"));
    }
}
