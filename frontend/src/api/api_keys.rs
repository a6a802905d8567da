//! `/api-keys…`: the company's API keys, creating and revoking one.

use gloo_net::http::Method;
use pulse_shared::api_keys::{ApiKey, ApiKeyCreatedResponse, CreateApiKeyRequest};
use pulse_shared::ids::ApiKeyId;

use super::ApiError;
use super::client::{all_pages, call, call_empty, json};
use crate::session::Session;

/// `GET /api/v1/api-keys`: every key, revoked ones included (every page).
pub async fn api_keys(session: Session) -> Result<Vec<ApiKey>, ApiError> {
    all_pages(session, "/api/v1/api-keys").await
}

/// `POST /api/v1/api-keys`: the answer holds the secret, shown this once.
pub async fn create_api_key(
    session: Session,
    request: &CreateApiKeyRequest,
) -> Result<ApiKeyCreatedResponse, ApiError> {
    call(session, Method::POST, "/api/v1/api-keys", json(request)?).await
}

/// `DELETE /api/v1/api-keys/{id}`: revokes the key (it stays listed).
pub async fn revoke_api_key(session: Session, id: ApiKeyId) -> Result<(), ApiError> {
    let path = format!("/api/v1/api-keys/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}
