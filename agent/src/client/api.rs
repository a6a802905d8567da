//! The agent API as the agent and the simulator call it: one attempt per function,
//! answered as an [`Attempt`] that says whether to retry.

use std::io::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pulse_shared::activity::{ActivityBatch, ActivityReceipt};
use pulse_shared::agents::{
    AgentState, EnrollRequest, EnrollResponse, HeartbeatRequest, HeartbeatResponse, SpoolReport,
};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use pulse_shared::policies::EffectivePolicy;

use super::backoff::parse_retry_after;

/// How one attempt ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    /// Worth another try later: 429, 503 or another 5xx (with the server's
    /// `Retry-After`), or no answer at all.
    Retry {
        after: Option<Duration>,
        why: String,
    },
    /// Will fail however often it is sent (4xx other than 429).
    Refused {
        status: StatusCode,
        detail: String,
    },
}

/// One attempt: its outcome, and its round-trip time when the server answered.
#[derive(Debug)]
pub struct Attempt<T> {
    pub outcome: Outcome<T>,
    pub latency: Option<Duration>,
}

/// What a policy fetch found.
#[derive(Debug)]
pub enum PolicyAnswer {
    /// 304: the version named in `If-None-Match` is still current.
    Unchanged,
    /// 200 with this `ETag`, and the policy when it could be read.
    Changed(String, Option<Box<EffectivePolicy>>),
}

/// The server, through one HTTP client whose keep-alive pool every agent shares.
pub struct Api {
    client: Client,
    base: String,
    gzip: bool,
}

impl Api {
    /// `user_agent` names the caller, e.g. `pulse-agent/0.1.0`.
    pub fn new(
        base: &str,
        user_agent: &str,
        gzip: bool,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let client = Client::builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            // Below the server's 5 s keep-alive, so the pool never lends out a connection
            // the server is closing.
            .pool_idle_timeout(Duration::from_secs(4))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            gzip,
        })
    }

    /// Whether this client talks to `server` (as a credential file names it).
    pub fn serves(&self, server: &str) -> bool {
        self.base == server.trim_end_matches('/')
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn enroll(&self, request: &EnrollRequest) -> Attempt<EnrollResponse> {
        let call = self.client.post(self.url("/agent/enroll")).json(request);
        exchange(call, StatusCode::CREATED, json_body).await
    }

    pub async fn heartbeat(
        &self,
        credential: &HeaderValue,
        state: AgentState,
        spool: Option<SpoolReport>,
    ) -> Attempt<HeartbeatResponse> {
        let body = HeartbeatRequest {
            state,
            sent_at: Utc::now(),
            spool,
        };
        let call = self
            .client
            .post(self.url("/agent/heartbeat"))
            .header(header::AUTHORIZATION, credential)
            .json(&body);
        exchange(call, StatusCode::OK, json_body).await
    }

    /// `GET /agent/policy`, with `If-None-Match` when a version is held.
    pub async fn policy(
        &self,
        credential: &HeaderValue,
        held: Option<&str>,
    ) -> Attempt<PolicyAnswer> {
        let mut call = self
            .client
            .get(self.url("/agent/policy"))
            .header(header::AUTHORIZATION, credential);
        if let Some(version) = held {
            call = call.header(header::IF_NONE_MATCH, format!("\"{version}\""));
        }
        let started = Instant::now();
        match call.send().await {
            Ok(response) if response.status() == StatusCode::NOT_MODIFIED => Attempt {
                outcome: Outcome::Done(PolicyAnswer::Unchanged),
                latency: Some(started.elapsed()),
            },
            Ok(response) if response.status() == StatusCode::OK => {
                let tag = response
                    .headers()
                    .get(header::ETAG)
                    .and_then(|tag| tag.to_str().ok())
                    .map(|tag| tag.trim_start_matches("W/").trim_matches('"').to_owned())
                    .unwrap_or_default();
                let read = response.bytes().await;
                let latency = Some(started.elapsed());
                let outcome = match read {
                    Ok(body) => Outcome::Done(PolicyAnswer::Changed(
                        tag,
                        serde_json::from_slice(&body).ok().map(Box::new),
                    )),
                    Err(error) => Outcome::Retry {
                        after: None,
                        why: format!("reading the policy: {error}"),
                    },
                };
                Attempt { outcome, latency }
            }
            Ok(response) => failure(response, started).await,
            Err(error) => unanswered(&error),
        }
    }

    /// The body of one batch, made once so that every retry sends the same bytes (and
    /// ids): JSON, gzipped when asked.
    pub fn batch_body(&self, batch: &ActivityBatch) -> anyhow::Result<Vec<u8>> {
        let json = serde_json::to_vec(batch)?;
        if !self.gzip {
            return Ok(json);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json)?;
        Ok(gz.finish()?)
    }

    pub async fn activity(
        &self,
        credential: &HeaderValue,
        body: Vec<u8>,
    ) -> Attempt<ActivityReceipt> {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, credential.clone());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let call = self
            .client
            .post(self.url("/agent/activity"))
            .headers(headers)
            .body(body);
        exchange(call, StatusCode::OK, json_body).await
    }

    /// Uploads an image (`content_type`, e.g. `image/png`) of one monitor; 201 (stored)
    /// and 200 (already stored) both succeed.
    pub async fn screenshot(
        &self,
        credential: &HeaderValue,
        shot: ScreenshotMeta<'_>,
        image: Vec<u8>,
    ) -> Attempt<()> {
        let ScreenshotMeta {
            id,
            captured_at,
            monitor,
            content_type,
        } = shot;
        let url = format!(
            "{}?id={id}&captured_at={}&monitor={monitor}",
            self.url("/agent/screenshots"),
            captured_at.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        );
        let call = self
            .client
            .post(url)
            .header(header::AUTHORIZATION, credential)
            .header(header::CONTENT_TYPE, content_type)
            .body(image);
        let started = Instant::now();
        match call.send().await {
            Ok(response) if matches!(response.status(), StatusCode::OK | StatusCode::CREATED) => {
                let _ = response.bytes().await;
                Attempt {
                    outcome: Outcome::Done(()),
                    latency: Some(started.elapsed()),
                }
            }
            Ok(response) => failure(response, started).await,
            Err(error) => unanswered(&error),
        }
    }
}

/// What names one screenshot upload.
#[derive(Debug, Clone, Copy)]
pub struct ScreenshotMeta<'a> {
    pub id: Uuid,
    pub captured_at: DateTime<Utc>,
    pub monitor: u32,
    pub content_type: &'a str,
}

async fn json_body<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, String> {
    response
        .json::<T>()
        .await
        .map_err(|error| format!("unexpected answer: {error}"))
}

/// Sends `call`; `expected` with a body `read` can parse is success.
async fn exchange<T, F, Fut>(call: RequestBuilder, expected: StatusCode, read: F) -> Attempt<T>
where
    F: FnOnce(reqwest::Response) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let started = Instant::now();
    match call.send().await {
        Ok(response) if response.status() == expected => {
            let body = read(response).await;
            let latency = Some(started.elapsed());
            let outcome = match body {
                Ok(value) => Outcome::Done(value),
                // A body cut short is a network failure: the call may be repeated.
                Err(why) => Outcome::Retry { after: None, why },
            };
            Attempt { outcome, latency }
        }
        Ok(response) => failure(response, started).await,
        Err(error) => unanswered(&error),
    }
}

/// An answer other than the expected one.
async fn failure<T>(response: reqwest::Response, started: Instant) -> Attempt<T> {
    let status = response.status();
    let after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, Utc::now()));
    // Reading the (short) body lets the connection be used again.
    let detail = response.text().await.unwrap_or_default();
    let latency = Some(started.elapsed());
    let detail: String = detail.chars().take(300).collect();
    let outcome = if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Outcome::Retry {
            after,
            why: format!("{status}: {detail}"),
        }
    } else {
        Outcome::Refused { status, detail }
    };
    Attempt { outcome, latency }
}

fn unanswered<T>(error: &reqwest::Error) -> Attempt<T> {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Attempt {
        outcome: Outcome::Retry {
            after: None,
            why: format!("{kind}: {error}"),
        },
        latency: None,
    }
}
