//! `/api/v1/audit-events`: the audit trail, its CSV export, and chain verification.

use actix_web::{HttpResponse, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pulse_shared::Page;
use pulse_shared::audit::{
    AuditEvent, AuditQuery, AuditVerifyQuery, AuditVerifyResponse, MAX_VERIFY_EVENTS,
};
use pulse_shared::ids::{AuditEventId, CompanyId};

use super::{csv, paging};
use crate::auth::principal::Principal;
use crate::db;
use crate::db::audit::{self, AuditFilter, ChainPoint, Step};
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
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = audit::list(&mut conn, principal.company_id(), &filter, limit + 1).await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        row.seq.to_string()
    })))
}

/// The same filter as a CSV file (at most 100,000 rows, newest first), streamed: each
/// page of rows is read on a connection taken for that query alone, so a slow download
/// holds none, and no more than a page is in memory at once.
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
    let (filter, _) = filter(&query)?;
    let mut export = CsvExport {
        db: state.db.clone(),
        company: principal.company_id(),
        filter,
        left: CSV_MAX_ROWS,
        header: true,
    };
    // The first page is read before the answer starts, so a database that cannot
    // serve it answers 503 rather than a file cut short.
    let first = export.next_page().await?;
    let pages =
        futures_util::stream::try_unfold((export, Some(first)), |(mut export, first)| async move {
            let page = match first {
                Some(page) => page,
                None => export.next_page().await.inspect_err(|error| {
                    // The status is sent: the file ends short, which the client sees
                    // as a failed download.
                    tracing::warn!(%error, "audit export stopped");
                })?,
            };
            Ok::<_, ApiError>(page.map(|page| (page, (export, None))))
        });
    Ok(csv::streamed_attachment("audit-events.csv", pages))
}

/// Rows read from the trail per query of the CSV export.
const CSV_PAGE: i64 = 1000;

/// Where the CSV export stands: what is left to read, and from where.
struct CsvExport {
    db: db::Db,
    company: CompanyId,
    /// The viewer's filter, its cursor moved past each page read.
    filter: AuditFilter,
    left: i64,
    /// Whether the header line is still to be sent.
    header: bool,
}

impl CsvExport {
    /// The next page as CSV lines, the header before the first; `None` once done.
    async fn next_page(&mut self) -> Result<Option<web::Bytes>, ApiError> {
        let mut csv = String::new();
        if std::mem::take(&mut self.header) {
            csv.push_str(
                "seq,occurred_at,actor_kind,actor_id,action,target_kind,target_id,summary,ip,user_agent\n",
            );
        }
        let wanted = CSV_PAGE.min(self.left);
        let rows = if wanted > 0 {
            let mut conn = self.db.tenant(self.company).await?;
            audit::list(&mut conn, self.company, &self.filter, wanted).await?
        } else {
            Vec::new()
        };
        // A short page is the last: append-only, the trail below the cursor never grows.
        self.left = if (rows.len() as i64) < wanted {
            0
        } else {
            self.left - wanted
        };
        if let Some(last) = rows.last() {
            self.filter.before_seq = Some(last.seq);
        }
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
        }
        Ok((!csv.is_empty()).then(|| web::Bytes::from(csv)))
    }
}

/// Re-walks the company's hash chain, from its first event or from `cursor`, for at
/// most `limit` events (50,000 by default and at most), and reports the first broken
/// link. A longer chain answers `next_cursor`: call again with it to go on. Each page
/// of a thousand events is read on a connection taken for that query alone.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditVerifyQuery),
    responses((status = OK, body = AuditVerifyResponse), (status = FORBIDDEN, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/audit-events/verify")]
pub async fn verify(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AuditVerifyQuery>,
) -> Result<web::Json<AuditVerifyResponse>, ApiError> {
    const PAGE: i64 = 1000;
    principal.require(Action::ReadAudit)?;
    let limit = query.limit.unwrap_or(MAX_VERIFY_EVENTS);
    if !(1..=MAX_VERIFY_EVENTS).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "out_of_range",
            format!("Check from 1 to {MAX_VERIFY_EVENTS} events at a time."),
        ));
    }
    let mut point = match query.cursor.as_deref() {
        Some(cursor) => chain_point(cursor)?,
        None => ChainPoint::start(),
    };
    let mut left = i64::from(limit);
    let mut checked = 0;
    let step = loop {
        let mut conn = state.db.tenant(principal.company_id()).await?;
        let (page_checked, step) =
            audit::verify_page(&mut conn, principal.company_id(), &point, PAGE.min(left)).await?;
        checked += page_checked;
        left -= page_checked;
        match step {
            Step::Continue(next) if left > 0 => point = next,
            step => break step,
        }
    };
    let (first_broken, next_cursor) = match step {
        Step::Continue(next) => (None, Some(cursor_of(&next))),
        Step::Broken(seq, id) => (Some((seq, AuditEventId(id))), None),
        Step::End => (None, None),
    };
    Ok(web::Json(AuditVerifyResponse {
        valid: first_broken.is_none(),
        checked,
        first_broken_seq: first_broken.map(|(seq, _)| seq),
        first_broken_id: first_broken.map(|(_, id)| id),
        next_cursor,
    }))
}

/// A verification cursor: the last event proven and its hash, `{seq}.{base64url}`.
fn cursor_of(point: &ChainPoint) -> String {
    format!("{}.{}", point.seq, URL_SAFE_NO_PAD.encode(&point.hash))
}

fn chain_point(cursor: &str) -> Result<ChainPoint, ApiError> {
    cursor
        .split_once('.')
        .and_then(|(seq, hash)| {
            let seq = seq.parse::<i64>().ok().filter(|seq| *seq > 0)?;
            let hash = URL_SAFE_NO_PAD
                .decode(hash)
                .ok()
                .filter(|hash| hash.len() == 32)?;
            Some(ChainPoint { seq, hash })
        })
        .ok_or_else(|| {
            ApiError::field(
                "cursor",
                "invalid",
                "This cursor is not one the API gave out.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_cursors_read_back_and_strangers_are_refused() {
        let point = ChainPoint {
            seq: 1234,
            hash: (0..32).collect(),
        };
        assert_eq!(chain_point(&cursor_of(&point)).ok(), Some(point));
        for stranger in ["", "12", "0.AAAA", "x.AAAA", "5.AAAA", "5.!!"] {
            assert!(chain_point(stranger).is_err(), "{stranger}");
        }
    }
}
