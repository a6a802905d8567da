//! Outbound webhooks against a real receiver on loopback: signatures, retries with
//! backoff, the delivery log, replay, and the refusal of private addresses.

use std::time::Duration;

use pulse_backend::domain::webhooks::verify;
use pulse_backend::testing::{Receiver, TcpProxy, TestApp};
use pulse_shared::Page;
use pulse_shared::audit::AuditEvent;
use pulse_shared::webhooks::{
    DeliveryStatus, WebhookCreatedResponse, WebhookDelivery, WebhookDeliveryDetail, WebhookEvent,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Org, fields, get_json, json, post, send, sql};

async fn app_allowing_local() -> TestApp {
    TestApp::spawn_with(|config| {
        config.webhooks_allow_private = true;
        config.webhook_retry_base = Duration::from_millis(100);
        config.outbox_poll = Duration::from_millis(50);
    })
    .await
    .unwrap()
}

async fn register(app: &TestApp, org: &Org, url: &str, kinds: Value) -> (String, String) {
    let response = post(
        app,
        &org.admin,
        "/api/v1/webhooks",
        &json!({"url": url, "description": "Receiver", "kinds": kinds}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: WebhookCreatedResponse = json(response).await;
    assert!(body.secret.starts_with("whsec_"));
    (body.endpoint.id.to_string(), body.secret)
}

/// Queues a test event to `endpoint` as the company's admin: the delivery.
async fn queue_test(app: &TestApp, org: &Org, endpoint: &str) -> WebhookDelivery {
    let queued = post(
        app,
        &org.admin,
        &format!("/api/v1/webhooks/{endpoint}/test"),
        &json!({}),
    )
    .await;
    assert_eq!(queued.status(), 202);
    json(queued).await
}

/// Polls a delivery until it is no longer pending (for up to 15 s).
async fn settled(app: &TestApp, org: &Org, delivery: &str) -> WebhookDeliveryDetail {
    settled_within(app, org, delivery, Duration::from_secs(15)).await
}

/// Polls a delivery until it is no longer pending, for up to `within`.
async fn settled_within(
    app: &TestApp,
    org: &Org,
    delivery: &str,
    within: Duration,
) -> WebhookDeliveryDetail {
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        let detail: WebhookDeliveryDetail = get_json(
            app,
            &org.admin,
            &format!("/api/v1/webhooks/deliveries/{delivery}"),
        )
        .await;
        if detail.delivery.status != DeliveryStatus::Pending {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {delivery} never settled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_event_on_the_third_attempt_signed() {
    let app = app_allowing_local().await;
    let org = Org::create(&app, "hooks").await;
    let receiver = Receiver::start(vec![500, 503]).unwrap();
    let (endpoint, secret) = register(&app, &org, &receiver.url, json!(["test"])).await;

    let delivery = queue_test(&app, &org, &endpoint).await;
    let detail = settled(&app, &org, &delivery.id.to_string()).await;

    assert_eq!(
        detail.delivery.status,
        DeliveryStatus::Succeeded,
        "{detail:?}"
    );
    assert_eq!(detail.delivery.attempts, 3);
    let attempts = &detail.attempts;
    let statuses: Vec<_> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(statuses, vec![Some(500), Some(503), Some(200)]);
    assert!(attempts[0].error.as_deref().unwrap().contains("500"));
    assert_eq!(attempts[2].error, None);
    assert_eq!(detail.payload.event_type, "webhook.test");

    let seen = receiver.seen();
    assert_eq!(seen.len(), 3);
    let now = app.now().timestamp();
    for request in &seen {
        assert!(
            verify(&secret, &request.signature, &request.body, now, 300),
            "signature {} does not verify",
            request.signature
        );
        assert!(!verify(
            "whsec_wrong",
            &request.signature,
            &request.body,
            now,
            300
        ));
        assert_eq!(request.event_type, "webhook.test");
        assert_eq!(
            request.event_id, seen[0].event_id,
            "retries keep the event id"
        );
    }
    let body: WebhookEvent = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body.id.to_string(), seen[0].event_id);

    // The retries waited, with backoff: the third attempt came after the second's wait.
    let at = |i: usize| attempts[i].attempted_at;
    assert!((at(1) - at(0)).num_milliseconds() >= 50);
    assert!((at(2) - at(1)).num_milliseconds() >= 100);

    // The log lists it, and a replay sends the same event again as a new delivery.
    let log: Page<WebhookDelivery> = get_json(
        &app,
        &org.admin,
        &format!("/api/v1/webhooks/{endpoint}/deliveries"),
    )
    .await;
    assert_eq!(log.items.len(), 1);
    let replayed = post(
        &app,
        &org.admin,
        &format!("/api/v1/webhooks/deliveries/{}/replay", delivery.id),
        &json!({}),
    )
    .await;
    assert_eq!(replayed.status(), 202);
    let replayed: WebhookDelivery = json(replayed).await;
    assert_eq!(replayed.replay_of, Some(delivery.id));
    let detail = settled(&app, &org, &replayed.id.to_string()).await;
    assert_eq!(detail.delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(receiver.seen().len(), 4);
    assert_eq!(receiver.seen()[3].event_id, seen[0].event_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_go_to_the_endpoints_that_want_their_kind() {
    let app = app_allowing_local().await;
    let org = Org::create(&app, "kinds").await;
    let offline = Receiver::start(vec![]).unwrap();
    let other = Receiver::start(vec![]).unwrap();
    register(
        &app,
        &org,
        &offline.url,
        json!(["agent_offline", "policy_changed"]),
    )
    .await;
    let (disabled, _) = register(&app, &org, &other.url, json!(["agent_offline"])).await;
    let off = send(
        &app,
        &org.admin,
        Method::PATCH,
        &format!("/api/v1/webhooks/{disabled}"),
        Some(&json!({"enabled": false})),
    )
    .await;
    assert_eq!(off.status(), 200);

    let db = app.db().unwrap();
    let mut conn = db.system().await.unwrap();
    let alert = pulse_backend::alerting::NewAlert {
        kind: pulse_shared::alerts::AlertKind::AgentOffline,
        title: "Agent on LAPTOP-7 is offline".into(),
        body: "Last seen 3 minutes ago.".into(),
        subject: pulse_shared::alerts::AlertSubject::default(),
        audience: pulse_backend::alerting::Audience::Company,
        agents: Vec::new(),
    };
    pulse_backend::alerting::raise(&mut conn, org.owner.body.me.company.id, alert, app.now())
        .await
        .unwrap();
    // A personal test alert never leaves the company.
    post(&app, &org.owner, "/api/v1/alerts/test", &json!({})).await;

    for _ in 0..100 {
        if !offline.seen().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = offline.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].event_type, "alert.agent_offline");
    let body: WebhookEvent = serde_json::from_slice(&seen[0].body).unwrap();
    // `data` is the alert as receivers get it: free-form JSON in the event's type.
    assert_eq!(body.data["title"], "Agent on LAPTOP-7 is offline");
    assert_eq!(body.data["severity"], "warning");
    assert!(
        other.seen().is_empty(),
        "a disabled endpoint receives nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_not_followed() {
    let app = app_allowing_local().await;
    let org = Org::create(&app, "redirects").await;
    let receiver = Receiver::start(vec![302]).unwrap();
    let (endpoint, _) = register(&app, &org, &receiver.url, json!(["test"])).await;
    let delivery = queue_test(&app, &org, &endpoint).await;
    let detail = settled(&app, &org, &delivery.id.to_string()).await;
    let first = &detail.attempts[0];
    assert_eq!(first.status_code, Some(302), "{detail:?}");
    assert!(first.error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_and_metadata_addresses_are_refused_without_the_local_flag() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "ssrf").await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "https://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://10.0.0.5/hook",
        "https://localhost/hook",
        "https://[::ffff:169.254.169.254]/",
        "ftp://example.com/hook",
    ] {
        let response = post(
            &app,
            &org.admin,
            "/api/v1/webhooks",
            &json!({"url": url, "kinds": ["test"]}),
        )
        .await;
        assert_eq!(response.status(), 422, "{url}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(fields(&problem), vec!["/url"], "{url}: {problem}");
    }
    // A public HTTPS endpoint is fine; bad descriptions and empty kinds are named.
    let ok = post(
        &app,
        &org.admin,
        "/api/v1/webhooks",
        &json!({"url": "https://hooks.example.com/pulse", "kinds": ["test"]}),
    )
    .await;
    assert_eq!(ok.status(), 201);
    let bad = post(
        &app,
        &org.admin,
        "/api/v1/webhooks",
        &json!({"url": "https://127.0.0.1/", "description": "x".repeat(201), "kinds": []}),
    )
    .await;
    let problem: Value = bad.json().await.unwrap();
    assert_eq!(
        fields(&problem),
        vec!["/url", "/description", "/kinds"],
        "{problem}"
    );
    // Changing the URL later is checked the same way.
    let id = json::<WebhookCreatedResponse>(ok).await.endpoint.id;
    let moved = send(
        &app,
        &org.admin,
        Method::PATCH,
        &format!("/api/v1/webhooks/{id}"),
        Some(&json!({"url": "http://169.254.169.254/"})),
    )
    .await;
    assert_eq!(moved.status(), 422);
    // Every change is audited.
    let audit: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=webhook.created",
    )
    .await;
    assert_eq!(audit.items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_finished_deliveries_are_pruned_and_pending_ones_kept() {
    let app = app_allowing_local().await;
    let org = Org::create(&app, "prune").await;
    let receiver = Receiver::start(vec![]).unwrap();
    let (endpoint, _) = register(&app, &org, &receiver.url, json!(["test"])).await;
    let test = format!("/api/v1/webhooks/{endpoint}/test");
    let done: WebhookDelivery = json(post(&app, &org.admin, &test, &json!({})).await).await;
    settled(&app, &org, &done.id.to_string()).await;
    let now = format!("'{}'::timestamptz", app.now().to_rfc3339());
    sql(
        &app,
        &format!(
            "UPDATE webhook_deliveries SET created_at = {now} - interval '31 days';
             INSERT INTO webhook_deliveries (company_id, id, endpoint_id, event_id, event_type, payload, next_attempt_at, give_up_at, created_at)
             SELECT company_id, gen_random_uuid(), id, gen_random_uuid(), 'webhook.test', '{{}}', {now} + interval '1 hour', {now} + interval '1 day', {now} - interval '40 days'
               FROM webhook_endpoints WHERE id = '{endpoint}';"
        ),
    )
    .await;
    let db = app.db().unwrap();
    let mut conn = db.system().await.unwrap();
    let pruned =
        pulse_backend::db::webhooks::prune(&mut conn, chrono::Duration::days(30), app.now())
            .await
            .unwrap();
    assert_eq!(pruned, 1, "only the finished delivery goes");
    let log: Page<WebhookDelivery> = get_json(
        &app,
        &org.admin,
        &format!("/api/v1/webhooks/{endpoint}/deliveries"),
    )
    .await;
    let statuses: Vec<_> = log.items.iter().map(|d| d.status).collect();
    assert_eq!(statuses, vec![DeliveryStatus::Pending]);
}

/// An endpoint that hangs holds a couple of its own deliveries, never anyone else's:
/// sends do not wait for one another, and one endpoint has few in flight at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_holds_up_nobody_else() {
    let app = app_allowing_local().await;
    let (slow, quick) = (
        Org::create(&app, "slow").await,
        Org::create(&app, "quick").await,
    );
    let hanging = Receiver::start(vec![Receiver::HANG; 8]).unwrap();
    let answering = Receiver::start(vec![]).unwrap();
    let (stuck, _) = register(&app, &slow, &hanging.url, json!(["test"])).await;
    let (fine, _) = register(&app, &quick, &answering.url, json!(["test"])).await;
    for _ in 0..5 {
        queue_test(&app, &slow, &stuck).await;
    }
    let mut waited = 0;
    while hanging.seen().is_empty() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(
        !hanging.seen().is_empty(),
        "the hanging endpoint was called"
    );
    let delivery = queue_test(&app, &quick, &fine).await;
    // Settles while the hanging requests still wait for their 10 s timeout.
    let detail = settled(&app, &quick, &delivery.id.to_string()).await;
    assert_eq!(detail.delivery.status, DeliveryStatus::Succeeded);
    assert_eq!(answering.seen().len(), 1);
    assert!(
        hanging.seen().len() <= pulse_backend::worker::outbox::PER_ENDPOINT,
        "{} requests in flight to one endpoint",
        hanging.seen().len()
    );
}

/// A receiver that is away for a minute (every connection refused) loses nothing: each
/// delivery queued meanwhile arrives once it is back, exactly once, and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_away_for_a_minute_gets_every_delivery_once_it_is_back() {
    const DELIVERIES: usize = 10;
    let app = TestApp::spawn_with(|config| {
        config.webhooks_allow_private = true;
        // Attempts 0.25 s, 0.5 s, 1 s … apart: seven or eight within the minute away.
        config.webhook_retry_base = Duration::from_millis(250);
        config.outbox_poll = Duration::from_millis(50);
    })
    .await
    .unwrap();
    let org = Org::create(&app, "away").await;
    let receiver = Receiver::start(Vec::new()).unwrap();
    let (scheme_host, path) = receiver.url.split_at(receiver.url.find("/hooks").unwrap());
    let host = scheme_host.trim_start_matches("http://");
    let proxy = TcpProxy::start(host, false).await.unwrap();
    proxy.set_down(true);
    let (endpoint, _) = register(
        &app,
        &org,
        &format!("http://{}{path}", proxy.addr),
        json!(["test"]),
    )
    .await;

    let mut deliveries = Vec::new();
    for _ in 0..DELIVERIES {
        deliveries.push(queue_test(&app, &org, &endpoint).await.id.to_string());
    }
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(receiver.seen().is_empty(), "the receiver was away");
    proxy.set_down(false);

    let mut details = Vec::new();
    for delivery in &deliveries {
        // The attempt after the minute away may come a minute later (backoff).
        let detail = settled_within(&app, &org, delivery, Duration::from_secs(120)).await;
        assert_eq!(
            detail.delivery.status,
            DeliveryStatus::Succeeded,
            "{detail:#?}"
        );
        assert!(detail.delivery.attempts > 1, "{detail:#?}");
        details.push(detail);
    }
    let mut seen: Vec<String> = receiver.seen().into_iter().map(|r| r.event_id).collect();
    seen.sort();
    let mut sent: Vec<String> = details.iter().map(|d| d.payload.id.to_string()).collect();
    sent.sort();
    assert_eq!(seen, sent, "each event arrives exactly once");
}
