//! Categories (`/settings/categories`): the rules that say how time in an application or
//! on a site counts (productive, neutral, unproductive) and under which category, for
//! the company, a team or a person; the applications and sites recorded, with how each
//! is classified now. Owners and admins add, edit (with a live preview of what a rule
//! matches) and delete rules; managers read them.

mod form;
mod rules;
mod subjects;

use leptos::prelude::*;
use pulse_shared::access::Action;
use pulse_shared::ids::{CategoryRuleId, TeamId, UserId};
use pulse_shared::people::Person;
use pulse_shared::reports::{CategoryRule, NewCategoryRule, Productivity, RuleField, RuleMatch};
use pulse_shared::teams::Team;

use super::heading::{self, PageHeading};
use crate::api;
use crate::components::{
    Button, Card, ConfirmDialog, Confirmation, Dialog, ErrorCard, SelectOption, Skeleton,
    use_toasts,
};
use crate::reactive::memo;
use crate::session::use_session;
use form::RuleForm;
use rules::RulesCard;
use subjects::SubjectsCard;

/// The page: the rules by scope, the applications and sites, and the dialogs.
#[component]
pub fn Categories() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let editor = memo(move || session.may(Action::ManageCategoryRules));
    let rules = api::Loaded::new(move || api::category_rules(session));
    let teams = api::Loaded::new(move || api::teams(session));
    let people = api::Loaded::new(move || api::everyone(session));
    let names = Names {
        teams: Signal::derive(move || teams.get().and_then(Result::ok).unwrap_or_default()),
        people: Signal::derive(move || people.get().and_then(Result::ok).unwrap_or_default()),
    };
    // Goes up whenever a rule changed, so that the classifications are read again.
    let changes = RwSignal::new(0_u32);
    let changed = Callback::new(move |()| {
        rules.refetch();
        changes.update(|count| *count += 1);
    });

    let drafting = RwSignal::new(None::<Draft>);
    let form_open = RwSignal::new(false);
    let edit = Callback::new(move |draft: Draft| {
        drafting.set(Some(draft));
        form_open.set(true);
    });
    let deleting = Confirmation::<CategoryRule>::new();
    let delete = Callback::new(move |rule: CategoryRule| deleting.ask(rule));
    let confirm_delete = Callback::new(move |()| {
        deleting.confirm(
            move |rule: CategoryRule| async move { api::delete_category_rule(session, rule.id).await },
            move |rule| {
                toasts.success(format!("Deleted the rule for “{}”", rule.pattern));
                changed.run(());
            },
        );
    });
    let form_title = Signal::derive(move || {
        let editing = drafting.with(|draft| draft.as_ref().is_some_and(|draft| draft.id.is_some()));
        if editing { "Edit rule" } else { "Add rule" }.to_owned()
    });

    view! {
        <div class="page" data-page="categories">
            <header class="page-header">
                <PageHeading heading=heading::CATEGORIES />
                <Show when=move || editor.get()>
                    <Button on_click=move |_| edit.run(Draft::default()) {..} data-testid="rule-add">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 5v14M5 12h14" />
                        </svg>
                        "Add rule"
                    </Button>
                </Show>
            </header>
            <Transition fallback=|| view! { <Card title="Rules"><Skeleton lines=5 /></Card> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Err(error) => view! {
                            <ErrorCard title="Rules" error=error on_retry=Callback::new(move |()| rules.refetch()) />
                        }
                        .into_any(),
                        Ok(list) => view! {
                            <RulesCard rules=list names=names editor=editor on_edit=edit on_delete=delete />
                        }
                        .into_any(),
                    }
                })}
            </Transition>
            <SubjectsCard names=names editor=editor changes=changes on_classify=edit />
            <Dialog open=form_open title=form_title>
                {move || {
                    drafting
                        .get()
                        .map(|draft| {
                            view! {
                                <RuleForm
                                    draft=draft
                                    names=names
                                    close=Callback::new(move |()| form_open.set(false))
                                    on_saved=Callback::new(move |_: CategoryRule| {
                                        form_open.set(false);
                                        changed.run(());
                                    })
                                />
                            }
                        })
                }}
            </Dialog>
            <ConfirmDialog
                open=deleting.open
                title="Delete this rule?"
                message=deleting.message(|rule: &CategoryRule| {
                    format!(
                        "Time in what “{}” matches will count as the next rule down says (or the built-in catalogue), in past reports too.",
                        rule.pattern
                    )
                })
                confirm_label="Delete rule"
                busy=deleting.busy
                error=deleting.error
                on_confirm=confirm_delete
            />
        </div>
    }
}

/// A rule being written: the stored rule's id when editing one, and its fields.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Draft {
    pub id: Option<CategoryRuleId>,
    pub rule: NewCategoryRule,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            id: None,
            rule: NewCategoryRule {
                field: RuleField::App,
                matches: RuleMatch::Exact,
                pattern: String::new(),
                productivity: Productivity::Productive,
                category: String::new(),
                team_id: None,
                user_id: None,
            },
        }
    }
}

/// What a rule looks at, in words.
pub(super) fn field_label(field: RuleField) -> &'static str {
    match field {
        RuleField::App => "Application",
        RuleField::Domain => "Site",
    }
}

/// How a rule's pattern matches, in words.
pub(super) fn match_label(matches: RuleMatch) -> &'static str {
    match matches {
        RuleMatch::Exact => "Exact name",
        RuleMatch::Wildcard => "Wildcard (*)",
        RuleMatch::Regex => "Regular expression",
    }
}

/// The teams and people the viewer sees, for choosing and naming scopes.
#[derive(Clone, Copy)]
pub(super) struct Names {
    pub teams: Signal<Vec<Team>>,
    pub people: Signal<Vec<Person>>,
}

/// Whom a rule applies to: a person, else a team, else the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Scope {
    #[default]
    Company,
    Team(TeamId),
    Person(UserId),
}

impl Scope {
    pub fn of(team: Option<TeamId>, user: Option<UserId>) -> Self {
        match (user, team) {
            (Some(user), _) => Scope::Person(user),
            (None, Some(team)) => Scope::Team(team),
            (None, None) => Scope::Company,
        }
    }

    /// `(team_id, user_id)` as a rule or a query has them.
    pub fn ids(self) -> (Option<TeamId>, Option<UserId>) {
        match self {
            Scope::Company => (None, None),
            Scope::Team(team) => (Some(team), None),
            Scope::Person(user) => (None, Some(user)),
        }
    }

    /// The `<select>` value: empty, `team:<id>` or `person:<id>`.
    pub fn value(self) -> String {
        match self {
            Scope::Company => String::new(),
            Scope::Team(team) => format!("team:{team}"),
            Scope::Person(user) => format!("person:{user}"),
        }
    }

    pub fn parse(value: &str) -> Self {
        match value.split_once(':') {
            Some(("team", id)) => id.parse().map_or(Scope::Company, Scope::Team),
            Some(("person", id)) => id.parse().map_or(Scope::Company, Scope::Person),
            _ => Scope::Company,
        }
    }
}

impl Names {
    /// `Company`, `Team Support`, `Ada Lovelace`.
    pub fn of(self, scope: Scope) -> String {
        match scope {
            Scope::Company => "Company".to_owned(),
            Scope::Team(id) => self.teams.with(|teams| {
                let name = teams
                    .iter()
                    .find(|team| team.id == id)
                    .map(|team| team.name.as_str());
                format!("Team {}", name.unwrap_or("(not visible to you)"))
            }),
            Scope::Person(id) => self.people.with(|people| {
                people.iter().find(|person| person.id == id).map_or_else(
                    || "A person not visible to you".to_owned(),
                    |person| person.name.clone(),
                )
            }),
        }
    }

    /// The choices of a scope `<select>`: `company` (named `company`), then each team,
    /// then each person, by name.
    pub fn options(self, company: &str) -> Vec<SelectOption> {
        let mut options = vec![(Scope::Company.value(), company.to_owned())];
        let mut teams = self.teams.get();
        crate::sort::by_key(&mut teams, |team| team.name.to_lowercase());
        options.extend(teams.into_iter().map(|team| {
            (
                Scope::Team(team.id).value(),
                format!("Team · {}", team.name),
            )
        }));
        let mut people = self.people.get();
        crate::sort::by_key(&mut people, |person| person.name.to_lowercase());
        options.extend(people.into_iter().map(|person| {
            (
                Scope::Person(person.id).value(),
                format!("Employee · {}", person.name),
            )
        }));
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_their_select_value() {
        let team = "0193a1b2-0000-7000-8000-000000000001"
            .parse::<TeamId>()
            .ok();
        let user = "0193a1b2-0000-7000-8000-000000000002"
            .parse::<UserId>()
            .ok();
        assert!(team.is_some() && user.is_some());
        let scopes = [
            Some(Scope::Company),
            team.map(Scope::Team),
            user.map(Scope::Person),
        ];
        for scope in scopes.into_iter().flatten() {
            assert_eq!(Scope::parse(&scope.value()), scope);
            let (team, user) = scope.ids();
            assert_eq!(Scope::of(team, user), scope);
        }
        assert_eq!(Scope::parse("team:nonsense"), Scope::Company);
        assert_eq!(
            Scope::of(team, user),
            user.map(Scope::Person).unwrap_or_default()
        );
    }
}
