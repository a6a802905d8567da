//! Alerts: who receives them, conditions raised once, read state, preferences, email,
//! and the live stream (tickets, resume, two replicas).

use std::time::Duration;

use pulse_backend::alerting::{self, Audience, NewAlert};
use pulse_backend::testing::TestApp;
use pulse_shared::Page;
use pulse_shared::alerts::{
    Alert, AlertKind, AlertPreference, AlertPreferences, AlertSubject, MarkedRead, Severity,
    StreamTicket, UnreadCount,
};
use pulse_shared::audit::AuditEvent;
use pulse_shared::ids::{AgentId, CompanyId, UserId};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Org, Session, fields, get, get_json, json, post, send};

fn company(org: &Org) -> CompanyId {
    org.owner.body.me.company.id
}

fn user(session: &Session) -> UserId {
    session.body.me.user.id
}

/// Raises `kind` about `about` through the server's own function, as the agent and
/// billing code do.
async fn raise(app: &TestApp, org: &Org, kind: AlertKind, subject: AlertSubject) -> bool {
    let db = app.db().unwrap();
    let mut conn = db.system().await.unwrap();
    let alert = NewAlert {
        kind,
        title: format!("{} for the test", kind.label()),
        body: "Raised by a test.".into(),
        subject,
        audience: Audience::Company,
        agents: Vec::new(),
    };
    alerting::raise(&mut conn, company(org), alert, app.now())
        .await
        .unwrap()
        .is_some()
}

async fn inbox(app: &TestApp, who: &Session, query: &str) -> Vec<Alert> {
    get_json::<Page<Alert>>(app, who, &format!("/api/v1/alerts{query}"))
        .await
        .items
}

async fn unread(app: &TestApp, who: &Session) -> i64 {
    get_json::<UnreadCount>(app, who, "/api/v1/alerts/unread-count")
        .await
        .unread
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_about_an_employee_reaches_admins_and_their_managers_only() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "recipients").await;
    let subject = AlertSubject {
        agent_id: Some(AgentId(uuid::Uuid::now_v7())),
        user_id: Some(user(&org.employee)),
        ..AlertSubject::default()
    };
    assert!(raise(&app, &org, AlertKind::AgentOffline, subject).await);
    for (name, who, expected) in [
        ("owner", &org.owner, 1),
        ("admin", &org.admin, 1),
        ("manager of the employee's team", &org.manager, 1),
        ("the employee", &org.employee, 0),
        ("an employee of another team", &org.outsider, 0),
    ] {
        assert_eq!(inbox(&app, who, "").await.len(), expected, "{name}");
    }
    let alert = &inbox(&app, &org.manager, "").await[0];
    assert_eq!(alert.kind, AlertKind::AgentOffline);
    assert_eq!(alert.severity, Severity::Warning);
    assert_eq!(alert.subject.user_id, Some(user(&org.employee)));
    assert_eq!(alert.read_at, None);

    // About the outsider (team B, no manager): the manager of team A hears nothing.
    let subject = AlertSubject {
        user_id: Some(user(&org.outsider)),
        ..AlertSubject::default()
    };
    assert!(raise(&app, &org, AlertKind::PolicyChanged, subject).await);
    assert_eq!(inbox(&app, &org.manager, "").await.len(), 1);
    assert_eq!(inbox(&app, &org.admin, "").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_condition_is_raised_once_until_it_ends() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "conditions").await;
    let agent = AlertSubject {
        agent_id: Some(AgentId(uuid::Uuid::now_v7())),
        ..AlertSubject::default()
    };
    let other = AlertSubject {
        agent_id: Some(AgentId(uuid::Uuid::now_v7())),
        ..AlertSubject::default()
    };
    assert!(raise(&app, &org, AlertKind::AgentOffline, agent.clone()).await);
    assert!(!raise(&app, &org, AlertKind::AgentOffline, agent.clone()).await);
    assert!(raise(&app, &org, AlertKind::AgentOffline, other).await);
    assert_eq!(
        inbox(&app, &org.owner, "?kind=agent_offline").await.len(),
        2
    );
    // Back online ends the condition; the next outage is a new alert.
    assert!(raise(&app, &org, AlertKind::AgentOnline, agent.clone()).await);
    assert!(raise(&app, &org, AlertKind::AgentOffline, agent).await);
    assert_eq!(
        inbox(&app, &org.owner, "?kind=agent_offline").await.len(),
        3
    );
    assert_eq!(inbox(&app, &org.owner, "?kind=agent_online").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_read_and_unread_per_recipient() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "readstate").await;
    for _ in 0..3 {
        raise(
            &app,
            &org,
            AlertKind::PolicyChanged,
            AlertSubject::default(),
        )
        .await;
    }
    raise(
        &app,
        &org,
        AlertKind::PaymentFailed,
        AlertSubject {
            invoice_id: Some("in_123".into()),
            ..AlertSubject::default()
        },
    )
    .await;
    assert_eq!(unread(&app, &org.owner).await, 4);
    assert_eq!(unread(&app, &org.admin).await, 4);

    let first = inbox(&app, &org.owner, "").await[0].id;
    let read = format!("/api/v1/alerts/{first}/read");
    let marked = send(&app, &org.owner, Method::PUT, &read, None).await;
    assert_eq!(marked.status(), 204);
    assert_eq!(unread(&app, &org.owner).await, 3);
    assert_eq!(
        unread(&app, &org.admin).await,
        4,
        "the admin's copy is theirs"
    );
    assert_eq!(inbox(&app, &org.owner, "?read=true").await.len(), 1);
    assert_eq!(inbox(&app, &org.owner, "?read=false").await.len(), 3);
    assert_eq!(inbox(&app, &org.owner, "?severity=critical").await.len(), 1);

    let unmarked = send(&app, &org.owner, Method::DELETE, &read, None).await;
    assert_eq!(unmarked.status(), 204);
    assert_eq!(unread(&app, &org.owner).await, 4);

    // Someone who never received it cannot touch it.
    let theirs = send(&app, &org.employee, Method::PUT, &read, None).await;
    assert_eq!(theirs.status(), 404);

    let all: MarkedRead =
        json(post(&app, &org.owner, "/api/v1/alerts/read-all", &json!({})).await).await;
    assert_eq!(all.marked, 4);
    assert_eq!(unread(&app, &org.owner).await, 0);

    // Pages follow the cursor without repeats.
    let page: Page<Alert> = get_json(&app, &org.owner, "/api/v1/alerts?limit=3").await;
    let cursor = page.next_cursor.as_deref().unwrap();
    let rest = inbox(&app, &org.owner, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!((page.items.len(), rest.len()), (3, 1));

    for bad in ["?kind=volcano", "?read=maybe", "?limit=0", "?cursor=abc"] {
        let response = get(&app, &org.owner, &format!("/api/v1/alerts{bad}")).await;
        assert!(
            [400, 422].contains(&response.status().as_u16()),
            "{bad}: {}",
            response.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_decide_what_arrives_in_the_app_and_by_email() {
    let app = TestApp::spawn_with(|config| {
        config.outbox_poll = Duration::from_millis(50);
    })
    .await
    .unwrap();
    let org = Org::create(&app, "prefs").await;
    let path = "/api/v1/me/alert-preferences";
    let defaults: AlertPreferences = get_json(&app, &org.owner, path).await;
    let items = &defaults.items;
    assert_eq!(items.len(), AlertKind::ALL.len());
    assert!(items.contains(&AlertPreference {
        kind: AlertKind::PaymentFailed,
        in_app: true,
        email: true
    }));
    assert!(items.contains(&AlertPreference {
        kind: AlertKind::Test,
        in_app: true,
        email: false
    }));

    // Test alerts: email only.
    let change = json!({"items": [{"kind": "test", "in_app": false, "email": true}]});
    let saved = send(&app, &org.owner, Method::PUT, path, Some(&change)).await;
    assert_eq!(saved.status(), 200);
    let saved: AlertPreferences = json(saved).await;
    assert!(saved.items.contains(&AlertPreference {
        kind: AlertKind::Test,
        in_app: false,
        email: true
    }));
    let sent = post(&app, &org.owner, "/api/v1/alerts/test", &json!({})).await;
    assert_eq!(sent.status(), 204);
    assert_eq!(inbox(&app, &org.owner, "").await.len(), 0);
    // Invitations went out by email too; wait for the alert's.
    let alert_mail = || {
        app.mailbox
            .messages()
            .into_iter()
            .find(|message| message.contains("[Pulse] Test alert"))
    };
    let mut waited = 0;
    while alert_mail().is_none() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    let mail = alert_mail().expect("the test alert by email");
    assert!(mail.contains("To: owner@prefs.test"), "{mail}");
    assert!(mail.contains("/alerts"), "{mail}");

    // The change is audited.
    let audit: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=alert_preferences.updated",
    )
    .await;
    assert_eq!(audit.items.len(), 1);

    for (body, field) in [
        (
            json!({"items": [{"kind": "test", "in_app": true, "email": true}, {"kind": "test", "in_app": false, "email": false}]}),
            "/items/1/kind",
        ),
        (
            json!({"items": [{"kind": "volcano", "in_app": true, "email": true}]}),
            "/items/0/kind",
        ),
        (
            json!({"items": [{"kind": "test", "in_app": "yes", "email": true}]}),
            "/items/0/in_app",
        ),
    ] {
        let refused = send(&app, &org.owner, Method::PUT, path, Some(&body)).await;
        assert_eq!(refused.status(), 422, "{body}");
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(fields(&problem), vec![field.to_owned()], "{problem}");
    }
}

/// An SSE client: reads events from a streaming response.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

#[derive(Debug)]
struct Event {
    name: String,
    id: Option<String>,
    data: String,
}

impl Events {
    async fn open(url: &str, last_event_id: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new().get(url);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        request.send().await.unwrap()
    }

    fn new(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` after `within`.
    async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    name: "message".into(),
                    id: None,
                    data: String::new(),
                };
                let mut has_data = false;
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event: ") {
                        event.name = value.into();
                    } else if let Some(value) = line.strip_prefix("id: ") {
                        event.id = Some(value.into());
                    } else if let Some(value) = line.strip_prefix("data: ") {
                        event.data.push_str(value);
                        has_data = true;
                    }
                }
                if has_data {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn ticket(base_url: &str, who: &Session) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/api/v1/alerts/stream-tickets"))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    json::<StreamTicket>(response).await.ticket
}

fn stream_url(base_url: &str, ticket: &str) -> String {
    format!("{base_url}/api/v1/alerts/stream?ticket={ticket}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_pushes_new_alerts_to_their_recipients() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "stream").await;
    let ticket_owner = ticket(&app.base_url, &org.owner).await;
    let mut owner =
        Events::new(Events::open(&stream_url(&app.base_url, &ticket_owner), None).await);
    let ticket_employee = ticket(&app.base_url, &org.employee).await;
    let mut employee =
        Events::new(Events::open(&stream_url(&app.base_url, &ticket_employee), None).await);

    raise(
        &app,
        &org,
        AlertKind::PolicyChanged,
        AlertSubject::default(),
    )
    .await;
    let event = owner.next(Duration::from_secs(5)).await.expect("an event");
    assert_eq!(event.name, "alert");
    let alert: Alert = serde_json::from_str(&event.data).unwrap();
    assert_eq!(alert.kind, AlertKind::PolicyChanged);
    assert_eq!(event.id, Some(alert.seq.to_string()));
    assert!(
        employee.next(Duration::from_millis(500)).await.is_none(),
        "employees do not receive company alerts"
    );

    // A ticket opens one stream only; unknown tickets and no credentials are refused.
    for url in [
        stream_url(&app.base_url, &ticket_owner),
        stream_url(&app.base_url, "made-up"),
        format!("{}/api/v1/alerts/stream", app.base_url),
    ] {
        let refused = Events::open(&url, None).await;
        assert_eq!(refused.status(), 401, "{url}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json"
        );
    }
    // Non-browser clients may use the bearer token.
    let with_bearer = reqwest::Client::new()
        .get(format!("{}/api/v1/alerts/stream", app.base_url))
        .bearer_auth(&org.admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_bearer.status(), 200);
}

/// Streams are bounded per person and per replica; a closed one gives its place back.
/// Tickets are bounded per person too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_streams_and_tickets_are_capped() {
    let app = TestApp::spawn_with(|config| {
        config.max_streams_per_person = 2;
        config.max_streams = 3;
        // A closed stream is noticed at the next keep-alive.
        config.sse_heartbeat = Duration::from_secs(1);
    })
    .await
    .unwrap();
    let org = Org::create(&app, "caps").await;
    let url = format!("{}/api/v1/alerts/stream", app.base_url);
    let open = async |who: &Session| {
        reqwest::Client::new()
            .get(&url)
            .bearer_auth(&who.access_token)
            .send()
            .await
            .unwrap()
    };
    let first = open(&org.owner).await;
    let second = open(&org.owner).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = open(&org.owner).await;
    assert_eq!(third.status(), 429, "a third stream of one person");
    assert!(third.headers().contains_key("retry-after"));
    assert_eq!(third.headers()["content-type"], "application/problem+json");
    let admins = open(&org.admin).await;
    assert_eq!(admins.status(), 200);
    let full = open(&org.admin).await;
    assert_eq!(full.status(), 503, "the replica holds three");
    drop(first);
    let mut reopened = 0;
    for _ in 0..100 {
        reopened = open(&org.owner).await.status().as_u16();
        if reopened == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reopened, 200, "a closed stream gives its place back");
    drop((second, admins));

    // Sixty a minute, refilled one a second: a quick seventy meet a refusal.
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for _ in 0..70 {
        let issued = reqwest::Client::new()
            .post(format!("{}/api/v1/alerts/stream-tickets", app.base_url))
            .bearer_auth(&org.employee.access_token)
            .send()
            .await
            .unwrap();
        *statuses.entry(issued.status().as_u16()).or_default() += 1;
    }
    assert!(statuses.get(&201).is_some_and(|n| *n >= 60), "{statuses:?}");
    assert!(statuses.get(&429).is_some_and(|n| *n >= 1), "{statuses:?}");
    assert_eq!(statuses.len(), 2, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_stream_resumes_after_the_last_event_id() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "resume").await;
    raise(
        &app,
        &org,
        AlertKind::PolicyChanged,
        AlertSubject::default(),
    )
    .await;
    let seen = inbox(&app, &org.owner, "").await[0].seq.to_string();
    // Raised while the owner was away.
    for _ in 0..2 {
        raise(
            &app,
            &org,
            AlertKind::PolicyChanged,
            AlertSubject::default(),
        )
        .await;
    }
    let ticket = ticket(&app.base_url, &org.owner).await;
    let mut events =
        Events::new(Events::open(&stream_url(&app.base_url, &ticket), Some(&seen)).await);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let event = events
            .next(Duration::from_secs(5))
            .await
            .expect("a missed alert");
        ids.push(event.id.unwrap().parse::<i64>().unwrap());
    }
    assert!(ids[0] > seen.parse().unwrap() && ids[1] > ids[0], "{ids:?}");
    // Then live ones, without repeats.
    raise(
        &app,
        &org,
        AlertKind::PolicyChanged,
        AlertSubject::default(),
    )
    .await;
    let live = events
        .next(Duration::from_secs(5))
        .await
        .expect("a live alert");
    assert!(live.id.unwrap().parse::<i64>().unwrap() > ids[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_raised_on_one_replica_reaches_a_stream_on_another() {
    let app = TestApp::spawn().await.unwrap();
    let replica = app.replica().unwrap();
    let org = Org::create(&app, "replicas").await;
    // The ticket comes from replica A and opens a stream on B: tickets live in the database.
    let ticket = ticket(&app.base_url, &org.owner).await;
    let mut on_b = Events::new(Events::open(&stream_url(&replica.base_url, &ticket), None).await);
    // Raised through A's API.
    let raised = post(&app, &org.owner, "/api/v1/alerts/test", &json!({})).await;
    assert_eq!(raised.status(), 204);
    let event = on_b
        .next(Duration::from_secs(5))
        .await
        .expect("the alert, via B");
    let alert: Alert = serde_json::from_str(&event.data).unwrap();
    assert_eq!(alert.kind, AlertKind::Test);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_alerts_are_limited_per_person() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "limits").await;
    // The quota refills one a second, so a slow machine may get a few more through.
    let mut statuses = Vec::new();
    while statuses.len() < 120 && statuses.last() != Some(&429) {
        let response = post(&app, &org.employee, "/api/v1/alerts/test", &json!({})).await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
        }
    }
    assert!(
        statuses[..60].iter().all(|status| *status == 204),
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let accepted = statuses.iter().filter(|status| **status == 204).count();
    // Someone else is not held back.
    let other = post(&app, &org.manager, "/api/v1/alerts/test", &json!({})).await;
    assert_eq!(other.status(), 204);
    assert_eq!(
        inbox(&app, &org.employee, "?limit=200").await.len(),
        accepted
    );
}
