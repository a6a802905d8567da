//! Sessions (`/sessions`): one person's work sessions on one day, as a timeline of the
//! day (each session's share of active and idle time) and a list with the applications
//! used most. Managers and admins choose the person, and see their people's totals for
//! the day in a team view.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use leptos::prelude::*;
use pulse_shared::activity::{AppUsage, SessionSummary, WorkSession};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::Person;

use super::person_day::{PersonDay, PersonDayHeader};
use crate::api::{self, ApiError};
use crate::browser;
use crate::components::{
    Button, ButtonVariant, Card, CardActions, DataTable, Empty, ErrorCard, SelectField,
    SelectOption, Skeleton,
};
use crate::days;
use crate::format;
use crate::reactive::memo;
use crate::session::use_session;

/// How often today's sessions are loaded again while the page is visible.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// The page: the chooser, the day card and (for managers and admins) the team card.
#[component]
pub fn Sessions() -> impl IntoView {
    super::set_title("Sessions");
    let session = use_session();
    let chooser = PersonDay::new();
    let PersonDay {
        sees_others,
        person,
        day,
        chosen,
        name,
        people,
        ..
    } = chooser;
    let sessions = api::Loaded::new(move || {
        let (from, to) = days::bounds(day.get());
        let user = chosen.get();
        async move { api::work_sessions(session, from, to, user).await }
    });
    // Today is still being recorded: look again every minute while the page is seen.
    let refresh = RwSignal::new(0_u32);
    let tick = set_interval_with_handle(
        move || {
            if day.get_untracked() == days::today() && !document().hidden() {
                sessions.refetch();
                refresh.update(|count| *count += 1);
            }
        },
        REFRESH,
    )
    .ok();
    on_cleanup(move || {
        if let Some(tick) = tick {
            tick.clear();
        }
    });

    view! {
        <div class="page" data-page="sessions">
            <PersonDayHeader
                chooser=chooser
                title="Sessions"
                lede="When work happened, day by day."
                testid="sessions-toolbar"
                person_id="sessions-person"
                day_id="sessions-day"
            />
            <Transition fallback=|| view! { <Card title="Sessions"><Skeleton lines=5 /></Card> }>
                {move || Suspend::new(async move {
                    let title = name.get();
                    let subtitle = days::long(day.get_untracked());
                    match sessions.await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="Sessions"
                                    error=error
                                    on_retry=Callback::new(move |()| sessions.refetch())
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <DayCard
                                    title=title
                                    subtitle=subtitle
                                    day=day.get_untracked()
                                    sessions=list
                                    person=person
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <Show when=move || sees_others.get()>
                <TeamCard day=day person=person people=people refresh=refresh />
            </Show>
        </div>
    }
}

/// The day's totals, its timeline and its sessions.
#[component]
fn DayCard(
    title: String,
    subtitle: String,
    day: NaiveDate,
    sessions: Vec<WorkSession>,
    person: RwSignal<String>,
) -> impl IntoView {
    let active: i64 = sessions.iter().map(|session| session.active_secs).sum();
    let idle: i64 = sessions.iter().map(|session| session.idle_secs).sum();
    let first = sessions.iter().map(|session| session.started_at).min();
    let last = sessions.iter().map(|session| session.ended_at).max();
    let span = match (first, last) {
        (Some(first), Some(last)) => format!("{}–{}", days::time(first), days::time(last)),
        _ => "—".to_owned(),
    };
    let count = sessions.len();
    let is_empty = sessions.is_empty();
    let screenshots = {
        let user = person.get_untracked();
        let mut href = format!("/screenshots?day={}", days::input_value(day));
        if !user.is_empty() {
            href.push_str("&user=");
            href.push_str(&user);
        }
        href
    };
    let mut ordered = sessions.clone();
    crate::sort::by_key(&mut ordered, |session| session.started_at);
    view! {
        <Card title=title subtitle=subtitle flush=true {..} data-testid="sessions-day">
            <CardActions slot>
                <a class="btn btn-ghost" href=screenshots.clone() data-testid="sessions-to-screenshots">
                    "Screenshots"
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M9 6l6 6-6 6" />
                    </svg>
                </a>
            </CardActions>
            <dl class="stats" data-testid="sessions-totals">
                <div class="stat">
                    <dt>"Active"</dt>
                    <dd data-total="active">{hours(active)}</dd>
                </div>
                <div class="stat">
                    <dt>"Idle"</dt>
                    <dd data-total="idle">{hours(idle)}</dd>
                </div>
                <div class="stat">
                    <dt>"Sessions"</dt>
                    <dd data-total="sessions">{count}</dd>
                </div>
                <div class="stat">
                    <dt>"First to last"</dt>
                    <dd>{span}</dd>
                </div>
            </dl>
            <Timeline day=day sessions=ordered.clone() />
            <div class="table-scroll table-stack">
                <DataTable
                    columns=&["Time", "Length", "Active", "Idle", "Top apps"]
                    is_empty=Signal::stored(is_empty)
                    {..}
                    class:table-sessions=true
                    data-testid="sessions"
                >
                    <Empty slot>"No work recorded on this day."</Empty>
                    {ordered.into_iter().map(session_row).collect_view()}
                </DataTable>
            </div>
        </Card>
    }
}

/// `3 h 5 min`, `12 min`, `0 min`: sessions are read in minutes.
fn hours(secs: i64) -> String {
    let minutes = secs.max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Where `[start, end)` sits on the day `[day_start, day_end)`: its left edge and width
/// in percent of the day, clipped to it; `None` when it lies outside.
fn place(
    day_start: DateTime<Utc>,
    day_end: DateTime<Utc>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<(f64, f64)> {
    let length = (day_end - day_start).num_seconds() as f64;
    let (start, end) = (start.max(day_start), end.min(day_end));
    if length <= 0.0 || end <= start {
        return None;
    }
    let left = (start - day_start).num_seconds() as f64 / length * 100.0;
    let width = (end - start).num_seconds() as f64 / length * 100.0;
    Some((left, width))
}

/// A place or length on the timeline for CSS: `12.346%`.
fn percent(value: f64) -> String {
    format!("{}%", format::fixed(value, 3))
}

/// The share of a session that was active, in percent.
fn active_share(session: &WorkSession) -> f64 {
    let total = session.active_secs + session.idle_secs;
    if total <= 0 {
        return 100.0;
    }
    (session.active_secs as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
}

/// The day from midnight to midnight, with each session as a bar whose darker part is
/// its share of active time, hour marks, and "now" on today. Positions are set with
/// `style:` (the CSSOM), since the page's CSP refuses `style` attributes.
#[component]
fn Timeline(day: NaiveDate, sessions: Vec<WorkSession>) -> impl IntoView {
    let (start, end) = days::bounds(day);
    let now = browser::now();
    let marks = (0..=8)
        .map(|step| {
            let at = start + TimeDelta::hours(step * 3);
            let left = place(start, end, start, at).map_or(0.0, |(_, width)| width);
            let label = if step == 8 {
                "24:00".to_owned()
            } else {
                days::time(at)
            };
            view! {
                <span class="timeline-mark" class:timeline-mark-minor=step % 2 == 1 style:left=percent(left)>
                    <span class="timeline-mark-label">{label}</span>
                </span>
            }
        })
        .collect_view();
    let now_mark = (now > start && now < end).then(|| {
        let left = place(start, end, start, now).map_or(0.0, |(_, width)| width);
        view! { <span class="timeline-now" style:left=percent(left) title="Now"></span> }
    });
    let bars = sessions
        .iter()
        .filter_map(|session| {
            let (left, width) = place(start, end, session.started_at, session.ended_at)?;
            let share = active_share(session);
            let label = format!(
                "{}–{}: active {}, idle {}",
                days::time(session.started_at),
                days::time(session.ended_at),
                hours(session.active_secs),
                hours(session.idle_secs)
            );
            Some(view! {
                <span
                    class="timeline-session"
                    style:left=percent(left)
                    style:width=percent(width)
                    title=label.clone()
                    aria-label=label
                    role="img"
                    data-session-id=session.id.to_string()
                    data-active-percent=format::fixed(share, 0)
                >
                    <span class="timeline-active" style:width=percent(share)></span>
                </span>
            })
        })
        .collect_view();
    view! {
        <div class="timeline" data-testid="sessions-timeline">
            <div class="timeline-track">
                {bars}
                {now_mark}
            </div>
            <div class="timeline-marks" aria-hidden="true">{marks}</div>
            <div class="timeline-legend" aria-hidden="true">
                <span class="legend-item"><span class="legend-swatch legend-active"></span>"Active"</span>
                <span class="legend-item"><span class="legend-swatch legend-idle"></span>"Idle"</span>
            </div>
        </div>
    }
}

fn apps_text(apps: &[AppUsage]) -> String {
    if apps.is_empty() {
        return "—".to_owned();
    }
    apps.iter()
        .map(|app| format!("{} {}", app.app, hours(app.secs)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn session_row(session: WorkSession) -> impl IntoView {
    let time = format!(
        "{}–{}",
        days::time(session.started_at),
        days::time(session.ended_at)
    );
    let exact = format!(
        "{} to {}",
        days::exact(session.started_at),
        days::exact(session.ended_at)
    );
    let length = hours((session.ended_at - session.started_at).num_seconds());
    let apps = session.top_apps.clone();
    view! {
        <tr data-session-id=session.id.to_string()>
            <td class="cell-title cell-time" title=exact>{time}</td>
            <td class="cell-length" data-label="Length">{length}</td>
            <td class="cell-active" data-label="Active">{hours(session.active_secs)}</td>
            <td class="cell-idle" data-label="Idle">{hours(session.idle_secs)}</td>
            <td class="cell-wrap cell-apps">
                <span class="app-list">
                    {if apps.is_empty() {
                        view! { <span class="muted">"—"</span> }.into_any()
                    } else {
                        apps.into_iter()
                            .map(|app| {
                                let name = app.app.clone();
                                view! {
                                    <span class="app-chip" data-app=name>
                                        <span class="app-name">{app.app}</span>
                                        <span class="app-time">{hours(app.secs)}</span>
                                    </span>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </span>
            </td>
        </tr>
    }
}

/// Everyone's totals for the day, optionally for one team; a row shows that person above.
#[component]
fn TeamCard(
    day: RwSignal<NaiveDate>,
    person: RwSignal<String>,
    #[prop(into)] people: Signal<Vec<Person>>,
    /// Goes up when today's figures should be loaded again.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let session = use_session();
    let teams = api::Loaded::new(move || api::teams(session));
    let team = RwSignal::new(String::new());
    let team_options = Signal::derive(move || {
        let mut options: Vec<SelectOption> = vec![(String::new(), "Every team".to_owned())];
        options.extend(
            teams
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|team| (team.id.to_string(), team.name)),
        );
        options
    });
    let summary = api::Loaded::new(move || {
        refresh.track();
        let (from, to) = days::bounds(day.get());
        let team: Option<TeamId> = team.get().parse().ok();
        async move { api::session_summary(session, from, to, team).await }
    });
    let me = memo(move || session.me().map(|me| me.user.id));
    let show = Callback::new(move |id: UserId| {
        let value = if Some(id) == me.get_untracked() {
            String::new()
        } else {
            id.to_string()
        };
        person.set(value);
        browser::scroll_to_top();
    });
    view! {
        <Card
            title="Team"
            subtitle="Everyone's totals for the day. Choose a person to see their day above."
            flush=true
            {..}
            data-testid="sessions-team"
        >
            <div class="card-toolbar">
                <SelectField id="sessions-team" name="team_filter" label="Team" value=team options=team_options />
            </div>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=4 /></div> }>
                {move || Suspend::new(async move {
                    match summary.await {
                        Err(error) => summary_error(error, summary).into_any(),
                        Ok(rows) => {
                            let is_empty = rows.is_empty();
                            let names = people.get();
                            view! {
                                <div class="table-scroll table-stack table-stack-wide">
                                    <DataTable
                                        columns=&["Employee", "Sessions", "Active", "Idle", "First to last", "Top apps", ""]
                                        is_empty=Signal::stored(is_empty)
                                        {..}
                                        class:table-summary=true
                                        data-testid="sessions-summary"
                                    >
                                        <Empty slot>"Nobody here has recorded work on this day."</Empty>
                                        {rows
                                            .into_iter()
                                            .map(|row| {
                                                let email = names
                                                    .iter()
                                                    .find(|person| person.id == row.user_id)
                                                    .map(|person| person.email.clone())
                                                    .unwrap_or_default();
                                                summary_row(row, email, show)
                                            })
                                            .collect::<Vec<_>>()}
                                    </DataTable>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
    }
}

fn summary_error(error: ApiError, summary: api::Loaded<Vec<SessionSummary>>) -> impl IntoView {
    view! {
        <div class="card-inset">
            <ErrorCard title="Team" error=error on_retry=Callback::new(move |()| summary.refetch()) />
        </div>
    }
}

fn summary_row(row: SessionSummary, email: String, show: Callback<UserId>) -> impl IntoView {
    let id = row.user_id;
    let span = match (row.first_started_at, row.last_ended_at) {
        (Some(first), Some(last)) => format!("{}–{}", days::time(first), days::time(last)),
        _ => "—".to_owned(),
    };
    let label = format!("Show the day of {}", row.name);
    let initials = format::initials(&row.name);
    view! {
        <tr data-user-id=id.to_string() data-sessions=row.sessions class:is-revoked=row.sessions == 0>
            <td class="cell-person">
                <div class="person-cell">
                    <span class="avatar avatar-sm" aria-hidden="true">{initials}</span>
                    <div class="person-text">
                        <span class="cell-title">{row.name.clone()}</span>
                        <span class="cell-sub">{email}</span>
                    </div>
                </div>
            </td>
            <td class="cell-count" data-label="Sessions">{row.sessions}</td>
            <td class="cell-active" data-label="Active">{hours(row.active_secs)}</td>
            <td class="cell-idle" data-label="Idle">{hours(row.idle_secs)}</td>
            <td class="cell-span" data-label="First to last">{span}</td>
            <td class="cell-wrap cell-apps" data-label="Top apps">{apps_text(&row.top_apps)}</td>
            <td class="cell-actions">
                <Button
                    variant=ButtonVariant::Ghost
                    on_click=move |_| show.run(id)
                    {..}
                    data-testid="summary-show"
                    aria-label=label
                >
                    "Show day"
                </Button>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: i64, minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 - 1_800_000_000 % 86_400, 0).unwrap_or_default()
            + TimeDelta::hours(hour)
            + TimeDelta::minutes(minute)
    }

    #[test]
    fn sessions_sit_on_the_day_clipped_to_it() {
        let (start, end) = (at(0, 0), at(24, 0));
        assert_eq!(place(start, end, at(6, 0), at(12, 0)), Some((25.0, 25.0)));
        assert_eq!(place(start, end, at(-2, 0), at(3, 0)), Some((0.0, 12.5)));
        assert_eq!(place(start, end, at(21, 0), at(27, 0)), Some((87.5, 12.5)));
        assert_eq!(place(start, end, at(25, 0), at(26, 0)), None);
        assert_eq!(place(start, end, at(5, 0), at(5, 0)), None);
    }

    #[test]
    fn durations_read_in_hours_and_minutes() {
        assert_eq!(hours(0), "0 min");
        assert_eq!(hours(59), "0 min");
        assert_eq!(hours(125), "2 min");
        assert_eq!(hours(3_600), "1 h");
        assert_eq!(hours(3 * 3_600 + 5 * 60), "3 h 5 min");
        assert_eq!(hours(-10), "0 min");
    }
}
