//! A policy form's state: one control per setting over the inherited values, read back
//! into the request for its level and checked with the shared bounds.

use std::collections::HashMap;

use leptos::prelude::*;
use pulse_shared::policies::{PolicyOverride, PolicySettings, Weekday};
use serde_json::{Map, Value, json};

use super::settings::{Kind, Setting, WORK_WEEK, place, settings};
use crate::api::{ApiError, OverrideOf};
use crate::forms::FormErrors;

/// One setting's control: whether this level sets it (always, for the company default)
/// and its text as the control holds it.
#[derive(Clone, Copy)]
pub(super) struct Field {
    pub(super) set: RwSignal<bool>,
    pub(super) value: RwSignal<String>,
}

/// The working hours control, beside its "always / only these hours" choice.
#[derive(Clone, Copy)]
pub(super) struct HoursDraft {
    pub(super) days: RwSignal<Vec<Weekday>>,
    pub(super) start: RwSignal<String>,
    pub(super) end: RwSignal<String>,
}

/// Every control of a policy form.
#[derive(Clone)]
pub(super) struct Draft {
    pub(super) fields: HashMap<&'static str, Field>,
    pub(super) hours: HoursDraft,
    /// The values inherited from the levels above (the whole settings, as JSON).
    pub(super) inherited: Map<String, Value>,
}

impl Draft {
    /// A form showing `own` (the fields this level sets) over `inherited`.
    pub(super) fn new(
        own: &Map<String, Value>,
        inherited: Map<String, Value>,
        company: bool,
    ) -> Self {
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

    pub(super) fn field(&self, key: &str) -> Field {
        self.fields.get(key).copied().unwrap_or(Field {
            set: RwSignal::new(false),
            value: RwSignal::new(String::new()),
        })
    }

    /// Puts `value` into the control of `setting`.
    pub(super) fn fill(&self, setting: &Setting, value: &Value) {
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
    pub(super) fn inherit(&self, setting: &Setting) {
        self.field(setting.key).set.set(false);
        let inherited = self
            .inherited
            .get(setting.key)
            .cloned()
            .unwrap_or(Value::Null);
        self.fill(setting, &inherited);
    }

    /// The fields this level sets, as JSON, or the controls' errors.
    pub(super) fn read(&self) -> Result<Map<String, Value>, Vec<(&'static str, String)>> {
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
                    crate::sort::ascending(&mut days);
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
pub(super) enum Level {
    Company,
    Override(OverrideOf),
}

/// What the form asks the server to do.
#[derive(Clone)]
pub(super) enum Change {
    Company(PolicySettings),
    Set(OverrideOf, PolicyOverride),
    Remove(OverrideOf),
}

/// Why a draft cannot be sent: messages for [`place`]d fields, and one for above the form.
pub(super) type Refusal = (Vec<(&'static str, String)>, Option<String>);

/// Checks the draft with the shared bounds and turns it into the request for `level`.
pub(super) fn request(draft: &Draft, level: Level, exists: bool) -> Result<Change, Refusal> {
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
pub(super) fn show_failure(errors: FormErrors, error: &ApiError) {
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
