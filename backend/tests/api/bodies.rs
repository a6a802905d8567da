//! Request bodies that expand when decoded: refused without the server's memory
//! following them. The server runs as its own process, so its peak memory (`VmHWM`)
//! is its own.

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pulse_backend::testing::{Mailbox, TestDb};
use pulse_shared::agents::{EnrollResponse, EnrollmentTokenCreated};
use pulse_shared::auth::SessionResponse;
use serde_json::json;

use crate::common::json;

/// What a bomb expands to: 256 MiB of zeros.
const EXPANDED: usize = 256 * 1024 * 1024;
/// The most the server's peak memory may grow while refusing one.
const MAX_GROWTH_KIB: u64 = 64 * 1024;

/// `pulse serve` on a free port against its own database, stopped when dropped.
struct Server {
    child: Child,
    base_url: String,
    _db: TestDb,
    data_dir: std::path::PathBuf,
    mailbox: Mailbox,
}

impl Server {
    async fn start() -> Self {
        let db = TestDb::new().await.unwrap();
        let mailbox = Mailbox::start().await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data_dir = std::env::temp_dir().join(format!("pulse-bodies-{}", uuid::Uuid::new_v4()));
        let child = Command::new(env!("CARGO_BIN_EXE_pulse"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("PULSE_BIND", format!("127.0.0.1:{port}"))
            .env("PULSE_WORKERS", "1")
            .env("PULSE_DATA_DIR", &data_dir)
            .env("PULSE_OBJECT_STORE", data_dir.join("objects"))
            .env("PULSE_LOG", "warn")
            .env("PULSE_SMTP_URL", mailbox.smtp_url())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            _db: db,
            data_dir,
            mailbox,
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let ready = client
                .get(format!("{}/readyz", server.base_url))
                .send()
                .await;
            if ready.is_ok_and(|answer| answer.status() == 200) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    /// The server's peak resident memory so far, in KiB.
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// [`EXPANDED`] zeros, gzip-encoded: a few hundred KiB.
fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..EXPANDED / zeros.len() {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

/// [`EXPANDED`] zeros, brotli-encoded: a few hundred bytes.
fn brotli_bomb() -> Vec<u8> {
    let mut encoder = brotli::CompressorWriter::new(Vec::new(), 1 << 16, 5, 22);
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..EXPANDED / zeros.len() {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.into_inner()
}

/// Signs up, turns screenshots on, makes an enrollment token and enrolls a computer:
/// its device credential.
async fn agent_credential(server: &Server, client: &reqwest::Client) -> String {
    client
        .post(server.url("/api/v1/auth/signup"))
        .json(&json!({"company_name": "Bombs", "name": "Bo Owner",
                      "email": "bo@bombs.test", "password": "a long password 1"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let link = server
        .mailbox
        .link_to("bo@bombs.test", "/verify#")
        .await
        .unwrap();
    let signed_up: SessionResponse = json(
        client
            .post(server.url("/api/v1/auth/signup/verify"))
            .json(&json!({ "token": link.split_once('#').unwrap().1 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let access = signed_up.access_token.as_str();
    let owner = signed_up.me.user.id;
    let mut policy =
        serde_json::to_value(pulse_shared::policies::PolicySettings::default()).unwrap();
    policy["screenshot_mode"] = json!("interval");
    client
        .put(server.url("/api/v1/policies/company"))
        .bearer_auth(access)
        .json(&policy)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let token: EnrollmentTokenCreated = json(
        client
            .post(server.url("/api/v1/enrollment-tokens"))
            .bearer_auth(access)
            .json(&json!({"name": "bombs", "user_id": owner, "expires_in_hours": 1, "max_uses": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let enrolled: EnrollResponse = json(
        client
            .post(server.url("/api/v1/agent/enroll"))
            .json(
                &json!({"token": token.secret, "hostname": "bomb-pc", "os": "Linux",
                          "agent_version": "1.0"}),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    enrolled.credential
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_bombs_are_refused_without_the_memory_they_expand_to() {
    let server = Server::start().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let credential = agent_credential(&server, &client).await;
    let bombs = [("gzip", gzip_bomb()), ("br", brotli_bomb())];
    for (encoding, bomb) in &bombs {
        assert!(bomb.len() < 1024 * 1024, "{encoding}: {} bytes", bomb.len());
    }
    // A compressed JSON body to `path`, as the agent (`credential`) or anyone; the status.
    let send = async |path: &str, credential: Option<&str>, encoding: &str, body: &[u8]| {
        let mut request = client
            .post(server.url(path))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(body.to_vec());
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        response.status().as_u16()
    };
    let before = server.peak_kib();
    for (encoding, bomb) in &bombs {
        // Sign-in takes no compressed body at all; activity takes them, and stops
        // inflating at its 4 MiB.
        assert_eq!(
            send("/api/v1/auth/login", None, encoding, bomb).await,
            415,
            "{encoding}"
        );
        assert_eq!(
            send("/api/v1/agent/activity", Some(&credential), encoding, bomb).await,
            413,
            "{encoding}"
        );
    }
    let grown = server.peak_kib().saturating_sub(before);
    assert!(
        grown < MAX_GROWTH_KIB,
        "the server's peak memory grew by {grown} KiB"
    );
    // A real compressed batch still goes in.
    let batch = json!({"events": [{
        "id": uuid::Uuid::new_v4(), "app": "code", "title": "main.rs",
        // (This server runs on the system clock: it is a process of its own.)
        "started_at": chrono::Utc::now() - chrono::Duration::minutes(5),
        "duration_secs": 60, "keystrokes": 10, "mouse_events": 5, "active_secs": 50,
        "idle": false,
    }]});
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(batch.to_string().as_bytes()).unwrap();
    let stored = client
        .post(server.url("/api/v1/agent/activity"))
        .bearer_auth(&credential)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(encoder.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
}

/// Screenshot bodies wait for one of the server's upload slots (four per core) before
/// they are read, so many large uploads at once hold only the slots' worth in memory,
/// not one body per connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_large_uploads_at_once_hold_only_their_slots_in_memory() {
    const BODY: usize = 8 * 1024 * 1024;
    let server = Server::start().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let credential = agent_credential(&server, &client).await;
    let slots = std::thread::available_parallelism().map_or(2, usize::from) * 4;
    let uploads = slots * 3;
    // A PNG signature, then nothing an image decoder accepts: read whole, then refused.
    let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
    body.resize(BODY, 0);
    // The slots' bodies, and room for what every open connection buffers.
    let allowed_kib = ((slots + 6) * BODY / 1024) as u64;
    assert!((uploads * BODY / 1024) as u64 > allowed_kib);
    let before = server.peak_kib();
    let sent = (0..uploads).map(|n| {
        client
            .post(server.url("/api/v1/agent/screenshots"))
            .query(&[
                ("id", uuid::Uuid::new_v4().to_string()),
                (
                    "captured_at",
                    (chrono::Utc::now() - chrono::Duration::hours(n as i64)).to_rfc3339(),
                ),
                ("monitor", "0".to_owned()),
            ])
            .bearer_auth(&credential)
            .header("content-type", "image/png")
            .body(body.clone())
            .send()
    });
    for answer in futures_util::future::join_all(sent).await {
        let status = answer.unwrap().status().as_u16();
        assert!([422, 503].contains(&status), "{status}");
    }
    let grown = server.peak_kib().saturating_sub(before);
    println!("{uploads} uploads of 8 MiB at once: peak memory +{grown} KiB ({slots} slots)");
    assert!(
        grown < allowed_kib,
        "{uploads} uploads of 8 MiB grew the server's peak memory by {grown} KiB"
    );
}
