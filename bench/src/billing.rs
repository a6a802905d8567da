//! `pulse-bench billing`: a burst of signed Stripe webhook events, as Stripe sends
//! them after a billing run, timed per event, next to the same number of requests to
//! a trivial route of the same server.
//!
//! The company of `--token` must be Stripe customer `--customer`, and the plan it
//! subscribes to must have Stripe price `--price` (`cargo xtask bench billing` sets
//! both in SQL). The run first registers a webhook endpoint for payment alerts, so
//! every alert the events raise queues its e-mail and webhook rows as in production,
//! and receives those (an SMTP sink on `--mail-port`, an HTTP sink for the webhooks)
//! until the server's outbox has sent them all or `--drain-secs` pass.
//!
//! The events: distinct invoices (paid, failed, created) and subscription updates,
//! with about one in ten sent again later (a redelivery, as Stripe retries, sometimes
//! while the first is still in flight). Whatever arrives first, each event id must be
//! answered as new exactly once; the caller checks in SQL that each was applied once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use pulse_shared::alerts::AlertKind;
use pulse_shared::webhooks::CreateWebhookRequest;
use reqwest::{Client, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::stats::{self, Latencies, round1, round3};
use crate::{account, progress};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// The server's base URL, e.g. http://127.0.0.1:18080.
    #[arg(long)]
    server: String,
    /// An owner's access token (`pulse-bench signup`) of the company that is the
    /// Stripe customer `--customer`.
    #[arg(long)]
    token: String,
    /// The server's `STRIPE_WEBHOOK_SECRET`, which signs the events.
    #[arg(long)]
    secret: String,
    /// The company's `stripe_customer_id`.
    #[arg(long, default_value = "cus_bench")]
    customer: String,
    /// The Stripe price of the plan the subscription updates name.
    #[arg(long, default_value = "price_bench_pro")]
    price: String,
    /// Where the server sends its mail: the alert e-mails are received there.
    #[arg(long, default_value_t = account::MAIL_PORT)]
    mail_port: u16,
    /// Webhook requests sent in all, redeliveries included.
    #[arg(long, default_value_t = 500)]
    events: usize,
    /// Requests in flight at once, in the burst and in the baseline.
    #[arg(long, default_value_t = 16)]
    in_flight: usize,
    /// How long to wait after the burst for the outbox to send every alert's e-mail
    /// and webhook.
    #[arg(long, default_value_t = 60)]
    drain_secs: u64,
}

/// The route timed for comparison: public, one database round trip for the ping and
/// one query of the applied migrations, JSON out.
pub const BASELINE_ROUTE: &str = "/api/v1/system/status";
/// Baseline requests sent, unmeasured, before anything is timed: the server's
/// database pool grows to its working size.
const WARM_UP: usize = 64;
/// One subscription update in this many events; the rest are invoices.
const SUBSCRIPTION_EVERY: usize = 22;
/// One redelivery after this many events sent for the first time.
const REDELIVERY_EVERY: usize = 9;
/// The slowest requests listed in the report.
const SLOWEST: usize = 10;

/// What `pulse-bench billing` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Webhook requests sent, redeliveries included.
    pub events: usize,
    pub distinct_events: usize,
    pub redeliveries: usize,
    /// Distinct events by Stripe type.
    pub event_types: HashMap<&'static str, usize>,
    /// Distinct invoices, all of them, paid, and failed.
    pub invoices: usize,
    pub paid_invoices: usize,
    pub failed_invoices: usize,
    pub in_flight: usize,
    /// Requests answered 200 with a receipt.
    pub answered: usize,
    /// Requests answered otherwise, or not at all.
    pub failures: usize,
    pub first_failure: Option<String>,
    /// Answers `duplicate: false` and `duplicate: true`.
    pub answered_new: usize,
    pub answered_duplicate: usize,
    /// Event ids answered as new more than once (applied twice), and never (lost).
    pub ids_new_more_than_once: usize,
    pub ids_never_new: usize,
    pub webhook_p50_ms: Option<f64>,
    pub webhook_p90_ms: Option<f64>,
    pub webhook_p99_ms: Option<f64>,
    pub webhook_max_ms: Option<f64>,
    /// Latencies of the answered requests by event type, redeliveries apart.
    pub by_kind: BTreeMap<String, Latencies>,
    /// The slowest requests, slowest first.
    pub slowest: Vec<Slow>,
    /// The first request to the last answer.
    pub webhook_s: f64,
    pub events_per_sec: f64,
    pub baseline: Baseline,
    /// What the outbox sent after the burst: expected and received, and when the last
    /// arrived (seconds after the burst's last answer).
    pub outbox: Outbox,
}

#[derive(Debug, Serialize)]
pub struct Baseline {
    pub route: &'static str,
    pub requests: usize,
    pub failures: usize,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub seconds: f64,
    pub requests_per_sec: f64,
}

/// One slow request: which, when it was sent (from the burst's start), how long.
#[derive(Debug, Serialize)]
pub struct Slow {
    pub position: usize,
    pub kind: &'static str,
    pub redelivery: bool,
    pub sent_at_ms: Option<f64>,
    pub ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Outbox {
    pub emails_expected: usize,
    pub emails_received: usize,
    pub webhooks_expected: usize,
    pub webhooks_received: usize,
    pub drained_after_s: Option<f64>,
}

/// One webhook request: the event's id and its body, signed when it is sent.
struct Delivery {
    id: String,
    kind: &'static str,
    redelivery: bool,
    body: Arc<String>,
}

/// The events of one run, in the order they are sent.
struct Burst {
    deliveries: Vec<Delivery>,
    distinct: usize,
    event_types: HashMap<&'static str, usize>,
    invoices: usize,
    paid: usize,
    failed: usize,
}

impl Burst {
    /// `total` requests: events made at `now − their number` seconds (so later ones
    /// are newer), about one in ten of them sent a second time a little later.
    fn new(total: usize, customer: &str, price: &str, now: i64) -> Self {
        // Stamps ids, so a second run against the same database sends new events.
        let run = format!("{now:x}");
        let originals = total - total / (REDELIVERY_EVERY + 1);
        let mut burst = Self {
            deliveries: Vec::with_capacity(total),
            distinct: 0,
            event_types: HashMap::new(),
            invoices: 0,
            paid: 0,
            failed: 0,
        };
        // Each event's first delivery, to send again.
        let mut firsts: Vec<(String, &'static str, Arc<String>)> = Vec::with_capacity(originals);
        let mut redelivered = 0;
        for number in 0..originals {
            let created = now - i64::try_from(originals - number).unwrap_or(0);
            let id = format!("evt_bench_{run}_{number:04}");
            let (kind, object) = if number % SUBSCRIPTION_EVERY == SUBSCRIPTION_EVERY / 2 {
                (
                    "customer.subscription.updated",
                    subscription(customer, price, created),
                )
            } else {
                let invoice = burst.invoices;
                burst.invoices += 1;
                let kind = match invoice % 10 {
                    0..=5 => "invoice.payment_succeeded",
                    6 | 7 => "invoice.payment_failed",
                    _ => "invoice.created",
                };
                let paid = kind == "invoice.payment_succeeded";
                burst.paid += usize::from(paid);
                burst.failed += usize::from(kind == "invoice.payment_failed");
                let id = format!("in_bench_{run}_{invoice:04}");
                (kind, invoice_object(&id, invoice, customer, paid, created))
            };
            *burst.event_types.entry(kind).or_default() += 1;
            let body = Arc::new(
                json!({
                    "id": id,
                    "object": "event",
                    "type": kind,
                    "created": created,
                    "livemode": false,
                    "data": {"object": object},
                })
                .to_string(),
            );
            firsts.push((id.clone(), kind, body.clone()));
            burst.deliveries.push(Delivery {
                id,
                kind,
                redelivery: false,
                body,
            });
            burst.distinct += 1;
            // The j-th redelivery repeats event 8j, sent j + 8 events earlier: the
            // first few are likely still in flight, the later ones long answered.
            if number % REDELIVERY_EVERY == REDELIVERY_EVERY - 1 && burst.deliveries.len() < total {
                let (id, kind, body) = firsts[redelivered * (REDELIVERY_EVERY - 1)].clone();
                redelivered += 1;
                burst.deliveries.push(Delivery {
                    id,
                    kind,
                    redelivery: true,
                    body,
                });
            }
        }
        burst
    }
}

/// A Stripe invoice as its events carry it.
fn invoice_object(id: &str, number: usize, customer: &str, paid: bool, created: i64) -> Value {
    json!({
        "id": id,
        "object": "invoice",
        "customer": customer,
        "subscription": null,
        "number": format!("B-{:04}", number + 1),
        "status": if paid { "paid" } else { "open" },
        "total": 2900,
        "amount_due": 2900,
        "amount_paid": if paid { 2900 } else { 0 },
        "currency": "usd",
        "period_start": created,
        "period_end": created + 2_592_000,
        "created": created,
        "hosted_invoice_url": null,
        "invoice_pdf": null,
        "payment_intent": null,
        "lines": {"data": []},
    })
}

/// The company's one subscription, active on the plan of `price`.
fn subscription(customer: &str, price: &str, created: i64) -> Value {
    json!({
        "id": "sub_bench",
        "object": "subscription",
        "customer": customer,
        "status": "active",
        "cancel_at_period_end": false,
        "current_period_start": created,
        "current_period_end": created + 2_592_000,
        "items": {"data": [{"id": "si_bench", "plan": {"id": price}}]},
        "latest_invoice": null,
    })
}

/// What one request came to.
struct Answer {
    index: usize,
    /// When the request was sent, from the first request's sending.
    sent: Duration,
    latency: Duration,
    /// `Some(duplicate)` for a receipt.
    outcome: Result<bool, String>,
}

pub async fn run(options: Options) -> anyhow::Result<Report> {
    let base = options.server.trim_end_matches('/').to_owned();
    let in_flight = options.in_flight.max(1);
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(in_flight)
        .build()?;

    let mails = Arc::new(AtomicUsize::new(0));
    let mail = TcpListener::bind(("127.0.0.1", options.mail_port))
        .await
        .with_context(|| format!("cannot receive mail on port {}", options.mail_port))?;
    tokio::spawn(smtp_sink(mail, mails.clone()));
    let hooks = Arc::new(AtomicUsize::new(0));
    let hook = TcpListener::bind(("127.0.0.1", 0)).await?;
    let hook_url = format!("http://{}/stripe-bench", hook.local_addr()?);
    tokio::spawn(http_sink(hook, hooks.clone()));
    register_webhook(&client, &base, &options.token, &hook_url).await?;

    progress(format_args!(
        "warm-up: {WARM_UP} requests to {BASELINE_ROUTE}"
    ));
    let warm_up = (0..WARM_UP).map(|_| ()).collect::<Vec<_>>();
    send_all(&warm_up, in_flight, {
        let (client, url) = (client.clone(), format!("{base}{BASELINE_ROUTE}"));
        move |_: &()| status_request(client.clone(), url.clone())
    })
    .await;

    let burst = Burst::new(
        options.events,
        &options.customer,
        &options.price,
        unix_now(),
    );
    progress(format_args!(
        "baseline: {} requests to {BASELINE_ROUTE}, {in_flight} in flight",
        burst.deliveries.len()
    ));
    let probes = (0..burst.deliveries.len()).map(|_| ()).collect::<Vec<_>>();
    let (answers, seconds) = send_all(&probes, in_flight, {
        let (client, url) = (client.clone(), format!("{base}{BASELINE_ROUTE}"));
        move |_: &()| status_request(client.clone(), url.clone())
    })
    .await;
    let baseline = baseline(&answers, seconds);
    progress(format_args!(
        "baseline: p50 {:?} ms, p99 {:?} ms, {:.0} requests/s",
        baseline.p50_ms, baseline.p99_ms, baseline.requests_per_sec
    ));

    progress(format_args!(
        "burst: {} webhook requests ({} events, {} redeliveries), {in_flight} in flight",
        burst.deliveries.len(),
        burst.distinct,
        burst.deliveries.len() - burst.distinct
    ));
    let (answers, seconds) = send_all(&burst.deliveries, in_flight, {
        let (client, url, secret) = (
            client.clone(),
            format!("{base}/api/v1/stripe/webhook"),
            Arc::new(options.secret.clone()),
        );
        move |delivery: &Delivery| {
            webhook_request(
                client.clone(),
                url.clone(),
                secret.clone(),
                delivery.body.clone(),
            )
        }
    })
    .await;
    let finished = Instant::now();

    let mut latencies = Vec::with_capacity(answers.len());
    let (mut failures, mut first_failure) = (0, None);
    let (mut answered_new, mut answered_duplicate) = (0, 0);
    let mut new_by_id: HashMap<&str, usize> = burst
        .deliveries
        .iter()
        .map(|delivery| (delivery.id.as_str(), 0))
        .collect();
    for answer in &answers {
        match &answer.outcome {
            Ok(duplicate) => {
                latencies.push(answer.latency);
                if *duplicate {
                    answered_duplicate += 1;
                } else {
                    answered_new += 1;
                    *new_by_id
                        .entry(burst.deliveries[answer.index].id.as_str())
                        .or_default() += 1;
                }
            }
            Err(why) => {
                failures += 1;
                first_failure.get_or_insert_with(|| why.clone());
            }
        }
    }
    latencies.sort_unstable();
    let mut by_kind: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for answer in answers.iter().filter(|answer| answer.outcome.is_ok()) {
        let delivery = &burst.deliveries[answer.index];
        let kind = if delivery.redelivery {
            format!("{} (redelivery)", delivery.kind)
        } else {
            delivery.kind.to_owned()
        };
        by_kind.entry(kind).or_default().push(answer.latency);
    }
    let by_kind = by_kind
        .into_iter()
        .map(|(kind, latencies)| (kind, Latencies::of(latencies)))
        .collect();
    let mut slowest: Vec<&Answer> = answers.iter().collect();
    slowest.sort_by_key(|answer| std::cmp::Reverse(answer.latency));
    let slowest = slowest
        .into_iter()
        .take(SLOWEST)
        .map(|answer| Slow {
            position: answer.index,
            kind: burst.deliveries[answer.index].kind,
            redelivery: burst.deliveries[answer.index].redelivery,
            sent_at_ms: stats::millis(Some(answer.sent)),
            ms: stats::millis(Some(answer.latency)),
        })
        .collect();
    let events_per_sec = round1(latencies.len() as f64 / seconds.max(0.001));
    progress(format_args!(
        "burst: {} answered in {seconds:.2} s ({events_per_sec} events/s), {failures} failed; p50 {:?} ms, p99 {:?} ms",
        latencies.len(),
        stats::millis(stats::percentile(&latencies, 50.0)),
        stats::millis(stats::percentile(&latencies, 99.0)),
    ));

    // One recipient (the owner); payment failures are e-mailed by default, successes not.
    let alerts = burst.paid + burst.failed;
    let emails_expected = burst.failed;
    let deadline = finished + Duration::from_secs(options.drain_secs);
    let drained_after_s = loop {
        if mails.load(Ordering::Relaxed) >= emails_expected
            && hooks.load(Ordering::Relaxed) >= alerts
        {
            break Some(round1(finished.elapsed().as_secs_f64()));
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let outbox = Outbox {
        emails_expected,
        emails_received: mails.load(Ordering::Relaxed),
        webhooks_expected: alerts,
        webhooks_received: hooks.load(Ordering::Relaxed),
        drained_after_s,
    };
    progress(format_args!(
        "outbox: {} of {} e-mails and {} of {} webhooks received{}",
        outbox.emails_received,
        outbox.emails_expected,
        outbox.webhooks_received,
        outbox.webhooks_expected,
        drained_after_s.map_or_else(
            || format!(" when the {} s wait ran out", options.drain_secs),
            |s| format!(", the last {s} s after the burst"),
        ),
    ));

    Ok(Report {
        events: burst.deliveries.len(),
        distinct_events: burst.distinct,
        redeliveries: burst.deliveries.len() - burst.distinct,
        invoices: burst.invoices,
        paid_invoices: burst.paid,
        failed_invoices: burst.failed,
        event_types: burst.event_types,
        in_flight,
        answered: latencies.len(),
        failures,
        first_failure,
        answered_new,
        answered_duplicate,
        ids_new_more_than_once: new_by_id.values().filter(|&&n| n > 1).count(),
        ids_never_new: new_by_id.values().filter(|&&n| n == 0).count(),
        webhook_p50_ms: stats::millis(stats::percentile(&latencies, 50.0)),
        webhook_p90_ms: stats::millis(stats::percentile(&latencies, 90.0)),
        webhook_p99_ms: stats::millis(stats::percentile(&latencies, 99.0)),
        webhook_max_ms: stats::millis(latencies.last().copied()),
        by_kind,
        slowest,
        webhook_s: round3(seconds),
        events_per_sec,
        baseline,
        outbox,
    })
}

/// Sends one request per item, `in_flight` at a time, in the items' order; answers
/// every request's outcome and the seconds from the first request to the last answer.
async fn send_all<T, F, Fut>(items: &[T], in_flight: usize, request: F) -> (Vec<Answer>, f64)
where
    T: Sync,
    F: Fn(&T) -> Fut,
    Fut: Future<Output = Result<bool, String>> + Send + 'static,
{
    let (sender, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let started = Instant::now();
    for (index, item) in items.iter().enumerate() {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            break;
        };
        let request = request(item);
        let sender = sender.clone();
        tokio::spawn(async move {
            let at = Instant::now();
            let outcome = request.await;
            let latency = at.elapsed();
            drop(slot);
            let _ = sender.send(Answer {
                index,
                sent: at.saturating_duration_since(started),
                latency,
                outcome,
            });
        });
    }
    drop(sender);
    let mut all = Vec::with_capacity(items.len());
    while let Some(answer) = answers.recv().await {
        all.push(answer);
    }
    (all, started.elapsed().as_secs_f64())
}

/// `GET` the baseline route: `Ok(false)` when it answers 200.
async fn status_request(client: Client, url: String) -> Result<bool, String> {
    let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let _ = response.bytes().await;
    if status == StatusCode::OK {
        Ok(false)
    } else {
        Err(format!("GET {BASELINE_ROUTE} answered {status}"))
    }
}

/// Signs `body` now, as Stripe signs each delivery attempt, and posts it; the
/// receipt's `duplicate`.
async fn webhook_request(
    client: Client,
    url: String,
    secret: Arc<String>,
    body: Arc<String>,
) -> Result<bool, String> {
    let signature =
        pulse_backend::domain::webhooks::signature(&secret, unix_now(), body.as_bytes());
    let response = client
        .post(&url)
        .header("Stripe-Signature", signature)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.as_bytes().to_vec())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("the webhook answered {status}: {text}"));
    }
    let receipt: Value = serde_json::from_str(&text)
        .map_err(|_| format!("the webhook answered 200 without a receipt: {text}"))?;
    receipt["duplicate"]
        .as_bool()
        .ok_or_else(|| format!("the receipt has no `duplicate`: {text}"))
}

fn baseline(answers: &[Answer], seconds: f64) -> Baseline {
    let mut latencies: Vec<Duration> = answers
        .iter()
        .filter(|answer| answer.outcome.is_ok())
        .map(|answer| answer.latency)
        .collect();
    latencies.sort_unstable();
    Baseline {
        route: BASELINE_ROUTE,
        requests: answers.len(),
        failures: answers.len() - latencies.len(),
        p50_ms: stats::millis(stats::percentile(&latencies, 50.0)),
        p90_ms: stats::millis(stats::percentile(&latencies, 90.0)),
        p99_ms: stats::millis(stats::percentile(&latencies, 99.0)),
        max_ms: stats::millis(latencies.last().copied()),
        seconds: round3(seconds),
        requests_per_sec: round1(latencies.len() as f64 / seconds.max(0.001)),
    }
}

/// Registers an endpoint for the payment alerts at `url`.
async fn register_webhook(
    client: &Client,
    base: &str,
    token: &str,
    url: &str,
) -> anyhow::Result<()> {
    let request = CreateWebhookRequest {
        url: url.to_owned(),
        description: "pulse-bench billing".to_owned(),
        kinds: vec![AlertKind::PaymentSucceeded, AlertKind::PaymentFailed],
    };
    let response = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&request)
        .send()
        .await
        .context("POST /api/v1/webhooks")?;
    if response.status() != StatusCode::CREATED {
        bail!(
            "POST /api/v1/webhooks answered {} (the company must be on a plan with webhooks, \
             and the server allow private addresses): {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// Accepts SMTP conversations, counting the messages.
async fn smtp_sink(listener: TcpListener, received: Arc<AtomicUsize>) {
    while let Ok((socket, _)) = listener.accept().await {
        let received = received.clone();
        tokio::spawn(async move {
            if let Ok(messages) = account::converse(socket).await {
                received.fetch_add(messages.len(), Ordering::Relaxed);
            }
        });
    }
}

/// Answers every HTTP/1.1 request with 204, counting them: enough server for the
/// outbox's webhook deliveries (bodies with a `Content-Length`, kept-alive connections).
async fn http_sink(listener: TcpListener, received: Arc<AtomicUsize>) {
    while let Ok((socket, _)) = listener.accept().await {
        let received = received.clone();
        tokio::spawn(async move {
            let _ = answer_requests(socket, &received).await;
        });
    }
}

async fn answer_requests(socket: TcpStream, received: &AtomicUsize) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut length = 0;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                if first {
                    continue;
                }
                break;
            }
            first = false;
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        received.fetch_add(1, Ordering::Relaxed);
        write
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            .await?;
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_burst_mixes_invoices_subscriptions_and_redeliveries() {
        let burst = Burst::new(500, "cus_x", "price_x", 1_700_000_000);
        assert_eq!(burst.deliveries.len(), 500);
        let distinct: HashSet<&str> = burst.deliveries.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(distinct.len(), burst.distinct);
        assert_eq!(burst.distinct, 450);
        assert_eq!(burst.event_types.values().sum::<usize>(), 450);
        assert_eq!(burst.event_types["customer.subscription.updated"], 20);
        assert_eq!(burst.invoices, 430);
        assert_eq!(burst.paid, burst.event_types["invoice.payment_succeeded"]);
        assert_eq!(burst.failed, burst.event_types["invoice.payment_failed"]);
        assert!(burst.paid > burst.invoices / 2);
        // A redelivery is the same body as the first delivery, sent after it.
        let mut seen = HashMap::new();
        for (at, delivery) in burst.deliveries.iter().enumerate() {
            if let Some((first, body)) = seen.get(delivery.id.as_str()) {
                assert!(at > *first);
                assert_eq!(body, &delivery.body);
            } else {
                seen.insert(delivery.id.as_str(), (at, delivery.body.clone()));
            }
        }
        let small = Burst::new(10, "cus_x", "price_x", 1_700_000_000);
        assert_eq!((small.deliveries.len(), small.distinct), (10, 9));
    }
}
