//! `/webhooks…`: the company's endpoints, their deliveries, test events and replays.

use gloo_net::http::Method;
use pulse_shared::ids::{WebhookDeliveryId, WebhookEndpointId};
use pulse_shared::webhooks::{
    CreateWebhookRequest, UpdateWebhookRequest, WebhookCreatedResponse, WebhookDelivery,
    WebhookDeliveryDetail, WebhookEndpoint,
};
use pulse_shared::{Page, PageQuery};

use super::ApiError;
use super::client::{all_pages, call, call_empty, json, with_query};
use crate::session::Session;

/// `GET /api/v1/webhooks`: every endpoint of the company (every page).
pub async fn webhooks(session: Session) -> Result<Vec<WebhookEndpoint>, ApiError> {
    all_pages(session, "/api/v1/webhooks").await
}

/// `POST /api/v1/webhooks`: the answer holds the signing secret, shown this once.
pub async fn create_webhook(
    session: Session,
    request: &CreateWebhookRequest,
) -> Result<WebhookCreatedResponse, ApiError> {
    call(session, Method::POST, "/api/v1/webhooks", json(request)?).await
}

/// `PATCH /api/v1/webhooks/{id}`: changes the fields present, e.g. `enabled`.
pub async fn update_webhook(
    session: Session,
    id: WebhookEndpointId,
    request: &UpdateWebhookRequest,
) -> Result<WebhookEndpoint, ApiError> {
    let path = format!("/api/v1/webhooks/{id}");
    call(session, Method::PATCH, &path, json(request)?).await
}

/// `DELETE /api/v1/webhooks/{id}`.
pub async fn delete_webhook(session: Session, id: WebhookEndpointId) -> Result<(), ApiError> {
    let path = format!("/api/v1/webhooks/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}

/// `POST /api/v1/webhooks/{id}/test`: queues a `webhook.test` event for the endpoint.
pub async fn test_webhook(
    session: Session,
    id: WebhookEndpointId,
) -> Result<WebhookDelivery, ApiError> {
    let path = format!("/api/v1/webhooks/{id}/test");
    call(session, Method::POST, &path, None).await
}

/// `GET /api/v1/webhooks/{id}/deliveries` with a cursor: newest first.
pub async fn webhook_deliveries(
    session: Session,
    id: WebhookEndpointId,
    page: &PageQuery,
) -> Result<Page<WebhookDelivery>, ApiError> {
    let url = with_query(&format!("/api/v1/webhooks/{id}/deliveries"), page)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/webhooks/deliveries/{id}`: the delivery, its attempts and the body sent.
pub async fn webhook_delivery(
    session: Session,
    id: WebhookDeliveryId,
) -> Result<WebhookDeliveryDetail, ApiError> {
    let path = format!("/api/v1/webhooks/deliveries/{id}");
    call(session, Method::GET, &path, None).await
}

/// `POST /api/v1/webhooks/deliveries/{id}/replay`: sends the same event again, as a new
/// delivery.
pub async fn replay_webhook_delivery(
    session: Session,
    id: WebhookDeliveryId,
) -> Result<WebhookDelivery, ApiError> {
    let path = format!("/api/v1/webhooks/deliveries/{id}/replay");
    call(session, Method::POST, &path, None).await
}
