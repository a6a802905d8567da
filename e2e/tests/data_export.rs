//! Browser journey of "Download my data": a monitored person asks for their data on
//! Account, watches it being prepared, saves the ZIP, and opens its `index.html` in the
//! browser, which says whose data it is, what each file holds, and links them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, ensure};
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, downloaded, run, step};
use pulse_shared::agents::EnrollResponse;
use pulse_shared::auth::SignupRequest;
use serde_json::json;

const EMAIL: &str = "nina@export.test";
const PASSWORD: &str = "nina-exports-her-data";

#[tokio::test]
async fn a_person_downloads_their_data_and_opens_its_index() -> anyhow::Result<()> {
    run("data-export", journey).await
}

async fn journey(app: &TestApp, b: &Browser) -> anyhow::Result<()> {
    step("a monitored person with activity", monitored(app)).await?;
    let downloads = std::env::temp_dir().join(format!("pulse-e2e-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&downloads);
    std::fs::create_dir_all(&downloads)?;
    let outcome = async {
        step("sign in", b.sign_in(EMAIL, PASSWORD)).await?;
        step(
            "ask on Account and save the ZIP",
            ask_and_save(b, &downloads),
        )
        .await?;
        step("open the index", open_index(b, &downloads)).await
    }
    .await;
    let _ = std::fs::remove_dir_all(&downloads);
    outcome
}

/// Nina owns the company and is monitored: her computer reported an hour of work.
async fn monitored(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app
        .monitored_owner(
            &SignupRequest {
                company_name: "Export & Co".into(),
                name: "Nina Export".into(),
                email: EMAIL.into(),
                password: PASSWORD.into(),
            },
            &json!({}),
            1,
        )
        .await?;
    let enrolled: EnrollResponse = app
        .client()
        .post(app.url("/api/v1/agent/enroll"))
        .json(&json!({
            "token": token,
            "hostname": "nina-laptop",
            "os": "Ubuntu 24.04 (x86_64)",
            "agent_version": "0.1.0",
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let now = chrono::Utc::now();
    let events: Vec<_> = [("Editor", 50), ("Browser", 30)]
        .into_iter()
        .map(|(app_name, minutes_ago)| {
            json!({
                "id": uuid::Uuid::new_v4(),
                "app": app_name,
                "title": format!("{app_name} window"),
                "started_at": now - chrono::Duration::minutes(minutes_ago),
                "duration_secs": 600,
                "keystrokes": 900,
                "mouse_events": 300,
                "active_secs": 600,
                "idle": false,
            })
        })
        .collect();
    app.client()
        .post(app.url("/api/v1/agent/activity"))
        .bearer_auth(&enrolled.credential)
        .json(&json!({ "events": events }))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

async fn ask_and_save(b: &Browser, downloads: &Path) -> anyhow::Result<()> {
    b.allow_downloads(downloads).await?;
    b.goto("/account").await?;
    b.wait_for(r#"[data-testid="your-data"]"#).await?;
    b.screenshot_both_at(r#"[data-testid="your-data"]"#, "account-your-data")
        .await?;
    b.click(r#"[data-testid="data-export-request"]"#).await?;
    // Being prepared, then ready with its download.
    b.wait_for(r#"[data-testid="data-export-status"]"#).await?;
    b.wait_for(r#"[data-testid="data-export-download"]"#)
        .await?;
    b.wait_for_text(r#"[data-testid="data-export-status"]"#, "Ready")
        .await?;
    b.screenshot_both_at(r#"[data-testid="your-data"]"#, "account-your-data-ready")
        .await?;
    b.click(r#"[data-testid="data-export-download"]"#).await?;
    b.wait_for_text(r#"[data-testid="toast"]"#, "Saved pulse-data-")
        .await?;
    let zip = b
        .eventually("a .zip in the download folder", async || {
            Ok(downloaded(downloads, "zip"))
        })
        .await?;
    let bytes = std::fs::read(&zip)?;
    ensure!(bytes.starts_with(b"PK\x03\x04"), "the file saved is no ZIP");
    unzip(&bytes, &downloads.join("archive"))?;
    Ok(())
}

/// Opens the archive's `index.html` from disk, as a person double-clicking it would.
async fn open_index(b: &Browser, downloads: &Path) -> anyhow::Result<()> {
    let index = downloads.join("archive").join("index.html");
    ensure!(index.is_file(), "no index.html in the archive");
    b.client()
        .goto(&format!("file://{}", index.display()))
        .await?;
    let whose = b.wait_for_text("#whose", "Nina Export").await?;
    ensure!(whose.contains(EMAIL), "the index names whose data: {whose}");
    let activity = b
        .wait_for(r#"[data-kind="activity"]"#)
        .await?
        .text()
        .await?;
    ensure!(
        activity == "2",
        "two activity records, the index says {activity}"
    );
    // Its links open the files beside it (the CSV would be saved, the JSON is shown).
    b.click(r#"a[href="activity.json"]"#).await?;
    b.eventually("the activity the index links to", async || {
        let text = b.page_text().await?;
        Ok((text.contains("\"Editor\"") && text.contains("\"Browser\"")).then_some(()))
    })
    .await?;
    b.client()
        .goto(&format!("file://{}", index.display()))
        .await?;
    b.wait_for("#whose").await?;
    b.screenshot_both("export-index").await?;
    Ok(())
}

/// Unpacks `bytes` into `into` (names are the server's, but kept inside `into`).
fn unzip(bytes: &[u8], into: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index)?;
        let relative = file.enclosed_name().context("a name outside the archive")?;
        let path = into.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut content = Vec::new();
        file.read_to_end(&mut content)?;
        std::fs::write(path, content)?;
    }
    Ok(())
}
