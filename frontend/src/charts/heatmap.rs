//! Activity by weekday and hour of the day (rows grouped by weekday and hour): a grid of
//! 7 × 24 cells, darker for more active time over the range.

use leptos::prelude::*;
use pulse_shared::reports::ReportRow;

use super::{ChartFrame, TICK_GAP, ceil_div, px, svg, tooltip};
use crate::format;

/// Room above the grid (the axis title), left of it (weekdays) and below it (hours and
/// the axis title).
const TOP: f64 = 24.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 8.0;
const BOTTOM: f64 = 46.0;
/// How many shades active time is shown in (0, nothing, is the lightest).
const LEVELS: i64 = 5;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The grid of the week's hours.
#[component]
pub fn Heatmap(rows: Vec<ReportRow>) -> impl IntoView {
    let mut cells = [[0_i64; 24]; 7];
    for row in &rows {
        if let Some((weekday, hour)) = weekday_hour(&row.key) {
            cells[weekday][hour] += row.figures.active_secs.max(0);
        }
    }
    let most = cells.iter().flatten().copied().max().unwrap_or(0);
    let draw = move |width: f64| grid(&cells, most, width);
    let shades = (0..=LEVELS)
        .map(|level| view! { <span class=format!("legend-swatch heat-{level}")></span> })
        .collect_view();
    view! {
        <ChartFrame title="Activity by weekday and hour" draw=draw>
            <span class="legend-item">
                "Less" {shades} "More"
            </span>
            <span class="legend-item muted">
                {format!("Darkest: up to {} active", format::hours_minutes(most))}
            </span>
        </ChartFrame>
    }
}

fn grid(cells: &[[i64; 24]; 7], most: i64, width: f64) -> impl IntoView + use<> {
    let plot_width = width - LEFT - RIGHT;
    let cell = plot_width / 24.0;
    let height = cell.clamp(16.0, 30.0);
    let base = TOP + 7.0 * height;
    let marks = cells
        .iter()
        .enumerate()
        .map(|(day, hours)| {
            let top = TOP + day as f64 * height;
            let squares = hours
                .iter()
                .enumerate()
                .map(|(hour, secs)| {
                    let tip = format!(
                        "{} {hour:02}:00–{:02}:00: {} active",
                        WEEKDAYS[day],
                        hour + 1,
                        format::hours_minutes(*secs)
                    );
                    view! {
                        <rect
                            class=format!("heat-{}", level(*secs, most))
                            x=px(LEFT + hour as f64 * cell + 1.0)
                            y=px(top + 1.0)
                            width=px(cell - 2.0)
                            height=px(height - 2.0)
                            rx=2
                        >
                            {tooltip(tip)}
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <text class="chart-tick" x=px(LEFT - 6.0) y=px(top + height / 2.0 + 4.0) text-anchor="end">
                    {WEEKDAYS[day]}
                </text>
                {squares}
            }
        })
        .collect_view();
    let every = if cell * 3.0 >= 30.0 { 3 } else { 6 };
    let hours = (0..=24)
        .step_by(every)
        .map(|hour| {
            let anchor = match hour {
                0 => "start",
                24 => "end",
                _ => "middle",
            };
            view! {
                <text class="chart-tick" x=px(LEFT + f64::from(hour) * cell) y=px(base + TICK_GAP) text-anchor=anchor>
                    {format!("{hour:02}")}
                </text>
            }
        })
        .collect_view();
    let label = "Grid of active time by weekday (rows) and hour of the day (columns), darker \
                 for more"
        .to_owned();
    svg(
        width,
        base + BOTTOM,
        label,
        view! {
            <text class="chart-axis-title" x=0 y=12>"Weekday"</text>
            {marks}
            {hours}
            <text class="chart-axis-title" x=px(LEFT + plot_width / 2.0) y=px(base + 40.0) text-anchor="middle">
                "Hour of the day"
            </text>
        },
    )
}

/// `1-09` (ISO weekday 1 to 7, hour 00 to 23) → the row (Monday 0) and the column.
fn weekday_hour(key: &str) -> Option<(usize, usize)> {
    let (weekday, hour) = key.split_once('-')?;
    let weekday: usize = weekday.parse().ok().filter(|day| (1..=7).contains(day))?;
    let hour: usize = hour.parse().ok().filter(|hour| *hour < 24)?;
    Some((weekday - 1, hour))
}

/// The shade of `secs` where `most` is the darkest: 0 for nothing, else 1 to 5.
fn level(secs: i64, most: i64) -> i64 {
    if secs <= 0 || most <= 0 {
        0
    } else {
        ceil_div(secs.min(most) * LEVELS, most).clamp(1, LEVELS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_a_weekday_and_an_hour() {
        assert_eq!(weekday_hour("1-09"), Some((0, 9)));
        assert_eq!(weekday_hour("7-23"), Some((6, 23)));
        assert_eq!(weekday_hour("0-09"), None);
        assert_eq!(weekday_hour("8-09"), None);
        assert_eq!(weekday_hour("3-24"), None);
        assert_eq!(weekday_hour("2026-03-29"), None);
    }

    #[test]
    fn shades_grow_with_time_and_only_nothing_is_blank() {
        assert_eq!(level(0, 100), 0);
        assert_eq!(level(1, 100), 1);
        assert_eq!(level(20, 100), 1);
        assert_eq!(level(21, 100), 2);
        assert_eq!(level(100, 100), 5);
        assert_eq!(level(5, 0), 0);
    }
}
