//! Overview (`/`): what Pulse is, what is available now, and live facts about the server.

use leptos::prelude::*;
use leptos_router::components::A;
use pulse_shared::system::{Health, SystemStatusResponse};

use crate::api;
use crate::components::{Badge, BadgeTone, Card, ErrorCard, Skeleton};
use crate::format;

/// The landing page.
#[component]
pub fn Overview() -> impl IntoView {
    super::set_title("Overview");
    let status = LocalResource::new(api::system_status);
    view! {
        <div class="page" data-page="overview">
            <header class="page-header">
                <div>
                    <h1 class="page-title">"Overview"</h1>
                    <p class="page-lede">"Welcome to Pulse."</p>
                </div>
            </header>
            <div class="grid grid-2">
                <Card title="What Pulse is">
                    <p class="prose">
                        "Pulse shows companies how work happens across their team: who is online, "
                        "how long they worked and on what, with desktop agents reporting activity "
                        "and an admin console to set policies, read reports and manage billing."
                    </p>
                    <p class="prose">"Available now:"</p>
                    <ul class="link-list">
                        <li>
                            <A href="/status">"System status"</A>
                            <span class="muted">" — the health of the server and its database."</span>
                        </li>
                        <li>
                            <a href="/api/docs" rel="external">"API documentation"</a>
                            <span class="muted">" — every REST endpoint, readable offline."</span>
                        </li>
                    </ul>
                </Card>
                <Suspense fallback=|| {
                    view! {
                        <Card title="Server">
                            <Skeleton lines=4 />
                        </Card>
                    }
                }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(status) => server_facts(&status).into_any(),
                            Err(error) => {
                                view! {
                                    <ErrorCard
                                        title="Server"
                                        error=error
                                        on_retry=Callback::new(move |()| status.refetch())
                                    />
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
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
