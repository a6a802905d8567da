//! The report's parameters as the URL holds them ([`Report`]), and the filter bar that
//! changes them: range presets, from and to, grouping, time zone, team and person, and
//! the attendance tolerance.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use pulse_shared::people::Person;
use pulse_shared::reports::{Grouping, MAX_GRACE_MINS};
use pulse_shared::teams::Team;

use super::params::{Preset, ReportParams, Tab};
use crate::components::{FormField, SelectField, SelectOption};
use crate::days;
use crate::reactive::{effect, memo};

/// The report's parameters, read from the query string (tracked), and the one way to
/// change them: a new query string, replacing the current one.
#[derive(Clone, Copy)]
pub(super) struct Report {
    pub params: Memo<ReportParams>,
    /// Today on the browser's clock, read once when the page opens.
    pub today: NaiveDate,
    navigate: StoredValue<Navigate, LocalStorage>,
}

/// Replaces the page's query string (given without `?`).
type Navigate = Box<dyn Fn(&str)>;

impl Report {
    pub fn new() -> Self {
        let today = days::today();
        let query = use_query_map();
        let params =
            memo(move || query.with(|query| ReportParams::read(|name| query.get(name), today)));
        let router = use_navigate();
        let pathname = use_location().pathname;
        let navigate: Navigate = Box::new(move |search: &str| {
            let path = format!("{}?{search}", pathname.get_untracked());
            let options = NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            };
            router(&path, options);
        });
        let report = Self {
            params,
            today,
            navigate: StoredValue::new_local(navigate),
        };
        // The URL always spells the report out (the range above all), so that a link
        // copied from it shows the same days tomorrow.
        effect(move |_| {
            let wanted = params.with(ReportParams::query_string);
            let pairs = |query: &ParamsMap| {
                spells(
                    query
                        .into_iter()
                        .map(|(name, value)| (name.as_ref(), value)),
                    &wanted,
                )
            };
            if !query.with(pairs) {
                report.navigate.with_value(|navigate| navigate(&wanted));
            }
        });
        report
    }

    /// Changes the parameters with `change`.
    pub fn update(self, change: impl FnOnce(&mut ReportParams)) {
        let mut params = self.params.get_untracked();
        change(&mut params);
        if params != self.params.get_untracked() {
            let search = params.query_string();
            self.navigate.with_value(|navigate| navigate(&search));
        }
    }
}

/// Whether `query` (decoded pairs) holds exactly the pairs of the query string `wanted`,
/// in any order. Rationale: both sides decoded, so that how the URL escapes `/` cannot
/// matter.
fn spells<'a>(query: impl IntoIterator<Item = (&'a str, &'a str)>, wanted: &str) -> bool {
    let mut have: Vec<(String, String)> = query
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let mut want: Vec<(String, String)> = serde_urlencoded::from_str(wanted).unwrap_or_default();
    crate::sort::ascending(&mut have);
    crate::sort::ascending(&mut want);
    have == want
}

/// The text of a control bound to one parameter: `read` gives it from the URL (again
/// whenever the URL changes), `write` puts the control's text back (ignoring text that
/// does not read as a value, such as a half-typed number).
fn bound(
    report: Report,
    read: fn(&ReportParams) -> String,
    write: fn(&mut ReportParams, &str),
) -> RwSignal<String> {
    let text = RwSignal::new(report.params.with_untracked(read));
    effect(move |_| {
        let value = report.params.with(read);
        if text.with_untracked(|text| *text != value) {
            text.set(value);
        }
    });
    effect(move |first| {
        let value = text.get();
        if !first {
            report.update(|params| write(params, &value));
        }
    });
    text
}

/// The filters; which ones show depends on the tab and on whether the viewer sees
/// others than themself.
#[component]
pub(super) fn FilterBar(
    report: Report,
    /// Whether the viewer may choose a team or a person.
    #[prop(into)]
    sees_others: Signal<bool>,
    #[prop(into)] teams: Signal<Vec<Team>>,
    #[prop(into)] people: Signal<Vec<Person>>,
) -> impl IntoView {
    let params = report.params;
    let from = bound(
        report,
        |params| params.from.to_string(),
        |params, text| {
            if let Some(day) = days::parse_input(text) {
                params.from = day;
            }
        },
    );
    let to = bound(
        report,
        |params| params.to.to_string(),
        |params, text| {
            if let Some(day) = days::parse_input(text) {
                params.to = day;
            }
        },
    );
    let group = bound(
        report,
        |params| params.group.as_str().to_owned(),
        |params, text| {
            if let Ok(group) = text.parse() {
                params.group = group;
            }
        },
    );
    let zone = bound(
        report,
        |params| params.time_zone.clone().unwrap_or_default(),
        |params, text| params.time_zone = Some(text.to_owned()).filter(|zone| !zone.is_empty()),
    );
    let team = bound(
        report,
        |params| params.team_id.map(|id| id.to_string()).unwrap_or_default(),
        |params, text| {
            let team = text.parse().ok();
            if team != params.team_id {
                // The person chosen may not be in the new team.
                params.team_id = team;
                params.user_id = None;
            }
        },
    );
    let person = bound(
        report,
        |params| params.user_id.map(|id| id.to_string()).unwrap_or_default(),
        |params, text| params.user_id = text.parse().ok(),
    );
    let grace = bound(
        report,
        |params| params.grace_mins.to_string(),
        |params, text| {
            if let Some(mins) = text
                .trim()
                .parse()
                .ok()
                .filter(|mins| *mins <= MAX_GRACE_MINS)
            {
                params.grace_mins = mins;
            }
        },
    );

    let fault = move |field: &'static str| {
        Signal::derive(move || {
            params.with(|params| {
                params
                    .fault()
                    .filter(|(blamed, _)| *blamed == field)
                    .map(|(_, message)| message)
            })
        })
    };
    let grace_error = Signal::derive(move || {
        let fits = grace.with(|text| {
            text.trim()
                .parse::<u32>()
                .is_ok_and(|mins| mins <= MAX_GRACE_MINS)
        });
        (!fits).then(|| format!("Give 0 to {MAX_GRACE_MINS} minutes."))
    });
    let group_options = Signal::derive(move || {
        Grouping::ALL
            .iter()
            .filter(|group| {
                sees_others.get() || !matches!(group, Grouping::Person | Grouping::Team)
            })
            .map(|group| (group.as_str().to_owned(), group.label().to_owned()))
            .collect::<Vec<SelectOption>>()
    });
    let zone_options = Signal::derive(move || zone_options(days::zone_id(), zone.get()));
    let team_options = Signal::derive(move || {
        let mut options = vec![(String::new(), "Every team".to_owned())];
        options.extend(
            teams
                .get()
                .into_iter()
                .map(|team| (team.id.to_string(), team.name)),
        );
        options
    });
    let person_options = Signal::derive(move || {
        let chosen_team = params.with(|params| params.team_id);
        let mut people: Vec<Person> = people
            .get()
            .into_iter()
            .filter(|person| chosen_team.is_none() || person.team_id == chosen_team)
            .collect();
        crate::sort::by_key(&mut people, |person| person.name.to_lowercase());
        let mut options = vec![(String::new(), "Everyone".to_owned())];
        options.extend(
            people
                .into_iter()
                .map(|person| (person.id.to_string(), person.name)),
        );
        options
    });
    let on_time = move || params.with(|params| params.tab == Tab::Time);
    let on_attendance = move || params.with(|params| params.tab == Tab::Attendance);

    view! {
        <form class="filter-bar filter-bar-reports no-print" on:submit=|event| event.prevent_default() data-testid="report-filters">
            <div class="report-presets" role="group" aria-label="Range">
                {Preset::ALL
                    .into_iter()
                    .map(|preset| {
                        let range = preset.range(report.today);
                        let chosen = move || params.with(|params| (params.from, params.to) == range);
                        view! {
                            <button
                                type="button"
                                class="btn btn-secondary btn-small"
                                aria-pressed=move || chosen().to_string()
                                data-preset=format!("{preset:?}")
                                on:click=move |_| report.update(|params| (params.from, params.to) = range)
                            >
                                {preset.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <FormField id="report-from" name="from" label="From" input_type="date" value=from />
            <FormField id="report-to" name="to" label="To" input_type="date" value=to error=fault("to") />
            <Show when=on_time>
                <SelectField id="report-group" name="group" label="Group by" value=group options=group_options error=fault("group") />
                <SelectField id="report-zone" name="time_zone" label="Time zone" value=zone options=zone_options />
            </Show>
            <Show when=move || sees_others.get()>
                <SelectField id="report-team" name="team_filter" label="Team" value=team options=team_options />
                <SelectField id="report-person" name="person_filter" label="Employee" value=person options=person_options />
            </Show>
            <Show when=on_attendance>
                <FormField
                    id="report-grace"
                    name="grace_mins"
                    label="Grace (minutes)"
                    input_type="number"
                    hint="How late a start or how early an end still counts as on time."
                    value=grace
                    error=grace_error
                />
            </Show>
        </form>
    }
}

/// The time zones to choose from: the company's (empty), the browser's, and the one in
/// the URL when it is neither.
fn zone_options(browser: Option<String>, chosen: String) -> Vec<SelectOption> {
    let mut options = vec![(String::new(), "The company's".to_owned())];
    if let Some(zone) = browser.filter(|zone| !zone.is_empty()) {
        options.push((zone.clone(), format!("Yours ({zone})")));
    }
    if !chosen.is_empty() && !options.iter().any(|(value, _)| *value == chosen) {
        options.push((chosen.clone(), chosen));
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_spell_a_report_whatever_their_order_and_escaping() {
        let query = [
            ("to", "2026-03-31"),
            ("time_zone", "Europe/Berlin"),
            ("from", "2026-03-01"),
        ];
        assert!(spells(
            query,
            "from=2026-03-01&to=2026-03-31&time_zone=Europe%2FBerlin"
        ));
        assert!(!spells(query, "from=2026-03-01&to=2026-03-31"));
        assert!(!spells([], "from=2026-03-01&to=2026-03-31"));
    }

    #[test]
    fn zones_offer_the_company_the_browser_and_the_chosen_one() {
        let berlin = Some("Europe/Berlin".to_owned());
        let values = |options: Vec<SelectOption>| {
            options
                .into_iter()
                .map(|(value, _)| value)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            values(zone_options(berlin.clone(), String::new())),
            ["", "Europe/Berlin"]
        );
        assert_eq!(
            values(zone_options(berlin.clone(), "Europe/Berlin".to_owned())),
            ["", "Europe/Berlin"]
        );
        assert_eq!(
            values(zone_options(berlin, "Asia/Tokyo".to_owned())),
            ["", "Europe/Berlin", "Asia/Tokyo"]
        );
        assert_eq!(values(zone_options(None, String::new())), [""]);
    }
}
