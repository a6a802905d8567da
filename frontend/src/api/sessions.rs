//! `/sessions…`: one person's work sessions over a range, and the team's totals.

use chrono::{DateTime, Utc};
use gloo_net::http::Method;
use pulse_shared::activity::{SessionQuery, SessionSummary, WorkSession};
use pulse_shared::ids::{TeamId, UserId};

use super::ApiError;
use super::client::{call, with_query};
use crate::session::Session;

/// `GET /api/v1/sessions?from&to&user_id`: one person's work sessions overlapping the
/// range (the caller's own without `user`).
pub async fn work_sessions(
    session: Session,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    user: Option<UserId>,
) -> Result<Vec<WorkSession>, ApiError> {
    let query = SessionQuery {
        from,
        to,
        user_id: user,
        team_id: None,
    };
    let url = with_query("/api/v1/sessions", &query)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/sessions/summary?from&to&team_id`: each person's totals over the range.
pub async fn session_summary(
    session: Session,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    team: Option<TeamId>,
) -> Result<Vec<SessionSummary>, ApiError> {
    let query = SessionQuery {
        from,
        to,
        user_id: None,
        team_id: team,
    };
    let url = with_query("/api/v1/sessions/summary", &query)?;
    call(session, Method::GET, &url, None).await
}
