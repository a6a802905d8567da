//! `/policies…`: the company default, team and employee overrides, and the policy that
//! applies to one person.

use gloo_net::http::Method;
use pulse_shared::ids::{TeamId, UserId};
use pulse_shared::policies::{
    CompanyPolicy, EffectivePolicy, PolicyOverride, PolicyOverrideEntry, PolicyOverview,
    PolicySettings,
};

use super::ApiError;
use super::client::{call, call_empty, json};
use crate::session::Session;

/// `GET /api/v1/policies`: the company default and every override.
pub async fn policies(session: Session) -> Result<PolicyOverview, ApiError> {
    call(session, Method::GET, "/api/v1/policies", None).await
}

/// `PUT /api/v1/policies/company`: replaces the company default.
pub async fn put_company_policy(
    session: Session,
    settings: &PolicySettings,
) -> Result<CompanyPolicy, ApiError> {
    call(
        session,
        Method::PUT,
        "/api/v1/policies/company",
        json(settings)?,
    )
    .await
}

/// Whose override a policy call is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideOf {
    Team(TeamId),
    Employee(UserId),
}

impl OverrideOf {
    fn path(self) -> String {
        match self {
            Self::Team(id) => format!("/api/v1/policies/teams/{id}"),
            Self::Employee(id) => format!("/api/v1/policies/employees/{id}"),
        }
    }
}

/// `PUT /api/v1/policies/teams/{id}` or `…/employees/{id}`: replaces the override.
pub async fn put_policy_override(
    session: Session,
    of: OverrideOf,
    settings: &PolicyOverride,
) -> Result<PolicyOverrideEntry, ApiError> {
    call(session, Method::PUT, &of.path(), json(settings)?).await
}

/// `DELETE /api/v1/policies/teams/{id}` or `…/employees/{id}`: the level above applies again.
pub async fn remove_policy_override(session: Session, of: OverrideOf) -> Result<(), ApiError> {
    call_empty(session, Method::DELETE, &of.path(), None).await
}

/// `GET /api/v1/policies/effective/{id}`: what applies to one person.
pub async fn effective_policy(session: Session, id: UserId) -> Result<EffectivePolicy, ApiError> {
    let path = format!("/api/v1/policies/effective/{id}");
    call(session, Method::GET, &path, None).await
}
