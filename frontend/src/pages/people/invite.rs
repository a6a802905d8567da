//! Inviting a person: the dialog with its form (address, role, team), then the link to
//! pass on.

use leptos::prelude::*;
use pulse_shared::access::{Action, Reach};
use pulse_shared::people::{InvitationCreatedResponse, InviteRequest, Role};
use pulse_shared::teams::Team;
use pulse_shared::validate;

use crate::api;
use crate::components::{
    Button, ButtonVariant, CopyField, Dialog, FormField, FormFooter, FormMessage, SelectField,
    SelectOption, focus_first_control,
};
use crate::forms::{FormErrors, submission};
use crate::reactive::effect;
use crate::session::{Session, use_session};

/// The roles the signed-in person may hand out: their own and below, owner only by owners.
pub(super) fn grantable_roles(session: Session) -> Vec<Role> {
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
pub(super) fn team_options(teams: &[Team], allow_none: bool) -> Vec<SelectOption> {
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
pub(super) fn InviteDialog(
    open: RwSignal<bool>,
    #[prop(into)] teams: Signal<Vec<Team>>,
    on_invited: Callback<()>,
) -> impl IntoView {
    let created = RwSignal::new(None::<InvitationCreatedResponse>);
    // Each opening starts with an empty form.
    effect(move |_| {
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
                    // The form that had the focus is gone: the link takes it.
                    let body = NodeRef::<leptos::html::Div>::new();
                    effect(move |_| {
                        if let Some(body) = body.get() {
                            focus_first_control(&body);
                        }
                    });
                    view! {
                        <div class="dialog-body" node_ref=body>
                            <p class="prose">
                                "Send this link to " <strong>{response.invitation.email.clone()}</strong>
                                ". It lets them join as " {response.invitation.role.label().to_ascii_lowercase()}
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
pub(super) fn InviteForm(
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
    effect(move |_| {
        if !company_wide
            && team.with(String::is_empty)
            && let Some(first) = teams.with(|teams| teams.first().map(|team| team.id.to_string()))
        {
            team.set(first);
        }
    });
    let role_options =
        Signal::derive(move || crate::pages::role_options(&grantable_roles(session)));
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
