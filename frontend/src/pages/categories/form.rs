//! Adding and editing a rule: what it looks at, how it matches, the pattern, how the
//! time counts, the category and whom it applies to; checked with the shared rules
//! before sending, and previewed as it is typed (what it would match, classified as now).

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use pulse_shared::reports::{
    CategoryRule, NewCategoryRule, Productivity, RuleField, RuleMatch, RulePreview,
};

use super::subjects::SubjectTable;
use super::{Draft, Names, Scope, field_label, match_label};
use crate::api;
use crate::components::{
    FormField, FormFooter, FormMessage, SelectField, SelectOption, use_toasts,
};
use crate::forms::{FormErrors, submission};
use crate::reactive::effect;
use crate::session::use_session;

/// How long typing pauses before the preview is asked for.
const PREVIEW_DELAY: Duration = Duration::from_millis(350);
/// The JSON fields the server's errors may name.
const FIELDS: &[&str] = &[
    "field",
    "match",
    "pattern",
    "productivity",
    "category",
    "team_id",
    "user_id",
];

#[component]
pub(super) fn RuleForm(
    draft: Draft,
    names: Names,
    close: Callback<()>,
    on_saved: Callback<CategoryRule>,
) -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let Draft { id, rule } = draft;
    let field = RwSignal::new(rule.field.as_str().to_owned());
    let matches = RwSignal::new(rule.matches.as_str().to_owned());
    let pattern = RwSignal::new(rule.pattern);
    let productivity = RwSignal::new(rule.productivity.as_str().to_owned());
    let category = RwSignal::new(rule.category);
    let scope = RwSignal::new(Scope::of(rule.team_id, rule.user_id).value());
    let errors = FormErrors::new();
    // The rule as the fields hold it now, tracked.
    let written = move || {
        let (team_id, user_id) = Scope::parse(&scope.get()).ids();
        NewCategoryRule {
            field: field.get().parse().unwrap_or(RuleField::App),
            matches: matches.get().parse().unwrap_or(RuleMatch::Exact),
            pattern: pattern.get().trim().to_owned(),
            productivity: productivity.get().parse().unwrap_or(Productivity::Neutral),
            category: category.get().trim().to_owned(),
            team_id,
            user_id,
        }
    };
    let save = submission(
        errors,
        FIELDS,
        move |rule: NewCategoryRule| async move {
            match id {
                Some(id) => api::update_category_rule(session, id, &rule).await,
                None => api::create_category_rule(session, &rule).await,
            }
        },
        move |saved: CategoryRule| {
            toasts.success(format!("Saved the rule for “{}”", saved.pattern));
            on_saved.run(saved);
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let rule = untrack(written);
        let faults = rule.check();
        for (pointer, (_, message)) in &faults {
            errors.set(pointer.trim_start_matches('/'), *message);
        }
        if faults.is_empty() {
            save.dispatch_local(rule);
        }
    };
    let preview = live_preview(Signal::derive(written), errors);

    let options = |values: Vec<(&'static str, &'static str)>| {
        Signal::stored(
            values
                .into_iter()
                .map(|(value, text)| (value.to_owned(), text.to_owned()))
                .collect::<Vec<SelectOption>>(),
        )
    };
    let field_options = options(
        RuleField::ALL
            .iter()
            .map(|f| (f.as_str(), field_label(*f)))
            .collect(),
    );
    let match_options = options(
        RuleMatch::ALL
            .iter()
            .map(|m| (m.as_str(), match_label(*m)))
            .collect(),
    );
    let productivity_options = options(
        Productivity::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
    );
    let scope_options = Signal::derive(move || names.options("The whole company"));
    let (team_error, user_error) = (errors.of("team_id"), errors.of("user_id"));
    let scope_error = Signal::derive(move || team_error.get().or_else(|| user_error.get()));
    let pattern_hint = Signal::derive(move || match matches.get().parse() {
        Ok(RuleMatch::Wildcard) => "* stands for any characters: *.google.com, jetbrains-*.",
        Ok(RuleMatch::Regex) => "A regular expression that must match the whole name.",
        _ => "The whole name, e.g. code or github.com. Case does not matter.",
    });

    view! {
        <form class="form" on:submit=submit novalidate=true data-testid="rule-form">
            <div class="dialog-body">
                <FormMessage error=errors.general() />
                <div class="form-row">
                    <SelectField id="rule-field" name="field" label="Looks at" value=field options=field_options error=errors.of("field") />
                    <SelectField id="rule-match" name="match" label="Match" value=matches options=match_options error=errors.of("match") />
                </div>
                <FormField
                    id="rule-pattern"
                    name="pattern"
                    label="Pattern"
                    placeholder="e.g. *.github.com"
                    value=pattern
                    error=errors.of("pattern")
                    required=true
                    autofocus=true
                />
                <p class="field-hint rule-hint">{move || pattern_hint.get()}</p>
                <div class="form-row">
                    <SelectField
                        id="rule-productivity"
                        name="productivity"
                        label="Counts as"
                        value=productivity
                        options=productivity_options
                        error=errors.of("productivity")
                    />
                    <FormField
                        id="rule-category"
                        name="category"
                        label="Category"
                        placeholder="e.g. Development"
                        value=category
                        error=errors.of("category")
                        required=true
                    />
                </div>
                <SelectField id="rule-scope" name="scope" label="Applies to" value=scope options=scope_options error=scope_error />
                <RulePreviewPanel preview=preview />
            </div>
            <FormFooter close=close busy=busy>
                {if id.is_some() { "Save rule" } else { "Add rule" }}
            </FormFooter>
        </form>
    }
}

/// What the preview shows: nothing yet (no pattern), waiting, an answer, or why not.
#[derive(Debug, Clone, PartialEq)]
enum Preview {
    Idle,
    Loading,
    Ready(RulePreview),
    Failed(String),
}

/// Asks the server what `rule` would match once typing has paused; a newer rule's
/// question replaces an older one's, whose answer is then dropped. A pattern the server
/// refuses (a regular expression that does not compile) is shown under the pattern.
fn live_preview(rule: Signal<NewCategoryRule>, errors: FormErrors) -> ReadSignal<Preview> {
    let session = use_session();
    let preview = RwSignal::new(Preview::Idle);
    let asked = StoredValue::new(0_u64);
    effect(move |_| {
        let mut rule = rule.get();
        asked.update_value(|count| *count += 1);
        let question = asked.get_value();
        if rule.pattern.is_empty() {
            preview.set(Preview::Idle);
            return;
        }
        // What the rule would match does not depend on its category, which may be
        // still unwritten; the server checks every field.
        if rule.category.is_empty() {
            rule.category = "Preview".to_owned();
        }
        preview.set(Preview::Loading);
        let current = move || asked.try_get_value() == Some(question);
        set_timeout(
            move || {
                if !current() {
                    return;
                }
                spawn_local(async move {
                    let answer = api::preview_category_rule(session, &rule).await;
                    if !current() {
                        return;
                    }
                    match answer {
                        Ok(found) => {
                            errors.forget("pattern");
                            preview.set(Preview::Ready(found));
                        }
                        Err(error) => {
                            let on_pattern = error
                                .field_errors()
                                .iter()
                                .find(|fault| fault.field == "/pattern");
                            if let Some(fault) = on_pattern {
                                errors.set("pattern", fault.message.clone());
                            }
                            preview.set(Preview::Failed(error.to_string()));
                        }
                    }
                });
            },
            PREVIEW_DELAY,
        );
    });
    preview.read_only()
}

/// "12 apps and sites match", with the first of them as classified now.
#[component]
fn RulePreviewPanel(preview: ReadSignal<Preview>) -> impl IntoView {
    view! {
        <section class="rule-preview" aria-live="polite" data-testid="rule-preview">
            <h3 class="rule-preview-title">"Preview"</h3>
            {move || match preview.get() {
                Preview::Idle => view! { <p class="muted">"Type a pattern to see what it matches."</p> }.into_any(),
                Preview::Loading => view! { <p class="muted">"Looking for matches…"</p> }.into_any(),
                Preview::Failed(message) => view! { <p class="muted">{format!("No preview: {message}")}</p> }.into_any(),
                Preview::Ready(found) => {
                    let shown = found.matches.len();
                    let total = found.total as usize;
                    let summary = match total {
                        0 => "Nothing recorded so far matches.".to_owned(),
                        1 => "1 app or site matches; it counts now as shown.".to_owned(),
                        _ if shown < total => format!("{total} apps and sites match; the {shown} most used count now as shown."),
                        _ => format!("{total} apps and sites match; they count now as shown."),
                    };
                    view! {
                        <p data-testid="rule-preview-total" data-total=total>{summary}</p>
                        {(shown > 0).then(|| view! { <SubjectTable subjects=found.matches on_classify=None /> })}
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
