//! Every HTTP call of the app: typed with `pulse-shared`, errors folded into [`ApiError`].
//!
//! Calls that need a signed-in person take the [`Session`]: they send its access token as
//! `Authorization: Bearer`, and on a 401 they renew the session once (the refresh token is
//! an `HttpOnly` cookie the browser sends by itself) and retry once; when renewing fails
//! the session ends and the app shows the sign-in page.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use futures::lock::Mutex;
use gloo_net::http::{Method, RequestBuilder, Response};
use pulse_shared::activity::{SessionSummary, WorkSession};
use pulse_shared::agents::{
    Agent, AgentCounts, AgentQuery, CreateEnrollmentTokenRequest, EnrollmentToken,
    EnrollmentTokenCreated,
};
use pulse_shared::alerts::{
    Alert, AlertPreferences, AlertQuery, MarkedRead, StreamTicket, UnreadCount,
};
use pulse_shared::api_keys::{ApiKey, ApiKeyCreatedResponse, CreateApiKeyRequest};
use pulse_shared::audit::{AuditEvent, AuditQuery, AuditVerifyResponse};
use pulse_shared::auth::{
    ChangePasswordRequest, LoginRequest, MeResponse, PasswordResetConfirm, PasswordResetRequest,
    SessionResponse, SignupPending, SignupRequest, SignupVerifyRequest,
};
use pulse_shared::ids::{
    AgentId, AlertId, ApiKeyId, EnrollmentTokenId, InvitationId, ScreenshotId, TeamId, UserId,
    WebhookDeliveryId, WebhookEndpointId,
};
use pulse_shared::people::{
    AcceptInvitationRequest, Invitation, InvitationCreatedResponse, InvitationLookupRequest,
    InvitationPreview, InviteRequest, PeopleQuery, Person, UpdatePersonRequest,
};
use pulse_shared::policies::{
    CompanyPolicy, EffectivePolicy, PolicyOverride, PolicyOverrideEntry, PolicyOverview,
    PolicySettings,
};
use pulse_shared::problem::{FieldError, PROBLEM_JSON, Problem};
use pulse_shared::screenshots::{Screenshot, ScreenshotQuery, ScreenshotView};
use pulse_shared::system::SystemStatusResponse;
use pulse_shared::teams::{CreateTeamRequest, Team, UpdateTeamRequest};
use pulse_shared::webhooks::{
    CreateWebhookRequest, UpdateWebhookRequest, WebhookCreatedResponse, WebhookDelivery,
    WebhookDeliveryDetail, WebhookEndpoint,
};
use pulse_shared::{Page, PageQuery};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::session::{Phase, Session};

/// Why a call to the API did not give the expected answer.
///
/// `Display` is written for people: the text is shown as is in error cards and toasts.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer (offline, server down, blocked by the browser).
    Network(String),
    /// The server answered with `application/problem+json`.
    Problem(Box<Problem>),
    /// The server refused because of too many attempts; `retry_after` is in seconds.
    TooManyRequests { retry_after: Option<u64> },
    /// The server answered with an error status but no problem document
    /// (e.g. a proxy in between, or the API is not served at this address).
    Status { status: u16, text: String },
    /// The answer was not the JSON shape this version of the app expects.
    Decode(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(_) => f.write_str(
                "The Pulse server could not be reached. Check your connection and try again.",
            ),
            Self::Problem(problem) => f.write_str(&problem.message()),
            Self::TooManyRequests {
                retry_after: Some(seconds),
            } => write!(
                f,
                "Too many attempts. Try again in {}.",
                wait_in_words(*seconds)
            ),
            Self::TooManyRequests { retry_after: None } => {
                f.write_str("Too many attempts. Wait a moment and try again.")
            }
            Self::Status { status, text } if text.is_empty() => {
                write!(f, "The server answered with an unexpected error (HTTP {status}).")
            }
            Self::Status { status, text } => write!(
                f,
                "The server answered with an unexpected error (HTTP {status} {text})."
            ),
            Self::Decode(_) => f.write_str(
                "The server's answer could not be read. Reload the page to get the latest version of Pulse.",
            ),
        }
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The server's id for the failed request, for people to quote when reporting it.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Problem(problem) => problem.instance.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(problem) => Some(problem.status),
            Self::TooManyRequests { .. } => Some(429),
            Self::Status { status, .. } => Some(*status),
            Self::Network(_) | Self::Decode(_) => None,
        }
    }

    /// The per-field errors of a validation problem (empty for anything else).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Problem(problem) => &problem.errors,
            _ => &[],
        }
    }

    /// The sentence to show above a form whose fields already show their own errors:
    /// the problem's detail or title without the field list.
    pub fn summary(&self) -> String {
        match self {
            Self::Problem(problem) => problem
                .detail
                .clone()
                .unwrap_or_else(|| problem.title.clone()),
            other => other.to_string(),
        }
    }
}

/// `30` → `30 seconds`, `90` → `2 minutes`.
fn wait_in_words(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        0..=59 => format!("{seconds} seconds"),
        _ => {
            let minutes = seconds.div_ceil(60);
            if minutes == 1 {
                "1 minute".to_owned()
            } else {
                format!("{minutes} minutes")
            }
        }
    }
}

// ---------- Public calls (no session) ----------

/// `POST /api/v1/auth/signup`: a link to create the company is sent to the address.
pub async fn signup(request: &SignupRequest) -> Result<SignupPending, ApiError> {
    let body = to_json(request)?;
    read_json(send(Method::POST, "/api/v1/auth/signup", &[], Some(body), None).await?).await
}

/// `POST /api/v1/auth/signup/verify`: opens the sign-up link; the new owner, signed in.
pub async fn verify_signup(token: &str) -> Result<SessionResponse, ApiError> {
    let body = to_json(&SignupVerifyRequest {
        token: token.to_owned(),
    })?;
    read_json(
        send(
            Method::POST,
            "/api/v1/auth/signup/verify",
            &[],
            Some(body),
            None,
        )
        .await?,
    )
    .await
}

/// `POST /api/v1/auth/login`.
pub async fn login(request: &LoginRequest) -> Result<SessionResponse, ApiError> {
    let body = to_json(request)?;
    read_json(send(Method::POST, "/api/v1/auth/login", &[], Some(body), None).await?).await
}

/// `POST /api/v1/auth/refresh`: trades the refresh cookie for a new session.
async fn refresh() -> Result<SessionResponse, ApiError> {
    read_json(send(Method::POST, "/api/v1/auth/refresh", &[], None, None).await?).await
}

/// `POST /api/v1/auth/logout`: revokes the refresh cookie and clears it.
pub async fn logout() -> Result<(), ApiError> {
    read_empty(send(Method::POST, "/api/v1/auth/logout", &[], None, None).await?).await
}

/// `POST /api/v1/invitations/lookup`: what an invitation link is for.
pub async fn invitation_lookup(token: &str) -> Result<InvitationPreview, ApiError> {
    let body = to_json(&InvitationLookupRequest {
        token: token.to_owned(),
    })?;
    read_json(
        send(
            Method::POST,
            "/api/v1/invitations/lookup",
            &[],
            Some(body),
            None,
        )
        .await?,
    )
    .await
}

/// `POST /api/v1/auth/password-reset`: a reset link for the address, if it has an account.
pub async fn request_password_reset(email: &str) -> Result<(), ApiError> {
    let body = to_json(&PasswordResetRequest {
        email: email.to_owned(),
    })?;
    read_empty(
        send(
            Method::POST,
            "/api/v1/auth/password-reset",
            &[],
            Some(body),
            None,
        )
        .await?,
    )
    .await
}

/// `POST /api/v1/auth/password-reset/confirm`: the new password; signed in.
pub async fn confirm_password_reset(
    request: &PasswordResetConfirm,
) -> Result<SessionResponse, ApiError> {
    let body = to_json(request)?;
    read_json(
        send(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            &[],
            Some(body),
            None,
        )
        .await?,
    )
    .await
}

/// `POST /api/v1/invitations/accept`: joins the company, signed in.
pub async fn accept_invitation(
    request: &AcceptInvitationRequest,
) -> Result<SessionResponse, ApiError> {
    let body = to_json(request)?;
    read_json(
        send(
            Method::POST,
            "/api/v1/invitations/accept",
            &[],
            Some(body),
            None,
        )
        .await?,
    )
    .await
}

// ---------- The session ----------

thread_local! {
    /// Held while a refresh is under way, so that calls failing together renew once:
    /// the refresh token rotates on every use, and presenting the old one again would
    /// make the server revoke the whole sign-in.
    static RENEWING: Rc<Mutex<()>> = Rc::new(Mutex::new(()));
    /// Ids of the timers that renew the session before it expires.
    static RENEW_TIMER: RefCell<Option<leptos::prelude::TimeoutHandle>> = const { RefCell::new(None) };
}

/// Restores the session from the refresh cookie when the app starts (a reload keeps the
/// person signed in). Ends in the signed-in or the signed-out state.
pub async fn restore_session(session: Session) {
    // A sign-in that finished meanwhile wins over a failed restore.
    if renew(session, None).await.is_err() && session.phase_untracked() == Phase::Restoring {
        session.clear();
    }
}

/// Replaces the session with `response` and plans its renewal shortly before it expires.
pub fn start_session(session: Session, response: SessionResponse) {
    let lifetime = response.expires_in;
    session.set(response);
    plan_renewal(session, lifetime);
}

/// Ends the session here, then on the server. The server's answer does not matter: the
/// token is forgotten either way.
pub async fn end_session(session: Session) {
    cancel_renewal();
    session.clear();
    let _ = logout().await;
}

fn plan_renewal(session: Session, lifetime_secs: u64) {
    cancel_renewal();
    // A minute early, or at half-life for short sessions.
    let early = if lifetime_secs > 120 {
        lifetime_secs - 60
    } else {
        lifetime_secs / 2
    };
    let delay = std::time::Duration::from_secs(early.max(5));
    let handle = leptos::prelude::set_timeout_with_handle(
        move || {
            leptos::task::spawn_local(async move {
                let stale = session.token_untracked();
                match renew(session, stale.as_deref()).await {
                    Ok(_) => {}
                    // The server said no: the sign-in is over.
                    Err(error) if error.status() == Some(401) => session.expire(),
                    // Offline for a moment: the next call's 401 will try again.
                    Err(_) => {}
                }
            });
        },
        delay,
    );
    if let Ok(handle) = handle {
        RENEW_TIMER.with(|timer| *timer.borrow_mut() = Some(handle));
    }
}

fn cancel_renewal() {
    RENEW_TIMER.with(|timer| {
        if let Some(handle) = timer.borrow_mut().take() {
            handle.clear();
        }
    });
}

/// Gets a fresh access token, at most one refresh at a time. When the token changed
/// since `stale` (another call renewed it meanwhile) that token is returned without
/// asking the server again.
async fn renew(session: Session, stale: Option<&str>) -> Result<String, ApiError> {
    let lock = RENEWING.with(Rc::clone);
    let _guard = lock.lock().await;
    if let Some(current) = session.token_untracked()
        && Some(current.as_str()) != stale
    {
        return Ok(current);
    }
    let response = refresh().await?;
    let token = response.access_token.clone();
    start_session(session, response);
    Ok(token)
}

/// Sends an authenticated request; on 401 renews once and retries once, and when that
/// fails too the session ends (the app then shows the sign-in page).
async fn send_authed(
    session: Session,
    method: Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<String>,
) -> Result<Response, ApiError> {
    let token = session.token_untracked();
    let response = send(method.clone(), path, query, body.clone(), token.as_deref()).await?;
    if response.status() != 401 {
        return Ok(response);
    }
    match renew(session, token.as_deref()).await {
        Ok(fresh) => {
            let retried = send(method, path, query, body, Some(&fresh)).await?;
            if retried.status() == 401 {
                session.expire();
            }
            Ok(retried)
        }
        Err(error) if error.status() == Some(401) => {
            session.expire();
            Ok(response)
        }
        Err(error) => Err(error),
    }
}

// ---------- Calls as the signed-in person ----------

/// `GET /api/v1/me`.
/// `GET /api/v1/system/status`: the server's version, uptime and the health of its
/// parts; with details (latencies, errors, migrations) for owners and admins.
pub async fn system_status(session: Session) -> Result<SystemStatusResponse, ApiError> {
    read_json(send_authed(session, Method::GET, "/api/v1/system/status", &[], None).await?).await
}

pub async fn me(session: Session) -> Result<MeResponse, ApiError> {
    read_json(send_authed(session, Method::GET, "/api/v1/me", &[], None).await?).await
}

/// `POST /api/v1/me/password`: answers with a new session that replaces the old one.
pub async fn change_password(
    session: Session,
    request: &ChangePasswordRequest,
) -> Result<SessionResponse, ApiError> {
    let body = to_json(request)?;
    read_json(
        send_authed(
            session,
            Method::POST,
            "/api/v1/me/password",
            &[],
            Some(body),
        )
        .await?,
    )
    .await
}

/// `GET /api/v1/people` with filters and a cursor.
pub async fn people(session: Session, filter: &PeopleQuery) -> Result<Page<Person>, ApiError> {
    let mut query = Vec::new();
    push(&mut query, "q", search(filter.q.as_deref()));
    push(
        &mut query,
        "role",
        filter.role.map(|role| role.as_str().to_owned()),
    );
    push(
        &mut query,
        "team_id",
        filter.team_id.map(|id| id.to_string()),
    );
    push(
        &mut query,
        "status",
        filter.status.map(|status| status.as_str().to_owned()),
    );
    push(
        &mut query,
        "deleted",
        filter.deleted.map(|deleted| deleted.to_string()),
    );
    push_page(&mut query, filter.cursor.clone(), filter.limit);
    read_json(send_authed(session, Method::GET, "/api/v1/people", &query, None).await?).await
}

/// `PATCH /api/v1/people/{id}`.
pub async fn update_person(
    session: Session,
    id: UserId,
    request: &UpdatePersonRequest,
) -> Result<Person, ApiError> {
    let body = to_json(request)?;
    let path = format!("/api/v1/people/{id}");
    read_json(send_authed(session, Method::PATCH, &path, &[], Some(body)).await?).await
}

/// `DELETE /api/v1/people/{id}`.
pub async fn delete_person(session: Session, id: UserId) -> Result<(), ApiError> {
    let path = format!("/api/v1/people/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `POST /api/v1/people/{id}/restore`: brings back a person deleted within the grace
/// period (owners).
pub async fn restore_person(session: Session, id: UserId) -> Result<Person, ApiError> {
    let path = format!("/api/v1/people/{id}/restore");
    read_json(send_authed(session, Method::POST, &path, &[], None).await?).await
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
    let body = to_json(request)?;
    read_json(
        send_authed(
            session,
            Method::POST,
            "/api/v1/invitations",
            &[],
            Some(body),
        )
        .await?,
    )
    .await
}

/// `DELETE /api/v1/invitations/{id}`: revokes an open invitation.
pub async fn revoke_invitation(session: Session, id: InvitationId) -> Result<(), ApiError> {
    let path = format!("/api/v1/invitations/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `GET /api/v1/teams`: every team the person may see (every page).
pub async fn teams(session: Session) -> Result<Vec<Team>, ApiError> {
    all_pages(session, "/api/v1/teams").await
}

/// `POST /api/v1/teams`.
pub async fn create_team(session: Session, request: &CreateTeamRequest) -> Result<Team, ApiError> {
    let body = to_json(request)?;
    read_json(send_authed(session, Method::POST, "/api/v1/teams", &[], Some(body)).await?).await
}

/// `PATCH /api/v1/teams/{id}`.
pub async fn update_team(
    session: Session,
    id: TeamId,
    request: &UpdateTeamRequest,
) -> Result<Team, ApiError> {
    let body = to_json(request)?;
    let path = format!("/api/v1/teams/{id}");
    read_json(send_authed(session, Method::PATCH, &path, &[], Some(body)).await?).await
}

/// `DELETE /api/v1/teams/{id}?move_to=`: its people go to `move_to`.
pub async fn delete_team(
    session: Session,
    id: TeamId,
    move_to: Option<TeamId>,
) -> Result<(), ApiError> {
    let path = format!("/api/v1/teams/{id}");
    let mut query = Vec::new();
    push(&mut query, "move_to", move_to.map(|id| id.to_string()));
    read_empty(send_authed(session, Method::DELETE, &path, &query, None).await?).await
}

/// `GET /api/v1/api-keys`: every key, revoked ones included (every page).
pub async fn api_keys(session: Session) -> Result<Vec<ApiKey>, ApiError> {
    all_pages(session, "/api/v1/api-keys").await
}

/// `POST /api/v1/api-keys`: the answer holds the secret, shown this once.
pub async fn create_api_key(
    session: Session,
    request: &CreateApiKeyRequest,
) -> Result<ApiKeyCreatedResponse, ApiError> {
    let body = to_json(request)?;
    read_json(send_authed(session, Method::POST, "/api/v1/api-keys", &[], Some(body)).await?).await
}

/// `DELETE /api/v1/api-keys/{id}`: revokes the key (it stays listed).
pub async fn revoke_api_key(session: Session, id: ApiKeyId) -> Result<(), ApiError> {
    let path = format!("/api/v1/api-keys/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `GET /api/v1/audit-events` with filters and a cursor.
pub async fn audit_events(
    session: Session,
    filter: &AuditQuery,
) -> Result<Page<AuditEvent>, ApiError> {
    let query = audit_query(filter);
    read_json(send_authed(session, Method::GET, "/api/v1/audit-events", &query, None).await?).await
}

/// `GET /api/v1/audit-events.csv` with the same filters: the CSV text.
pub async fn audit_csv(session: Session, filter: &AuditQuery) -> Result<String, ApiError> {
    let query = audit_query(&AuditQuery {
        cursor: None,
        limit: None,
        ..filter.clone()
    });
    let response = send_authed(
        session,
        Method::GET,
        "/api/v1/audit-events.csv",
        &query,
        None,
    )
    .await?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    response
        .text()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// `GET /api/v1/audit-events/verify`: whether the hash chain holds.
pub async fn audit_verify(session: Session) -> Result<AuditVerifyResponse, ApiError> {
    read_json(
        send_authed(
            session,
            Method::GET,
            "/api/v1/audit-events/verify",
            &[],
            None,
        )
        .await?,
    )
    .await
}

/// `GET /api/v1/alerts` with filters and a cursor: newest first.
pub async fn alerts(session: Session, filter: &AlertQuery) -> Result<Page<Alert>, ApiError> {
    let mut query = Vec::new();
    push(
        &mut query,
        "kind",
        filter.kind.map(|kind| kind.as_str().to_owned()),
    );
    push(
        &mut query,
        "severity",
        filter.severity.map(|severity| severity.as_str().to_owned()),
    );
    push(&mut query, "read", filter.read.map(|read| read.to_string()));
    push_page(&mut query, filter.cursor.clone(), filter.limit);
    read_json(send_authed(session, Method::GET, "/api/v1/alerts", &query, None).await?).await
}

/// `GET /api/v1/alerts/unread-count`.
pub async fn unread_alerts(session: Session) -> Result<UnreadCount, ApiError> {
    read_json(
        send_authed(
            session,
            Method::GET,
            "/api/v1/alerts/unread-count",
            &[],
            None,
        )
        .await?,
    )
    .await
}

/// `PUT /api/v1/alerts/{id}/read` (read) or `DELETE` on it (unread again).
pub async fn mark_alert(session: Session, id: AlertId, read: bool) -> Result<(), ApiError> {
    let path = format!("/api/v1/alerts/{id}/read");
    let method = if read { Method::PUT } else { Method::DELETE };
    read_empty(send_authed(session, method, &path, &[], None).await?).await
}

/// `POST /api/v1/alerts/read-all`: says how many alerts were unread.
pub async fn mark_all_alerts_read(session: Session) -> Result<MarkedRead, ApiError> {
    read_json(send_authed(session, Method::POST, "/api/v1/alerts/read-all", &[], None).await?).await
}

/// `POST /api/v1/alerts/test`: raises a test alert for the signed-in person.
pub async fn send_test_alert(session: Session) -> Result<(), ApiError> {
    read_empty(send_authed(session, Method::POST, "/api/v1/alerts/test", &[], None).await?).await
}

/// `POST /api/v1/alerts/stream-tickets`: a single-use ticket for [`open_alert_stream`].
pub async fn alert_stream_ticket(session: Session) -> Result<StreamTicket, ApiError> {
    read_json(
        send_authed(
            session,
            Method::POST,
            "/api/v1/alerts/stream-tickets",
            &[],
            None,
        )
        .await?,
    )
    .await
}

/// Opens `GET /api/v1/alerts/stream` as an `EventSource`. With `after`, the server first
/// sends the alerts whose `seq` is greater (or a `resync` when it cannot).
///
/// Rationale: an `EventSource` cannot send an `Authorization` header, hence the ticket.
pub fn open_alert_stream(
    ticket: &str,
    after: Option<i64>,
) -> Result<web_sys::EventSource, ApiError> {
    let mut url = format!(
        "/api/v1/alerts/stream?ticket={}",
        js_sys::encode_uri_component(ticket)
    );
    if let Some(seq) = after {
        url.push_str(&format!("&last_event_id={seq}"));
    }
    web_sys::EventSource::new(&url).map_err(|error| {
        ApiError::Network(
            error
                .as_string()
                .unwrap_or_else(|| "the browser refused to open the stream".to_owned()),
        )
    })
}

/// `GET /api/v1/me/alert-preferences`: one entry per kind.
pub async fn alert_preferences(session: Session) -> Result<AlertPreferences, ApiError> {
    read_json(
        send_authed(
            session,
            Method::GET,
            "/api/v1/me/alert-preferences",
            &[],
            None,
        )
        .await?,
    )
    .await
}

/// `PUT /api/v1/me/alert-preferences`: answers with every kind's preference.
pub async fn save_alert_preferences(
    session: Session,
    preferences: &AlertPreferences,
) -> Result<AlertPreferences, ApiError> {
    let body = to_json(preferences)?;
    read_json(
        send_authed(
            session,
            Method::PUT,
            "/api/v1/me/alert-preferences",
            &[],
            Some(body),
        )
        .await?,
    )
    .await
}

/// `GET /api/v1/webhooks`: every endpoint of the company (every page).
pub async fn webhooks(session: Session) -> Result<Vec<WebhookEndpoint>, ApiError> {
    all_pages(session, "/api/v1/webhooks").await
}

/// `POST /api/v1/webhooks`: the answer holds the signing secret, shown this once.
pub async fn create_webhook(
    session: Session,
    request: &CreateWebhookRequest,
) -> Result<WebhookCreatedResponse, ApiError> {
    let body = to_json(request)?;
    read_json(send_authed(session, Method::POST, "/api/v1/webhooks", &[], Some(body)).await?).await
}

/// `PATCH /api/v1/webhooks/{id}`: changes the fields present, e.g. `enabled`.
pub async fn update_webhook(
    session: Session,
    id: WebhookEndpointId,
    request: &UpdateWebhookRequest,
) -> Result<WebhookEndpoint, ApiError> {
    let body = to_json(request)?;
    let path = format!("/api/v1/webhooks/{id}");
    read_json(send_authed(session, Method::PATCH, &path, &[], Some(body)).await?).await
}

/// `DELETE /api/v1/webhooks/{id}`.
pub async fn delete_webhook(session: Session, id: WebhookEndpointId) -> Result<(), ApiError> {
    let path = format!("/api/v1/webhooks/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `POST /api/v1/webhooks/{id}/test`: queues a `webhook.test` event for the endpoint.
pub async fn test_webhook(
    session: Session,
    id: WebhookEndpointId,
) -> Result<WebhookDelivery, ApiError> {
    let path = format!("/api/v1/webhooks/{id}/test");
    read_json(send_authed(session, Method::POST, &path, &[], None).await?).await
}

/// `GET /api/v1/webhooks/{id}/deliveries` with a cursor: newest first.
pub async fn webhook_deliveries(
    session: Session,
    id: WebhookEndpointId,
    page: &PageQuery,
) -> Result<Page<WebhookDelivery>, ApiError> {
    let path = format!("/api/v1/webhooks/{id}/deliveries");
    let mut query = Vec::new();
    push_page(&mut query, page.cursor.clone(), page.limit);
    read_json(send_authed(session, Method::GET, &path, &query, None).await?).await
}

/// `GET /api/v1/webhooks/deliveries/{id}`: the delivery, its attempts and the body sent.
pub async fn webhook_delivery(
    session: Session,
    id: WebhookDeliveryId,
) -> Result<WebhookDeliveryDetail, ApiError> {
    let path = format!("/api/v1/webhooks/deliveries/{id}");
    read_json(send_authed(session, Method::GET, &path, &[], None).await?).await
}

/// `POST /api/v1/webhooks/deliveries/{id}/replay`: sends the same event again, as a new
/// delivery.
pub async fn replay_webhook_delivery(
    session: Session,
    id: WebhookDeliveryId,
) -> Result<WebhookDelivery, ApiError> {
    let path = format!("/api/v1/webhooks/deliveries/{id}/replay");
    read_json(send_authed(session, Method::POST, &path, &[], None).await?).await
}

/// Every person the signed-in person may see, active or not (every page).
pub async fn everyone(session: Session) -> Result<Vec<Person>, ApiError> {
    all_pages(session, "/api/v1/people").await
}

/// `GET /api/v1/agents`: one page of the agents the person may see, newest first, filtered.
pub async fn agents(session: Session, filter: &AgentQuery) -> Result<Page<Agent>, ApiError> {
    let mut query = Vec::new();
    push(&mut query, "q", search(filter.q.as_deref()));
    push(
        &mut query,
        "status",
        filter.status.map(|status| status.as_str().to_owned()),
    );
    push_page(&mut query, filter.cursor.clone(), filter.limit);
    read_json(send_authed(session, Method::GET, "/api/v1/agents", &query, None).await?).await
}

/// `GET /api/v1/agents/counts`: the agents within reach per status.
pub async fn agent_counts(session: Session) -> Result<AgentCounts, ApiError> {
    read_json(send_authed(session, Method::GET, "/api/v1/agents/counts", &[], None).await?).await
}

/// `DELETE /api/v1/agents/{id}`: revokes the agent (it stays listed).
pub async fn revoke_agent(session: Session, id: AgentId) -> Result<(), ApiError> {
    let path = format!("/api/v1/agents/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `GET /api/v1/enrollment-tokens`: every token, revoked and expired ones included.
pub async fn enrollment_tokens(session: Session) -> Result<Vec<EnrollmentToken>, ApiError> {
    all_pages(session, "/api/v1/enrollment-tokens").await
}

/// `POST /api/v1/enrollment-tokens`: the answer holds the `pet_…` secret, shown this once.
pub async fn create_enrollment_token(
    session: Session,
    request: &CreateEnrollmentTokenRequest,
) -> Result<EnrollmentTokenCreated, ApiError> {
    let body = to_json(request)?;
    read_json(
        send_authed(
            session,
            Method::POST,
            "/api/v1/enrollment-tokens",
            &[],
            Some(body),
        )
        .await?,
    )
    .await
}

/// `DELETE /api/v1/enrollment-tokens/{id}`: no more computers enroll with it.
pub async fn revoke_enrollment_token(
    session: Session,
    id: EnrollmentTokenId,
) -> Result<(), ApiError> {
    let path = format!("/api/v1/enrollment-tokens/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `GET /api/v1/policies`: the company default and every override.
pub async fn policies(session: Session) -> Result<PolicyOverview, ApiError> {
    read_json(send_authed(session, Method::GET, "/api/v1/policies", &[], None).await?).await
}

/// `PUT /api/v1/policies/company`: replaces the company default.
pub async fn put_company_policy(
    session: Session,
    settings: &PolicySettings,
) -> Result<CompanyPolicy, ApiError> {
    let body = to_json(settings)?;
    read_json(
        send_authed(
            session,
            Method::PUT,
            "/api/v1/policies/company",
            &[],
            Some(body),
        )
        .await?,
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
    let body = to_json(settings)?;
    read_json(send_authed(session, Method::PUT, &of.path(), &[], Some(body)).await?).await
}

/// `DELETE /api/v1/policies/teams/{id}` or `…/employees/{id}`: the level above applies again.
pub async fn remove_policy_override(session: Session, of: OverrideOf) -> Result<(), ApiError> {
    read_empty(send_authed(session, Method::DELETE, &of.path(), &[], None).await?).await
}

/// `GET /api/v1/policies/effective/{id}`: what applies to one person.
pub async fn effective_policy(session: Session, id: UserId) -> Result<EffectivePolicy, ApiError> {
    let path = format!("/api/v1/policies/effective/{id}");
    read_json(send_authed(session, Method::GET, &path, &[], None).await?).await
}

/// `GET /api/v1/sessions?from&to&user_id`: one person's work sessions overlapping the
/// range (the caller's own without `user`).
pub async fn work_sessions(
    session: Session,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    user: Option<UserId>,
) -> Result<Vec<WorkSession>, ApiError> {
    let mut query = vec![("from", from.to_rfc3339()), ("to", to.to_rfc3339())];
    push(&mut query, "user_id", user.map(|id| id.to_string()));
    read_json(send_authed(session, Method::GET, "/api/v1/sessions", &query, None).await?).await
}

/// `GET /api/v1/sessions/summary?from&to&team_id`: each person's totals over the range.
pub async fn session_summary(
    session: Session,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    team: Option<TeamId>,
) -> Result<Vec<SessionSummary>, ApiError> {
    let mut query = vec![("from", from.to_rfc3339()), ("to", to.to_rfc3339())];
    push(&mut query, "team_id", team.map(|id| id.to_string()));
    read_json(
        send_authed(
            session,
            Method::GET,
            "/api/v1/sessions/summary",
            &query,
            None,
        )
        .await?,
    )
    .await
}

/// `GET /api/v1/screenshots?from&to&user_id` with a cursor: newest first.
pub async fn screenshots(
    session: Session,
    filter: &ScreenshotQuery,
) -> Result<Page<Screenshot>, ApiError> {
    let mut query = vec![
        ("from", filter.from.to_rfc3339()),
        ("to", filter.to.to_rfc3339()),
    ];
    push(
        &mut query,
        "user_id",
        filter.user_id.map(|id| id.to_string()),
    );
    push_page(&mut query, filter.cursor.clone(), filter.limit);
    read_json(send_authed(session, Method::GET, "/api/v1/screenshots", &query, None).await?).await
}

/// Which picture of a screenshot to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Thumbnail,
    Image,
}

/// A `blob:` URL of a picture held in the browser's memory; revoked (the memory freed)
/// when the last handle to it is dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct ObjectUrl(String);

impl ObjectUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// `GET /api/v1/screenshots/{id}/thumbnail` or `…/image`, as a `blob:` URL the page can
/// show.
///
/// Rationale: the pictures need the `Authorization` header, which an `<img src>` cannot
/// send; the bytes stay in the browser's memory, never in a cache or a URL with a token.
pub async fn screenshot_picture(
    session: Session,
    id: ScreenshotId,
    picture: Picture,
) -> Result<ObjectUrl, ApiError> {
    let path = match picture {
        Picture::Thumbnail => format!("/api/v1/screenshots/{id}/thumbnail"),
        Picture::Image => format!("/api/v1/screenshots/{id}/image"),
    };
    let response = send_authed(session, Method::GET, &path, &[], None).await?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    let raw: web_sys::Response = response.into();
    let promise = raw
        .blob()
        .map_err(|_| ApiError::Decode("the answer has no body".to_owned()))?;
    let blob = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Network("the picture could not be read".to_owned()))?;
    let blob: web_sys::Blob = wasm_bindgen::JsCast::dyn_into(blob)
        .map_err(|_| ApiError::Decode("the answer is not a picture".to_owned()))?;
    web_sys::Url::create_object_url_with_blob(&blob)
        .map(ObjectUrl)
        .map_err(|_| ApiError::Decode("the browser refused to show the picture".to_owned()))
}

/// `DELETE /api/v1/screenshots/{id}`.
pub async fn delete_screenshot(session: Session, id: ScreenshotId) -> Result<(), ApiError> {
    let path = format!("/api/v1/screenshots/{id}");
    read_empty(send_authed(session, Method::DELETE, &path, &[], None).await?).await
}

/// `GET /api/v1/screenshots/{id}/views`: who else opened it, newest first.
pub async fn screenshot_views(
    session: Session,
    id: ScreenshotId,
) -> Result<Vec<ScreenshotView>, ApiError> {
    let path = format!("/api/v1/screenshots/{id}/views");
    read_json(send_authed(session, Method::GET, &path, &[], None).await?).await
}

/// `GET /api/v1/me/screenshot-views` with a cursor: who opened the signed-in person's
/// screenshots, newest first.
pub async fn my_screenshot_views(
    session: Session,
    page: &PageQuery,
) -> Result<Page<ScreenshotView>, ApiError> {
    let mut query = Vec::new();
    push_page(&mut query, page.cursor.clone(), page.limit);
    read_json(
        send_authed(
            session,
            Method::GET,
            "/api/v1/me/screenshot-views",
            &query,
            None,
        )
        .await?,
    )
    .await
}

fn audit_query(filter: &AuditQuery) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    push(
        &mut query,
        "actor_id",
        filter.actor_id.map(|id| id.to_string()),
    );
    push(
        &mut query,
        "action",
        filter.action.clone().filter(|a| !a.trim().is_empty()),
    );
    push(
        &mut query,
        "target_kind",
        filter.target_kind.clone().filter(|k| !k.trim().is_empty()),
    );
    push(
        &mut query,
        "target_id",
        filter.target_id.map(|id| id.to_string()),
    );
    push(&mut query, "from", filter.from.map(|at| at.to_rfc3339()));
    push(&mut query, "to", filter.to.map(|at| at.to_rfc3339()));
    push_page(&mut query, filter.cursor.clone(), filter.limit);
    query
}

/// Every page of a list that takes only `cursor` and `limit`.
async fn all_pages<T: DeserializeOwned>(session: Session, path: &str) -> Result<Vec<T>, ApiError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    // A bound, so a server that keeps answering with a cursor cannot loop us forever.
    for _ in 0..50 {
        let mut query = vec![("limit", pulse_shared::page::MAX_PAGE_SIZE.to_string())];
        push(&mut query, "cursor", cursor.take());
        let page: Page<T> =
            read_json(send_authed(session, Method::GET, path, &query, None).await?).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(items)
}

// ---------- Plumbing ----------

fn push(query: &mut Vec<(&'static str, String)>, name: &'static str, value: Option<String>) {
    if let Some(value) = value {
        query.push((name, value));
    }
}

/// A list's `cursor` and `limit`, when given.
fn push_page(query: &mut Vec<(&'static str, String)>, cursor: Option<String>, limit: Option<u32>) {
    push(query, "cursor", cursor);
    push(query, "limit", limit.map(|limit| limit.to_string()));
}

/// A search text worth sending: not blank.
fn search(q: Option<&str>) -> Option<String> {
    q.filter(|q| !q.trim().is_empty()).map(str::to_owned)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|error| ApiError::Decode(error.to_string()))
}

/// Sends one same-origin request (cookies included, so the refresh cookie travels).
async fn send(
    method: Method,
    path: &str,
    query: &[(&str, String)],
    body: Option<String>,
    token: Option<&str>,
) -> Result<Response, ApiError> {
    let mut builder = RequestBuilder::new(path)
        .method(method)
        .header("Accept", "application/json")
        .query(query.iter().map(|(name, value)| (*name, value.as_str())));
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body),
        None => builder.build(),
    }
    .map_err(|error| ApiError::Network(error.to_string()))?;
    request
        .send()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))
}

/// Turns a response into `T`, or into the most precise [`ApiError`] it carries.
async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ApiError::Decode(error.to_string()));
    }
    Err(error_of(response).await)
}

/// Accepts any success (usually 204), or turns the answer into an [`ApiError`].
async fn read_empty(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(response).await)
    }
}

async fn error_of(response: Response) -> ApiError {
    if response.status() == 429 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.trim().parse().ok());
        return ApiError::TooManyRequests { retry_after };
    }
    let is_problem = response
        .headers()
        .get("content-type")
        .is_some_and(|content_type| content_type.starts_with(PROBLEM_JSON));
    if is_problem {
        // A problem document that does not parse still has a status worth reporting.
        if let Ok(problem) = response.json::<Problem>().await {
            return ApiError::Problem(Box::new(problem));
        }
    }
    ApiError::Status {
        status: response.status(),
        text: response.status_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_words() {
        assert_eq!(wait_in_words(1), "1 second");
        assert_eq!(wait_in_words(30), "30 seconds");
        assert_eq!(wait_in_words(60), "1 minute");
        assert_eq!(wait_in_words(61), "2 minutes");
    }
}
