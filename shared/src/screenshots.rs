//! Screenshots: what agents upload, what people see, and who looked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::{AgentId, ScreenshotId, UserId};
use crate::people::Role;

/// Largest upload accepted, in bytes.
pub const MAX_SCREENSHOT_BYTES: usize = 8 * 1024 * 1024;
/// Largest image accepted, in pixels (width × height): about two 4K monitors side by
/// side. Anything larger is refused before it is decoded.
pub const MAX_SCREENSHOT_PIXELS: u64 = 2 * 3840 * 2160;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The highest monitor index an agent may name.
pub const MAX_MONITOR: u32 = 15;

/// The image formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        }
    }
}

/// `POST /api/v1/agent/screenshots?…`: the query of an upload whose body is the image
/// itself (`Content-Type: image/png`, `image/jpeg` or `image/webp`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ScreenshotUpload {
    /// Made by the agent; uploading the same id again stores nothing new.
    pub id: Uuid,
    pub captured_at: DateTime<Utc>,
    /// Which monitor, 0 to 15.
    pub monitor: u32,
}

/// A screenshot's metadata. The image and its thumbnail are fetched separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Screenshot {
    pub id: ScreenshotId,
    pub agent_id: AgentId,
    pub user_id: UserId,
    pub captured_at: DateTime<Utc>,
    pub monitor: i32,
    pub format: ImageFormat,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    /// Blurred on upload because the policy said so.
    pub blurred: bool,
    pub uploaded_at: DateTime<Utc>,
    /// Whether the caller may delete it.
    pub deletable: bool,
}

/// `GET /api/v1/screenshots`: one employee's screenshots in `[from, to)`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ScreenshotQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Absent: the caller.
    pub user_id: Option<UserId>,
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Someone other than its subject opened a screenshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenshotView {
    pub screenshot_id: ScreenshotId,
    pub viewer_id: UserId,
    pub viewer_name: String,
    pub viewer_role: Role,
    pub viewed_at: DateTime<Utc>,
}
