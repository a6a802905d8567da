//! Teams (`/teams`): the company's teams with their managers and head count; creating,
//! renaming, choosing managers and deleting (moving the people elsewhere first).

use std::collections::HashMap;

use leptos::prelude::*;
use pulse_shared::access::Action;
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::{PeopleQuery, Person, Role};
use pulse_shared::teams::{CreateTeamRequest, Team, UpdateTeamRequest};
use pulse_shared::validate;

use super::heading::{self, PageHeading};
use crate::api::{self, ApiError};
use crate::components::{
    Badge, Button, ButtonVariant, Card, CardActions, DataTable, Dialog, Empty, ErrorCard,
    FormField, FormFooter, FormMessage, SelectField, Skeleton, use_toasts,
};
use crate::format;
use crate::forms::{FormErrors, Work, submission};
use crate::reactive::{effect, memo};
use crate::session::use_session;

/// The longest team name (the server's limit).
const MAX_TEAM_NAME: usize = 80;

/// What the open dialog is about.
#[derive(Debug, Clone, PartialEq)]
enum Editing {
    Create,
    Rename(Team),
    Managers(Team),
    Delete(Team),
}

/// The page: the teams table and one dialog for create / rename / managers / delete.
#[component]
pub fn Teams() -> impl IntoView {
    let session = use_session();
    let may_manage = memo(move || session.may(Action::ManageTeams));
    let teams = api::Loaded::new(move || api::teams(session));
    // Names for the managers column, and the candidates for managing a team.
    let people = api::Loaded::new(move || async move {
        let query = PeopleQuery {
            limit: Some(pulse_shared::page::MAX_PAGE_SIZE),
            ..Default::default()
        };
        api::people(session, &query).await.map(|page| page.items)
    });
    let people_list = Signal::derive(move || people.get().and_then(Result::ok).unwrap_or_default());
    let editing = RwSignal::new(None::<Editing>);
    let dialog_open = RwSignal::new(false);
    effect(move |_| {
        if !dialog_open.get() {
            editing.set(None);
        }
    });
    let edit = move |what: Editing| {
        editing.set(Some(what));
        dialog_open.set(true);
    };
    let done = Callback::new(move |()| {
        dialog_open.set(false);
        teams.refetch();
    });

    view! {
        <div class="page" data-page="teams">
            <header class="page-header">
                <PageHeading heading=heading::TEAMS />
                <Show when=move || may_manage.get()>
                    <Button on_click=move |_| edit(Editing::Create) {..} data-testid="create-team">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 5v14M5 12h14" />
                        </svg>
                        "New team"
                    </Button>
                </Show>
            </header>
            <Transition fallback=|| view! { <Card title="Teams"><Skeleton lines=4 /></Card> }>
                {move || Suspend::new(async move {
                    match teams.await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="Teams"
                                    error=error
                                    on_retry=Callback::new(move |()| teams.refetch())
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <TeamsTable
                                    teams=list
                                    people=people_list
                                    may_manage=may_manage
                                    on_edit=Callback::new(edit)
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <TeamDialog
                open=dialog_open
                editing=editing
                teams=Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default())
                people=people_list
                on_done=done
            />
        </div>
    }
}

#[component]
fn TeamsTable(
    teams: Vec<Team>,
    #[prop(into)] people: Signal<Vec<Person>>,
    #[prop(into)] may_manage: Signal<bool>,
    on_edit: Callback<Editing>,
) -> impl IntoView {
    let count = teams.len();
    let names = memo(move || {
        people
            .get()
            .into_iter()
            .map(|person| (person.id, person.name))
            .collect::<HashMap<UserId, String>>()
    });
    let is_empty = teams.is_empty();
    view! {
        <Card title="All teams" flush=true>
            <CardActions slot>
                <Badge>{format!("{count} {}", if count == 1 { "team" } else { "teams" })}</Badge>
            </CardActions>
            <div class="table-scroll table-stack">
                <DataTable
                    columns=&["Team", "Managers", "People", "Created", ""]
                    is_empty=Signal::stored(is_empty)
                    {..}
                    class:table-teams=true
                    data-testid="teams"
                >
                    <Empty slot>"No teams yet. Create one to group people and give them a manager."</Empty>
                    {teams
                        .into_iter()
                        .map(|team| {
                            let managers = team.manager_ids.clone();
                            let manager_names = move || {
                                let names = names.get();
                                let listed: Vec<String> = managers
                                    .iter()
                                    .map(|id| names.get(id).cloned().unwrap_or_else(|| "Someone".to_owned()))
                                    .collect();
                                if listed.is_empty() { "—".to_owned() } else { listed.join(", ") }
                            };
                            let created = format::date(team.created_at);
                            let members = team.member_count;
                            let name = team.name.clone();
                            let row_name = team.name.clone();
                            let team = StoredValue::new(team);
                            view! {
                                <tr data-team-name=row_name>
                                    <td class="cell-title">{name}</td>
                                    <td class="cell-wrap cell-managers" data-label="Managers">{manager_names}</td>
                                    <td class="cell-members" data-label="People">{members}</td>
                                    <td class="cell-created" data-label="Created">{created}</td>
                                    <td class="cell-actions">
                                        <Show when=move || may_manage.get()>
                                            <div class="row-actions">
                                                <Button
                                                    variant=ButtonVariant::Ghost
                                                    on_click=move |_| on_edit.run(Editing::Rename(team.get_value()))
                                                >
                                                    "Rename"
                                                </Button>
                                                <Button
                                                    variant=ButtonVariant::Ghost
                                                    on_click=move |_| on_edit.run(Editing::Managers(team.get_value()))
                                                >
                                                    "Managers"
                                                </Button>
                                                <Button
                                                    variant=ButtonVariant::Ghost
                                                    on_click=move |_| on_edit.run(Editing::Delete(team.get_value()))
                                                    {..}
                                                    class:btn-ghost-danger=true
                                                >
                                                    "Delete"
                                                </Button>
                                            </div>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
            </div>
        </Card>
    }
}

/// The dialog of the current [`Editing`].
#[component]
fn TeamDialog(
    open: RwSignal<bool>,
    editing: RwSignal<Option<Editing>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
    #[prop(into)] people: Signal<Vec<Person>>,
    on_done: Callback<()>,
) -> impl IntoView {
    let title = Signal::derive(move || match editing.get() {
        Some(Editing::Create) => "New team".to_owned(),
        Some(Editing::Rename(team)) => format!("Rename {}", team.name),
        Some(Editing::Managers(team)) => format!("Managers of {}", team.name),
        Some(Editing::Delete(team)) => format!("Delete {}?", team.name),
        None => String::new(),
    });
    let close = Callback::new(move |()| open.set(false));
    view! {
        <Dialog open=open title=title>
            {move || match editing.get() {
                Some(Editing::Create) => view! { <NameForm team=None close=close on_done=on_done /> }.into_any(),
                Some(Editing::Rename(team)) => {
                    view! { <NameForm team=Some(team) close=close on_done=on_done /> }.into_any()
                }
                Some(Editing::Managers(team)) => {
                    view! { <ManagersForm team=team people=people close=close on_done=on_done /> }
                        .into_any()
                }
                Some(Editing::Delete(team)) => {
                    view! { <DeleteForm team=team teams=teams close=close on_done=on_done /> }
                        .into_any()
                }
                None => ().into_any(),
            }}
        </Dialog>
    }
}

/// Creates a team (`team` is `None`) or renames one.
#[component]
fn NameForm(team: Option<Team>, close: Callback<()>, on_done: Callback<()>) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let name = RwSignal::new(
        team.as_ref()
            .map(|team| team.name.clone())
            .unwrap_or_default(),
    );
    let team_id = team.as_ref().map(|team| team.id);
    let errors = FormErrors::new();
    let save = submission(
        errors,
        &["name"],
        move |new_name: String| async move {
            match team_id {
                None => api::create_team(session, &CreateTeamRequest { name: new_name }).await,
                Some(id) => {
                    let request = UpdateTeamRequest {
                        name: Some(new_name),
                        manager_ids: None,
                    };
                    api::update_team(session, id, &request).await
                }
            }
        },
        move |team: Team| {
            on_done.run(());
            toasts.success(if team_id.is_some() {
                format!("Renamed to {}", team.name)
            } else {
                format!("Team {} created", team.name)
            });
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        if !errors.check("name", validate::name(&name.get_untracked(), MAX_TEAM_NAME)) {
            return;
        }
        let new_name = name.get_untracked().trim().to_owned();
        save.dispatch_local(new_name);
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="team-name"
                    name="name"
                    label="Team name"
                    value=name
                    error=errors.of("name")
                    required=true
                    autofocus=true
                />
            </div>
            <FormFooter close=close busy=busy>
                {if team_id.is_some() { "Rename" } else { "Create team" }}
            </FormFooter>
        </form>
    }
}

/// Picks the team's managers among the people who may manage (managers, admins, owners).
#[component]
fn ManagersForm(
    team: Team,
    #[prop(into)] people: Signal<Vec<Person>>,
    close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let chosen = RwSignal::new(team.manager_ids.clone());
    let candidates = memo(move || {
        people
            .get()
            .into_iter()
            .filter(|person| person.role != Role::Employee)
            .collect::<Vec<_>>()
    });
    let errors = FormErrors::new();
    let team_id = team.id;
    let save = submission(
        errors,
        &[],
        move |request: UpdateTeamRequest| async move {
            api::update_team(session, team_id, &request).await
        },
        move |team| {
            on_done.run(());
            toasts.success(format!("Managers of {} saved", team.name));
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let request = UpdateTeamRequest {
            name: None,
            manager_ids: Some(chosen.get_untracked()),
        };
        save.dispatch_local(request);
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <fieldset class="checklist">
                    <legend class="field-label">"Managers"</legend>
                    <p class="field-hint">"People with the manager, admin or owner role can manage a team."</p>
                    <Show
                        when=move || !candidates.with(Vec::is_empty)
                        fallback=|| view! { <p class="muted">"No one can manage teams yet: give someone the manager role first."</p> }
                    >
                        <For each=move || candidates.get() key=|person| person.id let:person>
                            {
                                let id = person.id;
                                let checked = move || chosen.with(|ids| ids.contains(&id));
                                view! {
                                    <label class="check">
                                        <input
                                            type="checkbox"
                                            name="manager_ids"
                                            value=id.to_string()
                                            prop:checked=checked
                                            on:change=move |event| {
                                                let on = event_target_checked(&event);
                                                chosen.update(|ids| {
                                                    ids.retain(|other| *other != id);
                                                    if on {
                                                        ids.push(id);
                                                    }
                                                });
                                            }
                                        />
                                        <span>{person.name.clone()}</span>
                                        <span class="muted">{person.role.label()}</span>
                                    </label>
                                }
                            }
                        </For>
                    </Show>
                </fieldset>
            </div>
            <FormFooter close=close busy=busy>
                "Save managers"
            </FormFooter>
        </form>
    }
}

/// Deletes a team; a team with people needs another team to move them to.
#[component]
fn DeleteForm(
    team: Team,
    #[prop(into)] teams: Signal<Vec<Team>>,
    close: Callback<()>,
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let team_id = team.id;
    let has_people = team.member_count > 0;
    let move_to = RwSignal::new(String::new());
    let options = Signal::derive(move || {
        let mut options = vec![(String::new(), "Choose a team…".to_owned())];
        options.extend(
            teams
                .get()
                .into_iter()
                .filter(|other| other.id != team_id)
                .map(|other| (other.id.to_string(), other.name)),
        );
        options
    });
    let errors = FormErrors::new();
    let name = StoredValue::new(team.name.clone());
    // A 409 reads best under the move-to field: see `show_delete_error`.
    let delete = Work::new(move |target: Option<TeamId>| async move {
        match api::delete_team(session, team_id, target).await {
            Ok(()) => {
                on_done.run(());
                toasts.success(format!("Team {} deleted", name.get_value()));
            }
            Err(error) => show_delete_error(errors, &error, has_people),
        }
    });
    let busy = delete.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let target: Option<TeamId> = move_to.get_untracked().parse().ok();
        if has_people && target.is_none() {
            errors.set("move_to", "Choose where this team's people go.");
            return;
        }
        delete.dispatch_local(target);
    };
    let message = if has_people {
        format!(
            "{} has {} {}. Choose a team to move them to; the team is then deleted.",
            team.name,
            team.member_count,
            if team.member_count == 1 {
                "person"
            } else {
                "people"
            }
        )
    } else {
        format!("{} has no people. Deleting it cannot be undone.", team.name)
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <p class="prose">{message}</p>
                <FormMessage error=errors.general() />
                <Show when=move || has_people>
                    <SelectField
                        id="team-move-to"
                        name="move_to"
                        label="Move its people to"
                        value=move_to
                        options=options
                        error=errors.of("move_to")
                    />
                </Show>
            </div>
            <FormFooter close=close busy=busy variant=ButtonVariant::Danger>
                "Delete team"
            </FormFooter>
        </form>
    }
}

/// A 409 (people left, no target) reads best under the move-to field, when it is shown.
fn show_delete_error(errors: FormErrors, error: &ApiError, has_people: bool) {
    if error.status() == Some(409) && has_people {
        errors.set("move_to", error.summary());
    } else {
        errors.show(error, &["move_to"]);
    }
}
