//! Screenshots: `POST /api/v1/agent/screenshots` (agents upload), `/api/v1/screenshots`
//! (people list, open, delete them, and see who opened them) and
//! `/api/v1/me/screenshot-views` (who opened mine).
//!
//! An upload is checked before anything is decoded: the media type, the size while the
//! body streams in, the magic bytes, and the pixel count from the header (so a small
//! file that claims a huge image is refused unread). Decoding, blurring and the
//! thumbnail then run on the blocking pool, a bounded number at a time. The objects are
//! written first (queued for deletion an hour ahead, in case this process dies) and the
//! metadata inserted after, unqueueing them in the same transaction.
//!
//! Opening the full image as anyone but its subject writes a `screenshot_views` row in
//! the same request, so employees can see who looked. Thumbnails are not recorded: a
//! list shows dozens, and at 320 pixels they show the layout of a screen, not its text.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Duration;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use pulse_shared::access::{Action, Reach, access};
use pulse_shared::audit::AuditAction;
use pulse_shared::ids::{CompanyId, ScreenshotId, UserId};
use pulse_shared::policies::ScreenshotMode;
use pulse_shared::screenshots::{
    ImageFormat, MAX_MONITOR, MAX_SCREENSHOT_BYTES, Screenshot, ScreenshotQuery, ScreenshotUpload,
    ScreenshotView,
};
use pulse_shared::{Page, PageQuery};
use serde_json::json;

use super::extract::{Encoding, read_raw_sized};
use super::paging;
use super::reach::Reachable;
use super::sessions::check_range;
use crate::auth::device::Device;
use crate::auth::principal::Principal;
use crate::db::audit::{self, Change};
use crate::db::people::UserRow;
use crate::db::screenshots::{self as rows, ListCursor, ScreenshotRow};
use crate::db::{self, policies};
use crate::domain::screenshots::{self as images, Refusal};
use crate::errors::ApiError;
use crate::state::AppState;
use crate::storage;

/// How far ahead of the server's clock a capture time may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old a screenshot may be when it arrives (an agent spools while offline).
const MAX_AGE: Duration = Duration::days(30);
/// How long browsers may keep an image or thumbnail (they never change; deletion
/// reaches caches only after this).
const CACHE_CONTROL: &str = "private, max-age=3600";
/// An upload's objects are queued for deletion this far ahead until its metadata is in.
const UPLOAD_GRACE: Duration = Duration::hours(1);
/// Screenshots of one monitor an agent may have stored within half an interval of a new
/// one's capture time (either side): the policy's pace (jitter may bring two close)
/// with slack for a restart; a flood beyond it is refused.
const MAX_PER_INTERVAL: i64 = 3;
/// How long an upload waits for a slot to bring its body into memory.
const UPLOAD_SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The bytes of an image.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ImageBytes(Vec<u8>);

/// Uploads one screenshot; the body is the image (`image/png`, `image/jpeg` or
/// `image/webp`, at most 8 MiB and 2 × 3840 × 2160 pixels). Sending the same `id`
/// again answers the stored screenshot with 200 and stores nothing. When the
/// employee's policy blurs screenshots, only the blurred image is kept. When their
/// policy has screenshots off, the upload is refused with 403: the agent should drop
/// it and fetch the policy again.
#[utoipa::path(
    tag = "agent",
    security(("device" = [])),
    params(ScreenshotUpload),
    request_body(
        description = "The image itself",
        content((inline(ImageBytes) = "image/png"), (inline(ImageBytes) = "image/jpeg"), (inline(ImageBytes) = "image/webp"))
    ),
    responses(
        (status = CREATED, body = Screenshot, description = "Stored"),
        (status = OK, body = Screenshot, description = "This id was uploaded before; nothing new stored"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "The employee's policy has screenshots off"),
        (status = PAYLOAD_TOO_LARGE, body = pulse_shared::Problem),
        (status = UNSUPPORTED_MEDIA_TYPE, body = pulse_shared::Problem),
        (status = CONFLICT, body = pulse_shared::Problem, description = "The company's screenshot storage is full"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "Not an image of the declared type, too many pixels, a capture time out of range, or more screenshots of this monitor around this time than the policy takes (`captured_at`, code `too_frequent`): drop it"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy with other uploads; try again after `Retry-After`")
    )
)]
#[post("/agent/screenshots")]
pub async fn upload(
    req: HttpRequest,
    device: Device,
    state: web::Data<AppState>,
    query: web::Query<ScreenshotUpload>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let declared = req
        .mime_type()
        .ok()
        .flatten()
        .and_then(|mime| images::declared_format(mime.essence_str()))
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "send the image as image/png, image/jpeg or image/webp".into(),
            )
        })?;
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared_length.is_some_and(|length| length > MAX_SCREENSHOT_BYTES) {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_SCREENSHOT_BYTES,
        });
    }
    let now = state.clock.now();
    let upload = query.into_inner();
    ApiError::check_fields([
        (
            "monitor",
            if upload.monitor <= MAX_MONITOR {
                Ok(())
            } else {
                Err(("out_of_range", "Use a monitor index from 0 to 15."))
            },
        ),
        (
            "captured_at",
            if upload.captured_at > now + CLOCK_SKEW {
                Err(("in_the_future", "The capture time is in the future."))
            } else if upload.captured_at < now - MAX_AGE {
                Err((
                    "too_old",
                    "Screenshots older than 30 days are not accepted.",
                ))
            } else {
                Ok(())
            },
        ),
    ])?;

    // Everything that can refuse the upload is checked before its body is read.
    let company = device.company_id;
    let mut conn = db::conn(&state.pool).await?;
    if let Some(existing) =
        rows::by_client_id(&mut conn, company, device.agent_id, upload.id).await?
    {
        return Ok(HttpResponse::Ok().json(existing.view(false)));
    }
    let effective = policies::effective(&mut conn, company, device.user_id, device.team_id).await?;
    if effective.settings.screenshot_mode == ScreenshotMode::Off {
        return Err(ApiError::Forbidden(
            "This employee's policy has screenshots off; drop this one and fetch the policy again.",
        ));
    }
    let interval =
        chrono::Duration::minutes(i64::from(effective.settings.screenshot_interval_mins));
    let monitor = i32::try_from(upload.monitor).unwrap_or(0);
    let near = rows::captured_near(
        &mut conn,
        company,
        device.agent_id,
        monitor,
        upload.captured_at,
        interval / 2,
    )
    .await?;
    if near >= MAX_PER_INTERVAL {
        return Err(ApiError::field(
            "captured_at",
            "too_frequent",
            format!(
                "This computer already sent {near} screenshots of this monitor taken within half an interval of this one; its policy takes one every {} minutes. Drop it.",
                effective.settings.screenshot_interval_mins
            ),
        ));
    }
    if rows::stored_bytes(&mut conn, company).await? >= state.screenshot_quota_bytes {
        return Err(ApiError::Conflict(format!(
            "The company's screenshot storage is full ({} GB): no more are stored until retention or deletions free room.",
            state.screenshot_quota_bytes / 1_000_000_000
        )));
    }
    let blur = effective.settings.blur_screenshots;
    drop(conn);

    // Bodies in memory are bounded: a slot is taken before reading, held until stored.
    let _slot = tokio::time::timeout(UPLOAD_SLOT_WAIT, state.upload_slots.acquire())
        .await
        .map_err(|_| ApiError::Busy("The server is busy with other uploads; try again shortly."))?
        .map_err(|error| ApiError::Internal(error.into()))?;
    let body = read_body(&req, payload, declared_length).await?;

    let (header, rendered, body) = {
        let _permit = state
            .image_work
            .acquire()
            .await
            .map_err(|error| ApiError::Internal(error.into()))?;
        web::block(move || {
            let header = images::inspect(&body, declared)?;
            let rendered = images::render(&body, header, blur)?;
            Ok::<_, Refusal>((header, rendered, body))
        })
        .await
        .map_err(|error| ApiError::Internal(anyhow::anyhow!("image work failed: {error}")))?
        .map_err(|refusal| {
            let (code, message) = refusal.describe();
            ApiError::field("body", code, message)
        })?
    };

    let id = ScreenshotId::generate();
    let original_key = storage::original_key(company, device.user_id, id, header.format);
    let thumbnail_key = storage::thumbnail_key(company, device.user_id, id);
    let keys = [original_key.clone(), thumbnail_key.clone()];
    let original = rendered.original.unwrap_or_else(|| body.to_vec());
    let row = ScreenshotRow {
        company_id: company.0,
        id: id.0,
        agent_id: device.agent_id.0,
        user_id: device.user_id.0,
        client_id: upload.id,
        captured_at: upload.captured_at,
        monitor: i32::try_from(upload.monitor).unwrap_or(0),
        format: rows::format_name(header.format).to_owned(),
        width: i32::try_from(header.width).unwrap_or(i32::MAX),
        height: i32::try_from(header.height).unwrap_or(i32::MAX),
        bytes: i64::try_from(original.len()).unwrap_or(i64::MAX),
        blurred: blur,
        original_key,
        thumbnail_key,
        uploaded_at: now,
    };

    let mut conn = db::conn(&state.pool).await?;
    rows::queue_deletions(&mut conn, company, &keys, now + UPLOAD_GRACE).await?;
    drop(conn);
    let written = async {
        storage::put(state.store.as_ref(), &row.original_key, original).await?;
        storage::put(state.store.as_ref(), &row.thumbnail_key, rendered.thumbnail).await
    };
    if let Err(error) = written.await {
        storage::forget(&state.pool, state.store.as_ref(), company, &keys).await;
        return Err(ApiError::Internal(anyhow::anyhow!(
            "writing the screenshot failed: {error}"
        )));
    }
    let inserted = async {
        let mut conn = db::conn(&state.pool).await?;
        conn.transaction::<_, ApiError, _>(async |conn| {
            let inserted = rows::insert(conn, &row).await?;
            if inserted {
                rows::unqueue_deletions(conn, company, &keys).await?;
            }
            Ok(inserted)
        })
        .await
    };
    match inserted.await {
        Ok(true) => Ok(HttpResponse::Created().json(row.view(false))),
        // The same upload arrived twice at once and the other one won.
        Ok(false) => {
            storage::forget(&state.pool, state.store.as_ref(), company, &keys).await;
            let mut conn = db::conn(&state.pool).await?;
            let existing = rows::by_client_id(&mut conn, company, device.agent_id, upload.id)
                .await?
                .ok_or(ApiError::NotFound)?;
            Ok(HttpResponse::Ok().json(existing.view(false)))
        }
        Err(error) => {
            storage::forget(&state.pool, state.store.as_ref(), company, &keys).await;
            Err(error)
        }
    }
}

/// The request body as sent (images are compressed already: no `Content-Encoding` is
/// taken), at most [`MAX_SCREENSHOT_BYTES`] counted while it streams in.
async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    declared_length: Option<usize>,
) -> Result<web::Bytes, ApiError> {
    Encoding::of(req, false)?;
    read_raw_sized(
        payload.into_inner(),
        MAX_SCREENSHOT_BYTES,
        declared_length.unwrap_or(0),
    )
    .await
}

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
    let mut conn = db::conn(&state.pool).await?;
    let subject = Reachable::activity_subject(&mut conn, &principal, query.user_id).await?;
    let subject_id = UserId(subject.id);
    let deletable = deletion_refused(&mut conn, &principal, &subject)
        .await?
        .is_none();
    let found = rows::list(
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
            id: row.id,
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
    let mut conn = db::conn(&state.pool).await?;
    let (shot, _) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    let bytes = fetch(&state, &shot.original_key).await?;
    if shot.user_id != principal.user_id().0 {
        rows::record_view(&mut conn, &shot, principal.user_id(), state.clock.now()).await?;
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
    let mut conn = db::conn(&state.pool).await?;
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
    let mut conn = db::conn(&state.pool).await?;
    let (shot, subject) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    if let Some(why) = deletion_refused(&mut conn, &principal, &subject).await? {
        return Err(ApiError::Forbidden(why));
    }
    let actor = principal.actor().clone();
    let deleted = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let Some(deleted) = rows::delete(conn, company, *id).await? else {
                return Ok(None);
            };
            let change = Change {
                action: AuditAction::ScreenshotDeleted,
                target_kind: "screenshot",
                target_id: Some(deleted.id),
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
        storage::forget(&state.pool, state.store.as_ref(), company, &keys).await;
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
    let mut conn = db::conn(&state.pool).await?;
    let (shot, _) = screenshot_within_reach(&mut conn, &principal, *id).await?;
    match principal.require(Action::ReadScreenshotViews)? {
        Reach::Company => {}
        _ if shot.user_id == principal.user_id().0 => {}
        _ => {
            return Err(ApiError::Forbidden(
                "Only its subject, owners and admins see who opened a screenshot.",
            ));
        }
    }
    let found = rows::views_of(&mut conn, principal.company_id(), *id).await?;
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
    let mut conn = db::conn(&state.pool).await?;
    let found = rows::views_of_subject(
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
    let shot = rows::find(conn, principal.company_id(), id).await?;
    let subject = Reachable::activity_subject(conn, principal, Some(UserId(shot.user_id))).await?;
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
        Reach::Own | Reach::Teams if subject.id != principal.user_id().0 => {
            Some("You may delete only your own screenshots.")
        }
        Reach::Own | Reach::Teams => {
            let effective = policies::effective(
                conn,
                CompanyId(subject.company_id),
                UserId(subject.id),
                subject.team_id,
            )
            .await?;
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
