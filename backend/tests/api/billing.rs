//! Billing: the plans on offer, and Stripe's signed webhook events stored once each.

use pulse_backend::config::StripeConfig;
use pulse_backend::domain::webhooks::signature;
use pulse_backend::testing::{Localstripe, TestApp};
use pulse_shared::Page;
use pulse_shared::alerts::Alert;
use pulse_shared::audit::AuditEvent;
use pulse_shared::billing::{BillingOverview, Plan, PlanId, StripeEventReceipt};
use serde_json::json;

use crate::common::agents::{enroll, enroll_with, token};
use crate::common::{Org, Session, fields, get, get_json, json, post, scalar, send, signup, sql};

const WEBHOOK_SECRET: &str = "whsec_test_pulse";

async fn with_stripe() -> TestApp {
    TestApp::spawn_with(|config| {
        config.stripe = Some(StripeConfig {
            secret_key: "sk_test_pulse".into(),
            publishable_key: "pk_test_pulse".into(),
            webhook_secret: WEBHOOK_SECRET.into(),
            api_base: "http://127.0.0.1:9".into(),
            js_url: "http://127.0.0.1:9/js.stripe.com/v3/".into(),
            grace: chrono::TimeDelta::days(7),
        });
    })
    .await
    .unwrap()
}

/// Sends `body` to the Stripe webhook with `header` as its `Stripe-Signature`.
async fn deliver(app: &TestApp, body: &str, header: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client()
        .post(app.url("/api/v1/stripe/webhook"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    request.send().await.unwrap()
}

async fn stored_events(app: &TestApp) -> i64 {
    scalar(app, "SELECT count(*) FROM stripe_events").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_offered_cheapest_first_with_their_seats_and_features() {
    let app = TestApp::spawn().await.unwrap();
    assert_eq!(
        app.get("/api/v1/billing/plans").await.unwrap().status(),
        401
    );
    let org = Org::create(&app, "plans").await;
    let plans: Vec<Plan> = get_json(&app, &org.employee, "/api/v1/billing/plans").await;
    let offer: Vec<_> = plans
        .iter()
        .map(|plan| (plan.id, plan.monthly_price_cents, plan.seat_limit))
        .collect();
    assert_eq!(
        offer,
        [
            (PlanId::Free, 0, Some(5)),
            (PlanId::Pro, 2900, Some(50)),
            (PlanId::Enterprise, 9900, None),
        ]
    );
    let [free, pro, enterprise] = &plans[..] else {
        panic!("three plans: {plans:?}");
    };
    assert!(free.features.screenshots && !free.features.webhooks && !free.features.api_keys);
    assert!(pro.features.webhooks && pro.features.api_keys && !pro.features.sso);
    assert!(enterprise.features.sso);
    assert!(free.features.retention_days < pro.features.retention_days);
    assert!(plans.iter().all(|plan| plan.currency == "usd"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_events_need_a_valid_recent_signature_and_count_once() {
    let app = with_stripe().await;
    let now = app.now().timestamp();
    let body = json!({
        "id": "evt_test_1",
        "object": "event",
        "type": "invoice.payment_succeeded",
        "created": now,
        "data": {"object": {"id": "in_1", "object": "invoice"}}
    })
    .to_string();

    let refused = [
        ("no signature", body.clone(), None),
        (
            "another secret",
            body.clone(),
            Some(signature("whsec_other", now, body.as_bytes())),
        ),
        (
            "301 seconds old",
            body.clone(),
            Some(signature(WEBHOOK_SECRET, now - 301, body.as_bytes())),
        ),
        (
            "a changed body",
            body.replace("in_1", "in_2"),
            Some(signature(WEBHOOK_SECRET, now, body.as_bytes())),
        ),
        (
            "signed, but no event",
            "{\"hello\": 1}".to_owned(),
            Some(signature(WEBHOOK_SECRET, now, b"{\"hello\": 1}")),
        ),
    ];
    for (case, sent, header) in refused {
        let answer = deliver(&app, &sent, header.as_deref()).await;
        assert_eq!(answer.status(), 400, "{case}");
        assert_eq!(
            answer.headers()["content-type"],
            "application/problem+json",
            "{case}"
        );
    }
    // The signature covers the bytes as sent: an encoded body is refused unread.
    let encoded = app
        .client()
        .post(app.url("/api/v1/stripe/webhook"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .header(
            "stripe-signature",
            signature(WEBHOOK_SECRET, now, body.as_bytes()),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(encoded.status(), 415);
    assert_eq!(
        stored_events(&app).await,
        0,
        "a refused event changes nothing"
    );

    // Stripe may send several v1 values (while a secret rolls); any one that matches
    // is enough. 299 seconds old is still within the tolerance.
    let valid = signature(WEBHOOK_SECRET, now - 299, body.as_bytes());
    let rolled = format!("{valid},v1={}", "0".repeat(64));
    let first: StripeEventReceipt = json(deliver(&app, &body, Some(&rolled)).await).await;
    assert_eq!(
        first,
        StripeEventReceipt {
            event_id: "evt_test_1".into(),
            duplicate: false
        }
    );
    let again: StripeEventReceipt = json(deliver(&app, &body, Some(&valid)).await).await;
    assert!(again.duplicate, "a redelivered event is recognised");
    assert_eq!(stored_events(&app).await, 1);
    assert_eq!(
        scalar(
            &app,
            "SELECT count(*) FROM stripe_events
              WHERE id = 'evt_test_1' AND type = 'invoice.payment_succeeded'
                AND payload -> 'data' -> 'object' ->> 'id' = 'in_1'"
        )
        .await,
        1,
        "the whole event is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_stripe_keys_the_webhook_is_not_there() {
    let app = TestApp::spawn().await.unwrap();
    let body = json!({"id": "evt_1", "type": "x", "created": 1}).to_string();
    let header = signature(WEBHOOK_SECRET, app.now().timestamp(), body.as_bytes());
    let answer = deliver(&app, &body, Some(&header)).await;
    assert_eq!(answer.status(), 404);
    assert_eq!(stored_events(&app).await, 0);
}

/// A Stripe-compatible server signs its events as Stripe does; what it sends is
/// accepted and stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_signed_by_a_stripe_double_are_accepted() {
    let stripe = Localstripe::start().await.unwrap();
    let app = with_stripe().await;
    stripe
        .send_webhooks_to(&app.url("/api/v1/stripe/webhook"), WEBHOOK_SECRET)
        .await
        .unwrap();
    let customer: serde_json::Value = app
        .client()
        .post(stripe.url("/v1/customers"))
        .bearer_auth(Localstripe::SECRET_KEY)
        .form(&[("name", "Acme"), ("email", "billing@acme.test")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = customer["id"].as_str().unwrap().to_owned();
    let stored = format!(
        "SELECT count(*) FROM stripe_events
          WHERE type = 'customer.created' AND payload -> 'data' -> 'object' ->> 'id' = '{id}'"
    );
    for _ in 0..100 {
        if scalar(&app, &stored).await == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the customer.created event of {id} was not stored within 10 s");
}

/// Owners and admins see where the company stands; a new company is on Free with its
/// five seats, and billing is off without Stripe keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_company_is_on_free_and_owners_see_it() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "owner@fresh.test").await;
    let overview: BillingOverview = get_json(&app, &owner, "/api/v1/billing").await;
    assert_eq!(overview.plan.id, PlanId::Free);
    assert_eq!((overview.seats_used, overview.seat_limit), (0, Some(5)));
    assert!(overview.subscription.is_none() && overview.payment_method.is_none());

    let org = Org::create(&app, "overview").await;
    org.move_to(&app, "free").await;
    for who in [&org.manager, &org.employee] {
        assert_eq!(get(&app, who, "/api/v1/billing").await.status(), 403);
    }
    let overview: BillingOverview = get_json(&app, &org.admin, "/api/v1/billing").await;
    assert_eq!(overview.plan.id, PlanId::Free);
    assert_eq!((overview.seats_used, overview.seat_limit), (0, Some(5)));
    assert!(!overview.configured && overview.publishable_key.is_none());
    assert_eq!(overview.billing_email, None);

    // A company made before plans existed keeps the limit it had.
    sql(
        &app,
        "UPDATE companies SET seat_limit = 10 WHERE name = 'Acme'",
    )
    .await;
    let overview: BillingOverview = get_json(&app, &org.owner, "/api/v1/billing").await;
    assert_eq!(overview.seat_limit, Some(10));

    let stripe = with_stripe().await;
    let org = Org::create(&stripe, "configured").await;
    let overview: BillingOverview = get_json(&stripe, &org.owner, "/api/v1/billing").await;
    assert!(overview.configured);
    assert_eq!(overview.publishable_key.as_deref(), Some("pk_test_pulse"));
}

/// Invoices go to the billing address when one is set; changing it is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_billing_address_is_set_checked_and_audited() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "invoices").await;
    let put = async |who, body: serde_json::Value| {
        send(
            &app,
            who,
            reqwest::Method::PUT,
            "/api/v1/billing/email",
            Some(&body),
        )
        .await
    };
    let refused = put(&org.admin, json!({"billing_email": "not an address"})).await;
    assert_eq!(refused.status(), 422);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(fields(&problem), ["/billing_email"]);
    assert_eq!(
        put(&org.manager, json!({"billing_email": "x@acme.test"}))
            .await
            .status(),
        403
    );

    let set: BillingOverview =
        json(put(&org.admin, json!({"billing_email": " Accounts@Acme.test "})).await).await;
    assert_eq!(set.billing_email.as_deref(), Some("accounts@acme.test"));
    let read: BillingOverview = get_json(&app, &org.owner, "/api/v1/billing").await;
    assert_eq!(read.billing_email.as_deref(), Some("accounts@acme.test"));
    let cleared: BillingOverview =
        json(put(&org.owner, json!({"billing_email": null})).await).await;
    assert_eq!(cleared.billing_email, None);

    let audit: Page<AuditEvent> = get_json(
        &app,
        &org.owner,
        "/api/v1/audit-events?action=billing.email_changed",
    )
    .await;
    let summaries: Vec<_> = audit
        .items
        .iter()
        .map(|event| event.summary.clone())
        .collect();
    assert_eq!(
        summaries,
        [
            json!({"before": {"billing_email": "accounts@acme.test"}, "after": {"billing_email": null}}),
            json!({"before": {"billing_email": null}, "after": {"billing_email": "accounts@acme.test"}}),
        ]
    );
}

/// Taking the fourth of five seats and the last one each tell the owners and admins
/// once; a second computer takes no seat and says nothing; freeing a seat and taking
/// it again crosses the line again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taking_most_or_all_seats_tells_the_owners_once_per_crossing() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "seats").await;
    org.move_to(&app, "free").await;
    let seat_alerts = async |who: &Session| -> Vec<String> {
        let page: Page<Alert> = get_json(&app, who, "/api/v1/alerts?kind=seat_usage_high").await;
        let mut titles: Vec<_> = page.items.into_iter().map(|alert| alert.title).collect();
        titles.reverse();
        titles
    };
    // Owners and admins enroll only with a token made for them.
    let enroll_own = async |who: &Session, host: &str| {
        let id = who.body.me.user.id.to_string();
        let (_, secret) = token(&app, &org.owner, Some(&id)).await;
        let answer = enroll_with(&app, &secret, None, host).await;
        assert_eq!(answer.status(), 201);
        json::<pulse_shared::agents::EnrollResponse>(answer).await
    };
    for (who, host) in [
        (&org.employee, "emma-laptop"),
        (&org.manager, "max-laptop"),
        (&org.outsider, "otto-laptop"),
    ] {
        enroll(&app, &org, who, host).await;
    }
    assert!(seat_alerts(&org.owner).await.is_empty(), "3 of 5: quiet");
    enroll_own(&org.admin, "ada-laptop").await;
    enroll(&app, &org, &org.employee, "emma-desktop").await;
    assert_eq!(seat_alerts(&org.owner).await, ["4 of 5 seats in use"]);
    let owners = enroll_own(&org.owner, "olivia-laptop").await;
    let told = ["4 of 5 seats in use", "Every seat is in use"];
    assert_eq!(seat_alerts(&org.owner).await, told);
    assert_eq!(seat_alerts(&org.admin).await, told);
    assert!(
        seat_alerts(&org.manager).await.is_empty(),
        "managers are not told"
    );

    let revoked = send(
        &app,
        &org.owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/agents/{}", owners.agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    enroll_own(&org.owner, "olivia-desktop").await;
    assert_eq!(
        seat_alerts(&org.owner).await,
        [
            "4 of 5 seats in use",
            "Every seat is in use",
            "Every seat is in use"
        ]
    );
}

/// What a plan does not include is refused by the API, naming the plans that do;
/// on a plan that includes it, the same call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn features_outside_the_plan_are_refused_naming_the_plans_with_them() {
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "features").await;
    org.move_to(&app, "free").await;
    let webhook = json!({"url": "https://hooks.example.com/pulse", "kinds": ["test"]});
    let key = json!({"name": "CI", "role": "employee"});
    for (path, body, detail) in [
        (
            "/api/v1/webhooks",
            &webhook,
            "Webhooks are part of the Pro and Enterprise plans; this company is on Free. Choose a plan on the Billing page.",
        ),
        (
            "/api/v1/api-keys",
            &key,
            "API keys are part of the Pro and Enterprise plans; this company is on Free. Choose a plan on the Billing page.",
        ),
    ] {
        let refused = post(&app, &org.owner, path, body).await;
        assert_eq!(refused.status(), 402, "{path}");
        let problem: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/payment-required");
        assert_eq!(problem["detail"], detail);
    }
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM webhook_endpoints").await,
        0,
        "nothing was made"
    );
    org.move_to(&app, "pro").await;
    for (path, body) in [("/api/v1/webhooks", &webhook), ("/api/v1/api-keys", &key)] {
        assert_eq!(
            post(&app, &org.owner, path, body).await.status(),
            201,
            "{path}"
        );
    }
}

/// Configuration changes a plan's price and seats; the companies on it that had its
/// old limit get the new one, a company that kept an earlier limit keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_changed_by_configuration_apply_to_their_companies() {
    use pulse_backend::billing::plans::{PlanOverride, apply_overrides};
    let app = TestApp::spawn().await.unwrap();
    let org = Org::create(&app, "configured").await;
    let kept = signup(&app, "owner@kept.test").await;
    sql(&app, "UPDATE companies SET seat_limit = 10 WHERE id = (SELECT company_id FROM users WHERE email = 'owner@kept.test')").await;
    let overrides = std::collections::BTreeMap::from([
        (
            PlanId::Pro,
            PlanOverride {
                monthly_price_cents: Some(3900),
                seat_limit: Some(Some(60)),
                ..PlanOverride::default()
            },
        ),
        (
            PlanId::Free,
            PlanOverride {
                seat_limit: Some(Some(3)),
                ..PlanOverride::default()
            },
        ),
    ]);
    let mut conn = {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&app.db.url)
            .await
            .unwrap()
    };
    apply_overrides(&mut conn, &overrides).await.unwrap();
    let plans: Vec<Plan> = get_json(&app, &org.owner, "/api/v1/billing/plans").await;
    assert_eq!(
        (plans[1].monthly_price_cents, plans[1].seat_limit),
        (3900, Some(60))
    );
    assert_eq!(plans[0].seat_limit, Some(3));
    let pro: BillingOverview = get_json(&app, &org.owner, "/api/v1/billing").await;
    assert_eq!(pro.seat_limit, Some(60));
    let free: BillingOverview = get_json(&app, &kept, "/api/v1/billing").await;
    assert_eq!(free.seat_limit, Some(10), "an earlier limit is kept");
}
