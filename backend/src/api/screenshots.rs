//! Screenshots: `/api/v1/screenshots` (people list, open, delete them, and see who
//! opened them) and `/api/v1/me/screenshot-views` (who opened mine). Agents upload them
//! through [`super::device::screenshots`].
//!
//! Opening the full image as anyone but its subject writes a `screenshot_views` row in
//! the same request, so employees can see who looked. Thumbnails are not recorded: a
//! list shows dozens, and at 320 pixels they show the layout of a screen, not its text.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::access::{Action, Reach, access};
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::ids::ScreenshotId;
use pulse_shared::screenshots::{ImageFormat, Screenshot, ScreenshotQuery, ScreenshotView};
use pulse_shared::{Page, PageQuery};
use serde_json::json;

use super::paging;
use super::reach::Reachable;
use super::sessions::check_range;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::people::UserRow;
use crate::db::policies;
use crate::db::screenshots::{self, ListCursor, ScreenshotRow};
use crate::errors::ApiError;
use crate::state::AppState;
use crate::storage;

/// How long browsers may keep an image or thumbnail (they never change; deletion
/// reaches caches only after this).
const CACHE_CONTROL: &str = "private, max-age=3600";

/// The bytes of an image.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ImageBytes(Vec<u8>);

/// One person's screenshots captured in `[from, to)` (at most 31 days), newest first.
/// `user_id` absent: the caller's own. Managers see their teams' people, employees
/// themselves; anyone else answers 404.
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(ScreenshotQuery),
    responses(
        (status = OK, body = Page<Screenshot>),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "No such person within reach"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem)
    )
)]
#[get("/screenshots")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ScreenshotQuery>,
) -> Result<web::Json<Page<Screenshot>>, ApiError> {
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor::<ListCursor>(query.cursor.as_deref())?;
    check_range(query.from, query.to)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let subject = Reachable::activity_subject(&mut conn, &principal, query.user_id).await?;
    let subject_id = subject.id;
    let deletable = deletion_refused(&mut conn, &principal, &subject)
        .await?
        .is_none();
    let found = screenshots::list(
        &mut conn,
        principal.company_id(),
        subject_id,
        (query.from, query.to),
        before,
        limit + 1,
    )
    .await?;
    let page: Page<ScreenshotRow> = paging::page(found, limit, |row| {
        ListCursor {
            captured_at: row.captured_at,
            id: row.id.0,
        }
        .to_string()
    });
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(|row| row.view(deletable))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The full image, as stored. Opening someone else's screenshot is recorded: its
/// subject sees who looked (`/me/screenshot-views`).
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The screenshot's id")),
    responses(
        (status = OK, description = "The image, with its own media type", content((inline(ImageBytes) = "image/png"), (inline(ImageBytes) = "image/jpeg"), (inline(ImageBytes) = "image/webp"))),
        (status = NOT_FOUND, body = pulse_shared::Problem)
    )
)]
#[get("/screenshots/{id}/image")]
pub async fn image(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<ScreenshotId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let (shot, _) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    let bytes = fetch(&state, &shot.original_key).await?;
    if shot.user_id != principal.user_id() {
        screenshots::record_view(&mut conn, &shot, principal.user_id(), state.clock.now()).await?;
    }
    Ok(image_response(shot.format(), bytes))
}

/// The thumbnail: a JPEG whose longest side is at most 320 pixels. Not recorded as a view.
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The screenshot's id")),
    responses(
        (status = OK, description = "The thumbnail", content((inline(ImageBytes) = "image/jpeg"))),
        (status = NOT_FOUND, body = pulse_shared::Problem)
    )
)]
#[get("/screenshots/{id}/thumbnail")]
pub async fn thumbnail(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<ScreenshotId>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let (shot, _) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    drop(conn);
    let bytes = fetch(&state, &shot.thumbnail_key).await?;
    Ok(image_response(ImageFormat::Jpeg, bytes))
}

/// Deletes a screenshot, its thumbnail and its views. Owners and admins delete any;
/// others only their own, and only when their policy lets employees delete screenshots.
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The screenshot's id")),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Not yours, or your policy keeps screenshots"),
        (status = NOT_FOUND, body = pulse_shared::Problem)
    )
)]
#[delete("/screenshots/{id}")]
pub async fn remove(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<ScreenshotId>,
) -> Result<HttpResponse, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let (shot, subject) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    if let Some(why) = deletion_refused(&mut conn, &principal, &subject).await? {
        return Err(ApiError::Forbidden(why));
    }
    let actor = principal.actor().clone();
    let deleted = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let Some(deleted) = screenshots::delete(conn, company, *id).await? else {
                return Ok(None);
            };
            let change = Change {
                action: AuditAction::ScreenshotDeleted,
                target_kind: TargetKind::Screenshot,
                target_id: Some(deleted.id.0),
                summary: json!({"before": {
                    "user_id": deleted.user_id,
                    "agent_id": deleted.agent_id,
                    "captured_at": deleted.captured_at,
                    "monitor": deleted.monitor,
                    "blurred": deleted.blurred,
                }}),
            };
            audit::record(conn, company, &actor, change).await?;
            Ok(Some(deleted))
        })
        .await?;
    drop(conn);
    // The trigger queued both objects in the transaction; delete them now, and leave
    // any failure to the retention job.
    if let Some(deleted) = deleted {
        let keys = [deleted.original_key, deleted.thumbnail_key];
        storage::forget(&state.db, state.store.as_ref(), company, &keys).await;
    } else {
        tracing::debug!(screenshot = %shot.id, "already deleted by another request");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Who opened this screenshot's full image, newest first. For its subject, and for
/// owners and admins.
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The screenshot's id")),
    responses(
        (status = OK, body = Vec<ScreenshotView>),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Someone else's screenshot, for a manager"),
        (status = NOT_FOUND, body = pulse_shared::Problem)
    )
)]
#[get("/screenshots/{id}/views")]
pub async fn views(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<ScreenshotId>,
) -> Result<web::Json<Vec<ScreenshotView>>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let (shot, _) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    match principal.require(Action::ReadScreenshotViews)? {
        Reach::Company => {}
        _ if shot.user_id == principal.user_id() => {}
        _ => {
            return Err(ApiError::Forbidden(
                "Only its subject, owners and admins see who opened a screenshot.",
            ));
        }
    }
    let found = screenshots::views_of(&mut conn, principal.company_id(), *id).await?;
    Ok(web::Json(found.into_iter().map(Into::into).collect()))
}

/// Who opened the caller's screenshots, newest first.
#[utoipa::path(
    tag = "screenshots",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = OK, body = Page<ScreenshotView>), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/me/screenshot-views")]
pub async fn my_views(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ScreenshotView>>, ApiError> {
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor::<uuid::Uuid>(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let found = screenshots::views_of_subject(
        &mut conn,
        principal.company_id(),
        principal.user_id(),
        before,
        limit + 1,
    )
    .await?;
    Ok(web::Json(paging::page(found, limit, |row| {
        row.id.to_string()
    })))
}

/// The screenshot `id` and its subject, if the principal may see it; 404 otherwise.
async fn screenshot_within_reach(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    id: ScreenshotId,
) -> Result<(ScreenshotRow, UserRow), ApiError> {
    let shot = screenshots::find(conn, principal.company_id(), id).await?;
    let subject = Reachable::activity_subject(conn, principal, Some(shot.user_id)).await?;
    Ok((shot, subject))
}

/// Why the principal may not delete `subject`'s screenshots; `None` when they may.
/// Owners and admins may delete any; others their own, where their effective policy
/// lets employees delete screenshots.
async fn deletion_refused(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    subject: &UserRow,
) -> Result<Option<&'static str>, ApiError> {
    Ok(match access(principal.role(), Action::DeleteScreenshots) {
        Reach::Company => None,
        Reach::None => Some("Your role does not allow this."),
        Reach::Own | Reach::Teams if subject.id != principal.user_id() => {
            Some("You may delete only your own screenshots.")
        }
        Reach::Own | Reach::Teams => {
            let effective =
                policies::effective(conn, subject.company_id, subject.id, subject.team_id).await?;
            if effective.settings.employees_may_delete_screenshots {
                None
            } else {
                Some("Your policy keeps screenshots: ask an admin to delete this one.")
            }
        }
    })
}

async fn fetch(state: &AppState, key: &str) -> Result<web::Bytes, ApiError> {
    match storage::get(state.store.as_ref(), key).await {
        Ok(bytes) => Ok(bytes),
        Err(object_store::Error::NotFound { .. }) => {
            tracing::warn!(key, "a screenshot's object is missing from the store");
            Err(ApiError::NotFound)
        }
        Err(error) => Err(ApiError::Internal(error.into())),
    }
}

fn image_response(format: ImageFormat, bytes: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        // The same URL answers differently per person: never reuse one person's copy for another.
        .insert_header((header::VARY, "Authorization"))
        .body(bytes)
}
