//! Stacked bars of productive, neutral and unproductive time per row: columns along
//! the range for days, weeks and months; a bar under each name for people, teams and
//! categories (the same list, one colour per bar, is the top applications chart).

use leptos::prelude::*;
use pulse_shared::reports::{Grouping, ReportRow};

use super::{
    Axis, ChartFrame, Part, PartLegend, Piece, TICK_GAP, fit, grid_line, pieces_text, px, stack,
    svg, text_width, tick_label, tooltip,
};
use crate::format::{self, DayStyle};

/// The chart for rows grouped by day, week or month (columns) or by person, team or
/// category (bars).
#[component]
pub fn StackedBars(rows: Vec<ReportRow>, group: Grouping) -> impl IntoView {
    let title = format!("Active time by {}", group.label().to_ascii_lowercase());
    let along_time = matches!(group, Grouping::Day | Grouping::Week | Grouping::Month);
    let draw = move |width: f64| {
        if along_time {
            columns(&rows, group, width).into_any()
        } else {
            let label = format!(
                "Bars of productive, neutral and unproductive time for each {}",
                group.label().to_ascii_lowercase()
            );
            bar_list(&bars(&rows), width, label).into_any()
        }
    };
    view! {
        <ChartFrame title=title draw=draw>
            <PartLegend parts=Part::ACTIVE />
        </ChartFrame>
    }
}

/// Room above the columns (the axis title), left of them (tick labels) and below them
/// (their labels and the axis title); the height of the columns at their tallest.
const TOP: f64 = 26.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const BOTTOM: f64 = 46.0;
const PLOT: f64 = 200.0;

/// Columns along the range, labelled below, with hours up the side.
fn columns(rows: &[ReportRow], group: Grouping, width: f64) -> impl IntoView + use<> {
    let plot_width = width - LEFT - RIGHT;
    let slot = plot_width / rows.len().max(1) as f64;
    let bar = (slot * 0.7).clamp(1.0, 56.0);
    let most = rows.iter().map(|row| row.figures.active_secs).max();
    let axis = Axis::new(most.unwrap_or(0), 5);
    let labels: Vec<String> = rows
        .iter()
        .map(|row| short_label(group, &row.key, &row.label))
        .collect();
    // Label every n-th column, so that labels never overlap.
    let widest = labels
        .iter()
        .map(|label| text_width(label))
        .fold(0.0, f64::max)
        + 8.0;
    let every = (widest / slot).ceil().max(1.0) as usize;
    let base = TOP + PLOT;
    let y = move |secs: i64| base - axis.share(secs) * PLOT;
    let grid = axis
        .ticks()
        .map(|tick| grid_line(y(tick), (LEFT, width - RIGHT), tick))
        .collect_view();
    let marks = rows
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(index, (row, label))| {
            let left = LEFT + slot * index as f64;
            let center = left + slot / 2.0;
            let pieces = stack(&row.figures, Part::ACTIVE);
            let tip = format!("{}: {}", row.label, pieces_text(&pieces));
            let rects = pieces
                .into_iter()
                .map(|(part, start, length)| {
                    view! {
                        <rect
                            class=part.class()
                            x=px(center - bar / 2.0)
                            y=px(y(start + length))
                            width=px(bar)
                            height=px(y(start) - y(start + length))
                        />
                    }
                })
                .collect_view();
            let tick = (index % every == 0).then(|| {
                view! {
                    <text class="chart-tick" x=px(center) y=px(base + TICK_GAP) text-anchor="middle">
                        {label}
                    </text>
                }
            });
            view! {
                <g class="chart-mark">
                    {tooltip(tip)}
                    <rect class="chart-hit" x=px(left) y=px(TOP) width=px(slot) height=px(PLOT) />
                    {rects}
                </g>
                {tick}
            }
        })
        .collect_view();
    let label = format!(
        "Columns of productive, neutral and unproductive time for each {}",
        group.label().to_ascii_lowercase()
    );
    svg(
        width,
        base + BOTTOM,
        label,
        view! {
            <text class="chart-axis-title" x=0 y=12>"Active time"</text>
            {grid}
            <line class="chart-axis" x1=px(LEFT) x2=px(width - RIGHT) y1=px(base) y2=px(base) />
            {marks}
            <text class="chart-axis-title" x=px(LEFT + plot_width / 2.0) y=px(base + 40.0) text-anchor="middle">
                {group.label()}
            </text>
        },
    )
}

/// A column's label: `29 Mar` for a day, `W13` for a week, `Mar 2026` for a month.
fn short_label(group: Grouping, key: &str, label: &str) -> String {
    let day = format::parse_day;
    let short = match group {
        Grouping::Day => day(key).map(|day| format::day(day, DayStyle::DayMonth)),
        Grouping::Week => key.split_once('-').map(|(_, week)| week.to_owned()),
        Grouping::Month => {
            day(&format!("{key}-01")).map(|month| format::day(month, DayStyle::MonthYear))
        }
        _ => None,
    };
    short.unwrap_or_else(|| label.to_owned())
}

/// One bar of a [`bar_list`]: its name, the figure beside it, its tooltip, its pieces.
pub(super) struct Bar {
    pub label: String,
    pub value: String,
    pub tip: String,
    pub pieces: Vec<Piece>,
}

fn bars(rows: &[ReportRow]) -> Vec<Bar> {
    rows.iter()
        .map(|row| {
            let pieces = stack(&row.figures, Part::ACTIVE);
            Bar {
                label: row.label.clone(),
                value: format::hours_minutes(row.figures.active_secs),
                tip: format!("{}: {}", row.label, pieces_text(&pieces)),
                pieces,
            }
        })
        .collect()
}

/// The height of a bar and of its row (the name above the bar, then a gap).
const BAR: f64 = 14.0;
const ROW: f64 = 46.0;

/// Bars one under the other, each with its name and figure above it, so that names
/// keep the whole width on a phone; hours along the bottom.
pub(super) fn bar_list(bars: &[Bar], width: f64, label: String) -> impl IntoView + use<> {
    let end = |bar: &Bar| {
        bar.pieces
            .last()
            .map_or(0, |(_, start, length)| start + length)
    };
    let axis = Axis::new(
        bars.iter().map(end).max().unwrap_or(0),
        (width / 90.0) as i64,
    );
    let (left, right) = (1.0, width - 1.0);
    let x = move |secs: i64| left + axis.share(secs) * (right - left);
    let base = 4.0 + bars.len() as f64 * ROW;
    let last = axis.top;
    let grid = axis
        .ticks()
        .map(|tick| {
            let anchor = match tick {
                0 => "start",
                _ if tick == last => "end",
                _ => "middle",
            };
            view! {
                <line class="chart-grid" x1=px(x(tick)) x2=px(x(tick)) y1=0 y2=px(base) />
                <text class="chart-tick" x=px(x(tick)) y=px(base + TICK_GAP) text-anchor=anchor>
                    {tick_label(tick)}
                </text>
            }
        })
        .collect_view();
    let marks = bars
        .iter()
        .enumerate()
        .map(|(index, bar)| {
            let top = 4.0 + index as f64 * ROW;
            let room = right - left - text_width(&bar.value) - 12.0;
            let rects = bar
                .pieces
                .iter()
                .map(|(part, start, length)| {
                    view! {
                        <rect
                            class=part.class()
                            x=px(x(*start))
                            y=px(top + 20.0)
                            width=px(x(start + length) - x(*start))
                            height=px(BAR)
                        />
                    }
                })
                .collect_view();
            view! {
                <g class="chart-mark">
                    {tooltip(bar.tip.clone())}
                    <rect class="chart-hit" x=0 y=px(top) width=px(width) height=px(ROW - 4.0) />
                    <text class="chart-label" x=px(left) y=px(top + 13.0)>{fit(&bar.label, room)}</text>
                    <text class="chart-value" x=px(right) y=px(top + 13.0) text-anchor="end">{bar.value.clone()}</text>
                    <rect class="chart-track" x=px(left) y=px(top + 20.0) width=px(right - left) height=px(BAR) />
                    {rects}
                </g>
            }
        })
        .collect_view();
    svg(
        width,
        base + BOTTOM,
        label,
        view! {
            {grid}
            {marks}
            <text class="chart-axis-title" x=px(width / 2.0) y=px(base + 40.0) text-anchor="middle">
                "Active time"
            </text>
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_labelled_briefly() {
        let cases = [
            (Grouping::Day, "2026-03-29", "Sun 29 Mar 2026", "29 Mar"),
            (Grouping::Week, "2026-W13", "Week 13, 2026", "W13"),
            (Grouping::Month, "2026-03", "March 2026", "Mar 2026"),
            (Grouping::Day, "garbled", "As sent", "As sent"),
            (Grouping::Person, "0193a1b2", "Ada Lovelace", "Ada Lovelace"),
        ];
        for (group, key, label, expected) in cases {
            assert_eq!(short_label(group, key, label), expected, "{key}");
        }
    }
}
