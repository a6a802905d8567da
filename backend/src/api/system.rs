//! `/api/v1/system`: what the service says about itself.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, get, web};
use pulse_shared::people::Role;
use pulse_shared::system::{ComponentStatus, Health, SystemStatusResponse};

use crate::auth::principal::{Principal, bearer};
use crate::db;
use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

/// The server's version and the health of the parts it depends on.
///
/// Answers 200 even when a part is down, with that part marked `down`, so a dashboard
/// can show what is wrong. Anyone learns whether each part is up; a signed-in owner or
/// admin (bearer token) also gets latencies, errors and the applied migrations.
#[utoipa::path(
    tag = "system",
    security((), ("bearer" = [])),
    responses((status = OK, body = SystemStatusResponse, description = "The status of the service"))
)]
#[get("/system/status")]
pub async fn status(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> web::Json<SystemStatusResponse> {
    // A missing, bad or expired token, or a database too far gone to say who it is,
    // gets the public answer: never a 401 from a health page.
    let detailed = match bearer(&req) {
        Some(_) => Principal::from_request(&req, &mut Payload::None)
            .await
            .is_ok_and(|principal| principal.role().at_least(Role::Admin)),
        None => false,
    };
    let (database, migrations) = match database_status(&state).await {
        Ok((latency, migrations)) => (
            ComponentStatus {
                name: "database".into(),
                health: Health::Up,
                latency_ms: Some(latency.as_millis().try_into().unwrap_or(u64::MAX)),
                detail: None,
            },
            migrations,
        ),
        Err(error) => (
            ComponentStatus {
                name: "database".into(),
                health: Health::Down,
                latency_ms: None,
                detail: Some(error.to_string()),
            },
            Vec::new(),
        ),
    };
    let mut components = vec![database];
    if !detailed {
        for component in &mut components {
            component.latency_ms = None;
            component.detail = None;
        }
    }
    web::Json(SystemStatusResponse {
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: state.started_at,
        server_time: state.clock.now(),
        components,
        migrations: if detailed { migrations } else { Vec::new() },
        detailed,
    })
}

async fn database_status(
    state: &AppState,
) -> Result<(Duration, Vec<pulse_shared::system::MigrationInfo>), db::DbError> {
    let latency = state.db.ping(CHECK_TIMEOUT).await?;
    let mut conn = state.db.system().await?;
    let rows = tokio::time::timeout(CHECK_TIMEOUT, db::applied_migrations(&mut conn))
        .await
        .map_err(|_| db::DbError::Timeout(CHECK_TIMEOUT))??;
    Ok((latency, rows.into_iter().map(Into::into).collect()))
}
