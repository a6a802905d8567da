//! Overview (`/`), the landing page. Signed in: what is happening now, today and this
//! week for the people one may see (tiles, this week by team, attendance today, the
//! newest alerts, seats), kept fresh while the page is shown; whether and how one is
//! monitored; and one's own profile.
//! Signed out: what Pulse is, and live facts about the server.

mod dashboard;
mod live;

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::access::Action;
use pulse_shared::auth::MeResponse;
use pulse_shared::people::Role;
use pulse_shared::system::{Health, SystemStatusResponse};

use super::monitoring::MonitoringNotice;
use crate::api;
use crate::components::{Badge, BadgeTone, Card, ErrorCard, Skeleton};
use crate::format;
use crate::reactive::memo;
use crate::session::{Phase, use_session};
use dashboard::Dashboard;

/// The landing page.
#[component]
pub fn Overview() -> impl IntoView {
    super::set_title("Overview");
    let session = use_session();
    let me = memo(move || session.me());
    let phase = memo(move || session.phase());
    let signed_in = memo(move || me.with(Option::is_some));
    let lede = move || match me.get() {
        Some(me) => format!("Welcome back, {}.", first_name(&me.user.name)),
        // Held open while the sign-in is restored, so that the page below stays put.
        None if phase.get() == Phase::Restoring => "\u{a0}".to_owned(),
        None => "Welcome to Pulse.".to_owned(),
    };
    view! {
        <div class="page" data-page="overview">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Overview"</h1>
                    <p class="page-lede">{lede}</p>
                </div>
                <Show when=move || phase.get() == Phase::SignedOut>
                    <div class="header-actions">
                        <A href="/login" attr:class="btn btn-secondary">"Sign in"</A>
                        <A href="/signup" attr:class="btn btn-primary">"Create a company"</A>
                    </div>
                </Show>
            </header>
            {move || {
                if signed_in.get() {
                    view! {
                        <MonitoringNotice />
                        <Dashboard>{move || me.get().map(profile_card)}</Dashboard>
                    }
                        .into_any()
                } else if phase.get() == Phase::Restoring {
                    // Not the visitors' page: most who open Pulse are signed in.
                    view! {
                        <Card title="Today">
                            <Skeleton lines=4 />
                        </Card>
                    }
                        .into_any()
                } else {
                    view! { <Welcome /> }.into_any()
                }
            }}
        </div>
    }
}

/// What visitors see: what Pulse is, where to go, and the server's facts.
#[component]
fn Welcome() -> impl IntoView {
    let session = use_session();
    let status = api::Fetched::new(move || api::system_status(session));
    view! {
        <div class="grid grid-2">
            <Card title="What Pulse is">
                <p class="prose">
                    "Pulse shows companies how work happens across their team: who is online, "
                    "how long they worked and on what, with desktop agents reporting activity "
                    "and an admin console to set policies, read reports and manage billing."
                </p>
                <p class="prose">"Available now:"</p>
                <ul class="link-list">
                    <Show when=move || session.reaches_others(Action::ReadPeople)>
                        <li>
                            <A href="/people">"Employees"</A>
                            <span class="muted">" — invite people and manage their roles and teams."</span>
                        </li>
                    </Show>
                    <Show when=move || session.may(Action::ReadAudit)>
                        <li>
                            <A href="/audit">"Audit log"</A>
                            <span class="muted">" — every change, tamper-evident."</span>
                        </li>
                    </Show>
                    <Show when=move || {
                        !matches!(session.role(), Some(Role::Manager | Role::Employee))
                    }>
                        <li>
                            <A href="/status">"System status"</A>
                            <span class="muted">" — the health of the server and its database."</span>
                        </li>
                    </Show>
                    <li>
                        <a href="/api/docs" rel="external">"API documentation"</a>
                        <span class="muted">" — every REST endpoint, readable offline."</span>
                    </li>
                </ul>
            </Card>
            {move || match status.get() {
                None => view! {
                    <Card title="Server">
                        <Skeleton lines=4 />
                    </Card>
                }
                .into_any(),
                Some(Ok(status)) => server_facts(&status).into_any(),
                Some(Err(error)) => view! {
                    <ErrorCard title="Server" error=error on_retry=Callback::new(move |()| status.refetch()) />
                }
                .into_any(),
            }}
        </div>
    }
}

/// "My profile": the signed-in person and their company.
fn profile_card(me: MeResponse) -> impl IntoView {
    let MeResponse { user, company } = me;
    let since = format::date(user.created_at);
    view! {
        <Card title="My profile" subtitle="How your colleagues see you in Pulse">
            <div class="profile" data-testid="my-profile">
                <span class="avatar avatar-lg" aria-hidden="true">{format::initials(&user.name)}</span>
                <div class="profile-text">
                    <p class="profile-name">{user.name}</p>
                    <p class="muted">{user.email}</p>
                </div>
                <dl class="facts profile-facts">
                    <div class="fact">
                        <dt>"Role"</dt>
                        <dd>
                            <Badge tone=BadgeTone::Info>{user.role.label()}</Badge>
                        </dd>
                    </div>
                    <div class="fact">
                        <dt>"Company"</dt>
                        <dd class="fact-value" data-testid="company-name">{company.name}</dd>
                    </div>
                    <div class="fact">
                        <dt>"Member since"</dt>
                        <dd>{since}</dd>
                    </div>
                </dl>
            </div>
            <p class="card-footnote">
                <A href="/account">"Account settings and password →"</A>
            </p>
        </Card>
    }
}

/// "Ada Lovelace" → "Ada".
fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// The server card: version, uptime, start time and database health.
fn server_facts(status: &SystemStatusResponse) -> impl IntoView + use<> {
    let version = format!("v{}", status.version);
    let uptime = format::duration(status.server_time - status.started_at);
    let started = format::timestamp(status.started_at);
    let started_iso = status.started_at.to_rfc3339();
    let database = status
        .components
        .iter()
        .find(|component| component.name == "database")
        .map(|component| component.health);
    view! {
        <Card title="Server" subtitle="Live from the status API">
            <dl class="facts">
                <div class="fact">
                    <dt>"Version"</dt>
                    <dd>
                        <Badge>{version}</Badge>
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Uptime"</dt>
                    <dd class="fact-value">{uptime}</dd>
                </div>
                <div class="fact">
                    <dt>"Started"</dt>
                    <dd>
                        <time datetime=started_iso>{started}</time>
                    </dd>
                </div>
                <div class="fact">
                    <dt>"Database"</dt>
                    <dd>
                        {match database {
                            Some(Health::Up) => view! { <Badge tone=BadgeTone::Success>"Up"</Badge> }.into_any(),
                            Some(Health::Down) => view! { <Badge tone=BadgeTone::Danger>"Down"</Badge> }.into_any(),
                            None => view! { <Badge>"Not reported"</Badge> }.into_any(),
                        }}
                    </dd>
                </div>
            </dl>
            <p class="card-footnote">
                <A href="/status">"See the full system status →"</A>
            </p>
        </Card>
    }
}
