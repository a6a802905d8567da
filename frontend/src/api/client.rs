//! The plumbing under every call: sending a same-origin request, renewing the session
//! on a 401, query strings from the shared query types, and reading answers into `T`
//! or the most precise [`ApiError`].

use std::cell::RefCell;
use std::rc::Rc;

use futures::lock::Mutex;
use gloo_net::http::{Method, RequestBuilder, Response};
use pulse_shared::Page;
use pulse_shared::auth::SessionResponse;
use pulse_shared::problem::{PROBLEM_JSON, Problem};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;
use super::auth::{logout, refresh};
use crate::session::{Phase, Session};

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
///
/// When `boot.js` already has the answer (it usually does: the app's code takes longer
/// to download), the session starts at once, and the first page draws signed in.
pub fn restore_session(session: Session) {
    if let Some(response) = signed_in_early() {
        start_session(session, response);
        return;
    }
    leptos::task::spawn_local(async move {
        // A sign-in that finished meanwhile wins over a failed restore.
        if renew(session, None).await.is_err() && session.phase_untracked() == Phase::Restoring {
            session.clear();
        }
    });
}

/// Waits, `at_most`, until `boot.js` knows whether there is a sign-in to restore
/// (`window.pulseRestored`), so that the first page draws for its reader: the headings
/// of some pages depend on the role. On a phone the answer has long come when the app's
/// code arrives; it has not when the code came from the browser's cache.
pub async fn sign_in_known(at_most: std::time::Duration) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let restored = js_sys::Reflect::get(&window, &wasm_bindgen::JsValue::from_str("pulseRestored"));
    let Some(restored) = restored
        .ok()
        .and_then(|restored| wasm_bindgen::JsCast::dyn_into::<js_sys::Promise>(restored).ok())
    else {
        return;
    };
    let answered = wasm_bindgen_futures::JsFuture::from(restored);
    futures::future::select(answered, Box::pin(crate::browser::sleep(at_most))).await;
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
                    Err(error) if error.ends_session() => session.expire(),
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
    let response = refresh().await?.ok_or(ApiError::SignedOut)?;
    let token = response.access_token.clone();
    start_session(session, response);
    Ok(token)
}

// ---------- Calls ----------

/// A call without a session, answered with `T`.
pub(super) async fn call_public<T: DeserializeOwned>(
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<T, ApiError> {
    let url = url.to_owned();
    decode(
        &answer_text(Box::pin(
            async move { send(method, &url, body, None).await },
        ))
        .await?,
    )
}

/// The refresh `boot.js` sent while the app loaded (`window.pulseRestoring`), taken
/// once: the refresh token rotates on every use, so its answer is the only one.
pub(super) fn early_refresh() -> Option<js_sys::Promise> {
    let window = web_sys::window()?;
    take_promise(&window, &wasm_bindgen::JsValue::from_str("pulseRestoring"))
}

/// The sign-in `boot.js` restored while the app loaded, when its answer has come
/// (`window.pulseSignedIn`, the body of a 200), taken once with the request it answers.
fn signed_in_early() -> Option<SessionResponse> {
    let window = web_sys::window()?;
    let key = wasm_bindgen::JsValue::from_str("pulseSignedIn");
    let text = js_sys::Reflect::get(&window, &key).ok()?.as_string()?;
    let _ = js_sys::Reflect::delete_property(&window, &key);
    early_refresh();
    decode(&text).ok()
}

/// `holder[key]`, removed from `holder`, when it is a promise.
fn take_promise(
    holder: &wasm_bindgen::JsValue,
    key: &wasm_bindgen::JsValue,
) -> Option<js_sys::Promise> {
    let sent = js_sys::Reflect::get(holder, key).ok()?;
    let _ = js_sys::Reflect::delete_property(
        wasm_bindgen::JsCast::unchecked_ref::<js_sys::Object>(holder),
        key,
    );
    wasm_bindgen::JsCast::dyn_into(sent).ok()
}

/// The answer to `GET url` that `boot.js` asked for while the app loaded
/// (`window.pulseEarly[url]`, for the data of the page opened first), taken once; `None`
/// when there is none or it failed, and the app asks itself.
async fn early_answer(url: &str) -> Option<Response> {
    let window = web_sys::window()?;
    let early = js_sys::Reflect::get(&window, &wasm_bindgen::JsValue::from_str("pulseEarly"))
        .ok()
        .filter(wasm_bindgen::JsValue::is_object)?;
    let sent = take_promise(&early, &wasm_bindgen::JsValue::from_str(url))?;
    fetched(sent).await.ok()
}

/// The `Response` a `fetch` promise resolves to.
async fn fetched(sent: js_sys::Promise) -> Result<Response, ApiError> {
    let unreachable = || ApiError::Network("the server could not be reached".to_owned());
    let response = wasm_bindgen_futures::JsFuture::from(sent)
        .await
        .map_err(|_| unreachable())?;
    wasm_bindgen::JsCast::dyn_into::<web_sys::Response>(response)
        .map(Response::from)
        .map_err(|_| unreachable())
}

/// The answer to a request the page sent itself (a `fetch` promise), as `T`.
pub(super) async fn answer_of<T: DeserializeOwned>(sent: js_sys::Promise) -> Result<T, ApiError> {
    decode(&answer_text(Box::pin(fetched(sent))).await?)
}

/// A call without a session, answered with no body.
pub(super) async fn call_public_empty(
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<(), ApiError> {
    read_empty(send(method, url, body, None).await?).await
}

/// A call as the signed-in person, answered with `T`.
pub(super) async fn call<T: DeserializeOwned>(
    session: Session,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<T, ApiError> {
    let url = url.to_owned();
    decode(
        &answer_text(Box::pin(async move {
            send_authed(session, method, &url, body).await
        }))
        .await?,
    )
}

/// A call as the signed-in person, answered with no body (usually 204).
pub(super) async fn call_empty(
    session: Session,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<(), ApiError> {
    read_empty(send_authed(session, method, url, body).await?).await
}

/// A `GET` as the signed-in person answered with text (a CSV export).
pub(super) async fn get_text(session: Session, url: &str) -> Result<String, ApiError> {
    let response = send_authed(session, Method::GET, url, None).await?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    response
        .text()
        .await
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// A `GET` as the signed-in person answered with bytes (a picture, a spreadsheet), as a
/// `Blob` that stays in the browser's memory.
pub(super) async fn get_blob(session: Session, url: &str) -> Result<web_sys::Blob, ApiError> {
    let response = send_authed(session, Method::GET, url, None).await?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    let raw: web_sys::Response = response.into();
    let promise = raw
        .blob()
        .map_err(|_| ApiError::Decode("the answer has no body".to_owned()))?;
    let blob = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| ApiError::Network("the answer could not be read".to_owned()))?;
    wasm_bindgen::JsCast::dyn_into(blob)
        .map_err(|_| ApiError::Decode("the answer is not a file".to_owned()))
}

/// Every page of a list that takes only `cursor` and `limit`.
pub(super) async fn all_pages<T: DeserializeOwned>(
    session: Session,
    path: &str,
) -> Result<Vec<T>, ApiError> {
    let mut items = Vec::new();
    let mut query = pulse_shared::PageQuery {
        cursor: None,
        limit: Some(pulse_shared::page::MAX_PAGE_SIZE),
    };
    // A bound, so a server that keeps answering with a cursor cannot loop us forever.
    for _ in 0..50 {
        let page: Page<T> = call(session, Method::GET, &with_query(path, &query)?, None).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    Ok(items)
}

// ---------- Plumbing ----------

/// `path?query`, the query string written by serde from one of the shared query types
/// (absent fields are left out), exactly as the server reads it back.
pub(super) fn with_query<Q: Serialize>(path: &str, query: &Q) -> Result<String, ApiError> {
    let query =
        serde_urlencoded::to_string(query).map_err(|error| ApiError::Decode(error.to_string()))?;
    if query.is_empty() {
        Ok(path.to_owned())
    } else {
        Ok(format!("{path}?{query}"))
    }
}

/// A filter text worth sending: not blank.
pub(super) fn not_blank(text: &Option<String>) -> Option<String> {
    text.clone().filter(|text| !text.trim().is_empty())
}

/// A request body as JSON.
pub(super) fn json<T: Serialize>(value: &T) -> Result<Option<String>, ApiError> {
    serde_json::to_string(value)
        .map(Some)
        .map_err(|error| ApiError::Decode(error.to_string()))
}

/// Sends an authenticated request; on 401 renews once and retries once, and when that
/// fails too the session ends (the app then shows the sign-in page).
pub(super) async fn send_authed(
    session: Session,
    method: Method,
    url: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    if method == Method::GET
        && let Some(early) = early_answer(url).await
        && early.status() != 401
    {
        return Ok(early);
    }
    let token = session.token_untracked();
    let response = send(method.clone(), url, body.clone(), token.as_deref()).await?;
    if response.status() != 401 {
        return Ok(response);
    }
    match renew(session, token.as_deref()).await {
        Ok(fresh) => {
            let retried = send(method, url, body, Some(&fresh)).await?;
            if retried.status() == 401 {
                session.expire();
            }
            Ok(retried)
        }
        Err(error) if error.ends_session() => {
            session.expire();
            Ok(response)
        }
        Err(error) => Err(error),
    }
}

/// Sends one same-origin request (cookies included, so the refresh cookie travels).
async fn send(
    method: Method,
    url: &str,
    body: Option<String>,
    token: Option<&str>,
) -> Result<Response, ApiError> {
    let mut builder = RequestBuilder::new(url)
        .method(method)
        .header("Accept", "application/json");
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

/// A request under way, boxed: the one future type every JSON call awaits.
type Sending = std::pin::Pin<Box<dyn Future<Output = Result<Response, ApiError>>>>;

/// The body of a successful answer to `request`, or the most precise [`ApiError`] an
/// unsuccessful one carries.
///
/// Not generic, on purpose: the sending, renewing and reading are compiled once, and
/// only [`decode`] is repeated per answer type (each generic `async fn` used to carry
/// its own copy of the whole exchange, a large share of the WASM).
async fn answer_text(request: Sending) -> Result<String, ApiError> {
    let _busy = crate::first_page::busy();
    let response = request.await?;
    if !response.ok() {
        return Err(error_of(response).await);
    }
    response
        .text()
        .await
        .map_err(|error| ApiError::Network(error.to_string()))
}

/// An answer's JSON body as `T`; an empty body (204) reads as `null`, which an `Option`
/// takes as none and anything else refuses.
fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let json = if text.is_empty() { "null" } else { text };
    serde_json::from_str(json).map_err(|error| ApiError::Decode(error.to_string()))
}

/// Accepts any success (usually 204), or turns the answer into an [`ApiError`].
async fn read_empty(response: Response) -> Result<(), ApiError> {
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(response).await)
    }
}

/// The error an unsuccessful answer carries.
pub(super) async fn error_of(response: Response) -> ApiError {
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
    use chrono::{TimeZone, Utc};
    use pulse_shared::PageQuery;
    use pulse_shared::activity::SessionQuery;
    use pulse_shared::agents::{AgentQuery, AgentStatus};
    use pulse_shared::alerts::{AlertKind, AlertQuery, Severity};
    use pulse_shared::people::{PeopleQuery, Role, UserStatus};

    use super::*;

    #[test]
    fn queries_leave_out_absent_fields() {
        assert_eq!(
            with_query("/api/v1/webhooks", &PageQuery::default()).ok(),
            Some("/api/v1/webhooks".to_owned())
        );
        assert_eq!(
            with_query(
                "/api/v1/teams",
                &PageQuery {
                    cursor: Some("a b+c".to_owned()),
                    limit: Some(200),
                }
            )
            .ok(),
            Some("/api/v1/teams?cursor=a+b%2Bc&limit=200".to_owned())
        );
    }

    #[test]
    fn queries_name_enums_as_the_server_does() {
        let people = PeopleQuery {
            q: Some("ada".to_owned()),
            role: Some(Role::Manager),
            status: Some(UserStatus::Deactivated),
            deleted: Some(true),
            limit: Some(25),
            ..Default::default()
        };
        assert_eq!(
            with_query("/p", &people).ok(),
            Some("/p?q=ada&role=manager&status=deactivated&deleted=true&limit=25".to_owned())
        );
        let agents = AgentQuery {
            status: Some(AgentStatus::Missing),
            ..Default::default()
        };
        assert_eq!(
            with_query("/a", &agents).ok(),
            Some("/a?status=missing".to_owned())
        );
        let alerts = AlertQuery {
            kind: Some(AlertKind::AgentOffline),
            severity: Some(Severity::Warning),
            read: Some(false),
            ..Default::default()
        };
        assert_eq!(
            with_query("/l", &alerts).ok(),
            Some("/l?kind=agent_offline&severity=warning&read=false".to_owned())
        );
    }

    #[test]
    fn times_travel_as_rfc3339() {
        let from = Utc.with_ymd_and_hms(2025, 3, 1, 23, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2025, 3, 2, 23, 0, 0).unwrap();
        let query = SessionQuery {
            from,
            to,
            user_id: None,
            team_id: None,
        };
        assert_eq!(
            with_query("/s", &query).ok(),
            Some("/s?from=2025-03-01T23%3A00%3A00Z&to=2025-03-02T23%3A00%3A00Z".to_owned())
        );
    }

    #[test]
    fn blank_filters_are_not_sent() {
        assert_eq!(not_blank(&Some("  ".to_owned())), None);
        assert_eq!(not_blank(&Some(" a ".to_owned())), Some(" a ".to_owned()));
        assert_eq!(not_blank(&None), None);
    }
}
