//! `/audit-events…`: the audit trail, filtered and paged, as CSV, and its hash chain.

use gloo_net::http::Method;
use pulse_shared::Page;
use pulse_shared::audit::{AuditEvent, AuditQuery, AuditVerifyQuery, AuditVerifyResponse};

use super::ApiError;
use super::client::{call, get_text, not_blank, with_query};
use crate::session::Session;

/// The filters as sent: blank texts left out.
fn sent(filter: &AuditQuery) -> AuditQuery {
    AuditQuery {
        action: not_blank(&filter.action),
        target_kind: not_blank(&filter.target_kind),
        ..filter.clone()
    }
}

/// `GET /api/v1/audit-events` with filters and a cursor.
pub async fn audit_events(
    session: Session,
    filter: &AuditQuery,
) -> Result<Page<AuditEvent>, ApiError> {
    let url = with_query("/api/v1/audit-events", &sent(filter))?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/audit-events.csv` with the same filters: the CSV text.
pub async fn audit_csv(session: Session, filter: &AuditQuery) -> Result<String, ApiError> {
    let filter = AuditQuery {
        cursor: None,
        limit: None,
        ..sent(filter)
    };
    let url = with_query("/api/v1/audit-events.csv", &filter)?;
    get_text(session, &url).await
}

/// `GET /api/v1/audit-events/verify`, called again with each `next_cursor` until the
/// walk is complete or finds a broken link: whether the whole hash chain holds, with
/// every event checked counted.
pub async fn audit_verify(session: Session) -> Result<AuditVerifyResponse, ApiError> {
    let mut checked = 0;
    let mut query = AuditVerifyQuery::default();
    loop {
        let url = with_query("/api/v1/audit-events/verify", &query)?;
        let answer: AuditVerifyResponse = call(session, Method::GET, &url, None).await?;
        checked += answer.checked;
        match answer.next_cursor {
            Some(cursor) if answer.valid => query.cursor = Some(cursor),
            _ => return Ok(AuditVerifyResponse { checked, ..answer }),
        }
    }
}
