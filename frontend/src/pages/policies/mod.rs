//! Policies (`/policies`): what agents record, at three levels. The company default
//! sets every setting; a team's or an employee's override sets some and inherits the
//! rest, setting by setting. The shared bounds check every change before it is sent,
//! and the server's field errors land under the same fields. Below: the policy that
//! applies to one employee with where each value comes from, and the change history
//! from the audit trail.
//!
//! The form reads and writes settings as JSON objects keyed by field name, so one table
//! of settings (`settings::GROUPS`) drives the controls, the validation messages, the
//! effective policy and the history, and a field added to the shared types needs one
//! line there.

mod controls;
mod draft;
mod effective;
mod form;
mod history;
mod levels;
mod settings;

use leptos::prelude::*;
use pulse_shared::audit::AuditQuery;
use pulse_shared::ids::UserId;
use pulse_shared::people::UserStatus;

use super::heading::{self, PageHeading};
use crate::api;
use crate::components::{Card, ErrorCard, Skeleton};
use crate::cursor_list::CursorList;
use crate::reactive::effect;
use crate::session::use_session;
use effective::EffectiveCard;
use history::{HistoryCard, HistoryList};
use levels::{Choice, PolicyCard};

/// How many history entries one "Load more" brings.
const HISTORY_PAGE: u32 = 10;

/// The page: the form of the chosen level, the effective policy, the history.
#[component]
pub fn Policies() -> impl IntoView {
    let session = use_session();
    let overview = api::Loaded::new(move || api::policies(session));
    let teams = api::Loaded::new(move || api::teams(session));
    let people = api::Loaded::new(move || api::everyone(session));
    let team_list = Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default());
    let people_list = Signal::derive(move || {
        people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .filter(|person| person.status == UserStatus::Active)
            .collect::<Vec<_>>()
    });
    let history: HistoryList = CursorList::new(session, "changes", |session, query| {
        Box::pin(async move { api::audit_events(session, &query).await })
    });
    history.load(AuditQuery {
        target_kind: Some("policy".to_owned()),
        limit: Some(HISTORY_PAGE),
        ..Default::default()
    });
    let effective_for = RwSignal::new(String::new());
    let effective = api::Loaded::new(move || {
        let chosen = effective_for.get().parse::<UserId>().ok();
        async move {
            match chosen {
                Some(id) => api::effective_policy(session, id).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let choice = Choice {
        tab: RwSignal::new("company"),
        team: RwSignal::new(String::new()),
        person: RwSignal::new(String::new()),
    };
    // Choose the first team and person once they have loaded.
    effect(move |_| {
        if choice.team.with_untracked(String::is_empty)
            && let Some(first) =
                team_list.with(|teams| teams.first().map(|team| team.id.to_string()))
        {
            choice.team.set(first);
        }
        if choice.person.with_untracked(String::is_empty)
            && let Some(first) = people_list.with(|people| people.first().map(|p| p.id.to_string()))
        {
            choice.person.set(first);
        }
    });
    let saved = Callback::new(move |()| {
        overview.refetch();
        history.reload();
        effective.refetch();
    });

    view! {
        <div class="page" data-page="policies">
            <header class="page-header">
                <PageHeading heading=heading::POLICIES />
            </header>
            <Transition fallback=|| view! { <Card title="Policy"><Skeleton lines=8 /></Card> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(error) => {
                            view! {
                                <ErrorCard
                                    title="Policy"
                                    error=error
                                    on_retry=Callback::new(move |()| overview.refetch())
                                />
                            }
                                .into_any()
                        }
                        Ok(overview) => {
                            view! {
                                <PolicyCard
                                    overview=overview
                                    choice=choice
                                    teams=team_list
                                    people=people_list
                                    on_saved=saved
                                />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <EffectiveCard
                chosen=effective_for
                effective=effective
                people=people_list
                teams=team_list
            />
            <HistoryCard list=history people=Signal::derive(move || people.get().and_then(Result::ok).unwrap_or_default()) teams=team_list />
        </div>
    }
}
