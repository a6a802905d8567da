//! The `billing` part of `cargo xtask bench`: how fast the server takes a burst of
//! Stripe webhook events, and proof that it applied each exactly once.
//!
//! On a fresh `pulse_bench_billing` database, a server with billing on (test keys; the
//! webhook never calls Stripe, so the API base points nowhere) and one signed-up
//! company, made Stripe customer `cus_bench` on Pro in SQL, with Pro's Stripe price
//! set. `pulse-bench billing` registers a webhook endpoint for payment alerts, times
//! `--events` requests to a trivial route (the baseline), then the burst of signed
//! events, `--in-flight` at a time (see `bench/src/billing.rs` for the mix). Then SQL
//! counts what was stored: every distinct event once, every invoice, one alert per
//! paid or failed invoice with its e-mail and webhook rows, an audit entry per
//! invoice. Anything lost or doubled fails the run, and nothing is written.

use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::{
    Binaries, LoadClient, Machine, Options, Running, figure, machine_words, publish, thousands,
};
use crate::postgres::{self, Server};
use crate::sh::{Ctx, capture, step};

/// The database of this part, recreated empty at every run.
const DATABASE: &str = "pulse_bench_billing";
/// The target for the median webhook, reported next to the figure.
const P50_TARGET_MS: f64 = 20.0;
const WEBHOOK_SECRET: &str = "whsec_bench";
const CUSTOMER: &str = "cus_bench";
const PRICE: &str = "price_bench_pro";
/// Billing on with test keys. Webhooks never call Stripe: a call would go to the
/// discard port and fail at once. Private addresses are allowed so the webhook
/// endpoint can be the load client's sink on loopback.
const SETTINGS: &[(&str, &str)] = &[
    ("STRIPE_SECRET_KEY", "sk_test_bench"),
    ("STRIPE_PUBLISHABLE_KEY", "pk_test_bench"),
    ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ("PULSE_STRIPE_API_BASE", "http://127.0.0.1:9"),
    ("PULSE_WEBHOOKS_ALLOW_PRIVATE", "true"),
];

pub(super) fn billing(
    ctx: &Ctx,
    binaries: &Binaries,
    server: Option<&Server>,
    admin_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    let url = postgres::with_database(admin_url, DATABASE)
        .with_context(|| format!("not a postgres://host/… URL: {admin_url}"))?;
    postgres::recreate_database(ctx, server, admin_url, DATABASE)?;
    let work = ctx.state_dir().join("bench/billing");
    let _ = std::fs::remove_dir_all(&work);
    step(format_args!(
        "billing: starting the server with billing on (log: {})",
        work.join("server.log").display()
    ));
    let mut running = Running::start(ctx, &binaries.server, &url, &work, SETTINGS)?;
    let client = LoadClient::sign_up(ctx, &binaries.client, &running)?;
    let sql = |query: &str| -> anyhow::Result<String> {
        Ok(
            capture(postgres::psql(ctx, server, &url).args(["-tAc", query]))?
                .trim()
                .to_owned(),
        )
    };
    // The run signed up the only company there is.
    let companies = sql(&format!(
        "WITH changed AS (UPDATE companies SET stripe_customer_id = '{CUSTOMER}', plan_id = 'pro' RETURNING 1) SELECT count(*) FROM changed"
    ))?;
    let plans = sql(&format!(
        "WITH changed AS (UPDATE plans SET stripe_price_id = '{PRICE}' WHERE id = 'pro' RETURNING 1) SELECT count(*) FROM changed"
    ))?;
    if (companies.as_str(), plans.as_str()) != ("1", "1") {
        bail!(
            "setting the Stripe customer changed {companies} companies and Pro's price {plans} plans; expected one each"
        );
    }

    step(format_args!(
        "billing: {} signed Stripe events, {} in flight, after as many GET {}",
        options.events, options.in_flight, "/api/v1/system/status"
    ));
    let out = capture(
        ctx.cmd(&binaries.client)
            .args([
                "billing",
                "--server",
                &client.server,
                "--token",
                &client.token,
            ])
            .args([
                "--secret",
                WEBHOOK_SECRET,
                "--customer",
                CUSTOMER,
                "--price",
                PRICE,
            ])
            .args(["--mail-port", &running.mail_port.to_string()])
            .args(["--events", &options.events.to_string()])
            .args(["--in-flight", &options.in_flight.to_string()])
            .stderr(Stdio::inherit()),
    )?;
    running.stop();
    let report: Value = serde_json::from_str(out.trim())
        .with_context(|| format!("pulse-bench billing printed no JSON report: {out}"))?;
    let stored: Value = serde_json::from_str(&sql(
        "SELECT json_build_object(
           'events', (SELECT count(*) FROM stripe_events),
           'invoices', (SELECT count(*) FROM invoices),
           'paid_invoices', (SELECT count(*) FROM invoices WHERE status = 'paid'),
           'payment_succeeded_alerts', (SELECT count(*) FROM alerts WHERE kind = 'payment_succeeded'),
           'payment_failed_alerts', (SELECT count(*) FROM alerts WHERE kind = 'payment_failed'),
           'email_rows', (SELECT count(*) FROM alert_recipients WHERE email_status IS NOT NULL),
           'webhook_rows', (SELECT count(*) FROM webhook_deliveries),
           'invoice_audit_entries', (SELECT count(*) FROM audit_events WHERE action = 'billing.invoice_updated'),
           'subscription', (SELECT plan_id || ' ' || status FROM subscriptions),
           'plan', (SELECT plan_id FROM companies))",
    )?)
    .context("the counts query printed no JSON")?;
    let shortfalls = shortfalls(&report, &stored);
    if !shortfalls.is_empty() {
        let kept = work.join("report.json");
        let _ = std::fs::write(
            &kept,
            serde_json::to_string_pretty(&json!({"report": report, "stored": stored}))?,
        );
        bail!(
            "the burst was not applied exactly once (nothing written; figures in {}):\n  {}",
            kept.display(),
            shortfalls.join("\n  ")
        );
    }
    let applied = stored["events"].clone();

    let number = |value: &Value| value.as_f64().unwrap_or(0.0);
    let baseline = &report["baseline"];
    let ratio = |a: f64, b: f64| (b > 0.0).then(|| (a / b * 100.0).round() / 100.0);
    let results = json!({
        "benchmark": "billing",
        "date": machine.date,
        "commit": machine.commit,
        "machine": machine.to_json(),
        "server": "pulse serve, release build, PULSE_* settings at their defaults (HTTP workers: one per core; database pool: 16) with billing on (test keys) and private webhook addresses allowed",
        "events": report["events"],
        "distinct_events": report["distinct_events"],
        "redeliveries": report["redeliveries"],
        "applied": applied,
        "in_flight": report["in_flight"],
        "webhook_p50_ms": report["webhook_p50_ms"],
        "webhook_p90_ms": report["webhook_p90_ms"],
        "webhook_p99_ms": report["webhook_p99_ms"],
        "webhook_max_ms": report["webhook_max_ms"],
        "webhook_s": report["webhook_s"],
        "events_per_sec": report["events_per_sec"],
        "p50_target_ms": P50_TARGET_MS,
        "p50_within_target": report["webhook_p50_ms"].as_f64().map(|p50| p50 < P50_TARGET_MS),
        "baseline": baseline,
        "p50_to_baseline": ratio(number(&report["webhook_p50_ms"]), number(&baseline["p50_ms"])),
        "p99_to_baseline": ratio(number(&report["webhook_p99_ms"]), number(&baseline["p99_ms"])),
        "rate_to_baseline": ratio(number(&report["events_per_sec"]), number(&baseline["requests_per_sec"])),
        "event_types": report["event_types"],
        "by_kind": report["by_kind"],
        "slowest": report["slowest"],
        "answers": {
            "new": report["answered_new"],
            "duplicate": report["answered_duplicate"],
            "failed": report["failures"],
        },
        "stored": stored,
        "outbox": report["outbox"],
    });
    step(format_args!(
        "billing: webhook p50 {} ms, p99 {} ms, {} events/s; baseline p50 {} ms, {} requests/s; {} of {} events applied once",
        results["webhook_p50_ms"],
        results["webhook_p99_ms"],
        results["events_per_sec"],
        baseline["p50_ms"],
        baseline["requests_per_sec"],
        results["applied"],
        results["distinct_events"],
    ));
    publish(ctx, "billing", &results, &section(&results))
}

/// What the client saw and what the database holds that differs from every event
/// applied exactly once.
fn shortfalls(report: &Value, stored: &Value) -> Vec<String> {
    let count = |value: &Value| value.as_u64();
    let sent = count(&report["distinct_events"]);
    let (invoices, paid, failed) = (
        count(&report["invoices"]),
        count(&report["paid_invoices"]),
        count(&report["failed_invoices"]),
    );
    let checks = [
        (
            "requests not answered 200",
            count(&report["failures"]),
            Some(0),
        ),
        (
            "event ids answered as new more than once",
            count(&report["ids_new_more_than_once"]),
            Some(0),
        ),
        (
            "event ids never answered as new",
            count(&report["ids_never_new"]),
            Some(0),
        ),
        (
            "answers `duplicate: true`",
            count(&report["answered_duplicate"]),
            count(&report["redeliveries"]),
        ),
        ("events stored", count(&stored["events"]), sent),
        ("invoices stored", count(&stored["invoices"]), invoices),
        (
            "invoices stored as paid",
            count(&stored["paid_invoices"]),
            paid,
        ),
        (
            "payment_succeeded alerts",
            count(&stored["payment_succeeded_alerts"]),
            paid,
        ),
        (
            "payment_failed alerts",
            count(&stored["payment_failed_alerts"]),
            failed,
        ),
        // One owner, e-mailed about failed payments by default, not about paid ones.
        ("alert e-mails queued", count(&stored["email_rows"]), failed),
        (
            "webhook deliveries queued",
            count(&stored["webhook_rows"]),
            paid.zip(failed).map(|(paid, failed)| paid + failed),
        ),
        (
            "invoice audit entries",
            count(&stored["invoice_audit_entries"]),
            invoices,
        ),
    ];
    let mut found: Vec<String> = checks
        .iter()
        .filter(|(_, got, wanted)| got.is_none() || got != wanted)
        .map(|(what, got, wanted)| {
            let shown = |n: &Option<u64>| n.map_or_else(|| "none".to_owned(), |n| n.to_string());
            format!("{what}: {}, expected {}", shown(got), shown(wanted))
        })
        .collect();
    if stored["subscription"] != json!("pro active") || stored["plan"] != json!("pro") {
        found.push(format!(
            "subscription {} and plan {}, expected \"pro active\" and \"pro\"",
            stored["subscription"], stored["plan"]
        ));
    }
    if let Some(why) = report["first_failure"].as_str() {
        found.push(format!("first failed request: {why}"));
    }
    found
}

/// The `billing` section of `BENCHMARKS.md`, from the results file's content.
fn section(results: &Value) -> String {
    let count = |value: &Value| thousands(value.as_u64().unwrap_or(0));
    let types = &results["event_types"];
    let baseline = &results["baseline"];
    let mut out = format!(
        "## Billing: a burst of Stripe webhook events\n\
         \n\
         One `pulse serve` (release build, default settings: one HTTP worker per core, a\n\
         database pool of 16, billing on with test keys) on a fresh database, one company\n\
         that is the Stripe customer of every event, on Pro, with a webhook endpoint for\n\
         payment alerts. `pulse-bench billing` posts {events} signed events to\n\
         `POST /api/v1/stripe/webhook`, {in_flight} in flight at once as Stripe sends a\n\
         burst: {distinct} distinct events ({succeeded} `invoice.payment_succeeded`,\n\
         {failed} `invoice.payment_failed`, {created} `invoice.created`, each for an\n\
         invoice of its own, and {subscription} `customer.subscription.updated`) and\n\
         {redeliveries} redeliveries of events sent a little earlier, some while the first\n\
         delivery is still in flight. Each request verifies the signature, stores the\n\
         event once and applies it in the same transaction: the invoice, its audit entry\n\
         and, for a paid or failed one, the alert with its e-mail and webhook rows. Every\n\
         answer is timed from sending to its last byte. The baseline is as many requests\n\
         to `GET {route}` (public: two database round trips), the same number in flight,\n\
         on the same server just before the burst.\n\n",
        events = count(&results["events"]),
        in_flight = results["in_flight"],
        distinct = count(&results["distinct_events"]),
        succeeded = count(&types["invoice.payment_succeeded"]),
        failed = count(&types["invoice.payment_failed"]),
        created = count(&types["invoice.created"]),
        subscription = count(&types["customer.subscription.updated"]),
        redeliveries = count(&results["redeliveries"]),
        route = baseline["route"].as_str().unwrap_or("?"),
    );
    out.push_str(
        "| requests | count | p50 | p90 | p99 | max | per second |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    out.push_str(&format!(
        "| Stripe webhook events | {} | {} ms | {} ms | {} ms | {} ms | {} |\n",
        count(&results["events"]),
        figure(&results["webhook_p50_ms"], 1),
        figure(&results["webhook_p90_ms"], 1),
        figure(&results["webhook_p99_ms"], 1),
        figure(&results["webhook_max_ms"], 1),
        figure(&results["events_per_sec"], 0),
    ));
    out.push_str(&format!(
        "| baseline: `GET {}` | {} | {} ms | {} ms | {} ms | {} ms | {} |\n",
        baseline["route"].as_str().unwrap_or("?"),
        count(&baseline["requests"]),
        figure(&baseline["p50_ms"], 1),
        figure(&baseline["p90_ms"], 1),
        figure(&baseline["p99_ms"], 1),
        figure(&baseline["max_ms"], 1),
        figure(&baseline["requests_per_sec"], 0),
    ));
    let times = |value: &Value| {
        value
            .as_f64()
            .map_or_else(|| "–".to_owned(), |r| format!("{r:.1}×"))
    };
    out.push_str(&format!(
        "\n**Webhook p50 {} ms** (target: under {} ms, {}), p99 {} ms, {} events/s: a webhook \
         event takes {} the baseline's p50 ({} its p99) and the server takes {} of the \
         baseline's requests per second.\n",
        figure(&results["webhook_p50_ms"], 1),
        figure(&results["p50_target_ms"], 0),
        match results["p50_within_target"].as_bool() {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not measured",
        },
        figure(&results["webhook_p99_ms"], 1),
        figure(&results["events_per_sec"], 0),
        times(&results["p50_to_baseline"]),
        times(&results["p99_to_baseline"]),
        results["rate_to_baseline"]
            .as_f64()
            .map_or_else(|| "–".to_owned(), |r| format!("{:.0} %", r * 100.0)),
    ));
    if let Some(kinds) = results["by_kind"].as_object() {
        out.push_str(
            "\nBy event type (a redelivery is answered from the stored event):\n\n\
             | event type | count | p50 | p99 | max |\n\
             | --- | ---: | ---: | ---: | ---: |\n",
        );
        for (kind, latencies) in kinds {
            out.push_str(&format!(
                "| `{}`{} | {} | {} ms | {} ms | {} ms |\n",
                kind.trim_end_matches(" (redelivery)"),
                if kind.ends_with(" (redelivery)") {
                    ", redelivered"
                } else {
                    ""
                },
                count(&latencies["count"]),
                figure(&latencies["p50_ms"], 1),
                figure(&latencies["p99_ms"], 1),
                figure(&latencies["max_ms"], 1),
            ));
        }
    }
    let stored = &results["stored"];
    out.push_str(&format!(
        "\nExactly once: **{} of {} events applied**, each answered as new once and \
         {} redeliveries answered `duplicate: true`; counted in SQL afterwards: {} events \
         and {} invoices stored ({} paid), {} \"payment succeeded\" and {} \"payment \
         failed\" alerts, {} alert e-mails and {} webhook deliveries queued, {} invoice \
         audit entries. A run with anything lost or doubled fails and writes nothing.\n",
        count(&results["applied"]),
        count(&results["distinct_events"]),
        count(&results["answers"]["duplicate"]),
        count(&stored["events"]),
        count(&stored["invoices"]),
        count(&stored["paid_invoices"]),
        count(&stored["payment_succeeded_alerts"]),
        count(&stored["payment_failed_alerts"]),
        count(&stored["email_rows"]),
        count(&stored["webhook_rows"]),
        count(&stored["invoice_audit_entries"]),
    ));
    let outbox = &results["outbox"];
    out.push_str(&format!(
        "\nThe server's outbox sends those off the request path, during and after the burst \
         (to sinks in the load client): {} of {} e-mails and {} of {} webhooks arrived, {}.\n",
        count(&outbox["emails_received"]),
        count(&outbox["emails_expected"]),
        count(&outbox["webhooks_received"]),
        count(&outbox["webhooks_expected"]),
        outbox["drained_after_s"].as_f64().map_or_else(
            || "not all within the wait".to_owned(),
            |s| format!("the last {s:.1} s after the burst's last answer"),
        ),
    ));
    let machine = &results["machine"];
    out.push_str(&format!(
        "\nMeasured {} at commit `{}` on {}; the server, Postgres {} and the load client all ran on this one machine. Raw figures: `bench/results/billing.json`.\n",
        results["date"].as_str().unwrap_or("?"),
        results["commit"].as_str().unwrap_or("?"),
        machine_words(machine),
        machine["postgres"].as_str().unwrap_or("(version unknown)"),
    ));
    out
}

#[cfg(test)]
mod tests {

    use super::*;

    fn report() -> Value {
        json!({
            "distinct_events": 450, "redeliveries": 50, "invoices": 430,
            "paid_invoices": 258, "failed_invoices": 86, "failures": 0,
            "ids_new_more_than_once": 0, "ids_never_new": 0, "answered_duplicate": 50,
        })
    }

    fn stored() -> Value {
        json!({
            "events": 450, "invoices": 430, "paid_invoices": 258,
            "payment_succeeded_alerts": 258, "payment_failed_alerts": 86,
            "email_rows": 86, "webhook_rows": 344, "invoice_audit_entries": 430,
            "subscription": "pro active", "plan": "pro",
        })
    }

    #[test]
    fn anything_lost_or_doubled_is_a_shortfall() {
        assert!(shortfalls(&report(), &stored()).is_empty());
        let mut doubled = stored();
        doubled["payment_succeeded_alerts"] = json!(259);
        assert_eq!(shortfalls(&report(), &doubled).len(), 1);
        let mut lost = stored();
        lost["events"] = json!(449);
        assert_eq!(shortfalls(&report(), &lost).len(), 1);
        let mut twice = report();
        twice["ids_new_more_than_once"] = json!(1);
        twice["answered_duplicate"] = json!(49);
        assert_eq!(shortfalls(&twice, &stored()).len(), 2);
        let mut failed = report();
        failed["failures"] = json!(1);
        failed["first_failure"] = json!("the webhook answered 503");
        assert_eq!(shortfalls(&failed, &stored()).len(), 2);
        assert_eq!(shortfalls(&json!({}), &stored()).len(), 12);
    }

    #[test]
    fn the_benchmarks_section_renders_the_results_file() {
        super::super::assert_section_renders("billing", section);
    }
}
