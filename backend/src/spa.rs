//! Serves the single-page app `cargo xtask` builds, and the fallback for unknown paths.
//!
//! - `/api/…` never falls back: an unknown API path is a problem+json 404.
//! - A file that exists in the dist directory or below it is served; hashed assets
//!   (`name-<hex hash>.ext`) and everything in a build's directory (`app-<hex hash>/`:
//!   the app's core and the chunks it loads on demand) are cached for a year, everything
//!   else is revalidated.
//! - Any other path with a file extension is a problem+json 404, never the page: a chunk
//!   of a build that is gone must fail to load as such (the app then offers to reload).
//! - Any other path without a file extension is a client-side route: it gets
//!   `index.html` (never cached) so deep links and reloads work.
//!
//! The page's Content-Security-Policy allows the inline module script trunk writes
//! into `index.html` by its SHA-256 hash, computed from the file being served, so
//! no `'unsafe-inline'` is needed. When billing is configured it also admits the one
//! origin Stripe.js comes from (`PULSE_STRIPE_JS_URL`): its script, its frames, and
//! the calls it makes; without billing, nothing beyond the app's own origin.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::Method;
use actix_web::http::header::{self, CacheControl, CacheDirective, ContentEncoding, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, problem_response};
use crate::state::AppState;

/// Where the built app lives.
#[derive(Debug, Clone)]
pub struct Spa {
    dist_dir: PathBuf,
}

impl Spa {
    pub fn new(dist_dir: PathBuf) -> Self {
        if !dist_dir.join("index.html").is_file() {
            tracing::warn!(dir = %dist_dir.display(), "no index.html in PULSE_DIST_DIR; build the app with `cargo xtask run`");
        }
        Self { dist_dir }
    }
}

/// The default service: static files, the history fallback, and API 404s.
pub async fn serve(req: HttpRequest, spa: web::Data<Spa>) -> HttpResponse {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return problem_response(&ApiError::NotFound.problem());
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return problem_response(&ApiError::MethodNotAllowed.problem());
    }
    if let Some(file) = asset_path(&spa.dist_dir, path)
        && tokio::fs::metadata(&file)
            .await
            .is_ok_and(|meta| meta.is_file())
        && let Ok(named) = open_encoded(&req, &file).await
    {
        let cache = if is_hashed_asset(&file) || in_build_dir(&spa.dist_dir, &file) {
            CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(31_536_000),
                CacheDirective::Extension("immutable".into(), None),
            ])
        } else {
            CacheControl(vec![CacheDirective::NoCache])
        };
        let mut response = named
            .use_etag(true)
            .use_last_modified(true)
            .into_response(&req);
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, cache_value(&cache));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return response;
    }
    if looks_like_file(path) {
        return problem_response(&ApiError::NotFound.problem());
    }
    index(&spa.dist_dir, stripe_origin(&req).as_deref()).await
}

/// `file`, or its twin compressed at build time (`.br`, else `.gz`) when the client
/// accepts that encoding: sent as it is, with the original's type, so nothing is
/// compressed per request and the client gets brotli's smallest.
async fn open_encoded(req: &HttpRequest, file: &Path) -> std::io::Result<NamedFile> {
    let accepts = |coding: &str| {
        req.headers()
            .get_all(header::ACCEPT_ENCODING)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|item| {
                let mut parts = item.split(';');
                let name = parts.next()?.trim();
                let refused = parts.any(|param| {
                    param
                        .trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused).then_some(name)
            })
            .any(|name| name.eq_ignore_ascii_case(coding))
    };
    let original = NamedFile::open_async(file).await?;
    let mime = original.content_type().clone();
    for (coding, suffix, encoding) in [
        ("br", "br", ContentEncoding::Brotli),
        ("gzip", "gz", ContentEncoding::Gzip),
    ] {
        let mut twin = file.as_os_str().to_owned();
        twin.push(".");
        twin.push(suffix);
        if accepts(coding)
            && let Ok(encoded) = NamedFile::open_async(PathBuf::from(twin)).await
        {
            return Ok(encoded
                .set_content_type(mime)
                .set_content_encoding(encoding));
        }
    }
    Ok(original)
}

/// The origin Stripe.js is loaded from, when this server takes payments.
fn stripe_origin(req: &HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let stripe = state.stripe.as_ref()?;
    origin_of(&stripe.config.js_url)
}

/// `https://js.stripe.com/v3/` → `https://js.stripe.com`; none for what has no origin
/// a policy could name.
fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// `index.html`, never cached, with a CSP that admits exactly its own inline scripts
/// (and Stripe.js from `stripe`, when billing is configured).
async fn index(dist_dir: &Path, stripe: Option<&str>) -> HttpResponse {
    match tokio::fs::read_to_string(dist_dir.join("index.html")).await {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
            .insert_header((header::CONTENT_SECURITY_POLICY, page_csp(&html, stripe)))
            .body(html),
        Err(error) => {
            tracing::error!(%error, dir = %dist_dir.display(), "cannot read index.html");
            problem_response(
                &pulse_shared::Problem::new(pulse_shared::ProblemType::Unavailable)
                    .with_detail("The web app is not built on this server."),
            )
        }
    }
}

fn cache_value(cache: &CacheControl) -> HeaderValue {
    HeaderValue::from_str(&cache.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// The policy for API answers and everything that is not the app's page.
pub const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy for the app's page: its own origin only, WASM allowed, inline scripts
/// admitted by hash; and, with `stripe` (an origin), Stripe.js's script, frames and calls.
pub fn page_csp(html: &str, stripe: Option<&str>) -> String {
    let hashes: String = inline_scripts(html)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let (stripe_source, frames) = match stripe {
        Some(origin) => (format!(" {origin}"), format!(" frame-src 'self' {origin};")),
        None => (String::new(), String::new()),
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}{stripe_source}; style-src 'self'; \
         img-src 'self' data: blob:; font-src 'self'; connect-src 'self'{stripe_source};{frames} object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// The bodies of `<script>` elements that have no `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let after_tag = &rest[start..];
            let tag_end = after_tag.find('>')?;
            let tag = &after_tag[..tag_end];
            let body_start = start + tag_end + 1;
            let body_len = rest[body_start..].find("</script>")?;
            let body = &rest[body_start..body_start + body_len];
            rest = &rest[body_start + body_len..];
            if !tag.contains(" src=") && !body.trim().is_empty() {
                return Some(body);
            }
        }
    })
}

/// The file a URL path names inside `dist_dir`, or `None` when the path could escape it
/// or names no file (encoded characters, dot segments, hidden files).
fn asset_path(dist_dir: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = url_path.trim_start_matches('/');
    if relative.is_empty() || relative.contains('%') || relative.contains('\\') {
        return None;
    }
    let mut file = dist_dir.to_path_buf();
    for segment in relative.split('/') {
        if segment.is_empty() || segment.starts_with('.') {
            return None;
        }
        file.push(segment);
    }
    Some(file)
}

/// Whether the last segment has an extension, i.e. names a file rather than a route.
fn looks_like_file(url_path: &str) -> bool {
    url_path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// Whether a file name carries a content hash (`app-1a2b3c4d5e6f7a8b_bg.wasm`), so its
/// content never changes under that name.
fn is_hashed_asset(file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 8 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether `file` lies in a build's directory, `<dist>/app-<hex hash>/`, whose files
/// never change (a build with other content gets another directory).
fn in_build_dir(dist_dir: &Path, file: &Path) -> bool {
    let Ok(relative) = file.strip_prefix(dist_dir) else {
        return false;
    };
    let mut components = relative.components();
    let first = components.next().and_then(|c| c.as_os_str().to_str());
    components.next().is_some()
        && first
            .and_then(|dir| dir.strip_prefix("app-"))
            .is_some_and(|hash| hash.len() >= 8 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_recognised() {
        let cases = [
            ("pulse-frontend-9f86d081884c7d65_bg.wasm", true),
            ("pulse-frontend-9f86d081884c7d65.js", true),
            ("main-00ab12cd34ef5678.css", true),
            ("index.html", false),
            ("pulse-frontend.js", false),
            ("favicon-dark.svg", false),
        ];
        for (name, hashed) in cases {
            assert_eq!(is_hashed_asset(Path::new(name)), hashed, "{name}");
        }
    }

    #[test]
    fn files_of_a_build_are_recognised() {
        let dist = Path::new("/srv/dist");
        let cases = [
            ("/srv/dist/app-0123456789abcdef/split_people.wasm", true),
            ("/srv/dist/app-0123456789abcdef/pulse-frontend.js", true),
            ("/srv/dist/app-0123456789abcdef", false),
            ("/srv/dist/app-latest/pulse-frontend.js", false),
            ("/srv/dist/docs/app-0123456789abcdef/x.js", false),
            ("/srv/dist/index.html", false),
            ("/elsewhere/app-0123456789abcdef/x.js", false),
        ];
        for (file, immutable) in cases {
            assert_eq!(in_build_dir(dist, Path::new(file)), immutable, "{file}");
        }
    }

    #[test]
    fn paths_cannot_escape_the_dist_dir() {
        let dist = Path::new("/srv/dist");
        assert_eq!(
            asset_path(dist, "/app.js"),
            Some(PathBuf::from("/srv/dist/app.js"))
        );
        assert_eq!(
            asset_path(dist, "/app-00ff/split_people.wasm"),
            Some(PathBuf::from("/srv/dist/app-00ff/split_people.wasm"))
        );
        for path in [
            "/",
            "/../etc/passwd",
            "/a/../../b",
            "/%2e%2e/x",
            "/.env",
            "/a//b",
            "/a\\b",
            "/app-00ff/../../etc/passwd",
            "/app-00ff/%2e%2e/x.wasm",
            "/app-00ff/./x.wasm",
        ] {
            assert_eq!(asset_path(dist, path), None, "{path}");
        }
    }

    #[test]
    fn routes_and_files_are_told_apart() {
        assert!(looks_like_file("/favicon.ico"));
        assert!(!looks_like_file("/status"));
        assert!(!looks_like_file("/people/0193-abc"));
    }

    #[test]
    fn csp_admits_exactly_the_inline_scripts() {
        let html = r#"<html><head><script type="module">import init from '/a.js'; init();</script>
            <script src="/b.js"></script></head></html>"#;
        let csp = page_csp(html, None);
        let expected = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(b"import init from '/a.js'; init();"));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(!csp.contains("unsafe-inline"));
        assert!(
            !csp.contains("frame-src") && !csp.contains("stripe"),
            "{csp}"
        );
    }

    #[test]
    fn csp_admits_exactly_the_stripe_js_origin_when_billing_is_configured() {
        let origin = origin_of("https://js.stripe.com/v3/");
        assert_eq!(origin.as_deref(), Some("https://js.stripe.com"));
        let csp = page_csp("<html></html>", origin.as_deref());
        let directive = |name: &str| {
            csp.split(';')
                .map(str::trim)
                .find(|directive| directive.starts_with(name))
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(
            directive("script-src"),
            "script-src 'self' 'wasm-unsafe-eval' https://js.stripe.com"
        );
        assert_eq!(
            directive("connect-src"),
            "connect-src 'self' https://js.stripe.com"
        );
        assert_eq!(
            directive("frame-src"),
            "frame-src 'self' https://js.stripe.com"
        );
        assert_eq!(csp.matches("stripe").count(), 3, "{csp}");
        // A test double on a port keeps its port; what has no origin admits nothing.
        assert_eq!(
            origin_of("http://127.0.0.1:8420/js.stripe.com/v3/").as_deref(),
            Some("http://127.0.0.1:8420")
        );
        assert_eq!(origin_of("data:text/javascript,alert(1)"), None);
        assert_eq!(origin_of("not a url"), None);
    }
}
