//! Account (`/account`): who you are, whether and how you are monitored, changing your
//! password, signing out, downloading your data, and (for owners, admins and managers)
//! how often a report arrives by e-mail.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use pulse_shared::access::{Action, Reach};
use pulse_shared::auth::ChangePasswordRequest;
use pulse_shared::reports::{ReportFrequency, ReportSubscription};
use pulse_shared::validate;

use super::data_export::DataExportPanel;
use super::heading::{self, PageHeading};
use super::monitoring::MonitoringNotice;
use crate::api;
use crate::components::{
    Badge, BadgeTone, Button, ButtonVariant, Card, FormField, FormMessage, SelectField,
    SelectOption, use_toasts,
};
use crate::format;
use crate::forms::{FormErrors, submission};
use crate::reactive::memo;
use crate::session::use_session;

/// The account page of the signed-in person.
#[component]
pub fn Account() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let navigate = use_navigate();
    let me = memo(move || session.me());
    // The session's copy may be minutes old (a role change by an admin): refresh it.
    spawn_local(async move {
        if let Ok(fresh) = api::me(session).await {
            session.update_me(fresh);
        }
    });
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        signing_out.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            api::end_session(session).await;
            navigate("/login", NavigateOptions::default());
            toasts.info("You are signed out.");
        });
    };

    view! {
        <div class="page" data-page="account">
            <header class="page-header">
                <PageHeading heading=heading::ACCOUNT />
            </header>
            <MonitoringNotice />
            <div class="grid grid-2">
                <Card title="Profile">
                    {move || {
                        me.get()
                            .map(|me| {
                                view! {
                                    <dl class="facts" data-testid="profile">
                                        <div class="fact">
                                            <dt>"Name"</dt>
                                            <dd class="fact-value">{me.user.name}</dd>
                                        </div>
                                        <div class="fact">
                                            <dt>"E-mail address"</dt>
                                            <dd class="fact-value">{me.user.email}</dd>
                                        </div>
                                        <div class="fact">
                                            <dt>"Role"</dt>
                                            <dd>
                                                <Badge tone=BadgeTone::Info>{me.user.role.label()}</Badge>
                                            </dd>
                                        </div>
                                        <div class="fact">
                                            <dt>"Company"</dt>
                                            <dd class="fact-value">{me.company.name}</dd>
                                        </div>
                                        <div class="fact">
                                            <dt>"Member since"</dt>
                                            <dd>{format::date(me.user.created_at)}</dd>
                                        </div>
                                    </dl>
                                }
                            })
                    }}
                    <div class="card-footnote card-footnote-actions">
                        <p class="muted">"Signing out ends this browser's session."</p>
                        <Button
                            variant=ButtonVariant::Secondary
                            loading=signing_out
                            on_click={sign_out}
                            {..}
                            data-testid="account-sign-out"
                        >
                            "Sign out"
                        </Button>
                    </div>
                </Card>
                <PasswordCard />
                <Card title="Your data" subtitle="Everything Pulse holds about you, to keep or to take elsewhere." {..} data-testid="your-data">
                    <DataExportPanel person=None action_label="Download my data" />
                </Card>
                <Show when=move || session.may(Action::ReceiveReportEmails)>
                    <ReportEmailsCard />
                </Show>
            </div>
        </div>
    }
}

/// Current and new password; the server answers with a fresh session.
#[component]
fn PasswordCard() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let change = submission(
        errors,
        &["current_password", "new_password"],
        move |request: ChangePasswordRequest| async move {
            api::change_password(session, &request).await
        },
        move |response| {
            api::start_session(session, response);
            current_password.set(String::new());
            new_password.set(String::new());
            toasts.success("Password changed. Other sessions are signed out.");
        },
    );
    let busy = change.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        errors.clear();
        let mut ok = true;
        if current_password.with_untracked(String::is_empty) {
            errors.set("current_password", "Enter your current password.");
            ok = false;
        }
        ok &= errors.check(
            "new_password",
            validate::password(&new_password.get_untracked()),
        );
        if ok && current_password.get_untracked() == new_password.get_untracked() {
            errors.set(
                "new_password",
                "Choose a password different from the current one.",
            );
            ok = false;
        }
        if !ok {
            return;
        }
        let request = ChangePasswordRequest {
            current_password: current_password.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        change.dispatch_local(request);
    };
    view! {
        <Card title="Change password" subtitle="You stay signed in here; other sign-ins end.">
            <form class="form" on:submit=submit novalidate=true>
                <FormMessage error=errors.general() />
                // Lets password managers tie the new password to the account.
                <input
                    type="email"
                    name="username"
                    class="visually-hidden"
                    autocomplete="username"
                    tabindex="-1"
                    aria-hidden="true"
                    readonly=true
                    prop:value=move || session.me().map(|me| me.user.email).unwrap_or_default()
                />
                <FormField
                    id="current-password"
                    name="current_password"
                    label="Current password"
                    input_type="password"
                    autocomplete="current-password"
                    value=current_password
                    error=errors.of("current_password")
                    required=true
                />
                <FormField
                    id="new-password"
                    name="new_password"
                    label="New password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    value=new_password
                    error=errors.of("new_password")
                    required=true
                />
                <div class="form-actions">
                    <Button submit=true loading={busy}>
                        "Change password"
                    </Button>
                </div>
            </form>
        </Card>
    }
}

/// How often the person's summary arrives: off, daily or weekly; loaded from and saved
/// to `/me/report-subscription`.
#[component]
fn ReportEmailsCard() -> impl IntoView {
    let session = use_session();
    let toasts = use_toasts();
    let errors = FormErrors::new();
    // `""` is off; the select is usable once the current choice is known.
    let choice = RwSignal::new(String::new());
    let loaded = RwSignal::new(false);
    spawn_local(async move {
        match api::report_subscription(session).await {
            Ok(subscription) => {
                let _ = choice.try_set(frequency_value(subscription.frequency).to_owned());
                let _ = loaded.try_set(true);
            }
            Err(error) => errors.show(&error, &[]),
        }
    });
    let save = submission(
        errors,
        &["frequency"],
        move |request: ReportSubscription| async move {
            api::set_report_subscription(session, &request).await
        },
        move |saved: ReportSubscription| {
            choice.set(frequency_value(saved.frequency).to_owned());
            toasts.success(saved_text(saved.frequency));
        },
    );
    let busy = save.pending();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() || !loaded.get_untracked() {
            return;
        }
        errors.clear();
        let frequency = choice.get_untracked().parse().ok();
        save.dispatch_local(ReportSubscription { frequency });
    };
    let options = Signal::stored(
        [
            ("", "Off"),
            ("daily", "Daily"),
            ("weekly", "Weekly, on Mondays"),
        ]
        .into_iter()
        .map(|(value, text)| (value.to_owned(), text.to_owned()))
        .collect::<Vec<SelectOption>>(),
    );
    let whom = move || match session.reach(Action::ReceiveReportEmails) {
        Reach::Company => "everyone in the company",
        _ => "the people of your teams",
    };
    view! {
        <Card title="Report e-mails" subtitle="Time, activity and attendance in your inbox." {..} data-testid="report-emails">
            <form class="form" on:submit=submit novalidate=true>
                <FormMessage error=errors.general() />
                <SelectField
                    id="report-frequency"
                    name="frequency"
                    label="Send me a summary"
                    value=choice
                    options=options
                    error=errors.of("frequency")
                />
                <p class="field-hint" data-testid="report-emails-hint">
                    "Sent at 07:00 your time about the day or week before, for the people you can see: "
                    {whom}
                    "."
                </p>
                <div class="form-actions">
                    <Button submit=true loading=busy disabled=Signal::derive(move || !loaded.get()) {..} data-testid="report-emails-save">
                        "Save"
                    </Button>
                </div>
            </form>
        </Card>
    }
}

/// The select's value for a frequency: `daily`, `weekly`, or `""` for off.
fn frequency_value(frequency: Option<ReportFrequency>) -> &'static str {
    frequency.map_or("", ReportFrequency::as_str)
}

/// What the toast says once saved.
fn saved_text(frequency: Option<ReportFrequency>) -> &'static str {
    match frequency {
        None => "Report e-mails are off.",
        Some(ReportFrequency::Daily) => {
            "A report about the day before arrives each morning at 07:00."
        }
        Some(ReportFrequency::Weekly) => {
            "A report about the week before arrives each Monday at 07:00."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_round_trip_through_the_select() {
        for frequency in [
            None,
            Some(ReportFrequency::Daily),
            Some(ReportFrequency::Weekly),
        ] {
            let value = frequency_value(frequency);
            assert_eq!(
                value.parse::<ReportFrequency>().ok(),
                frequency,
                "{value:?}"
            );
        }
    }
}
