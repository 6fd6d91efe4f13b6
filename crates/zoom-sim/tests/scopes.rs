//! The app's granted scopes: set at start (`SimConfig::scopes`, `--scopes`), carried by
//! every token's `scope`, checked by the gate, and what `/_sim/reset` returns to.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{start, Api};
use reqwest::Method;
use serde_json::{json, Value};
use zoom_sim::state::ALL_SCOPES;
use zoom_sim::SimConfig;

/// The token and the `scope` of a fresh token from the simulator at `base`.
async fn token_scope(http: &reqwest::Client, base: &str) -> (String, String) {
    let body = common::token_answer(http, &format!("{base}/oauth/token")).await;
    (body["access_token"].as_str().unwrap().to_string(), body["scope"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn every_scope_is_granted_unless_the_config_says_otherwise_and_reset_returns_to_it() {
    let http = reqwest::Client::new();
    let everything = start(common::config(5, 1)).await;
    assert_eq!(token_scope(&http, everything.base_url()).await.1, ALL_SCOPES.join(" "));

    let narrow = vec!["user:read:list_users:admin".to_string()];
    let sim = start(SimConfig { scopes: Some(narrow), ..common::config(5, 1) }).await;
    let api = Api::connect(&sim).await;
    assert_eq!(api.get("/v2/users").await.status, 200);
    let refused = api.get("/v2/roles").await;
    assert_eq!((refused.status, refused.code()), (400, Some(4711)));

    api.admin(Method::POST, "/_sim/faults", Some(json!({"scopes": ALL_SCOPES}))).await;
    assert_eq!(token_scope(&http, sim.base_url()).await.1, ALL_SCOPES.join(" "));
    api.admin(Method::POST, "/_sim/reset", None).await;
    assert_eq!(token_scope(&http, sim.base_url()).await.1, "user:read:list_users:admin", "back to the configured");
}

/// Stops the child even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary: `--scopes` is a comma-separated list, spaces around commas ignored.
#[tokio::test]
async fn the_binary_grants_the_scopes_it_is_given() {
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_zoom-sim"))
            .args(["--users", "5", "--scopes", "user:read:list_users:admin, role:read:list_roles:admin"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = BufReader::new(child.0.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let http = reqwest::Client::new();
    let (token, scope) = token_scope(&http, &base).await;
    let get = |path: &str| http.get(format!("{base}/v2{path}")).bearer_auth(&token).send();
    let roles = get("/roles").await.unwrap().status().as_u16();
    let summary = get("/users/summary").await.unwrap();
    let summary = (summary.status().as_u16(), summary.json::<Value>().await.unwrap()["code"].as_i64());
    drop(child);
    assert_eq!(scope, "user:read:list_users:admin role:read:list_roles:admin");
    assert_eq!(roles, 200);
    assert_eq!(summary, (400, Some(4711)));
}
