//! Employees (`/people`): the people of the company (or of the manager's teams) with
//! search, filters and "Load more"; inviting people; changing a person's role or team,
//! deactivating, reactivating and deleting them; open invitations with revoke.

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::access::{Action, Reach};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::{
    Invitation, InvitationCreatedResponse, InviteRequest, PeopleQuery, Person, Role,
    UpdatePersonRequest, UserStatus,
};
use pulse_shared::teams::Team;
use pulse_shared::validate;

use crate::api::{self, ApiError};
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, Confirmation,
    CopyField, DataTable, Dialog, Empty, ErrorCard, FormField, FormFooter, FormMessage,
    SelectField, SelectOption, Skeleton, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody};
use crate::format;
use crate::forms::{FormErrors, submission};
use crate::session::{Session, use_session};

/// How many people one "Load more" brings.
const PAGE_SIZE: u32 = 25;
/// How long typing in the search box pauses before the list reloads.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// The page: filters, the people table, the invitations card and the dialogs.
#[component]
pub fn People() -> impl IntoView {
    super::set_title("Employees");
    let session = use_session();
    let may_invite = Memo::new(move |_| session.reaches_others(Action::InvitePeople));
    let teams = LocalResource::new(move || api::teams(session));
    let team_list = Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default());

    let filters = Filters::new();
    let list: PeopleList = CursorList::new(session, "people", |session, query| {
        Box::pin(async move { api::people(session, &query).await })
    });
    // Reload from the first page whenever a filter changes; typing waits for a pause.
    Effect::new(move |previous: Option<()>| {
        let query = filters.query();
        let generation = list.begin();
        let delay = if previous.is_some() {
            SEARCH_DELAY
        } else {
            Duration::ZERO
        };
        set_timeout(move || list.load_first(generation, query), delay);
    });

    let invitations = LocalResource::new(move || async move {
        if may_invite.get() {
            api::invitations(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let invite_open = RwSignal::new(false);
    let managing = RwSignal::new(None::<Person>);
    let manage_open = RwSignal::new(false);
    Effect::new(move || {
        if !manage_open.get() {
            managing.set(None);
        }
    });
    let manage = Callback::new(move |person: Person| {
        managing.set(Some(person));
        manage_open.set(true);
    });

    view! {
        <div class="page" data-page="people">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Employees"</h1>
                    <p class="page-lede">
                        {move || {
                            if session.reach(Action::ReadPeople) == Reach::Company {
                                "Everyone in your company."
                            } else {
                                "The people of the teams you manage."
                            }
                        }}
                    </p>
                </div>
                <Show when=move || may_invite.get()>
                    <Button on_click=move |_| invite_open.set(true) {..} data-testid="invite-button">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 5v14M5 12h14" />
                        </svg>
                        "Invite people"
                    </Button>
                </Show>
            </header>

            <Card title="People" flush=true>
                <CardActions slot>
                    {move || {
                        let count = list.rows.with(Vec::len);
                        let more = list.next_cursor.with(Option::is_some);
                        (count > 0)
                            .then(|| {
                                view! {
                                    <Badge>{format!("{count}{} shown", if more { "+" } else { "" })}</Badge>
                                }
                            })
                    }}
                </CardActions>
                <FilterBar filters=filters teams=team_list />
                <PeopleTable list=list teams=team_list on_manage=manage />
            </Card>

            <Show when=move || may_invite.get()>
                <InvitationsCard invitations=invitations teams=team_list />
            </Show>

            <InviteDialog
                open=invite_open
                teams=team_list
                on_invited=Callback::new(move |()| invitations.refetch())
            />
            <ManageDialog
                open=manage_open
                person=managing
                teams=team_list
                on_changed=Callback::new(move |person: Person| replace(list, person))
                on_deleted=Callback::new(move |id: UserId| remove(list, id))
            />
        </div>
    }
}

/// The filter controls' values (strings, as the controls hold them).
#[derive(Debug, Clone, Copy)]
struct Filters {
    q: RwSignal<String>,
    role: RwSignal<String>,
    team: RwSignal<String>,
    status: RwSignal<String>,
}

impl Filters {
    fn new() -> Self {
        Self {
            q: RwSignal::new(String::new()),
            role: RwSignal::new(String::new()),
            team: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
        }
    }

    /// The query of the first page, tracked. The status "deleted" asks for the deleted
    /// people still restorable instead of the others.
    fn query(self) -> PeopleQuery {
        let status = self.status.get();
        PeopleQuery {
            q: Some(self.q.get().trim().to_owned()).filter(|q| !q.is_empty()),
            role: self.role.get().parse().ok(),
            team_id: self.team.get().parse().ok(),
            status: status.parse().ok(),
            deleted: (status == DELETED).then_some(true),
            cursor: None,
            limit: Some(PAGE_SIZE),
        }
    }

    fn any(self) -> bool {
        !(self.q.read().trim().is_empty()
            && self.role.read().is_empty()
            && self.team.read().is_empty()
            && self.status.read().is_empty())
    }

    fn clear(self) {
        self.q.set(String::new());
        self.role.set(String::new());
        self.team.set(String::new());
        self.status.set(String::new());
    }
}

/// The status filter's value for deleted people.
const DELETED: &str = "deleted";

/// The loaded people and how to get more.
type PeopleList = CursorList<Person, PeopleQuery>;

/// Puts a changed person in place of their old row.
fn replace(list: PeopleList, person: Person) {
    list.rows.update(|rows| {
        if let Some(row) = rows.iter_mut().find(|row| row.id == person.id) {
            *row = person;
        }
    });
}

fn remove(list: PeopleList, id: UserId) {
    list.rows.update(|rows| rows.retain(|row| row.id != id));
}

/// Search, role, team and status filters. Their `name`s are not JSON field names on
/// purpose, so that `[name=role]` always means the invite or manage form.
#[component]
fn FilterBar(filters: Filters, #[prop(into)] teams: Signal<Vec<Team>>) -> impl IntoView {
    let role_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any role".to_owned())];
        options.extend(super::role_options(&Role::ALL));
        options
    });
    let team_options = Signal::derive(move || {
        let mut options = vec![(String::new(), "Any team".to_owned())];
        options.extend(
            teams
                .get()
                .into_iter()
                .map(|team| (team.id.to_string(), team.name)),
        );
        options
    });
    let session = use_session();
    let status_options = Signal::derive(move || {
        let mut options = vec![
            (String::new(), "Any status".to_owned()),
            (UserStatus::Active.as_str().to_owned(), "Active".to_owned()),
            (
                UserStatus::Deactivated.as_str().to_owned(),
                "Deactivated".to_owned(),
            ),
        ];
        if session.may(Action::DeletePeople) {
            options.push((DELETED.to_owned(), "Deleted (restorable)".to_owned()));
        }
        options
    });
    view! {
        <form class="filter-bar" role="search" on:submit=|event| event.prevent_default()>
            <div class="filter-search">
                <FormField
                    id="people-search"
                    name="q"
                    label="Search"
                    input_type="search"
                    placeholder="Name or e-mail"
                    value=filters.q
                />
            </div>
            <SelectField id="people-role" name="role_filter" label="Role" value=filters.role options=role_options />
            <SelectField id="people-team" name="team_filter" label="Team" value=filters.team options=team_options />
            <SelectField
                id="people-status"
                name="status_filter"
                label="Status"
                value=filters.status
                options=status_options
            />
            <Show when=move || filters.any()>
                <Button variant=ButtonVariant::Ghost on_click=move |_| filters.clear() {..} class:filter-clear=true>
                    "Clear filters"
                </Button>
            </Show>
        </form>
    }
}

/// The people table with its loading, error and empty states and "Load more".
#[component]
fn PeopleTable(
    list: PeopleList,
    #[prop(into)] teams: Signal<Vec<Team>>,
    on_manage: Callback<Person>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let team_names = Memo::new(move |_| team_names(&teams.get()));
    let me = Memo::new(move |_| session.me().map(|me| me.user.id));
    let may_act = Memo::new(move |_| {
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
        <Show when=move || list.next_cursor.with(Option::is_some)>
            <div class="load-more">
                <Button
                    variant=ButtonVariant::Secondary
                    loading=list.loading_more
                    on_click=move |_| list.load_more(toasts)
                    {..}
                    data-testid="load-more"
                >
                    "Load more"
                </Button>
            </div>
        </Show>
    }
}

fn person_row(
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
    let restoring = RwSignal::new(false);
    let (id, restored_name) = (person.id, StoredValue::new(person.name.clone()));
    let restore = move |_| {
        let name = restored_name.get_value();
        restoring.set(true);
        spawn_local(async move {
            match api::restore_person(session, id).await {
                Ok(_) => {
                    remove(list, id);
                    toasts.success(format!("{name} is restored, with their activity"));
                }
                Err(error) => toasts.error(error.to_string()),
            }
            let _ = restoring.try_set(false);
        });
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

fn team_names(teams: &[Team]) -> HashMap<TeamId, String> {
    teams
        .iter()
        .map(|team| (team.id, team.name.clone()))
        .collect()
}

/// The role as a badge: owners and admins stand out.
pub(super) fn role_badge(role: Role) -> impl IntoView {
    let tone = match role {
        Role::Owner | Role::Admin => BadgeTone::Info,
        Role::Manager | Role::Employee => BadgeTone::Neutral,
    };
    view! { <Badge tone=tone>{role.label()}</Badge> }
}

fn status_badge(status: UserStatus) -> impl IntoView {
    match status {
        UserStatus::Active => view! { <Badge tone=BadgeTone::Success>"Active"</Badge> },
        UserStatus::Deactivated => view! { <Badge tone=BadgeTone::Warning>"Deactivated"</Badge> },
    }
}

/// The roles the signed-in person may hand out: their own and below, owner only by owners.
fn grantable_roles(session: Session) -> Vec<Role> {
    let Some(mine) = session.role() else {
        return Vec::new();
    };
    if !session.may(Action::ChangeRole) {
        // Managers invite employees only.
        return vec![Role::Employee];
    }
    Role::ALL
        .into_iter()
        .filter(|role| mine.at_least(*role))
        .filter(|role| *role != Role::Owner || session.may(Action::GrantOwner))
        .collect()
}

/// The choices of a team `<select>`: "No team" when allowed, then every team.
fn team_options(teams: &[Team], allow_none: bool) -> Vec<SelectOption> {
    let mut options = Vec::new();
    if allow_none {
        options.push((String::new(), "No team".to_owned()));
    }
    options.extend(
        teams
            .iter()
            .map(|team| (team.id.to_string(), team.name.clone())),
    );
    options
}

/// The invite dialog: e-mail, role and team; then the link to copy.
#[component]
fn InviteDialog(
    open: RwSignal<bool>,
    #[prop(into)] teams: Signal<Vec<Team>>,
    on_invited: Callback<()>,
) -> impl IntoView {
    let created = RwSignal::new(None::<InvitationCreatedResponse>);
    // Each opening starts with an empty form.
    Effect::new(move || {
        if open.get() {
            created.set(None);
        }
    });
    let title = Signal::derive(move || {
        if created.with(Option::is_some) {
            "Invitation created".to_owned()
        } else {
            "Invite someone".to_owned()
        }
    });
    view! {
        <Dialog open=open title=title>
            {move || match created.get() {
                None => {
                    view! {
                        <InviteForm
                            teams=teams
                            close=Callback::new(move |()| open.set(false))
                            on_created=Callback::new(move |response| {
                                created.set(Some(response));
                                on_invited.run(());
                            })
                        />
                    }
                        .into_any()
                }
                Some(response) => {
                    view! {
                        <div class="dialog-body">
                            <p class="prose">
                                "Send this link to " <strong>{response.invitation.email.clone()}</strong>
                                ". It lets them join as " {response.invitation.role.label().to_lowercase()}
                                " and works once."
                            </p>
                            <CopyField
                                id="invite-link"
                                label="Invitation link"
                                value=response.link.clone()
                                testid="invite-link"
                            />
                            <p class="field-hint">
                                {if response.emailed {
                                    "We have also sent it by e-mail."
                                } else {
                                    "E-mail is not set up on this server, so pass the link on yourself."
                                }}
                            </p>
                        </div>
                        <footer class="dialog-footer">
                            <Button
                                variant=ButtonVariant::Secondary
                                on_click=move |_| created.set(None)
                                {..}
                                data-testid="invite-another"
                            >
                                "Invite someone else"
                            </Button>
                            <Button on_click=move |_| open.set(false) {..} data-testid="invite-done">
                                "Done"
                            </Button>
                        </footer>
                    }
                        .into_any()
                }
            }}
        </Dialog>
    }
}

#[component]
fn InviteForm(
    #[prop(into)] teams: Signal<Vec<Team>>,
    close: Callback<()>,
    on_created: Callback<InvitationCreatedResponse>,
) -> impl IntoView {
    let session = use_session();
    let company_wide = session.reach(Action::InvitePeople) == Reach::Company;
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Employee.as_str().to_owned());
    // Managers invite into one of their teams; others may leave the team open.
    let team = RwSignal::new(String::new());
    Effect::new(move || {
        if !company_wide
            && team.with(String::is_empty)
            && let Some(first) = teams.with(|teams| teams.first().map(|team| team.id.to_string()))
        {
            team.set(first);
        }
    });
    let role_options = Signal::derive(move || super::role_options(&grantable_roles(session)));
    let team_options = Signal::derive(move || team_options(&teams.get(), company_wide));
    let errors = FormErrors::new();
    let invite = submission(
        errors,
        &["email", "role", "team_id"],
        move |request: InviteRequest| async move { api::invite(session, &request).await },
        move |response| on_created.run(response),
    );
    let busy = invite.pending();

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        if !errors.check("email", validate::email(&email.get_untracked())) {
            return;
        }
        let Ok(chosen_role) = role.get_untracked().parse::<Role>() else {
            errors.set("role", "Choose a role.");
            return;
        };
        let request = InviteRequest {
            email: email.get_untracked().trim().to_owned(),
            role: chosen_role,
            team_id: team.get_untracked().parse().ok(),
        };
        invite.dispatch_local(request);
    };

    view! {
        <form class="form" on:submit=submit novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <FormField
                    id="invite-email"
                    name="email"
                    label="E-mail address"
                    input_type="email"
                    value=email
                    error=errors.of("email")
                    required=true
                    autofocus=true
                />
                <div class="form-row">
                    <SelectField
                        id="invite-role"
                        name="role"
                        label="Role"
                        value=role
                        options=role_options
                        error=errors.of("role")
                    />
                    <SelectField
                        id="invite-team"
                        name="team_id"
                        label="Team"
                        value=team
                        options=team_options
                        error=errors.of("team_id")
                    />
                </div>
            </div>
            <FormFooter close=close busy=busy>
                "Create invitation"
            </FormFooter>
        </form>
    }
}

/// Change a person's role or team, deactivate or reactivate them, delete them.
#[component]
fn ManageDialog(
    open: RwSignal<bool>,
    person: RwSignal<Option<Person>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
    on_changed: Callback<Person>,
    on_deleted: Callback<UserId>,
) -> impl IntoView {
    let title = Signal::derive(move || {
        person.with(|person| {
            person
                .as_ref()
                .map(|person| format!("Manage {}", person.name))
                .unwrap_or_default()
        })
    });
    let description = Signal::derive(move || {
        person.with(|person| {
            person
                .as_ref()
                .map(|person| person.email.clone())
                .unwrap_or_default()
        })
    });
    view! {
        <Dialog open=open title=title description=description>
            {move || {
                person
                    .get()
                    .map(|person| {
                        view! {
                            <ManageForm
                                person=person
                                teams=teams
                                close=Callback::new(move |()| open.set(false))
                                on_changed=on_changed
                                on_deleted=on_deleted
                            />
                        }
                    })
            }}
        </Dialog>
    }
}

#[component]
fn ManageForm(
    person: Person,
    #[prop(into)] teams: Signal<Vec<Team>>,
    close: Callback<()>,
    on_changed: Callback<Person>,
    on_deleted: Callback<UserId>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let company_wide = session.reach(Action::UpdatePeople) == Reach::Company;
    let may_change_role = session.may(Action::ChangeRole)
        && (person.role != Role::Owner || session.may(Action::GrantOwner));
    let may_update = session.reaches_others(Action::UpdatePeople);
    let may_delete = session.may(Action::DeletePeople)
        && (person.role != Role::Owner || session.may(Action::GrantOwner));
    let original = StoredValue::new(person.clone());
    let role = RwSignal::new(person.role.as_str().to_owned());
    let team = RwSignal::new(person.team_id.map(|id| id.to_string()).unwrap_or_default());
    let role_options = Signal::derive(move || {
        let mut roles = grantable_roles(session);
        let current = original.with_value(|person| person.role);
        if !roles.contains(&current) {
            roles.push(current);
        }
        super::role_options(&roles)
    });
    let team_options = Signal::derive(move || team_options(&teams.get(), company_wide));
    let errors = FormErrors::new();
    let confirming_delete = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let delete_error = RwSignal::new(None::<String>);

    // Sends a request; on success updates the row, closes and says what was done.
    let update = submission(
        errors,
        &["role", "team_id"],
        move |(request, done): (UpdatePersonRequest, String)| {
            let id = original.with_value(|person| person.id);
            async move {
                let updated = api::update_person(session, id, &request).await?;
                Ok((updated, done))
            }
        },
        move |(updated, done)| {
            on_changed.run(updated);
            close.run(());
            toasts.success(done);
        },
    );
    let busy = update.pending();
    let send = move |request: UpdatePersonRequest, done: String| {
        errors.clear();
        update.dispatch_local((request, done));
    };

    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let (old_role, old_team, name) =
            original.with_value(|person| (person.role, person.team_id, person.name.clone()));
        let new_role = role.get_untracked().parse::<Role>().ok();
        let new_team: Option<TeamId> = team.get_untracked().parse().ok();
        let request = UpdatePersonRequest {
            role: new_role.filter(|role| *role != old_role && may_change_role),
            team_id: (new_team != old_team && may_update).then_some(new_team),
            status: None,
        };
        if request == UpdatePersonRequest::default() {
            close.run(());
            return;
        }
        send(request, format!("Saved changes to {name}"));
    };

    let toggle_status = move |_| {
        let (status, name) = original.with_value(|person| (person.status, person.name.clone()));
        let (next, done) = match status {
            UserStatus::Active => (UserStatus::Deactivated, format!("{name} is deactivated")),
            UserStatus::Deactivated => (UserStatus::Active, format!("{name} is active again")),
        };
        send(
            UpdatePersonRequest {
                status: Some(next),
                ..Default::default()
            },
            done,
        );
    };

    let delete = Callback::new(move |()| {
        let (id, name) = original.with_value(|person| (person.id, person.name.clone()));
        deleting.set(true);
        delete_error.set(None);
        spawn_local(async move {
            match api::delete_person(session, id).await {
                Ok(()) => {
                    on_deleted.run(id);
                    confirming_delete.set(false);
                    close.run(());
                    toasts.success(format!("{name} is deleted"));
                }
                Err(error) => delete_error.set(Some(error.to_string())),
            }
            let _ = deleting.try_set(false);
        });
    });

    let is_active = person.status == UserStatus::Active;
    let delete_message = format!(
        "Delete {} ({})? They lose access at once, their computers stop reporting, and they disappear from Pulse. Their activity and screenshots are kept for a week, in which an owner can restore them; then everything about them is removed. Their audit history stays.",
        person.name, person.email
    );
    let delete_name = person.name.clone();
    view! {
        <form class="form" on:submit=save novalidate=true>
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <div class="form-row">
                    <Show when=move || may_change_role>
                        <SelectField
                            id="manage-role"
                            name="role"
                            label="Role"
                            value=role
                            options=role_options
                            error=errors.of("role")
                        />
                    </Show>
                    <Show when=move || may_update>
                        <SelectField
                            id="manage-team"
                            name="team_id"
                            label="Team"
                            value=team
                            options=team_options
                            error=errors.of("team_id")
                        />
                    </Show>
                </div>
                <Show when=move || may_update || may_delete>
                    <div class="danger-zone">
                        <Show when=move || may_update>
                            <div class="danger-row">
                                <div>
                                    <p class="danger-title">
                                        {if is_active { "Deactivate" } else { "Reactivate" }}
                                    </p>
                                    <p class="field-hint">
                                        {if is_active {
                                            "Ends their sessions and stops them signing in. You can undo this."
                                        } else {
                                            "Lets them sign in again."
                                        }}
                                    </p>
                                </div>
                                <Button
                                    variant=ButtonVariant::Secondary
                                    loading={busy}
                                    on_click={toggle_status}
                                    {..}
                                    data-testid="toggle-status"
                                >
                                    {if is_active { "Deactivate" } else { "Reactivate" }}
                                </Button>
                            </div>
                        </Show>
                        <Show when=move || may_delete>
                            <div class="danger-row">
                                <div>
                                    <p class="danger-title">"Delete"</p>
                                    <p class="field-hint">"An owner can restore them for a week."</p>
                                </div>
                                <Button
                                    variant=ButtonVariant::Danger
                                    on_click=move |_| confirming_delete.set(true)
                                    {..}
                                    data-testid="delete-person"
                                >
                                    "Delete…"
                                </Button>
                            </div>
                        </Show>
                    </div>
                </Show>
            </div>
            <FormFooter close=close busy=busy>
                "Save changes"
            </FormFooter>
        </form>
        <ConfirmDialog
            open=confirming_delete
            title="Delete this person?"
            message=delete_message
            confirm_label="Delete"
            busy=deleting
            error=delete_error
            type_to_confirm=delete_name
            on_confirm=delete
        />
    }
}

/// The open invitations, each with "Revoke".
#[component]
fn InvitationsCard(
    invitations: LocalResource<Result<Vec<Invitation>, ApiError>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let team_names = Memo::new(move |_| team_names(&teams.get()));
    let revoking = Confirmation::<Invitation>::new();
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |invitation: Invitation| api::revoke_invitation(session, invitation.id),
            move |invitation| {
                toasts.success(format!("Invitation for {} revoked", invitation.email));
                invitations.refetch();
            },
        );
    });
    let message = revoking.message(|invitation| {
        format!(
            "The link sent to {} will stop working. You can invite them again later.",
            invitation.email
        )
    });
    view! {
        <Card title="Open invitations" subtitle="Links that have not been used yet" flush=true>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=2 /></div> }>
                {move || Suspend::new(async move {
                    match invitations.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Invitations"
                                        error=error
                                        on_retry=Callback::new(move |()| invitations.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            let is_empty = list.is_empty();
                            view! {
                                // Stacked on phones like the people above.
                                <div class="table-scroll table-stack">
                                    <DataTable
                                        columns=&["E-mail address", "Role", "Team", "Expires", ""]
                                        is_empty=Signal::stored(is_empty)
                                        {..}
                                        class:table-invitations=true
                                        data-testid="invitations"
                                    >
                                        <Empty slot>"No open invitations."</Empty>
                                        {list
                                            .into_iter()
                                            .map(|invitation| {
                                                let team = invitation
                                                    .team_id
                                                    .and_then(|id| team_names.with(|names| names.get(&id).cloned()))
                                                    .unwrap_or_else(|| "—".to_owned());
                                                let email = invitation.email.clone();
                                                let expires = format::date(invitation.expires_at);
                                                let role = invitation.role;
                                                let invitation = StoredValue::new(invitation);
                                                view! {
                                                    <tr data-invitation-email=email.clone()>
                                                        <td class="cell-person">{email.clone()}</td>
                                                        <td class="cell-role">{role_badge(role)}</td>
                                                        <td class="cell-team" data-label="Team">{team}</td>
                                                        <td class="cell-joined" data-label="Expires">{expires}</td>
                                                        <td class="cell-actions">
                                                            <Button
                                                                variant=ButtonVariant::Ghost
                                                                on_click=move |_| revoking.ask(invitation.get_value())
                                                                {..}
                                                                aria-label=format!("Revoke the invitation for {email}")
                                                            >
                                                                "Revoke"
                                                            </Button>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </DataTable>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
        <ConfirmDialog
            open=revoking.open
            title="Revoke this invitation?"
            message=message
            confirm_label="Revoke"
            busy=revoking.busy
            error=revoking.error
            on_confirm=revoke
        />
    }
}
