//! The `pulse` binary's failures: one clear line and a non-zero exit, never a panic trace.

use std::process::Command;

fn pulse(vars: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_clear_line(stderr: &str, mentions: &str) {
    let lines: Vec<_> = stderr.lines().filter(|l| l.starts_with("pulse:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(mentions), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_bad_variable_is_named() {
    let (code, stderr) = pulse(&[
        ("DATABASE_URL", "postgres://x@127.0.0.1/x"),
        ("PULSE_BIND", "eighty"),
    ]);
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, "PULSE_BIND");
    let (code, stderr) = pulse(&[]);
    assert_eq!(code, 2);
    assert_one_clear_line(&stderr, "DATABASE_URL");
}

#[test]
fn an_unreachable_database_is_reported() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("postgres://postgres@{}/pulse", closed.local_addr().unwrap());
    drop(closed);
    let (code, stderr) = pulse(&[("DATABASE_URL", &url), ("PULSE_LOG", "off")]);
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "cannot connect to the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_use_is_reported() {
    let db = pulse_backend::testing::TestDb::new().await.unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let url = db.url.clone();
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        pulse(&[
            ("DATABASE_URL", &url),
            ("PULSE_BIND", &bind),
            ("PULSE_LOG", "off"),
        ])
    })
    .await
    .unwrap();
    assert_eq!(code, 1);
    assert_one_clear_line(&stderr, "cannot listen on");
}
