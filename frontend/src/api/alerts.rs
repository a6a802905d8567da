//! `/alerts…` and `/me/alert-preferences`: the signed-in person's alerts, marking them
//! read, the live stream and its tickets, and which kinds reach them how.

use gloo_net::http::Method;
use pulse_shared::Page;
use pulse_shared::alerts::{
    Alert, AlertPreferences, AlertQuery, MarkedRead, StreamTicket, UnreadCount,
};
use pulse_shared::ids::AlertId;

use super::ApiError;
use super::client::{call, call_empty, json, with_query};
use crate::session::Session;

/// `GET /api/v1/alerts` with filters and a cursor: newest first.
pub async fn alerts(session: Session, filter: &AlertQuery) -> Result<Page<Alert>, ApiError> {
    let url = with_query("/api/v1/alerts", filter)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/alerts/unread-count`.
pub async fn unread_alerts(session: Session) -> Result<UnreadCount, ApiError> {
    call(session, Method::GET, "/api/v1/alerts/unread-count", None).await
}

/// `PUT /api/v1/alerts/{id}/read` (read) or `DELETE` on it (unread again).
pub async fn mark_alert(session: Session, id: AlertId, read: bool) -> Result<(), ApiError> {
    let path = format!("/api/v1/alerts/{id}/read");
    let method = if read { Method::PUT } else { Method::DELETE };
    call_empty(session, method, &path, None).await
}

/// `POST /api/v1/alerts/read-all`: says how many alerts were unread.
pub async fn mark_all_alerts_read(session: Session) -> Result<MarkedRead, ApiError> {
    call(session, Method::POST, "/api/v1/alerts/read-all", None).await
}

/// `POST /api/v1/alerts/test`: raises a test alert for the signed-in person.
pub async fn send_test_alert(session: Session) -> Result<(), ApiError> {
    call_empty(session, Method::POST, "/api/v1/alerts/test", None).await
}

/// `POST /api/v1/alerts/stream-tickets`: a single-use ticket for [`open_alert_stream`].
pub async fn alert_stream_ticket(session: Session) -> Result<StreamTicket, ApiError> {
    call(session, Method::POST, "/api/v1/alerts/stream-tickets", None).await
}

/// Opens `GET /api/v1/alerts/stream` as an `EventSource`. With `after`, the server first
/// sends the alerts whose `seq` is greater (or a `resync` when it cannot).
///
/// Rationale: an `EventSource` cannot send an `Authorization` header, hence the ticket.
pub fn open_alert_stream(
    ticket: &str,
    after: Option<i64>,
) -> Result<web_sys::EventSource, ApiError> {
    let mut url = format!(
        "/api/v1/alerts/stream?ticket={}",
        js_sys::encode_uri_component(ticket)
    );
    if let Some(seq) = after {
        url.push_str(&format!("&last_event_id={seq}"));
    }
    web_sys::EventSource::new(&url).map_err(|error| {
        ApiError::Network(
            error
                .as_string()
                .unwrap_or_else(|| "the browser refused to open the stream".to_owned()),
        )
    })
}

/// `GET /api/v1/me/alert-preferences`: one entry per kind.
pub async fn alert_preferences(session: Session) -> Result<AlertPreferences, ApiError> {
    call(session, Method::GET, "/api/v1/me/alert-preferences", None).await
}

/// `PUT /api/v1/me/alert-preferences`: answers with every kind's preference.
pub async fn save_alert_preferences(
    session: Session,
    preferences: &AlertPreferences,
) -> Result<AlertPreferences, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/me/alert-preferences",
        json(preferences)?,
    )
    .await
}
