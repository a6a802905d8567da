//! The HTTP API: one module per resource, each a set of handlers annotated with both
//! an actix route and `#[utoipa::path]`, registered through `utoipa_actix_web` so the
//! OpenAPI document is built from the same calls that build the router.
//!
//! Invariant (checked by `tests/api/openapi.rs`): handlers are registered only with
//! `.service(handler)`, never with actix's `route` method, and every path is written in
//! full relative to its scope, so every route appears in `/api/v1/openapi.json`.

pub mod activity;
pub mod agents;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod category_rules;
pub mod csv;
pub mod data_exports;
pub mod device;
pub mod export;
pub mod extract;
pub mod health;
pub mod invitations;
pub mod me;
pub mod openapi;
pub mod overview;
pub mod paging;
pub mod people;
pub mod policies;
pub mod reach;
pub mod reports;
pub mod screenshots;
pub mod sessions;
pub mod system;
pub mod teams;
pub mod webhooks;

use utoipa::OpenApi;
use utoipa_actix_web::scope::{self, Scope};

/// Everything under `/api/v1`.
pub fn v1() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // Routes are tried in order: the agents' calls, by far the most frequent, come
    // first, so they never wait on the pattern matching of the routes with parameters.
    scope::scope("/api/v1")
        .service(device::enroll)
        .service(device::heartbeat)
        .service(device::policy)
        .service(device::upload_activity)
        .service(device::screenshots::upload)
        .service(openapi::document)
        .service(system::status)
        .service(auth::signup)
        .service(auth::verify_signup)
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(billing::stripe_webhook)
        .service(billing::list_plans)
        .service(billing::overview)
        .service(billing::set_email)
        .service(billing::setup_intent)
        .service(billing::set_payment_method)
        .service(billing::preview)
        .service(billing::change_plan)
        .service(billing::set_auto_renew)
        .service(billing::list_invoices)
        .service(billing::export_invoices)
        .service(billing::get_invoice)
        .service(auth::request_password_reset)
        .service(auth::confirm_password_reset)
        .service(me::me)
        .service(me::monitoring)
        .service(me::change_password)
        .service(data_exports::request_mine)
        .service(data_exports::list_mine)
        .service(data_exports::request_for)
        .service(data_exports::list_for)
        .service(data_exports::show)
        .service(data_exports::download)
        .service(audit::list)
        .service(audit::export_csv)
        .service(audit::verify)
        .service(people::list)
        .service(people::get_one)
        .service(people::update)
        .service(people::remove)
        .service(people::restore)
        .service(invitations::lookup)
        .service(invitations::accept)
        .service(invitations::list)
        .service(invitations::create)
        .service(invitations::revoke)
        .service(teams::list)
        .service(teams::create)
        .service(teams::update)
        .service(teams::remove)
        .service(api_keys::list)
        .service(api_keys::create)
        .service(api_keys::revoke)
        .service(alerts::list)
        .service(alerts::unread_count)
        .service(alerts::mark_read)
        .service(alerts::mark_unread)
        .service(alerts::mark_all_read)
        .service(alerts::send_test)
        .service(alerts::stream_ticket)
        .service(alerts::stream)
        .service(alerts::preferences)
        .service(alerts::update_preferences)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::send_test)
        .service(webhooks::deliveries)
        .service(webhooks::delivery)
        .service(webhooks::replay)
        .service(policies::overview)
        .service(policies::put_company)
        .service(policies::put_team)
        .service(policies::remove_team)
        .service(policies::put_employee)
        .service(policies::remove_employee)
        .service(policies::effective_for)
        .service(agents::create_token)
        .service(agents::list_tokens)
        .service(agents::revoke_token)
        .service(agents::counts)
        .service(agents::list)
        .service(agents::revoke)
        .service(sessions::list)
        .service(sessions::summary)
        .service(activity::list)
        .service(overview::overview)
        .service(reports::time_report)
        .service(reports::time_csv)
        .service(reports::time_xlsx)
        .service(reports::attendance_report)
        .service(reports::attendance_csv)
        .service(reports::attendance_xlsx)
        .service(reports::subscription)
        .service(reports::subscribe)
        .service(category_rules::list)
        .service(category_rules::create)
        .service(category_rules::preview)
        .service(category_rules::list_subjects)
        .service(category_rules::update)
        .service(category_rules::remove)
        .service(screenshots::list)
        .service(screenshots::image)
        .service(screenshots::thumbnail)
        .service(screenshots::remove)
        .service(screenshots::views)
        .service(screenshots::my_views)
}

/// The document's fixed parts; paths and schemas are collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pulse API",
        description = "Workforce monitoring for companies: people, agents, activity, alerts and billing.\n\n\
            Errors are `application/problem+json` (RFC 9457). Lists use cursor pagination \
            (`?cursor=&limit=`, answered as `{items, next_cursor}`). Times are RFC 3339 UTC.",
        license(name = "AGPL-3.0-only"),
    ),
    components(schemas(pulse_shared::Problem, pulse_shared::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Health and facts about the running service"),
        (name = "auth", description = "Signing up, signing in and out, refreshing a session"),
        (name = "me", description = "The signed-in person"),
        (name = "audit", description = "The tamper-evident record of every change"),
        (name = "people", description = "People, roles, invitations"),
        (name = "teams", description = "Teams (departments) and their managers"),
        (name = "api-keys", description = "Keys for integrators"),
        (name = "agents", description = "Enrollment tokens, and the agents admins see and revoke"),
        (name = "agent", description = "What desktop agents call, with their device credential (`device`)"),
        (name = "policies", description = "Monitoring policies: the company default, team and employee overrides, the effective policy"),
        (name = "activity", description = "What agents reported, and the work sessions built from it"),
        (name = "reports", description = "Time, activity, productivity and attendance over a range, from rollups kept as activity arrives; and the rules that classify applications and sites (person over team over company over the built-in catalogue), applied when a report is read, so a changed rule changes past reports too"),
        (name = "screenshots", description = "Screenshots agents took: listed per person within reach, opened (every opening of the full image by someone other than its subject is recorded, and the subject sees who), deleted"),
        (name = "alerts", description = "Alerts per recipient, their live stream (Server-Sent Events) and preferences"),
        (name = "billing", description = "Plans, and the signed events Stripe sends (`Stripe-Signature`)"),
        (name = "webhooks", description = "Signed outbound webhooks for alerts. Each request carries `Pulse-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is HMAC-SHA256(endpoint secret, `<t>.<raw body>`); also `Pulse-Event-Id` (repeated on retries and replays), `Pulse-Event-Type` and `Pulse-Delivery-Id`. Non-2xx answers are retried with exponential backoff and jitter for a day; redirects are not followed."),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the protected operations name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An access token from `POST /api/v1/auth/login`."))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let device = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An agent's device credential (`pag_…`) from `POST /api/v1/agent/enroll`.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("device", SecurityScheme::Http(device));
    }
}
