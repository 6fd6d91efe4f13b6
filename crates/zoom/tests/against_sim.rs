//! The client against the real simulator: OAuth, paging, status changes, token expiry.

use std::net::SocketAddr;

use offboard_zoom::{Credentials, Endpoints, UserStatus, ZoomClient, ZoomError};
use zoom_sim::{SimConfig, ZoomSim};

async fn start(users: usize) -> ZoomSim {
    let config = SimConfig { users, seed: 3, ..SimConfig::default() };
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

fn client_for(sim: &ZoomSim, secret: &str) -> ZoomClient {
    let app = SimConfig::default().app;
    ZoomClient::new(
        Endpoints { api_base: sim.api_url(), oauth_url: sim.oauth_url() },
        Credentials { account_id: app.account_id, client_id: app.client_id, client_secret: secret.to_string() },
    )
    .unwrap()
}

#[tokio::test]
async fn lists_every_user_of_every_status_across_pages() {
    let sim = start(1234).await;
    let client = client_for(&sim, "sim-secret").with_page_size(100);
    let users = client.list_all_users().await.unwrap();
    assert_eq!(users.len(), 1234);
    let emails: std::collections::HashSet<_> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails.len(), 1234, "no user listed twice");
    let expected: Vec<(String, bool)> =
        sim.with_state(|s| s.users().map(|u| (u.email.clone(), u.status == zoom_sim::Status::Pending)).collect());
    for (email, pending) in expected {
        let user = users.iter().find(|u| u.email == email).unwrap();
        assert_eq!(user.status == UserStatus::Pending, pending, "{email}");
        assert_eq!(user.id.is_none(), pending, "pending users come without id: {email}");
    }
}

#[tokio::test]
async fn deactivates_and_reports_unknown_users_by_code() {
    let sim = start(50).await;
    let client = client_for(&sim, "sim-secret");
    let target = sim.with_state(|s| {
        s.users().find(|u| u.status == zoom_sim::Status::Active && u.is_plain_member()).unwrap().key.clone()
    });
    client.deactivate(&target).await.unwrap();
    let status = sim.with_state(|s| s.find(&target).unwrap().status);
    assert_eq!(status, zoom_sim::Status::Inactive);

    let err = client.deactivate("no-such-user").await.unwrap_err();
    assert_eq!(err.status_and_code(), Some((404, Some(1001))));
}

#[tokio::test]
async fn refreshes_an_expired_token_and_retries() {
    let sim = start(10).await;
    let client = client_for(&sim, "sim-secret");
    client.list_users(UserStatus::Active).await.unwrap();
    // Two hours later every token the simulator issued has expired.
    sim.with_state(|s| s.advance_clock(std::time::Duration::from_secs(7200)));
    let users = client.list_users(UserStatus::Active).await.unwrap();
    assert!(!users.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_a_token_error_that_does_not_echo_it() {
    let sim = start(10).await;
    let client = client_for(&sim, "wrong-secret-value");
    let err = client.list_users(UserStatus::Active).await.unwrap_err();
    match &err {
        ZoomError::Token { http_status, error, .. } => {
            assert_eq!((*http_status, error.as_str()), (400, "invalid_client"));
        }
        other => panic!("expected a token error, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("wrong-secret-value"));
}
