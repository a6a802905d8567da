//! "Monitoring is on for you", on the Overview and Account pages: the signed-in person's
//! own computers that report to Pulse and, in plain words, what their effective policy
//! records there, from `GET /api/v1/me/monitoring`; or one line saying nothing of theirs
//! is monitored. Pulse has no stealth mode: whoever is monitored can read how.

use leptos::prelude::*;
use pulse_shared::agents::Agent;
use pulse_shared::policies::{MonitoringResponse, PolicySettings, ScreenshotMode};

use crate::api;
use crate::browser;
use crate::components::{Badge, BadgeTone, Card, ErrorCard, Skeleton};
use crate::format;
use crate::session::use_session;

/// The notice, loaded once per visit of the page.
#[component]
pub fn MonitoringNotice() -> impl IntoView {
    let session = use_session();
    let monitoring = api::Fetched::new(move || api::my_monitoring(session));
    move || match monitoring.get() {
        None => view! {
            <Card title="Monitoring">
                <Skeleton lines=3 />
            </Card>
        }
        .into_any(),
        Some(Ok(monitoring)) if monitoring.is_monitored() => monitored(monitoring).into_any(),
        Some(Ok(_)) => view! {
            <p class="monitoring-off" data-testid="monitoring" data-monitored="false">
                "Nothing of yours is monitored: no computer of yours reports to Pulse."
            </p>
        }
        .into_any(),
        Some(Err(error)) => view! {
            <ErrorCard
                title="Monitoring"
                error=error
                on_retry=Callback::new(move |()| monitoring.refetch())
            />
        }
        .into_any(),
    }
}

/// The card of a monitored person: their computers, then what is recorded.
fn monitored(monitoring: MonitoringResponse) -> impl IntoView {
    let MonitoringResponse {
        computers,
        settings,
    } = monitoring;
    let now = browser::now();
    let facts = recorded(&settings)
        .into_iter()
        .map(|(label, value)| {
            view! {
                <div class="fact fact-wide" data-recorded=label>
                    <dt>{label}</dt>
                    <dd>{value}</dd>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class="monitoring-card" data-testid="monitoring" data-monitored="true">
            <Card
                title="Monitoring is on for you"
                subtitle="Pulse records your work on these computers, as your company's policy says."
            >
                <div class="monitoring-grid">
                    <section aria-label="Your computers">
                        <h3 class="monitoring-heading">"Your computers"</h3>
                        <ul class="monitoring-computers">
                            {computers
                                .into_iter()
                                .map(|computer| computer_item(computer, now))
                                .collect_view()}
                        </ul>
                    </section>
                    <section aria-label="What is recorded">
                        <h3 class="monitoring-heading">"What is recorded"</h3>
                        <dl class="facts monitoring-facts">{facts}</dl>
                    </section>
                </div>
            </Card>
        </div>
    }
}

fn computer_item(computer: Agent, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let seen = match computer.last_seen_at {
        Some(at) => format!("Last seen {}", format::ago(at, now)),
        None => "Not heard from yet".to_owned(),
    };
    let status = computer.status;
    let host = computer.hostname.clone();
    view! {
        <li class="monitoring-computer" data-testid="monitoring-computer" data-host=computer.hostname>
            <span class="stacked">
                <span class="cell-title">{host}</span>
                <span class="cell-sub">{seen}</span>
            </span>
            <Badge tone=BadgeTone::from(status)>{status.label()}</Badge>
        </li>
    }
}

/// What a policy records, as `(what, how)` in plain words, in the order people ask.
fn recorded(settings: &PolicySettings) -> Vec<(&'static str, String)> {
    let yes_no = |on: bool, what: &str| {
        if on {
            what.to_owned()
        } else {
            "Not recorded".to_owned()
        }
    };
    let screenshots = match settings.screenshot_mode {
        ScreenshotMode::Off => "Never taken".to_owned(),
        ScreenshotMode::Interval => format!(
            "One every {} minutes or so, {}",
            settings.screenshot_interval_mins,
            if settings.blur_screenshots {
                "blurred before they are stored"
            } else {
                "not blurred"
            }
        ),
    };
    let hours = match &settings.working_hours {
        Some(hours) => format!(
            "{} ({}); nothing outside them",
            format::working_hours(hours),
            settings.time_zone
        ),
        None => "At all hours".to_owned(),
    };
    let excluded: Vec<&str> = settings
        .excluded_apps
        .iter()
        .chain(&settings.excluded_domains)
        .map(String::as_str)
        .collect();
    let excluded = if excluded.is_empty() {
        "Nothing".to_owned()
    } else {
        excluded.join(", ")
    };
    let idle_mins = settings.idle_threshold_secs.div_ceil(60);
    vec![
        (
            "Applications",
            yes_no(settings.track_apps, "Which application is in front"),
        ),
        (
            "Window titles",
            yes_no(settings.track_apps && settings.track_titles, "Recorded"),
        ),
        (
            "Web domains",
            yes_no(
                settings.track_urls,
                "The site of the browser's page, not the full address",
            ),
        ),
        ("Screenshots", screenshots),
        (
            "Keyboard and mouse",
            "How many keys and clicks, never which keys".to_owned(),
        ),
        (
            "Idle",
            format!(
                "After {idle_mins} {} without input",
                if idle_mins == 1 { "minute" } else { "minutes" }
            ),
        ),
        ("When", hours),
        ("Never recorded", excluded),
        (
            "Kept for",
            format!(
                "Activity {} days, screenshots {} days",
                settings.activity_retention_days, settings.screenshot_retention_days
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_shared::policies::{Weekday, WorkingHours};

    fn says(settings: &PolicySettings, what: &str) -> String {
        recorded(settings)
            .into_iter()
            .find(|(label, _)| *label == what)
            .map(|(_, value)| value)
            .unwrap_or_default()
    }

    #[test]
    fn the_default_policy_reads_plainly() {
        let settings = PolicySettings::default();
        assert_eq!(
            says(&settings, "Applications"),
            "Which application is in front"
        );
        assert_eq!(says(&settings, "Window titles"), "Not recorded");
        assert_eq!(says(&settings, "Web domains"), "Not recorded");
        assert_eq!(says(&settings, "Screenshots"), "Never taken");
        assert_eq!(says(&settings, "Idle"), "After 5 minutes without input");
        assert_eq!(says(&settings, "When"), "At all hours");
        assert_eq!(says(&settings, "Never recorded"), "Nothing");
    }

    #[test]
    fn a_strict_policy_says_all_it_records_and_excludes() {
        let settings = PolicySettings {
            screenshot_mode: ScreenshotMode::Interval,
            screenshot_interval_mins: 15,
            blur_screenshots: true,
            track_titles: true,
            track_urls: true,
            idle_threshold_secs: 60,
            excluded_apps: vec!["keepassxc".to_owned()],
            excluded_domains: vec!["bank.example".to_owned()],
            working_hours: Some(WorkingHours {
                days: vec![
                    Weekday::Fri,
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                ],
                start: "09:00".to_owned(),
                end: "17:30".to_owned(),
            }),
            time_zone: "Europe/Berlin".to_owned(),
            ..PolicySettings::default()
        };
        assert_eq!(says(&settings, "Window titles"), "Recorded");
        assert_eq!(
            says(&settings, "Screenshots"),
            "One every 15 minutes or so, blurred before they are stored"
        );
        assert_eq!(says(&settings, "Idle"), "After 1 minute without input");
        assert_eq!(
            says(&settings, "When"),
            "Mon–Fri 09:00–17:30 (Europe/Berlin); nothing outside them"
        );
        assert_eq!(says(&settings, "Never recorded"), "keepassxc, bank.example");
        // Titles are only recorded with applications.
        let titles_alone = PolicySettings {
            track_apps: false,
            ..settings
        };
        assert_eq!(says(&titles_alone, "Window titles"), "Not recorded");
    }
}
