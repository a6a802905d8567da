//! The people filters (search, role, team, status, deleted) and the query they make.

use leptos::prelude::*;
use pulse_shared::access::Action;
use pulse_shared::people::{PeopleQuery, Role, UserStatus};
use pulse_shared::teams::Team;

use super::PAGE_SIZE;
use crate::components::{Button, ButtonVariant, FormField, SelectField};
use crate::session::use_session;

/// The filter controls' values (strings, as the controls hold them).
#[derive(Debug, Clone, Copy)]
pub(super) struct Filters {
    pub(super) q: RwSignal<String>,
    pub(super) role: RwSignal<String>,
    pub(super) team: RwSignal<String>,
    pub(super) status: RwSignal<String>,
}

impl Filters {
    pub(super) fn new() -> Self {
        Self {
            q: RwSignal::new(String::new()),
            role: RwSignal::new(String::new()),
            team: RwSignal::new(String::new()),
            status: RwSignal::new(String::new()),
        }
    }

    /// The query of the first page, tracked. The status "deleted" asks for the deleted
    /// people still restorable instead of the others.
    pub(super) fn query(self) -> PeopleQuery {
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

    pub(super) fn any(self) -> bool {
        !(self.q.read().trim().is_empty()
            && self.role.read().is_empty()
            && self.team.read().is_empty()
            && self.status.read().is_empty())
    }

    pub(super) fn clear(self) {
        self.q.set(String::new());
        self.role.set(String::new());
        self.team.set(String::new());
        self.status.set(String::new());
    }
}

/// The status filter's value for deleted people.
pub(super) const DELETED: &str = "deleted";

/// Search, role, team and status filters. Their `name`s are not JSON field names on
/// purpose, so that `[name=role]` always means the invite or manage form.
#[component]
pub(super) fn FilterBar(filters: Filters, #[prop(into)] teams: Signal<Vec<Team>>) -> impl IntoView {
    let role_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Any role".to_owned())];
        options.extend(crate::pages::role_options(&Role::ALL));
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
        let mut options = vec![(String::new(), "Any status".to_owned())];
        options.extend(
            [UserStatus::Active, UserStatus::Deactivated]
                .map(|status| (status.as_str().to_owned(), status.label().to_owned())),
        );
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
