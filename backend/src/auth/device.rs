//! The principal of agent calls: an enrolled computer, by its device credential.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::principal::bearer;
use super::secrets::token_hash;
pub use crate::auth::device_cache::Device;
use crate::db::agents;
use crate::errors::ApiError;
use crate::state::AppState;

/// Where every device credential starts.
pub const CREDENTIAL_PREFIX: &str = "pag_";

const ENROLL_AGAIN: &str =
    "This agent's credential is not valid (revoked, or its employee left); enroll it again.";

/// An enrolled, unrevoked agent whose employee is active: from the replica's cache
/// (see [`super::device_cache`]), else one indexed query.
impl FromRequest for Device {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
            let credential = bearer(&req)
                .filter(|token| token.starts_with(CREDENTIAL_PREFIX))
                .ok_or(ApiError::Unauthorized(ENROLL_AGAIN))?;
            let hash = token_hash(credential);
            if let Some(device) = state.agent_cache.device(&hash) {
                return Ok(device);
            }
            let mut conn = state.db.system().await?;
            let agent = agents::caller(&mut conn, &hash)
                .await?
                .ok_or(ApiError::Unauthorized(ENROLL_AGAIN))?;
            let device = Device {
                company_id: agent.company_id,
                agent_id: agent.id,
                user_id: agent.user_id,
                team_id: agent.team_id,
            };
            state.agent_cache.store_device(hash, device);
            Ok(device)
        })
    }
}
