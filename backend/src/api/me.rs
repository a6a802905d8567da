//! `/api/v1/me`: the signed-in person, and how they are monitored.

use actix_web::{HttpResponse, get, post, web};
use diesel_async::AsyncConnection;
use pulse_shared::audit::{AuditAction, TargetKind};
use pulse_shared::auth::{ChangePasswordRequest, MeResponse, SessionResponse};
use pulse_shared::policies::MonitoringResponse;
use pulse_shared::validate;
use serde_json::json;

use super::auth::{session_response, start_session};
use super::extract::Json;
use crate::auth::principal::Principal;
use crate::auth::rate_limit::PASSWORD_FAILURES_PER_PERSON;
use crate::db::audit::{self, Change};
use crate::db::{agents, people, policies, refresh_tokens};
use crate::errors::ApiError;
use crate::state::AppState;

/// The signed-in person and their company.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses((status = OK, body = MeResponse), (status = UNAUTHORIZED, body = pulse_shared::Problem))
)]
#[get("/me")]
pub async fn me(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<MeResponse>, ApiError> {
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let user = people::user(&mut conn, principal.company_id(), principal.user_id()).await?;
    let company = people::company(&mut conn, principal.company_id()).await?;
    Ok(web::Json(MeResponse {
        user: user.into(),
        company: company.into(),
    }))
}

/// Whether the signed-in person is monitored: their computers whose agent is not revoked,
/// with their status now, and what their effective policy records there. Always about
/// the caller alone (with an API key, its creator); nobody is monitored in secret.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = OK, body = MonitoringResponse, description = "An empty `computers`: nothing of theirs is monitored"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid access token or API key"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The database is not reachable; try again after `Retry-After`"),
    )
)]
#[get("/me/monitoring")]
pub async fn monitoring(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<MonitoringResponse>, ApiError> {
    let company = principal.company_id();
    let mut conn = state.db.tenant(company).await?;
    let person = people::user(&mut conn, company, principal.user_id()).await?;
    let effective = policies::effective(&mut conn, company, person.id, person.team_id).await?;
    let heartbeat = chrono::Duration::seconds(i64::from(effective.settings.heartbeat_secs));
    let now = state.clock.now();
    let computers = agents::unrevoked_of(&mut conn, company, person.id)
        .await?
        .into_iter()
        .map(|row| row.view(person.name.clone(), now, heartbeat))
        .collect();
    Ok(web::Json(MonitoringResponse {
        computers,
        settings: effective.settings,
    }))
}

/// Changes the signed-in person's password. Every other sign-in of theirs ends; this
/// one continues with a fresh session.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = OK, body = SessionResponse, description = "Changed; a new session replaces the old ones"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "The current password is wrong or the new one too weak"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = FORBIDDEN, body = pulse_shared::Problem, description = "Sent with an API key: only the person signed in changes their password"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Ten wrong current passwords in a minute"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy checking passwords; try again after `Retry-After`"),
    )
)]
#[post("/me/password")]
pub async fn change_password(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    principal.require_signed_in_person()?;
    validate::password(&body.new_password)
        .map_err(|invalid| ApiError::invalid("/new_password", invalid))?;
    let (company_id, user_id) = (principal.company_id(), principal.user_id());
    let person = user_id.to_string();
    let limits = [(PASSWORD_FAILURES_PER_PERSON, person.as_str())];
    // Counted before, given back on success, as for sign-ins: only wrong ones stay.
    state.limits.attempt(&limits).await?;
    // No connection is held while passwords are hashed: hashing waits for a slot.
    let user = people::user(
        &mut *state.db.tenant(company_id).await?,
        company_id,
        user_id,
    )
    .await?;
    if !state
        .passwords
        .verify(body.current_password, Some(user.password_hash.clone()))
        .await?
    {
        return Err(ApiError::field(
            "/current_password",
            "incorrect",
            "This is not your current password.",
        ));
    }
    state.limits.refund(&limits).await?;
    let new_hash = state.passwords.hash(body.new_password).await?;
    let mut conn = state.db.tenant(company_id).await?;
    let refresh_token = conn
        .transaction::<_, ApiError, _>(async |conn| {
            people::set_password(conn, company_id, user_id, &new_hash).await?;
            let ended =
                refresh_tokens::revoke_user(conn, company_id, user_id, principal.actor().at)
                    .await?;
            let change = Change {
                action: AuditAction::UserPasswordChanged,
                target_kind: TargetKind::User,
                target_id: Some(user_id.0),
                summary: json!({"sessions_ended": ended}),
            };
            audit::record(conn, company_id, principal.actor(), change).await?;
            start_session(conn, company_id, user_id, principal.actor().at).await
        })
        .await?;
    let user = people::user(&mut conn, company_id, user_id).await?;
    let company = people::company(&mut conn, company_id).await?;
    session_response(&state, HttpResponse::Ok(), user, company, &refresh_token)
}
