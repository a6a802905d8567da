//! A day's timeline (rows grouped by hour): each hour of the day as a column of its
//! productive, neutral, unproductive and idle minutes, one lane per day of the range.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use leptos::prelude::*;
use pulse_shared::reports::ReportRow;

use crate::format::{self, DayStyle};

use super::{
    Axis, ChartFrame, Part, PartLegend, TICK_GAP, grid_line, pieces_text, px, stack, svg, tooltip,
};

/// Room above the lanes (the axis title), left of them (tick labels), between them,
/// and below the last (hour labels and the axis title); each lane's heading.
const TOP: f64 = 24.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const GAP: f64 = 10.0;
const BOTTOM: f64 = 46.0;
const HEADING: f64 = 20.0;

/// For one person a column is full when the hour was worked throughout; for several,
/// the axis grows to the busiest hour.
const HOUR: Axis = Axis {
    step: 1_800,
    top: 3_600,
};

/// The timeline of the days in `rows`.
#[component]
pub fn DayTimeline(rows: Vec<ReportRow>) -> impl IntoView {
    let draw = move |width: f64| lanes_chart(&rows, width);
    view! {
        <ChartFrame title="Hour by hour" draw=draw>
            <PartLegend parts=Part::WORKED />
        </ChartFrame>
    }
}

fn lanes_chart(rows: &[ReportRow], width: f64) -> impl IntoView + use<> {
    let mut days: BTreeMap<NaiveDate, Vec<(u32, &ReportRow)>> = BTreeMap::new();
    for row in rows {
        if let Some((day, hour)) = hour_key(&row.key) {
            days.entry(day).or_default().push((hour, row));
        }
    }
    // One day gets a tall lane; many days get short ones, one under the other.
    let lane = if days.len() <= 1 { 140.0 } else { 56.0 };
    let plot_width = width - LEFT - RIGHT;
    let slot = plot_width / 24.0;
    let bar = slot * 0.75;
    let x = move |hour: f64| LEFT + hour * slot;
    let busiest = rows
        .iter()
        .map(|row| row.figures.worked_secs)
        .max()
        .unwrap_or(0);
    let axis = if busiest <= HOUR.top {
        HOUR
    } else {
        Axis::new(busiest, if lane >= 100.0 { 4 } else { 1 })
    };
    let lanes = days
        .iter()
        .enumerate()
        .map(|(index, (day, hours))| {
            let top = TOP + index as f64 * (HEADING + lane + GAP);
            let base = top + HEADING + lane;
            let y = move |secs: i64| base - axis.share(secs) * lane;
            let ticks = axis
                .ticks()
                .skip(1)
                .filter(|tick| lane >= 100.0 || *tick == axis.top)
                .map(|tick| grid_line(y(tick), (LEFT, width - RIGHT), tick))
                .collect_view();
            let columns = hours
                .iter()
                .map(|(hour, row)| {
                    let pieces = stack(&row.figures, Part::WORKED);
                    let tip = format!(
                        "{}, {hour:02}:00–{:02}:00: {}",
                        format::day(*day, DayStyle::WeekdayDayMonth),
                        hour + 1,
                        pieces_text(&pieces)
                    );
                    let left = x(f64::from(*hour)) + (slot - bar) / 2.0;
                    let rects = pieces
                        .into_iter()
                        .map(|(part, start, length)| {
                            view! {
                                <rect
                                    class=part.class()
                                    x=px(left)
                                    y=px(y(start + length))
                                    width=px(bar)
                                    height=px(y(start) - y(start + length))
                                />
                            }
                        })
                        .collect_view();
                    view! {
                        <g class="chart-mark">
                            {tooltip(tip)}
                            <rect class="chart-hit" x=px(x(f64::from(*hour))) y=px(top + HEADING) width=px(slot) height=px(lane) />
                            {rects}
                        </g>
                    }
                })
                .collect_view();
            view! {
                <text class="chart-label" x=0 y=px(top + 13.0)>{crate::days::long(*day)}</text>
                {ticks}
                <line class="chart-axis" x1=px(LEFT) x2=px(width - RIGHT) y1=px(base) y2=px(base) />
                {columns}
            }
        })
        .collect_view();
    let base = TOP + days.len().max(1) as f64 * (HEADING + lane + GAP) - GAP;
    // Every third hour, or every sixth where three hours are too narrow for a label.
    let every = if slot * 3.0 >= 30.0 { 3 } else { 6 };
    let hours = (0..=24)
        .step_by(every)
        .map(|hour| {
            let anchor = match hour {
                0 => "start",
                24 => "end",
                _ => "middle",
            };
            view! {
                <text class="chart-tick" x=px(x(f64::from(hour))) y=px(base + TICK_GAP) text-anchor=anchor>
                    {format!("{hour:02}")}
                </text>
            }
        })
        .collect_view();
    let label = "Columns of productive, neutral, unproductive and idle minutes for each hour \
                 of each day"
        .to_owned();
    svg(
        width,
        base + BOTTOM,
        label,
        view! {
            <text class="chart-axis-title" x=0 y=12>"Time in the hour"</text>
            {lanes}
            {hours}
            <text class="chart-axis-title" x=px(LEFT + plot_width / 2.0) y=px(base + 40.0) text-anchor="middle">
                "Hour of the day"
            </text>
        },
    )
}

/// `2026-03-29T14` → the day and the hour.
fn hour_key(key: &str) -> Option<(NaiveDate, u32)> {
    let (day, hour) = key.split_once('T')?;
    let day = crate::format::parse_day(day)?;
    let hour = hour.parse().ok().filter(|hour| *hour < 24)?;
    Some((day, hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_keys_name_a_day_and_an_hour() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 29);
        assert_eq!(hour_key("2026-03-29T14"), day.map(|day| (day, 14)));
        assert_eq!(hour_key("2026-03-29T00"), day.map(|day| (day, 0)));
        assert_eq!(hour_key("2026-03-29T24"), None);
        assert_eq!(hour_key("2026-03-29"), None);
        assert_eq!(hour_key("1-09"), None);
    }
}
