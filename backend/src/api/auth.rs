//! `/api/v1/auth`: sign up (proven by a link sent to the address), sign in, refresh,
//! sign out, and reset a forgotten password.
//!
//! Sessions are a 15-minute access token (returned in the body, kept in memory by the
//! app) and an opaque refresh token in an `HttpOnly; SameSite=Strict` cookie scoped to
//! this path, stored hashed and rotated on every use. Presenting a token that was
//! rotated more than [`refresh_tokens::REUSE_GRACE`] ago revokes its whole family: someone
//! else has a copy. (Within the grace, two tabs refreshing at once both succeed.)

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use pulse_shared::auth::{
    LoginRequest, PasswordResetConfirm, PasswordResetRequest, SessionResponse, SignupPending,
    SignupRequest, SignupVerifyRequest,
};
use pulse_shared::ids::{CompanyId, UserId};
use pulse_shared::people::{Role, UserStatus};
use pulse_shared::validate;
use serde_json::json;
use uuid::Uuid;

use super::extract::Json;
use crate::auth::principal::request_actor;
use crate::auth::rate_limit::{
    LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, LOGIN_FAILURES_PER_ADDRESS,
    Limit, RESETS_PER_ACCOUNT, RESETS_PER_ADDRESS, SECRET_MISSES_PER_ADDRESS, SIGNUPS_PER_ADDRESS,
    SIGNUPS_PER_EMAIL,
};
use crate::auth::secrets::{random_token, token_hash};
use crate::auth::tokens::ACCESS_TOKEN_SECONDS;
use crate::db::audit::{self, Actor, Change};
use crate::db::password_resets::{self, PasswordResetRow};
use crate::db::people::{self, CompanyRow, UserRow};
use crate::db::signups::{self, SignupRow};
use crate::db::{self, refresh_tokens};
use crate::errors::ApiError;
use crate::state::AppState;

/// The refresh cookie's name and path.
pub const REFRESH_COOKIE: &str = "pulse_refresh";
const REFRESH_PATH: &str = "/api/v1/auth";
const BAD_CREDENTIALS: &str = "The e-mail address or password is not correct.";

/// Starts a sign-up: sends the address a link that creates the company and its owner
/// when opened (`POST /auth/signup/verify`). Nothing is created and the address stays
/// free until then, so nobody can hold an address they cannot read. The answer is the
/// same whether the address has an account or not (its owner is sent a message saying
/// so instead of a link) and comes before the e-mail is sent, so neither its words nor
/// its timing tell.
#[utoipa::path(
    tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = ACCEPTED, body = SignupPending, description = "A link is on its way to the address"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem, description = "A field is not valid"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy checking passwords; try again after `Retry-After`"),
    )
)]
#[post("/auth/signup")]
pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    ApiError::check_fields([
        ("/company_name", validate::name(&body.company_name, 120)),
        ("/name", validate::name(&body.name, 120)),
        ("/email", validate::email(&email)),
        ("/password", validate::password(&body.password)),
    ])?;
    state
        .limits
        .hit(SIGNUPS_PER_ADDRESS, &state.client_address(&req))
        .await?;
    // Hashed whatever follows: the time taken says nothing about the address.
    let password_hash = state.passwords.hash(body.password).await?;
    let now = state.clock.now();
    let accepted = HttpResponse::Accepted().json(SignupPending {
        email: email.clone(),
        expires_at: SignupRow::expiry(now),
    });
    match state.limits.hit(SIGNUPS_PER_EMAIL, &email).await {
        // Said the same way: the answer never tells whether a message went.
        Err(ApiError::TooManyRequests { .. }) => return Ok(accepted),
        counted => counted?,
    }
    let mut conn = state.db.system().await?;
    let existing = people::user_by_email(&mut conn, &email)
        .await
        .map_err(db::DbError::from)?;
    let (subject, message) = match existing {
        Some(user) => (
            "[Pulse] You already have an account",
            format!(
                "Hello {},\n\nSomeone, probably you, tried to create a Pulse company with this address, which already has an account. Sign in here:\n\n{url}/login\n\nForgot your password? Choose a new one here:\n\n{url}/forgot\n\nTo create another company, sign up with another address. If it was not you, ignore this message: nothing has changed.\n",
                user.name,
                url = state.public_url,
            ),
        ),
        None => {
            let token = random_token(32)?;
            let row = SignupRow {
                token_hash: token_hash(&token),
                email: email.clone(),
                name: body.name.trim().to_owned(),
                company_name: body.company_name.trim().to_owned(),
                password_hash,
                created_at: now,
                expires_at: SignupRow::expiry(now),
            };
            signups::insert(&mut conn, &row)
                .await
                .map_err(db::DbError::from)?;
            (
                "[Pulse] Confirm your address",
                format!(
                    "Hello {},\n\nOpen this link to confirm your address and create {} on Pulse (it works for {} hours):\n\n{}/verify#{token}\n\nIf it was not you, ignore this message: nothing is created without the link.\n",
                    row.name,
                    row.company_name,
                    signups::SIGNUP_HOURS,
                    state.public_url,
                ),
            )
        }
    };
    drop(conn);
    state.mailer.send_later(email, subject, message);
    Ok(accepted)
}

/// What opening a sign-up link says when the address got an account meanwhile.
const ALREADY_HAS_ACCOUNT: &str =
    "This address has a Pulse account already; sign in, or sign up with another address.";

/// Opens a sign-up link: creates the company and its owner, and signs the owner in.
/// The link works once; the address's other pending sign-ups end with it.
#[utoipa::path(
    tag = "auth",
    request_body = SignupVerifyRequest,
    responses(
        (status = CREATED, body = SessionResponse, description = "The company is created and its owner signed in; the refresh cookie is set"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "The link is unknown, used or expired"),
        (status = CONFLICT, body = pulse_shared::Problem, description = "The address got an account since the link was sent"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
    )
)]
#[post("/auth/signup/verify")]
pub async fn verify_signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<SignupVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let hash = token_hash(&body.token);
    let actor_base = request_actor(&req, ActorKind::User, None);
    let now = actor_base.at;
    let mut conn = state.db.system().await?;
    let created = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let Some(pending) = signups::find_for_update(conn, &hash)
                .await?
                .filter(|pending| pending.is_open(now))
            else {
                return Ok(None);
            };
            if people::user_by_email(conn, &pending.email).await?.is_some() {
                return Err(ApiError::Conflict(ALREADY_HAS_ACCOUNT.into()));
            }
            signups::delete_for(conn, &pending.email).await?;
            let company = CompanyRow {
                id: CompanyId(Uuid::now_v7()),
                name: pending.company_name,
                created_at: now,
                updated_at: now,
            };
            let user = UserRow {
                company_id: company.id,
                id: UserId(Uuid::now_v7()),
                email: pending.email,
                name: pending.name,
                role: Role::Owner,
                status: UserStatus::Active,
                team_id: None,
                password_hash: pending.password_hash,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            people::insert_company(conn, &company).await?;
            // An invitation of the address may have been accepted meanwhile.
            if !people::insert_user_if_new(conn, &user).await? {
                return Err(ApiError::Conflict(ALREADY_HAS_ACCOUNT.into()));
            }
            let company_id = company.id;
            let actor = Actor {
                id: Some(user.id.0),
                ..actor_base
            };
            let change = Change {
                action: AuditAction::CompanyCreated,
                target_kind: TargetKind::Company,
                target_id: Some(company.id.0),
                summary: json!({"after": {"name": company.name, "owner_email": user.email}}),
            };
            audit::record(conn, company_id, &actor, change).await?;
            let refresh_token = start_session(conn, company_id, user.id, now).await?;
            Ok(Some((user, company, refresh_token)))
        })
        .await?;
    let Some((user, company, refresh_token)) = created else {
        drop(conn);
        state
            .limits
            .hit(SECRET_MISSES_PER_ADDRESS, &address)
            .await?;
        return Err(ApiError::NotFound);
    };
    session_response(
        &state,
        HttpResponse::Created(),
        user,
        company,
        &refresh_token,
    )
}

/// Signs in with an e-mail address and password.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = OK, body = SessionResponse, description = "Signed in; the refresh cookie is set"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "Wrong address or password (which one is not said)"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy checking passwords; try again after `Retry-After`"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    let address = state.client_address(&req);
    let account_here = format!("{email} {address}");
    let limits = login_limits(&address, &account_here, &email);
    // Counted before, given back on success: only failures stay, and attempts sent at
    // once cannot all slip under the limit.
    state.limits.attempt(&limits).await?;
    // No connection is held while the password is checked: hashing waits for a slot.
    let found = people::user_by_email(&mut *state.db.system().await?, &email)
        .await
        .map_err(db::DbError::from)?;
    // Unknown addresses are checked against a decoy hash: same work, same answer.
    let matches = state
        .passwords
        .verify(
            body.password,
            found.as_ref().map(|user| user.password_hash.clone()),
        )
        .await?;
    let user = match found {
        Some(user) if matches && user.is_active() => user,
        _ => return Err(ApiError::Unauthorized(BAD_CREDENTIALS)),
    };
    state.limits.refund(&limits).await?;
    let mut conn = state.db.system().await?;
    let company = people::company(&mut conn, user.company_id)
        .await
        .map_err(db::DbError::from)?;
    let actor = request_actor(&req, ActorKind::User, Some(user.id.0));
    let (company_id, user_id) = (user.company_id, user.id);
    let refresh_token = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let change = Change {
                action: AuditAction::AuthLogin,
                target_kind: TargetKind::User,
                target_id: Some(user_id.0),
                summary: json!({}),
            };
            audit::record(conn, company_id, &actor, change).await?;
            start_session(conn, company_id, user_id, actor.at).await
        })
        .await?;
    session_response(&state, HttpResponse::Ok(), user, company, &refresh_token)
}

/// Trades the refresh cookie for a new access token and a new refresh cookie.
///
/// Without a refresh cookie there is nothing to renew: nobody is signed in in this
/// browser. That is the web app's question when it starts, not an error.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = OK, body = SessionResponse, description = "A new access token; the refresh cookie is rotated"),
        (status = NO_CONTENT, description = "No refresh cookie came with the request: nobody is signed in in this browser"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem, description = "No valid refresh cookie; sign in again"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "Too many unknown refresh cookies from this address"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let presented = req
        .cookie(REFRESH_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    let Some(presented) = presented else {
        return Ok(HttpResponse::NoContent()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .finish());
    };
    let hash = token_hash(&presented);
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let actor = request_actor(&req, ActorKind::System, None);
    let mut conn = state.db.system().await?;
    // `None`: refused (unknown, expired, revoked, reused, or the person was deactivated).
    let rotation = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let Some(token) = refresh_tokens::find_for_update(conn, &hash).await? else {
                return Ok(None);
            };
            let company = token.company_id;
            let now = actor.at;
            if token.revoked_at.is_some() || token.expires_at <= now {
                return Ok(None);
            }
            let reused = token
                .used_at
                .is_some_and(|used| now - used > refresh_tokens::REUSE_GRACE);
            if reused {
                // A rotated token came back: it was copied. End every session of this sign-in.
                refresh_tokens::revoke_family(conn, company, token.family_id, now).await?;
                let change = Change {
                    action: AuditAction::AuthRefreshTokenReused,
                    target_kind: TargetKind::User,
                    target_id: Some(token.user_id.0),
                    summary: json!({"family_id": token.family_id}),
                };
                audit::record(conn, company, &actor, change).await?;
                return Ok(None);
            }
            let user = people::user(conn, company, token.user_id).await?;
            if !user.is_active() {
                return Ok(None);
            }
            // Within the grace period a second use is a second tab racing the first, not
            // a thief: it gets its own successor and the first use time stays.
            if token.used_at.is_none() {
                refresh_tokens::mark_used(conn, &hash, now).await?;
            }
            let next = random_token(32)?;
            refresh_tokens::insert(
                conn,
                company,
                user.id,
                refresh_tokens::Family {
                    id: token.family_id,
                    started: token.family_started_at,
                },
                token_hash(&next),
                now,
            )
            .await?;
            Ok(Some((user, next)))
        })
        .await?;
    match rotation {
        Some((user, token)) => {
            let company = people::company(&mut conn, user.company_id)
                .await
                .map_err(db::DbError::from)?;
            session_response(&state, HttpResponse::Ok(), user, company, &token)
        }
        None => {
            drop(conn);
            state
                .limits
                .failed(&[(SECRET_MISSES_PER_ADDRESS, &address)])
                .await?;
            let mut response = actix_web::ResponseError::error_response(&ApiError::Unauthorized(
                "Your session has ended; sign in again.",
            ));
            let _ = response.add_removal_cookie(&refresh_cookie(&state, String::new()));
            Ok(response)
        }
    }
}

/// Ends this sign-in: revokes the refresh cookie's family and clears the cookie.
#[utoipa::path(tag = "auth", responses((status = NO_CONTENT, description = "Signed out")))]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(cookie) = req.cookie(REFRESH_COOKIE) {
        let hash = token_hash(cookie.value());
        let mut actor = request_actor(&req, ActorKind::User, None);
        let mut conn = state.db.system().await?;
        conn.transaction::<_, ApiError, _>(async |conn| {
            if let Some(token) = refresh_tokens::find_for_update(conn, &hash).await? {
                let company = token.company_id;
                if refresh_tokens::revoke_family(conn, company, token.family_id, actor.at).await?
                    > 0
                {
                    actor.id = Some(token.user_id.0);
                    let change = Change {
                        action: AuditAction::AuthLogout,
                        target_kind: TargetKind::User,
                        target_id: Some(token.user_id.0),
                        summary: json!({}),
                    };
                    audit::record(conn, company, &actor, change).await?;
                }
            }
            Ok(())
        })
        .await?;
    }
    let mut response = HttpResponse::NoContent().finish();
    let _ = response.add_removal_cookie(&refresh_cookie(&state, String::new()));
    Ok(response)
}

/// Starts a new refresh-token family for `user`; returns the token to put in the cookie.
pub(crate) async fn start_session(
    conn: &mut diesel_async::AsyncPgConnection,
    company: CompanyId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = random_token(32)?;
    let family = refresh_tokens::Family {
        id: Uuid::now_v7(),
        started: now,
    };
    refresh_tokens::insert(conn, company, user, family, token_hash(&token), now).await?;
    Ok(token)
}

/// Sends a link to reset the password of the account with this address, if there is
/// an active one. The answer is the same whether there is or not, and comes before the
/// e-mail is sent, so neither its words nor its timing say whether an address has an
/// account. The link works once, for 30 minutes; a newer one replaces it.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = ACCEPTED, description = "If the address has an account, a link is on its way"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    validate::email(&email).map_err(|invalid| ApiError::invalid("/email", invalid))?;
    state
        .limits
        .hit(RESETS_PER_ADDRESS, &state.client_address(&req))
        .await?;
    let accepted = HttpResponse::Accepted().finish();
    match state.limits.hit(RESETS_PER_ACCOUNT, &email).await {
        // Said the same way: the answer never tells whether the address has an account.
        Err(ApiError::TooManyRequests { .. }) => return Ok(accepted),
        counted => counted?,
    }
    let mut conn = state.db.system().await?;
    let Some(user) = people::user_by_email(&mut conn, &email)
        .await
        .map_err(db::DbError::from)?
        .filter(UserRow::is_active)
    else {
        return Ok(accepted);
    };
    let token = random_token(32)?;
    let company = user.company_id;
    let mut actor = request_actor(&req, ActorKind::User, None);
    actor.id = Some(user.id.0);
    conn.transaction::<_, ApiError, _>(async |conn| {
        let row = PasswordResetRow::new(company, user.id, token_hash(&token), actor.at);
        password_resets::insert(conn, &row).await?;
        let change = Change {
            action: AuditAction::AuthPasswordResetRequested,
            target_kind: TargetKind::User,
            target_id: Some(user.id.0),
            summary: json!({}),
        };
        audit::record(conn, company, &actor, change).await?;
        Ok(())
    })
    .await?;
    let link = format!("{}/reset#{token}", state.public_url);
    let message = format!(
        "Hello {},\n\nSomeone, probably you, asked to reset your Pulse password. Choose a new one here (the link works once, for {} minutes):\n\n{link}\n\nIf it was not you, ignore this message: your password stays as it is.\n",
        user.name,
        password_resets::RESET_MINUTES
    );
    state
        .mailer
        .send_later(user.email, "[Pulse] Reset your password", message);
    Ok(accepted)
}

/// Sets a new password with the secret from a reset link: signs in, and ends every
/// other session of the account.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = OK, body = SessionResponse, description = "Changed and signed in; the refresh cookie is set"),
        (status = NOT_FOUND, body = pulse_shared::Problem, description = "The link is unknown, used or expired"),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "Busy checking passwords; try again after `Retry-After`"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    validate::password(&body.password)
        .map_err(|invalid| ApiError::invalid("/password", invalid))?;
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let hash = token_hash(&body.token);
    let actor_base = request_actor(&req, ActorKind::User, None);
    let now = actor_base.at;
    // The link first, without a password hash for a made-up one.
    let open = password_resets::find(&mut *state.db.system().await?, &hash, false)
        .await?
        .filter(|reset| reset.is_open(now));
    if open.is_none() {
        state
            .limits
            .hit(SECRET_MISSES_PER_ADDRESS, &address)
            .await?;
        return Err(ApiError::NotFound);
    }
    let password_hash = state.passwords.hash(body.password).await?;
    let mut conn = state.db.system().await?;
    let (user, refresh_token) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            // Locked and checked again: it may have been used meanwhile.
            let Some(reset) = password_resets::find(conn, &hash, true)
                .await?
                .filter(|reset| reset.is_open(now))
            else {
                return Err(ApiError::NotFound);
            };
            let (company, user_id) = (reset.company_id, reset.user_id);
            let user = people::user(conn, company, user_id).await?;
            if !user.is_active() {
                return Err(ApiError::NotFound);
            }
            people::set_password(conn, company, user_id, &password_hash).await?;
            password_resets::mark_used(conn, &hash, now).await?;
            let ended = refresh_tokens::revoke_user(conn, company, user_id, now).await?;
            let actor = Actor {
                id: Some(user.id.0),
                ..actor_base
            };
            let change = Change {
                action: AuditAction::UserPasswordReset,
                target_kind: TargetKind::User,
                target_id: Some(user.id.0),
                summary: json!({"sessions_ended": ended}),
            };
            audit::record(conn, company, &actor, change).await?;
            let refresh_token = start_session(conn, company, user_id, now).await?;
            Ok((user, refresh_token))
        })
        .await?;
    let company = people::company(&mut conn, user.company_id)
        .await
        .map_err(db::DbError::from)?;
    session_response(&state, HttpResponse::Ok(), user, company, &refresh_token)
}

/// The session answer: an access token in the body, the refresh token in the cookie.
pub(crate) fn session_response(
    state: &AppState,
    mut builder: actix_web::HttpResponseBuilder,
    user: UserRow,
    company: CompanyRow,
    refresh_token: &str,
) -> Result<HttpResponse, ApiError> {
    let access_token = state.tokens.issue(user.id, user.company_id)?;
    Ok(builder
        .cookie(refresh_cookie(state, refresh_token.to_owned()))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(SessionResponse {
            access_token,
            expires_in: ACCESS_TOKEN_SECONDS,
            me: pulse_shared::auth::MeResponse {
                user: user.into(),
                company: company.into(),
            },
        }))
}

fn refresh_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(REFRESH_COOKIE, value)
        .path(REFRESH_PATH)
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::days(refresh_tokens::REFRESH_TOKEN_DAYS))
        .finish()
}

/// The failure counters of a sign-in to `email` from `address`: per address, per
/// account and address, per account.
fn login_limits<'a>(
    address: &'a str,
    account_here: &'a str,
    email: &'a str,
) -> [(Limit, &'a str); 3] {
    [
        (LOGIN_FAILURES_PER_ADDRESS, address),
        (LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, account_here),
        (LOGIN_FAILURES_PER_ACCOUNT, email),
    ]
}
