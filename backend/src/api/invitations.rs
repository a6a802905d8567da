//! `/api/v1/invitations`: inviting people, and joining through an invitation link.
//!
//! The link is `<public url>/join#<secret>`: the secret travels in the fragment, so it
//! never reaches server logs or `Referer` headers. Only its hash is stored.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Duration;
use diesel_async::AsyncConnection;
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use pulse_shared::ids::{InvitationId, UserId};
use pulse_shared::people::{
    AcceptInvitationRequest, Invitation, InvitationCreatedResponse, InvitationLookupRequest,
    InvitationPreview, InviteRequest, Role, UserStatus,
};
use pulse_shared::{Page, PageQuery, validate};
use serde_json::json;
use uuid::Uuid;

use super::auth::{session_response, start_session};
use super::extract::Json;
use super::paging;
use super::reach::Reachable;
use crate::auth::principal::{Principal, request_actor};
use crate::auth::rate_limit::{INVITATIONS_PER_PERSON, SECRET_MISSES_PER_ADDRESS};
use crate::auth::secrets::{random_token, token_hash};
use crate::db::audit::{self, Change};
use crate::db::invitations::{self, INVITATION_DAYS, InvitationRow};
use crate::db::people::{self, UserRow};
use crate::db::teams;
use crate::domain::access::Action;
use crate::errors::ApiError;
use crate::state::AppState;

/// Invites someone by e-mail with a role and team. Answers the link to pass on, and
/// e-mails it when a mail server is configured (else the message goes to the server log).
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    request_body = InviteRequest,
    responses(
        (status = CREATED, body = InvitationCreatedResponse),
        (status = FORBIDDEN, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "More than 60 invitations in a minute"),
    )
)]
#[post("/invitations")]
pub async fn create(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let company = principal.company_id();
    let email = body.email.trim().to_lowercase();
    validate::email(&email).map_err(|invalid| ApiError::invalid("/email", invalid))?;
    state
        .limits
        .hit(INVITATIONS_PER_PERSON, &principal.user_id().to_string())
        .await?;
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::InvitePeople).await?;
    if body.role == Role::Owner {
        principal
            .require(Action::GrantOwner)
            .map_err(|_| ApiError::Forbidden("Only an owner invites owners."))?;
    }
    if !matches!(reach, Reachable::Company)
        && (body.role != Role::Employee || !reach.includes_team(body.team_id))
    {
        return Err(ApiError::Forbidden(
            "You may invite employees into the teams you manage.",
        ));
    }
    if let Some(team) = body.team_id {
        teams::find(&mut conn, company, team)
            .await
            .map_err(|_| ApiError::field("/team_id", "unknown", "There is no such team."))?;
    }
    // Only this company's people are named: whether an address has an account with
    // another company is not said (accepting tells the address's owner instead).
    let member = people::user_by_email(&mut conn, &email).await?;
    if let Some(member) = member.filter(|user| user.company_id == company) {
        let message = if member.deleted_at.is_some() {
            "This person was deleted recently; an owner can restore them."
        } else {
            "This person is already in your company."
        };
        return Err(ApiError::field("/email", "taken", message));
    }
    let token = random_token(32)?;
    let now = state.clock.now();
    let row = InvitationRow {
        company_id: company,
        id: InvitationId(Uuid::now_v7()),
        email,
        role: body.role,
        team_id: body.team_id,
        token_hash: token_hash(&token),
        invited_by: principal.user_id(),
        created_at: now,
        expires_at: now + Duration::days(INVITATION_DAYS),
        accepted_at: None,
        revoked_at: None,
    };
    let actor = principal.actor().clone();
    let saved = row.clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        invitations::revoke_open_for(conn, company, &saved.email, now).await?;
        invitations::insert(conn, &saved).await?;
        let change = Change {
            action: AuditAction::UserInvited,
            target_kind: TargetKind::Invitation,
            target_id: Some(saved.id.0),
            summary: json!({"after": {"email": saved.email, "role": saved.role, "team_id": saved.team_id}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    let link = format!("{}/join#{token}", state.public_url);
    let company_name = people::company(&mut conn, company).await?.name;
    let body = format!(
        "You are invited to join {company_name} on Pulse as {role}.\n\nOpen this link to choose your name and password:\n{link}\n\nThe link works once and expires in {INVITATION_DAYS} days.\n",
        role = body.role.label().to_lowercase(),
    );
    let emailed = state
        .mailer
        .send(&row.email, &format!("Join {company_name} on Pulse"), body)
        .await;
    Ok(HttpResponse::Created().json(InvitationCreatedResponse {
        invitation: row.into(),
        link,
        emailed,
    }))
}

/// The company's open invitations, newest first.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = OK, body = Page<Invitation>), (status = FORBIDDEN, body = pulse_shared::Problem))
)]
#[get("/invitations")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<Invitation>>, ApiError> {
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor(query.cursor.as_deref())?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::InvitePeople).await?;
    let rows = invitations::open(
        &mut conn,
        principal.company_id(),
        before,
        limit + 1,
        state.clock.now(),
    )
    .await?;
    let mut page: Page<Invitation> = paging::page(rows, limit, |row| row.id.to_string());
    page.items
        .retain(|invitation| reach.includes_team(invitation.team_id));
    Ok(web::Json(page))
}

/// Withdraws an open invitation; its link stops working.
#[utoipa::path(
    tag = "people",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The invitation's id")),
    responses((status = NO_CONTENT, description = "Withdrawn"), (status = FORBIDDEN, body = pulse_shared::Problem, description = "Your role does not invite people, so it withdraws no invitation"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/invitations/{id}")]
pub async fn revoke(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<InvitationId>,
) -> Result<HttpResponse, ApiError> {
    let (company, id) = (principal.company_id(), *id);
    let mut conn = state.db.tenant(company).await?;
    let reach = Reachable::resolve(&mut conn, &principal, Action::InvitePeople).await?;
    let invitation = invitations::find(&mut conn, company, id).await?;
    if !invitation.is_open(state.clock.now()) || !reach.includes_team(invitation.team_id) {
        return Err(ApiError::NotFound);
    }
    let actor = principal.actor().clone();
    conn.transaction::<_, ApiError, _>(async |conn| {
        invitations::revoke(conn, company, id, actor.at).await?;
        let change = Change {
            action: AuditAction::InvitationRevoked,
            target_kind: TargetKind::Invitation,
            target_id: Some(id.0),
            summary: json!({"before": {"email": invitation.email}}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link is for, to show before joining. No sign-in needed; the
/// secret travels in the body, never in the URL. Unknown links count against the
/// caller's address like unknown links accepted.
#[utoipa::path(
    tag = "people",
    request_body = InvitationLookupRequest,
    responses(
        (status = OK, body = InvitationPreview),
        (status = NOT_FOUND, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
    )
)]
#[post("/invitations/lookup")]
pub async fn lookup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<InvitationLookupRequest>,
) -> Result<web::Json<InvitationPreview>, ApiError> {
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let mut conn = state.db.system().await?;
    let Some(invitation) = invitations::by_token(&mut conn, &token_hash(&body.token))
        .await?
        .filter(|invitation| invitation.is_open(state.clock.now()))
    else {
        // The connection goes back first: counting takes one of its own.
        drop(conn);
        state
            .limits
            .hit(SECRET_MISSES_PER_ADDRESS, &address)
            .await?;
        return Err(ApiError::NotFound);
    };
    let company = people::company(&mut conn, invitation.company_id).await?;
    Ok(web::Json(InvitationPreview {
        company_name: company.name,
        role: invitation.role(),
        email: invitation.email,
    }))
}

/// What accepting says when the address joined Pulse since it was invited (through
/// another company's invitation, or by signing up).
const ALREADY_JOINED: &str =
    "This address already has a Pulse account; sign in, or ask to be invited at another address.";

/// Joins a company through an invitation: creates the account and signs in.
#[utoipa::path(
    tag = "people",
    request_body = AcceptInvitationRequest,
    responses(
        (status = CREATED, body = pulse_shared::auth::SessionResponse),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "The link is unknown, used, withdrawn or expired"),
        (status = CONFLICT, body = pulse_shared::Problem, description = "The address has an account already"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy checking passwords; try again after `Retry-After`"),
    )
)]
#[post("/invitations/accept")]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    ApiError::check_fields([
        ("/name", validate::name(&body.name, 120)),
        ("/password", validate::password(&body.password)),
    ])?;
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let hash = token_hash(&body.token);
    let name = body.name.trim().to_owned();
    let actor_base = request_actor(&req, ActorKind::User, None);
    let now = actor_base.at;
    // The link first: an unknown, used or expired one costs an indexed lookup, never a
    // password hash. No connection is held while hashing.
    let open = {
        let mut conn = state.db.system().await?;
        let Some(invitation) = invitations::by_token(&mut conn, &hash)
            .await?
            .filter(|invitation| invitation.is_open(now))
        else {
            // Misses are counted per address: past the budget, 429 instead of 404. The
            // connection goes back first: counting takes one of its own.
            drop(conn);
            state
                .limits
                .hit(SECRET_MISSES_PER_ADDRESS, &address)
                .await?;
            return Err(ApiError::NotFound);
        };
        if people::user_by_email(&mut conn, &invitation.email)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(ALREADY_JOINED.into()));
        }
        invitation.id
    };
    let password_hash = state.passwords.hash(body.password).await?;
    let mut conn = state.db.system().await?;
    let (user, refresh_token) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Locked and checked again: it may have been used or withdrawn meanwhile.
            let invitation = invitations::by_token_for_update(conn, &hash)
                .await?
                .filter(|invitation| invitation.id == open && invitation.is_open(now));
            let Some(invitation) = invitation else {
                return Err(ApiError::NotFound);
            };
            let company = invitation.company_id;
            let user = UserRow {
                company_id: company,
                id: UserId(Uuid::now_v7()),
                email: invitation.email.clone(),
                name,
                role: invitation.role,
                status: UserStatus::Active,
                team_id: invitation.team_id,
                password_hash,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            // Another company's invitation of the address was accepted meanwhile.
            if !people::insert_user_if_new(conn, &user).await? {
                return Err(ApiError::Conflict(ALREADY_JOINED.into()));
            }
            invitations::mark_accepted(conn, company, invitation.id, now).await?;
            let actor = crate::db::audit::Actor { id: Some(user.id.0), ..actor_base };
            let change = Change {
                action: AuditAction::UserJoined,
                target_kind: TargetKind::User,
                target_id: Some(user.id.0),
                summary: json!({"after": {"email": user.email, "name": user.name, "role": user.role, "team_id": user.team_id}, "invitation_id": invitation.id}),
            };
            audit::record(conn, company, &actor, change).await?;
            let refresh_token = start_session(conn, company, user.id, now).await?;
            Ok((user, refresh_token))
        })
        .await?;
    let company = people::company(&mut conn, user.company_id).await?;
    session_response(
        &state,
        HttpResponse::Created(),
        user,
        company,
        &refresh_token,
    )
}
