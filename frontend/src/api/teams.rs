//! `/teams…`: the teams, and creating, renaming and deleting one.

use gloo_net::http::Method;
use pulse_shared::ids::TeamId;
use pulse_shared::teams::{CreateTeamRequest, DeleteTeamQuery, Team, UpdateTeamRequest};

use super::ApiError;
use super::client::{all_pages, call, call_empty, json, with_query};
use crate::session::Session;

/// `GET /api/v1/teams`: every team the person may see (every page).
pub async fn teams(session: Session) -> Result<Vec<Team>, ApiError> {
    all_pages(session, "/api/v1/teams").await
}

/// `POST /api/v1/teams`.
pub async fn create_team(session: Session, request: &CreateTeamRequest) -> Result<Team, ApiError> {
    call(session, Method::POST, "/api/v1/teams", json(request)?).await
}

/// `PATCH /api/v1/teams/{id}`.
pub async fn update_team(
    session: Session,
    id: TeamId,
    request: &UpdateTeamRequest,
) -> Result<Team, ApiError> {
    let path = format!("/api/v1/teams/{id}");
    call(session, Method::PATCH, &path, json(request)?).await
}

/// `DELETE /api/v1/teams/{id}?move_to=`: its people go to `move_to`.
pub async fn delete_team(
    session: Session,
    id: TeamId,
    move_to: Option<TeamId>,
) -> Result<(), ApiError> {
    let url = with_query(&format!("/api/v1/teams/{id}"), &DeleteTeamQuery { move_to })?;
    call_empty(session, Method::DELETE, &url, None).await
}
