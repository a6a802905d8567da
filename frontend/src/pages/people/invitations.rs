//! The open invitations card, with Revoke.

use leptos::prelude::*;
use pulse_shared::people::Invitation;
use pulse_shared::teams::Team;

use super::role_badge;
use super::table::team_names;
use crate::api;
use crate::components::{
    Button, ButtonVariant, Card, ConfirmDialog, Confirmation, DataTable, Empty, ErrorCard,
    Skeleton, use_toasts,
};
use crate::format;
use crate::reactive::memo;
use crate::session::use_session;

/// The open invitations, each with "Revoke".
#[component]
pub(super) fn InvitationsCard(
    invitations: api::Loaded<Vec<Invitation>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let team_names = memo(move || team_names(&teams.get()));
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
