//! Teams (departments) and their managers.

use serde::{Deserialize, Serialize};

use crate::ids::{TeamId, UserId};

/// A team as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    /// The people who manage this team.
    pub manager_ids: Vec<UserId>,
    /// How many people belong to it.
    pub member_count: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/teams`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    /// 1 to 80 characters, unique in the company (ignoring case).
    pub name: String,
}

/// `PATCH /api/v1/teams/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    pub name: Option<String>,
    /// The complete new list of managers (people with the manager, admin or owner role).
    pub manager_ids: Option<Vec<UserId>>,
}

/// `DELETE /api/v1/teams/{id}`: a team with people is deleted only with a `move_to` team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct DeleteTeamQuery {
    /// Where the team's people go.
    pub move_to: Option<TeamId>,
}
