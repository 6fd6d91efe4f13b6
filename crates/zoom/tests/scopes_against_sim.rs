//! The scopes table against zoom-sim, whose gate keeps its own table of what each
//! endpoint needs: the two agree call by call, a refused call is named with its scope,
//! and a token check names exactly the scopes that are missing.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use offboard_zoom::{Credentials, DeleteOptions, Endpoints, ErrorKind, UserStatus, ZoomCall, ZoomClient, ZoomError};
use serde_json::{json, Value};
use zoom_sim::state::ALL_SCOPES;
use zoom_sim::{SimConfig, ZoomSim};

async fn start(config: SimConfig) -> ZoomSim {
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

fn client_for(sim: &ZoomSim) -> ZoomClient {
    let app = SimConfig::default().app;
    ZoomClient::new(
        Endpoints { api_base: sim.api_url(), oauth_url: sim.oauth_url() },
        Credentials { account_id: app.account_id, client_id: app.client_id, client_secret: app.client_secret },
    )
    .unwrap()
}

/// Every scope zoom-sim knows but `left_out`.
fn all_but(left_out: &str) -> Vec<String> {
    ALL_SCOPES.iter().filter(|s| **s != left_out).map(|s| s.to_string()).collect()
}

/// Active plain members, each to be used by one request only: a change leaves its user
/// changed (or gone), and the next request must not depend on it.
fn fresh_members(sim: &ZoomSim) -> Vec<String> {
    sim.with_state(|s| {
        s.users()
            .filter(|u| u.status == zoom_sim::Status::Active && u.is_plain_member())
            .map(|u| u.key.clone())
            .collect()
    })
}

/// A token granted exactly `scopes`, issued as the token endpoint issues one.
fn token_with(sim: &ZoomSim, scopes: Vec<String>) -> String {
    sim.with_state(|s| {
        s.set_granted_scopes(scopes);
        s.issue_token().0
    })
}

/// Sends `call` as the table describes it (method, documented path with `{userId}`
/// filled in, a valid body) and returns the status and Zoom's error code.
async fn send(http: &reqwest::Client, sim: &ZoomSim, token: &str, call: ZoomCall, user: &str) -> (u16, Option<i64>) {
    let url = format!("{}{}", sim.api_url(), call.path().replace("{userId}", user));
    let method = reqwest::Method::from_bytes(call.method().as_bytes()).unwrap();
    let mut request = http.request(method, url).bearer_auth(token);
    request = match call {
        ZoomCall::UpdateStatus => request.json(&json!({"action": "deactivate"})),
        ZoomCall::UpdateUser => request.json(&json!({"type": 1})),
        _ => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_i64())
}

#[tokio::test]
async fn the_simulators_gate_wants_the_scope_the_table_names_for_every_call() {
    let sim = start(SimConfig { users: 300, seed: 21, rate_scale: 0.0, ..SimConfig::default() }).await;
    let http = reqwest::Client::new();
    let mut members = fresh_members(&sim).into_iter();
    for call in ZoomCall::ALL {
        let token = token_with(&sim, vec![call.scope().to_string()]);
        let (status, code) = send(&http, &sim, &token, call, &members.next().unwrap()).await;
        assert!((200..300).contains(&status), "{call} with only {}: HTTP {status}, code {code:?}", call.scope());

        let token = token_with(&sim, all_but(call.scope()));
        let refused = send(&http, &sim, &token, call, &members.next().unwrap()).await;
        assert_eq!(refused, (400, Some(4711)), "{call} with every scope but {}", call.scope());

        for classic in call.classic_scopes() {
            let token = token_with(&sim, vec![classic.to_string()]);
            let (status, code) = send(&http, &sim, &token, call, &members.next().unwrap()).await;
            assert!((200..300).contains(&status), "{call} with only classic {classic}: HTTP {status}, code {code:?}");
        }
    }
}

/// Makes `call` through the client's own method for it.
async fn invoke(client: &ZoomClient, call: ZoomCall, user: &str) -> Result<(), ZoomError> {
    match call {
        ZoomCall::ListUsers => client.list_users(UserStatus::Active).await.map(drop),
        ZoomCall::GetUser => client.get_user(user).await.map(drop),
        ZoomCall::UsersSummary => client.summary().await.map(drop),
        ZoomCall::UpdateStatus => client.deactivate(user).await,
        ZoomCall::DeleteUser => client.delete(user, &DeleteOptions::default()).await,
        ZoomCall::UpdateUser => client.downgrade_to_basic(user).await,
        ZoomCall::RevokeSsoToken => client.revoke_sso_token(user).await,
        ZoomCall::ListUpcomingMeetings => client.upcoming_meetings(user).await.map(drop),
        ZoomCall::ListUserRecordings => client.cloud_recordings(user, "2020-01-01", "2030-01-01").await.map(drop),
        ZoomCall::ListRoles => client.list_roles().await.map(drop),
        ZoomCall::ListZoomRooms => client.zoom_room_emails().await.map(drop),
    }
}

#[tokio::test]
async fn a_call_zoom_refuses_for_a_missing_scope_names_that_call_and_scope() {
    let sim = start(SimConfig { users: 100, seed: 22, rate_scale: 0.0, ..SimConfig::default() }).await;
    let user = fresh_members(&sim)[0].clone();
    for call in ZoomCall::ALL {
        // A new client, so its first token is issued with these scopes.
        sim.with_state(|s| s.set_granted_scopes(all_but(call.scope())));
        let client = client_for(&sim);
        let error = invoke(&client, call, &user).await.unwrap_err();
        match &error {
            ZoomError::MissingScopes { calls, message } => {
                assert_eq!(calls, &[call], "{error}");
                assert!(!message.is_empty(), "Zoom's message is kept for people");
            }
            other => panic!("{call}: expected MissingScopes, got {other:?}"),
        }
        assert_eq!(error.kind(), ErrorKind::Fatal, "never retried");
        assert_eq!(error.missing_scopes(), [call.scope()]);
        let shown = error.to_string();
        assert!(shown.contains(call.scope()) && shown.contains(&call.to_string()), "{shown}");
    }
    assert_eq!(sim.with_state(|s| s.operations().iter().filter(|o| o.applied).count()), 0, "nothing changed");
}

#[tokio::test]
async fn a_token_check_names_exactly_the_scope_left_out_and_its_call() {
    for call in ZoomCall::ALL {
        let config = SimConfig { users: 5, scopes: Some(all_but(call.scope())), ..SimConfig::default() };
        let sim = start(config).await;
        let client = client_for(&sim);
        let expected: BTreeSet<String> = all_but(call.scope()).into_iter().collect();
        assert_eq!(client.granted_scopes().await.unwrap(), expected);
        let error = client.check_scopes(&ZoomCall::ALL).await.unwrap_err();
        assert!(
            matches!(&error, ZoomError::MissingScopes { calls, message } if calls == &[call] && message.is_empty()),
            "{call}: {error:?}"
        );
        assert_eq!(error.missing_scopes(), [call.scope()]);
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("the Zoom app lacks the scope {}, which {call} needs", call.scope())),
            "{shown}"
        );
        // Only what the run will call counts.
        let others: Vec<ZoomCall> = ZoomCall::ALL.into_iter().filter(|c| *c != call).collect();
        client.check_scopes(&others).await.unwrap();
        sim.stop().await;
    }
}

#[tokio::test]
async fn a_token_check_passes_with_every_scope_and_names_every_one_missing() {
    let sim = start(SimConfig { users: 5, ..SimConfig::default() }).await;
    client_for(&sim).check_scopes(&ZoomCall::ALL).await.unwrap();

    // The one scope zoom-sim knows that no call of the client needs.
    sim.with_state(|s| s.set_granted_scopes(all_but("user:read:email:admin")));
    client_for(&sim).check_scopes(&ZoomCall::ALL).await.unwrap();

    // Apps from before granular scopes hold classic ones.
    let classic: BTreeSet<String> =
        ZoomCall::ALL.iter().flat_map(|c| c.classic_scopes()).map(|s| s.to_string()).collect();
    sim.with_state(|s| s.set_granted_scopes(classic.into_iter().collect()));
    client_for(&sim).check_scopes(&ZoomCall::ALL).await.unwrap();

    sim.with_state(|s| s.set_granted_scopes(vec!["user:read:list_users:admin".to_string()]));
    let error = client_for(&sim).check_scopes(&ZoomCall::ALL).await.unwrap_err();
    let missing: Vec<ZoomCall> = ZoomCall::ALL.into_iter().filter(|c| *c != ZoomCall::ListUsers).collect();
    assert!(matches!(&error, ZoomError::MissingScopes { calls, .. } if calls == &missing), "{error:?}");
    let shown = error.to_string();
    assert!(shown.starts_with(&format!("the Zoom app lacks {} scopes: ", missing.len())), "{shown}");
    for call in &missing {
        assert!(shown.contains(&format!("{}, which {call} needs", call.scope())), "{call} in {shown}");
    }
}
