//! Exports of a person's data (GDPR articles 15 and 20): `POST /me/export` asks for one's
//! own, `POST /people/{id}/export` an owner's or admin's for someone of their company;
//! the `GET`s of the same paths list them with their progress; `GET /exports/{id}` is
//! one, and `GET /exports/{id}/download` its ZIP once ready. The archive is built in the
//! background by `worker::exports` (`privacy::export`).
//!
//! Limits: one export in the making per person at a time (409), and
//! [`EXPORTS_PER_DAY`] asked for per person in 24 hours (429 with `Retry-After`).
//! Asking and downloading are audited; only the person and the owners and admins of
//! their company reach an export (`Action::ExportPersonalData`); anyone else, 404.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use pulse_shared::access::{Action, Reach, access};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::{DataExportId, UserId};
use pulse_shared::privacy::{
    DataExport, DataExportListResponse, EXPORT_KEPT_DAYS, EXPORTS_PER_DAY, ExportStatus,
};
use serde_json::json;

use super::reach::Reachable;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::exports::{self, ExportRow};
use crate::db::people::UserRow;
use crate::errors::ApiError;
use crate::state::AppState;

/// The bytes of a ZIP archive.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ZipBytes(Vec<u8>);

/// Asks for an export of the signed-in person's own data. It is built in the background:
/// follow it with `GET /me/export` (or `GET /exports/{id}`) until `status` is `ready`,
/// then fetch `download_url`.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = ACCEPTED, body = DataExport, description = "Queued; `Location` is the export"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = CONFLICT, body = pulse_shared::Problem, description = "An export of this person is already being made"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Three exports of this person were asked for in the last 24 hours; try again after `Retry-After`"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[post("/me/export")]
pub async fn request_mine(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = subject(&mut conn, &principal, None).await?;
    start(&mut conn, &state, &principal, &person).await
}

/// The signed-in person's exports not yet expired, newest first, with their progress
/// and, once ready, their download links.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = OK, body = DataExportListResponse),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[get("/me/export")]
pub async fn list_mine(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<DataExportListResponse>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = subject(&mut conn, &principal, None).await?;
    list(&mut conn, &state, &principal, &person).await
}

/// Asks for an export of a person's data (owners and admins, for anyone of their
/// company; anyone else only for themself). Built in the background, as `POST
/// /me/export`.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = ACCEPTED, body = DataExport, description = "Queued; `Location` is the export"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such person within reach"),
        (status = CONFLICT, body = pulse_shared::Problem, description = "An export of this person is already being made"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Three exports of this person were asked for in the last 24 hours; try again after `Retry-After`"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[post("/people/{id}/export")]
pub async fn request_for(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = subject(&mut conn, &principal, Some(*id)).await?;
    start(&mut conn, &state, &principal, &person).await
}

/// A person's exports not yet expired, newest first (owners and admins, for anyone of
/// their company; anyone else only their own).
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = OK, body = DataExportListResponse),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such person within reach"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[get("/people/{id}/export")]
pub async fn list_for(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<UserId>,
) -> Result<web::Json<DataExportListResponse>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = subject(&mut conn, &principal, Some(*id)).await?;
    list(&mut conn, &state, &principal, &person).await
}

/// One export: its status, progress and, once ready, its download link.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The export's id")),
    responses(
        (status = OK, body = DataExport),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such export within reach, or it expired"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[get("/exports/{id}")]
pub async fn show(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<DataExportId>,
) -> Result<web::Json<DataExport>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let row = within_reach(&mut conn, &state, &principal, *id).await?;
    Ok(web::Json(row.into()))
}

/// The export's ZIP archive, once ready: `index.html` to open first, and per kind of
/// record a JSON and a CSV file, with the screenshot images. Every download is audited.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The export's id")),
    responses(
        (status = OK, description = "The archive, as an attachment", content((inline(ZipBytes) = "application/zip"))),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such export within reach, or it expired"),
        (status = CONFLICT, body = pulse_shared::Problem, description = "Not ready yet (or it failed): see its `status`"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database or the object store is not reachable; try again after `Retry-After`"),
    )
)]
#[get("/exports/{id}/download")]
pub async fn download(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<DataExportId>,
) -> Result<HttpResponse, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let row = within_reach(&mut conn, &state, &principal, *id).await?;
    let (ExportStatus::Ready, Some(key)) = (row.status, row.object_key.clone()) else {
        return Err(ApiError::Conflict(format!(
            "This export is not ready: it is {}.",
            row.status.label().to_lowercase()
        )));
    };
    let object = state
        .store
        .get(&Path::from(key.as_str()))
        .await
        .map_err(|error| ApiError::Internal(error.into()))?;
    let size = object.meta.size;
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        let change = Change {
            action: AuditAction::PersonalDataExportDownloaded,
            target_kind: TargetKind::DataExport,
            target_id: Some(row.id.0),
            summary: json!({"user_id": row.user_id, "size_bytes": size}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    drop(conn);
    let name = format!(
        "pulse-data-{}-{}.zip",
        row.user_id,
        row.created_at.format("%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .no_chunking(size)
        .streaming(object.into_stream().map_err(std::io::Error::other)))
}

/// The person an export is asked for: `id`, or the caller. Someone of another company,
/// deleted, or out of the caller's reach for exports answers 404.
async fn subject(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: Option<UserId>,
) -> Result<UserRow, ApiError> {
    let reach = Reachable::resolve(conn, principal, Action::ExportPersonalData).await?;
    reach
        .person(conn, principal, id.unwrap_or(principal.user_id()))
        .await
}

/// `company`'s export `id` if the caller reaches it: theirs, or anyone's for owners and
/// admins. Expired or not theirs: 404.
async fn within_reach(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    principal: &Principal,
    id: DataExportId,
) -> Result<ExportRow, ApiError> {
    let row = exports::find(conn, principal.company_id(), id, state.clock.now())
        .await?
        .ok_or(ApiError::NotFound)?;
    let reach = access(principal.role(), Action::ExportPersonalData);
    if row.user_id == principal.user_id() || reach == Reach::Company {
        Ok(row)
    } else {
        Err(ApiError::NotFound)
    }
}

async fn start(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    principal: &Principal,
    person: &UserRow,
) -> Result<HttpResponse, ApiError> {
    let company = principal.company_id();
    // As Postgres keeps it, so the answer reads as the export does later.
    let now = chrono::SubsecRound::trunc_subsecs(state.clock.now(), 6);
    let day_ago = now - chrono::Duration::days(1);
    let actor = principal.actor().clone();
    let row = ExportRow {
        company_id: company,
        id: DataExportId::generate(),
        user_id: person.id,
        requested_by: Some(principal.user_id()),
        status: ExportStatus::Queued,
        progress: 0,
        object_key: None,
        size_bytes: None,
        error: None,
        lease_until: None,
        created_at: now,
        finished_at: None,
        expires_at: now + chrono::Duration::days(EXPORT_KEPT_DAYS),
    };
    let queued = conn
        .transaction::<_, ApiError, _>(async |conn| {
            if exports::asked_since(conn, company, person.id, day_ago).await? >= EXPORTS_PER_DAY {
                return Err(ApiError::TooManyRequests {
                    retry_after_secs: 3600,
                });
            }
            if !exports::insert(conn, &row).await? {
                return Ok(false);
            }
            let change = Change {
                action: AuditAction::PersonalDataExportRequested,
                target_kind: TargetKind::DataExport,
                target_id: Some(row.id.0),
                summary: json!({"user_id": person.id}),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(true)
        })
        .await?;
    if !queued {
        return Err(ApiError::Conflict(
            "An export of this person is already being made; wait for it to finish.".into(),
        ));
    }
    state.exports_wake.notify_one();
    let location = format!("/api/v1/exports/{}", row.id);
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .json(DataExport::from(row)))
}

async fn list(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    principal: &Principal,
    person: &UserRow,
) -> Result<web::Json<DataExportListResponse>, ApiError> {
    let rows =
        exports::of_person(conn, principal.company_id(), person.id, state.clock.now()).await?;
    Ok(web::Json(DataExportListResponse {
        items: rows.into_iter().map(DataExport::from).collect(),
    }))
}
