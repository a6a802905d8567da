//! Browser tests of the sections that load on first visit: when a section's chunk is
//! gone (the server was updated while a tab stayed open), that page offers the new
//! version and a reload, and the rest of the app goes on working.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use pulse_backend::testing::TestApp;
use pulse_e2e::{Browser, company_owned_by, dist_dir, run, run_with};

const EMAIL: &str = "olivia@chunks.example";
const PASSWORD: &str = "owner-password-42";

#[tokio::test]
async fn a_section_whose_chunk_is_gone_offers_the_new_version_and_the_rest_works()
-> anyhow::Result<()> {
    let dist = dist_without_chunk("split_people.wasm")?;
    let served = dist.clone();
    let outcome = run_with(
        "chunk-gone",
        move |config| config.dist_dir = served,
        async |app: &TestApp, b: &Browser| {
            company_owned_by(app, "Chunks Inc", EMAIL, PASSWORD).await?;
            b.sign_in(EMAIL, PASSWORD).await?;

            // Employees' code cannot be fetched: the page says why and offers a reload.
            b.click(r#"[data-nav="people"]"#).await?;
            b.wait_for_text(
                r#"[data-page="new-version"] h1"#,
                "A new version of Pulse is available",
            )
            .await?;
            b.wait_for(r#"[data-page="new-version"] [data-testid="reload"]"#)
                .await?;
            b.screenshot_both("new-version").await?;

            // The app is alive: a section of another chunk loads, and the core pages work.
            b.click(r#"[data-nav="policies"]"#).await?;
            b.wait_for(r#"[data-page="policies"]"#).await?;
            b.click(r#"[data-nav="overview"]"#).await?;
            b.wait_for(r#"[data-page="overview"]"#).await?;
            assert!(
                b.find_all("#app-stopped:not([hidden])").await?.is_empty(),
                "the app did not stop"
            );

            // Reload loads the page afresh (here the same build, still without the chunk).
            b.click(r#"[data-nav="people"]"#).await?;
            b.wait_for(r#"[data-page="new-version"]"#).await?;
            b.client()
                .execute("document.body.dataset.beforeReload = 'yes'", vec![])
                .await?;
            b.click(r#"[data-page="new-version"] [data-testid="reload"]"#)
                .await?;
            b.eventually("the page to reload", async || {
                Ok(b.find_all("body[data-before-reload]")
                    .await?
                    .is_empty()
                    .then_some(()))
            })
            .await?;
            b.wait_for(r#"[data-page="new-version"]"#).await?;
            assert_eq!(b.path().await?, "/people");
            // The loading page the app opened with gave way to the message.
            assert!(
                b.find_all(r#"[data-page="loading"]"#).await?.is_empty(),
                "the loading page stayed beside the message"
            );
            Ok(())
        },
    )
    .await;
    std::fs::remove_dir_all(&dist)?;
    outcome
}

/// A section's page opened directly (a bookmark, a link in an e-mail) draws first (its
/// heading, on the loading page) and fetches its code once that is on screen, each file
/// once; a page of the core fetches no section's code.
#[tokio::test]
async fn a_section_opened_directly_draws_before_it_fetches_its_code() -> anyhow::Result<()> {
    run("chunk-opening", async |app: &TestApp, b: &Browser| {
        company_owned_by(app, "Opening Inc", EMAIL, PASSWORD).await?;
        b.sign_in(EMAIL, PASSWORD).await?;
        let fetched = async |b: &Browser| -> anyhow::Result<Vec<String>> {
            Ok(b.requests()
                .await?
                .into_iter()
                .filter_map(|request| {
                    let file = request.path.rsplit('/').next()?.to_owned();
                    file.ends_with(".wasm").then_some(file)
                })
                .collect())
        };
        b.goto("/people").await?;
        b.wait_for_text(r#"[data-page="people"] h1"#, "Employees")
            .await?;
        // The loading page shown while the code arrived is gone.
        assert!(
            b.find_all(r#"[data-page="loading"]"#).await?.is_empty(),
            "the loading page stayed beside Employees"
        );
        let files = fetched(b).await?;
        assert!(
            files.iter().any(|file| file == "split_people.wasm"),
            "Employees' module was not fetched: {files:?}"
        );
        let mut once = files.clone();
        once.sort();
        once.dedup();
        assert_eq!(once.len(), files.len(), "a file fetched twice: {files:?}");
        // The first paint came before the section's code was asked for.
        let painted_first = b
            .evaluate(
                "const paint = performance.getEntriesByName('first-contentful-paint')[0];
                 const code = performance.getEntriesByType('resource')
                     .find((entry) => entry.name.endsWith('/split_people.wasm'));
                 return [paint ? paint.startTime : null, code ? code.startTime : null];",
            )
            .await?;
        let (paint, code) = (painted_first[0].as_f64(), painted_first[1].as_f64());
        assert!(
            matches!((paint, code), (Some(paint), Some(code)) if paint <= code),
            "the page drew at {paint:?} ms, after its code was asked for at {code:?} ms"
        );
        b.goto("/").await?;
        b.wait_for(r#"[data-page="overview"]"#).await?;
        // The live alerts' engine arrives after the page has drawn, with the code it
        // shares; nothing of a section's own.
        b.wait_for(r#"[data-page="overview"] [data-testid="overview-tiles"]"#)
            .await?;
        b.eventually("the live alerts' engine to be fetched", async || {
            Ok(fetched(b)
                .await?
                .iter()
                .any(|file| file == "split_live_alerts.wasm")
                .then_some(()))
        })
        .await?;
        let files = fetched(b).await?;
        assert!(
            files
                .iter()
                .all(|file| !file.starts_with("split_") || file == "split_live_alerts.wasm"),
            "the Overview fetched a section's code: {files:?}"
        );
        let late = b
            .evaluate(
                "const paint = performance.getEntriesByName('first-contentful-paint')[0];
                 return performance.getEntriesByType('resource')
                     .filter((entry) => entry.name.endsWith('.wasm')
                         && !entry.name.endsWith('/pulse-frontend_bg.wasm'))
                     .map((entry) => entry.startTime >= paint.startTime);",
            )
            .await?;
        let late = late.as_array().context("resource timings")?;
        assert!(
            !late.is_empty() && late.iter().all(|after| after.as_bool() == Some(true)),
            "the Overview fetched code beyond the core before it drew: {files:?}"
        );
        Ok(())
    })
    .await
}

/// A copy of the built app whose current build lacks `chunk` (and its compressed twins).
fn dist_without_chunk(chunk: &str) -> anyhow::Result<PathBuf> {
    let from = dist_dir()?;
    let to = std::env::temp_dir().join(format!("pulse-dist-{}", uuid::Uuid::new_v4().simple()));
    copy_dir(&from, &to)?;
    let html = std::fs::read_to_string(to.join("index.html"))?;
    let build = html
        .split("data-js=\"/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .context("index.html names no build")?;
    let file = to.join(build).join(chunk);
    std::fs::remove_file(&file).with_context(|| format!("{} is not there", file.display()))?;
    for twin in ["br", "gz"] {
        let _ = std::fs::remove_file(file.with_extension(format!("wasm.{twin}")));
    }
    Ok(to)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let path = entry?.path();
        let target = to.join(path.file_name().context("a file without a name")?);
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}
