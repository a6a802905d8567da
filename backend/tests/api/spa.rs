//! Serving the web app: history fallback, caching, compression, security headers, and
//! API paths that never fall back.

use std::path::PathBuf;

use pulse_backend::testing::TestApp;
use pulse_shared::Problem;

const INDEX: &str = r#"<!doctype html><html><head><link rel="stylesheet" href="/main-0123456789abcdef.css">
<script type="module">import init from '/app-0123456789abcdef.js'; init();</script></head><body></body></html>"#;

fn dist() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pulse-dist-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(
        dir.join("app-0123456789abcdef.js"),
        "export default function init() {}\n".repeat(200),
    )
    .unwrap();
    std::fs::write(dir.join("main-0123456789abcdef.css"), "body{}").unwrap();
    std::fs::write(dir.join("robots.txt"), "User-agent: *\n").unwrap();
    dir
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_routes_fall_back_to_the_page_uncached() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    for path in ["/", "/status", "/people/0193/edit"] {
        let response = app.get(path).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert!(header(&response, "content-type").starts_with("text/html"));
        let csp = header(&response, "content-security-policy");
        assert!(
            csp.contains("'sha256-") && csp.contains("'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(response.text().await.unwrap(), INDEX);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_cached_for_a_year_and_others_revalidated() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    let asset = app.get("/app-0123456789abcdef.js").await.unwrap();
    assert_eq!(asset.status(), 200);
    let cache = header(&asset, "cache-control");
    assert!(
        cache.contains("max-age=31536000") && cache.contains("immutable"),
        "{cache}"
    );
    let robots = app.get("/robots.txt").await.unwrap();
    assert_eq!(header(&robots, "cache-control"), "no-cache");
    let missing = app.get("/missing-file.js").await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    for encoding in ["gzip", "br"] {
        let response = app
            .client()
            .get(app.url("/app-0123456789abcdef.js"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, "content-encoding"), encoding);
        let compressed = response.bytes().await.unwrap().len();
        assert!(compressed < 35 * 200 / 4, "{encoding}: {compressed} bytes");
    }
}

/// Files compressed at build time (`.br`, `.gz` beside the original) are sent as they
/// are, with the original's type, to the clients that accept them; the others get the
/// original. Every answer says it varies by `Accept-Encoding`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_compressed_at_build_time_are_sent_as_they_are() {
    let dir = dist();
    let wasm = vec![7_u8; 4096];
    std::fs::write(dir.join("app-0123456789abcdef_bg.wasm"), &wasm).unwrap();
    // Distinct bodies, so the answer shows which file was sent.
    std::fs::write(dir.join("app-0123456789abcdef_bg.wasm.br"), b"brotli body").unwrap();
    std::fs::write(dir.join("app-0123456789abcdef_bg.wasm.gz"), b"gzip body").unwrap();
    let app = TestApp::spawn_with_dist(dir).await.unwrap();
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", "br", b"brotli body".to_vec()),
        ("gzip", "gzip", b"gzip body".to_vec()),
        ("br;q=0, gzip", "gzip", b"gzip body".to_vec()),
        ("identity", "", wasm.clone()),
    ] {
        let response = app
            .client()
            .get(app.url("/app-0123456789abcdef_bg.wasm"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(header(&response, "content-encoding"), encoding, "{accept}");
        assert_eq!(
            header(&response, "content-type"),
            "application/wasm",
            "{accept}"
        );
        assert_eq!(header(&response, "vary"), "accept-encoding", "{accept}");
        assert!(header(&response, "cache-control").contains("immutable"));
        assert_eq!(response.bytes().await.unwrap().to_vec(), body, "{accept}");
    }
}

/// A build's directory (`app-<hash>/`) holds the app's core and the chunks it fetches on
/// demand: served with their types, cached for good, their compressed twins sent as
/// they are; a chunk that is not there (its build was removed) is a JSON 404, never the
/// page, so that the app sees the load fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builds_files_are_cached_for_good_and_a_missing_chunk_is_a_json_404() {
    let dir = dist();
    let build = dir.join("app-0123456789abcdef");
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(build.join("split_people.wasm"), vec![7_u8; 4096]).unwrap();
    std::fs::write(build.join("split_people.wasm.br"), b"brotli chunk").unwrap();
    std::fs::write(build.join("__wasm_split.js"), "export {};\n").unwrap();
    let app = TestApp::spawn_with_dist(dir).await.unwrap();

    let chunk = app
        .client()
        .get(app.url("/app-0123456789abcdef/split_people.wasm"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(chunk.status(), 200);
    assert_eq!(header(&chunk, "content-type"), "application/wasm");
    assert_eq!(header(&chunk, "content-encoding"), "br");
    let cache = header(&chunk, "cache-control");
    assert!(
        cache.contains("max-age=31536000") && cache.contains("immutable"),
        "{cache}"
    );
    assert_eq!(chunk.bytes().await.unwrap().as_ref(), b"brotli chunk");

    let loader = app
        .get("/app-0123456789abcdef/__wasm_split.js")
        .await
        .unwrap();
    assert_eq!(loader.status(), 200);
    assert!(header(&loader, "content-type").contains("javascript"));
    assert!(header(&loader, "cache-control").contains("immutable"));

    for missing in [
        "/app-0123456789abcdef/split_audit.wasm",
        "/app-fedcba9876543210/split_people.wasm",
    ] {
        let response = app.get(missing).await.unwrap();
        assert_eq!(response.status(), 404, "{missing}");
        assert_eq!(
            header(&response, "content-type"),
            "application/problem+json",
            "{missing}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_paths_are_json_404s_never_the_page() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    for path in [
        "/api/v1/nope",
        "/api/v1/system/status/extra",
        "/api",
        "/api/v2/anything.js",
    ] {
        let response = app.get(path).await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "application/problem+json",
            "{path}"
        );
        let problem: Problem = response.json().await.unwrap();
        assert_eq!(problem.status, 404);
        assert_eq!(problem.kind, "/problems/not-found");
    }
    let post = app
        .client()
        .post(app.url("/api/v1/nope"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_security_headers_and_a_request_id() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    for path in ["/", "/api/v1/system/status", "/api/v1/nope"] {
        let response = app.get(path).await.unwrap();
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        assert!(
            header(&response, "content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header(&response, "x-request-id").len(), 36, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_traversal_finds_nothing() {
    let app = TestApp::spawn_with_dist(dist()).await.unwrap();
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/..%2fCargo.toml",
        "/.hidden.txt",
        "/app-0123456789abcdef/../../Cargo.toml",
        "/app-0123456789abcdef/%2e%2e/%2e%2e/Cargo.toml",
    ] {
        let response = app.get(path).await.unwrap();
        let body = response.text().await.unwrap();
        assert!(!body.contains("[package]"), "{path} leaked a file");
    }
}
