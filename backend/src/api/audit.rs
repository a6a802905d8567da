//! `/api/v1/audit-events`: the audit trail, its CSV export, and chain verification.

use actix_web::{HttpResponse, get, web};
use pulse_shared::Page;
use pulse_shared::audit::{AuditEvent, AuditQuery, AuditVerifyResponse};
use pulse_shared::ids::AuditEventId;

use super::{csv, paging};
use crate::auth::principal::Principal;
use crate::db;
use crate::db::audit::{self, AuditFilter};
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// The most rows one CSV export holds.
const CSV_MAX_ROWS: i64 = 100_000;

fn filter(query: &AuditQuery) -> Result<(AuditFilter, i64), ApiError> {
    let limit = paging::page_size(query.limit)?;
    let before_seq = paging::cursor(query.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(ApiError::field(
            "to",
            "before_from",
            "The end of the range must be after its start.",
        ));
    }
    for (name, value) in [
        ("action", &query.action),
        ("target_kind", &query.target_kind),
    ] {
        if value.as_ref().is_some_and(|v| v.len() > 80) {
            return Err(ApiError::field(name, "too_long", "At most 80 characters."));
        }
    }
    Ok((
        AuditFilter {
            actor_id: query.actor_id,
            action: query.action.clone().filter(|v| !v.is_empty()),
            target_kind: query.target_kind.clone().filter(|v| !v.is_empty()),
            target_id: query.target_id,
            from: query.from,
            to: query.to,
            before_seq,
        },
        limit,
    ))
}

/// The company's audit events, newest first, filtered.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses((status = OK, body = Page<AuditEvent>), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/audit-events")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEvent>>, ApiError> {
    principal.require(Action::ReadAudit)?;
    let (filter, limit) = filter(&query)?;
    let mut conn = db::conn(&state.pool).await?;
    let rows = audit::list(&mut conn, principal.company_id(), &filter, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.seq.to_string()
    })))
}

/// The same filter as a CSV file (at most 100,000 rows, newest first).
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses((status = OK, content_type = "text/csv", body = String), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/audit-events.csv")]
pub async fn export_csv(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ReadAudit)?;
    let (mut filter, _) = filter(&query)?;
    let mut conn = db::conn(&state.pool).await?;
    let mut csv = String::from(
        "seq,occurred_at,actor_kind,actor_id,action,target_kind,target_id,summary,ip,user_agent\n",
    );
    let mut written = 0;
    while written < CSV_MAX_ROWS {
        let rows = audit::list(&mut conn, principal.company_id(), &filter, 1000).await?;
        let Some(last) = rows.last() else { break };
        filter.before_seq = Some(last.seq);
        for row in rows {
            let event = AuditEvent::from(row);
            let fields = [
                event.seq.to_string(),
                event.occurred_at.to_rfc3339(),
                event.actor_kind.as_str().to_owned(),
                event.actor_id.map(|id| id.to_string()).unwrap_or_default(),
                event.action,
                event.target_kind,
                event.target_id.map(|id| id.to_string()).unwrap_or_default(),
                event.summary.to_string(),
                event.ip.unwrap_or_default(),
                event.user_agent.unwrap_or_default(),
            ];
            csv::push_line(&mut csv, &fields);
            written += 1;
        }
    }
    Ok(csv::attachment("audit-events.csv", csv))
}

/// Re-walks the company's hash chain and reports the first broken link.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    responses((status = OK, body = AuditVerifyResponse), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/audit-events/verify")]
pub async fn verify(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<AuditVerifyResponse>, ApiError> {
    principal.require(Action::ReadAudit)?;
    let mut conn = db::conn(&state.pool).await?;
    let verification = audit::verify(&mut conn, principal.company_id()).await?;
    Ok(web::Json(AuditVerifyResponse {
        valid: verification.first_broken.is_none(),
        checked: verification.checked,
        first_broken_seq: verification.first_broken.map(|(seq, _)| seq),
        first_broken_id: verification.first_broken.map(|(_, id)| AuditEventId(id)),
    }))
}
