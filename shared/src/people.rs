//! People and their roles.

use serde::{Deserialize, Serialize};

use crate::ids::{CompanyId, TeamId, UserId};

/// What a person may do in their company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum Role {
    /// Everything, including ownership transfer and company deletion. At least one per company.
    Owner,
    /// Everything but ownership transfer and company deletion.
    Admin,
    /// Their teams' people, sessions, screenshots, reports and alerts.
    Manager,
    /// Themself only.
    Employee,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Manager, Role::Employee];

    /// The stable lower-case name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Employee => "employee",
        }
    }

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Employee => "Employee",
        }
    }

    /// Whether this role includes everything `other` may do.
    pub fn at_least(self, other: Role) -> bool {
        self <= other
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}"))
    }
}

/// Whether a person can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow), diesel(sql_type = diesel::sql_types::Text))]
pub enum UserStatus {
    Active,
    Deactivated,
}

impl UserStatus {
    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Active => "Active",
            UserStatus::Deactivated => "Deactivated",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }
}

impl std::str::FromStr for UserStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(UserStatus::Active),
            "deactivated" => Ok(UserStatus::Deactivated),
            _ => Err(format!("unknown status {s:?}")),
        }
    }
}

/// A person as the API shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: UserId,
    pub company_id: CompanyId,
    /// Their sign-in address.
    pub email: String,
    /// Their name as shown to colleagues.
    pub name: String,
    pub role: Role,
    pub status: UserStatus,
    /// The team they belong to, if any.
    pub team_id: Option<TeamId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When they were deleted: they and what was recorded about them are kept for the
    /// grace period after, in which an owner may restore them. Absent for everyone else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Admin));
        assert!(!Role::Manager.at_least(Role::Admin));
        assert!(Role::Manager.at_least(Role::Employee));
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }
}

/// Filters of `GET /api/v1/people`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    /// Matches part of a name or e-mail address, case-insensitively.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<TeamId>,
    pub status: Option<UserStatus>,
    /// `true`: only the people deleted within the grace period, whom an owner may
    /// restore (owners and admins); otherwise only people not deleted.
    pub deleted: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// `PATCH /api/v1/people/{id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdatePersonRequest {
    /// A new role. Only an owner makes or unmakes owners; the last owner keeps the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A new team; `null` takes them out of their team.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub team_id: Option<Option<TeamId>>,
    /// `deactivated` ends their sessions and stops them signing in; `active` lets them back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
}

/// `POST /api/v1/invitations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
}

/// An open invitation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: crate::ids::InvitationId,
    pub email: String,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub invited_by: UserId,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The answer of `POST /api/v1/invitations`: the link is shown once, to copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationCreatedResponse {
    pub invitation: Invitation,
    /// The link the invited person opens to join; it carries a one-time secret.
    pub link: String,
    /// Whether the link was also sent by e-mail.
    pub emailed: bool,
}

/// `POST /api/v1/invitations/lookup`: the secret of an invitation link, in the body
/// (a URL would leave it in logs and proxies on the way).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationLookupRequest {
    /// The secret from the invitation link.
    pub token: String,
}

/// `POST /api/v1/invitations/lookup`: what an invitation link is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationPreview {
    pub company_name: String,
    pub email: String,
    pub role: Role,
}

/// `POST /api/v1/invitations/accept`: join with a name and password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The secret from the invitation link.
    pub token: String,
    pub name: String,
    pub password: String,
}

/// Serde for `Option<Option<T>>`: absent → `None`, `null` → `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod update_tests {
    use super::*;

    #[test]
    fn team_id_absent_null_and_set_are_three_things() {
        let absent: UpdatePersonRequest = serde_json::from_str("{}").unwrap();
        let null: UpdatePersonRequest = serde_json::from_str(r#"{"team_id": null}"#).unwrap();
        let set: UpdatePersonRequest =
            serde_json::from_str(r#"{"team_id": "0193a000-0000-7000-8000-000000000000"}"#).unwrap();
        assert_eq!(absent.team_id, None);
        assert_eq!(null.team_id, Some(None));
        assert!(matches!(set.team_id, Some(Some(_))));
    }
}

#[cfg(feature = "diesel")]
crate::sql::text_column!(Role);

#[cfg(feature = "diesel")]
crate::sql::text_column!(UserStatus);
