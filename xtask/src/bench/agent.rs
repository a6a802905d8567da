//! The `agent` part of `cargo xtask bench`: the desktop agent's footprint at ordinary
//! work, held against the product's promise (under 1 % of one core, under 50 MiB
//! resident), and the size of the `.deb` that installs it.
//!
//! First the `.deb` (as `cargo xtask dist agent` builds it), and the agent binary out of
//! it: the one measured is the one shipped (a test build of the agent would carry the
//! features the test server's crates turn on in shared dependencies). The measurement
//! is the ignored test `agent/tests/footprint.rs`, run here in a release build: that
//! agent on a virtual X11 desktop against a test server (a database of its own in the
//! local Postgres) while xdotool types, moves the mouse, clicks and switches windows,
//! its process read from `/proc` every second. The test writes its figures to a file;
//! this part adds the package's size and publishes them.

use std::path::Path;

use anyhow::Context as _;
use serde_json::{Map, Value, json};

use super::{Machine, Options, figure, machine_words, publish, thousands};
use crate::sh::{Ctx, run, step};

/// The promise: the agent's CPU over the whole run under this share of one core (%)…
const CPU_PERCENT_TARGET: f64 = 1.0;
/// …and its peak resident memory under this (MiB).
const RSS_MIB_TARGET: f64 = 50.0;

pub(super) fn agent(
    ctx: &mut Ctx,
    admin_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    crate::install::x11_desktop(ctx)?;
    let work = ctx.state_dir().join("bench/agent");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let figures_path = work.join("footprint.json");

    let deb = crate::dist::agent(ctx)?;
    let deb_bytes = std::fs::metadata(&deb)
        .with_context(|| format!("{} is missing", deb.display()))?
        .len();
    let unpacked = work.join("deb");
    run(ctx.cmd("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    let shipped = unpacked.join("usr/bin/pulse-agent");

    step(format_args!(
        "agent: {} s of ordinary work on a virtual desktop (cargo test --release -p pulse-agent --test footprint -- --ignored)",
        options.agent_secs
    ));
    run(ctx
        .cargo()
        .args([
            "test",
            "--release",
            "-p",
            "pulse-agent",
            "--test",
            "footprint",
        ])
        .args(["--", "--ignored", "--nocapture"])
        // The test server makes its own database there.
        .env("PULSE_TEST_DATABASE_URL", admin_url)
        .env("PULSE_FOOTPRINT_AGENT", &shipped)
        .env("PULSE_FOOTPRINT_SECS", options.agent_secs.to_string())
        .env("PULSE_FOOTPRINT_JSON", &figures_path))?;
    let measured = read_object(&figures_path)?;

    let mut results = Map::new();
    results.insert("benchmark".into(), json!("agent"));
    results.insert("date".into(), json!(machine.date));
    results.insert("commit".into(), json!(machine.commit));
    results.insert("machine".into(), machine.to_json());
    results.insert(
        "agent".into(),
        json!("the binary of the `.deb`, default settings: the desktop sampled once a second, an event sent when it ends or after 60 s"),
    );
    results.extend(measured);
    results.insert(
        "deb_file".into(),
        json!(deb.file_name().map(|name| name.to_string_lossy())),
    );
    results.insert("deb_bytes".into(), json!(deb_bytes));
    let number = |key: &str| results.get(key).and_then(Value::as_f64);
    let within = json!({
        "cpu_percent": number("cpu_percent").map(|cpu| cpu < CPU_PERCENT_TARGET),
        "rss_peak_mib": number("rss_peak_mib").map(|rss| rss < RSS_MIB_TARGET),
    });
    results.insert(
        "targets".into(),
        json!({"cpu_percent": CPU_PERCENT_TARGET, "rss_peak_mib": RSS_MIB_TARGET}),
    );
    results.insert("within_targets".into(), within);
    let results = Value::Object(results);
    step(format_args!(
        "agent: CPU {} % of one core ({} % after start-up), RSS average {} MiB, peak {} MiB; {} events and {} screenshots stored; .deb {} bytes",
        results["cpu_percent"],
        results["cpu_percent_after_startup"],
        results["rss_avg_mib"],
        results["rss_peak_mib"],
        results["events_stored"],
        results["screenshots_stored"],
        deb_bytes,
    ));
    publish(ctx, "agent", &results, &section(&results))
}

/// The JSON object the footprint test wrote.
fn read_object(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the footprint test wrote no {}", path.display()))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(fields)) => Ok(fields),
        _ => anyhow::bail!("{} is not a JSON object: {text}", path.display()),
    }
}

/// A target with the mark of whether its figure is within it.
fn against(target: &str, within: &Value) -> String {
    match within.as_bool() {
        Some(true) => format!("{target} ✓"),
        Some(false) => format!("{target} ✗"),
        None => format!("{target}: not measured"),
    }
}

/// Bytes in MiB.
fn mib(bytes: &Value) -> f64 {
    bytes.as_f64().unwrap_or(0.0) / 1024.0 / 1024.0
}

/// The `agent` section of `BENCHMARKS.md`, from the results file's content.
fn section(results: &Value) -> String {
    let count = |value: &Value| thousands(value.as_u64().unwrap_or(0));
    let duration = results["duration_secs"].as_f64().unwrap_or(0.0);
    let keys = results["keys_typed"].as_u64().unwrap_or(0);
    let keys_per_sec = if duration > 0.0 {
        format!("{:.1}", keys as f64 / duration)
    } else {
        "–".to_owned()
    };
    let policy = &results["policy"];
    let titles = if policy["track_titles"] == json!(true) {
        "on"
    } else {
        "off"
    };
    let blurred = if policy["blur_screenshots"] == json!(true) {
        "blurred"
    } else {
        "not blurred"
    };
    let mut out = format!(
        "## The desktop agent: CPU and memory at ordinary work\n\
         \n\
         The promise: on an ordinary desktop the agent takes under {cpu_target} % of one core\n\
         and under {rss_target} MiB of memory. `pulse-agent run` ({agent}) runs\n\
         against a test server on the same machine, on a virtual X11 desktop (Xvfb, openbox,\n\
         two xterm windows), under the policy a company would set: window titles {titles},\n\
         a screenshot {interval} at the company's default jitter, {blurred}. For {duration} s\n\
         xdotool works as a person would: a word typed every second ({keys} keys,\n\
         {keys_per_sec} a second), the mouse moved every {move_every} s and a click every\n\
         {click_every} s in the window in front, the other window brought to the front every\n\
         {switch_every} s ({switches} times). Every second the agent's CPU time (user and\n\
         system, `/proc/<pid>/stat`) and resident memory (`VmRSS`) are read; the peak is the\n\
         kernel's high-water mark (`VmHWM`), which sees between the samples too. The server\n\
         received {events} events holding {keystrokes} keystrokes and {shots} screenshots\n\
         ({width} × {height} JPEG, {shot_kib} KiB on average): the agent did its whole job.\n\n",
        cpu_target = figure(&results["targets"]["cpu_percent"], 0),
        rss_target = figure(&results["targets"]["rss_peak_mib"], 0),
        agent = results["agent"].as_str().unwrap_or("?"),
        interval = match policy["screenshot_interval_mins"].as_u64() {
            Some(1) => "every minute".to_owned(),
            Some(minutes) => format!("every {minutes} minutes"),
            None => "at intervals".to_owned(),
        },
        duration = figure(&results["duration_secs"], 0),
        keys = count(&results["keys_typed"]),
        move_every = results["move_every_secs"],
        click_every = results["click_every_secs"],
        switch_every = results["switch_every_secs"],
        switches = results["window_switches"],
        events = count(&results["events_stored"]),
        keystrokes = count(&results["keystrokes_stored"]),
        shots = count(&results["screenshots_stored"]),
        width = results["screenshot_width"],
        height = results["screenshot_height"],
        shot_kib = figure(&results["screenshot_avg_kib"], 0),
    );
    let within = &results["within_targets"];
    out.push_str(&format!(
        "| the agent | measured | target |\n\
         | --- | ---: | --- |\n\
         | CPU over the whole run | {} % of one core | {} |\n\
         | CPU after the first {} s | {} % | – |\n\
         | CPU in the busiest 10 s | {} % | – |\n\
         | resident memory, average | {} MiB | – |\n\
         | resident memory, p95 | {} MiB | – |\n\
         | resident memory, peak | {} MiB | {} |\n\
         | the `.deb` package | {:.1} MiB | – |\n\
         | the binary it installs | {:.1} MiB | – |\n",
        figure(&results["cpu_percent"], 2),
        against(
            &format!("under {} %", figure(&results["targets"]["cpu_percent"], 0)),
            &within["cpu_percent"]
        ),
        results["startup_secs"],
        figure(&results["cpu_percent_after_startup"], 2),
        figure(&results["cpu_percent_busiest_10s"], 2),
        figure(&results["rss_avg_mib"], 1),
        figure(&results["rss_p95_mib"], 1),
        figure(&results["rss_peak_mib"], 1),
        against(
            &format!(
                "under {} MiB",
                figure(&results["targets"]["rss_peak_mib"], 0)
            ),
            &within["rss_peak_mib"]
        ),
        mib(&results["deb_bytes"]),
        mib(&results["agent_binary_bytes"]),
    ));
    let machine = &results["machine"];
    out.push_str(&format!(
        "\nMeasured {} at commit `{}` on {}; the test server, Postgres {}, Xvfb and xdotool ran on this one machine beside the agent. Raw figures: `bench/results/agent.json`.\n",
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

    #[test]
    fn figures_are_marked_against_their_targets() {
        assert_eq!(against("under 1 %", &json!(true)), "under 1 % ✓");
        assert_eq!(against("under 50 MiB", &json!(false)), "under 50 MiB ✗");
        assert_eq!(
            against("under 1 %", &Value::Null),
            "under 1 %: not measured"
        );
    }

    #[test]
    fn the_benchmarks_section_renders_the_results_file() {
        super::super::assert_section_renders("agent", section);
    }
}
