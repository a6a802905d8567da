//! `pulse-bench alerts`: holds many alert streams of one person open, then raises test
//! alerts one after another and times how long each takes to reach every stream.
//!
//! One task per stream reads chunks into a small [`sse::Reader`] and reports what it
//! sees over a channel, stamped with the moment it parsed it; the coordinator knows
//! when each alert was sent, so the latency is arrival minus send, whatever the
//! coordinator's own delays.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use reqwest::header::{self, HeaderValue};
use reqwest::{Client, Response, StatusCode};
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::sse::{self, Block};
use crate::stats;
use crate::{account, progress};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The server's base URL, e.g. http://127.0.0.1:18080.
    #[arg(long)]
    server: String,
    /// An access token to use instead of signing up. Signing up hashes a password,
    /// which takes the server's memory for a moment; a caller measuring memory signs
    /// up first (`pulse-bench signup`).
    #[arg(long)]
    token: Option<String>,
    /// Where the server sends its mail, for signing up (see `pulse-bench signup`).
    #[arg(long, default_value_t = account::MAIL_PORT)]
    mail_port: u16,
    /// How many streams to hold open.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// How many test alerts to raise, one after another.
    #[arg(long, default_value_t = 20)]
    alerts: usize,
    /// How many streams may be opening at once.
    #[arg(long, default_value_t = 256)]
    in_flight: usize,
    /// How long one alert may take to reach every stream; later copies count as missed.
    #[arg(long, default_value_t = 10)]
    alert_timeout_secs: u64,
    /// How long a stream keeps retrying to open (503, refused connections) before it
    /// counts as failed.
    #[arg(long, default_value_t = 120)]
    open_timeout_secs: u64,
}

/// What `pulse-bench alerts` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    pub connections_requested: usize,
    /// Streams that read their greeting.
    pub connections_open: usize,
    pub open_failures: usize,
    pub alerts: usize,
    /// `connections_open × alerts`.
    pub deliveries_expected: usize,
    /// Deliveries within the time limit of their alert.
    pub deliveries_received: usize,
    /// From just before the alert's POST to a stream having parsed it, over all deliveries.
    pub fanout_p50_ms: Option<f64>,
    pub fanout_p99_ms: Option<f64>,
    pub fanout_max_ms: Option<f64>,
    /// From the first stream request to the last greeting (or failure).
    pub time_to_open_all_s: f64,
    /// Open attempts that were refused (503, connection errors) and tried again.
    pub open_retries: usize,
    /// Open streams that the server ended before the run did.
    pub streams_closed: usize,
    /// `event: resync` blocks: a stream fell behind the server's broadcast.
    pub resyncs: usize,
}

/// What a stream task tells the coordinator.
enum Event {
    Opened,
    OpenFailed(String),
    Alert { id: i64, at: Instant },
    Resync,
    Closed,
}

/// What every stream task shares.
struct Streams {
    client: Client,
    url: String,
    authorization: HeaderValue,
    /// Bounds the streams being opened; a stream gives its permit back once greeted.
    opening: Arc<Semaphore>,
    events: mpsc::UnboundedSender<Event>,
    give_up: Instant,
    retries: AtomicUsize,
}

/// Counts of what the stream tasks reported, apart from alerts.
#[derive(Default)]
struct Tally {
    opened: usize,
    failed: usize,
    first_failure: Option<String>,
    closed: usize,
    resyncs: usize,
}

impl Tally {
    fn note(&mut self, event: Event) {
        match event {
            Event::Opened => self.opened += 1,
            Event::OpenFailed(why) => {
                self.failed += 1;
                self.first_failure.get_or_insert(why);
            }
            Event::Closed => self.closed += 1,
            Event::Resync => self.resyncs += 1,
            // Outside an alert's wait, an alert is a late copy: already counted as missed.
            Event::Alert { .. } => {}
        }
    }
}

pub async fn run(options: Options) -> anyhow::Result<Report> {
    let base = options.server.trim_end_matches('/').to_owned();
    let wanted = options.connections;
    let control = Client::builder().build()?;
    let token = match options.token {
        Some(token) => token,
        None => {
            account::sign_up(&control, &base, options.mail_port)
                .await?
                .access_token
        }
    };
    progress(format_args!(
        "opening {wanted} streams, {} at a time",
        options.in_flight
    ));

    let (events, mut received) = mpsc::unbounded_channel();
    let started = Instant::now();
    let streams = Arc::new(Streams {
        client: Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()?,
        url: format!("{base}/api/v1/alerts/stream"),
        authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
        opening: Arc::new(Semaphore::new(options.in_flight.max(1))),
        events,
        give_up: started + Duration::from_secs(options.open_timeout_secs),
        retries: AtomicUsize::new(0),
    });
    let mut tasks = JoinSet::new();
    for index in 0..wanted {
        tasks.spawn(hold_stream(index, streams.clone()));
    }

    let mut tally = Tally::default();
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    ticker.tick().await;
    // Every task reports within its opening time; the margin only guards against a bug.
    let stop_waiting = tokio::time::Instant::from_std(streams.give_up + Duration::from_secs(60));
    while tally.opened + tally.failed < wanted {
        tokio::select! {
            () = tokio::time::sleep_until(stop_waiting) => break,
            event = received.recv() => match event {
                Some(event) => tally.note(event),
                None => break,
            },
            _ = ticker.tick() => progress(format_args!(
                "{} of {wanted} streams open, {} failed, {} retries",
                tally.opened,
                tally.failed,
                streams.retries.load(Ordering::Relaxed)
            )),
        }
    }
    let time_to_open = started.elapsed();
    progress(format_args!(
        "{} of {wanted} streams open in {:.1} s ({} failed{})",
        tally.opened,
        time_to_open.as_secs_f64(),
        tally.failed,
        tally
            .first_failure
            .as_deref()
            .map(|why| format!(", first: {why}"))
            .unwrap_or_default()
    ));

    let timeout = Duration::from_secs(options.alert_timeout_secs);
    let mut latencies = Vec::with_capacity(tally.opened * options.alerts);
    // Sequence numbers only grow: an alert at or below the last one is a late copy.
    let mut last_id = i64::MIN;
    for number in 1..=options.alerts {
        let sent = raise_test_alert(&control, &base, &token).await?;
        let deadline = tokio::time::Instant::from_std(sent + timeout);
        let mut this_id = None;
        let mut arrived = 0;
        let mut slowest = Duration::ZERO;
        while arrived < tally.opened {
            let Ok(Some(event)) = tokio::time::timeout_at(deadline, received.recv()).await else {
                break;
            };
            match event {
                Event::Alert { id, at } if id > last_id => {
                    if *this_id.get_or_insert(id) != id {
                        // Only this run raises alerts for this person; ignore the impossible.
                        continue;
                    }
                    let latency = at.saturating_duration_since(sent);
                    slowest = slowest.max(latency);
                    latencies.push(latency);
                    arrived += 1;
                }
                other => tally.note(other),
            }
        }
        if let Some(id) = this_id {
            last_id = id;
        }
        progress(format_args!(
            "alert {number}/{}: reached {arrived} of {} streams, the last after {:.1} ms",
            options.alerts,
            tally.opened,
            slowest.as_secs_f64() * 1000.0
        ));
    }
    tasks.abort_all();

    latencies.sort_unstable();
    Ok(Report {
        connections_requested: wanted,
        connections_open: tally.opened,
        open_failures: tally.failed,
        alerts: options.alerts,
        deliveries_expected: tally.opened * options.alerts,
        deliveries_received: latencies.len(),
        fanout_p50_ms: stats::millis(stats::percentile(&latencies, 50.0)),
        fanout_p99_ms: stats::millis(stats::percentile(&latencies, 99.0)),
        fanout_max_ms: stats::millis(latencies.last().copied()),
        time_to_open_all_s: (time_to_open.as_secs_f64() * 1000.0).round() / 1000.0,
        open_retries: streams.retries.load(Ordering::Relaxed),
        streams_closed: tally.closed,
        resyncs: tally.resyncs,
    })
}

/// Opens one stream, waits for its greeting, then reports what it reads until it ends
/// or the run aborts it.
async fn hold_stream(index: usize, streams: Arc<Streams>) {
    let Ok(permit) = streams.opening.clone().acquire_owned().await else {
        return;
    };
    let mut response = match open_stream(index, &streams).await {
        Ok(response) => response,
        Err(error) => {
            let _ = streams.events.send(Event::OpenFailed(format!("{error:#}")));
            return;
        }
    };
    let mut opening = Some(permit);
    let mut reader = sse::Reader::default();
    while let Ok(Some(chunk)) = response.chunk().await {
        reader.push(&chunk, |block| {
            let event = match block {
                Block::Open if opening.take().is_some() => Event::Opened,
                Block::Alert { id } => Event::Alert {
                    id,
                    at: Instant::now(),
                },
                Block::Resync => Event::Resync,
                Block::Open | Block::Other => return,
            };
            let _ = streams.events.send(event);
        });
    }
    let _ = streams.events.send(if opening.is_some() {
        Event::OpenFailed("the stream ended before its greeting".to_owned())
    } else {
        Event::Closed
    });
}

/// How long one open attempt may wait for the answer's head.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// `GET /alerts/stream` until it answers 200, backing off (50 ms doubling to 2 s, with
/// jitter) while the server is busy or refuses connections.
async fn open_stream(index: usize, streams: &Streams) -> anyhow::Result<Response> {
    let mut wait = Duration::from_millis(50);
    loop {
        let request = streams
            .client
            .get(&streams.url)
            .header(header::AUTHORIZATION, &streams.authorization)
            .header(header::ACCEPT, "text/event-stream")
            .send();
        let why = match tokio::time::timeout(ANSWER_TIMEOUT, request).await {
            Err(_) => format!("no answer in {} s", ANSWER_TIMEOUT.as_secs()),
            Ok(Err(error)) => error.to_string(),
            Ok(Ok(response)) if response.status() == StatusCode::OK => return Ok(response),
            Ok(Ok(response)) if is_busy(response.status()) => {
                let status = response.status();
                // Reading the short body lets the connection be used again.
                let _ = response.bytes().await;
                status.to_string()
            }
            Ok(Ok(response)) => {
                let status = response.status();
                bail!("{status}: {}", response.text().await.unwrap_or_default());
            }
        };
        // Spread the retries of streams refused together.
        #[allow(clippy::cast_precision_loss)] // below 50
        let pause = wait + wait.mul_f64((index % 50) as f64 / 100.0);
        if Instant::now() + pause > streams.give_up {
            bail!("still refused when the opening time ran out ({why})");
        }
        streams.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(pause).await;
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

/// Answers that mean "try again later".
fn is_busy(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Raises one test alert; returns the moment just before the POST that was accepted.
async fn raise_test_alert(client: &Client, base: &str, token: &str) -> anyhow::Result<Instant> {
    const ATTEMPTS: u32 = 5;
    for attempt in 1..=ATTEMPTS {
        let sent = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/alerts/test"))
            .bearer_auth(token)
            .send()
            .await
            .context("POST /api/v1/alerts/test")?;
        match response.status() {
            StatusCode::NO_CONTENT => return Ok(sent),
            status if is_busy(status) && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200) * attempt).await;
            }
            status => bail!(
                "POST /api/v1/alerts/test answered {status}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
    bail!("POST /api/v1/alerts/test stayed busy")
}
