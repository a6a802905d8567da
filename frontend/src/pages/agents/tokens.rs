//! The enrollment tokens card: every token with its state, uses and expiry, and Revoke.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use pulse_shared::agents::EnrollmentToken;
use pulse_shared::ids::UserId;
use pulse_shared::people::{Person, UserStatus};

use super::live::LiveAgents;
use super::token_form::CreateTokenDialog;
use crate::api;
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, ConfirmDialog, Confirmation,
    DataTable, Empty, ErrorCard, Skeleton, use_toasts,
};
use crate::format;
use crate::reactive::memo;
use crate::session::use_session;

/// Enrollment tokens: the list, "New token", and revoking.
#[component]
pub(super) fn TokensCard(
    people: api::Loaded<Vec<Person>>,
    names: Memo<HashMap<UserId, String>>,
    agents: LiveAgents,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let tokens = api::Loaded::new(move || api::enrollment_tokens(session));
    // A new computer used a token: show its count of uses.
    let enrolled = memo(move || agents.counts.with(|counts| counts.map(|c| c.total())));
    Effect::watch(
        move || enrolled.get(),
        move |_, previous, _| {
            // Not for the first answer: the tokens were just loaded with it.
            if matches!(previous, Some(Some(_))) {
                tokens.refetch();
            }
        },
        false,
    );
    let create_open = RwSignal::new(false);
    let revoking = Confirmation::<EnrollmentToken>::new();
    let ask_revoke = Callback::new(move |token: EnrollmentToken| revoking.ask(token));
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |token: EnrollmentToken| api::revoke_enrollment_token(session, token.id),
            move |token| {
                toasts.success(format!("Token {} revoked", token.name));
                tokens.refetch();
            },
        );
    });
    let message = revoking.message(|token| {
        format!(
            "No more computers can enroll with {}. Computers already enrolled with it keep working.",
            token.name
        )
    });
    let active_people = Signal::derive(move || {
        people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|person| person.status == UserStatus::Active)
            .collect::<Vec<_>>()
    });
    view! {
        <Card
            title="Enrollment tokens"
            subtitle="A computer joins your company once with a token; the agent then reports with its own credential."
            flush=true
            {..}
            data-testid="enrollment-tokens-card"
        >
            <CardActions slot>
                <Button on_click=move |_| create_open.set(true) {..} data-testid="create-enrollment-token">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                        <path d="M12 5v14M5 12h14" />
                    </svg>
                    "New token"
                </Button>
            </CardActions>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=3 /></div> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Enrollment tokens"
                                        error=error
                                        on_retry=Callback::new(move |()| tokens.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            let now = browser::now();
                            let is_empty = list.is_empty();
                            view! {
                                <div class="table-scroll table-stack">
                                    <DataTable
                                        columns=&["Name", "For", "Uses", "Expires", "Status", ""]
                                        is_empty=Signal::stored(is_empty)
                                        {..}
                                        class:table-tokens=true
                                        data-testid="enrollment-tokens"
                                    >
                                        <Empty slot>"No enrollment tokens yet."</Empty>
                                        {list
                                            .into_iter()
                                            .map(|token| token_row(token, now, names, ask_revoke))
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
        <CreateTokenDialog
            open=create_open
            people=active_people
            on_created=Callback::new(move |()| tokens.refetch())
        />
        <ConfirmDialog
            open=revoking.open
            title="Revoke this token?"
            message=message
            confirm_label="Revoke token"
            busy=revoking.busy
            error=revoking.error
            on_confirm=revoke
        />
    }
}

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenState {
    Active,
    UsedUp,
    Expired,
    Revoked,
}

pub(super) fn token_state(token: &EnrollmentToken, now: DateTime<Utc>) -> TokenState {
    if token.revoked_at.is_some() {
        TokenState::Revoked
    } else if token.expires_at <= now {
        TokenState::Expired
    } else if token.uses >= token.max_uses {
        TokenState::UsedUp
    } else {
        TokenState::Active
    }
}

pub(super) fn token_row(
    token: EnrollmentToken,
    now: DateTime<Utc>,
    names: Memo<HashMap<UserId, String>>,
    on_revoke: Callback<EnrollmentToken>,
) -> impl IntoView {
    let state = token_state(&token, now);
    let (tone, text) = match state {
        TokenState::Active => (BadgeTone::Success, "Active"),
        TokenState::UsedUp => (BadgeTone::Neutral, "Used up"),
        TokenState::Expired => (BadgeTone::Neutral, "Expired"),
        TokenState::Revoked => (BadgeTone::Neutral, "Revoked"),
    };
    let user = token.user_id;
    let for_whom = move || match user {
        Some(id) => names.with(|names| names.get(&id).cloned().unwrap_or_else(|| "—".to_owned())),
        None => "Named at enrollment".to_owned(),
    };
    let uses = format!("{} of {}", token.uses, token.max_uses);
    let expires = format::minute(token.expires_at);
    let name = token.name.clone();
    let row_name = token.name.clone();
    let label = format!("Revoke {}", token.name);
    let revocable = state != TokenState::Revoked;
    let stored = StoredValue::new(token);
    view! {
        <tr
            data-token-name=row_name
            data-token-state=format!("{state:?}").to_ascii_lowercase()
            class:is-revoked=state != TokenState::Active
        >
            <td class="cell-title cell-wrap cell-token">{name}</td>
            <td class="cell-for" data-label="For">{for_whom}</td>
            <td class="cell-uses" data-label="Uses">{uses}</td>
            <td class="cell-expires" data-label="Expires">{expires}</td>
            <td class="cell-status">
                <Badge tone=tone>{text}</Badge>
            </td>
            <td class="cell-actions">
                <Show when=move || revocable>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_revoke.run(stored.get_value())
                        {..}
                        class:btn-ghost-danger=true
                        data-testid="token-revoke"
                        aria-label=label.clone()
                    >
                        "Revoke"
                    </Button>
                </Show>
            </td>
        </tr>
    }
}
