//! Agents (`/agents`): the desktop agents the person may see with their status (the
//! newest 200 matching the search and status filters, which the server answers, 200
//! more with each "Load more", and the totals per status), kept current (every few
//! seconds while the page is visible, and at once when an agent or fleet alert arrives),
//! narrowed to the computers of one fleet alert by `?alert=`, and revoking an agent. For
//! admins, the enrollment tokens computers join with: creating one (its `pet_…` secret
//! and the install command are shown once) and revoking it.

mod live;
mod table;
mod token_form;
mod tokens;

use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use pulse_shared::access::Action;
use pulse_shared::agents::Agent;
use pulse_shared::ids::UserId;

use super::heading::{self, PageHeading};
use crate::api;
use crate::components::{ConfirmDialog, Confirmation, use_toasts};
use crate::reactive::{effect, memo};
use crate::session::use_session;
use live::LiveAgents;
use table::AgentsCard;
use tokens::TokensCard;

/// How often the list is loaded again while the page is visible.
const POLL: Duration = Duration::from_secs(5);

/// How many computers one page lists (the server's largest page): the first shown, and
/// what each "Load more" adds.
const SHOWN: u32 = 200;

/// How long typing in the search pauses before the list is asked for again.
const SEARCH_PAUSE: Duration = Duration::from_millis(250);

/// The longest token name (the server's limit).
const MAX_TOKEN_NAME: usize = 80;

/// The page: the agents card, the enrollment tokens card (admins) and the dialogs.
#[component]
pub fn Agents() -> impl IntoView {
    let session = use_session();
    let may_manage = memo(move || session.may(Action::ManageAgents));
    // For the tokens card: whom a token names, and whom a new one may name.
    let people = api::Loaded::new(move || async move {
        if may_manage.get() {
            api::everyone(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let names = memo(move || {
        let mut names: HashMap<UserId, String> = people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|person| (person.id, person.name))
            .collect();
        if let Some(me) = session.me() {
            names.entry(me.user.id).or_insert(me.user.name);
        }
        names
    });
    let agents = LiveAgents::start(session);
    // `?alert=` (the link of a fleet alert) narrows the list to that alert's computers.
    let query = use_query_map();
    effect(move |_| {
        let alert = query.with(|query| query.get("alert").and_then(|id| id.parse().ok()));
        if agents.filters.alert.get_untracked() != alert {
            agents.filters.alert.set(alert);
        }
    });

    let revoking = Confirmation::<Agent>::new();
    let focus_revoked = RwSignal::new(None);
    let ask_revoke = Callback::new(move |agent: Agent| revoking.ask(agent));
    let toasts = use_toasts();
    let revoke = Callback::new(move |()| {
        revoking.confirm(
            move |agent: Agent| api::revoke_agent(session, agent.id),
            move |agent| {
                toasts.success(format!("The agent on {} is revoked", agent.hostname));
                focus_revoked.set(Some(agent.id));
                agents.load();
            },
        );
    });
    let revoke_message = revoking.message(|agent| {
        format!(
            "The agent on {} stops reporting at once and its seat is freed once its employee has no other computer. To monitor this computer again, enroll it with a new token.",
            agent.hostname
        )
    });

    view! {
        <div class="page" data-page="agents">
            <header class="page-header">
                <PageHeading heading=heading::AGENTS />
            </header>
            <AgentsCard
                agents=agents
                may_manage=may_manage
                on_revoke=ask_revoke
                focus_revoked=focus_revoked
            />
            <Show when=move || may_manage.get()>
                <TokensCard people=people names=names agents=agents />
            </Show>
            <ConfirmDialog
                open=revoking.open
                title="Revoke this agent?"
                message=revoke_message
                confirm_label="Revoke agent"
                busy=revoking.busy
                error=revoking.error
                on_confirm=revoke
            />
        </div>
    }
}
