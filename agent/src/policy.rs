//! The policy applied on the computer, before anything is spooled or sent: what an
//! excluded application shows never leaves the machine, titles and URLs only when the
//! policy tracks them. The server applies the same rules again (`domain::sessions::redact`).

use pulse_shared::policies::PolicySettings;

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

/// The window as the policy lets it be recorded.
pub fn redact(window: &Window, policy: &PolicySettings) -> Seen {
    if is_excluded(window, policy) {
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

/// At most `max` characters, control characters replaced by spaces (the server refuses them).
fn truncate(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
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
