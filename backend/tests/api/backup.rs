//! Backups that restore: the real `pulse backup` of a company with people, audit events
//! and a screenshot, `pulse restore` into an empty database and a fresh object store,
//! and a server on the restored copy that signs people in, verifies the audit chain
//! and shows the screenshot; a restore over existing data refused without consent.

use std::path::{Path, PathBuf};
use std::process::Output;

use pulse_backend::testing::{TestApp, TestDb};
use pulse_shared::Page;
use pulse_shared::audit::AuditVerifyResponse;
use pulse_shared::people::Person;
use serde_json::json;

use crate::common::screenshots::upload_png;
use crate::common::{Org, PASSWORD, Session, get, get_json, login, session_from};

/// Runs the real binary with `args` against `database_url` and the object directory
/// `objects`; nothing else of the environment but PATH (where `pg_dump` is).
async fn pulse(args: &[&str], database_url: &str, objects: &Path) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pulse"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PULSE_OBJECT_STORE", objects)
        .env("PULSE_LOG", "warn")
        .output()
        .await
        .unwrap()
}

fn said(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A directory of the test's own for the archive and the restored objects.
fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pulse-backup-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the archive `from` to `to` without its objects, as if they had been lost.
fn without_objects(from: &Path, to: &Path) {
    let mut archive = tar::Archive::new(std::fs::File::open(from).unwrap());
    let mut copy = tar::Builder::new(std::fs::File::create(to).unwrap());
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        if !path.starts_with("objects") {
            let mut header = entry.header().clone();
            copy.append_data(&mut header, path, entry).unwrap();
        }
    }
    copy.finish().unwrap();
}

async fn sign_in(app: &TestApp, as_who: &Session) -> Session {
    let answer = login(app, &as_who.body.me.user.email, PASSWORD).await;
    assert_eq!(answer.status(), 200);
    session_from(answer).await
}

async fn people(app: &TestApp, session: &Session) -> Vec<(String, String)> {
    let page: Page<Person> = get_json(app, session, "/api/v1/people?limit=200").await;
    let mut people: Vec<_> = page
        .items
        .into_iter()
        .map(|person| (person.id.to_string(), person.email))
        .collect();
    people.sort();
    people
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_an_empty_database_with_its_chain_and_screenshots() {
    let app = TestApp::spawn().await.unwrap();
    let (org, laptop) = Org::builder(&app, "vault")
        .screenshots(json!({}))
        .with_employee_agent("vault-laptop")
        .await;
    let shot = upload_png(&app, &laptop.credential, app.now()).await;
    let image = format!("/api/v1/screenshots/{}/image", shot.id);
    let picture = get(&app, &org.admin, &image).await;
    assert_eq!(picture.status(), 200);
    let picture = picture.bytes().await.unwrap();
    let people_before = people(&app, &org.owner).await;
    let chain_before: AuditVerifyResponse =
        get_json(&app, &org.owner, "/api/v1/audit-events/verify").await;
    assert!(chain_before.valid);
    assert!(chain_before.checked > 5, "{chain_before:?}");

    let dir = scratch_dir();
    let archive = dir.join("pulse.tar");
    let archive_arg = archive.to_str().unwrap();
    let backed_up = pulse(
        &["backup", "--to", archive_arg],
        &app.db.url,
        &app.objects_dir,
    )
    .await;
    let (stdout, stderr) = said(&backed_up);
    assert!(backed_up.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 objects"),
        "the picture and its thumbnail: {stdout}"
    );

    // A fresh database and object store, as on a new machine.
    let target = TestDb::empty().await.unwrap();
    let objects = dir.join("objects");
    let restore = ["restore", "--from", archive_arg, "--into", target.name()];
    let restored = pulse(&restore, &app.db.url, &objects).await;
    let (stdout, stderr) = said(&restored);
    assert!(restored.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("every chain of 1 company intact"),
        "{stdout}"
    );
    assert!(
        stdout.contains("screenshots: 1 (2 objects restored)"),
        "{stdout}"
    );

    // Restoring again over what is now there needs consent…
    let refused = pulse(&restore, &app.db.url, &objects).await;
    let (stdout, stderr) = said(&refused);
    assert_eq!(refused.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    // …and a restore whose screenshots do not open is not called done.
    let stripped = dir.join("without-objects.tar");
    without_objects(&archive, &stripped);
    let stripped_arg = stripped.to_str().unwrap();
    let incomplete = [
        "restore",
        "--from",
        stripped_arg,
        "--into",
        target.name(),
        "--force",
    ];
    let nowhere = dir.join("empty-store");
    let failed = pulse(&incomplete, &app.db.url, &nowhere).await;
    let (stdout, stderr) = said(&failed);
    assert_eq!(failed.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("does not open"), "{stderr}");
    // With consent, a restore replaces everything.
    let mut forced = restore.to_vec();
    forced.push("--force");
    let replaced = pulse(&forced, &app.db.url, &objects).await;
    let (stdout, stderr) = said(&replaced);
    assert!(replaced.status.success(), "{stdout}{stderr}");

    // The original is gone, objects and all; the restored copy stands on its own.
    drop(app);
    let app = TestApp::spawn_on(target, objects).await.unwrap();
    let owner = sign_in(&app, &org.owner).await;
    let chain: AuditVerifyResponse = get_json(&app, &owner, "/api/v1/audit-events/verify").await;
    assert!(chain.valid, "{chain:?}");
    // Every event of the backup, and the sign-in just made.
    assert_eq!(chain.checked, chain_before.checked + 1);
    assert_eq!(people(&app, &owner).await, people_before);
    let admin = sign_in(&app, &org.admin).await;
    let restored_picture = get(&app, &admin, &image).await;
    assert_eq!(restored_picture.status(), 200);
    assert_eq!(restored_picture.bytes().await.unwrap(), picture);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_shows_the_password_nor_replaces_an_archive() {
    let dir = scratch_dir();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "postgres://pulse:hunter2-secret@{}/pulse",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let archive = dir.join("pulse.tar");
    let archive_arg = archive.to_str().unwrap();
    let failed = pulse(&["backup", "--to", archive_arg], &url, &dir).await;
    let (stdout, stderr) = said(&failed);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("postgres://pulse:***@"), "{stderr}");
    assert!(!format!("{stdout}{stderr}").contains("hunter2"), "{stderr}");
    assert!(!archive.exists(), "a failed backup leaves no archive");

    std::fs::write(&archive, "an earlier backup").unwrap();
    let kept = pulse(&["backup", "--to", archive_arg], &url, &dir).await;
    let (_, stderr) = said(&kept);
    assert_eq!(kept.status.code(), Some(1));
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(&archive).unwrap(), b"an earlier backup");

    let not_a_backup = pulse(&["restore", "--from", archive_arg], &url, &dir).await;
    let (_, stderr) = said(&not_a_backup);
    assert_eq!(not_a_backup.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a Pulse backup"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
