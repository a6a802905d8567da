//! How far a principal reaches among the company's people, resolved once per request.

use diesel_async::AsyncPgConnection;
use pulse_shared::ids::{CompanyId, TeamId, UserId};
use pulse_shared::people::Role;

use crate::auth::principal::Principal;
use crate::db::people::{self, PeopleFilter, UserRow};
use crate::db::teams;
use crate::domain::access::{Action, Reach};
use crate::errors::ApiError;

/// The people a principal may act on for one action.
#[derive(Debug, Clone)]
pub enum Reachable {
    Company,
    /// The managed teams' people, and the principal.
    Teams {
        teams: Vec<TeamId>,
        me: UserId,
    },
    Own(UserId),
}

impl Reachable {
    /// Resolves `action` for `principal`; 403 when the role may not do it at all.
    pub async fn resolve(
        conn: &mut AsyncPgConnection,
        principal: &Principal,
        action: Action,
    ) -> Result<Self, ApiError> {
        principal.require(action)?;
        let (company, user) = (principal.company_id(), principal.user_id());
        Ok(Self::of_role(conn, company, user, principal.role(), action).await?)
    }

    /// What `user`, of `company` and with `role`, reaches for `action` (no further than
    /// themself when the role may not do it): for work done on someone's behalf, such
    /// as their scheduled report.
    pub async fn of_role(
        conn: &mut AsyncPgConnection,
        company: CompanyId,
        user: UserId,
        role: Role,
        action: Action,
    ) -> diesel::QueryResult<Self> {
        Ok(match crate::domain::access::access(role, action) {
            Reach::Company => Self::Company,
            Reach::Teams => Self::Teams {
                teams: teams::managed_by(conn, company, user).await?,
                me: user,
            },
            Reach::Own | Reach::None => Self::Own(user),
        })
    }

    /// Whether `person` is within reach.
    pub fn includes(&self, person: &UserRow) -> bool {
        match self {
            Self::Company => true,
            Self::Teams { teams, me } => {
                person.id == *me || person.team_id.is_some_and(|team| teams.contains(&team))
            }
            Self::Own(me) => person.id == *me,
        }
    }

    /// The company's person `id`, if within reach; 404 otherwise (whether they exist
    /// or not is not told).
    pub async fn person(
        &self,
        conn: &mut AsyncPgConnection,
        principal: &Principal,
        id: UserId,
    ) -> Result<UserRow, ApiError> {
        let person = people::user(conn, principal.company_id(), id).await?;
        // A deleted person is gone from every view until an owner restores them.
        if self.includes(&person) && person.deleted_at.is_none() {
            Ok(person)
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// The person whose activity, sessions or screenshots are asked for (`user`, else
    /// the principal), if within the principal's reach for them; 404 otherwise.
    pub async fn activity_subject(
        conn: &mut AsyncPgConnection,
        principal: &Principal,
        user: Option<UserId>,
    ) -> Result<UserRow, ApiError> {
        Self::resolve(conn, principal, Action::ReadActivity)
            .await?
            .person(conn, principal, user.unwrap_or(principal.user_id()))
            .await
    }

    /// Whether a team is within reach (for moving people into it or inviting to it).
    pub fn includes_team(&self, team: Option<TeamId>) -> bool {
        match self {
            Self::Company => true,
            Self::Teams { teams, .. } => team.is_some_and(|team| teams.contains(&team)),
            Self::Own(_) => false,
        }
    }

    /// Narrows a list filter to what is in reach.
    pub fn narrow(&self, filter: &mut PeopleFilter) {
        match self {
            Self::Company => {}
            Self::Teams { teams, me } => {
                filter.within_teams = Some(teams.clone());
                filter.also_user = Some(me.0);
            }
            Self::Own(me) => {
                filter.only_user = true;
                filter.also_user = Some(me.0);
            }
        }
    }
}
