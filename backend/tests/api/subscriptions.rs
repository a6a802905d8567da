//! Paying through Stripe (its test double, localstripe): cards, plan changes with their
//! prorated preview, auto-renew, declined cards, events in any order, and the grace
//! period of an unpaid subscription.

use pulse_backend::domain::webhooks::signature;
use pulse_backend::testing::{Localstripe, TestApp};
use pulse_backend::worker;
use pulse_shared::Page;
use pulse_shared::alerts::Alert;
use pulse_shared::audit::AuditEvent;
use pulse_shared::billing::{
    BillingOverview, Invoice, InvoiceStatus, PlanId, PlanPreview, SubscriptionStatus,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::activity::{event, upload};
use crate::common::agents::{enroll, heartbeat};
use crate::common::{Org, Session, get_json, invite_and_join, json, post, scalar, send};

/// A test's Stripe double and the app billing through it.
struct Billing {
    stripe: Localstripe,
    app: TestApp,
}

impl Billing {
    async fn start() -> Self {
        let stripe = Localstripe::start().await.unwrap();
        let app = stripe.spawn_app().await.unwrap();
        Self { stripe, app }
    }

    /// An `Org` on Free, where every company starts.
    async fn org(&self, tag: &str) -> Org {
        let org = Org::create(&self.app, tag).await;
        org.move_to(&self.app, "free").await;
        org
    }

    /// An `Org` that has paid for Pro with a good card.
    async fn org_on_pro(&self, tag: &str) -> Org {
        let org = self.org(tag).await;
        assert_eq!(
            self.add_card(&org.owner, "4242424242424242").await.status(),
            200
        );
        assert_eq!(
            self.change(&org.owner, PlanId::Pro, None).await.status(),
            200
        );
        org
    }

    async fn put(&self, who: &Session, path: &str, body: Value) -> reqwest::Response {
        send(&self.app, who, Method::PUT, path, Some(&body)).await
    }

    /// Makes a card from `number` the company's, answering the API's response.
    async fn add_card(&self, who: &Session, number: &str) -> reqwest::Response {
        let card = self.stripe.card(number).await.unwrap();
        self.put(
            who,
            "/api/v1/billing/payment-method",
            json!({"payment_method_id": card}),
        )
        .await
    }

    async fn auto_renew(&self, who: &Session, on: bool) -> reqwest::Response {
        self.put(who, "/api/v1/billing/auto-renew", json!({"auto_renew": on}))
            .await
    }

    async fn preview(&self, who: &Session, plan: PlanId) -> PlanPreview {
        json(
            post(
                &self.app,
                who,
                "/api/v1/billing/preview",
                &json!({"plan": plan}),
            )
            .await,
        )
        .await
    }

    async fn change(
        &self,
        who: &Session,
        plan: PlanId,
        proration_date: Option<i64>,
    ) -> reqwest::Response {
        self.put(
            who,
            "/api/v1/billing/plan",
            json!({"plan": plan, "proration_date": proration_date}),
        )
        .await
    }

    async fn overview(&self, who: &Session) -> BillingOverview {
        get_json(&self.app, who, "/api/v1/billing").await
    }

    async fn invoices(&self, who: &Session, query: &str) -> Vec<Invoice> {
        let page: Page<Invoice> =
            get_json(&self.app, who, &format!("/api/v1/billing/invoices{query}")).await;
        page.items
    }

    async fn alerts(&self, who: &Session, kind: &str) -> Vec<String> {
        let page: Page<Alert> =
            get_json(&self.app, who, &format!("/api/v1/alerts?kind={kind}")).await;
        page.items.into_iter().map(|alert| alert.title).collect()
    }

    async fn audited(&self, who: &Session, action: &str) -> Vec<Value> {
        let page: Page<AuditEvent> = get_json(
            &self.app,
            who,
            &format!("/api/v1/audit-events?action={action}"),
        )
        .await;
        page.items.into_iter().map(|event| event.summary).collect()
    }

    /// The company's Stripe subscription as Stripe has it (each test's app has one
    /// company with a subscription).
    async fn stripe_subscription(&self, org: &Org) -> Value {
        let _ = org;
        let id = scalar_text(
            &self.app,
            "SELECT stripe_subscription_id FROM subscriptions",
        )
        .await;
        self.app
            .client()
            .get(self.stripe.url(&format!("/v1/subscriptions/{id}")))
            .bearer_auth(Localstripe::SECRET_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Sends `event` to the webhook signed with the app's secret, as Stripe would.
    async fn deliver(&self, event: &Value) -> reqwest::Response {
        let body = event.to_string();
        let header = signature(
            Localstripe::WEBHOOK_SECRET,
            self.app.now().timestamp(),
            body.as_bytes(),
        );
        self.app
            .client()
            .post(self.app.url("/api/v1/stripe/webhook"))
            .header("content-type", "application/json")
            .header("stripe-signature", header)
            .body(body)
            .send()
            .await
            .unwrap()
    }
}

async fn scalar_text(app: &TestApp, query: &str) -> String {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    diesel::sql_query(format!("SELECT ({query}) AS value"))
        .get_result::<Row>(&mut conn)
        .await
        .unwrap()
        .value
}

/// Free to Pro with a card: the preview's amount is what is invoiced and paid, the
/// plan's seats apply, the owners hear of the payment, and every step is audited.
/// Then Pro to Enterprise: prorated, previewed, invoiced as previewed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrading_charges_what_the_preview_showed() {
    let billing = Billing::start().await;
    let org = billing.org("upgrade").await;

    let no_card = billing.change(&org.owner, PlanId::Pro, None).await;
    assert_eq!(no_card.status(), 422);
    let problem: Value = no_card.json().await.unwrap();
    assert_eq!(problem["errors"][0]["code"], "no_card");

    let carded: BillingOverview =
        json(billing.add_card(&org.admin, "4242424242424242").await).await;
    let card = carded.payment_method.expect("the card is on file");
    assert_eq!((card.brand.as_str(), card.last4.as_str()), ("visa", "4242"));
    assert_eq!((card.exp_month, card.exp_year), (12, 2034));

    let preview = billing.preview(&org.owner, PlanId::Pro).await;
    assert_eq!(
        (preview.amount_due_cents, preview.currency.as_str()),
        (2900, "usd")
    );
    let upgraded: BillingOverview = json(
        billing
            .change(&org.owner, PlanId::Pro, Some(preview.proration_date))
            .await,
    )
    .await;
    assert_eq!(upgraded.plan.id, PlanId::Pro);
    assert_eq!(upgraded.seat_limit, Some(50));
    let subscription = upgraded.subscription.expect("a subscription");
    assert_eq!(
        (
            subscription.plan,
            subscription.status,
            subscription.cancel_at_period_end
        ),
        (PlanId::Pro, SubscriptionStatus::Active, false)
    );
    assert!(subscription.current_period_end > billing.app.now());
    let next = upgraded.next_invoice.expect("it renews");
    assert_eq!(
        (next.amount_cents, next.date),
        (2900, subscription.current_period_end)
    );

    let invoices = billing.invoices(&org.owner, "").await;
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].status, InvoiceStatus::Paid);
    assert_eq!(invoices[0].amount_paid_cents, preview.amount_due_cents);
    assert_eq!(
        billing.alerts(&org.admin, "payment_succeeded").await,
        ["Payment of $29.00 received"]
    );

    let to_enterprise = billing.preview(&org.owner, PlanId::Enterprise).await;
    // An instant moved back would credit time that was used.
    let stale = billing
        .change(
            &org.owner,
            PlanId::Enterprise,
            Some(to_enterprise.proration_date - 7200),
        )
        .await;
    assert_eq!(stale.status(), 422);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "/proration_date");
    let enterprise: BillingOverview = json(
        billing
            .change(
                &org.owner,
                PlanId::Enterprise,
                Some(to_enterprise.proration_date),
            )
            .await,
    )
    .await;
    assert_eq!(
        (enterprise.plan.id, enterprise.seat_limit),
        (PlanId::Enterprise, None)
    );
    // Both invoices may be made in the same second (Stripe's times are in seconds).
    let all = billing.invoices(&org.owner, "").await;
    assert_eq!(all.len(), 2);
    let newest = all
        .iter()
        .find(|invoice| invoice.id != invoices[0].id)
        .unwrap();
    assert_eq!(newest.status, InvoiceStatus::Paid);
    assert_eq!(newest.amount_paid_cents, to_enterprise.amount_due_cents);
    let stripe_side = billing.stripe_subscription(&org).await;
    assert_eq!(
        stripe_side["items"]["data"][0]["plan"]["id"],
        "pulse_enterprise_monthly"
    );

    // Filtered by status and day, a page at a time, and as CSV.
    let (from, to) = (
        invoices[0].created_at.date_naive(),
        newest.created_at.date_naive(),
    );
    let before = from.pred_opt().unwrap();
    let first: Page<Invoice> = get_json(
        &billing.app,
        &org.owner,
        &format!("/api/v1/billing/invoices?status=paid&from={from}&to={to}&limit=1"),
    )
    .await;
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.expect("a second page");
    let second = billing
        .invoices(&org.owner, &format!("?status=paid&limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].id, first.items[0].id);
    for empty in ["?status=open".to_owned(), format!("?to={before}")] {
        assert!(
            billing.invoices(&org.owner, &empty).await.is_empty(),
            "{empty}"
        );
    }
    let csv = crate::common::get(&billing.app, &org.owner, "/api/v1/billing/invoices.csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",paid,"), "{csv}");
    let bad = crate::common::get(
        &billing.app,
        &org.owner,
        "/api/v1/billing/invoices?cursor=x",
    )
    .await;
    assert_eq!(bad.status(), 422);

    let plans: Vec<Value> = billing.audited(&org.owner, "billing.plan_changed").await;
    assert_eq!(
        plans,
        [
            json!({"before": {"plan": "pro"}, "after": {"plan": "enterprise"}}),
            json!({"before": {"plan": "free"}, "after": {"plan": "pro"}}),
        ]
    );
    assert_eq!(
        billing
            .audited(&org.owner, "billing.payment_method_changed")
            .await,
        [json!({"before": null, "after": {"brand": "visa", "last4": "4242"}})]
    );
    for who in [&org.manager, &org.employee] {
        assert_eq!(billing.change(who, PlanId::Free, None).await.status(), 403);
    }
}

/// Enrolls a computer for each of six people (the `Org`'s five and one more): six
/// seats in use. Answers the agents, the sixth person's last.
async fn take_six_seats(app: &TestApp, org: &Org) -> Vec<pulse_shared::agents::EnrollResponse> {
    let sixth = invite_and_join(app, &org.owner, "sam@seats.test", "employee", None).await;
    let mut agents = Vec::new();
    // Owners and admins enroll with tokens made for them.
    for who in [&org.owner, &org.admin] {
        let id = who.body.me.user.id.to_string();
        let (_, secret) = crate::common::agents::token(app, &org.owner, Some(&id)).await;
        let answer = crate::common::agents::enroll_with(app, &secret, None, "own").await;
        assert_eq!(answer.status(), 201);
        agents.push(json(answer).await);
    }
    for (who, host) in [
        (&org.employee, "emma"),
        (&org.manager, "max"),
        (&org.outsider, "otto"),
        (&sixth, "sam"),
    ] {
        agents.push(enroll(app, org, who, host).await);
    }
    agents
}

/// A plan with fewer seats than are in use is refused, saying how many agents to
/// revoke; with the seats fitting, Free ends the subscription at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downgrading_needs_the_seats_in_use_to_fit() {
    let billing = Billing::start().await;
    let app = &billing.app;
    let org = billing.org_on_pro("downgrade").await;
    let agents = take_six_seats(app, &org).await;
    assert_eq!(billing.overview(&org.owner).await.seats_used, 6);

    let refused = billing.change(&org.owner, PlanId::Free, None).await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(
        problem["detail"],
        "Free has 5 seats and 6 are in use: revoke the agents of 1 person before changing plan."
    );
    assert_eq!(billing.overview(&org.owner).await.plan.id, PlanId::Pro);

    let revoked = send(
        app,
        &org.owner,
        Method::DELETE,
        &format!("/api/v1/agents/{}", agents[5].agent_id),
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    let free: BillingOverview = json(billing.change(&org.owner, PlanId::Free, None).await).await;
    assert_eq!(
        (free.plan.id, free.seat_limit, free.seats_used),
        (PlanId::Free, Some(5), 5)
    );
    assert!(free.subscription.is_none() && free.next_invoice.is_none());
    assert_eq!(
        billing.stripe_subscription(&org).await["status"],
        "canceled"
    );
}

/// Auto-renew off is Stripe's `cancel_at_period_end`; the owners are told a week
/// before the period ends, once; on again, nothing ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_renew_off_ends_with_the_period_and_is_announced_once() {
    let billing = Billing::start().await;
    let org = billing.org("renew").await;
    let nothing = billing.auto_renew(&org.owner, false).await;
    assert_eq!(nothing.status(), 409, "Free has nothing to renew");
    assert_eq!(
        billing
            .add_card(&org.owner, "4242424242424242")
            .await
            .status(),
        200
    );
    assert_eq!(
        billing.change(&org.owner, PlanId::Pro, None).await.status(),
        200
    );

    let off: BillingOverview = json(billing.auto_renew(&org.owner, false).await).await;
    let subscription = off.subscription.clone().unwrap();
    assert!(subscription.cancel_at_period_end && off.next_invoice.is_none());
    assert_eq!(
        billing.stripe_subscription(&org).await["cancel_at_period_end"],
        true
    );

    let db = billing.app.db().unwrap();
    let ends = subscription.current_period_end;
    let grace = chrono::TimeDelta::days(7);
    let early = worker::billing::round(&db, ends - chrono::TimeDelta::days(8), grace).await;
    assert_eq!(
        early.unwrap().unwrap().expiring,
        0,
        "eight days before: quiet"
    );
    for _ in 0..2 {
        worker::billing::round(&db, ends - chrono::TimeDelta::days(3), grace)
            .await
            .unwrap();
    }
    let told = billing.alerts(&org.owner, "subscription_expiring").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].starts_with("The subscription ends on"), "{told:?}");

    let on: BillingOverview = json(billing.auto_renew(&org.owner, true).await).await;
    assert!(!on.subscription.unwrap().cancel_at_period_end);
    assert!(on.next_invoice.is_some());
    assert_eq!(
        billing.stripe_subscription(&org).await["cancel_at_period_end"],
        false
    );
    assert_eq!(
        billing
            .audited(&org.owner, "billing.auto_renew_changed")
            .await,
        [
            json!({"before": {"auto_renew": false}, "after": {"auto_renew": true}}),
            json!({"before": {"auto_renew": true}, "after": {"auto_renew": false}}),
        ]
    );
}

/// A card refused when it is added says so; one refused when charged leaves the
/// company on Free, the invoice open with the reason, and "payment failed" raised,
/// until a card that pays is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_is_explained_and_leaves_the_plan_alone() {
    let billing = Billing::start().await;
    let org = billing.org("declined").await;
    let refused = billing.add_card(&org.owner, "4000000000000002").await;
    assert_eq!(refused.status(), 402);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["detail"], "Your card was declined.");
    assert!(billing.overview(&org.owner).await.payment_method.is_none());

    assert_eq!(
        billing
            .add_card(&org.owner, "4000000000000341")
            .await
            .status(),
        200
    );
    let declined = billing.change(&org.owner, PlanId::Pro, None).await;
    assert_eq!(declined.status(), 402);
    let problem: Value = declined.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("declined"),
        "{problem}"
    );
    let overview = billing.overview(&org.owner).await;
    assert_eq!(
        (overview.plan.id, overview.seat_limit),
        (PlanId::Free, Some(5))
    );
    assert_eq!(
        overview
            .subscription
            .map(|subscription| subscription.status),
        Some(SubscriptionStatus::Incomplete)
    );
    let invoices = billing.invoices(&org.owner, "?status=open").await;
    assert_eq!(invoices.len(), 1);
    assert!(invoices[0].payment_error.is_some());
    assert_eq!(
        billing.alerts(&org.owner, "payment_failed").await,
        ["Payment of $29.00 failed"]
    );

    // A card that pays settles what is owed at once: the open invoice is paid, the
    // subscription starts, the failure is resolved.
    let paid: BillingOverview = json(billing.add_card(&org.owner, "4242424242424242").await).await;
    assert_eq!((paid.plan.id, paid.seat_limit), (PlanId::Pro, Some(50)));
    assert_eq!(
        paid.subscription.map(|subscription| subscription.status),
        Some(SubscriptionStatus::Active)
    );
    let invoice = &billing.invoices(&org.owner, "").await[0];
    assert_eq!(
        (invoice.status, invoice.payment_error.as_deref()),
        (InvoiceStatus::Paid, None)
    );
    assert_eq!(
        billing.alerts(&org.owner, "payment_succeeded").await,
        ["Payment of $29.00 received"]
    );
    let open = scalar(
        &billing.app,
        "SELECT count(*) FROM alerts WHERE kind = 'payment_failed' AND resolved_at IS NULL",
    )
    .await;
    assert_eq!(open, 0, "the payment resolves the failure");
    assert_eq!(
        billing.change(&org.owner, PlanId::Pro, None).await.status(),
        409
    );
}

/// A subscription event as Stripe sends it, made at `created`.
fn subscription_event(id: &str, created: i64, subscription: &Value, status: &str) -> Value {
    let mut object = subscription.clone();
    object["status"] = json!(status);
    json!({
        "id": id,
        "object": "event",
        "type": "customer.subscription.updated",
        "created": created,
        "data": {"object": object},
    })
}

/// Events apply once and in the order of their making, not of their arrival; a payment
/// that stays overdue past the grace period puts the company on Free's limits, and
/// nothing already collected is lost, nor does an enrolled agent stop reporting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_apply_once_in_the_order_made_and_grace_ends_in_free() {
    let billing = Billing::start().await;
    let app = &billing.app;
    let org = billing.org_on_pro("events").await;
    let agent = enroll(app, &org, &org.employee, "emma-laptop").await;
    let batch = [event(app, "code", 30, 600), event(app, "firefox", 20, 300)];
    assert_eq!(upload(app, &agent.credential, &batch).await.status(), 200);
    let collected = "SELECT count(*) FROM activity_events";
    assert_eq!(scalar(app, collected).await, 2);
    let subscription = billing.stripe_subscription(&org).await;
    let now = app.now().timestamp();

    let newer = subscription_event("evt_newer", now + 20, &subscription, "past_due");
    let older = subscription_event("evt_older", now + 10, &subscription, "active");
    for event in [&newer, &newer, &older] {
        assert_eq!(billing.deliver(event).await.status(), 200);
    }
    let overview = billing.overview(&org.owner).await;
    let state = overview.subscription.unwrap();
    assert_eq!(
        state.status,
        SubscriptionStatus::PastDue,
        "the newer state stands"
    );
    assert_eq!(overview.plan.id, PlanId::Pro, "within the grace period");
    let since = state.unpaid_since.expect("overdue since the event");
    assert_eq!(
        state.grace_ends_at,
        Some(since + chrono::TimeDelta::days(7))
    );
    let updates = billing
        .audited(&org.owner, "billing.subscription_updated")
        .await;
    assert_eq!(
        updates
            .iter()
            .filter(|summary| summary["after"]["status"] == "past_due")
            .count(),
        1,
        "the redelivered event changed nothing: {updates:?}"
    );

    let db = app.db().unwrap();
    let grace = chrono::TimeDelta::days(7);
    let within = worker::billing::round(&db, since + chrono::TimeDelta::days(6), grace).await;
    assert_eq!(within.unwrap().unwrap().downgraded, 0);
    let after = worker::billing::round(&db, since + chrono::TimeDelta::days(8), grace).await;
    assert_eq!(after.unwrap().unwrap().downgraded, 1);
    let overview = billing.overview(&org.owner).await;
    assert_eq!(
        (overview.plan.id, overview.seat_limit),
        (PlanId::Free, Some(5))
    );
    assert!(
        billing
            .alerts(&org.owner, "seat_usage_high")
            .await
            .is_empty(),
        "one seat in use fits Free"
    );
    assert_eq!(
        heartbeat(app, &agent.credential, "active")
            .await
            .status()
            .as_u16()
            / 100,
        2
    );
    assert_eq!(
        scalar(app, "SELECT count(*) FROM agents WHERE revoked_at IS NULL").await,
        1
    );
    assert_eq!(
        scalar(app, collected).await,
        2,
        "nothing collected is deleted"
    );
    let later = [event(app, "slack", 5, 120)];
    assert_eq!(upload(app, &agent.credential, &later).await.status(), 200);
    assert_eq!(scalar(app, collected).await, 3, "the agent keeps reporting");

    // Paid again (a newer event): the plan is back.
    let paid = subscription_event("evt_paid", now + 30, &subscription, "active");
    assert_eq!(billing.deliver(&paid).await.status(), 200);
    let overview = billing.overview(&org.owner).await;
    assert_eq!(
        (overview.plan.id, overview.seat_limit),
        (PlanId::Pro, Some(50))
    );
}

/// An invoice's failed payment told twice raises one alert; its payment later
/// resolves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_payment_event_told_twice_alerts_once() {
    let billing = Billing::start().await;
    let org = billing.org_on_pro("failed").await;
    let invoice = &billing.invoices(&org.owner, "").await[0];
    let customer = scalar_text(
        &billing.app,
        "SELECT stripe_customer_id FROM companies WHERE stripe_customer_id IS NOT NULL",
    )
    .await;
    let now = billing.app.now().timestamp();
    let object = |status: &str, paid: i64| {
        json!({
            "id": "in_renewal", "object": "invoice", "customer": customer,
            "subscription": null, "number": "PULSE-0002", "status": status,
            "total": 2900, "amount_due": 2900, "amount_paid": paid, "currency": "usd",
            "period_start": now, "period_end": now + 2_592_000, "created": now,
            "hosted_invoice_url": "https://invoice.stripe.test/i/renewal", "invoice_pdf": null,
            "payment_intent": null, "lines": {"data": []},
        })
    };
    let failed = json!({
        "id": "evt_failed", "object": "event", "type": "invoice.payment_failed",
        "created": now + 5, "data": {"object": object("open", 0)},
    });
    for _ in 0..2 {
        assert_eq!(billing.deliver(&failed).await.status(), 200);
    }
    assert_eq!(
        billing.alerts(&org.owner, "payment_failed").await,
        ["Payment of $29.00 failed"]
    );
    let renewal = billing.invoices(&org.owner, "?status=open").await;
    assert_eq!(renewal.len(), 1);
    assert_eq!(renewal[0].number.as_deref(), Some("PULSE-0002"));
    assert_ne!(renewal[0].id, invoice.id);

    let succeeded = json!({
        "id": "evt_paid", "object": "event", "type": "invoice.payment_succeeded",
        "created": now + 9, "data": {"object": object("paid", 2900)},
    });
    assert_eq!(billing.deliver(&succeeded).await.status(), 200);
    let open = scalar(
        &billing.app,
        "SELECT count(*) FROM alerts WHERE kind = 'payment_failed' AND resolved_at IS NULL",
    )
    .await;
    assert_eq!(open, 0, "the payment resolves the failure");
    assert_eq!(
        billing.alerts(&org.owner, "payment_succeeded").await,
        ["Payment of $29.00 received", "Payment of $29.00 received"]
    );
    assert_eq!(billing.invoices(&org.owner, "?status=open").await.len(), 0);
}

/// Stripe's events carry whole seconds, and two of the same second arrive in any
/// order: an invoice paid stays paid when news of its draft and its finalising come
/// after, and its payment is announced once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_paid_stays_paid_when_older_news_of_the_same_second_comes_late() {
    let billing = Billing::start().await;
    let org = billing.org_on_pro("late").await;
    let customer = scalar_text(
        &billing.app,
        "SELECT stripe_customer_id FROM companies WHERE stripe_customer_id IS NOT NULL",
    )
    .await;
    let now = billing.app.now().timestamp();
    let event = |id: &str, kind: &str, status: &str, paid: i64| {
        json!({
            "id": id, "object": "event", "type": kind, "created": now + 5,
            "data": {"object": {
                "id": "in_same_second", "object": "invoice", "customer": customer,
                "subscription": null, "number": "PULSE-0003", "status": status,
                "total": 2900, "amount_due": 2900, "amount_paid": paid, "currency": "usd",
                "period_start": now, "period_end": now + 2_592_000, "created": now,
                "hosted_invoice_url": null, "invoice_pdf": null,
                "payment_intent": null, "lines": {"data": []},
            }},
        })
    };
    let paid_before = billing.alerts(&org.owner, "payment_succeeded").await.len();
    for (id, kind, status, paid) in [
        ("evt_paid_first", "invoice.paid", "paid", 2900),
        ("evt_finalized_late", "invoice.finalized", "open", 0),
        ("evt_created_late", "invoice.created", "draft", 0),
    ] {
        let answer = billing.deliver(&event(id, kind, status, paid)).await;
        assert_eq!(answer.status(), 200, "{kind}");
    }
    let invoices = billing.invoices(&org.owner, "").await;
    let invoice = invoices
        .iter()
        .find(|invoice| invoice.id == "in_same_second")
        .expect("the invoice is listed");
    assert_eq!(invoice.status, InvoiceStatus::Paid);
    assert_eq!(invoice.amount_paid_cents, 2900);
    assert_eq!(
        billing.alerts(&org.owner, "payment_succeeded").await.len(),
        paid_before + 1,
        "the payment is announced once"
    );
}

/// A subscription ended stays ended when news of the same second that it was running
/// comes after (Stripe's event times are whole seconds): the company stays on Free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_ended_stays_ended_when_older_news_of_the_same_second_comes_late() {
    let billing = Billing::start().await;
    let app = &billing.app;
    let org = billing.org_on_pro("same-second").await;
    let subscription = billing.stripe_subscription(&org).await;
    let second = app.now().timestamp() + 5;
    let mut ended = subscription_event("evt_ended_first", second, &subscription, "canceled");
    ended["type"] = json!("customer.subscription.deleted");
    let running = subscription_event("evt_running_late", second, &subscription, "active");
    for event in [&ended, &running] {
        assert_eq!(billing.deliver(event).await.status(), 200);
    }
    let overview = billing.overview(&org.owner).await;
    assert_eq!(overview.plan.id, PlanId::Free);
    assert!(
        overview.subscription.is_none(),
        "{:?}",
        overview.subscription
    );
}

/// A subscription Stripe ends puts the company on Free at once; with more seats in use
/// than Free has, the owners are told, no one more is enrolled, and the agents already
/// enrolled keep reporting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_stripe_ends_leaves_free_limits_and_says_so() {
    let billing = Billing::start().await;
    let app = &billing.app;
    let org = billing.org_on_pro("ended").await;
    let agents = take_six_seats(app, &org).await;
    let subscription = billing.stripe_subscription(&org).await;
    let mut ended = subscription_event(
        "evt_ended",
        app.now().timestamp() + 5,
        &subscription,
        "canceled",
    );
    ended["type"] = json!("customer.subscription.deleted");
    assert_eq!(billing.deliver(&ended).await.status(), 200);

    let overview = billing.overview(&org.owner).await;
    assert_eq!(
        (overview.plan.id, overview.seat_limit, overview.seats_used),
        (PlanId::Free, Some(5), 6)
    );
    assert!(overview.subscription.is_none());
    assert_eq!(
        billing.alerts(&org.admin, "seat_usage_high").await,
        ["6 people hold seats; the plan has 5"]
    );
    let (_, secret) = crate::common::agents::token(app, &org.owner, None).await;
    let newcomer = invite_and_join(app, &org.owner, "nina@ended.test", "employee", None).await;
    let refused = crate::common::agents::enroll_with(
        app,
        &secret,
        Some(&newcomer.body.me.user.email),
        "nina",
    )
    .await;
    assert_eq!(refused.status(), 409);
    for agent in &agents {
        assert_eq!(
            heartbeat(app, &agent.credential, "active")
                .await
                .status()
                .as_u16()
                / 100,
            2
        );
    }
    assert_eq!(
        billing.audited(&org.owner, "billing.plan_changed").await[0],
        json!({"before": {"plan": "pro"}, "after": {"plan": "free"}})
    );
}
