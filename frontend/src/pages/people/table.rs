//! The people table: each person's name, role, team and status, with Manage and
//! Restore.

use std::collections::HashMap;

use leptos::prelude::*;
use pulse_shared::access::Action;
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::{PeopleQuery, Person, UserStatus};
use pulse_shared::teams::Team;

use super::role_badge;
use crate::api;
use crate::components::{Badge, BadgeTone, Button, ButtonVariant, DataTable, Empty, use_toasts};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::format;
use crate::forms::task;
use crate::reactive::memo;
use crate::session::use_session;

/// The loaded people and how to get more.
pub(super) type PeopleList = CursorList<Person, PeopleQuery>;

/// Puts a changed person in place of their old row.
pub(super) fn replace(list: PeopleList, person: Person) {
    list.rows.update(|rows| {
        if let Some(row) = rows.iter_mut().find(|row| row.id == person.id) {
            *row = person;
        }
    });
}

pub(super) fn remove(list: PeopleList, id: UserId) {
    list.rows.update(|rows| rows.retain(|row| row.id != id));
}

/// The people table with its loading, error and empty states and "Load more".
#[component]
pub(super) fn PeopleTable(
    list: PeopleList,
    #[prop(into)] teams: Signal<Vec<Team>>,
    on_manage: Callback<Person>,
) -> impl IntoView {
    let session = use_session();
    let team_names = memo(move || team_names(&teams.get()));
    let me = memo(move || session.me().map(|me| me.user.id));
    let may_act = memo(move || {
        session.reaches_others(Action::UpdatePeople)
            || session.may(Action::ChangeRole)
            || session.may(Action::DeletePeople)
    });
    view! {
        <CursorListBody list=list title="People" lines=5>
            // Stacked on phones: the person and their role, team and status, then when
            // they joined and the row's action (see `.table-people` in main.css).
            <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                <DataTable
                    columns=&["Name", "Role", "Team", "Status", "Joined", ""]
                    is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                    {..}
                    class:table-people=true
                    data-testid="people"
                >
                    <Empty slot>"No one matches these filters."</Empty>
                    <For
                        each=move || list.rows.get()
                        key=|person| (person.id, person.role, person.status, person.team_id, person.name.clone())
                        let:person
                    >
                        {person_row(person, team_names, me, may_act, on_manage, list)}
                    </For>
                </DataTable>
            </div>
        </CursorListBody>
        <LoadMore list=list />
    }
}

pub(super) fn person_row(
    person: Person,
    team_names: Memo<HashMap<TeamId, String>>,
    me: Memo<Option<UserId>>,
    may_act: Memo<bool>,
    on_manage: Callback<Person>,
    list: PeopleList,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let team = person.team_id;
    let deleted_at = person.deleted_at;
    let (id, restored_name) = (person.id, StoredValue::new(person.name.clone()));
    let restore_person = task(move |()| {
        let name = restored_name.get_value();
        async move {
            match api::restore_person(session, id).await {
                Ok(_) => {
                    remove(list, id);
                    toasts.success(format!("{name} is restored, with their activity"));
                }
                Err(error) => toasts.error(error.to_string()),
            }
        }
    });
    let restoring = restore_person.pending();
    let restore = move |_| {
        restore_person.dispatch_local(());
    };
    let restore_label = format!("Restore {}", person.name);
    let is_me = move || me.get() == Some(person.id);
    let joined = format::date(person.created_at);
    let joined_iso = person.created_at.to_rfc3339();
    let initials = crate::format::initials(&person.name);
    let email = person.email.clone();
    let row_email = person.email.clone();
    let name = person.name.clone();
    let manage_label = format!("Manage {}", person.name);
    let person = StoredValue::new(person.clone());
    view! {
        <tr data-person-email=row_email data-person-status=person.with_value(|p| p.status.as_str())>
            <td class="cell-person">
                <div class="person-cell">
                    <span class="avatar avatar-sm" aria-hidden="true">{initials}</span>
                    <div class="person-text">
                        <span class="cell-title">
                            {name}
                            <Show when=is_me>
                                <span class="muted">" (you)"</span>
                            </Show>
                        </span>
                        <span class="cell-sub">{email}</span>
                    </div>
                </div>
            </td>
            <td class="cell-role">{role_badge(person.with_value(|p| p.role))}</td>
            <td class="cell-team" data-label="Team">
                {move || {
                    team.and_then(|id| team_names.with(|names| names.get(&id).cloned()))
                        .unwrap_or_else(|| "—".to_owned())
                }}
            </td>
            <td class="cell-status">
                {match deleted_at {
                    Some(at) => {
                        view! {
                            <div class="deleted-status">
                                <Badge tone=BadgeTone::Danger>"Deleted"</Badge>
                                <span class="cell-sub">{format::date(at)}</span>
                            </div>
                        }
                            .into_any()
                    }
                    None => status_badge(person.with_value(|p| p.status)).into_any(),
                }}
            </td>
            <td class="cell-joined" data-label="Joined">
                <time datetime=joined_iso>{joined}</time>
            </td>
            <td class="cell-actions">
                <Show when=move || deleted_at.is_some() && session.may(Action::RestorePeople)>
                    <Button
                        variant=ButtonVariant::Secondary
                        loading={restoring}
                        on_click={restore}
                        {..}
                        aria-label=restore_label.clone()
                        data-testid="restore-person"
                    >
                        "Restore"
                    </Button>
                </Show>
                <Show when=move || deleted_at.is_none() && may_act.get() && !is_me()>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_manage.run(person.get_value())
                        {..}
                        aria-label=manage_label.clone()
                        data-testid="manage-person"
                    >
                        "Manage"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}

pub(super) fn team_names(teams: &[Team]) -> HashMap<TeamId, String> {
    teams
        .iter()
        .map(|team| (team.id, team.name.clone()))
        .collect()
}

pub(super) fn status_badge(status: UserStatus) -> impl IntoView {
    let tone = match status {
        UserStatus::Active => BadgeTone::Success,
        UserStatus::Deactivated => BadgeTone::Warning,
    };
    view! { <Badge tone=tone>{status.label()}</Badge> }
}
