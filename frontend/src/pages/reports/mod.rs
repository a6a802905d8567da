//! Reports (`/reports`): time over a range, grouped by day, week, month, hour, weekday
//! and hour, person, team, application or category, as a chart or a table; and
//! attendance against working hours. Everyone signed in may read them: the server keeps
//! employees to themselves and managers to their teams. The filters live in the query
//! string, so a link shows the same report; exports (CSV, spreadsheet) take the same
//! filters, and the page prints without the app around it.

mod attendance;
mod filters;
mod params;
mod table;
mod time;

use leptos::prelude::*;
use pulse_shared::access::{Action, Reach};

use crate::api;
use crate::browser;
use crate::components::{Button, ButtonVariant, Card, ErrorCard, Skeleton, use_toasts};
use crate::forms::task;
use crate::reactive::memo;
use crate::session::use_session;
use attendance::AttendanceTab;
use filters::{FilterBar, Report};
use params::{Tab, View};
pub(crate) use table::ReportTable;
use time::TimeTab;

/// The page: header with exports, the tab and view switches, the filters, the report.
#[component]
pub fn Reports() -> impl IntoView {
    super::set_title("Reports");
    let session = use_session();
    let toasts = use_toasts();
    let report = Report::new();
    let params = report.params;
    let sees_others = memo(move || session.reaches_others(Action::ReadActivity));
    let teams = api::Loaded::new(move || async move {
        if sees_others.get() {
            api::teams(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let people = api::Loaded::new(move || async move {
        if sees_others.get() {
            api::everyone(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let teams = Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default());
    let people = Signal::derive(move || people.get().and_then(Result::ok).unwrap_or_default());
    let tab = memo(move || params.with(|params| params.tab));
    let view = memo(move || params.with(|params| params.view));

    // Whose time, in words: for the lede, which is also the printout's heading.
    let whose = move || {
        let (team, user) = params.with(|params| (params.team_id, params.user_id));
        if let Some(user) = user {
            let name = people.with(|people| {
                people
                    .iter()
                    .find(|person| person.id == user)
                    .map(|person| person.name.clone())
            });
            return name.unwrap_or_else(|| "One person".to_owned());
        }
        if let Some(team) = team {
            let name = teams.with(|teams| {
                teams
                    .iter()
                    .find(|found| found.id == team)
                    .map(|found| found.name.clone())
            });
            return name.unwrap_or_else(|| "One team".to_owned());
        }
        match session.reach(Action::ReadActivity) {
            Reach::Company => "Everyone".to_owned(),
            Reach::Teams => "Your teams".to_owned(),
            Reach::Own | Reach::None => "You".to_owned(),
        }
    };
    let lede = move || {
        let (range, what) = params.with(|params| {
            let what = match params.tab {
                Tab::Time => format!("by {}", params.group.label().to_ascii_lowercase()),
                Tab::Attendance => "attendance".to_owned(),
            };
            (params.range_text(), what)
        });
        format!("{range} · {} · {what}", whose())
    };

    let export_csv = task(move |()| {
        let params = params.get_untracked();
        async move {
            match params.tab {
                Tab::Time => {
                    let csv = api::time_report_csv(session, &params.time_query()).await;
                    browser::save_csv(toasts, csv, "time-report", ("row", "rows"));
                }
                Tab::Attendance => {
                    let csv = api::attendance_csv(session, &params.attendance_query()).await;
                    browser::save_csv(toasts, csv, "attendance", ("day", "days"));
                }
            }
        }
    });
    let export_xlsx = task(move |()| {
        let query = params.with_untracked(|params| params.time_query());
        async move {
            let xlsx = api::time_report_xlsx(session, &query).await;
            browser::save_xlsx(toasts, xlsx, "time-report");
        }
    });
    let (csv_pending, xlsx_pending) = (export_csv.pending(), export_xlsx.pending());
    let invalid = Signal::derive(move || params.with(|params| params.fault().is_some()));

    view! {
        <div class="page page-report" data-page="reports">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Reports"</h1>
                    <p class="page-lede" data-testid="report-summary">{lede}</p>
                </div>
                <div class="header-actions no-print">
                    <Button
                        variant=ButtonVariant::Secondary
                        loading=csv_pending
                        disabled=invalid
                        on_click=move |_| {
                            export_csv.dispatch_local(());
                        }
                        {..}
                        data-testid="report-csv"
                    >
                        <DownloadIcon />
                        "CSV"
                    </Button>
                    <Show when=move || tab.get() == Tab::Time>
                        <Button
                            variant=ButtonVariant::Secondary
                            loading=xlsx_pending
                            disabled=invalid
                            on_click=move |_| {
                                export_xlsx.dispatch_local(());
                            }
                            {..}
                            data-testid="report-xlsx"
                        >
                            <DownloadIcon />
                            "Excel"
                        </Button>
                    </Show>
                    <Button variant=ButtonVariant::Secondary on_click=move |_| browser::print() {..} data-testid="report-print">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M7 9V3h10v6M7 17H4v-8h16v8h-3M7 14h10v7H7z" />
                        </svg>
                        "Print"
                    </Button>
                </div>
            </header>
            <div class="report-switches no-print">
                <div class="segmented" role="tablist" aria-label="Report">
                    <Segment
                        label="Time"
                        selected=Signal::derive(move || tab.get() == Tab::Time)
                        on_click=Callback::new(move |()| report.update(|params| params.tab = Tab::Time))
                    />
                    <Segment
                        label="Attendance"
                        selected=Signal::derive(move || tab.get() == Tab::Attendance)
                        on_click=Callback::new(move |()| report.update(|params| params.tab = Tab::Attendance))
                    />
                </div>
                <Show when=move || tab.get() == Tab::Time>
                    <div class="segmented" role="tablist" aria-label="Show as">
                        <Segment
                            label="Chart"
                            selected=Signal::derive(move || view.get() == View::Chart)
                            on_click=Callback::new(move |()| report.update(|params| params.view = View::Chart))
                        />
                        <Segment
                            label="Table"
                            selected=Signal::derive(move || view.get() == View::Table)
                            on_click=Callback::new(move |()| report.update(|params| params.view = View::Table))
                        />
                    </div>
                </Show>
            </div>
            <FilterBar report=report sees_others=sees_others teams=teams people=people />
            {move || match tab.get() {
                Tab::Time => view! { <TimeTab report=report /> }.into_any(),
                Tab::Attendance => view! { <AttendanceTab report=report /> }.into_any(),
            }}
        </div>
    }
}

/// One choice of a segmented switch.
#[component]
pub(crate) fn Segment(
    label: &'static str,
    #[prop(into)] selected: Signal<bool>,
    on_click: Callback<()>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            role="tab"
            class="segment"
            data-segment=label.to_ascii_lowercase()
            aria-selected=move || selected.get().to_string()
            on:click=move |_| on_click.run(())
        >
            {label}
        </button>
    }
}

#[component]
fn DownloadIcon() -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />
        </svg>
    }
}

/// Figures side by side above a report: a label over each value.
#[component]
fn Stats(items: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <dl class="stats">
            {items
                .into_iter()
                .map(|(label, value)| {
                    view! {
                        <div class="stat">
                            <dt>{label}</dt>
                            <dd data-stat=label.to_ascii_lowercase()>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}

/// A report being loaded: a skeleton meanwhile, then `show` of the report, its error
/// with "Retry", or (when the filters ask for what no report covers, the resource
/// answers none) a pointer to the filter at fault.
#[component]
fn Loaded<T, V, F>(title: &'static str, resource: api::Loaded<Option<T>>, show: F) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <Card title=title><Skeleton lines=6 /></Card> }>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(error) => view! {
                            <ErrorCard title=title error=error on_retry=Callback::new(move |()| resource.refetch()) />
                        }
                        .into_any(),
                        Ok(None) => view! {
                            <Card title=title>
                                <p class="muted">"Choose a range this report can cover: see the filters above."</p>
                            </Card>
                        }
                        .into_any(),
                        Ok(Some(report)) => show(report).into_any(),
                    }
                })
            }}
        </Transition>
    }
}
