//! The applications and sites recorded, most used first, with how each is classified
//! now and whose rule decided: as a card (for the company, a team or a person) and as
//! the list a rule's preview shows.

use leptos::prelude::*;
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::reports::{NewCategoryRule, RuleField, RuleMatch, Subject, subject_label};

use super::{Draft, Names, Scope};
use crate::api::{self, SubjectQuery};
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, DataTable, Empty, ErrorCard, SelectField,
    Skeleton,
};
use crate::session::use_session;

/// The card, with the choice of whose classification to show.
#[component]
pub(super) fn SubjectsCard(
    names: Names,
    editor: Memo<bool>,
    /// Goes up whenever a rule changed.
    changes: RwSignal<u32>,
    /// "Add rule" on a row: a rule for exactly that application or site.
    on_classify: Callback<Draft>,
) -> impl IntoView {
    let session = use_session();
    let scope = RwSignal::new(String::new());
    let subjects = api::Loaded::new(move || {
        changes.track();
        let (team_id, user_id) = Scope::parse(&scope.get()).ids();
        async move { api::category_subjects(session, SubjectQuery { team_id, user_id }).await }
    });
    let options = Signal::derive(move || names.options("The company"));
    let classify = Callback::new(move |subject: Subject| {
        let (team_id, user_id) = Scope::parse(&scope.get_untracked()).ids();
        on_classify.run(rule_for(subject, team_id, user_id));
    });
    view! {
        <Card
            title="Apps and sites"
            subtitle="What was recorded, most used first, and how each counts now."
            flush=true
            {..}
            data-testid="category-subjects"
        >
            <div class="card-toolbar">
                <SelectField id="subjects-scope" name="subjects_scope" label="As classified for" value=scope options=options />
            </div>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=5 /></div> }>
                {move || Suspend::new(async move {
                    match subjects.await {
                        Err(error) => view! {
                            <div class="card-inset">
                                <ErrorCard title="Apps and sites" error=error on_retry=Callback::new(move |()| subjects.refetch()) />
                            </div>
                        }
                        .into_any(),
                        Ok(list) => {
                            let on_classify = editor.get().then_some(classify);
                            view! { <SubjectTable subjects=list on_classify=on_classify /> }.into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
    }
}

/// A rule for exactly `subject` (its site when it has one), classified as it is now.
fn rule_for(subject: Subject, team_id: Option<TeamId>, user_id: Option<UserId>) -> Draft {
    let (field, pattern) = match subject.domain.filter(|domain| !domain.is_empty()) {
        Some(domain) => (RuleField::Domain, domain),
        None => (RuleField::App, subject.app),
    };
    Draft {
        id: None,
        rule: NewCategoryRule {
            field,
            matches: RuleMatch::Exact,
            pattern,
            productivity: subject.productivity,
            category: subject.category,
            team_id,
            user_id,
        },
    }
}

/// Applications and sites as a table; with `on_classify`, each row offers "Add rule".
#[component]
pub(super) fn SubjectTable(
    subjects: Vec<Subject>,
    on_classify: Option<Callback<Subject>>,
) -> impl IntoView {
    let mut columns = vec!["App or site", "Counts as", "Decided by"];
    if on_classify.is_some() {
        columns.push("");
    }
    let is_empty = subjects.is_empty();
    view! {
        <div class="table-scroll table-stack">
            <DataTable columns=columns is_empty=Signal::stored(is_empty) {..} class:table-subjects=true data-testid="subjects">
                <Empty slot>"Nothing recorded matches."</Empty>
                {subjects
                    .into_iter()
                    .map(|subject| subject_row(subject, on_classify))
                    .collect_view()}
            </DataTable>
        </div>
    }
}

fn subject_row(subject: Subject, on_classify: Option<Callback<Subject>>) -> impl IntoView {
    let label = subject_label(&subject.app, subject.domain.as_deref());
    let productivity = subject.productivity;
    let category = subject.category.clone();
    let decided = decided_by(&subject.decided_by).to_owned();
    let action = on_classify.map(|on_classify| {
        let aria = format!("Add a rule for {label}");
        let stored = StoredValue::new(subject);
        view! {
            <td class="cell-actions">
                <Button
                    variant=ButtonVariant::Ghost
                    on_click=move |_| on_classify.run(stored.get_value())
                    {..}
                    class:btn-small=true
                    data-testid="subject-classify"
                    aria-label=aria
                >
                    "Add rule"
                </Button>
            </td>
        }
    });
    let key = label.clone();
    view! {
        <tr data-subject=key>
            <td class="cell-title cell-wrap">{label}</td>
            <td class="cell-class" data-label="Counts as">
                <span class="stacked">
                    <Badge tone=BadgeTone::from(productivity)>{productivity.label()}</Badge>
                    <span class="cell-sub">{category}</span>
                </span>
            </td>
            <td class="cell-decided" data-label="Decided by">{decided}</td>
            {action}
        </tr>
    }
}

/// Whose rule decided, in words (`person`, `team`, `company`, `catalogue`, `none`).
fn decided_by(level: &str) -> &str {
    match level {
        "person" => "The person's own rule",
        "team" => "Their team's rule",
        "company" => "A company rule",
        "catalogue" => "Built-in catalogue",
        "none" => "Nothing (uncategorized)",
        other => other,
    }
}
