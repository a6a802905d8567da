//! The effective policy card: what applies to one employee, and which level each value
//! comes from.

use leptos::prelude::*;
use pulse_shared::ids::UserId;
use pulse_shared::people::Person;
use pulse_shared::policies::{EffectivePolicy, PolicyOverride};
use pulse_shared::teams::Team;
use serde_json::Value;

use super::settings::{describe, settings, to_map};
use crate::api;
use crate::components::{Badge, BadgeTone, Card, ErrorCard, SelectField, SelectOption, Skeleton};
use crate::reactive::effect;

/// Which level an effective value comes from.
pub(super) fn source(effective: &EffectivePolicy, key: &str) -> (&'static str, BadgeTone) {
    let sets = |layer: &Option<PolicyOverride>| {
        layer
            .as_ref()
            .map(to_map)
            .is_some_and(|map| map.get(key).is_some_and(|value| !value.is_null()))
    };
    if sets(&effective.employee) {
        ("Employee override", BadgeTone::Info)
    } else if sets(&effective.team) {
        ("Team override", BadgeTone::Warning)
    } else {
        ("Company default", BadgeTone::Neutral)
    }
}

/// What applies to one employee, and where each value comes from.
#[component]
pub(super) fn EffectiveCard(
    chosen: RwSignal<String>,
    effective: api::Loaded<Option<EffectivePolicy>>,
    #[prop(into)] people: Signal<Vec<Person>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    effect(move |_| {
        if chosen.with_untracked(String::is_empty)
            && let Some(first) = people.with(|people| people.first().map(|p| p.id.to_string()))
        {
            chosen.set(first);
        }
    });
    let options = Signal::derive(move || {
        people
            .get()
            .into_iter()
            .map(|person| (person.id.to_string(), person.name))
            .collect::<Vec<SelectOption>>()
    });
    let team_name = move || {
        let id: Option<UserId> = chosen.get().parse().ok();
        let team = people.with(|people| {
            people
                .iter()
                .find(|person| Some(person.id) == id)
                .and_then(|person| person.team_id)
        });
        team.and_then(|team| {
            teams.with(|teams| teams.iter().find(|t| t.id == team).map(|t| t.name.clone()))
        })
    };
    view! {
        <Card
            title="Effective policy"
            subtitle="What one person's computers follow, and which level each value comes from."
            flush=true
            {..}
            data-testid="effective-policy"
        >
            <div class="card-toolbar">
                <SelectField id="effective-person" name="effective_person" label="Employee" value=chosen options=options />
            </div>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=6 /></div> }>
                {move || Suspend::new(async move {
                    match effective.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Effective policy"
                                        error=error
                                        on_retry=Callback::new(move |()| effective.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <div class="card-inset"><p class="muted">"Choose an employee."</p></div> }.into_any(),
                        Ok(Some(effective)) => {
                            let values = to_map(&effective.settings);
                            let version = effective.version.chars().take(12).collect::<String>();
                            let rows = settings()
                                .map(|setting| {
                                    let (from, tone) = source(&effective, setting.key);
                                    let text = describe(setting.kind, values.get(setting.key).unwrap_or(&Value::Null));
                                    let team = (from == "Team override").then(team_name).flatten();
                                    view! {
                                        <tr data-setting=setting.key data-source=from>
                                            <th scope="row" class="cell-title">{setting.label}</th>
                                            <td class="cell-wrap cell-value">{text}</td>
                                            <td class="cell-source">
                                                <Badge tone=tone>{from}</Badge>
                                                {team.map(|team| view! { <span class="cell-sub">" " {team}</span> })}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            view! {
                                <div class="table-scroll table-stack">
                                    <table class="table table-effective">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Setting"</th>
                                                <th scope="col">"Value"</th>
                                                <th scope="col">"From"</th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <p class="table-footnote">
                                    "Version " <code>{version}</code> ": agents fetch the policy again when it changes."
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
    }
}
