//! The policy card: the level tabs (company, team, employee), the chooser of team or
//! person, and the form of the chosen level.

use leptos::prelude::*;
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::Person;
use pulse_shared::policies::PolicyOverview;
use pulse_shared::teams::Team;

use super::draft::Level;
use super::form::PolicyForm;
use super::settings::to_map;
use crate::api::OverrideOf;
use crate::components::{Card, SelectField, SelectOption, Skeleton};
use crate::format;

/// Which form is shown: the level's tab, and the team and person chosen for overrides.
/// Kept by the page, so that loading the policies again after a save keeps the choice.
#[derive(Clone, Copy)]
pub(super) struct Choice {
    pub(super) tab: RwSignal<&'static str>,
    pub(super) team: RwSignal<String>,
    pub(super) person: RwSignal<String>,
}

/// The level tabs, the chooser of team or person, and the form.
#[component]
pub(super) fn PolicyCard(
    overview: PolicyOverview,
    choice: Choice,
    #[prop(into)] teams: Signal<Vec<Team>>,
    #[prop(into)] people: Signal<Vec<Person>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let overview = StoredValue::new(overview);
    let Choice { tab, team, person } = choice;
    let team_options = Signal::derive(move || {
        overview.with_value(|overview| {
            teams
                .get()
                .into_iter()
                .map(|team| {
                    let has = overview
                        .teams
                        .iter()
                        .any(|entry| entry.team_id == Some(team.id));
                    let text = if has {
                        format!("{} · has an override", team.name)
                    } else {
                        team.name
                    };
                    (team.id.to_string(), text)
                })
                .collect::<Vec<SelectOption>>()
        })
    });
    let person_options = Signal::derive(move || {
        overview.with_value(|overview| {
            people
                .get()
                .into_iter()
                .map(|person| {
                    let has = overview
                        .employees
                        .iter()
                        .any(|entry| entry.user_id == Some(person.id));
                    let text = if has {
                        format!("{} · has an override", person.name)
                    } else {
                        person.name
                    };
                    (person.id.to_string(), text)
                })
                .collect::<Vec<SelectOption>>()
        })
    });
    // The label, and a shorter one for phones.
    let tab_button = move |name: &'static str, label: &'static str, short: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="segment"
                data-level=name
                aria-label=label
                aria-selected=move || (tab.get() == name).to_string()
                on:click=move |_| tab.set(name)
            >
                <span class="segment-long" aria-hidden="true">{label}</span>
                <span class="segment-short" aria-hidden="true">{short}</span>
            </button>
        }
    };
    // The form for the chosen level, rebuilt when the level or its target changes.
    let form = move || {
        let company = overview.with_value(|overview| to_map(&overview.company.settings));
        match tab.get() {
            "team" => {
                let Ok(id) = team.get().parse::<TeamId>() else {
                    return view! { <p class="card-inset muted">"Create a team first: its override applies to its people."</p> }.into_any();
                };
                let own = overview.with_value(|overview| {
                    overview
                        .teams
                        .iter()
                        .find(|entry| entry.team_id == Some(id))
                        .map(|entry| to_map(&entry.settings))
                });
                let name = teams.with_untracked(|teams| {
                    teams
                        .iter()
                        .find(|team| team.id == id)
                        .map(|team| format!("team {}", team.name))
                        .unwrap_or_default()
                });
                view! {
                    <PolicyForm
                        level=Level::Override(OverrideOf::Team(id))
                        name=name
                        own=own
                        inherited=company
                        inherited_from="the company default"
                        on_saved=on_saved
                    />
                }
                .into_any()
            }
            "employee" => {
                let Ok(id) = person.get().parse::<UserId>() else {
                    return view! { <div class="card-inset"><Skeleton lines=2 /></div> }.into_any();
                };
                let found = people
                    .with_untracked(|people| people.iter().find(|person| person.id == id).cloned());
                let (own, inherited, from) = overview.with_value(|overview| {
                    let own = overview
                        .employees
                        .iter()
                        .find(|entry| entry.user_id == Some(id))
                        .map(|entry| to_map(&entry.settings));
                    let team_override =
                        found
                            .as_ref()
                            .and_then(|person| person.team_id)
                            .and_then(|team| {
                                overview
                                    .teams
                                    .iter()
                                    .find(|entry| entry.team_id == Some(team))
                            });
                    let inherited = match team_override {
                        Some(entry) => overview.company.settings.with(&entry.settings),
                        None => overview.company.settings.clone(),
                    };
                    let from = if team_override.is_some() {
                        "their team and the company default"
                    } else {
                        "the company default"
                    };
                    (own, to_map(&inherited), from)
                });
                let name = found.map(|person| person.name).unwrap_or_default();
                view! {
                    <PolicyForm
                        level=Level::Override(OverrideOf::Employee(id))
                        name=name
                        own=own
                        inherited=inherited
                        inherited_from=from
                        on_saved=on_saved
                    />
                }
                .into_any()
            }
            _ => view! {
                <PolicyForm
                    level=Level::Company
                    name="the company".to_owned()
                    own=Some(company.clone())
                    inherited=company
                    inherited_from=""
                    on_saved=on_saved
                />
            }
            .into_any(),
        }
    };
    let updated = overview.with_value(|overview| format::minute(overview.company.updated_at));
    view! {
        <Card
            title="Monitoring policy"
            subtitle=format!("Company default last changed {updated}.")
            flush=true
            {..}
            data-testid="policy-card"
        >
            <div class="policy-levels">
                <div class="segmented" role="tablist" aria-label="Level">
                    {tab_button("company", "Company default", "Company")}
                    {tab_button("team", "Team override", "Team")}
                    {tab_button("employee", "Employee override", "Employee")}
                </div>
                <Show when=move || tab.get() == "team">
                    <SelectField id="policy-team" name="policy_team" label="Team" value=team options=team_options />
                </Show>
                <Show when=move || tab.get() == "employee">
                    <SelectField
                        id="policy-person"
                        name="policy_person"
                        label="Employee"
                        value=person
                        options=person_options
                    />
                </Show>
            </div>
            {form}
        </Card>
    }
}
