//! The rules, grouped by whom they apply to: the company, then each team, then each
//! person; Edit and Delete for those who may change them.

use leptos::prelude::*;
use pulse_shared::reports::CategoryRule;

use super::{Draft, Names, Scope, field_label, match_label};
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty,
};

#[component]
pub(super) fn RulesCard(
    rules: Vec<CategoryRule>,
    names: Names,
    /// Whether the viewer may change rules (else they are shown read-only).
    editor: Memo<bool>,
    on_edit: Callback<Draft>,
    on_delete: Callback<CategoryRule>,
) -> impl IntoView {
    let count = rules.len();
    let groups = move || {
        let groups = by_scope(&rules, names);
        if groups.is_empty() {
            return view! {
                <p class="card-inset muted">"No rules yet: the built-in catalogue classifies every application and site."</p>
            }
            .into_any();
        }
        groups
            .into_iter()
            .map(|(name, rules)| view! { <RuleGroup name=name rules=rules editor=editor.get() on_edit=on_edit on_delete=on_delete /> })
            .collect_view()
            .into_any()
    };
    view! {
        <Card title="Rules" flush=true {..} data-testid="category-rules">
            <CardActions slot>
                <Badge>{format!("{count} {}", if count == 1 { "rule" } else { "rules" })}</Badge>
            </CardActions>
            {groups}
        </Card>
    }
}

/// The rules of each scope, named, in the order company, teams, people (by name);
/// within a scope, application rules then site rules, by pattern.
fn by_scope(rules: &[CategoryRule], names: Names) -> Vec<(String, Vec<CategoryRule>)> {
    let mut groups: Vec<(Scope, Vec<CategoryRule>)> = Vec::new();
    for rule in rules {
        let scope = Scope::of(rule.team_id, rule.user_id);
        match groups.iter_mut().find(|(other, _)| *other == scope) {
            Some((_, members)) => members.push(rule.clone()),
            None => groups.push((scope, vec![rule.clone()])),
        }
    }
    let mut named: Vec<(u8, String, Vec<CategoryRule>)> = groups
        .into_iter()
        .map(|(scope, mut members)| {
            crate::sort::by_key(&mut members, |rule| {
                (rule.field, rule.pattern.to_lowercase())
            });
            let rank = match scope {
                Scope::Company => 0,
                Scope::Team(_) => 1,
                Scope::Person(_) => 2,
            };
            (rank, names.of(scope), members)
        })
        .collect();
    crate::sort::by_key(&mut named, |(rank, name, _)| (*rank, name.to_lowercase()));
    named
        .into_iter()
        .map(|(_, name, members)| (name, members))
        .collect()
}

#[component]
fn RuleGroup(
    name: String,
    rules: Vec<CategoryRule>,
    editor: bool,
    on_edit: Callback<Draft>,
    on_delete: Callback<CategoryRule>,
) -> impl IntoView {
    let mut columns = vec!["Matches", "Counts as", "Category"];
    if editor {
        columns.push("");
    }
    let scope = name.clone();
    view! {
        <section class="rule-group" data-scope=scope>
            <h3 class="rule-group-title">{name}</h3>
            <div class="table-scroll table-stack">
                <DataTable columns=columns is_empty=Signal::stored(false) {..} class:table-rules=true>
                    <Empty slot>"No rules."</Empty>
                    {rules
                        .into_iter()
                        .map(|rule| rule_row(rule, editor, on_edit, on_delete))
                        .collect_view()}
                </DataTable>
            </div>
        </section>
    }
}

fn rule_row(
    rule: CategoryRule,
    editor: bool,
    on_edit: Callback<Draft>,
    on_delete: Callback<CategoryRule>,
) -> impl IntoView {
    let fields = &rule;
    let how = format!(
        "{} · {}",
        field_label(fields.field),
        match_label(fields.matches)
    );
    let pattern = fields.pattern.clone();
    let productivity = fields.productivity;
    let category = fields.category.clone();
    let stored = StoredValue::new(rule.clone());
    let actions = editor.then(|| {
        let edit_label = format!("Edit the rule for {pattern}");
        let delete_label = format!("Delete the rule for {pattern}");
        view! {
            <td class="cell-actions">
                <div class="row-actions">
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| {
                            let rule = stored.get_value();
                            on_edit.run(Draft { id: Some(rule.id), rule: rule.written() });
                        }
                        {..}
                        class:btn-small=true
                        data-testid="rule-edit"
                        aria-label=edit_label
                    >
                        "Edit"
                    </Button>
                    <Button
                        variant=ButtonVariant::Ghost
                        on_click=move |_| on_delete.run(stored.get_value())
                        {..}
                        class:btn-small=true
                        class:btn-ghost-danger=true
                        data-testid="rule-delete"
                        aria-label=delete_label
                    >
                        "Delete"
                    </Button>
                </div>
            </td>
        }
    });
    let (id, key) = (rule.id.to_string(), pattern.clone());
    view! {
        <tr data-rule-id=id data-pattern=key>
            <td class="cell-title cell-wrap cell-pattern">
                <span class="stacked">
                    <code>{pattern}</code>
                    <span class="cell-sub">{how}</span>
                </span>
            </td>
            <td class="cell-class" data-label="Counts as">
                <Badge tone=BadgeTone::from(productivity)>{productivity.label()}</Badge>
            </td>
            <td class="cell-category cell-wrap" data-label="Category">{category}</td>
            {actions}
        </tr>
    }
}
