//! Probes for process supervisors and load balancers: `/healthz` and `/readyz`.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

/// How long `/readyz` waits for the database before it answers 503.
const READY_TIMEOUT: Duration = Duration::from_millis(1500);

/// Whether the process is alive. Answers 200 as long as it can serve HTTP at all.
#[utoipa::path(tag = "system", responses((status = OK, description = "The process is alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Whether the process can serve requests: 200 when the database answers, 503 (within
/// two seconds) when it does not.
#[utoipa::path(
    tag = "system",
    responses(
        (status = OK, description = "Ready to serve"),
        (status = SERVICE_UNAVAILABLE, description = "The database is not reachable"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping(READY_TIMEOUT).await {
        Ok(_) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
