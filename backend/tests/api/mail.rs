//! Invitations by e-mail: a real SMTP conversation with a receiver on loopback.

use pulse_backend::testing::TestApp;
use pulse_shared::people::InvitationCreatedResponse;
use serde_json::json;

use crate::common::{json, post, signup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_emailed_when_smtp_is_configured() {
    let app = TestApp::spawn_with(|config| {
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
    let body: InvitationCreatedResponse = json(response).await;
    assert!(body.emailed);
    let messages = app.mailbox.messages_to("grace@example.com");
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(message.contains("To: grace@example.com"), "{message}");
    assert!(message.contains("Subject: Join Acme on Pulse"), "{message}");
    assert!(
        message.contains(&body.link),
        "the link is in the message: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_link_is_still_given() {
    let app = TestApp::spawn().await.unwrap();
    let owner = signup(&app, "ada@example.com").await;
    // A server of the same deployment with no mail server configured.
    let unmailed = app.replica_with(|config| config.smtp_url = None).unwrap();
    let response = app
        .client()
        .post(format!("{}/api/v1/invitations", unmailed.base_url))
        .bearer_auth(&owner.access_token)
        .json(&json!({"email": "grace@example.com", "role": "employee", "team_id": null}))
        .send()
        .await
        .unwrap();
    let body: InvitationCreatedResponse = json(response).await;
    assert!(!body.emailed);
    assert!(
        body.link
            .starts_with(&format!("{}/join#", app.config.public_url))
    );
}
