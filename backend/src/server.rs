//! Builds the actix application and runs the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Compress, DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, web};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::alerting::live::{self, Live, StreamSlots};
use crate::api::extract::BodyLimit;
use crate::api::openapi::OpenApiJson;
use crate::api::{self, ApiDoc};
use crate::auth::device_cache::AgentCache;
use crate::auth::password::Passwords;
use crate::auth::rate_limit::RateLimits;
use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::db::{self, Db};
use crate::errors;
use crate::mail::Mailer;
use crate::spa::{self, Spa};
use crate::state::{AppState, Background};
use crate::storage;
use crate::worker;
use crate::worker::heartbeats::SeenBuffer;
use crate::worker::outbox::Outbox;
use tokio::sync::Notify;

/// Runs migrations, then serves until SIGINT/SIGTERM (graceful: in-flight requests finish).
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let applied = db::migrate(&config.database_url).await?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    if !config.plans.is_empty() {
        use diesel_async::AsyncConnection;
        let mut conn = diesel_async::AsyncPgConnection::establish(&config.database_url).await?;
        crate::billing::plans::apply_overrides(&mut conn, &config.plans).await?;
        tracing::info!(plans = ?config.plans.keys().collect::<Vec<_>>(), "plans changed by PULSE_PLANS");
    }
    let listener = TcpListener::bind(config.bind)
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.bind))?;
    let db = db::Db::connect(&config)?;
    tracing::info!(address = %config.bind, "Pulse is listening on http://{}", config.bind);
    run(&config, listener, db)?.await?;
    tracing::info!("stopped");
    Ok(())
}

/// Starts serving on `listener`. The returned server is a future that ends on shutdown;
/// its handle stops it.
pub fn run(
    config: &Config,
    listener: TcpListener,
    db: Db,
) -> anyhow::Result<actix_web::dev::Server> {
    let hashing_threads = std::thread::available_parallelism().map_or(2, usize::from);
    let mailer = Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
    let live = Live::default();
    let outbox_wake = Arc::new(Notify::new());
    let exports_wake = Arc::new(Notify::new());
    let outbox = Outbox::new(config, db.clone(), mailer.clone(), outbox_wake.clone())?;
    let store = storage::open(&config.object_store)?;
    let seen = SeenBuffer::default();
    let agent_cache = AgentCache::default();
    let background = Background(vec![
        tokio::spawn(live::listen(
            config.system_database_url.clone(),
            db.clone(),
            live.clone(),
            outbox_wake,
            agent_cache.clone(),
        )),
        tokio::spawn(outbox.run()),
        tokio::spawn(worker::billing::run(
            db.clone(),
            config.clock,
            config
                .stripe
                .as_ref()
                .map_or(chrono::TimeDelta::days(7), |stripe| stripe.grace),
        )),
        tokio::spawn(worker::presence::run(
            db.clone(),
            config.clock,
            config.presence_every,
        )),
        tokio::spawn(worker::retention::run(
            db.clone(),
            store.clone(),
            config.clock,
            config.retention_every,
            config.deletion_grace,
        )),
        tokio::spawn(worker::exports::run(
            db.clone(),
            store.clone(),
            config.clock,
            config.exports_every,
            exports_wake.clone(),
        )),
        tokio::spawn(worker::partitions::run(
            db.clone(),
            config.clock,
            worker::partitions::EVERY,
        )),
        tokio::spawn(worker::reports::run(
            db.clone(),
            config.clock,
            worker::reports::EVERY,
        )),
        tokio::spawn(worker::sessions::run(
            db.clone(),
            config.clock,
            config.sessions_every,
        )),
        tokio::spawn(worker::heartbeats::flush_loop(
            seen.clone(),
            db.clone(),
            config.seen_flush,
        )),
    ]);
    let limits = RateLimits::new(db.clone(), config.clock);
    let state = web::Data::new(AppState {
        db,
        clock: config.clock,
        started_at: config.clock.now(),
        tokens: TokenKeys::load(config.jwt_secret.as_deref(), &config.data_dir, config.clock)?,
        passwords: Passwords::new(hashing_threads)?,
        limits,
        trusted_proxies: config.trusted_proxies.clone(),
        mailer,
        public_url: config.public_url.clone(),
        secure_cookies: config.public_url.starts_with("https://"),
        live,
        streams: StreamSlots::new(config.max_streams, config.max_streams_per_person),
        webhooks_allow_private: config.webhooks_allow_private,
        sse_heartbeat: config.sse_heartbeat,
        seen,
        agent_cache: agent_cache.clone(),
        store,
        exports_wake,
        deletion_grace: config.deletion_grace,
        stripe: config.stripe.clone().map(crate::billing::Stripe::new),
        screenshot_quota_bytes: config.screenshot_quota_bytes,
        upload_slots: Arc::new(tokio::sync::Semaphore::new(
            hashing_threads * UPLOADS_PER_IMAGE_THREAD,
        )),
        image_work: Arc::new(tokio::sync::Semaphore::new(hashing_threads)),
        background: Arc::new(background),
    });
    let spa = web::Data::new(Spa::new(config.dist_dir.clone()));
    let max_body = config.max_body_bytes;
    let mut server = HttpServer::new(move || {
        let (app, mut openapi) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .app_data(state.clone())
            .app_data(spa.clone())
            .app_data(BodyLimit(max_body))
            .app_data(web::QueryConfig::default().error_handler(errors::query_error))
            .app_data(web::PathConfig::default().error_handler(errors::path_error))
            .app_data(web::PayloadConfig::new(max_body))
            .service(api::health::healthz)
            .service(api::health::readyz)
            .service(api::v1())
            .split_for_parts();
        // The document is served by `api::openapi::document` inside the `/api/v1` scope;
        // the docs page only points at it.
        api::openapi::describe_problems(&mut openapi);
        let openapi_json = openapi.to_json().unwrap_or_default();
        app.app_data(web::Data::new(OpenApiJson(openapi_json)))
            .service(
                SwaggerUi::new("/api/docs/{_:.*}")
                    .config(SwaggerConfig::from("/api/v1/openapi.json")),
            )
            .service(web::redirect("/api/docs", "/api/docs/"))
            .default_service(web::to(spa::serve))
            .wrap(Compress::default())
            .wrap(from_fn(docs_page_csp))
            .wrap(security_headers())
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::default())
    })
    .shutdown_timeout(10)
    .listen(listener)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Headers every answer carries. The SPA page sets its own, wider CSP.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, spa::API_CSP))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .add((
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .add((
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ))
        .add((
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
}

/// The API docs page (Swagger UI, served from the binary) sets styles inline.
/// Screenshot bodies in memory at once per image thread: enough to keep the threads
/// busy while bodies stream in, few enough that memory stays bounded (8 MiB each).
const UPLOADS_PER_IMAGE_THREAD: usize = 4;

const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Gives the docs page its own policy; everything else keeps the default one.
async fn docs_page_csp(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_docs = req.path().starts_with("/api/docs/");
    let mut response = next.call(req).await?;
    if is_docs {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    }
    Ok(response)
}

/// Echoes the request id of the tracing span as `x-request-id`, so a client can quote it.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let mut response = next.call(req).await?;
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
