//! Employees (`/people`): the people of the company (or of the manager's teams) with
//! search, filters and "Load more"; inviting people; changing a person's role or team,
//! deactivating, reactivating and deleting them; open invitations with revoke.

mod filters;
mod invitations;
mod invite;
mod manage;
mod table;

use std::time::Duration;

use leptos::prelude::*;
use pulse_shared::access::Action;
use pulse_shared::ids::UserId;
use pulse_shared::people::{Person, Role};

use super::heading::{self, PageHeading};
use crate::api;
use crate::components::{Badge, BadgeTone, Button, Card, CardActions};
use crate::cursor_list::CursorList;
use crate::reactive::{effect, memo};
use crate::session::use_session;
use filters::{FilterBar, Filters};
use invitations::InvitationsCard;
use invite::InviteDialog;
use manage::ManageDialog;
use table::{PeopleList, PeopleTable, remove, replace};

/// How many people one "Load more" brings.
const PAGE_SIZE: u32 = 25;

/// How long typing in the search box pauses before the list reloads.
const SEARCH_DELAY: Duration = Duration::from_millis(250);

/// The page: filters, the people table, the invitations card and the dialogs.
#[component]
pub fn People() -> impl IntoView {
    let session = use_session();
    let may_invite = memo(move || session.reaches_others(Action::InvitePeople));
    let teams = api::Loaded::new(move || api::teams(session));
    let team_list = Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default());

    let filters = Filters::new();
    let list: PeopleList = CursorList::new(session, "people", |session, query| {
        Box::pin(async move { api::people(session, &query).await })
    });
    // Reload from the first page whenever a filter changes; typing waits for a pause.
    effect(move |first| {
        let query = filters.query();
        let generation = list.begin();
        let delay = if first { Duration::ZERO } else { SEARCH_DELAY };
        set_timeout(move || list.load_first(generation, query), delay);
    });

    let invitations = api::Loaded::new(move || async move {
        if may_invite.get() {
            api::invitations(session).await
        } else {
            Ok(Vec::new())
        }
    });
    let invite_open = RwSignal::new(false);
    let managing = RwSignal::new(None::<Person>);
    let manage_open = RwSignal::new(false);
    effect(move |_| {
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
                <PageHeading heading=heading::PEOPLE />
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

/// The role as a badge: owners and admins stand out.
pub(super) fn role_badge(role: Role) -> impl IntoView {
    let tone = match role {
        Role::Owner | Role::Admin => BadgeTone::Info,
        Role::Manager | Role::Employee => BadgeTone::Neutral,
    };
    view! { <Badge tone=tone>{role.label()}</Badge> }
}
