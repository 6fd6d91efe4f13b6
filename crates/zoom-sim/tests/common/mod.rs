//! What the simulator's tests share: start one on a free port, and a small HTTP client
//! that keeps the status, headers and JSON body of every answer.

#![allow(dead_code)]

use std::net::SocketAddr;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use zoom_sim::{SimConfig, ZoomSim};

pub async fn start(config: SimConfig) -> ZoomSim {
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

pub fn config(users: usize, seed: u64) -> SimConfig {
    SimConfig { users, seed, ..SimConfig::default() }
}

/// One answer: status, headers, body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> Option<i64> {
        self.body["code"].as_i64()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// A client with a token from the default app.
    pub async fn connect(sim: &ZoomSim) -> Api {
        let http = reqwest::Client::new();
        let token = fetch_token(&http, sim).await;
        Api { http, base: sim.base_url().to_string(), token }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    /// `GET /_sim/users`.
    pub async fn sim_users(&self) -> Vec<Value> {
        self.admin(Method::GET, "/_sim/users", None).await.body["users"].as_array().cloned().unwrap()
    }

    /// The first user `/_sim/users` lists that matches.
    pub async fn find_user(&self, matches: impl Fn(&Value) -> bool) -> Value {
        self.sim_users().await.into_iter().find(|u| matches(u)).expect("the seeded account has such a user")
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

pub async fn fetch_token(http: &reqwest::Client, sim: &ZoomSim) -> String {
    token_answer(http, &sim.oauth_url()).await["access_token"].as_str().unwrap().to_string()
}

/// The token endpoint's answer at `oauth_url` for the default app (token, scope, expiry).
pub async fn token_answer(http: &reqwest::Client, oauth_url: &str) -> Value {
    let app = SimConfig::default().app;
    let response = http
        .post(oauth_url)
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("grant_type", "account_credentials"), ("account_id", app.account_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
