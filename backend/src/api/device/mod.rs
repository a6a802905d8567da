//! `/api/v1/agent/*`: every call desktop agents make. `enroll` trades an enrollment
//! token for a device credential; every other call (heartbeat, activity, policy, and
//! the screenshot upload in [`screenshots`]) sends that credential as a bearer token.

pub mod screenshots;

use actix_web::http::header::{self, ETag, EntityTag};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use diesel_async::AsyncConnection;
use std::collections::HashSet;

use pulse_shared::FieldError;
use pulse_shared::activity::{ActivityBatch, ActivityReceipt, MAX_BATCH_EVENTS};
use pulse_shared::agents::{
    AgentStatus, EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse,
};
use pulse_shared::audit::{ActorKind, AuditAction, TargetKind};
use pulse_shared::ids::{AgentId, UserId};
use pulse_shared::people::Role;
use pulse_shared::policies::EffectivePolicy;
use serde_json::json;

use super::extract::{CompressedJson, Json};
use crate::alerting;
use crate::auth::device::{CREDENTIAL_PREFIX, Device};
use crate::auth::principal::request_actor;
use crate::auth::rate_limit::SECRET_MISSES_PER_ADDRESS;
use crate::auth::secrets::{random_token, token_hash};
use crate::billing::seats;
use crate::db::agents::{self, AgentRow, Unusable};
use crate::db::audit::{self, Change};
use crate::db::{activity, people, policies};
use crate::domain::sessions;
use crate::errors::ApiError;
use crate::state::AppState;

/// What enrolling with a token nobody made says.
const UNKNOWN_TOKEN: &str = "This enrollment token is not known.";

/// Enrolls this computer: checks the token (not revoked, not expired, not used up),
/// finds the employee, takes a seat if the employee has none yet, and answers the
/// device credential, once.
#[utoipa::path(
    tag = "agent",
    request_body = EnrollRequest,
    responses(
        (status = CREATED, body = EnrollResponse),
        (status = UNAUTHORIZED, description = "The token is unknown, revoked, expired or used up", body = pulse_shared::Problem),
        (status = CONFLICT, description = "Every seat is taken", body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, description = "Too many unknown tokens from this address", body = pulse_shared::Problem)
    )
)]
#[post("/agent/enroll")]
pub async fn enroll(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<EnrollRequest>,
) -> Result<HttpResponse, ApiError> {
    ApiError::check_fields([
        ("/hostname", host_fact(&body.hostname)),
        ("/os", host_fact(&body.os)),
        ("/agent_version", host_fact(&body.agent_version)),
    ])?;
    let credential = format!("{CREDENTIAL_PREFIX}{}", random_token(32)?);
    let agent_id = AgentId::generate();
    let actor = request_actor(&req, ActorKind::Agent, Some(agent_id.0));
    let address = state.client_address(&req);
    state
        .limits
        .refuse_known(SECRET_MISSES_PER_ADDRESS, &address)?;
    let mut conn = state.db.system().await?;
    let enrolled = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let token = match agents::use_token(conn, &token_hash(body.token.trim()), actor.at).await? {
                Ok(token) => token,
                Err(Unusable::Unknown) => return Err(ApiError::Unauthorized(UNKNOWN_TOKEN)),
                Err(Unusable::Revoked) => {
                    return Err(ApiError::Unauthorized("This enrollment token was revoked."));
                }
                Err(Unusable::Expired) => {
                    return Err(ApiError::Unauthorized("This enrollment token has expired."));
                }
                Err(Unusable::UsedUp) => {
                    return Err(ApiError::Unauthorized(
                        "This enrollment token has been used as often as it allows.",
                    ));
                }
            };
            let company = token.company_id;
            let person = match (token.user_id, body.employee_email.as_deref()) {
                (Some(user), _) => people::user(conn, company, UserId(user.0)).await?,
                (None, Some(email)) => match people::user_by_email(conn, email.trim()).await? {
                    Some(person) if person.company_id == company => person,
                    _ => {
                        return Err(ApiError::field(
                            "/employee_email",
                            "unknown",
                            "No employee of this company has this address.",
                        ));
                    }
                },
                (None, None) => {
                    return Err(ApiError::field(
                        "/employee_email",
                        "required",
                        "This token names no employee: give the employee's e-mail address.",
                    ));
                }
            };
            if !person.is_active() {
                return Err(ApiError::field(
                    "/employee_email",
                    "inactive",
                    "This employee is deactivated.",
                ));
            }
            // A token for anyone in the company does not reach the people who run it: a
            // computer is enrolled as an owner or admin only with a token made for them.
            if token.user_id.is_none() && matches!(person.role(), Role::Owner | Role::Admin) {
                return Err(ApiError::field(
                    "/employee_email",
                    "not_allowed",
                    "A company-wide token enrolls employees and managers; make a token for this person.",
                ));
            }
            let (seats, taken) = agents::lock_seats(conn, company).await?;
            let had_seat = agents::holds_seat(conn, company, person.id).await?;
            if let Some(seats) = seats
                && taken >= seats
                && !had_seat
            {
                return Err(ApiError::Conflict(format!(
                    "All {seats} seats are taken: revoke an agent or add seats to enroll another employee."
                )));
            }
            let row = AgentRow {
                company_id: company,
                id: agent_id,
                user_id: person.id,
                hostname: body.hostname.trim().to_owned(),
                os: body.os.trim().to_owned(),
                agent_version: body.agent_version.trim().to_owned(),
                secret_hash: token_hash(&credential),
                enrolled_with: Some(token.id),
                enrolled_at: state.clock.now(),
                last_seen_at: None,
                last_state: None,
                presence: AgentStatus::Offline,
                revoked_at: None,
                spool_pending: None,
                spool_dropped: None,
                spool_dead_letters: None,
            };
            agents::insert_agent(conn, &row).await?;
            let change = Change {
                action: AuditAction::AgentEnrolled,
                target_kind: TargetKind::Agent,
                target_id: Some(agent_id.0),
                summary: json!({"after": {"hostname": row.hostname, "os": row.os, "agent_version": row.agent_version, "user_id": row.user_id, "enrollment_token_id": token.id}}),
            };
            audit::record(conn, company, &actor, change).await?;
            let now = state.clock.now();
            if let Some(alert) = seats.and_then(|seats| {
                seats::crossing(taken, taken + i32::from(!had_seat), seats)
            }) {
                alerting::resolve(conn, company, alert.kind, &alert.subject, now).await?;
                alerting::raise(conn, company, alert, now).await?;
            }
            Ok((company, person.id, person.team_id))
        })
        .await;
    let (company, user, team) = match enrolled {
        Err(ApiError::Unauthorized(message)) if message == UNKNOWN_TOKEN => {
            // Guessed tokens count against the address: past the budget, 429. The
            // connection goes back first: counting takes one of its own.
            drop(conn);
            state
                .limits
                .hit(SECRET_MISSES_PER_ADDRESS, &address)
                .await?;
            return Err(ApiError::Unauthorized(UNKNOWN_TOKEN));
        }
        enrolled => enrolled?,
    };
    let effective = policies::effective(&mut conn, company, user, team).await?;
    Ok(HttpResponse::Created().json(EnrollResponse {
        agent_id,
        user_id: user,
        credential,
        policy_version: effective.version,
    }))
}

/// "Still here": records when the agent was last heard from, in which state and what
/// waits in its spool (admins see it on the agent; a heartbeat without `spool` clears
/// it), and answers the current policy version. Cheap and idempotent: heartbeats are
/// written in bulk within `PULSE_SEEN_FLUSH_MS`.
#[utoipa::path(
    tag = "agent",
    security(("device" = [])),
    request_body = HeartbeatRequest,
    responses((status = OK, body = HeartbeatResponse), (status = UNAUTHORIZED, body = pulse_shared::Problem))
)]
#[post("/agent/heartbeat")]
pub async fn heartbeat(
    device: Device,
    state: web::Data<AppState>,
    Json(body): Json<HeartbeatRequest>,
) -> Result<web::Json<HeartbeatResponse>, ApiError> {
    let now = state.clock.now();
    state.seen.record(
        device.company_id,
        device.agent_id,
        body.state,
        body.spool,
        now,
    );
    let effective = state
        .agent_cache
        .effective(&state.db, device.company_id, device.user_id, device.team_id)
        .await?;
    Ok(web::Json(HeartbeatResponse {
        policy_version: effective.version.clone(),
        server_time: now,
    }))
}

/// The largest activity batch body, once decompressed.
const ACTIVITY_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// The most field errors one answer lists.
const MAX_FIELD_ERRORS: usize = 100;

/// Stores a batch of activity, and queues it for the employee's work sessions (built
/// within about a second, `PULSE_SESSIONS_EVERY_MS`). Every event is checked first; one bad event refuses the batch (422 naming each one, e.g.
/// `/events/3/duration_secs`) and stores nothing. Events the policy does not allow are
/// trimmed (titles, URLs, excluded apps and domains). Answers after the commit; sending
/// the same events again stores nothing and says so.
#[utoipa::path(
    tag = "agent",
    security(("device" = [])),
    request_body(content = ActivityBatch, description = "Up to 1,000 events, at most 4 MiB once decoded (Content-Encoding gzip or br accepted)"),
    responses(
        (status = OK, body = ActivityReceipt),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = PAYLOAD_TOO_LARGE, body = pulse_shared::Problem),
        (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem)
    )
)]
#[post("/agent/activity")]
pub async fn upload_activity(
    device: Device,
    state: web::Data<AppState>,
    CompressedJson(batch): CompressedJson<ActivityBatch, ACTIVITY_BODY_LIMIT>,
) -> Result<web::Json<ActivityReceipt>, ApiError> {
    let now = state.clock.now();
    let received = batch.events.len();
    if received == 0 {
        return Err(ApiError::field(
            "/events",
            "required",
            "Send at least one event.",
        ));
    }
    if received > MAX_BATCH_EVENTS {
        return Err(ApiError::field(
            "/events",
            "too_many",
            "Send at most 1,000 events per batch.",
        ));
    }
    let faults: Vec<FieldError> = batch
        .events
        .iter()
        .enumerate()
        .flat_map(|(index, event)| {
            event
                .check(now)
                .into_iter()
                .map(move |(field, (code, message))| FieldError {
                    field: format!("/events/{index}/{field}"),
                    code: code.into(),
                    message: message.into(),
                })
        })
        .take(MAX_FIELD_ERRORS)
        .collect();
    if !faults.is_empty() {
        return Err(ApiError::Validation(faults));
    }
    let effective = state
        .agent_cache
        .effective(&state.db, device.company_id, device.user_id, device.team_id)
        .await?;
    let mut ids = HashSet::with_capacity(received);
    let events: Vec<_> = batch
        .events
        .into_iter()
        .filter(|event| ids.insert(event.id))
        .map(|event| sessions::redact(event, &effective.settings))
        .collect();
    let idle_gap = chrono::Duration::seconds(i64::from(effective.settings.idle_threshold_secs));
    let device_key = (device.company_id, device.agent_id, device.user_id);
    let mut conn = state.db.tenant(device.company_id).await?;
    // One computer covers no time twice: events overlapping what it reported are cut.
    let span = (
        events.iter().map(|e| e.started_at).min().unwrap_or(now),
        events.iter().map(|e| e.ended_at()).max().unwrap_or(now),
    );
    let ids: Vec<_> = events.iter().map(|event| event.id).collect();
    let reported = activity::reported_stretches(&mut conn, device_key, span, &ids).await?;
    let trimmed = sessions::without_overlap(events, reported);
    let queue_facts = (idle_gap, effective.settings.time_zone.as_str());
    let stored = activity::insert_events(&mut conn, device_key, &trimmed.kept, queue_facts, now)
        .await?
        .len();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let stored = count(stored);
    Ok(web::Json(ActivityReceipt {
        stored,
        duplicates: count(received)
            .saturating_sub(stored)
            .saturating_sub(count(trimmed.dropped)),
        overlapping: count(trimmed.shortened + trimmed.dropped),
    }))
}

/// The effective policy for this agent's employee. Send the `ETag` back as
/// `If-None-Match`: an unchanged policy answers 304 with no body.
#[utoipa::path(
    tag = "agent",
    security(("device" = [])),
    responses(
        (status = OK, body = EffectivePolicy, headers(("ETag" = String, description = "The policy version, quoted"))),
        (status = NOT_MODIFIED, description = "The policy is the one named by If-None-Match"),
        (status = UNAUTHORIZED, body = pulse_shared::Problem)
    )
)]
#[get("/agent/policy")]
pub async fn policy(
    req: HttpRequest,
    device: Device,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.db.tenant(device.company_id).await?;
    let effective =
        policies::effective(&mut conn, device.company_id, device.user_id, device.team_id).await?;
    state.agent_cache.store_policy(
        device.company_id,
        device.user_id,
        device.team_id,
        std::sync::Arc::new(effective.clone()),
    );
    let tag = EntityTag::new_strong(effective.version.clone());
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| matches_tag(value, &effective.version));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header(ETag(tag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(EffectivePolicy {
            user_id: device.user_id,
            settings: effective.settings,
            version: effective.version,
            team: effective.team,
            employee: effective.employee,
        }))
}

/// Whether an `If-None-Match` value names `version` (weakly, as RFC 9110 says for
/// this header) or is `*`.
fn matches_tag(header: &str, version: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == version
    })
}

/// A host fact: 1 to 255 printable characters.
fn host_fact(value: &str) -> Result<(), pulse_shared::validate::Invalid> {
    let value = value.trim();
    if value.is_empty() {
        Err(("required", "This cannot be empty."))
    } else if value.chars().count() > pulse_shared::agents::MAX_HOST_FACT_CHARS {
        Err(("too_long", "Use at most 255 characters."))
    } else if value.chars().any(char::is_control) {
        Err(("invalid", "This contains control characters."))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_version() {
        assert!(matches_tag("\"abc\"", "abc"));
        assert!(matches_tag("W/\"abc\", \"def\"", "def"));
        assert!(matches_tag("*", "abc"));
        assert!(!matches_tag("\"abd\"", "abc"));
    }
}
