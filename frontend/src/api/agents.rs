//! `/agents…` and `/enrollment-tokens…`: the agents admins see and revoke, and the
//! tokens that enroll new computers.

use gloo_net::http::Method;
use pulse_shared::Page;
use pulse_shared::agents::{
    Agent, AgentCounts, AgentQuery, CreateEnrollmentTokenRequest, EnrollmentToken,
    EnrollmentTokenCreated,
};
use pulse_shared::ids::{AgentId, EnrollmentTokenId};

use super::ApiError;
use super::client::{all_pages, call, call_empty, json, not_blank, with_query};
use crate::session::Session;

/// `GET /api/v1/agents`: one page of the agents the person may see, newest first, filtered.
pub async fn agents(session: Session, filter: &AgentQuery) -> Result<Page<Agent>, ApiError> {
    let filter = AgentQuery {
        q: not_blank(&filter.q),
        ..filter.clone()
    };
    let url = with_query("/api/v1/agents", &filter)?;
    call(session, Method::GET, &url, None).await
}

/// `GET /api/v1/agents/counts`: the agents within reach per status.
pub async fn agent_counts(session: Session) -> Result<AgentCounts, ApiError> {
    call(session, Method::GET, "/api/v1/agents/counts", None).await
}

/// `DELETE /api/v1/agents/{id}`: revokes the agent (it stays listed).
pub async fn revoke_agent(session: Session, id: AgentId) -> Result<(), ApiError> {
    let path = format!("/api/v1/agents/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}

/// `GET /api/v1/enrollment-tokens`: every token, revoked and expired ones included.
pub async fn enrollment_tokens(session: Session) -> Result<Vec<EnrollmentToken>, ApiError> {
    all_pages(session, "/api/v1/enrollment-tokens").await
}

/// `POST /api/v1/enrollment-tokens`: the answer holds the `pet_…` secret, shown this once.
pub async fn create_enrollment_token(
    session: Session,
    request: &CreateEnrollmentTokenRequest,
) -> Result<EnrollmentTokenCreated, ApiError> {
    call(
        session,
        Method::POST,
        "/api/v1/enrollment-tokens",
        json(request)?,
    )
    .await
}

/// `DELETE /api/v1/enrollment-tokens/{id}`: no more computers enroll with it.
pub async fn revoke_enrollment_token(
    session: Session,
    id: EnrollmentTokenId,
) -> Result<(), ApiError> {
    let path = format!("/api/v1/enrollment-tokens/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}
