//! The authenticated principal of a request: who acts, for which company, with which
//! role. Handlers take a [`Principal`] and pass `principal.company_id()` down; the
//! company never comes from the request body or path.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use pulse_shared::audit::ActorKind;
use pulse_shared::ids::{CompanyId, UserId};
use pulse_shared::people::Role;

use crate::auth::secrets::{constant_time_eq, token_hash};
use crate::clock::Clock;
use crate::db::audit::Actor;
use crate::db::{self, api_keys, people};
use crate::domain::access::{self, Action, Reach};
use crate::errors::ApiError;
use crate::state::AppState;

/// Who acts: a signed-in user (through the app's access token) or an integrator's API
/// key, which acts for the person who made it with the key's role at most.
#[derive(Debug, Clone)]
pub struct Principal {
    company_id: CompanyId,
    user_id: UserId,
    role: Role,
    actor: Actor,
}

impl Principal {
    pub fn company_id(&self) -> CompanyId {
        self.company_id
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Who to name in audit events.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// 403 unless a person signed in: an API key may not make credentials or change
    /// a password, so a leaked key cannot turn itself into more keys or an account.
    pub fn require_signed_in_person(&self) -> Result<(), ApiError> {
        match self.actor.kind {
            ActorKind::User => Ok(()),
            _ => Err(ApiError::Forbidden(
                "An API key cannot do this; sign in to the app as yourself.",
            )),
        }
    }

    /// How far this principal may do `action`; 403 when not at all.
    pub fn require(&self, action: Action) -> Result<Reach, ApiError> {
        match access::access(self.role, action) {
            Reach::None => Err(ApiError::Forbidden("Your role does not allow this.")),
            reach => Ok(reach),
        }
    }
}

/// The client's address and user agent, and the server's time, for audit events.
pub fn request_actor(req: &HttpRequest, kind: ActorKind, id: Option<uuid::Uuid>) -> Actor {
    let state = req.app_data::<web::Data<AppState>>();
    let clock = state.map_or_else(Clock::system, |state| state.clock);
    // Through the trusted proxies, as every rate limit sees it.
    let ip = match state {
        Some(state) => state.trusted_proxies.client(req),
        None => req.peer_addr().map(|addr| addr.ip()),
    };
    Actor {
        kind,
        id,
        at: clock.now(),
        ip: ip.map(|address| address.to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect()),
    }
}

/// The bearer token of a request, if it has one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

const SIGN_IN: &str = "Sign in to continue.";

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
            let token = bearer(&req).ok_or(ApiError::Unauthorized(SIGN_IN))?;
            if token.starts_with("pk_") {
                return api_key_principal(&req, state, token).await;
            }
            let claims = state
                .tokens
                .verify(token)
                .ok_or(ApiError::Unauthorized(SIGN_IN))?;
            let mut conn = state.db.tenant(claims.cid).await?;
            // The role and status are read fresh, so a deactivation or demotion takes
            // effect on the next request, not when the token expires.
            let user = match people::user(&mut conn, claims.cid, claims.sub).await {
                Ok(user) if user.is_active() => user,
                Ok(_) | Err(diesel::result::Error::NotFound) => {
                    return Err(ApiError::Unauthorized(SIGN_IN));
                }
                Err(error) => return Err(db::DbError::from(error).into()),
            };
            Ok(Principal {
                company_id: claims.cid,
                user_id: claims.sub,
                role: user.role(),
                actor: request_actor(&req, ActorKind::User, Some(claims.sub.0)),
            })
        })
    }
}

/// The principal of an API key: the key's role, capped by its creator's current role,
/// acting for the creator. Revoked keys and keys of people who left are refused.
async fn api_key_principal(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<Principal, ApiError> {
    const REFUSED: ApiError = ApiError::Unauthorized("This API key is not valid.");
    let prefix = token.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
    let mut conn = state.db.system().await?;
    let key = api_keys::by_prefix(&mut conn, &prefix)
        .await?
        .ok_or(REFUSED)?;
    if !constant_time_eq(&token_hash(token), &key.secret_hash) || key.revoked_at.is_some() {
        return Err(REFUSED);
    }
    let company = key.company_id;
    let creator = match people::user(&mut conn, company, key.created_by).await {
        Ok(creator) if creator.is_active() => creator,
        Ok(_) | Err(diesel::result::Error::NotFound) => return Err(REFUSED),
        Err(error) => return Err(db::DbError::from(error).into()),
    };
    api_keys::touch(&mut conn, company, key.id, state.clock.now()).await?;
    Ok(Principal {
        company_id: company,
        user_id: creator.id,
        // The less powerful of the two: `Role` orders from owner down to employee.
        role: std::cmp::max(key.role(), creator.role()),
        actor: request_actor(req, ActorKind::ApiKey, Some(key.id.0)),
    })
}
