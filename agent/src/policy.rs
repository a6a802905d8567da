//! The policy applied on the computer, before anything is spooled or sent: nothing
//! outside the working hours, nothing an excluded application (or a window naming an
//! excluded domain) shows, titles only when the policy tracks them. The server applies
//! the same rules again (`domain::sessions::redact`).
//!
//! The X11 agent cannot read a browser's address (that needs a browser extension), so
//! it sends no URLs; an excluded domain is recognised where the window title names it
//! (`mail.example.com – Inbox`).

use chrono::{DateTime, Utc};
use pulse_shared::policies::{self, PolicySettings, Weekday};

use crate::capture::Window;

/// The name sent for an excluded application (the server's `PRIVATE_APP`).
pub const PRIVATE_APP: &str = "Private";
/// The name sent when the policy does not track applications (the server's `UNTRACKED_APP`).
pub const UNTRACKED_APP: &str = "Untracked";

/// What of the window in front may be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seen {
    pub app: String,
    pub title: Option<String>,
    /// An excluded application is in front: no title, no screenshot.
    pub private: bool,
}

/// Whether `window` is on the policy's exclusion list, by class or executable name,
/// ignoring case.
pub fn is_excluded(window: &Window, policy: &PolicySettings) -> bool {
    policy.excluded_apps.iter().any(|excluded| {
        let excluded = excluded.trim();
        window.app.trim().eq_ignore_ascii_case(excluded)
            || window
                .exe
                .as_deref()
                .is_some_and(|exe| exe.eq_ignore_ascii_case(excluded))
    })
}

/// Whether the window's title names an excluded domain or one of its subdomains, as a
/// host name of its own (`docs.example.com/page`, not `notexample.com`).
pub fn names_excluded_domain(window: &Window, policy: &PolicySettings) -> bool {
    let Some(title) = window.title.as_deref() else {
        return false;
    };
    if policy.excluded_domains.is_empty() {
        return false;
    }
    title
        .split(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-'))
        .map(|word| word.trim_matches(['.', '-']))
        .filter(|word| word.contains('.'))
        .any(|host| {
            policy
                .excluded_domains
                .iter()
                .any(|excluded| policies::domain_excluded(host, excluded))
        })
}

/// The window as the policy lets it be recorded.
pub fn redact(window: &Window, policy: &PolicySettings) -> Seen {
    if is_excluded(window, policy) || names_excluded_domain(window, policy) {
        return Seen {
            app: PRIVATE_APP.to_owned(),
            title: None,
            private: true,
        };
    }
    let app = if policy.track_apps {
        truncate(&window.app, pulse_shared::activity::MAX_APP_CHARS)
    } else {
        UNTRACKED_APP.to_owned()
    };
    let title = window
        .title
        .as_deref()
        .filter(|_| policy.track_apps && policy.track_titles)
        .map(|title| truncate(title, pulse_shared::activity::MAX_TITLE_CHARS));
    Seen {
        app,
        title,
        private: false,
    }
}

/// Whether the policy lets the agent record at `now`: at all hours without working
/// hours, else within them in the policy's time zone.
pub fn within_working_hours(
    policy: &PolicySettings,
    now: DateTime<Utc>,
    zones: &mut Zones,
) -> bool {
    let Some(hours) = &policy.working_hours else {
        return true;
    };
    let Ok(now) = jiff::Timestamp::from_second(now.timestamp()) else {
        return true;
    };
    let local = zones.get(&policy.time_zone).to_datetime(now);
    let day = Weekday::ALL[usize::from(local.weekday().to_monday_zero_offset().unsigned_abs())];
    let minute =
        u32::from(local.hour().unsigned_abs()) * 60 + u32::from(local.minute().unsigned_abs());
    hours.contains(day, minute)
}

/// The policy's time zone, looked up in the computer's tz database once per name. A
/// zone the computer does not know is read as the computer's own, with a line in the log.
pub struct Zones {
    held: (String, jiff::tz::TimeZone),
}

impl Default for Zones {
    fn default() -> Self {
        Self {
            held: ("UTC".to_owned(), jiff::tz::TimeZone::UTC),
        }
    }
}

impl Zones {
    fn get(&mut self, name: &str) -> &jiff::tz::TimeZone {
        if self.held.0 != name {
            let zone = jiff::tz::TimeZone::get(name).unwrap_or_else(|error| {
                crate::logging::log(format_args!(
                    "the policy's time zone {name} is unknown here ({error}): working hours follow this computer's"
                ));
                jiff::tz::TimeZone::system()
            });
            self.held = (name.to_owned(), zone);
        }
        &self.held.1
    }
}

/// At most `max` characters, control characters replaced by spaces (the server refuses them).
fn truncate(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use pulse_shared::policies::WorkingHours;

    use super::*;

    fn window(app: &str, exe: Option<&str>, title: &str) -> Window {
        Window {
            app: app.into(),
            exe: exe.map(Into::into),
            title: Some(title.into()),
        }
    }

    #[test]
    fn excluded_apps_leave_only_a_private_mark() {
        let policy = PolicySettings {
            track_titles: true,
            excluded_apps: vec!["keepassxc".into()],
            ..PolicySettings::default()
        };
        for excluded in [
            window("KeePassXC", None, "Passwords.kdbx"),
            window("Keepassxc-gui", Some("keepassxc"), "Passwords.kdbx"),
        ] {
            let seen = redact(&excluded, &policy);
            assert_eq!(seen.app, PRIVATE_APP);
            assert_eq!(seen.title, None);
            assert!(seen.private);
        }
        let seen = redact(&window("XTerm", Some("xterm"), "vim ∑ notes\u{7}"), &policy);
        assert_eq!(seen.app, "XTerm");
        assert_eq!(seen.title.as_deref(), Some("vim ∑ notes "));
    }

    #[test]
    fn a_title_naming_an_excluded_domain_is_private() {
        let policy = PolicySettings {
            track_titles: true,
            excluded_domains: vec!["example.com".into()],
            ..PolicySettings::default()
        };
        for title in [
            "mail.example.com – Inbox – Chromium",
            "Example.com/account (2) - Firefox",
        ] {
            let seen = redact(&window("Chromium", None, title), &policy);
            assert!(seen.private, "{title}");
            assert_eq!(seen.title, None);
        }
        for title in [
            "notexample.com - Firefox",
            "example.community",
            "An example",
        ] {
            assert!(
                !redact(&window("Firefox", None, title), &policy).private,
                "{title}"
            );
        }
    }

    #[test]
    fn working_hours_are_read_in_the_policys_time_zone() {
        let policy = PolicySettings {
            working_hours: Some(WorkingHours {
                days: vec![Weekday::Mon, Weekday::Fri],
                start: "09:00".into(),
                end: "17:30".into(),
            }),
            time_zone: "America/New_York".into(),
            ..PolicySettings::default()
        };
        let mut zones = Zones::default();
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // Friday 2026-03-06, before New York's change to summer time: UTC-5.
        assert!(!within_working_hours(
            &policy,
            at("2026-03-06T13:59:59Z"),
            &mut zones
        ));
        assert!(within_working_hours(
            &policy,
            at("2026-03-06T14:00:00Z"),
            &mut zones
        ));
        assert!(within_working_hours(
            &policy,
            at("2026-03-06T22:29:59Z"),
            &mut zones
        ));
        assert!(!within_working_hours(
            &policy,
            at("2026-03-06T22:30:00Z"),
            &mut zones
        ));
        // Monday 2026-03-09, after it: UTC-4; Saturday is not a working day.
        assert!(within_working_hours(
            &policy,
            at("2026-03-09T13:00:00Z"),
            &mut zones
        ));
        assert!(!within_working_hours(
            &policy,
            at("2026-03-07T15:00:00Z"),
            &mut zones
        ));
        // 2026-03-10 is a Tuesday.
        assert!(!within_working_hours(
            &policy,
            at("2026-03-10T15:00:00Z"),
            &mut zones
        ));
        let always = PolicySettings::default();
        assert!(within_working_hours(
            &always,
            at("2026-03-07T03:00:00Z"),
            &mut zones
        ));
    }

    #[test]
    fn titles_and_apps_only_when_tracked() {
        let terminal = window("XTerm", None, "secret plans");
        let policy = PolicySettings::default();
        assert!(!policy.track_titles);
        assert_eq!(redact(&terminal, &policy).title, None);
        let policy = PolicySettings {
            track_apps: false,
            track_titles: true,
            ..PolicySettings::default()
        };
        let seen = redact(&terminal, &policy);
        assert_eq!((seen.app.as_str(), seen.title), (UNTRACKED_APP, None));
    }
}
