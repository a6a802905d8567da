//! The `web` part of `cargo xtask bench`: the SPA as a phone's browser meets it.
//!
//! The release build of the SPA (`trunk build --release`, pre-compressed as `xtask` builds
//! it) served by a release `pulse serve` with the demo company seeded, measured by
//! Lighthouse 12.2.3 (npm, in `.pulse/tools`) driving the Debian Chromium the browser
//! tests use, with Lighthouse's default mobile settings: a mid-range phone's screen,
//! simulated slow 4G and a CPU four times slower than this machine's. Four pages: sign-in
//! (signed out), the overview, Employees (`/people`) and the Agent Monitor (`/agents`)
//! as the demo owner. Each page is measured several times and the run with the median
//! performance score is kept, as Lighthouse advises. Beside the scores, the bytes a
//! browser downloads: the brotli twins of the scripts, WebAssembly and styles in `dist/`,
//! those `index.html` loads (the core) and all of them (the whole app).
//!
//! Signing in: the app keeps its access token in memory and restores a sign-in from the
//! `HttpOnly` refresh cookie it trades at start. Each signed-in run signs in afresh over
//! HTTP and hands Lighthouse that cookie as a request header (`--extra-headers`): the
//! page's one refresh call carries it, and a rotated cookie is never sent twice.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::{Binaries, Machine, Options, Running, figure, machine_words, publish, thousands};
use crate::sh::{Ctx, capture, run, step};

/// The scores held as targets (of 100), for every page.
const TARGETS: [(&str, f64); 3] = [
    ("performance", 90.0),
    ("accessibility", 95.0),
    ("best_practices", 95.0),
];

/// How many times one Lighthouse run is tried before the benchmark fails.
const ATTEMPTS: u32 = 3;

/// The pages measured: (name, path, signed in as the demo owner).
const PAGES: [(&str, &str, bool); 4] = [
    ("sign-in", "/login", false),
    ("overview", "/", true),
    ("employees", "/people", true),
    ("agent monitor", "/agents", true),
];

/// The demo company's owner (`pulse seed-demo`).
const DEMO_EMAIL: &str = "owner@demo.pulse.test";
const DEMO_PASSWORD: &str = "pulse-demo-password";

pub(super) fn web(
    ctx: &mut Ctx,
    binaries: &Binaries,
    database_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    let installed = crate::install::install(
        ctx,
        &crate::install::Needs {
            postgres: false,
            postgres_client: false,
            browser: false,
            localstripe: false,
            schemathesis: false,
        },
    )?;
    crate::install::browser(ctx)?;
    crate::install::npm_tools(ctx, &[crate::install::LIGHTHOUSE])?;
    let lighthouse = crate::sh::local_npm_bin(&ctx.root).join("lighthouse");
    let target_dir = crate::target_dir(ctx)?;
    crate::spa::build(ctx, &target_dir, &installed.spa_tools)?;
    let dist = ctx.root.join("dist");
    let sizes = crate::size::measure(&dist)?;
    step(format_args!(
        "web: core {} brotli, whole app {} brotli",
        kib(sizes.core),
        kib(sizes.whole)
    ));

    let work = ctx.state_dir().join("bench/web");
    let _ = std::fs::remove_dir_all(&work);
    let data = work.join("data");
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let mut seed = ctx.cmd(&binaries.server);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PULSE_") {
            seed.env_remove(name);
        }
    }
    run(seed
        .arg("seed-demo")
        .env("DATABASE_URL", database_url)
        .env("PULSE_DATA_DIR", &data))?;
    let dist_setting = dist.to_string_lossy().into_owned();
    let mut server = Running::start(
        ctx,
        &binaries.server,
        database_url,
        &work,
        &[("PULSE_DIST_DIR", dist_setting.as_str())],
    )?;

    let chromium = capture(ctx.cmd(crate::install::CHROMIUM).arg("--version"))
        .map(|out| out.trim().to_owned())
        .unwrap_or_else(|_| "Chromium (version unknown)".to_owned());
    settle();
    let load_before = load_average();
    let mut pages = Vec::new();
    for (name, path, signed_in) in PAGES {
        let mut runs = Vec::new();
        for round in 1..=options.lighthouse_runs {
            step(format_args!(
                "web: Lighthouse on {name} ({path}), run {round} of {}",
                options.lighthouse_runs
            ));
            let report = work.join(format!("{}-{round}.json", name.replace(' ', "-")));
            // Lighthouse now and then loses its own trace ("NO_NAVSTART"): such a run
            // is tried again, with a fresh sign-in, up to [`ATTEMPTS`] times.
            let mut attempt = 1;
            loop {
                let cookie = if signed_in {
                    Some(sign_in(server.address)?)
                } else {
                    None
                };
                let mut command = ctx.cmd(&lighthouse);
                command
                    .arg(format!("{}{path}", server.url()))
                    .args(["--output=json", "--quiet"])
                    .arg(format!("--output-path={}", report.display()))
                    .arg("--only-categories=performance,accessibility,best-practices")
                    .arg("--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage")
                    .env("CHROME_PATH", crate::install::CHROMIUM);
                if let Some(cookie) = cookie {
                    command.arg(format!(
                        "--extra-headers={}",
                        json!({ "Cookie": format!("pulse_refresh={cookie}") })
                    ));
                }
                match run(&mut command) {
                    Ok(()) => break,
                    Err(error) if attempt < ATTEMPTS => {
                        step(format_args!("web: Lighthouse failed ({error}); again"));
                        attempt += 1;
                    }
                    Err(error) => return Err(error),
                }
            }
            let text = std::fs::read_to_string(&report)
                .with_context(|| format!("Lighthouse wrote no {}", report.display()))?;
            let report: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", report.display()))?;
            let scored = page_figures(&report)?;
            if signed_in && scored["final_path"] == "/login" {
                bail!("Lighthouse was sent to sign in on {path}: the refresh cookie did not hold");
            }
            step(format_args!(
                "web: {name}: performance {}, accessibility {}, best practices {}",
                scored["performance"], scored["accessibility"], scored["best_practices"]
            ));
            runs.push(scored);
        }
        let mut kept = median_by_performance(runs).context("no Lighthouse run")?;
        kept["page"] = json!(name);
        kept["path"] = json!(path);
        kept["signed_in"] = json!(signed_in);
        pages.push(kept);
    }
    let load_after = load_average();
    server.stop();

    let worst = |key: &str| {
        pages
            .iter()
            .filter_map(|page| page[key].as_f64())
            .reduce(f64::min)
    };
    let mut within = serde_json::Map::new();
    for (key, target) in TARGETS {
        within.insert(key.into(), json!(worst(key).map(|score| score >= target)));
    }
    let results = json!({
        "benchmark": "web",
        "date": machine.date,
        "commit": machine.commit,
        "machine": machine.to_json(),
        "server": "pulse serve, release build, PULSE_* settings at their defaults, the release SPA from dist/ with its pre-compressed files, the demo company seeded (pulse seed-demo)",
        "lighthouse": crate::install::LIGHTHOUSE.label(),
        "chromium": chromium,
        "settings": "Lighthouse's default mobile settings (the CLI's default config): a phone screen, simulated throttling (slow 4G, CPU 4× slower); categories performance, accessibility, best practices",
        "runs_per_page": options.lighthouse_runs,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "core_brotli_bytes": sizes.core,
        "whole_brotli_bytes": sizes.whole,
        "files": sizes.files.iter().map(|file| json!({
            "file": file.file,
            "raw_bytes": file.raw_bytes,
            "brotli_bytes": file.brotli_bytes,
            "core": file.core,
        })).collect::<Vec<_>>(),
        "performance": worst("performance"),
        "accessibility": worst("accessibility"),
        "best_practices": worst("best_practices"),
        "targets": TARGETS.iter().map(|(key, target)| (key.to_string(), json!(target))).collect::<serde_json::Map<_, _>>(),
        "within_targets": within,
        "pages": pages,
    });
    publish(ctx, "web", &results, &section(&results))
}

/// Signs the demo owner in over HTTP: the refresh cookie's value.
fn sign_in(address: SocketAddr) -> anyhow::Result<String> {
    let body = json!({ "email": DEMO_EMAIL, "password": DEMO_PASSWORD }).to_string();
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let mut cookie = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("set-cookie")
            && let Some(value) = value.trim().strip_prefix("pulse_refresh=")
        {
            cookie = value.split(';').next().map(str::to_owned);
        }
    }
    if super::status_code(&status) != Some(200) {
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        bail!(
            "signing in as {DEMO_EMAIL} answered {}: {rest}",
            status.trim()
        );
    }
    cookie.context("signing in set no pulse_refresh cookie")
}

/// The scores (of 100) and timings of one Lighthouse report, and the audits that cost
/// points in accessibility and best practices.
fn page_figures(report: &Value) -> anyhow::Result<Value> {
    let score = |category: &str| {
        report["categories"][category]["score"]
            .as_f64()
            .map(|score| (score * 100.0).round())
    };
    let audit = |id: &str| report["audits"][id]["numericValue"].as_f64();
    let mut failing = Vec::new();
    for category in ["performance", "accessibility", "best-practices"] {
        let empty = Vec::new();
        for reference in report["categories"][category]["auditRefs"]
            .as_array()
            .unwrap_or(&empty)
        {
            let weight = reference["weight"].as_f64().unwrap_or(0.0);
            let id = reference["id"].as_str().unwrap_or("");
            let audit = &report["audits"][id];
            if weight > 0.0 && audit["score"].as_f64().is_some_and(|score| score < 0.9) {
                failing.push(json!({
                    "category": category,
                    "audit": id,
                    "title": audit["title"],
                    "score": audit["score"],
                    "display": audit["displayValue"],
                }));
            }
        }
    }
    let final_url = report["finalDisplayedUrl"].as_str().unwrap_or("");
    let final_path = final_url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
        .unwrap_or_default();
    if score("performance").is_none() {
        bail!(
            "Lighthouse gave no performance score: {}",
            report["runtimeError"]
        );
    }
    Ok(json!({
        "performance": score("performance"),
        "accessibility": score("accessibility"),
        "best_practices": score("best-practices"),
        "first_contentful_paint_ms": audit("first-contentful-paint").map(f64::round),
        "largest_contentful_paint_ms": audit("largest-contentful-paint").map(f64::round),
        "total_blocking_time_ms": audit("total-blocking-time").map(f64::round),
        "cumulative_layout_shift": audit("cumulative-layout-shift").map(|cls| (cls * 1000.0).round() / 1000.0),
        "speed_index_ms": audit("speed-index").map(f64::round),
        "final_path": final_path,
        "failing_audits": failing,
        "warnings": report["runWarnings"],
    }))
}

/// The run with the median performance score (the lower middle of an even count).
fn median_by_performance(mut runs: Vec<Value>) -> Option<Value> {
    runs.sort_by(|a, b| {
        let score = |run: &Value| run["performance"].as_f64().unwrap_or(0.0);
        score(a).total_cmp(&score(b))
    });
    let middle = runs.len().checked_sub(1)? / 2;
    Some(runs.swap_remove(middle))
}

/// The one-minute load under which Lighthouse starts, on this 2-core machine.
const SETTLED_LOAD: f64 = 1.0;
/// How long [`settle`] waits for it at most.
const SETTLE_AT_MOST: Duration = Duration::from_secs(150);

/// Waits until the machine's one-minute load is under [`SETTLED_LOAD`], for at most
/// [`SETTLE_AT_MOST`]. The bench starts right after its own builds: Lighthouse scales the
/// tasks it observes by four for its phone, so their load in the first runs' traces cost
/// points (at `7e36d1e`, started at a load of 3.0, the agent monitor's runs gave 90, 84
/// and 83; settled, the same build gives 88–90).
fn settle() {
    let started = std::time::Instant::now();
    loop {
        let load = load_average()[0].as_f64().unwrap_or(0.0);
        if load < SETTLED_LOAD || started.elapsed() >= SETTLE_AT_MOST {
            step(format_args!(
                "web: the machine's load is {load:.2} after {} s; Lighthouse starts",
                started.elapsed().as_secs()
            ));
            return;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// `/proc/loadavg`'s three figures (1, 5 and 15 minutes).
fn load_average() -> Value {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .filter_map(|figure| figure.parse().ok())
        .collect();
    json!(figures)
}

/// Bytes as `123.4 KiB`.
fn kib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // file sizes, far below 2^52
    let kib = bytes as f64 / 1024.0;
    format!("{kib:.1} KiB")
}

/// The `web` section of `BENCHMARKS.md`, from the results file's content.
fn section(results: &Value) -> String {
    let empty = Vec::new();
    let bytes = |value: &Value| kib(value.as_u64().unwrap_or(0));
    let mut out = String::from(
        "## Web app: Lighthouse on a phone, and the bytes it downloads\n\
         \n\
         `cargo xtask bench web` serves the release build of the SPA (as `xtask` builds it,\n\
         with its brotli and gzip files) from a release `pulse serve` on a database with the\n\
         demo company, and runs Lighthouse on four pages with the Debian Chromium the browser\n\
         tests use, at Lighthouse's mobile defaults: a phone screen, simulated slow 4G and a\n\
         CPU four times slower than this one. The overview, Employees and the Agent Monitor\n\
         are measured as the demo owner, signed in by the refresh cookie the app restores a\n\
         sign-in from. Lighthouse starts once the machine's one-minute load is under 1 (at\n\
         most 150 s after the builds). Each page is measured several times and the run with\n\
         the median performance score is shown. Scores are of 100; the targets are performance 90,\n\
         accessibility 95 and best practices 95 on every page.\n\n",
    );
    out.push_str(
        "| page | performance | accessibility | best practices | first paint | largest paint | blocking time | layout shift |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for page in results["pages"].as_array().unwrap_or(&empty) {
        out.push_str(&format!(
            "| {} (`{}`) | {} | {} | {} | {} ms | {} ms | {} ms | {} |\n",
            page["page"].as_str().unwrap_or("?"),
            page["path"].as_str().unwrap_or("?"),
            figure(&page["performance"], 0),
            figure(&page["accessibility"], 0),
            figure(&page["best_practices"], 0),
            thousands(page["first_contentful_paint_ms"].as_f64().map_or(0, as_u64)),
            thousands(
                page["largest_contentful_paint_ms"]
                    .as_f64()
                    .map_or(0, as_u64)
            ),
            thousands(page["total_blocking_time_ms"].as_f64().map_or(0, as_u64)),
            figure(&page["cumulative_layout_shift"], 3),
        ));
    }
    let mut costs = Vec::new();
    for page in results["pages"].as_array().unwrap_or(&empty) {
        for audit in page["failing_audits"].as_array().unwrap_or(&empty) {
            let line = format!(
                "{} ({}{})",
                audit["title"].as_str().unwrap_or("?"),
                audit["category"].as_str().unwrap_or("?"),
                audit["display"]
                    .as_str()
                    .map(|shown| format!(": {shown}"))
                    .unwrap_or_default()
            );
            let name = page["page"].as_str().unwrap_or("?").to_owned();
            match costs
                .iter_mut()
                .find(|(seen, _): &&mut (String, Vec<String>)| *seen == line)
            {
                Some((_, pages)) => pages.push(name),
                None => costs.push((line, vec![name])),
            }
        }
    }
    if !costs.is_empty() {
        out.push_str("\nWhat cost points (audits scoring under 0.9 with a weight):\n\n");
        for (line, pages) in &costs {
            out.push_str(&format!("- {line}: {}\n", pages.join(", ")));
        }
    }
    out.push_str(&format!(
        "\nDownloaded, brotli (quality 11): the core, what `index.html` loads, {}; the whole app, every script, WebAssembly and style sheet under `dist/`, {}.\n\n",
        bytes(&results["core_brotli_bytes"]),
        bytes(&results["whole_brotli_bytes"]),
    ));
    out.push_str("| file | raw | brotli | core |\n| --- | ---: | ---: | --- |\n");
    for file in results["files"].as_array().unwrap_or(&empty) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            file["file"].as_str().unwrap_or("?"),
            bytes(&file["raw_bytes"]),
            bytes(&file["brotli_bytes"]),
            if file["core"] == json!(true) {
                "yes"
            } else {
                "no"
            },
        ));
    }
    let machine = &results["machine"];
    let load = |value: &Value| {
        value
            .as_array()
            .map(|figures| {
                figures
                    .iter()
                    .map(|figure| figure.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "?".to_owned())
    };
    out.push_str(&format!(
        "\n{}, {}, {} runs per page. Measured {} at commit `{}` on {}, load average (1, 5, 15 min) {} before and {} after; Lighthouse's simulated timings still follow the CPU time the page took here. Raw figures, with the audits that cost points: `bench/results/web.json`.\n",
        results["lighthouse"].as_str().unwrap_or("Lighthouse"),
        results["chromium"].as_str().unwrap_or("Chromium"),
        results["runs_per_page"],
        results["date"].as_str().unwrap_or("?"),
        results["commit"].as_str().unwrap_or("?"),
        machine_words(machine),
        load(&results["load_average_before"]),
        load(&results["load_average_after"]),
    ));
    out
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded milliseconds
fn as_u64(value: f64) -> u64 {
    value.max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_run_is_kept() {
        let runs = [70, 95, 80]
            .iter()
            .map(|score| json!({ "performance": score }))
            .collect();
        assert_eq!(
            median_by_performance(runs).map(|run| run["performance"].clone()),
            Some(json!(80))
        );
        assert_eq!(median_by_performance(Vec::new()), None);
    }

    #[test]
    fn the_committed_section_is_the_committed_results_rendered() {
        super::super::assert_section_renders("web", section);
    }
}
