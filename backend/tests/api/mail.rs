//! Invitations by e-mail: a real SMTP conversation with a receiver on loopback.

use std::sync::{Arc, Mutex};

use pulse_backend::testing::TestApp;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::common::{post, signup};

/// A minimal SMTP receiver: answers each command and keeps every message's DATA.
pub async fn smtp_receiver() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let store = messages.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 receiver ready\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-receiver\r\n250 OK\r\n"
                    } else if command.starts_with("DATA") {
                        write
                            .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                            .await
                            .unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push('\n');
                        }
                        store.lock().unwrap().push(data);
                        b"250 queued\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_emailed_when_smtp_is_configured() {
    let (port, messages) = smtp_receiver().await;
    let app = TestApp::spawn_with(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        config.mail_from = "Pulse <no-reply@pulse.test>".into();
    })
    .await
    .unwrap();
    let owner = signup(&app, "ada@example.com").await;
    let response = post(
        &app,
        &owner,
        "/api/v1/invitations",
        &json!({"email": "grace@example.com", "role": "manager", "team_id": null}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["emailed"], true);
    let messages = messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(message.contains("To: grace@example.com"), "{message}");
    assert!(message.contains("Subject: Join Acme on Pulse"), "{message}");
    assert!(
        message.contains(body["link"].as_str().unwrap()),
        "the link is in the message: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_link_is_still_given() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    let body: Value = post(
        &app,
        &owner,
        "/api/v1/invitations",
        &json!({"email": "grace@example.com", "role": "employee", "team_id": null}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["emailed"], false);
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/join#", app.config.public_url))
    );
}
