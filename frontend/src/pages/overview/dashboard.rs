//! The signed-in overview: tiles of who is working and how long, this week by team as a
//! chart or a table, attendance today, the newest alerts and seats, from
//! `GET /api/v1/overview`, loaded again as [`super::live`] says.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use pulse_shared::access::{Action, Reach};
use pulse_shared::alerts::Alert;
use pulse_shared::reports::{AttendanceSummary, Figures, Grouping, Overview, ReportRow, SeatUsage};

use super::super::reports::{ReportTable, Segment};
use super::live::keep_fresh;
use crate::api::{self, ApiError};
use crate::browser;
use crate::charts::StackedBars;
use crate::components::{Badge, BadgeTone, Card, CardActions, ErrorCard, Skeleton};
use crate::format::{self, DayStyle};
use crate::reactive::memo;
use crate::session::use_session;

/// The figures, loaded and kept fresh; `children` go under the alerts (the profile).
#[component]
pub(super) fn Dashboard(children: Children) -> impl IntoView {
    let session = use_session();
    let data = RwSignal::new(None::<Overview>);
    let error = RwSignal::new(None::<ApiError>);
    // Bumped by every load; answers to older ones are dropped.
    let generation = StoredValue::new(0_u64);
    let load = move || {
        let Some(asked) = generation.try_update_value(|count| {
            *count += 1;
            *count
        }) else {
            return;
        };
        spawn_local(async move {
            let answer = api::overview(session).await;
            if generation.try_get_value() != Some(asked) {
                return;
            }
            match answer {
                Ok(overview) => {
                    // The same figures again (a quiet minute): nothing to redraw.
                    if data.with_untracked(|shown| shown.as_ref() != Some(&overview)) {
                        data.set(Some(overview));
                    }
                    if error.with_untracked(Option::is_some) {
                        error.set(None);
                    }
                }
                Err(failed) => error.set(Some(failed)),
            }
        });
    };
    load();
    keep_fresh(load);
    // Employees see themselves only: the tiles speak to them.
    let own = memo(move || session.reach(Action::ReadActivity) == Reach::Own);
    // Chart or table, kept across loads.
    let as_table = RwSignal::new(false);
    let sees_agents = memo(move || session.may(Action::ReadAgents));

    let body = move || match (data.get(), error.get()) {
        (None, None) => view! {
            <Card title="Today">
                <Skeleton lines=4 />
            </Card>
        }
        .into_any(),
        (None, Some(failed)) => view! {
            <ErrorCard title="Overview" error=failed on_retry=Callback::new(move |()| load()) />
        }
        .into_any(),
        (Some(overview), failed) => {
            let stale = failed.map(|failed| {
                view! {
                    <p class="overview-stale" role="status" data-testid="overview-stale">
                        {format!("Could not refresh these figures: {failed}")}
                    </p>
                }
            });
            view! {
                {stale}
                <Tiles overview=overview.clone() own=own.get() sees_agents=sees_agents.get() />
                <div class="overview-grid">
                    <TeamsCard teams=overview.teams.clone() total=overview.this_week.clone() as_table=as_table />
                    <div class="stack">
                        <AttendanceCard summary=overview.attendance_today.clone() today=overview.today />
                        <AlertsCard alerts=overview.latest_alerts.clone() />
                    </div>
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="overview" data-testid="overview">
            {body}
            <div class="grid grid-2">{children()}</div>
        </div>
    }
}

/// The tiles: now, today, this week, and seats for owners and admins.
#[component]
fn Tiles(overview: Overview, own: bool, sees_agents: bool) -> impl IntoView {
    let Overview {
        people,
        working_now,
        agents,
        today_figures: today,
        this_week: week,
        week_trend_percent,
        seats,
        time_zone,
        ..
    } = overview;
    let working_note = if own {
        "You, on a computer in use now".to_owned()
    } else {
        format!("of {people} {} in view", plural(people, "person", "people"))
    };
    let today_note = match (today.worked_secs, own) {
        (0, true) => "You have not worked today yet".to_owned(),
        (0, false) => "Nobody has worked today yet".to_owned(),
        _ => format!("{} active", format::hours_minutes(today.active_secs)),
    };
    let agents_value = format!("{} online", agents.online);
    let agents_note = format!("{} offline · {} missing", agents.offline, agents.missing);
    let worked_week = week.worked_secs > 0;
    view! {
        <section class="tiles" aria-label="Now, today and this week" data-testid="overview-tiles" title=format!("Days and weeks in {time_zone}")>
            <Tile name="working-now" label="Working now" value=working_now.to_string() note=working_note />
            {sees_agents
                .then(|| {
                    view! {
                        <Tile name="agents" label="Agents" value=agents_value note=agents_note href="/agents" />
                    }
                })}
            <Tile name="today" label="Today" value=format::hours_minutes(today.worked_secs) note=today_note />
            <div class="tile" data-tile="week">
                <p class="tile-label">"This week"</p>
                <p class="tile-value">{format::hours_minutes(week.worked_secs)}</p>
                <Trend percent=week_trend_percent />
            </div>
            <Tile
                name="activity"
                label="Activity"
                value=if worked_week { format!("{} %", week.activity_percent) } else { "—".to_owned() }
                note="of worked time active, this week".to_owned()
            />
            <Tile
                name="productive"
                label="Productive"
                value=if worked_week { format!("{} %", week.productive_percent()) } else { "—".to_owned() }
                note="of active time, this week".to_owned()
            />
            {seats.map(|seats| view! { <Tile name="seats" label="Seats" value=seats_text(&seats) note=seats_note(&seats) href="/billing" /> })}
        </section>
    }
}

/// One tile: a label over a large value over a note; a link when `href` is given.
#[component]
fn Tile(
    name: &'static str,
    label: &'static str,
    value: String,
    note: String,
    #[prop(optional)] href: Option<&'static str>,
) -> impl IntoView {
    let inner = view! {
        <p class="tile-label">{label}</p>
        <p class="tile-value">{value}</p>
        <p class="tile-note">{note}</p>
    };
    match href {
        Some(href) => view! {
            <A href={href} {..} class="tile tile-link" data-tile=name>{inner}</A>
        }
        .into_any(),
        None => view! { <div class="tile" data-tile=name>{inner}</div> }.into_any(),
    }
}

/// Worked time this week against last week to the same moment: `+12 %` up in green,
/// `−30 %` down in red, or why there is nothing to compare.
#[component]
fn Trend(percent: Option<i32>) -> impl IntoView {
    let Some((text, direction)) = trend_text(percent) else {
        return view! { <p class="tile-note">"No time last week to compare"</p> }.into_any();
    };
    let (class, arrow, words) = match direction {
        Direction::Up => ("trend trend-up", "M12 19V5M6 11l6-6 6 6", "up"),
        Direction::Down => ("trend trend-down", "M12 5v14M6 13l6 6 6-6", "down"),
        Direction::Flat => ("trend trend-flat", "M5 12h14M13 6l6 6-6 6", "unchanged"),
    };
    view! {
        <p class="tile-note" data-testid="week-trend" data-trend=words>
            <span class=class>
                <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d=arrow />
                </svg>
                <span class="visually-hidden">{words}" "</span>
                {text}
            </span>
            " vs last week"
        </p>
    }
    .into_any()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
    Flat,
}

/// `+12 %`, `−30 %` (a real minus), `±0 %`, with which way it went; none without a
/// last week.
fn trend_text(percent: Option<i32>) -> Option<(String, Direction)> {
    let percent = percent?;
    Some(match percent {
        0 => ("±0 %".to_owned(), Direction::Flat),
        p if p > 0 => (format!("+{p} %"), Direction::Up),
        p => (format!("\u{2212}{} %", p.unsigned_abs()), Direction::Down),
    })
}

/// `4 / 5`, or `4` without a limit.
fn seats_text(seats: &SeatUsage) -> String {
    match seats.limit {
        Some(limit) => format!("{} / {limit}", seats.used),
        None => seats.used.to_string(),
    }
}

fn seats_note(seats: &SeatUsage) -> String {
    match seats.limit {
        Some(limit) if seats.used >= limit => "All seats taken: manage billing".to_owned(),
        Some(limit) => format!("{} free: manage billing", limit - seats.used),
        None => "No seat limit on this plan".to_owned(),
    }
}

fn plural(count: u32, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

/// This week's active time by team, as the reports' stacked bars or their table.
#[component]
fn TeamsCard(teams: Vec<ReportRow>, total: Figures, as_table: RwSignal<bool>) -> impl IntoView {
    let nothing = total.worked_secs == 0 || teams.is_empty();
    view! {
        <Card
            title="This week by team"
            subtitle="Active time from Monday to now, by how it counts."
            flush=true
            {..}
            data-testid="overview-teams"
        >
            <CardActions slot>
                <Show when=move || !nothing>
                    <div class="segmented" role="tablist" aria-label="Show as">
                        <Segment label="Chart" selected=Signal::derive(move || !as_table.get()) on_click=Callback::new(move |()| as_table.set(false)) />
                        <Segment label="Table" selected=Signal::derive(move || as_table.get()) on_click=Callback::new(move |()| as_table.set(true)) />
                    </div>
                </Show>
            </CardActions>
            // Only the one shown is drawn: the page's first render is the longest task
            // of its start on a phone, and the other is drawn when asked for.
            {move || {
                if nothing {
                    view! { <p class="card-inset muted">"Nobody has worked this week yet."</p> }.into_any()
                } else if as_table.get() {
                    view! {
                        <div class="report-table">
                            <ReportTable rows=teams.clone() group=Grouping::Team total=total.clone() />
                        </div>
                    }
                    .into_any()
                } else {
                    view! {
                        <div class="report-chart">
                            <StackedBars rows=teams.clone() group=Grouping::Team />
                        </div>
                    }
                    .into_any()
                }
            }}
        </Card>
    }
}

/// Today's attendance counted by status, linking to the attendance report of today.
#[component]
fn AttendanceCard(summary: AttendanceSummary, today: NaiveDate) -> impl IntoView {
    let link = format!("/reports?tab=attendance&from={today}&to={today}");
    let counted = summary.on_time + summary.late_start + summary.early_end + summary.absent;
    let counts = [
        ("on-time", "On time", summary.on_time),
        ("late", "Late", summary.late_start),
        ("early-end", "Early end", summary.early_end),
        ("absent", "Absent", summary.absent),
    ];
    view! {
        <Card title="Attendance today" subtitle=format::day(today, DayStyle::Heading) {..} data-testid="overview-attendance">
            {if counted == 0 {
                view! {
                    <p class="muted">
                        "Nothing to count yet today: days are judged against working hours, "
                        "once they have begun, for people with a computer enrolled."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <dl class="attendance-counts">
                        {counts
                            .into_iter()
                            .map(|(name, label, count)| {
                                view! {
                                    <div class="attendance-count" data-count=name>
                                        <dt>{label}</dt>
                                        <dd>{count}</dd>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </dl>
                }
                .into_any()
            }}
            <p class="card-footnote">
                <A href={link} {..} data-testid="overview-attendance-link">"Today's attendance, person by person →"</A>
            </p>
        </Card>
    }
}

/// The caller's newest alerts, linking to the alerts page.
#[component]
fn AlertsCard(alerts: Vec<Alert>) -> impl IntoView {
    let now = browser::now();
    let is_empty = alerts.is_empty();
    let items = alerts
        .into_iter()
        .map(|alert| {
            let when = format::ago(alert.created_at, now);
            let exact = format::timestamp(alert.created_at);
            view! {
                <li class="overview-alert" data-alert-id=alert.id.to_string()>
                    <Badge tone=BadgeTone::from(alert.severity)>{alert.severity.label()}</Badge>
                    <span class="overview-alert-title">{alert.title}</span>
                    <time class="overview-alert-time" datetime=alert.created_at.to_rfc3339() title=exact>{when}</time>
                </li>
            }
        })
        .collect_view();
    view! {
        <Card title="Latest alerts" {..} data-testid="overview-alerts">
            {if is_empty {
                view! { <p class="muted">"No alerts yet. New ones show here as they arrive."</p> }.into_any()
            } else {
                view! { <ul class="overview-alerts">{items}</ul> }.into_any()
            }}
            <p class="card-footnote">
                <A href="/alerts">"All alerts →"</A>
            </p>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_read_with_a_sign_and_a_direction() {
        let cases = [
            (Some(12), Some(("+12 %", Direction::Up))),
            (Some(-30), Some(("\u{2212}30 %", Direction::Down))),
            (Some(0), Some(("±0 %", Direction::Flat))),
            (None, None),
        ];
        for (percent, expected) in cases {
            let got = trend_text(percent);
            assert_eq!(
                got.as_ref()
                    .map(|(text, direction)| (text.as_str(), *direction)),
                expected,
                "{percent:?}"
            );
        }
    }

    #[test]
    fn seats_say_what_is_left() {
        let seats = |used, limit| SeatUsage { used, limit };
        assert_eq!(seats_text(&seats(4, Some(5))), "4 / 5");
        assert_eq!(seats_note(&seats(4, Some(5))), "1 free: manage billing");
        assert_eq!(
            seats_note(&seats(5, Some(5))),
            "All seats taken: manage billing"
        );
        assert_eq!(seats_text(&seats(12, None)), "12");
    }
}
