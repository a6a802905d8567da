//! The OpenAPI document: served, 3.1, complete — every route the code registers is in
//! it — and snapshotted, so changes to the public API show in review.

use std::collections::BTreeSet;
use std::path::Path;

use pulse_backend::testing::TestApp;
use serde_json::Value;

async fn document() -> Value {
    let app = TestApp::spawn().await.unwrap();
    let response = app.get("/api/v1/openapi.json").await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `(method, path)` of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

/// `(method, path)` of every actix route attribute under `backend/src/api`, with its
/// scope prefix (`api::v1` registers everything but the probes under `/api/v1`).
fn registered() -> BTreeSet<(String, String)> {
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api"),
        &mut files,
    );
    let mut routes = BTreeSet::new();
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        assert!(
            !source.contains(".route(") && !source.contains("web::resource("),
            "{}: register handlers with .service(handler) so they reach the OpenAPI document",
            path.display()
        );
        let prefix = if path.ends_with("health.rs") {
            ""
        } else {
            "/api/v1"
        };
        for line in source.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().unwrap();
                    routes.insert((method.to_uppercase(), format!("{prefix}{route}")));
                }
            }
        }
    }
    routes
}

/// The whole document, as integrators read it: any change to the public API (a route,
/// a field, a description) shows in review as a change to this snapshot. Review it
/// with `cargo insta review`, or accept it with `INSTA_UPDATE=always`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_unchanged_unless_reviewed() {
    insta::assert_json_snapshot!("openapi", document().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_openapi_3_1_with_problem_schema() {
    let doc = document().await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Pulse API");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["schemas"]["SystemStatusResponse"].is_object());
}

/// Errors are documented as what is sent (`application/problem+json`), and every route
/// that takes a body documents 413 and 415.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_and_body_refusals_are_documented_as_sent() {
    let doc = document().await;
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                let Some(content) = response["content"].as_object() else {
                    continue;
                };
                for (media, body) in content {
                    let is_problem = body["schema"]["$ref"]
                        .as_str()
                        .is_some_and(|reference| reference.ends_with("/Problem"));
                    assert!(
                        !is_problem || media == "application/problem+json",
                        "{method} {path} {status}: a problem documented as {media}"
                    );
                }
            }
            if operation.get("requestBody").is_some() {
                bodies += 1;
                for status in ["413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} takes a body but does not document {status}"
                    );
                }
            }
        }
    }
    assert!(bodies > 20, "{bodies} operations with a body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_route_is_documented() {
    let registered = registered();
    assert!(
        registered.len() >= 3,
        "the scan found too few routes: {registered:?}"
    );
    let documented = documented(&document().await);
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served() {
    let app = TestApp::spawn().await.unwrap();
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (method, path) in documented(&doc) {
        if method == "GET" && !path.contains('{') {
            let response = app.get(&path).await.unwrap();
            assert_ne!(
                response.status(),
                404,
                "{method} {path} is documented but not served"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_renders_offline() {
    let app = TestApp::spawn().await.unwrap();
    let page = app.get("/api/docs/").await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let redirect = app.get("/api/docs").await.unwrap();
    assert!(redirect.status().is_redirection());
}
