//! The API fuzzed from its own OpenAPI document: schemathesis (`PULSE_SCHEMATHESIS`,
//! installed by `cargo xtask test`) generates requests for every operation, valid and
//! invalid, sends them to the real server, signed in as an owner and as an agent, and
//! checks each answer against the document: no server error, a documented status code,
//! a documented media type, a body that matches the documented schema.
//!
//! A finding is fixed where it arises (a response left out of `#[utoipa::path]`, a
//! check the handler lacked), never by loosening these checks.

use std::io::Write as _;
use std::path::Path;

use chrono::Duration;
use pulse_backend::testing::TestApp;
use pulse_shared::agents::EnrollResponse;
use pulse_shared::auth::{SessionResponse, SignupRequest};
use pulse_shared::people::{InvitationCreatedResponse, Role};
use serde_json::json;

use crate::common::activity::{event, upload};
use crate::common::agents::enroll_with;
use crate::common::json;
use crate::common::screenshots::upload_png;

/// No 5xx, and the status code, media type and body of every answer as documented.
const CHECKS: &str = "not_a_server_error,status_code_conformance,\
    content_type_conformance,response_schema_conformance";

/// Generated cases per operation and phase: enough to reach the boundaries of every
/// parameter, few enough that the runs take about three minutes on two cores.
const EXAMPLES: u32 = 30;
/// The same for the agents' five calls, which carry most of the traffic.
const AGENT_EXAMPLES: u32 = 150;

/// What one run of schemathesis did.
#[derive(Debug)]
struct Fuzzed {
    /// Its whole report, for a failure message.
    output: String,
    passed: bool,
    /// Requests sent (schemathesis's "test cases generated": one request each).
    requests: u64,
    /// Operations tested, of those in the document.
    operations: (u64, u64),
    seconds: f64,
}

impl Fuzzed {
    /// Reads the figures from schemathesis's summary (`Tested: 99`,
    /// `Selected: 99/105`, `6447 generated, …`).
    fn new(output: String, passed: bool, seconds: f64) -> Self {
        let after = |label: &str| {
            output
                .lines()
                .map(str::trim)
                .find_map(|line| line.strip_prefix(label))
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        let number = |text: &str| text.parse::<u64>().unwrap_or(0);
        let tested = number(&after("Tested:"));
        let total = number(after("Selected:").split('/').nth(1).unwrap_or(""));
        let requests = output
            .lines()
            .map(str::trim)
            .filter_map(|line| line.split_once(" generated,"))
            .find_map(|(count, _)| count.parse::<u64>().ok())
            .unwrap_or(0);
        Self {
            output,
            passed,
            requests,
            operations: (tested, total),
            seconds,
        }
    }

    /// One line for the test log: what was covered, in how long.
    fn summary(&self, run: &str) -> String {
        format!(
            "schemathesis as {run}: {} requests over {} of {} operations in {:.0} s",
            self.requests, self.operations.0, self.operations.1, self.seconds
        )
    }
}

/// A company worth fuzzing: its owner (also the monitored employee) with screenshots
/// on, one enrolled computer, an hour of activity and a screenshot, so lists, reports and
/// images answer with content whose schema is checked, not only empty pages; and an
/// employee, whom most of the company's calls refuse.
struct Company {
    app: TestApp,
    owner_access: String,
    employee_access: String,
    device_credential: String,
}

async fn company() -> Company {
    let app = TestApp::spawn().await.unwrap();
    let owner = SignupRequest {
        company_name: "Fuzz Ltd".into(),
        name: "Fiona Fuzz".into(),
        email: "fiona@fuzz.test".into(),
        password: "fuzz-password-42".into(),
    };
    let policy = json!({"screenshot_mode": "interval", "screenshot_interval_mins": 5});
    let (owner_access, token) = app.monitored_owner(&owner, &policy, 1).await.unwrap();
    let enrolled = enroll_with(&app, &token, None, "fuzz-laptop").await;
    assert_eq!(enrolled.status(), 201);
    let enrolled: EnrollResponse = json(enrolled).await;
    let device_credential = enrolled.credential;
    let events: Vec<_> = (1..=12)
        .map(|n| event(&app, ["code", "firefox", "slack"][n % 3], n as i64 * 5, 240))
        .collect();
    assert_eq!(
        upload(&app, &device_credential, &events).await.status(),
        200
    );
    upload_png(&app, &device_credential, app.now() - Duration::minutes(3)).await;
    let employee_access = employee(&app, &owner_access).await;
    Company {
        app,
        owner_access,
        employee_access,
        device_credential,
    }
}

/// Invites an employee as `owner_access` and signs them in through the invitation: their
/// access token.
async fn employee(app: &TestApp, owner_access: &str) -> String {
    let invited = app
        .client()
        .post(app.url("/api/v1/invitations"))
        .bearer_auth(owner_access)
        .json(&json!({"email": "eric@fuzz.test", "role": Role::Employee}))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let invited: InvitationCreatedResponse = json(invited).await;
    let token = invited.link.split_once('#').unwrap().1;
    let joined = app
        .client()
        .post(app.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "name": "Eric Employee", "password": "fuzz-password-43"}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), 201);
    json::<SessionResponse>(joined).await.access_token
}

/// Runs schemathesis against `app`'s document with `credential` as the bearer token,
/// `examples` cases per operation and phase, on the operations `selection` picks, and
/// fails with its report when it finds anything. Its output, JUnit report and summary
/// are kept in `target/tmp/schemathesis-<run>`, and the summary is printed even when the
/// test passes.
async fn fuzz(
    app: &TestApp,
    run: &str,
    credential: &str,
    examples: u32,
    selection: &[&str],
) -> Fuzzed {
    let command = std::env::var_os("PULSE_SCHEMATHESIS")
        .expect("PULSE_SCHEMATHESIS is not set: run the tests through `cargo xtask test`");
    let reports = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("schemathesis-{run}"));
    let _ = std::fs::remove_dir_all(&reports);
    std::fs::create_dir_all(&reports).unwrap();
    let started = std::time::Instant::now();
    let output = tokio::process::Command::new(&command)
        .arg("run")
        .arg(app.url("/api/v1/openapi.json"))
        .args(["--checks", CHECKS])
        .arg("--generation-deterministic")
        .args(["--max-examples", &examples.to_string()])
        .args(["--workers", "2"])
        .args(["--request-timeout", "30"])
        .arg("--continue-on-failure")
        .arg("--no-color")
        .args(["--header", &format!("Authorization: Bearer {credential}")])
        .args(selection)
        .args(["--report", "junit", "--report-dir"])
        .arg(&reports)
        // Hypothesis keeps its cache in the working directory.
        .current_dir(&reports)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|error| panic!("could not run {}: {error}", command.to_string_lossy()));
    let fuzzed = Fuzzed::new(
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        output.status.success(),
        started.elapsed().as_secs_f64(),
    );
    let summary = fuzzed.summary(run);
    let _ = std::fs::write(reports.join("output.txt"), &fuzzed.output);
    let _ = std::fs::write(reports.join("summary.txt"), format!("{summary}\n"));
    // Straight to the process's stderr, which the test harness does not capture, so
    // the figures are in every CI log.
    let _ = writeln!(std::io::stderr(), "{summary}");
    fuzzed
}

/// An open stream never ends, so there is no answer to check; the stream is tested in
/// `alerts.rs`.
const BUT_THE_STREAM: [&str; 2] = ["--exclude-path", "/api/v1/alerts/stream"];

/// Every operation with the owner's access token: the people, policies, reports and
/// billing calls as the most powerful person sees them, the agents' calls refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_the_owner_as_documented() {
    let company = company().await;
    let run = Run {
        who: "owner",
        credential: &company.owner_access,
        examples: EXAMPLES,
        scope: &BUT_THE_STREAM,
    };
    run.passes(&company.app, 100, 2_000).await;
}

/// Every operation with an employee's access token: what the company's people may not
/// do is refused as documented (403, or 404 for what is out of their reach).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_an_employee_as_documented() {
    let company = company().await;
    let run = Run {
        who: "employee",
        credential: &company.employee_access,
        examples: EXAMPLES,
        scope: &BUT_THE_STREAM,
    };
    run.passes(&company.app, 100, 2_000).await;
}

/// The agents' calls with a real agent's device credential, and more cases each: they
/// are most of the traffic, and the only calls the credential opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_calls_answer_an_agent_as_documented() {
    let company = company().await;
    let run = Run {
        who: "agent",
        credential: &company.device_credential,
        examples: AGENT_EXAMPLES,
        scope: &["--include-tag", "agent"],
    };
    run.passes(&company.app, 5, 500).await;
}

/// One schemathesis run: whose credential, how many cases per operation, and which
/// operations.
struct Run<'a> {
    who: &'a str,
    credential: &'a str,
    examples: u32,
    scope: &'a [&'a str],
}

impl Run<'_> {
    /// Fuzzes `app` and fails with schemathesis's report on any finding, or when fewer
    /// than `operations` operations or `requests` requests were covered.
    async fn passes(&self, app: &TestApp, operations: u64, requests: u64) {
        let fuzzed = fuzz(app, self.who, self.credential, self.examples, self.scope).await;
        assert!(fuzzed.passed, "{}", fuzzed.output);
        assert!(
            fuzzed.operations.0 >= operations && fuzzed.requests >= requests,
            "{}",
            fuzzed.summary(self.who)
        );
    }
}
