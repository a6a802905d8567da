//! `/me/export`, `/people/{id}/export`, `/exports/{id}…`: exports of a person's data,
//! built on the server in the background, and their ZIP archives.

use gloo_net::http::Method;
use pulse_shared::ids::{DataExportId, UserId};
use pulse_shared::privacy::{DataExport, DataExportListResponse};

use super::ApiError;
use super::client::{call, get_blob};
use crate::session::Session;

/// The path of a person's exports: the caller's own (`None`) or someone's.
fn exports_path(person: Option<UserId>) -> String {
    match person {
        None => "/api/v1/me/export".to_owned(),
        Some(id) => format!("/api/v1/people/{id}/export"),
    }
}

/// `POST /api/v1/me/export` or `/people/{id}/export`: asks for a new export.
pub async fn request_export(
    session: Session,
    person: Option<UserId>,
) -> Result<DataExport, ApiError> {
    call(session, Method::POST, &exports_path(person), None).await
}

/// `GET /api/v1/me/export` or `/people/{id}/export`: the exports not yet expired,
/// newest first.
pub async fn data_exports(
    session: Session,
    person: Option<UserId>,
) -> Result<Vec<DataExport>, ApiError> {
    let list: DataExportListResponse =
        call(session, Method::GET, &exports_path(person), None).await?;
    Ok(list.items)
}

/// `GET /api/v1/exports/{id}/download`: the ZIP archive.
pub async fn download_export(
    session: Session,
    id: DataExportId,
) -> Result<web_sys::Blob, ApiError> {
    get_blob(session, &format!("/api/v1/exports/{id}/download")).await
}
