//! The attendance report: how many days started late, ended early or were missed, and
//! each person's days against their working hours, in their own time zone.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use pulse_shared::reports::{AttendanceDay, AttendanceReport, AttendanceSummary};

use super::filters::Report;
use super::{Loaded, Stats};
use crate::api;
use crate::components::{Badge, BadgeTone, Card, DataTable, Empty};
use crate::days;
use crate::format::{self, DayStyle};
use crate::reactive::memo;
use crate::session::use_session;

/// The attendance tab: loads the report whenever its query changes.
#[component]
pub(super) fn AttendanceTab(report: Report) -> impl IntoView {
    let session = use_session();
    let query = memo(move || {
        report
            .params
            .with(|params| params.fault().is_none().then(|| params.attendance_query()))
    });
    let loaded = api::Loaded::new(move || {
        let query = query.get();
        async move {
            match query {
                Some(query) => api::attendance_report(session, &query).await.map(Some),
                None => Ok(None),
            }
        }
    });
    view! {
        <Loaded
            title="Attendance"
            resource=loaded
            show=|attendance: AttendanceReport| view! { <AttendanceCard attendance=attendance /> }
        />
    }
}

#[component]
fn AttendanceCard(attendance: AttendanceReport) -> impl IntoView {
    let subtitle = format!(
        "Against each person's working hours, with {} minutes' grace; times are on each person's own clock.",
        attendance.grace_mins
    );
    let is_empty = attendance.days.is_empty();
    view! {
        <Card title="Attendance" subtitle=subtitle flush=true {..} data-testid="attendance-report">
            <Stats items=counts(&attendance.summary) />
            <div
                class="table-scroll table-stack table-stack-wide"
                tabindex="0"
                role="region"
                aria-label="Attendance table"
            >
                <DataTable
                    columns=&["Employee", "Day", "Status", "First activity", "Last activity", "Worked", "Late by", "Early by"]
                    is_empty=Signal::stored(is_empty)
                    {..}
                    class:table-attendance=true
                    data-testid="attendance"
                >
                    <Empty slot>"No days to show for these people."</Empty>
                    {attendance.days.into_iter().map(day_row).collect_view()}
                </DataTable>
            </div>
        </Card>
    }
}

fn counts(summary: &AttendanceSummary) -> Vec<(&'static str, String)> {
    vec![
        ("On time", summary.on_time.to_string()),
        ("Late start", summary.late_start.to_string()),
        ("Early end", summary.early_end.to_string()),
        ("Absent", summary.absent.to_string()),
    ]
}

fn day_row(day: AttendanceDay) -> impl IntoView {
    let hours = match (&day.expected_start, &day.expected_end) {
        (Some(start), Some(end)) => format!("{start}–{end}"),
        _ => String::new(),
    };
    let moment = |at: Option<DateTime<Utc>>| {
        at.map_or_else(|| "—".to_owned(), |at| days::time_in(at, &day.time_zone))
    };
    let minutes = |mins: Option<u32>| {
        mins.map_or_else(
            || "—".to_owned(),
            |mins| format::hours_minutes(i64::from(mins) * 60),
        )
    };
    let zone = day.time_zone.clone();
    view! {
        <tr data-user-id=day.user_id.to_string() data-day=day.day.to_string() data-status=day.status.as_str()>
            <td class="cell-title cell-person">{day.name.clone()}</td>
            <td class="cell-day">
                <span class="stacked">
                    <span>{format::day(day.day, DayStyle::WeekdayDate)}</span>
                    <span class="cell-sub">{hours}</span>
                </span>
            </td>
            <td class="cell-status">
                <Badge tone=BadgeTone::from(day.status)>{day.status.label()}</Badge>
            </td>
            <td class="cell-first" data-label="First activity" title=zone.clone()>{moment(day.first_activity_at)}</td>
            <td class="cell-last" data-label="Last activity" title=zone>{moment(day.last_activity_at)}</td>
            <td class="cell-worked" data-label="Worked">{format::hours_minutes(day.worked_secs)}</td>
            <td class="cell-late" data-label="Late by">{minutes(day.late_by_mins)}</td>
            <td class="cell-early" data-label="Early by">{minutes(day.early_by_mins)}</td>
        </tr>
    }
}
