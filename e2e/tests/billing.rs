//! Browser journey of paying for Pulse, against localstripe (the Stripe test double,
//! whose fake Stripe.js renders the card Element as plain inputs): an owner signs up,
//! finds the company on Free, enters a card in the Elements form, chooses Pro, sees the
//! prorated charge before confirming, and then the plan, its seats, the paid invoice in
//! the payment history, the payment alert arriving live on the bell, and the invoice's
//! own page. Screenshots of each billing page, desktop and phone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use anyhow::{Context as _, ensure};
use pulse_backend::testing::{Localstripe, TestApp};
use pulse_e2e::{Browser, PHONE, SignupForm, serve, step};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

const COMPANY: &str = "Billing Bakery";
const OWNER_NAME: &str = "Bea Baker";
const OWNER_EMAIL: &str = "bea@bakery.test";
const OWNER_PASSWORD: &str = "owner-password-42";

#[tokio::test]
async fn an_owner_pays_for_pro_with_a_card() -> anyhow::Result<()> {
    let stripe = Localstripe::start().await?;
    let app = spawn_billing_app(&stripe).await?;
    let b = Browser::start(&app.base_url).await?;
    let outcome = journey(&app, &b).await;
    if outcome.is_err() {
        b.record_failure("billing").await;
    }
    if let Err(error) = b.close().await {
        eprintln!("warning: closing the browser: {error:#}");
    }
    outcome
}

/// The e2e app (the built SPA, the system clock) billing through `stripe`: as
/// `Localstripe::spawn_app`, with its paid plans on sale and the double's events sent
/// to its webhook.
async fn spawn_billing_app(stripe: &Localstripe) -> anyhow::Result<TestApp> {
    let js_origin = fake_stripe_js(stripe).await?;
    let mut config = stripe.config();
    config.js_url = format!("{js_origin}/js.stripe.com/v3/");
    let app = serve(|app| app.stripe = Some(config)).await?;
    let db = app.db()?;
    let mut conn = db.system().await?;
    let client = pulse_backend::billing::client::StripeClient::new(&stripe.config());
    pulse_backend::billing::plans::sell_on_stripe(&mut conn, &client).await?;
    drop(conn);
    stripe
        .send_webhooks_to(
            &app.url("/api/v1/stripe/webhook"),
            Localstripe::WEBHOOK_SECRET,
        )
        .await?;
    Ok(app)
}

/// localstripe's fake Stripe.js declares a top-level `class Element`, which shadows the
/// DOM's `Element` for every classic script of the page, wasm-bindgen's glue included:
/// its `instanceof Element` checks then fail and the app's later DOM updates are lost.
/// Real Stripe.js declares nothing global but `Stripe`. So the page gets the fake
/// script from here with its class renamed; every other request (the calls the script
/// makes to its own origin) is passed through to localstripe as is. Answers the origin.
async fn fake_stripe_js(stripe: &Localstripe) -> anyhow::Result<String> {
    let script = reqwest::get(stripe.url("/js.stripe.com/v3/"))
        .await?
        .error_for_status()?
        .text()
        .await?
        .replace("class Element {", "class LocalstripeElement {")
        .replace("new Element(this)", "new LocalstripeElement(this)")
        .replace("instanceof Element)", "instanceof LocalstripeElement)");
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let upstream = stripe.base().trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (script, upstream) = (script.clone(), upstream.clone());
            tokio::spawn(async move {
                let _ = pass(client, &script, &upstream).await;
            });
        }
    });
    Ok(origin)
}

/// One connection: the script when it asks for it (then closed), else a byte pipe to
/// localstripe.
async fn pass(mut client: TcpStream, script: &str, upstream: &str) -> anyhow::Result<()> {
    let mut head = vec![0; 8192];
    let read = client.read(&mut head).await?;
    head.truncate(read);
    if head.starts_with(b"GET /js.stripe.com/v3/ ") {
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{script}",
            script.len()
        );
        client.write_all(answer.as_bytes()).await?;
        return Ok(());
    }
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut client, &mut server).await?;
    Ok(())
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let js_url = &app
        .config
        .stripe
        .as_ref()
        .context("billing is configured")?
        .js_url;
    let js_origin = js_url.trim_end_matches("/js.stripe.com/v3/").to_owned();
    step(
        "the page admits Stripe.js",
        the_page_admits_stripe_js(app, js_origin),
    )
    .await?;
    step("signs up", signs_up(app, b)).await?;
    step("finds the company on Free", finds_the_company_on_free(b)).await?;
    step("enters a card", enters_a_card(b)).await?;
    step("chooses Pro after its preview", chooses_pro(b)).await?;
    step("hears of the payment on the bell", hears_of_the_payment(b)).await?;
    step("finds the invoice in the history", finds_the_invoice(b)).await?;
    step("opens the invoice", opens_the_invoice(b)).await?;
    Ok(())
}

/// The page's CSP names Stripe.js's origin, for its script, frames and calls.
async fn the_page_admits_stripe_js(app: &TestApp, js_origin: String) -> anyhow::Result<()> {
    let page = app.get("/billing").await?;
    let csp = page
        .headers()
        .get("content-security-policy")
        .context("the page has a CSP")?
        .to_str()?
        .to_owned();
    for directive in ["script-src", "connect-src", "frame-src"] {
        let listed = csp
            .split(';')
            .map(str::trim)
            .find(|part| part.starts_with(directive))
            .unwrap_or_default();
        ensure!(
            listed.contains(&js_origin),
            "{directive} admits {js_origin}: {csp}"
        );
    }
    Ok(())
}

async fn signs_up(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    let owner = SignupForm {
        company: COMPANY,
        name: OWNER_NAME,
        email: OWNER_EMAIL,
        password: OWNER_PASSWORD,
    };
    pulse_e2e::sign_up(app, b, &owner).await
}

/// A new company: Free, none of its five seats used, no card, nothing to renew.
async fn finds_the_company_on_free(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"a.nav-link[data-nav="billing"]"#).await?;
    b.client().execute("window.__errors = []; const original = console.error; console.error = (...args) => { window.__errors.push(args.map(String).join(' ')); original(...args); }; const log = console.log; console.log = (...args) => { window.__errors.push(args.map(String).join(' ')); log(...args); }; window.addEventListener('unhandledrejection', e => window.__errors.push('rejection ' + String(e.reason))); window.addEventListener('error', e => window.__errors.push(String(e.message)));", vec![]).await?;
    b.wait_for(r#"[data-testid="billing-plan"] [data-plan="free"]"#)
        .await?;
    b.wait_for_text(r#"[data-testid="seats"]"#, "0 of 5")
        .await?;
    b.wait_for_text(r#"[data-testid="subscription-status"]"#, "No subscription")
        .await?;
    b.wait_for(r#"[data-testid="no-card"]"#).await?;
    ensure!(
        b.find_all(r#".plan-card-current [data-testid="choose-plan"]"#)
            .await?
            .is_empty(),
        "the current plan offers no Choose"
    );
    ensure!(
        b.find_all(r#"[data-testid="billing-banner"]"#)
            .await?
            .is_empty(),
        "nothing is wrong yet, so no banner"
    );
    b.screenshot_both("billing-free").await?;
    Ok(())
}

/// Choosing Pro without a card asks for one first; the card goes into Stripe.js's
/// Element, and only its brand, last digits and expiry come back.
async fn enters_a_card(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"[data-plan="pro"] [data-testid="choose-plan"]"#)
        .await?;
    let field = |name: &str| {
        format!(r#"dialog[open] [data-testid="card-element"] input[placeholder="{name}"]"#)
    };
    b.wait_for(&field("number")).await?;
    b.wait_for_text("dialog[open]", "Pro is charged to a card")
        .await?;
    b.fill(&field("number"), "4242424242424242").await?;
    b.fill(&field("exp_month"), "12").await?;
    b.fill(&field("exp_year"), "34").await?;
    b.fill(&field("cvc"), "123").await?;
    b.fill(&field("postal_code"), "12345").await?;
    b.screenshot_both("billing-card").await?;
    b.click(r#"dialog[open] [data-testid="save-card"]"#).await?;
    b.wait_for_text(r#"[data-testid="card-on-file"]"#, "4242")
        .await?;
    let card = b
        .wait_for_text(r#"[data-testid="card-on-file"]"#, "Expires 12/34")
        .await?;
    ensure!(card.contains("Visa"), "the brand is shown: {card:?}");
    Ok(())
}

/// With the card on file the chosen plan's preview follows: $29.00 now, then confirmed.
async fn chooses_pro(b: &Browser) -> anyhow::Result<()> {
    b.wait_for_text(r#"dialog[open] [data-testid="preview-amount"]"#, "$29.00")
        .await?;
    b.wait_for(r#"dialog[open] [data-testid="preview-lines"] li"#)
        .await?;
    b.screenshot_both("billing-preview").await?;
    b.click(r#"dialog[open] [data-testid="confirm-plan"]"#)
        .await?;
    b.wait_for(r#"[data-testid="billing-plan"] [data-plan="pro"]"#)
        .await?;
    b.wait_dialogs_closed().await?;
    b.wait_for_text(r#"[data-testid="seats"]"#, "0 of 50")
        .await?;
    b.wait_for_text(r#"[data-testid="subscription-status"]"#, "Active")
        .await?;
    b.wait_for_text(r#"[data-testid="next-invoice"]"#, "$29.00")
        .await?;
    b.wait_for(r#".plan-card-current[data-plan="pro"]"#).await?;
    let renews = b.wait_for(r#"[data-testid="auto-renew"]"#).await?;
    ensure!(
        renews.prop("checked").await?.as_deref() == Some("true"),
        "a new subscription renews"
    );
    b.screenshot_both("billing-pro").await?;
    Ok(())
}

/// "Payment succeeded" reaches the bell without a reload.
async fn hears_of_the_payment(b: &Browser) -> anyhow::Result<()> {
    b.eventually("the bell to count the payment alert", async || {
        let unread = b
            .attr(r#"[data-testid="alert-bell"]"#, "data-unread")
            .await?;
        Ok(unread
            .and_then(|count| count.parse::<u32>().ok())
            .is_some_and(|count| count >= 1)
            .then_some(()))
    })
    .await?;
    b.click(r#"[data-testid="alert-bell"]"#).await?;
    b.wait_for_text(
        r#"[data-testid="alert-menu"]"#,
        "Payment of $29.00 received",
    )
    .await?;
    b.click(r#"[data-testid="alert-bell"]"#).await?;
    Ok(())
}

/// The history lists the paid invoice; filters narrow it; no table scrolls sideways on
/// a phone.
async fn finds_the_invoice(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"[data-testid="billing-history-link"]"#).await?;
    let row = r#"[data-testid="invoices"] tr[data-invoice-status="paid"]"#;
    let text = b.wait_for_text(row, "$29.00").await?;
    ensure!(text.contains("Paid"), "the row says Paid: {text:?}");
    b.wait_for(r#"[data-testid="invoices"] tr[data-invoice-id]"#)
        .await?;
    ensure!(
        b.find_all(r#"[data-testid="invoices"] tr[data-invoice-id]"#)
            .await?
            .len()
            == 1,
        "one invoice so far"
    );
    b.wait_for(r#"select[name="status"]"#)
        .await?
        .select_by_value("open")
        .await?;
    b.click(r#"[data-testid="invoices-apply"]"#).await?;
    b.wait_for(r#"[data-testid="invoices"] tr.table-empty"#)
        .await?;
    b.wait_for(r#"select[name="status"]"#)
        .await?
        .select_by_value("paid")
        .await?;
    b.click(r#"[data-testid="invoices-apply"]"#).await?;
    b.wait_for_text(row, "$29.00").await?;
    b.screenshot_both("billing-invoices").await?;
    b.set_viewport(PHONE).await?;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let overflow = b
        .client()
        .execute(
            "return [document.documentElement.scrollWidth - window.innerWidth, \
             ...[...document.querySelectorAll('.table-scroll')].map(t => t.scrollWidth - t.clientWidth)];",
            vec![],
        )
        .await?;
    b.set_viewport(pulse_e2e::DESKTOP).await?;
    ensure!(
        overflow.as_array().is_some_and(|widths| widths
            .iter()
            .all(|width| width.as_i64().is_some_and(|width| width <= 0))),
        "nothing scrolls sideways on a phone: {overflow}"
    );
    Ok(())
}

/// The invoice's own page: its total, status and amounts.
async fn opens_the_invoice(b: &Browser) -> anyhow::Result<()> {
    b.click(r#"tr[data-invoice-status="paid"] [data-testid="invoice-link"]"#)
        .await?;
    b.wait_for(r#"[data-testid="invoice"][data-invoice-status="paid"]"#)
        .await?;
    b.wait_for_text(r#"[data-testid="invoice-total"]"#, "$29.00")
        .await?;
    b.wait_for_text(r#"[data-testid="invoice-paid"]"#, "$29.00")
        .await?;
    let path = b.path().await?;
    ensure!(
        path.starts_with("/billing/invoices/"),
        "the invoice has its own address: {path}"
    );
    b.screenshot_both("billing-invoice").await?;
    Ok(())
}
