//! `/api/v1/activity`: the events one employee's agents reported, as stored.

use actix_web::{get, web};
use pulse_shared::Page;
use pulse_shared::activity::{ActivityQuery, ActivityRecord};

use super::paging;
use super::reach::Reachable;
use super::sessions::check_range;
use crate::auth::principal::Principal;
use crate::db::activity::{self, EventCursor};
use crate::errors::ApiError;
use crate::state::AppState;

/// One employee's events starting in `[from, to)`, oldest first: the caller's own unless
/// `user_id` names someone within their reach.
#[utoipa::path(
    tag = "activity",
    security(("bearer" = [])),
    params(ActivityQuery),
    responses((status = OK, body = Page<ActivityRecord>), (status = NOT_FOUND, body = pulse_shared::Problem), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/activity")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
) -> Result<web::Json<Page<ActivityRecord>>, ApiError> {
    check_range(query.from, query.to)?;
    let limit = paging::page_size(query.limit)?;
    let cursor = paging::cursor::<EventCursor>(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let person = Reachable::activity_subject(&mut conn, &principal, query.user_id).await?;
    let rows = activity::events(
        &mut conn,
        principal.company_id(),
        person.id,
        (query.from, query.to),
        cursor,
        limit + 1,
    )
    .await?;
    Ok(web::Json(paging::page(rows, limit, |row| {
        EventCursor {
            started_at: row.started_at,
            id: row.id,
        }
        .to_string()
    })))
}
