//! The `reports` part of `cargo xtask bench`: how fast the reports answer over a year
//! of a 1,000-person company.
//!
//! On the fresh `pulse_bench` database, a server at its default settings; then
//! `pulse-bench reports` signs up a company, writes its year straight into Postgres
//! (people, agents, the dictionary of applications and sites, category rules, the hour,
//! day and month rollups and a month of raw events for some; see `bench/src/reports/`), and
//! times each report query through the API as the owner, checking every answer against
//! the data set. The data set stays in the database after the run, for `EXPLAIN` by
//! hand, until the next run recreates it.

use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde_json::{Map, Value, json};

use super::{Binaries, Machine, Options, Running, figure, machine_words, publish, thousands};
use crate::sh::{Ctx, capture, step};

/// The targets the figures are held against: (query, its p99 under this, in ms).
const TARGETS: [(&str, f64); 3] = [
    ("team_month", 100.0),
    ("company_year", 1_000.0),
    ("overview", 100.0),
];

pub(super) fn reports(
    ctx: &Ctx,
    binaries: &Binaries,
    database_url: &str,
    machine: &Machine,
    options: &Options,
) -> anyhow::Result<()> {
    let work = ctx.state_dir().join("bench/reports");
    let _ = std::fs::remove_dir_all(&work);
    step(format_args!(
        "reports: starting the server (log: {})",
        work.join("server.log").display()
    ));
    let mut running = Running::start(ctx, &binaries.server, database_url, &work, &[])?;
    step(format_args!(
        "reports: a year of {} employees, then {} timed requests per query (pulse-bench reports)",
        thousands(options.employees as u64),
        options.runs
    ));
    let out = capture(
        ctx.cmd(&binaries.client)
            .args(["reports", "--server", &running.url()])
            .args(["--database-url", database_url])
            .args(["--mail-port", &running.mail_port.to_string()])
            .args(["--employees", &options.employees.to_string()])
            .args(["--runs", &options.runs.to_string()])
            .stderr(Stdio::inherit()),
    )?;
    running.stop();
    let report: Value = serde_json::from_str(out.trim())
        .with_context(|| format!("pulse-bench reports printed no JSON report: {out}"))?;
    let Value::Object(report) = report else {
        bail!("pulse-bench reports printed something other than a JSON object: {report}");
    };

    let mut results = Map::new();
    results.insert("benchmark".into(), json!("reports"));
    results.insert("date".into(), json!(machine.date));
    results.insert("commit".into(), json!(machine.commit));
    results.insert("machine".into(), machine.to_json());
    results.insert(
        "server".into(),
        json!("pulse serve, release build, PULSE_* settings at their defaults (HTTP workers: one per core; database pool: 16)"),
    );
    results.extend(report);
    let mut targets = Map::new();
    let mut within = Map::new();
    for (query, target) in TARGETS {
        let key = format!("{query}_p99_ms");
        targets.insert(key.clone(), json!(target));
        within.insert(
            key.clone(),
            json!(
                results
                    .get(&key)
                    .and_then(Value::as_f64)
                    .map(|p99| p99 < target)
            ),
        );
    }
    results.insert("targets".into(), Value::Object(targets));
    results.insert("within_targets".into(), Value::Object(within));
    let results = Value::Object(results);
    step(format_args!(
        "reports: team × month p99 {} ms, company × year p99 {} ms, person × week p99 {} ms, attendance p99 {} ms, overview p99 {} ms",
        results["team_month_p99_ms"],
        results["company_year_p99_ms"],
        results["person_week_apps_p99_ms"],
        results["attendance_p99_ms"],
        results["overview_p99_ms"],
    ));
    publish(ctx, "reports", &results, &section(&results))
}

/// What each query is, in words.
fn label(name: &str) -> &'static str {
    match name {
        "team_month" => "a team's month, by day",
        "company_year" => "the company's year, by month",
        "person_week_apps" => "one person's week, by application",
        "attendance" => "attendance of a team's month",
        "overview" => "the overview",
        _ => "?",
    }
}

/// `path` with the ids of teams and people shown as `…`.
fn without_ids(path: &str) -> String {
    let mut out = path.to_owned();
    for key in ["team_id=", "user_id="] {
        if let Some(at) = out.find(key) {
            let from = at + key.len();
            let to = out[from..].find('&').map_or(out.len(), |end| from + end);
            out.replace_range(from..to, "…");
        }
    }
    out
}

/// Bytes as `180 KiB`, `38.0 MiB`, `1.21 GiB`.
fn size(bytes: &Value) -> String {
    let Some(bytes) = bytes.as_f64() else {
        return "–".to_owned();
    };
    let kib = bytes / 1024.0;
    if kib < 1024.0 {
        format!("{kib:.0} KiB")
    } else if kib < 1024.0 * 1024.0 {
        format!("{:.1} MiB", kib / 1024.0)
    } else {
        format!("{:.2} GiB", kib / 1024.0 / 1024.0)
    }
}

/// The `reports` section of `BENCHMARKS.md`, from the results file's content.
fn section(results: &Value) -> String {
    let count = |value: &Value| thousands(value.as_u64().unwrap_or(0));
    let text = |value: &Value| value.as_str().unwrap_or("?").to_owned();
    let mut out = format!(
        "## Reports: a year of a {employees}-person company\n\
         \n\
         One `pulse serve` (release build, default settings: one HTTP worker per core, a\n\
         database pool of 16) on a fresh database. `pulse-bench reports` signs up a company\n\
         and writes its data set straight into Postgres (rows by `COPY`, a table per\n\
         connection, all at once): {employees} employees in {teams} teams with a computer each, all in\n\
         {zone} with working hours Monday to Friday 09:00–17:00, and a year of their\n\
         activity, {from} to {today} (both changes of summer time within it): each working\n\
         day 7 to 9 hours of active and idle time from a start between 07:45 and 10:00\n\
         local with a lunch break, in 5 to 15 of the 30 applications and sites each person\n\
         uses, some of them distractions; about 3 % of working days away and 10 % started\n\
         late. The company's dictionary holds the {subjects} applications and sites someone\n\
         uses, of {apps} applications and {sites} sites in {browsers} browsers (many in the\n\
         built-in catalogue, some not), classified by {rules} rules over the catalogue\n\
         (exact, wildcard and regular-expression patterns; {team_rules} for a team,\n\
         {person_rules} for a person, the rest for everyone). The rollups are what the session\n\
         builder folds from events, hours closed; raw events only for {event_people}\n\
         employees' last {event_days} days (the drill-down's). Then `VACUUM (ANALYZE)`, as\n\
         autovacuum would have run by then. Signed in as the owner, each query is sent\n\
         {warm_up} times unmeasured, then {runs} times one after another, each timed from\n\
         sending to its last byte. Every answer must be 200, parse as its report and hold\n\
         what the data set implies: the exact active and idle seconds in all, a row per day\n\
         or month, application rows adding up to the person's active time, the attendance\n\
         counts of every status; else the run fails and writes nothing.\n\n",
        employees = count(&results["employees"]),
        teams = results["teams"],
        zone = text(&results["time_zone"]),
        from = text(&results["history_from"]),
        today = text(&results["today"]),
        subjects = count(&results["subjects"]),
        apps = results["dictionary_apps"],
        sites = results["dictionary_sites"],
        browsers = results["browsers"],
        rules = results["rules"],
        team_rules = results["team_rules"],
        person_rules = results["person_rules"],
        event_people = count(&results["raw_event_people"]),
        event_days = results["raw_event_days"],
        warm_up = results["warm_up"],
        runs = results["runs"],
    );
    out.push_str(
        "| query | request | p50 | p99 | max | answer | target (p99) |\n\
         | --- | --- | ---: | ---: | ---: | ---: | --- |\n",
    );
    let empty = Vec::new();
    for query in results["queries"].as_array().unwrap_or(&empty) {
        let name = query["name"].as_str().unwrap_or("?");
        let request = format!(
            "`GET {}`",
            without_ids(query["path"].as_str().unwrap_or("?"))
        );
        let target = TARGETS.iter().find(|(q, _)| *q == name).map(|(_, ms)| *ms);
        let within = results["within_targets"][format!("{name}_p99_ms")].as_bool();
        let target = match (target, within) {
            (None, _) => "–".to_owned(),
            (Some(ms), Some(true)) => format!("under {} ✓", duration(ms)),
            (Some(ms), Some(false)) => format!("under {} ✗", duration(ms)),
            (Some(ms), None) => format!("under {}: not measured", duration(ms)),
        };
        if query["present"] == json!(false) {
            out.push_str(&format!(
                "| {} | {request} | – | – | – | 404: no such route yet | {target} |\n",
                label(name)
            ));
            continue;
        }
        out.push_str(&format!(
            "| {} | {request} | {} ms | {} ms | {} ms | {:.1} KiB | {target} |\n",
            label(name),
            figure(&query["p50_ms"], 1),
            figure(&query["p99_ms"], 1),
            figure(&query["max_ms"], 1),
            query["response_bytes"].as_f64().unwrap_or(0.0) / 1024.0,
        ));
    }
    let rows = &results["rows"];
    let size_of = |table: &str| {
        results["sizes"]
            .as_array()
            .and_then(|sizes| sizes.iter().find(|s| s["table"] == json!(table)))
            .map_or_else(|| "–".to_owned(), |s| size(&s["bytes"]))
    };
    out.push_str(
        "\nThe data set:\n\n\
         | table | rows | size (with indexes) |\n\
         | --- | ---: | ---: |\n",
    );
    for table in [
        "activity_hours",
        "activity_hour_subjects",
        "activity_days",
        "activity_day_subjects",
        "activity_months",
        "activity_month_subjects",
    ] {
        out.push_str(&format!(
            "| `{table}` | {} | {} |\n",
            count(&rows[table]),
            size_of(table)
        ));
    }
    out.push_str(&format!(
        "| **rollups in all** | **{}** | **{}** |\n\
         | `activity_subjects` (the dictionary) | {} | {} |\n\
         | `activity_events` ({} employees × {} days) | {} | {} |\n",
        count(&results["rollup_rows"]),
        size(&results["rollup_bytes"]),
        count(&results["subjects"]),
        size_of("activity_subjects"),
        count(&results["raw_event_people"]),
        results["raw_event_days"],
        count(&results["raw_events"]),
        size_of("activity_events"),
    ));
    out.push_str(&format!(
        "\n{} person-days worked, {} working days away, {} started late. Written in \
         **{} s** (the company, people, agents, dictionary and rules, then the rollups and \
         events), `VACUUM (ANALYZE)` in {} s.\n",
        count(&results["person_days"]),
        count(&results["absences"]),
        count(&results["late_starts"]),
        figure(&results["generation_secs"], 1),
        figure(&results["vacuum_secs"], 1),
    ));
    let machine = &results["machine"];
    out.push_str(&format!(
        "\nMeasured {} at commit `{}` on {}; the server, Postgres {} and the load client all ran on this one machine. The data set stays in the `pulse_bench` database until the next run, for `EXPLAIN` by hand. Raw figures: `bench/results/reports.json`.\n",
        text(&results["date"]),
        text(&results["commit"]),
        machine_words(machine),
        machine["postgres"].as_str().unwrap_or("(version unknown)"),
    ));
    out
}

/// `100 ms`, `1 s`.
fn duration(ms: f64) -> String {
    if ms >= 1_000.0 {
        format!("{} s", ms / 1_000.0)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn ids_are_left_out_of_the_requests_shown() {
        assert_eq!(
            without_ids(
                "/api/v1/reports/time?from=2026-11-01&to=2026-11-30&group=day&team_id=0193-ab"
            ),
            "/api/v1/reports/time?from=2026-11-01&to=2026-11-30&group=day&team_id=…"
        );
        assert_eq!(
            without_ids("/api/v1/reports/attendance?team_id=x&from=1"),
            "/api/v1/reports/attendance?team_id=…&from=1"
        );
        assert_eq!(without_ids("/api/v1/overview"), "/api/v1/overview");
        assert_eq!(duration(100.0), "100 ms");
        assert_eq!(duration(1_000.0), "1 s");
        assert_eq!(size(&json!(184_320)), "180 KiB");
        assert_eq!(size(&json!(39_428_096)), "37.6 MiB");
        assert_eq!(size(&json!(1_300_000_000_i64)), "1.21 GiB");
        assert_eq!(size(&Value::Null), "–");
    }

    #[test]
    fn the_benchmarks_section_renders_the_results_file() {
        super::super::assert_section_renders("reports", section);
    }
}
