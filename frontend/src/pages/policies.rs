//! Policies (`/policies`): what agents record, at three levels. The company default
//! sets every setting; a team's or an employee's override sets some and inherits the
//! rest, setting by setting. The shared bounds check every change before it is sent,
//! and the server's field errors land under the same fields. Below: the policy that
//! applies to one employee with where each value comes from, and the change history
//! from the audit trail.
//!
//! The form reads and writes settings as JSON objects keyed by field name, so one table
//! of settings ([`GROUPS`]) drives the controls, the validation messages, the effective
//! policy and the history, and a field added to the shared types needs one line here.

use std::collections::HashMap;

use leptos::prelude::*;
use pulse_shared::audit::{AuditAction, AuditEvent, AuditQuery};
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::people::{Person, UserStatus};
use pulse_shared::policies::{
    EffectivePolicy, HEARTBEAT_SECS, IDLE_THRESHOLD_SECS, PolicyOverride, PolicyOverview,
    PolicySettings, RETENTION_DAYS, SCREENSHOT_INTERVAL_MINS, SCREENSHOT_JITTER_PERCENT, Weekday,
};
use pulse_shared::teams::Team;
use serde_json::{Map, Value, json};

use crate::api::{self, ApiError, OverrideOf};
use crate::browser;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, ConfirmDialog, DataTable, Empty, ErrorCard,
    FormMessage, SelectField, SelectOption, Skeleton, use_toasts,
};
use crate::cursor_list::{CursorList, CursorListBody};
use crate::format;
use crate::forms::FormErrors;
use crate::session::use_session;

/// How many history entries one "Load more" brings.
const HISTORY_PAGE: u32 = 10;

// ---------- The settings ----------

/// What a number counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Minutes,
    Percent,
    Days,
}

impl Unit {
    fn short(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Minutes => "min",
            Self::Percent => "%",
            Self::Days => "days",
        }
    }
}

/// The kind of control a setting gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number {
        bounds: (u32, u32),
        unit: Unit,
    },
    Switch,
    /// `screenshot_mode`: `off` or `interval`.
    Mode,
    /// A list of names, one per line.
    List,
    /// `working_hours`: always, or days and a time span.
    Hours,
    /// An IANA time zone name.
    Zone,
}

/// One setting of [`PolicySettings`], by its JSON field name.
#[derive(Debug)]
struct Setting {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    kind: Kind,
}

struct Group {
    title: &'static str,
    settings: &'static [Setting],
}

const GROUPS: &[Group] = &[
    Group {
        title: "Agents",
        settings: &[
            Setting {
                key: "heartbeat_secs",
                label: "Heartbeat",
                hint: "How often agents report that they are alive, 10 to 300 seconds.",
                kind: Kind::Number {
                    bounds: HEARTBEAT_SECS,
                    unit: Unit::Seconds,
                },
            },
            Setting {
                key: "idle_threshold_secs",
                label: "Idle after",
                hint: "No input for this long makes a person idle and ends a work session, 60 to 3,600 seconds.",
                kind: Kind::Number {
                    bounds: IDLE_THRESHOLD_SECS,
                    unit: Unit::Seconds,
                },
            },
        ],
    },
    Group {
        title: "Activity",
        settings: &[
            Setting {
                key: "track_apps",
                label: "Record applications",
                hint: "Which application is in front.",
                kind: Kind::Switch,
            },
            Setting {
                key: "track_titles",
                label: "Record window titles",
                hint: "Needs applications recorded.",
                kind: Kind::Switch,
            },
            Setting {
                key: "track_urls",
                label: "Record web addresses",
                hint: "The domain of the browser's page.",
                kind: Kind::Switch,
            },
            Setting {
                key: "activity_retention_days",
                label: "Keep activity for",
                hint: "1 to 3,650 days. A shorter time deletes nothing for a week.",
                kind: Kind::Number {
                    bounds: RETENTION_DAYS,
                    unit: Unit::Days,
                },
            },
            Setting {
                key: "excluded_apps",
                label: "Applications never recorded",
                hint: "One per line, e.g. keepassxc.",
                kind: Kind::List,
            },
            Setting {
                key: "excluded_domains",
                label: "Domains never recorded",
                hint: "One per line, with their subdomains, e.g. bank.example.",
                kind: Kind::List,
            },
        ],
    },
    Group {
        title: "Screenshots",
        settings: &[
            Setting {
                key: "screenshot_mode",
                label: "Screenshots",
                hint: "Off, or one at every interval.",
                kind: Kind::Mode,
            },
            Setting {
                key: "screenshot_interval_mins",
                label: "Interval",
                hint: "1 to 240 minutes.",
                kind: Kind::Number {
                    bounds: SCREENSHOT_INTERVAL_MINS,
                    unit: Unit::Minutes,
                },
            },
            Setting {
                key: "screenshot_jitter_percent",
                label: "Jitter",
                hint: "0 to 50 % of the interval, so screenshots cannot be predicted.",
                kind: Kind::Number {
                    bounds: SCREENSHOT_JITTER_PERCENT,
                    unit: Unit::Percent,
                },
            },
            Setting {
                key: "screenshot_retention_days",
                label: "Keep screenshots for",
                hint: "1 to 3,650 days. A shorter time deletes nothing for a week.",
                kind: Kind::Number {
                    bounds: RETENTION_DAYS,
                    unit: Unit::Days,
                },
            },
            Setting {
                key: "blur_screenshots",
                label: "Blur screenshots",
                hint: "Blurred before they are stored.",
                kind: Kind::Switch,
            },
            Setting {
                key: "employees_may_delete_screenshots",
                label: "Employees may delete theirs",
                hint: "Their own screenshots only.",
                kind: Kind::Switch,
            },
        ],
    },
    Group {
        title: "Schedule",
        settings: &[
            Setting {
                key: "time_zone",
                label: "Time zone",
                hint: "For working hours, e.g. Europe/Berlin.",
                kind: Kind::Zone,
            },
            Setting {
                key: "working_hours",
                label: "Working hours",
                hint: "Outside these hours agents record nothing.",
                kind: Kind::Hours,
            },
        ],
    },
];

/// Every setting, in form order.
fn settings() -> impl Iterator<Item = &'static Setting> {
    GROUPS.iter().flat_map(|group| group.settings.iter())
}

fn setting(key: &str) -> Option<&'static Setting> {
    settings().find(|setting| setting.key == key)
}

/// Suggestions for the time zone input.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Warsaw",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
];

fn day_label(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

const WORK_WEEK: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

/// A setting's value for people: `30 s`, `On`, `Mon–Fri 09:00–17:00`, `None`.
fn describe(kind: Kind, value: &Value) -> String {
    match kind {
        Kind::Number { unit, .. } => match (value.as_u64(), unit) {
            (Some(n), Unit::Percent) => format!("{n} %"),
            (Some(n), unit) => format!("{n} {}", unit.short()),
            (None, _) => "—".to_owned(),
        },
        Kind::Switch => match value.as_bool() {
            Some(true) => "On".to_owned(),
            Some(false) => "Off".to_owned(),
            None => "—".to_owned(),
        },
        Kind::Mode => match value.as_str() {
            Some("interval") => "At every interval".to_owned(),
            Some("off") => "Off".to_owned(),
            _ => "—".to_owned(),
        },
        Kind::List => {
            let items: Vec<&str> = value
                .as_array()
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if items.is_empty() {
                "None".to_owned()
            } else {
                items.join(", ")
            }
        }
        Kind::Zone => value.as_str().unwrap_or("—").to_owned(),
        Kind::Hours => {
            let Ok(Some(hours)) = serde_json::from_value::<
                Option<pulse_shared::policies::WorkingHours>,
            >(value.clone()) else {
                return "Always".to_owned();
            };
            let mut days = hours.days.clone();
            days.sort();
            days.dedup();
            let days = if days == WORK_WEEK {
                "Mon–Fri".to_owned()
            } else if days.len() == 7 {
                "Every day".to_owned()
            } else {
                days.iter()
                    .map(|day| day_label(*day))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{days} {}–{}", hours.start, hours.end)
        }
    }
}

/// Where a field error goes: `/excluded_apps/2` → (`excluded_apps`, "Line 3: …"),
/// `/working_hours/end` → `working_hours_end`; `None` for a field the form does not have.
fn place(pointer: &str, message: &str) -> Option<(&'static str, String)> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let key = parts.next()?;
    let rest = parts.next();
    if key == "working_hours" {
        let field = match rest {
            Some("days") => "working_hours_days",
            Some("start") => "working_hours_start",
            Some("end") => "working_hours_end",
            _ => "working_hours",
        };
        return Some((field, message.to_owned()));
    }
    let setting = setting(key)?;
    match rest.and_then(|index| index.parse::<usize>().ok()) {
        Some(index) => Some((setting.key, format!("Line {}: {message}", index + 1))),
        None => Some((setting.key, message.to_owned())),
    }
}

// ---------- The form's state ----------

/// One setting's control: whether this level sets it (always, for the company default)
/// and its text as the control holds it.
#[derive(Clone, Copy)]
struct Field {
    set: RwSignal<bool>,
    value: RwSignal<String>,
}

/// The working hours control, beside its "always / only these hours" choice.
#[derive(Clone, Copy)]
struct HoursDraft {
    days: RwSignal<Vec<Weekday>>,
    start: RwSignal<String>,
    end: RwSignal<String>,
}

/// Every control of a policy form.
#[derive(Clone)]
struct Draft {
    fields: HashMap<&'static str, Field>,
    hours: HoursDraft,
    /// The values inherited from the levels above (the whole settings, as JSON).
    inherited: Map<String, Value>,
}

impl Draft {
    /// A form showing `own` (the fields this level sets) over `inherited`.
    fn new(own: &Map<String, Value>, inherited: Map<String, Value>, company: bool) -> Self {
        let fields = settings()
            .map(|setting| {
                let field = Field {
                    set: RwSignal::new(
                        company || own.get(setting.key).is_some_and(|v| !v.is_null()),
                    ),
                    value: RwSignal::new(String::new()),
                };
                (setting.key, field)
            })
            .collect();
        let draft = Self {
            fields,
            hours: HoursDraft {
                days: RwSignal::new(WORK_WEEK.to_vec()),
                start: RwSignal::new("09:00".to_owned()),
                end: RwSignal::new("17:00".to_owned()),
            },
            inherited,
        };
        for setting in settings() {
            let value = if draft.field(setting.key).set.get_untracked() {
                own.get(setting.key)
            } else {
                draft.inherited.get(setting.key)
            };
            draft.fill(setting, value.unwrap_or(&Value::Null));
        }
        draft
    }

    fn field(&self, key: &str) -> Field {
        self.fields.get(key).copied().unwrap_or(Field {
            set: RwSignal::new(false),
            value: RwSignal::new(String::new()),
        })
    }

    /// Puts `value` into the control of `setting`.
    fn fill(&self, setting: &Setting, value: &Value) {
        let field = self.field(setting.key);
        let text = match setting.kind {
            Kind::Number { .. } => value.as_u64().map(|n| n.to_string()).unwrap_or_default(),
            Kind::Switch => value.as_bool().unwrap_or(false).to_string(),
            Kind::Mode | Kind::Zone => value.as_str().unwrap_or_default().to_owned(),
            Kind::List => value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            Kind::Hours => {
                match serde_json::from_value::<pulse_shared::policies::WorkingHours>(value.clone())
                {
                    Ok(hours) => {
                        self.hours.days.set(hours.days);
                        self.hours.start.set(hours.start);
                        self.hours.end.set(hours.end);
                        "hours".to_owned()
                    }
                    Err(_) => "always".to_owned(),
                }
            }
        };
        field.value.set(text);
    }

    /// Stops setting `setting` at this level: the control shows the inherited value again.
    fn inherit(&self, setting: &Setting) {
        self.field(setting.key).set.set(false);
        let inherited = self
            .inherited
            .get(setting.key)
            .cloned()
            .unwrap_or(Value::Null);
        self.fill(setting, &inherited);
    }

    /// The fields this level sets, as JSON, or the controls' errors.
    fn read(&self) -> Result<Map<String, Value>, Vec<(&'static str, String)>> {
        let mut out = Map::new();
        let mut errors = Vec::new();
        for setting in settings() {
            let field = self.field(setting.key);
            if !field.set.get_untracked() {
                continue;
            }
            let text = field.value.get_untracked();
            let value = match setting.kind {
                Kind::Number { .. } => match text.trim().parse::<u32>() {
                    Ok(n) => json!(n),
                    Err(_) => {
                        errors.push((setting.key, "Enter a whole number.".to_owned()));
                        continue;
                    }
                },
                Kind::Switch => json!(text == "true"),
                Kind::Mode => json!(text),
                Kind::Zone => json!(text.trim()),
                Kind::List => json!(
                    text.split(['\n', ','])
                        .map(str::trim)
                        .filter(|entry| !entry.is_empty())
                        .collect::<Vec<_>>()
                ),
                Kind::Hours if text == "always" => Value::Null,
                Kind::Hours => {
                    let mut days = self.hours.days.get_untracked();
                    days.sort();
                    json!({
                        "days": days,
                        "start": self.hours.start.get_untracked().trim(),
                        "end": self.hours.end.get_untracked().trim(),
                    })
                }
            };
            out.insert(setting.key.to_owned(), value);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// The level a form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Company,
    Override(OverrideOf),
}

/// What the form asks the server to do.
#[derive(Clone)]
enum Change {
    Company(PolicySettings),
    Set(OverrideOf, PolicyOverride),
    Remove(OverrideOf),
}

/// Why a draft cannot be sent: messages for [`place`]d fields, and one for above the form.
type Refusal = (Vec<(&'static str, String)>, Option<String>);

/// Checks the draft with the shared bounds and turns it into the request for `level`.
fn request(draft: &Draft, level: Level, exists: bool) -> Result<Change, Refusal> {
    let fields = draft.read().map_err(|errors| (errors, None))?;
    let checked = match level {
        Level::Company => serde_json::from_value::<PolicySettings>(Value::Object(fields))
            .map(|settings| (settings.check(), Change::Company(settings))),
        Level::Override(of) => {
            serde_json::from_value::<PolicyOverride>(Value::Object(fields)).map(|settings| {
                let errors = settings.check();
                if settings.is_empty() && exists {
                    (errors, Change::Remove(of))
                } else {
                    (errors, Change::Set(of, settings))
                }
            })
        }
    };
    let (errors, change) = checked.map_err(|error| (Vec::new(), Some(error.to_string())))?;
    if let Change::Set(_, settings) = &change
        && settings.is_empty()
    {
        return Err((
            Vec::new(),
            Some("Tick “Override” on at least one setting first.".to_owned()),
        ));
    }
    if errors.is_empty() {
        return Ok(change);
    }
    let mut placed = Vec::new();
    let mut general = Vec::new();
    for (pointer, (_, message)) in errors {
        match place(&pointer, message) {
            Some(field) => placed.push(field),
            None => general.push(format!("{pointer}: {message}")),
        }
    }
    Err((placed, (!general.is_empty()).then(|| general.join("\n"))))
}

/// Shows a failed save: field errors under their fields, the rest above the form.
fn show_failure(errors: FormErrors, error: &ApiError) {
    let mut unplaced = Vec::new();
    for field_error in error.field_errors() {
        match place(&field_error.field, &field_error.message) {
            Some((field, message)) => errors.set(field, message),
            None => unplaced.push(format!("{}: {}", field_error.field, field_error.message)),
        }
    }
    let mut message = if error.field_errors().is_empty() {
        error.to_string()
    } else {
        error.summary()
    };
    for line in unplaced {
        message.push('\n');
        message.push_str(&line);
    }
    errors.set_general(message);
}

fn to_map<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

// ---------- The page ----------

/// The page: the form of the chosen level, the effective policy, the history.
#[component]
pub fn Policies() -> impl IntoView {
    super::set_title("Policies");
    let session = use_session();
    let overview = LocalResource::new(move || api::policies(session));
    let teams = LocalResource::new(move || api::teams(session));
    let people = LocalResource::new(move || api::everyone(session));
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
    let effective = LocalResource::new(move || {
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
    Effect::new(move || {
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
                <div>
                    <h1 class="page-title">"Policies"</h1>
                    <p class="page-lede">
                        "What agents record and how long it is kept: a company default, with overrides for teams and people."
                    </p>
                </div>
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

/// Which form is shown: the level's tab, and the team and person chosen for overrides.
/// Kept by the page, so that loading the policies again after a save keeps the choice.
#[derive(Clone, Copy)]
struct Choice {
    tab: RwSignal<&'static str>,
    team: RwSignal<String>,
    person: RwSignal<String>,
}

/// The level tabs, the chooser of team or person, and the form.
#[component]
fn PolicyCard(
    overview: PolicyOverview,
    choice: Choice,
    #[prop(into)] teams: Signal<Vec<Team>>,
    #[prop(into)] people: Signal<Vec<Person>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let overview = StoredValue::new(overview);
    let Choice { tab, team, person } = choice;
    let team_options = Signal::derive(move || {
        overview.with_value(|overview| {
            teams
                .get()
                .into_iter()
                .map(|team| {
                    let has = overview
                        .teams
                        .iter()
                        .any(|entry| entry.team_id == Some(team.id));
                    let text = if has {
                        format!("{} · has an override", team.name)
                    } else {
                        team.name
                    };
                    (team.id.to_string(), text)
                })
                .collect::<Vec<SelectOption>>()
        })
    });
    let person_options = Signal::derive(move || {
        overview.with_value(|overview| {
            people
                .get()
                .into_iter()
                .map(|person| {
                    let has = overview
                        .employees
                        .iter()
                        .any(|entry| entry.user_id == Some(person.id));
                    let text = if has {
                        format!("{} · has an override", person.name)
                    } else {
                        person.name
                    };
                    (person.id.to_string(), text)
                })
                .collect::<Vec<SelectOption>>()
        })
    });
    // The label, and a shorter one for phones.
    let tab_button = move |name: &'static str, label: &'static str, short: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="segment"
                data-level=name
                aria-label=label
                aria-selected=move || (tab.get() == name).to_string()
                on:click=move |_| tab.set(name)
            >
                <span class="segment-long" aria-hidden="true">{label}</span>
                <span class="segment-short" aria-hidden="true">{short}</span>
            </button>
        }
    };
    // The form for the chosen level, rebuilt when the level or its target changes.
    let form = move || {
        let company = overview.with_value(|overview| to_map(&overview.company.settings));
        match tab.get() {
            "team" => {
                let Ok(id) = team.get().parse::<TeamId>() else {
                    return view! { <p class="card-inset muted">"Create a team first: its override applies to its people."</p> }.into_any();
                };
                let own = overview.with_value(|overview| {
                    overview
                        .teams
                        .iter()
                        .find(|entry| entry.team_id == Some(id))
                        .map(|entry| to_map(&entry.settings))
                });
                let name = teams.with_untracked(|teams| {
                    teams
                        .iter()
                        .find(|team| team.id == id)
                        .map(|team| format!("team {}", team.name))
                        .unwrap_or_default()
                });
                view! {
                    <PolicyForm
                        level=Level::Override(OverrideOf::Team(id))
                        name=name
                        own=own
                        inherited=company
                        inherited_from="the company default"
                        on_saved=on_saved
                    />
                }
                .into_any()
            }
            "employee" => {
                let Ok(id) = person.get().parse::<UserId>() else {
                    return view! { <div class="card-inset"><Skeleton lines=2 /></div> }.into_any();
                };
                let found = people
                    .with_untracked(|people| people.iter().find(|person| person.id == id).cloned());
                let (own, inherited, from) = overview.with_value(|overview| {
                    let own = overview
                        .employees
                        .iter()
                        .find(|entry| entry.user_id == Some(id))
                        .map(|entry| to_map(&entry.settings));
                    let team_override =
                        found
                            .as_ref()
                            .and_then(|person| person.team_id)
                            .and_then(|team| {
                                overview
                                    .teams
                                    .iter()
                                    .find(|entry| entry.team_id == Some(team))
                            });
                    let inherited = match team_override {
                        Some(entry) => overview.company.settings.with(&entry.settings),
                        None => overview.company.settings.clone(),
                    };
                    let from = if team_override.is_some() {
                        "their team and the company default"
                    } else {
                        "the company default"
                    };
                    (own, to_map(&inherited), from)
                });
                let name = found.map(|person| person.name).unwrap_or_default();
                view! {
                    <PolicyForm
                        level=Level::Override(OverrideOf::Employee(id))
                        name=name
                        own=own
                        inherited=inherited
                        inherited_from=from
                        on_saved=on_saved
                    />
                }
                .into_any()
            }
            _ => view! {
                <PolicyForm
                    level=Level::Company
                    name="the company".to_owned()
                    own=Some(company.clone())
                    inherited=company
                    inherited_from=""
                    on_saved=on_saved
                />
            }
            .into_any(),
        }
    };
    let updated = overview.with_value(|overview| format::minute(overview.company.updated_at));
    view! {
        <Card
            title="Monitoring policy"
            subtitle=format!("Company default last changed {updated}.")
            flush=true
            {..}
            data-testid="policy-card"
        >
            <div class="policy-levels">
                <div class="segmented" role="tablist" aria-label="Level">
                    {tab_button("company", "Company default", "Company")}
                    {tab_button("team", "Team override", "Team")}
                    {tab_button("employee", "Employee override", "Employee")}
                </div>
                <Show when=move || tab.get() == "team">
                    <SelectField id="policy-team" name="policy_team" label="Team" value=team options=team_options />
                </Show>
                <Show when=move || tab.get() == "employee">
                    <SelectField
                        id="policy-person"
                        name="policy_person"
                        label="Employee"
                        value=person
                        options=person_options
                    />
                </Show>
            </div>
            {form}
        </Card>
    }
}

/// The controls of one level, Save, and (for an override that exists) Remove.
#[component]
fn PolicyForm(
    level: Level,
    /// Names the level in messages: "the company", "team Support", "Ada Lovelace".
    name: String,
    /// What this level sets now (`None`: an override that does not exist yet).
    own: Option<Map<String, Value>>,
    /// The settings this level inherits.
    inherited: Map<String, Value>,
    /// Where inherited values come from, for hints.
    inherited_from: &'static str,
    on_saved: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let company = level == Level::Company;
    let exists = own.is_some();
    let draft = StoredValue::new(Draft::new(&own.unwrap_or_default(), inherited, company));
    let errors = FormErrors::new();
    let name = StoredValue::new(name);
    let confirm_remove = RwSignal::new(false);
    let remove_error = RwSignal::new(None::<String>);

    // Field errors go where `place` puts them: see `show_failure`.
    let save = Action::new_local(move |change: &Change| {
        let change = change.clone();
        async move {
            let who = name.get_value();
            let outcome = match &change {
                Change::Company(settings) => api::put_company_policy(session, settings)
                    .await
                    .map(|_| "Company default saved".to_owned()),
                Change::Set(of, settings) => api::put_policy_override(session, *of, settings)
                    .await
                    .map(|_| format!("Override for {who} saved")),
                Change::Remove(of) => api::remove_policy_override(session, *of)
                    .await
                    .map(|()| format!("{who} follows the level above again")),
            };
            match outcome {
                Ok(done) => {
                    toasts.success(done);
                    on_saved.run(());
                }
                Err(error) => show_failure(errors, &error),
            }
        }
    });
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let checked = draft.with_value(|draft| request(draft, level, exists));
        match checked {
            Ok(change) => {
                save.dispatch_local(change);
            }
            Err((fields, general)) => {
                for (field, message) in fields {
                    errors.set(field, message);
                }
                errors.set_general(general.unwrap_or_else(|| {
                    "Some settings need a change: see the messages under them.".to_owned()
                }));
            }
        }
    };
    let removal = Action::new_local(move |of: &OverrideOf| {
        let of = *of;
        async move {
            match api::remove_policy_override(session, of).await {
                Ok(()) => {
                    confirm_remove.set(false);
                    toasts.success(format!(
                        "{} follows the level above again",
                        name.get_value()
                    ));
                    on_saved.run(());
                }
                Err(error) => remove_error.set(Some(error.to_string())),
            }
        }
    });
    let remove_busy = removal.pending();
    let remove = Callback::new(move |()| {
        let Level::Override(of) = level else {
            return;
        };
        remove_error.set(None);
        removal.dispatch_local(of);
    });
    let remove_message = format!(
        "Every setting of {} follows {inherited_from} again.",
        name.get_value()
    );

    let lede = match level {
        Level::Company => {
            "Every computer follows these settings unless a team or employee override says otherwise.".to_owned()
        }
        Level::Override(_) if exists => format!(
            "Settings ticked “Override” apply to {}; the rest come from {inherited_from}.",
            name.get_value()
        ),
        Level::Override(_) => format!(
            "{} follows {inherited_from}. Tick “Override” on a setting to change it for them.",
            capitalise(&name.get_value())
        ),
    };
    view! {
        <form class="policy-form" on:submit=submit novalidate=true data-testid="policy-form" data-level=match level {
            Level::Company => "company",
            Level::Override(OverrideOf::Team(_)) => "team",
            Level::Override(OverrideOf::Employee(_)) => "employee",
        }>
            <div class="policy-body">
                <p class="muted">{lede}</p>
                <FormMessage error=errors.general() />
                {GROUPS
                    .iter()
                    .map(|group| {
                        view! {
                            <fieldset class="policy-group">
                                <legend class="policy-group-title">{group.title}</legend>
                                <div class="policy-grid">
                                    {group
                                        .settings
                                        .iter()
                                        .map(|setting| {
                                            view! {
                                                <SettingControl
                                                    setting=setting
                                                    draft=draft
                                                    errors=errors
                                                    company=company
                                                    inherited_from=inherited_from
                                                />
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            </fieldset>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="card-bar">
                {(!company && exists)
                    .then(|| {
                        view! {
                            <Button
                                variant=ButtonVariant::Ghost
                                on_click=move |_| confirm_remove.set(true)
                                {..}
                                class:btn-ghost-danger=true
                                data-testid="policy-remove"
                            >
                                "Remove override"
                            </Button>
                        }
                    })}
                <span class="card-bar-spacer"></span>
                <Button submit=true loading={busy} {..} data-testid="policy-save">
                    {if company { "Save company default" } else { "Save override" }}
                </Button>
            </div>
        </form>
        <ConfirmDialog
            open=confirm_remove
            title="Remove this override?"
            message=remove_message
            confirm_label="Remove override"
            busy=remove_busy
            error=remove_error
            on_confirm=remove
        />
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One setting: its label, the "Override" tick (overrides), the control, the hint or the
/// inherited value, and its error.
#[component]
fn SettingControl(
    setting: &'static Setting,
    draft: StoredValue<Draft>,
    errors: FormErrors,
    company: bool,
    inherited_from: &'static str,
) -> impl IntoView {
    let key = setting.key;
    let field = draft.with_value(|draft| draft.field(key));
    let id = format!("policy-{key}");
    let error_id = format!("policy-{key}-error");
    let error = errors.of(key);
    let inherited_text = draft.with_value(|draft| {
        describe(
            setting.kind,
            draft.inherited.get(key).unwrap_or(&Value::Null),
        )
    });
    let locked = move || !field.set.get();
    let wide = setting.kind == Kind::Hours;
    let toggle = move |event: leptos::ev::Event| {
        if event_target_checked(&event) {
            field.set.set(true);
            // An override cannot clear working hours, only set them.
            if setting.kind == Kind::Hours {
                field.value.set("hours".to_owned());
            }
        } else {
            draft.with_value(|draft| draft.inherit(setting));
            errors.forget(key);
        }
    };
    let invalid = move || error.with(Option::is_some);
    let control = match setting.kind {
        Kind::Number { bounds, unit } => view! {
            <div class="input-unit">
                <input
                    class="field-input"
                    type="number"
                    inputmode="numeric"
                    id=id.clone()
                    name=key
                    min=bounds.0
                    max=bounds.1
                    disabled=locked
                    aria-invalid=move || invalid().then_some("true")
                    aria-describedby=error_id.clone()
                    bind:value=field.value
                />
                <span class="input-unit-label">{unit.short()}</span>
            </div>
        }
        .into_any(),
        Kind::Switch => view! {
            <label class="switch">
                <input
                    type="checkbox"
                    role="switch"
                    id=id.clone()
                    name=key
                    disabled=locked
                    prop:checked=move || field.value.get() == "true"
                    on:change=move |event| field.value.set(event_target_checked(&event).to_string())
                />
                <span class="switch-track" aria-hidden="true"></span>
                <span class="switch-text">{move || if field.value.get() == "true" { "On" } else { "Off" }}</span>
            </label>
        }
        .into_any(),
        Kind::Mode => view! {
            <select
                class="field-input field-select"
                id=id.clone()
                name=key
                disabled=locked
                prop:value=move || field.value.get()
                on:change=move |event| field.value.set(event_target_value(&event))
            >
                <option value="off">"Off"</option>
                <option value="interval">"At every interval"</option>
            </select>
        }
        .into_any(),
        Kind::Zone => view! {
            <input
                class="field-input"
                type="text"
                id=id.clone()
                name=key
                list="policy-zones"
                spellcheck="false"
                autocomplete="off"
                disabled=locked
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=error_id.clone()
                bind:value=field.value
            />
            <datalist id="policy-zones">
                {ZONES.iter().map(|zone| view! { <option value=*zone></option> }).collect_view()}
            </datalist>
        }
        .into_any(),
        Kind::List => view! {
            <textarea
                class="field-input field-textarea"
                id=id.clone()
                name=key
                rows="3"
                spellcheck="false"
                disabled=locked
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=error_id.clone()
                prop:value=move || field.value.get()
                on:input=move |event| field.value.set(event_target_value(&event))
            ></textarea>
        }
        .into_any(),
        Kind::Hours => {
            let hours = draft.with_value(|draft| draft.hours);
            view! { <HoursControl id=id.clone() field=field hours=hours errors=errors company=company /> }.into_any()
        }
    };
    let label_for = id.clone();
    view! {
        <div
            class="policy-setting"
            class:policy-setting-wide=wide
            class:is-inherited=locked
            class:is-overridden=move || !company && field.set.get()
            class:field-invalid=invalid
            data-setting=key
        >
            <div class="policy-setting-head">
                <label class="field-label" for=label_for>
                    {setting.label}
                </label>
                {(!company)
                    .then(|| {
                        view! {
                            <label class="override-toggle">
                                <input
                                    type="checkbox"
                                    class="checkbox"
                                    name=format!("override-{key}")
                                    prop:checked=move || field.set.get()
                                    on:change=toggle
                                />
                                "Override"
                            </label>
                        }
                    })}
            </div>
            {control}
            <p class="field-hint">
                {move || {
                    if field.set.get() {
                        setting.hint.to_owned()
                    } else {
                        format!("Inherited from {inherited_from}: {inherited_text}.")
                    }
                }}
            </p>
            <p class="field-error" id=error_id aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// Always, or only on some days between two times.
#[component]
fn HoursControl(
    id: String,
    field: Field,
    hours: HoursDraft,
    errors: FormErrors,
    company: bool,
) -> impl IntoView {
    let locked = move || !field.set.get();
    let limited = move || field.value.get() == "hours";
    let days_error = errors.of("working_hours_days");
    let start_error = errors.of("working_hours_start");
    let end_error = errors.of("working_hours_end");
    let start_id = format!("{id}-start");
    let end_id = format!("{id}-end");
    view! {
        <select
            class="field-input field-select"
            id=id
            name="working_hours"
            disabled=move || locked() || !company
            prop:value=move || field.value.get()
            on:change=move |event| field.value.set(event_target_value(&event))
        >
            <option value="always">"Always"</option>
            <option value="hours">"Only during these hours"</option>
        </select>
        <Show when=limited>
            <div class="hours">
                <fieldset class="day-chips" disabled=locked>
                    <legend class="visually-hidden">"Days"</legend>
                    {Weekday::ALL
                        .into_iter()
                        .map(|day| {
                            let label = day_label(day);
                            view! {
                                <label class="day-chip">
                                    <input
                                        type="checkbox"
                                        name="working_days"
                                        value=label
                                        prop:checked=move || hours.days.with(|days| days.contains(&day))
                                        on:change=move |event| {
                                            let on = event_target_checked(&event);
                                            hours.days.update(|days| {
                                                days.retain(|d| *d != day);
                                                if on {
                                                    days.push(day);
                                                }
                                            });
                                        }
                                    />
                                    <span>{label}</span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <p class="field-error">{move || days_error.get()}</p>
                <div class="hours-span">
                    <div class="field">
                        <label class="field-label" for=start_id.clone()>"From"</label>
                        <input
                            class="field-input"
                            type="time"
                            id=start_id.clone()
                            name="working_hours_start"
                            disabled=locked
                            bind:value=hours.start
                        />
                        <p class="field-error">{move || start_error.get()}</p>
                    </div>
                    <div class="field">
                        <label class="field-label" for=end_id.clone()>"To"</label>
                        <input
                            class="field-input"
                            type="time"
                            id=end_id.clone()
                            name="working_hours_end"
                            disabled=locked
                            bind:value=hours.end
                        />
                        <p class="field-error">{move || end_error.get()}</p>
                    </div>
                </div>
            </div>
        </Show>
    }
}

// ---------- Effective policy ----------

/// Which level an effective value comes from.
fn source(effective: &EffectivePolicy, key: &str) -> (&'static str, BadgeTone) {
    let sets = |layer: &Option<PolicyOverride>| {
        layer
            .as_ref()
            .map(to_map)
            .is_some_and(|map| map.get(key).is_some_and(|value| !value.is_null()))
    };
    if sets(&effective.employee) {
        ("Employee override", BadgeTone::Info)
    } else if sets(&effective.team) {
        ("Team override", BadgeTone::Warning)
    } else {
        ("Company default", BadgeTone::Neutral)
    }
}

/// What applies to one employee, and where each value comes from.
#[component]
fn EffectiveCard(
    chosen: RwSignal<String>,
    effective: LocalResource<Result<Option<EffectivePolicy>, ApiError>>,
    #[prop(into)] people: Signal<Vec<Person>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    Effect::new(move || {
        if chosen.with_untracked(String::is_empty)
            && let Some(first) = people.with(|people| people.first().map(|p| p.id.to_string()))
        {
            chosen.set(first);
        }
    });
    let options = Signal::derive(move || {
        people
            .get()
            .into_iter()
            .map(|person| (person.id.to_string(), person.name))
            .collect::<Vec<SelectOption>>()
    });
    let team_name = move || {
        let id: Option<UserId> = chosen.get().parse().ok();
        let team = people.with(|people| {
            people
                .iter()
                .find(|person| Some(person.id) == id)
                .and_then(|person| person.team_id)
        });
        team.and_then(|team| {
            teams.with(|teams| teams.iter().find(|t| t.id == team).map(|t| t.name.clone()))
        })
    };
    view! {
        <Card
            title="Effective policy"
            subtitle="What one person's computers follow, and which level each value comes from."
            flush=true
            {..}
            data-testid="effective-policy"
        >
            <div class="card-toolbar">
                <SelectField id="effective-person" name="effective_person" label="Employee" value=chosen options=options />
            </div>
            <Transition fallback=|| view! { <div class="card-inset"><Skeleton lines=6 /></div> }>
                {move || Suspend::new(async move {
                    match effective.await {
                        Err(error) => {
                            view! {
                                <div class="card-inset">
                                    <ErrorCard
                                        title="Effective policy"
                                        error=error
                                        on_retry=Callback::new(move |()| effective.refetch())
                                    />
                                </div>
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <div class="card-inset"><p class="muted">"Choose an employee."</p></div> }.into_any(),
                        Ok(Some(effective)) => {
                            let values = to_map(&effective.settings);
                            let version = effective.version.chars().take(12).collect::<String>();
                            let rows = settings()
                                .map(|setting| {
                                    let (from, tone) = source(&effective, setting.key);
                                    let text = describe(setting.kind, values.get(setting.key).unwrap_or(&Value::Null));
                                    let team = (from == "Team override").then(team_name).flatten();
                                    view! {
                                        <tr data-setting=setting.key data-source=from>
                                            <th scope="row" class="cell-title">{setting.label}</th>
                                            <td class="cell-wrap cell-value">{text}</td>
                                            <td class="cell-source">
                                                <Badge tone=tone>{from}</Badge>
                                                {team.map(|team| view! { <span class="cell-sub">" " {team}</span> })}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            view! {
                                <div class="table-scroll table-stack">
                                    <table class="table table-effective">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Setting"</th>
                                                <th scope="col">"Value"</th>
                                                <th scope="col">"From"</th>
                                            </tr>
                                        </thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <p class="table-footnote">
                                    "Version " <code>{version}</code> ": agents fetch the policy again when it changes."
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </Card>
    }
}

// ---------- History ----------

type HistoryList = CursorList<AuditEvent, AuditQuery>;

/// The settings an audit event's before/after summary shows as changed.
fn changed_settings(summary: &Value) -> Vec<&'static str> {
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
fn HistoryCard(
    list: HistoryList,
    #[prop(into)] people: Signal<Vec<Person>>,
    #[prop(into)] teams: Signal<Vec<Team>>,
) -> impl IntoView {
    let toasts = use_toasts();
    let names = Memo::new(move |_| {
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
            <Show when=move || list.next_cursor.with(Option::is_some)>
                <div class="load-more">
                    <Button
                        variant=ButtonVariant::Secondary
                        loading=list.loading_more
                        on_click=move |_| list.load_more(toasts)
                        {..}
                        data-testid="load-more"
                    >
                        "Load more"
                    </Button>
                </div>
            </Show>
        </Card>
    }
}

fn history_row(event: AuditEvent, names: Memo<HashMap<String, String>>) -> impl IntoView {
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
    use super::*;

    #[test]
    fn every_setting_has_a_control() {
        let keys: Vec<&str> = settings().map(|setting| setting.key).collect();
        let fields = to_map(&PolicySettings::default());
        assert_eq!(keys.len(), fields.len(), "{keys:?}");
        for key in fields.keys() {
            assert!(keys.contains(&key.as_str()), "{key} has no control");
        }
    }

    #[test]
    fn errors_land_under_their_fields() {
        assert_eq!(
            place("/heartbeat_secs", "Use 10 to 300 seconds."),
            Some(("heartbeat_secs", "Use 10 to 300 seconds.".to_owned()))
        );
        assert_eq!(
            place("/excluded_apps/2", "Use 1 to 253 printable characters."),
            Some((
                "excluded_apps",
                "Line 3: Use 1 to 253 printable characters.".to_owned()
            ))
        );
        assert_eq!(
            place("/working_hours/end", "End after the start."),
            Some(("working_hours_end", "End after the start.".to_owned()))
        );
        assert_eq!(place("/nonsense", "x"), None);
    }

    #[test]
    fn values_read_for_people() {
        let settings = to_map(&PolicySettings::default());
        let text = |key: &str| {
            describe(
                setting(key).map(|s| s.kind).unwrap_or(Kind::Zone),
                &settings[key],
            )
        };
        assert_eq!(text("heartbeat_secs"), "30 s");
        assert_eq!(text("screenshot_jitter_percent"), "30 %");
        assert_eq!(text("track_apps"), "On");
        assert_eq!(text("excluded_apps"), "None");
        assert_eq!(text("working_hours"), "Always");
        assert_eq!(
            describe(
                Kind::Hours,
                &json!({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"})
            ),
            "Mon–Fri 09:00–17:00"
        );
        assert_eq!(
            describe(
                Kind::Hours,
                &json!({"days": ["sat", "sun"], "start": "10:00", "end": "14:00"})
            ),
            "Sat, Sun 10:00–14:00"
        );
    }

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
