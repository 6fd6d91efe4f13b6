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

// ---- issue 4: the client under Zoom's bad days -----------------------------------------

use offboard_zoom::{DeleteAction, DeleteOptions, ErrorKind, PacerConfig, RatePlan};
use zoom_sim::{Faults, Language};

async fn start_with(config: SimConfig) -> ZoomSim {
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

fn plain_members(sim: &ZoomSim, status: zoom_sim::Status) -> Vec<String> {
    sim.with_state(|s| s.users().filter(|u| u.status == status && u.is_plain_member()).map(|u| u.key.clone()).collect())
}

fn applied_ops(sim: &ZoomSim) -> Vec<(String, String)> {
    sim.with_state(|s| s.operations().iter().filter(|o| o.applied).map(|o| (o.op.clone(), o.user_id.clone())).collect())
}

/// Deactivates every id concurrently; returns how many ended Ok.
async fn deactivate_all(client: &std::sync::Arc<ZoomClient>, ids: &[String]) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let (client, id) = (client.clone(), id.clone());
        tasks.spawn(async move { client.deactivate(&id).await });
    }
    let mut ok = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(()) => ok += 1,
            Err(error) => panic!("a deactivation failed: {error}"),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_from_a_competing_app_slows_the_client_and_loses_nothing() {
    // A Pro account (Light 30/s) that a competing app is hammering, and a client that
    // was told the account is Business+: it will be throttled and must recover.
    let config = SimConfig { users: 300, seed: 12, rate_plan: zoom_sim::RatePlan::Pro, ..SimConfig::default() };
    let sim = start_with(config).await;
    sim.with_state(|s| s.set_faults(Faults { competitor_share: 0.5, competitor_seconds: 3.0, ..Faults::default() }));
    let client = std::sync::Arc::new(client_for(&sim, "sim-secret").with_pacing(PacerConfig {
        rate_plan: RatePlan::Business,
        budget_share: 1.0,
        executors: 1,
    }));
    let ids: Vec<String> = plain_members(&sim, zoom_sim::Status::Active).into_iter().take(120).collect();
    assert_eq!(deactivate_all(&client, &ids).await, ids.len());

    let throttled = sim.with_state(|s| s.limiter().metrics().get("Light").map_or(0, |m| m.throttled_per_second));
    assert!(throttled > 0, "the storm happened");
    let applied = applied_ops(&sim);
    assert_eq!(applied.len(), ids.len(), "each user deactivated exactly once");
    let distinct: std::collections::HashSet<_> = applied.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), ids.len());
}

#[tokio::test]
async fn an_expired_page_token_restarts_its_status_without_duplicates() {
    let sim = start(700).await;
    let client = client_for(&sim, "sim-secret").with_page_size(50);
    let mut pages = 0;
    let mut emails = Vec::new();
    client
        .for_each_page(UserStatus::Active, |page| {
            pages += 1;
            if pages == 3 {
                // Sixteen minutes pass between two pages: the token Zoom gave has expired.
                sim.with_state(|s| s.advance_clock(std::time::Duration::from_secs(16 * 60)));
            }
            emails.extend(page.into_iter().map(|u| u.email));
        })
        .await
        .unwrap();
    let active = sim.with_state(|s| s.users().filter(|u| u.status == zoom_sim::Status::Active).count());
    let distinct: std::collections::HashSet<_> = emails.iter().collect();
    assert_eq!((emails.len(), distinct.len()), (active, active));
    assert!(pages > active.div_ceil(50), "the status was listed again: {pages} pages");
}

#[tokio::test]
async fn every_token_invalidated_mid_run_is_survived() {
    let sim = start(400).await;
    let client = client_for(&sim, "sim-secret").with_page_size(30);
    let mut seen = 0;
    client
        .for_each_page(UserStatus::Active, |page| {
            seen += page.len();
            if seen == 60 {
                sim.with_state(|s| s.invalidate_tokens());
            }
        })
        .await
        .unwrap();
    let active = sim.with_state(|s| s.users().filter(|u| u.status == zoom_sim::Status::Active).count());
    assert_eq!(seen, active);
}

#[tokio::test]
async fn outcomes_are_decided_by_code_in_any_language() {
    let sim = start_with(SimConfig { users: 1000, seed: 5, ..SimConfig::default() }).await;
    sim.with_state(|s| s.language = Language::Japanese);
    let client = client_for(&sim, "sim-secret");
    let find = |f: &dyn Fn(&zoom_sim::SimUser) -> bool| {
        sim.with_state(|s| s.users().find(|u| f(u)).map(|u| (u.key.clone(), u.email.clone())).unwrap())
    };
    let kind = |r: Result<(), ZoomError>| r.unwrap_err().kind();
    let not_allowed = |code: i64| move |k: ErrorKind| matches!(k, ErrorKind::NotAllowed { code: c, .. } if c == code);

    assert_eq!(kind(client.deactivate("NoSuchUser0000000000000").await), ErrorKind::AlreadyGone);
    let (admin, _) = find(&|u| u.role == zoom_sim::state::Role::Admin);
    assert!(not_allowed(200)(kind(client.deactivate(&admin).await)));
    let disassociate = DeleteOptions::default();
    assert!(not_allowed(1117)(kind(client.delete(&admin, &disassociate).await)));
    let (managed, _) = find(&|u| u.managed_domain && u.role == zoom_sim::state::Role::Member);
    assert!(not_allowed(1107)(kind(client.delete(&managed, &disassociate).await)));
    let (events, _) = find(&|u| u.events_owner);
    assert!(not_allowed(300)(kind(client.delete(&events, &disassociate).await)));
    let (_, expired) = find(&|u| u.invitation_expired);
    assert!(not_allowed(1120)(kind(client.delete(&expired, &disassociate).await)));
    let (room, _) = find(&|u| u.is_room);
    let delete = DeleteOptions { action: DeleteAction::Delete, ..DeleteOptions::default() };
    assert!(not_allowed(200)(kind(client.delete(&room, &delete).await)));

    // The operations an undo and the seeds' rules need.
    let (member, email) = find(&|u| {
        u.is_plain_member() && u.status == zoom_sim::Status::Active && u.user_type == 2 && !u.meetings.is_empty()
    });
    assert_eq!(client.get_user(&email).await.unwrap().role_name.as_deref(), Some("Member"));
    assert!(client.upcoming_meetings(&member).await.unwrap() > 0);
    client.cloud_recordings(&member, "2020-01-01", "2030-01-01").await.unwrap();
    client.downgrade_to_basic(&member).await.unwrap();
    client.revoke_sso_token(&member).await.unwrap();
    client.deactivate(&member).await.unwrap();
    client.activate(&member).await.unwrap();
    let summary = client.summary().await.unwrap();
    let users = sim.with_state(|s| s.users().count()) as u64;
    assert_eq!(summary.total_users_count + summary.pending_users_count, users, "every refusal left the user in place");
    assert_eq!(users, 1000);
}

#[tokio::test]
async fn a_concurrent_disassociate_is_in_progress_not_a_failure() {
    let mut config = SimConfig { users: 50, seed: 3, ..SimConfig::default() };
    config.faults.latency_ms = 300;
    let sim = start_with(config).await;
    let client = std::sync::Arc::new(client_for(&sim, "sim-secret"));
    let id = plain_members(&sim, zoom_sim::Status::Active)[0].clone();
    let options = DeleteOptions::default();
    let (a, b) = tokio::join!(client.delete(&id, &options), client.delete(&id, &options));
    let mut kinds: Vec<String> =
        [a, b].into_iter().map(|r| r.map_or_else(|e| format!("{:?}", e.kind()), |()| "done".to_string())).collect();
    kinds.sort();
    assert_eq!(kinds, ["InProgress", "done"]);
    // Asked again later, the user is gone: already done.
    assert_eq!(client.delete(&id, &options).await.unwrap_err().kind(), ErrorKind::AlreadyGone);
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried_without_doubling() {
    let config = SimConfig { users: 200, seed: 8, rate_scale: 0.0, ..SimConfig::default() };
    let sim = start_with(config).await;
    let client = std::sync::Arc::new(client_for(&sim, "sim-secret"));
    client.list_users(UserStatus::Active).await.unwrap(); // a token before the faults
    sim.with_state(|s| s.set_faults(Faults { error_rate: 0.2, drop_rate: 0.2, ..Faults::default() }));
    let ids: Vec<String> = plain_members(&sim, zoom_sim::Status::Active).into_iter().take(60).collect();
    assert_eq!(deactivate_all(&client, &ids).await, ids.len());
    let inactive = sim.with_state(|s| ids.iter().all(|id| s.find(id).unwrap().status == zoom_sim::Status::Inactive));
    assert!(inactive);
    assert_eq!(applied_ops(&sim).len(), ids.len(), "a retried deactivation changes nothing twice");

    // With every answer a 5xx, a call gives up at its deadline and says it is transient.
    sim.with_state(|s| s.set_faults(Faults { error_rate: 1.0, ..Faults::default() }));
    let impatient = client_for(&sim, "sim-secret").with_call_deadline(std::time::Duration::from_millis(800));
    let error = impatient.deactivate(&ids[0]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transient);
}

#[tokio::test]
async fn a_daily_429_stops_the_label_until_retry_after_and_says_so() {
    let config = SimConfig {
        users: 50,
        seed: 4,
        rate_plan: zoom_sim::RatePlan::Free,
        rate_scale: 0.002,
        ..SimConfig::default()
    };
    let sim = start_with(config).await; // Medium: 1/s and 4 a day
    let client = client_for(&sim, "sim-secret").with_page_size(2000);
    for _ in 0..4 {
        client.summary().await.unwrap();
        sim.with_state(|s| s.advance_clock(std::time::Duration::from_secs(1)));
    }
    let error = client.summary().await.unwrap_err();
    assert!(
        matches!(&error, ZoomError::DailyLimit { label: "Medium", retry_after } if retry_after.ends_with('Z')),
        "{error}"
    );
    let requests = sim.with_state(|s| s.limiter().metrics()["Medium"].requests);
    // Blocked locally: the next call does not even reach Zoom.
    assert!(matches!(client.summary().await.unwrap_err(), ZoomError::DailyLimit { .. }));
    assert_eq!(sim.with_state(|s| s.limiter().metrics()["Medium"].requests), requests);
    // Light calls are not blocked.
    client.get_user(&plain_members(&sim, zoom_sim::Status::Active)[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_token_request() {
    let sim = start(100).await;
    let client = std::sync::Arc::new(client_for(&sim, "sim-secret"));
    let ids = plain_members(&sim, zoom_sim::Status::Active);
    let mut calls = tokio::task::JoinSet::new();
    for id in ids.into_iter().take(20) {
        let client = client.clone();
        calls.spawn(async move { client.get_user(&id).await.map(drop) });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    assert_eq!(sim.with_state(|s| s.live_tokens()), 1, "twenty concurrent first calls, one token request");
}

#[tokio::test]
async fn names_roles_and_lists_zoom_rooms_across_pages() {
    let sim = start(40_000).await;
    let client = client_for(&sim, "sim-secret");
    let roles = client.list_roles().await.unwrap();
    let owner = roles.iter().find(|r| r.name == "Owner").expect("an Owner role");
    let owner_email = sim.with_state(|s| s.users().find(|u| u.role.id() == owner.id).unwrap().email.clone());
    let listed = client.list_users(UserStatus::Active).await.unwrap();
    let listed_owner = listed.iter().find(|u| u.email == owner_email).unwrap();
    assert_eq!(listed_owner.role_id.as_deref(), Some(owner.id.as_str()), "the list's role_id names the role");

    let rooms = client.zoom_room_emails().await.unwrap();
    let expected: Vec<String> = sim.with_state(|s| s.users().filter(|u| u.is_room).map(|u| u.email.clone()).collect());
    assert!(expected.len() > 300, "enough rooms for two pages: {}", expected.len());
    assert_eq!(rooms, expected);
}
