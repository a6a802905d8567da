//! Audit log (`/audit`): every recorded change, newest first, with filters (actor,
//! action, target, date range), "Load more", CSV export of the same filter, and whether
//! the company's hash chain is intact.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use leptos::prelude::*;
use pulse_shared::audit::{
    ActorKind, AuditAction, AuditEvent, AuditQuery, AuditVerifyResponse, TargetKind,
};
use pulse_shared::people::PeopleQuery;

use super::heading::{self, PageHeading};
use crate::api;
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, CardActions, DataTable, Empty, FormField,
    FormMessage, SelectField, SelectOption, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody, LoadMore};
use crate::format;
use crate::forms::{FormErrors, task};
use crate::reactive::{effect, memo};
use crate::session::use_session;

/// How many events one "Load more" brings.
const PAGE_SIZE: u32 = 50;

/// The page.
#[component]
pub fn Audit() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let applied = RwSignal::new(AuditQuery::default());
    let list: EventList = CursorList::new(session, "events", |session, query| {
        Box::pin(async move { api::audit_events(session, &query).await })
    });
    effect(move |_| {
        list.load(AuditQuery {
            limit: Some(PAGE_SIZE),
            ..applied.get()
        })
    });
    let verify = api::Loaded::new(move || api::audit_verify(session));
    // Names for the actor and target columns, and the actor filter's choices.
    let people = api::Loaded::new(move || async move {
        let query = PeopleQuery {
            limit: Some(pulse_shared::page::MAX_PAGE_SIZE),
            ..Default::default()
        };
        api::people(session, &query).await.map(|page| page.items)
    });
    let teams = api::Loaded::new(move || api::teams(session));
    // Ids of people and teams → names, for the actor and target columns.
    let names = memo(move || {
        let mut names: HashMap<String, String> = people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|person| (person.id.0.to_string(), person.name))
            .collect();
        names.extend(
            teams
                .get()
                .and_then(Result::ok)
                .unwrap_or_default()
                .into_iter()
                .map(|team| (team.id.0.to_string(), team.name)),
        );
        names
    });
    let people_names = memo(move || {
        people
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|person| (person.id.0.to_string(), person.name))
            .collect::<Vec<SelectOption>>()
    });
    let export_csv = task(move |()| {
        let filter = applied.get_untracked();
        async move {
            let csv = api::audit_csv(session, &filter).await;
            browser::save_csv(toasts, csv, "audit", ("event", "events"));
        }
    });
    let exporting = export_csv.pending();
    let export = move |_| {
        export_csv.dispatch_local(());
    };

    view! {
        <div class="page" data-page="audit">
            <header class="page-header">
                <PageHeading heading=heading::AUDIT />
                <div class="header-actions">
                    <VerifyBadge verify=verify />
                    <Button
                        variant=ButtonVariant::Secondary
                        loading=exporting
                        on_click={export}
                        {..}
                        data-testid="audit-export"
                    >
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true">
                            <path d="M12 4v11M7 10l5 5 5-5M5 20h14" />
                        </svg>
                        "Export CSV"
                    </Button>
                </div>
            </header>
            <Card title="Events" flush=true>
                <CardActions slot>
                    {move || {
                        let count = list.rows.with(Vec::len);
                        let more = list.next_cursor.with(Option::is_some);
                        (count > 0)
                            .then(|| view! { <Badge>{format!("{count}{} shown", if more { "+" } else { "" })}</Badge> })
                    }}
                </CardActions>
                <AuditFilters
                    applied=applied
                    actors=Signal::derive(move || {
                        let mut actors = people_names.get();
                        crate::sort::by_key(&mut actors, |actor| actor.1.clone());
                        actors
                    })
                />
                <EventsTable list=list names=names />
            </Card>
        </div>
    }
}

/// "Chain intact (N events)" or "Chain broken at #seq": re-walked by the server on load.
#[component]
fn VerifyBadge(verify: api::Loaded<AuditVerifyResponse>) -> impl IntoView {
    move || {
        let (tone, text, title) = match verify.get() {
            None => (
                BadgeTone::Neutral,
                "Checking the chain…".to_owned(),
                String::new(),
            ),
            Some(Ok(answer)) => verify_text(&answer),
            Some(Err(error)) => (
                BadgeTone::Warning,
                "Chain not checked".to_owned(),
                error.to_string(),
            ),
        };
        view! {
            <Badge tone={tone} {..} data-testid="audit-verify" title=title>
                {text}
            </Badge>
        }
    }
}

fn verify_text(answer: &AuditVerifyResponse) -> (BadgeTone, String, String) {
    if answer.valid {
        let events = if answer.checked == 1 {
            "event"
        } else {
            "events"
        };
        (
            BadgeTone::Success,
            format!("Chain intact ({} {events})", answer.checked),
            "Every event's hash matches: nothing was changed or removed.".to_owned(),
        )
    } else {
        let at = answer
            .first_broken_seq
            .map_or_else(|| "?".to_owned(), |seq| seq.to_string());
        (
            BadgeTone::Danger,
            format!("Chain broken at #{at}"),
            "This event or one before it was altered after it was recorded.".to_owned(),
        )
    }
}

/// The loaded events and how to get more.
type EventList = CursorList<AuditEvent, AuditQuery>;

/// The filter form; "Apply" replaces the applied filter, "Clear" empties it.
#[component]
fn AuditFilters(
    applied: RwSignal<AuditQuery>,
    /// `(actor id, name)` pairs for the actor filter.
    #[prop(into)]
    actors: Signal<Vec<SelectOption>>,
) -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let target_kind = RwSignal::new(String::new());
    let target_id = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let actor_options = Signal::derive(move || {
        let mut options = vec![(String::new(), "Anyone".to_owned())];
        options.extend(actors.get());
        options
    });
    let kind_options = Signal::derive(|| {
        let mut options = vec![(String::new(), "Anything".to_owned())];
        options.extend(
            TargetKind::ALL
                .iter()
                .map(|kind| (kind.as_str().to_owned(), kind.label().to_owned())),
        );
        options
    });

    let apply = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut ok = true;
        let target = target_id.get_untracked();
        let target = target.trim();
        let target_uuid = if target.is_empty() {
            None
        } else {
            match target.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.set("target_id", "Paste a whole id, e.g. 0193a1b2-….");
                    ok = false;
                    None
                }
            }
        };
        let start = format::parse_day(&from.get_untracked());
        let end = format::parse_day(&to.get_untracked());
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            errors.set("to", "The end is before the start.");
            ok = false;
        }
        if !ok {
            return;
        }
        applied.set(AuditQuery {
            actor_id: actor.get_untracked().parse().ok(),
            action: Some(action.get_untracked().trim().to_owned()).filter(|a| !a.is_empty()),
            target_kind: Some(target_kind.get_untracked()).filter(|k| !k.is_empty()),
            target_id: target_uuid,
            from: start.map(start_of_day),
            // Inclusive of the chosen day: before the next midnight.
            to: end.map(|day| start_of_day(day) + TimeDelta::days(1)),
            cursor: None,
            limit: None,
        });
    };
    let clear = move |_| {
        for field in [actor, action, target_kind, target_id, from, to] {
            field.set(String::new());
        }
        errors.clear();
        applied.set(AuditQuery::default());
    };
    let filtered = move || applied.with(|query| *query != AuditQuery::default());

    view! {
        <form class="filter-bar filter-bar-audit" on:submit=apply novalidate=true data-testid="audit-filters">
            <SelectField id="audit-actor" name="actor_id" label="Actor" value=actor options=actor_options />
            <div class="field-with-list">
                <FormField
                    id="audit-action"
                    name="action"
                    label="Action"
                    placeholder="e.g. user.invited"
                    value=action
                    input_type="search"
                    list="audit-actions"
                />
                <datalist id="audit-actions">
                    {AuditAction::ALL.iter().map(|action| view! { <option value=action.as_str()></option> }).collect_view()}
                </datalist>
            </div>
            <SelectField
                id="audit-target-kind"
                name="target_kind"
                label="Target"
                value=target_kind
                options=kind_options
            />
            <FormField
                id="audit-target-id"
                name="target_id"
                label="Target id"
                placeholder="Any"
                value=target_id
                error=errors.of("target_id")
            />
            <FormField id="audit-from" name="from" label="From" input_type="date" value=from />
            <FormField id="audit-to" name="to" label="To" input_type="date" value=to error=errors.of("to") />
            <div class="filter-actions">
                <Button submit=true variant={ButtonVariant::Secondary} {..} data-testid="audit-apply">
                    "Apply filters"
                </Button>
                <Show when=filtered>
                    <Button variant=ButtonVariant::Ghost on_click=clear>
                        "Clear"
                    </Button>
                </Show>
            </div>
            <FormMessage error=errors.general() />
        </form>
    }
}

fn start_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

#[component]
fn EventsTable(list: EventList, names: Memo<HashMap<String, String>>) -> impl IntoView {
    view! {
        <CursorListBody list=list title="Events" lines=6>
            <div class="table-scroll table-stack" class:is-refreshing=move || list.loading.get()>
                <DataTable
                    columns=&["#", "Time", "Actor", "Action", "Target", "Details"]
                    is_empty=Signal::derive(move || list.rows.with(Vec::is_empty))
                    {..}
                    class:table-audit=true
                    data-testid="audit-events"
                >
                    <Empty slot>"No events match these filters."</Empty>
                    <For each=move || list.rows.get() key=|event| event.id let:event>
                        {event_row(event, names)}
                    </For>
                </DataTable>
            </div>
        </CursorListBody>
        <LoadMore list=list />
    }
}

fn event_row(event: AuditEvent, names: Memo<HashMap<String, String>>) -> impl IntoView {
    let AuditEvent {
        seq,
        occurred_at,
        actor_kind,
        actor_id,
        action,
        target_kind,
        target_id,
        summary,
        ip,
        user_agent,
        ..
    } = event;
    let actor = move || actor_text(actor_kind, actor_id.map(|id| id.to_string()), &names.get());
    let target = move || {
        let id = target_id.map(|id| id.to_string());
        let named = id
            .as_ref()
            .and_then(|id| names.with(|names| names.get(id).cloned()));
        match (named, id) {
            (Some(name), _) => format!("{} · {name}", kind_label(&target_kind)),
            (None, Some(id)) => format!("{} · {}", kind_label(&target_kind), short_id(&id)),
            (None, None) => kind_label(&target_kind).to_owned(),
        }
    };
    let row_action = action.clone();
    let details = summary_text(&summary);
    let details_full = summary.to_string();
    let from = ip.unwrap_or_else(|| "—".to_owned());
    let agent = user_agent.unwrap_or_default();
    view! {
        <tr data-audit-action=row_action data-audit-seq=seq>
            <td class="mono muted cell-seq">{seq}</td>
            <td class="cell-time">
                <time
                    class="stacked"
                    datetime=occurred_at.to_rfc3339()
                    title=format::timestamp(occurred_at)
                >
                    <span>{format::date(occurred_at)}</span>
                    <span class="cell-sub">{format!("{} UTC", format::clock(occurred_at, true))}</span>
                </time>
            </td>
            <td class="cell-actor" data-label="Actor">
                <span class="stacked">
                    <span>{actor}</span>
                    <span class="cell-sub mono" title=agent>{from}</span>
                </span>
            </td>
            <td class="cell-action">
                <code class="action">{action}</code>
            </td>
            <td class="cell-wrap cell-target" data-label="Target">{target}</td>
            <td class="cell-details" data-label="Details" title=details_full>{details}</td>
        </tr>
    }
}

fn actor_text(kind: ActorKind, id: Option<String>, names: &HashMap<String, String>) -> String {
    match kind {
        ActorKind::User => id
            .and_then(|id| {
                names
                    .get(&id)
                    .cloned()
                    .or_else(|| Some(format!("Person {}", short_id(&id))))
            })
            .unwrap_or_else(|| "Someone".to_owned()),
        ActorKind::ApiKey => id.map_or_else(
            || "API key".to_owned(),
            |id| format!("API key {}", short_id(&id)),
        ),
        ActorKind::Agent => "Desktop agent".to_owned(),
        ActorKind::Stripe => "Stripe".to_owned(),
        ActorKind::System => "Pulse".to_owned(),
    }
}

fn kind_label(kind: &str) -> &str {
    match kind.parse::<TargetKind>() {
        Ok(known) => known.label(),
        Err(_) => kind,
    }
}

/// The first 8 characters of an id: enough to tell ids apart at a glance.
fn short_id(id: &str) -> String {
    id.chars().take(8).collect::<String>() + "…"
}

/// A before/after summary as one line: `role: employee → manager`, or the fields of
/// `after` (or of the summary itself) as `key: value`. Ids shrink to their first characters.
fn summary_text(summary: &serde_json::Value) -> String {
    use serde_json::{Map, Value};
    fn plain(value: &Value) -> String {
        match value {
            Value::String(text) if looks_like_id(text) => short_id(text),
            Value::String(text) => text.clone(),
            Value::Null => "none".to_owned(),
            other => other.to_string(),
        }
    }
    fn fields(map: &Map<String, Value>) -> String {
        map.iter()
            .map(|(key, value)| format!("{key}: {}", plain(value)))
            .collect::<Vec<_>>()
            .join(", ")
    }
    let Value::Object(map) = summary else {
        return match summary {
            Value::Null => "—".to_owned(),
            other => plain(other),
        };
    };
    let text = match (map.get("before"), map.get("after")) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => after
            .iter()
            .filter(|(key, new)| before.get(*key) != Some(*new))
            .map(|(key, new)| match before.get(key) {
                Some(old) => format!("{key}: {} → {}", plain(old), plain(new)),
                None => format!("{key}: {}", plain(new)),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (None, Some(Value::Object(after))) => fields(after),
        (Some(Value::Object(before)), None) => format!("was {}", fields(before)),
        _ => fields(map),
    };
    if text.is_empty() {
        "—".to_owned()
    } else {
        text
    }
}

/// A UUID in its usual text form.
fn looks_like_id(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summaries_read_as_changes() {
        assert_eq!(summary_text(&json!(null)), "—");
        assert_eq!(summary_text(&json!({})), "—");
        assert_eq!(
            summary_text(&json!({"email": "a@b.co", "role": "manager"})),
            "email: a@b.co, role: manager"
        );
        assert_eq!(
            summary_text(&json!({"before": {"role": "employee"}, "after": {"role": "manager"}})),
            "role: employee → manager"
        );
        assert_eq!(
            summary_text(&json!({"after": {"team_id": "01a2146d-14eb-70d5-bfb8-e510ae7965ee"}})),
            "team_id: 01a2146d…"
        );
        assert_eq!(
            summary_text(&json!({"before": {"name": "Ops"}})),
            "was name: Ops"
        );
    }

    #[test]
    fn days_become_utc_bounds() {
        let day = format::parse_day("2026-11-25");
        assert_eq!(
            day.map(start_of_day).map(|at| at.to_rfc3339()).as_deref(),
            Some("2026-11-25T00:00:00+00:00")
        );
        assert_eq!(format::parse_day("25/11/2026"), None);
    }
}
