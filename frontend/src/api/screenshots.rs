//! `/screenshots…` and `/me/screenshot-views`: a person's screenshots, their pictures
//! (fetched with the token and shown through `blob:` URLs), deletion, and who opened
//! them.

use gloo_net::http::Method;
use pulse_shared::ids::ScreenshotId;
use pulse_shared::screenshots::{Screenshot, ScreenshotQuery, ScreenshotView};
use pulse_shared::{Page, PageQuery};

use super::ApiError;
use super::client::{call, call_empty, get_blob, with_query};
use crate::session::Session;

/// `GET /api/v1/screenshots?from&to&user_id` with a cursor: newest first.
pub async fn screenshots(
    session: Session,
    filter: &ScreenshotQuery,
) -> Result<Page<Screenshot>, ApiError> {
    let url = with_query("/api/v1/screenshots", filter)?;
    call(session, Method::GET, &url, None).await
}

/// Which picture of a screenshot to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Thumbnail,
    Image,
}

/// A `blob:` URL of a picture held in the browser's memory; revoked (the memory freed)
/// when the last handle to it is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct ObjectUrl(String);

impl ObjectUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// `GET /api/v1/screenshots/{id}/thumbnail` or `…/image`, as a `blob:` URL the page can
/// show.
///
/// Rationale: the pictures need the `Authorization` header, which an `<img src>` cannot
/// send; the bytes stay in the browser's memory, never in a cache or a URL with a token.
pub async fn screenshot_picture(
    session: Session,
    id: ScreenshotId,
    picture: Picture,
) -> Result<ObjectUrl, ApiError> {
    let path = match picture {
        Picture::Thumbnail => format!("/api/v1/screenshots/{id}/thumbnail"),
        Picture::Image => format!("/api/v1/screenshots/{id}/image"),
    };
    let blob = get_blob(session, &path).await?;
    web_sys::Url::create_object_url_with_blob(&blob)
        .map(ObjectUrl)
        .map_err(|_| ApiError::Decode("the browser refused to show the picture".to_owned()))
}

/// `DELETE /api/v1/screenshots/{id}`.
pub async fn delete_screenshot(session: Session, id: ScreenshotId) -> Result<(), ApiError> {
    let path = format!("/api/v1/screenshots/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}

/// `GET /api/v1/screenshots/{id}/views`: who else opened it, newest first.
pub async fn screenshot_views(
    session: Session,
    id: ScreenshotId,
) -> Result<Vec<ScreenshotView>, ApiError> {
    let path = format!("/api/v1/screenshots/{id}/views");
    call(session, Method::GET, &path, None).await
}

/// `GET /api/v1/me/screenshot-views` with a cursor: who opened the signed-in person's
/// screenshots, newest first.
pub async fn my_screenshot_views(
    session: Session,
    page: &PageQuery,
) -> Result<Page<ScreenshotView>, ApiError> {
    let url = with_query("/api/v1/me/screenshot-views", page)?;
    call(session, Method::GET, &url, None).await
}
