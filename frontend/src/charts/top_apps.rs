//! The applications and sites used longest, as bars coloured by how each is classified.

use leptos::prelude::*;
use pulse_shared::reports::{Productivity, ReportRow};

use super::stacked_bars::{Bar, bar_list};
use super::{ChartFrame, Part, PartLegend};
use crate::format;

/// One bar per application or site (rows grouped by application, longest first).
#[component]
pub fn TopApps(rows: Vec<ReportRow>) -> impl IntoView {
    let draw = move |width: f64| {
        let label = "Bars of active time for each application and site, longest first, \
                     coloured by how each is classified"
            .to_owned();
        bar_list(&bars(&rows), width, label)
    };
    view! {
        <ChartFrame title="Top apps and sites" draw=draw>
            <PartLegend parts=Part::ACTIVE />
        </ChartFrame>
    }
}

fn bars(rows: &[ReportRow]) -> Vec<Bar> {
    rows.iter()
        .map(|row| {
            let active = row.figures.active_secs;
            let value = format::hours_minutes(active);
            let mut tip = format!("{}: {value}", row.label);
            if let Some(productivity) = row.productivity {
                tip.push_str(&format!(", {}", productivity.label()));
            }
            if let Some(category) = &row.category {
                tip.push_str(&format!(" ({category})"));
            }
            // "Other" (the rest, summed) has no one classification: neutral's colour.
            let part = Part::from(row.productivity.unwrap_or(Productivity::Neutral));
            Bar {
                label: row.label.clone(),
                value,
                tip,
                pieces: vec![(part, 0, active.max(0))],
            }
        })
        .collect()
}
