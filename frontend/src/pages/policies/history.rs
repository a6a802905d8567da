//! The change history card: policy changes from the audit trail, newest first, with the
//! settings each changed.

use std::collections::HashMap;

use leptos::prelude::*;
use pulse_shared::audit::{AuditAction, AuditEvent, AuditQuery};
use pulse_shared::people::Person;
use pulse_shared::teams::Team;
use serde_json::{Map, Value};

use super::settings::settings;
use crate::browser;
use crate::components::{Card, DataTable, Empty};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::format;
use crate::reactive::memo;

pub(super) type HistoryList = CursorList<AuditEvent, AuditQuery>;

/// The settings an audit event's before/after summary shows as changed.
pub(super) fn changed_settings(summary: &Value) -> Vec<&'static str> {
    let empty = Map::new();
    let before = summary
        .get("before")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let after = summary
        .get("after")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    settings()
        .filter(|setting| {
            let old = before.get(setting.key).unwrap_or(&Value::Null);
            let new = after.get(setting.key).unwrap_or(&Value::Null);
            old != new
        })
        .map(|setting| setting.label)
        .collect()
}

/// Policy changes from the audit trail, newest first.
#[component]
pub(super) fn HistoryCard(
    list: HistoryList,
    #[prop(into)] people: Signal<Vec<Person>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    let names = memo(move || {
        let mut names: HashMap<String, String> = people
            .get()
            .into_iter()
            .map(|person| (person.id.to_string(), person.name))
            .collect();
        names.extend(
            teams
                .get()
                .into_iter()
                .map(|team| (team.id.to_string(), format!("Team {}", team.name))),
        );
        names
    });
    view! {
        <Card
            title="Change history"
            subtitle="Every change to a policy, from the audit log."
            flush=true
            {..}
            data-testid="policy-history"
        >
            <CursorListBody list=list title="Change history" lines=3>
                <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                    <DataTable
                        columns=&["When", "Who", "Level", "Settings changed"]
                        is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                        {..}
                        class:table-history=true
                    >
                        <Empty slot>"No policy changes yet."</Empty>
                        <For each=move || list.rows.get() key=|event| event.id let:event>
                            {history_row(event, names)}
                        </For>
                    </DataTable>
                </div>
            </CursorListBody>
            <LoadMore list=list />
        </Card>
    }
}

pub(super) fn history_row(
    event: AuditEvent,
    names: Memo<HashMap<String, String>>,
) -> impl IntoView {
    let when = format::ago(event.occurred_at, browser::now());
    let exact = format::timestamp(event.occurred_at);
    let iso = event.occurred_at.to_rfc3339();
    let actor = event.actor_id.map(|id| id.to_string());
    let who = move || {
        actor
            .as_ref()
            .and_then(|id| names.with(|names| names.get(id).cloned()))
            .unwrap_or_else(|| "Someone".to_owned())
    };
    let level = event.summary.get("level").cloned().unwrap_or(Value::Null);
    let level_text = move || {
        let named = |field: &str| {
            level.get(field).and_then(Value::as_str).map(|id| {
                names.with(|names| {
                    names
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| "Someone".to_owned())
                })
            })
        };
        named("team_id")
            .or_else(|| named("user_id"))
            .unwrap_or_else(|| "Company default".to_owned())
    };
    let changed = changed_settings(&event.summary);
    let (verb, changed) = match event.action.parse() {
        Ok(AuditAction::PolicyOverrideRemoved) => ("Override removed".to_owned(), String::new()),
        Ok(AuditAction::PolicyOverrideSet) => ("Override set".to_owned(), changed.join(", ")),
        _ => ("Changed".to_owned(), changed.join(", ")),
    };
    let changed = if changed.is_empty() {
        verb
    } else {
        format!("{verb}: {changed}")
    };
    view! {
        <tr data-audit-action=event.action.clone()>
            <td class="cell-when">
                <time datetime=iso title=exact>{when}</time>
            </td>
            <td class="cell-who">{who}</td>
            <td class="cell-level">{level_text}</td>
            <td class="cell-wrap cell-changes">{changed}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn history_names_the_settings_that_changed() {
        let summary = json!({
            "level": {"company": true},
            "before": {"heartbeat_secs": 30, "track_urls": false},
            "after": {"heartbeat_secs": 60, "track_urls": false},
        });
        assert_eq!(changed_settings(&summary), ["Heartbeat"]);
        let removed = json!({"before": {"track_urls": true}, "after": null});
        assert_eq!(changed_settings(&removed), ["Record web addresses"]);
    }
}
