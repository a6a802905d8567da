//! The time report as a table: a row per report row, then the total; stacked on phones.

use leptos::prelude::*;
use pulse_shared::reports::{Figures, Grouping, ReportRow};

use crate::components::{Badge, BadgeTone, DataTable, Empty};
use crate::format;

/// The figures' columns, after the row's name (and their labels when stacked).
const FIGURES: [&str; 7] = [
    "Worked",
    "Active",
    "Idle",
    "Activity",
    "Productive",
    "Neutral",
    "Unproductive",
];

/// Every row and the total.
#[component]
pub(crate) fn ReportTable(rows: Vec<ReportRow>, group: Grouping, total: Figures) -> impl IntoView {
    let by_app = group == Grouping::App;
    let mut columns = vec![group.label()];
    columns.extend(FIGURES);
    if by_app {
        columns.push("Classified as");
    }
    let is_empty = rows.is_empty();
    view! {
        // No control inside to reach it by: the region itself takes the focus, so that
        // the keyboard can scroll it sideways.
        <div
            class="table-scroll table-stack table-stack-wide"
            tabindex="0"
            role="region"
            aria-label="Report table"
        >
            <DataTable
                columns=columns
                is_empty=Signal::stored(is_empty)
                {..}
                class:table-report=true
                data-testid="report-table"
            >
                <Empty slot>"Nothing was recorded for these people on these days."</Empty>
                {rows
                    .into_iter()
                    .map(|row| {
                        let class = by_app.then(|| classification(&row));
                        view! {
                            <tr data-key=row.key.clone()>
                                <td class="cell-title cell-wrap">{row.label}</td>
                                <FigureCells figures=row.figures />
                                {class}
                            </tr>
                        }
                    })
                    .collect_view()}
                {(!is_empty)
                    .then(|| {
                        view! {
                            <tr class="table-total" data-key="total">
                                <td class="cell-title">"Total"</td>
                                <FigureCells figures=total />
                                {by_app.then(|| view! { <td class="cell-class"></td> })}
                            </tr>
                        }
                    })}
            </DataTable>
        </div>
    }
}

/// The figures of a row, labelled for the stacked layout.
#[component]
fn FigureCells(figures: Figures) -> impl IntoView {
    let productive = figures.productive_percent();
    let texts = [
        format::hours_minutes(figures.worked_secs),
        format::hours_minutes(figures.active_secs),
        format::hours_minutes(figures.idle_secs),
        format!("{} %", figures.activity_percent),
        format!(
            "{} ({productive} %)",
            format::hours_minutes(figures.productive_secs)
        ),
        format::hours_minutes(figures.neutral_secs),
        format::hours_minutes(figures.unproductive_secs),
    ];
    FIGURES
        .into_iter()
        .zip(texts)
        .map(|(label, text)| view! { <td class="cell-figure" data-label=label>{text}</td> })
        .collect_view()
}

/// An application's classification and category.
fn classification(row: &ReportRow) -> impl IntoView + use<> {
    let category = row.category.clone().unwrap_or_default();
    let badge = row.productivity.map(|productivity| {
        view! {
            <Badge tone=BadgeTone::from(productivity) {..} data-productivity=productivity.as_str()>
                {productivity.label()}
            </Badge>
        }
    });
    view! {
        <td class="cell-class" data-label="Classified as">
            <span class="stacked">
                {badge}
                <span class="cell-sub">{category}</span>
            </span>
        </td>
    }
}
