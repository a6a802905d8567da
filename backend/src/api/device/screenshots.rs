//! `POST /api/v1/agent/screenshots`: an agent uploads one screenshot.
//!
//! An upload is checked before anything is decoded: the media type, the size while the
//! body streams in, the magic bytes, and the pixel count from the header (so a small
//! file that claims a huge image is refused unread). Decoding, blurring and the
//! thumbnail then run on the blocking pool, a bounded number at a time. The objects are
//! written first (queued for deletion an hour ahead, in case this process dies) and the
//! metadata inserted after, unqueueing them in the same transaction.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, post, web};
use chrono::Duration;
use diesel_async::AsyncConnection;
use pulse_shared::ids::ScreenshotId;
use pulse_shared::policies::ScreenshotMode;
use pulse_shared::screenshots::{MAX_MONITOR, MAX_SCREENSHOT_BYTES, Screenshot, ScreenshotUpload};

use crate::api::extract::read_unencoded;
use crate::api::screenshots::ImageBytes;
use crate::auth::device::Device;
use crate::db::policies;
use crate::db::screenshots::{self, ScreenshotRow};
use crate::domain::images::{self, Refusal};
use crate::errors::ApiError;
use crate::state::AppState;
use crate::storage;

/// How far ahead of the server's clock a capture time may be.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old a screenshot may be when it arrives (an agent spools while offline).
const MAX_AGE: Duration = Duration::days(30);
/// An upload's objects are queued for deletion this far ahead until its metadata is in.
const UPLOAD_GRACE: Duration = Duration::hours(1);
/// Screenshots of one monitor an agent may have stored within half an interval of a new
/// one's capture time (either side): the policy's pace (jitter may bring two close)
/// with slack for a restart; a flood beyond it is refused.
const MAX_PER_INTERVAL: i64 = 3;
/// How long an upload waits for a slot to bring its body into memory.
const UPLOAD_SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

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
    let mut conn = state.db.tenant(company).await?;
    if let Some(existing) =
        screenshots::by_client_id(&mut conn, company, device.agent_id, upload.id).await?
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
    let near = screenshots::captured_near(
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
    if screenshots::stored_bytes(&mut conn, company).await? >= state.screenshot_quota_bytes {
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
    // Images are compressed already: no `Content-Encoding` is taken.
    let body = read_unencoded(
        &req,
        payload.into_inner(),
        MAX_SCREENSHOT_BYTES,
        declared_length,
    )
    .await?;

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
        company_id: company,
        id,
        agent_id: device.agent_id,
        user_id: device.user_id,
        client_id: upload.id,
        captured_at: upload.captured_at,
        monitor: i32::try_from(upload.monitor).unwrap_or(0),
        format: screenshots::format_name(header.format).to_owned(),
        width: i32::try_from(header.width).unwrap_or(i32::MAX),
        height: i32::try_from(header.height).unwrap_or(i32::MAX),
        bytes: i64::try_from(original.len()).unwrap_or(i64::MAX),
        blurred: blur,
        original_key,
        thumbnail_key,
        uploaded_at: now,
    };

    let mut conn = state.db.tenant(company).await?;
    screenshots::queue_deletions(&mut conn, company, &keys, now + UPLOAD_GRACE).await?;
    drop(conn);
    let written = async {
        storage::put(state.store.as_ref(), &row.original_key, original).await?;
        storage::put(state.store.as_ref(), &row.thumbnail_key, rendered.thumbnail).await
    };
    if let Err(error) = written.await {
        storage::forget(&state.db, state.store.as_ref(), company, &keys).await;
        return Err(ApiError::Internal(anyhow::anyhow!(
            "writing the screenshot failed: {error}"
        )));
    }
    let inserted = async {
        let mut conn = state.db.tenant(company).await?;
        conn.transaction::<_, ApiError, _>(async |conn| {
            let inserted = screenshots::insert(conn, &row).await?;
            if inserted {
                screenshots::unqueue_deletions(conn, company, &keys).await?;
            }
            Ok(inserted)
        })
        .await
    };
    match inserted.await {
        Ok(true) => Ok(HttpResponse::Created().json(row.view(false))),
        // The same upload arrived twice at once and the other one won.
        Ok(false) => {
            storage::forget(&state.db, state.store.as_ref(), company, &keys).await;
            let mut conn = state.db.tenant(company).await?;
            let existing =
                screenshots::by_client_id(&mut conn, company, device.agent_id, upload.id)
                    .await?
                    .ok_or(ApiError::NotFound)?;
            Ok(HttpResponse::Ok().json(existing.view(false)))
        }
        Err(error) => {
            storage::forget(&state.db, state.store.as_ref(), company, &keys).await;
            Err(error)
        }
    }
}
