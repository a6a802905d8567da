//! The time report: the totals, the chart that suits the grouping, and the same rows as
//! a table. The view switch hides one of the two on screen; printing shows both.

use leptos::prelude::*;
use pulse_shared::reports::{Figures, Grouping, ReportRow, TimeReport};

use super::filters::Report;
use super::params::View;
use super::table::ReportTable;
use super::{Loaded, Stats};
use crate::api;
use crate::charts::{DayTimeline, Heatmap, StackedBars, TopApps};
use crate::components::Card;
use crate::format;
use crate::reactive::memo;
use crate::session::use_session;

/// The time tab: loads the report whenever its query changes (not when only the view
/// does).
#[component]
pub(super) fn TimeTab(report: Report) -> impl IntoView {
    let session = use_session();
    let query = memo(move || {
        report
            .params
            .with(|params| params.fault().is_none().then(|| params.time_query()))
    });
    let loaded = api::Loaded::new(move || {
        let query = query.get();
        async move {
            match query {
                Some(query) => api::time_report(session, &query).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let view = memo(move || report.params.with(|params| params.view));
    view! {
        <Loaded
            title="Time"
            resource=loaded
            show=move |time: TimeReport| view! { <TimeCard time=time view=view /> }
        />
    }
}

/// The report's totals, chart and table.
#[component]
fn TimeCard(time: TimeReport, view: Memo<View>) -> impl IntoView {
    let group = time.group;
    let subtitle = format!("Times of day in {}.", time.time_zone);
    let nothing = time.total.worked_secs == 0;
    let chart = (!nothing).then(|| chart(group, time.rows.clone()));
    view! {
        <Card
            title=format!("Time by {}", group.label().to_ascii_lowercase())
            subtitle=subtitle
            flush=true
            {..}
            data-testid="time-report"
            data-group=group.as_str()
        >
            <Stats items=totals(&time.total) />
            <div class="report-chart" class:print-only=move || view.get() == View::Table>
                {chart.unwrap_or_else(|| view! { <p class="card-inset muted">"Nothing was recorded for these people on these days."</p> }.into_any())}
            </div>
            <div class="report-table" class:print-only=move || view.get() == View::Chart>
                <ReportTable rows=time.rows group=group total=time.total />
            </div>
        </Card>
    }
}

/// The chart for `group`.
fn chart(group: Grouping, rows: Vec<ReportRow>) -> AnyView {
    match group {
        Grouping::Hour => view! { <DayTimeline rows=rows /> }.into_any(),
        Grouping::WeekdayHour => view! { <Heatmap rows=rows /> }.into_any(),
        Grouping::App => view! { <TopApps rows=rows /> }.into_any(),
        _ => view! { <StackedBars rows=rows group=group /> }.into_any(),
    }
}

/// The totals above the chart.
fn totals(total: &Figures) -> Vec<(&'static str, String)> {
    vec![
        ("Worked", format::hours_minutes(total.worked_secs)),
        ("Active", format::hours_minutes(total.active_secs)),
        ("Idle", format::hours_minutes(total.idle_secs)),
        ("Activity", format!("{} %", total.activity_percent)),
        ("Productive", format!("{} %", total.productive_percent())),
    ]
}
