//! `/api/v1/alerts`: a person's alerts, their read state, the live stream, and
//! `/api/v1/me/alert-preferences`.
//!
//! The live stream is Server-Sent Events. Browsers cannot put an `Authorization` header
//! on an `EventSource`, so the app first trades its access token for a stream ticket
//! (`POST /alerts/stream-tickets`): 32 random bytes, stored hashed, valid for a minute,
//! deleted when a stream opens with it. A ticket in a URL therefore cannot be replayed
//! from a log or history. Other clients may send the bearer token instead.

use pulse_shared::audit::{AuditAction, TargetKind};
use std::collections::VecDeque;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, put, web};
use diesel_async::AsyncConnection;
use pulse_shared::Page;
use pulse_shared::access::Action;
use pulse_shared::alerts::{
    Alert, AlertKind, AlertPreferences, AlertQuery, AlertSubject, MarkedRead, StreamTicket,
    UnreadCount,
};
use pulse_shared::ids::{AlertId, CompanyId, UserId};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::extract::Json;
use super::paging;
use crate::alerting::live::{LiveEvent, NoSlot, StreamSlot};
use crate::alerting::{self, Audience, NewAlert};
use crate::auth::principal::Principal;
use crate::auth::rate_limit::{SENDS_PER_PERSON, STREAM_TICKETS_PER_PERSON};
use crate::auth::secrets::{random_token, token_hash};
use crate::db::alerts::{self, Filter, Window};
use crate::db::audit::{self, Change};
use crate::db::people;
use crate::errors::ApiError;
use crate::state::AppState;

/// How long a stream ticket can wait to be used.
const TICKET_TTL_SECS: i64 = 60;
/// How long one stream stays open; the client reconnects with a new ticket, which
/// re-checks that the person may still sign in.
const STREAM_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The most missed alerts a resuming stream replays before asking the client to resync.
const RESUME_LIMIT: i64 = 200;

/// The signed-in person's alerts, newest first.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(AlertQuery),
    responses((status = OK, body = Page<Alert>), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[get("/alerts")]
pub async fn list(
    principal: Principal,
    state: web::Data<AppState>,
    query: web::Query<AlertQuery>,
) -> Result<web::Json<Page<Alert>>, ApiError> {
    principal.require(Action::ReadAlerts)?;
    let limit = paging::page_size(query.limit)?;
    let before = paging::cursor::<i64>(query.cursor.as_deref())?;
    let filter = Filter {
        kind: query.kind,
        severity: query.severity,
        read: query.read,
    };
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let rows = alerts::inbox(
        &mut conn,
        principal.company_id(),
        principal.user_id(),
        filter,
        Window::Before(before),
        limit + 1,
    )
    .await?;
    Ok(web::Json(paging::page(rows, limit, |alert: &Alert| {
        alert.seq.to_string()
    })))
}

/// How many of the signed-in person's alerts are unread.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), responses((status = OK, body = UnreadCount)))]
#[get("/alerts/unread-count")]
pub async fn unread_count(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<UnreadCount>, ApiError> {
    principal.require(Action::ReadAlerts)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let unread = alerts::unread(&mut conn, principal.company_id(), principal.user_id()).await?;
    Ok(web::Json(UnreadCount { unread }))
}

/// Marks one alert read (the first time read is kept).
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The alert's id")),
    responses((status = NO_CONTENT, description = "Read"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[put("/alerts/{id}/read")]
pub async fn mark_read(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<AlertId>,
) -> Result<HttpResponse, ApiError> {
    mark(&principal, &state, *id, true).await
}

/// Marks one alert unread again.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The alert's id")),
    responses((status = NO_CONTENT, description = "Unread"), (status = NOT_FOUND, body = pulse_shared::Problem))
)]
#[delete("/alerts/{id}/read")]
pub async fn mark_unread(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<AlertId>,
) -> Result<HttpResponse, ApiError> {
    mark(&principal, &state, *id, false).await
}

async fn mark(
    principal: &Principal,
    state: &AppState,
    alert: AlertId,
    read: bool,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ReadAlerts)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    match alerts::mark(
        &mut conn,
        principal.company_id(),
        principal.user_id(),
        alert,
        read,
        state.clock.now(),
    )
    .await?
    {
        0 => Err(ApiError::NotFound),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

/// Marks every unread alert of the signed-in person read.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), responses((status = OK, body = MarkedRead)))]
#[post("/alerts/read-all")]
pub async fn mark_all_read(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<MarkedRead>, ApiError> {
    principal.require(Action::ReadAlerts)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let marked = alerts::mark_all(
        &mut conn,
        principal.company_id(),
        principal.user_id(),
        state.clock.now(),
    )
    .await?;
    Ok(web::Json(MarkedRead {
        marked: i64::try_from(marked).unwrap_or(i64::MAX),
    }))
}

/// Sends the signed-in person a test alert through every channel they chose for the
/// `test` kind (the app, email), to check that alerts reach them.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    responses(
        (status = NO_CONTENT, description = "Raised"),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "More than 60 test sends and replays in a minute")
    )
)]
#[post("/alerts/test")]
pub async fn send_test(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ReadAlerts)?;
    state
        .limits
        .hit(SENDS_PER_PERSON, &principal.user_id().to_string())
        .await?;
    let alert = NewAlert {
        kind: AlertKind::Test,
        title: "Test alert".to_owned(),
        body: "You asked for this alert to check that alerts reach you. They do.".to_owned(),
        subject: AlertSubject {
            user_id: Some(principal.user_id()),
            ..AlertSubject::default()
        },
        audience: Audience::Person(principal.user_id()),
        agents: Vec::new(),
    };
    let mut conn = state.db.tenant(principal.company_id()).await?;
    alerting::raise(&mut conn, principal.company_id(), alert, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A single-use ticket for opening the alert stream from a browser.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    responses(
        (status = CREATED, body = StreamTicket),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "More than 60 tickets in a minute")
    )
)]
#[post("/alerts/stream-tickets")]
pub async fn stream_ticket(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Action::ReadAlerts)?;
    state
        .limits
        .hit(STREAM_TICKETS_PER_PERSON, &principal.user_id().to_string())
        .await?;
    let ticket = random_token(32)?;
    let expires_at = state.clock.now() + chrono::Duration::seconds(TICKET_TTL_SECS);
    let mut conn = state.db.tenant(principal.company_id()).await?;
    alerts::insert_ticket(
        &mut conn,
        principal.company_id(),
        principal.user_id(),
        token_hash(&ticket),
        expires_at,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(StreamTicket { ticket, expires_at }))
}

/// `GET /api/v1/alerts/stream` parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// A ticket from `POST /alerts/stream-tickets`; without one, send the bearer token.
    pub ticket: Option<String>,
    /// Resume after this event id (the `seq` of the last alert received); the
    /// `Last-Event-ID` header does the same.
    pub last_event_id: Option<i64>,
}

/// New alerts as they are raised, as Server-Sent Events: `event: alert` with the
/// recipient's `seq` as `id` and the [`Alert`] as JSON `data`; `event: resync` when
/// alerts may have been missed (refetch); a `: ping` comment every 15 seconds. Resumes
/// after `Last-Event-ID`. The server ends a stream after 15 minutes; reconnect with a
/// new ticket.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = []), ()),
    params(StreamQuery),
    responses(
        (status = OK, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = UNAUTHORIZED, body = pulse_shared::Problem),
        (status = TOO_MANY_REQUESTS, body = pulse_shared::Problem, description = "This person holds as many streams open as allowed (`PULSE_MAX_STREAMS_PER_PERSON`)"),
        (status = SERVICE_UNAVAILABLE, body = pulse_shared::Problem, description = "The replica holds `PULSE_MAX_STREAMS` streams")
    )
)]
#[get("/alerts/stream")]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    // Each step holds at most one database connection, and only while it runs: a
    // burst of streams opening at once must not take the pool two at a time.
    let (company, user) = match &query.ticket {
        Some(ticket) => {
            let mut conn = state.db.system().await?;
            let (company, user) =
                alerts::take_ticket(&mut conn, &token_hash(ticket), state.clock.now())
                    .await?
                    .ok_or(ApiError::Unauthorized(
                        "This stream ticket is unknown, used or expired; ask for a new one.",
                    ))?;
            match people::user(&mut conn, company, user).await {
                Ok(person) if person.is_active() => (company, user),
                _ => return Err(ApiError::Unauthorized("Sign in to continue.")),
            }
        }
        None => {
            let principal = Principal::from_request(&req, &mut Payload::None).await?;
            principal.require(Action::ReadAlerts)?;
            (principal.company_id(), principal.user_id())
        }
    };
    let resume_after = query.last_event_id.or_else(|| {
        req.headers()
            .get("last-event-id")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok())
    });
    let slot = state.streams.take(user).map_err(|full| match full {
        NoSlot::Person => ApiError::LimitReached {
            detail: "You have as many alert streams open as one person may; close a tab or two.",
            retry_after_secs: 60,
        },
        NoSlot::Replica => {
            ApiError::Busy("This server holds all the alert streams it can; try again shortly.")
        }
    })?;
    // Subscribe before reading the backlog, so nothing raised in between is lost; the
    // stream skips what the backlog already held.
    let receiver = state.live.subscribe();
    let mut feed = Feed {
        _slot: slot,
        receiver,
        company,
        user,
        backlog: VecDeque::new(),
        last_seq: resume_after.unwrap_or(0),
        heartbeat: tokio::time::interval_at(
            Instant::now() + state.sse_heartbeat,
            state.sse_heartbeat,
        ),
        ends: Instant::now() + STREAM_LIFETIME,
        greeting: true,
    };
    if let Some(after) = resume_after {
        let mut conn = state.db.tenant(company).await?;
        let window = Window::After(after);
        let missed = alerts::inbox(
            &mut conn,
            company,
            user,
            Filter::default(),
            window,
            RESUME_LIMIT + 1,
        )
        .await?;
        if missed.len() as i64 > RESUME_LIMIT {
            feed.backlog.push_back(Event::Resync);
        } else {
            feed.last_seq = missed.last().map_or(after, |alert| alert.seq);
            feed.backlog.extend(missed.into_iter().map(Event::Alert));
        }
    }
    let events = futures_util::stream::unfold(feed, Feed::next);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Compression would hold events back in the encoder's buffer.
        .insert_header(ContentEncoding::Identity)
        .insert_header(("x-accel-buffering", "no"))
        .streaming(events))
}

/// One stream's state.
struct Feed {
    /// This stream's place among the replica's, given back when the stream ends.
    _slot: StreamSlot,
    receiver: broadcast::Receiver<LiveEvent>,
    company: CompanyId,
    user: UserId,
    backlog: VecDeque<Event>,
    /// The newest seq sent; live alerts at or below it were already sent from the backlog.
    last_seq: i64,
    heartbeat: tokio::time::Interval,
    ends: Instant,
    greeting: bool,
}

enum Event {
    Alert(Alert),
    Resync,
}

impl Event {
    fn encode(&self) -> Bytes {
        match self {
            Event::Alert(alert) => Bytes::from(format!(
                "id: {}\nevent: alert\ndata: {}\n\n",
                alert.seq,
                serde_json::to_string(alert).unwrap_or_default()
            )),
            Event::Resync => Bytes::from_static(b"event: resync\ndata: {}\n\n"),
        }
    }
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        if self.greeting {
            self.greeting = false;
            // Browsers wait `retry` before reconnecting on their own.
            return Some((Ok(Bytes::from_static(b"retry: 3000\n: open\n\n")), self));
        }
        if let Some(event) = self.backlog.pop_front() {
            return Some((Ok(event.encode()), self));
        }
        loop {
            tokio::select! {
                received = self.receiver.recv() => match received {
                    Ok(LiveEvent::Alert(live)) => {
                        let fresh = live
                            .for_user(self.company, self.user)
                            .filter(|alert| alert.seq > self.last_seq);
                        if let Some(alert) = fresh {
                            self.last_seq = alert.seq;
                            return Some((Ok(Event::Alert(alert).encode()), self));
                        }
                    }
                    Ok(LiveEvent::Resync) | Err(RecvError::Lagged(_)) => {
                        return Some((Ok(Event::Resync.encode()), self));
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => {
                    return Some((Ok(Bytes::from_static(b": ping\n\n")), self));
                }
                () = tokio::time::sleep_until(self.ends) => return None,
            }
        }
    }
}

/// The signed-in person's choice, per kind, of how alerts reach them.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), responses((status = OK, body = AlertPreferences)))]
#[get("/me/alert-preferences")]
pub async fn preferences(
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<web::Json<AlertPreferences>, ApiError> {
    principal.require(Action::ReadAlerts)?;
    let mut conn = state.db.tenant(principal.company_id()).await?;
    let items = alerts::preferences(&mut conn, principal.company_id(), principal.user_id()).await?;
    Ok(web::Json(AlertPreferences { items }))
}

/// Changes the kinds named; the others keep their setting. Answers every kind.
#[utoipa::path(
    tag = "alerts",
    security(("bearer" = [])),
    request_body = AlertPreferences,
    responses((status = OK, body = AlertPreferences), (status = UNPROCESSABLE_ENTITY, body = pulse_shared::Problem))
)]
#[put("/me/alert-preferences")]
pub async fn update_preferences(
    principal: Principal,
    state: web::Data<AppState>,
    Json(body): Json<AlertPreferences>,
) -> Result<web::Json<AlertPreferences>, ApiError> {
    principal.require(Action::ReadAlerts)?;
    for (index, item) in body.items.iter().enumerate() {
        if body.items[..index]
            .iter()
            .any(|earlier| earlier.kind == item.kind)
        {
            return Err(ApiError::field(
                format!("/items/{index}/kind"),
                "duplicate",
                "Name each kind once.",
            ));
        }
    }
    let (company, user) = (principal.company_id(), principal.user_id());
    let actor = principal.actor().clone();
    let mut conn = state.db.tenant(company).await?;
    let items = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let before = alerts::preferences(conn, company, user).await?;
            if !body.items.is_empty() {
                alerts::save_preferences(conn, company, user, &body.items).await?;
            }
            let after = alerts::preferences(conn, company, user).await?;
            if before != after {
                let change = Change {
                    action: AuditAction::AlertPreferencesUpdated,
                    target_kind: TargetKind::User,
                    target_id: Some(user.0),
                    summary: json!({"before": before, "after": after}),
                };
                audit::record(conn, company, &actor, change).await?;
            }
            Ok(after)
        })
        .await?;
    Ok(web::Json(AlertPreferences { items }))
}
