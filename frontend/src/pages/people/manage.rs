//! Managing one person: role, team, an export of their data, deactivation and deletion.

use leptos::prelude::*;
use pulse_shared::access::{Action, Reach};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::{Person, Role, UpdatePersonRequest, UserStatus};
use pulse_shared::teams::Team;

use super::invite::{grantable_roles, team_options};
use crate::api;
use crate::components::{
    Button, ButtonVariant, ConfirmDialog, Dialog, FormFooter, FormMessage, SelectField, use_toasts,
};
use crate::forms::{FormErrors, submission, task};
use crate::pages::data_export::DataExportPanel;
use crate::session::use_session;

/// Change a person's role or team, deactivate or reactivate them, delete them.
#[component]
pub(super) fn ManageDialog(
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
pub(super) fn ManageForm(
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
    let may_export = session.reach(Action::ExportPersonalData) == Reach::Company;
    let person_id = person.id;
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
        crate::pages::role_options(&roles)
    });
    let team_options = Signal::derive(move || team_options(&teams.get(), company_wide));
    let errors = FormErrors::new();
    let confirming_delete = RwSignal::new(false);
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

    let delete_person = task(move |()| {
        let (id, name) = original.with_value(|person| (person.id, person.name.clone()));
        delete_error.set(None);
        async move {
            match api::delete_person(session, id).await {
                Ok(()) => {
                    on_deleted.run(id);
                    confirming_delete.set(false);
                    close.run(());
                    toasts.success(format!("{name} is deleted"));
                }
                Err(error) => delete_error.set(Some(error.to_string())),
            }
        }
    });
    let deleting = delete_person.pending();
    let delete = Callback::new(move |()| {
        delete_person.dispatch_local(());
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
                <Show when=move || may_export>
                    <section class="person-data" data-testid="person-data">
                        <h3 class="danger-title">"Their data"</h3>
                        <DataExportPanel person=Some(person_id) action_label="Export their data" />
                    </section>
                </Show>
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
