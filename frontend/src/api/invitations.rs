//! `/invitations…`: inviting people, the open invitations, and the invitation link's
//! lookup and acceptance (those two without a session).

use gloo_net::http::Method;
use pulse_shared::auth::SessionResponse;
use pulse_shared::ids::InvitationId;
use pulse_shared::people::{
    AcceptInvitationRequest, Invitation, InvitationCreatedResponse, InvitationLookupRequest,
    InvitationPreview, InviteRequest,
};

use super::ApiError;
use super::client::{all_pages, call, call_empty, call_public, json};
use crate::session::Session;

/// `POST /api/v1/invitations/lookup`: what an invitation link is for.
pub async fn invitation_lookup(token: &str) -> Result<InvitationPreview, ApiError> {
    let body = json(&InvitationLookupRequest {
        token: token.to_owned(),
    })?;
    call_public(Method::POST, "/api/v1/invitations/lookup", body).await
}

/// `POST /api/v1/invitations/accept`: joins the company, signed in.
pub async fn accept_invitation(
    request: &AcceptInvitationRequest,
) -> Result<SessionResponse, ApiError> {
    call_public(Method::POST, "/api/v1/invitations/accept", json(request)?).await
}

/// `GET /api/v1/invitations`: the open invitations (every page).
pub async fn invitations(session: Session) -> Result<Vec<Invitation>, ApiError> {
    all_pages(session, "/api/v1/invitations").await
}

/// `POST /api/v1/invitations`: answers with the link to pass on.
pub async fn invite(
    session: Session,
    request: &InviteRequest,
) -> Result<InvitationCreatedResponse, ApiError> {
    call(session, Method::POST, "/api/v1/invitations", json(request)?).await
}

/// `DELETE /api/v1/invitations/{id}`: revokes an open invitation.
pub async fn revoke_invitation(session: Session, id: InvitationId) -> Result<(), ApiError> {
    let path = format!("/api/v1/invitations/{id}");
    call_empty(session, Method::DELETE, &path, None).await
}
