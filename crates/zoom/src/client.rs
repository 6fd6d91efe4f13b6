//! The client: one `reqwest` connection pool, one cached token, the calls Offboard makes.

use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::json;
use tokio::sync::Mutex;

use crate::auth::{CachedToken, Credentials, TokenErrorBody, TokenResponse};
use crate::error::ZoomError;
use crate::model::{ErrorBody, User, UserPage, UserStatus};

/// Users per page when listing: FACTS.md advises at most 300 for safety.
pub const DEFAULT_PAGE_SIZE: u32 = 300;

/// Where Zoom is: the API base and the token URL.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// Like `https://api.zoom.us/v2`.
    pub api_base: String,
    /// Like `https://zoom.us/oauth/token`.
    pub oauth_url: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            api_base: "https://api.zoom.us/v2".to_string(),
            oauth_url: "https://zoom.us/oauth/token".to_string(),
        }
    }
}

/// A Zoom Users API client for one Server-to-Server app.
pub struct ZoomClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    credentials: Credentials,
    /// Held across a refresh, so concurrent callers wait for one token request.
    token: Mutex<Option<CachedToken>>,
    page_size: u32,
}

impl ZoomClient {
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> Result<Self, ZoomError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("offboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ZoomError::transport)?;
        Ok(ZoomClient {
            http,
            endpoints: Endpoints {
                api_base: endpoints.api_base.trim_end_matches('/').to_string(),
                oauth_url: endpoints.oauth_url,
            },
            credentials,
            token: Mutex::new(None),
            page_size: DEFAULT_PAGE_SIZE,
        })
    }

    /// Sets the `page_size` used when listing users (Zoom accepts up to 2000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, 2000);
        self
    }

    /// Every user of the account: active, inactive and pending, each status paged through.
    pub async fn list_all_users(&self) -> Result<Vec<User>, ZoomError> {
        let (active, inactive, pending) = tokio::try_join!(
            self.list_users(UserStatus::Active),
            self.list_users(UserStatus::Inactive),
            self.list_users(UserStatus::Pending),
        )?;
        Ok(active.into_iter().chain(inactive).chain(pending).collect())
    }

    /// Every user of one status, following `next_page_token` to the end.
    pub async fn list_users(&self, status: UserStatus) -> Result<Vec<User>, ZoomError> {
        let mut users = Vec::new();
        let mut page_token = String::new();
        loop {
            let page_size = self.page_size.to_string();
            let mut query = vec![("status", status.as_str()), ("page_size", page_size.as_str())];
            if !page_token.is_empty() {
                query.push(("next_page_token", page_token.as_str()));
            }
            let response = self.call(Method::GET, "/users", |r| r.query(&query)).await?;
            let page: UserPage = decode(response).await?;
            users.extend(page.users.into_iter().map(|mut u| {
                u.status = status;
                u
            }));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = next,
                None => return Ok(users),
            }
        }
    }

    /// `PUT /users/{userId}/status {"action":"deactivate"}`.
    pub async fn deactivate(&self, user_id: &str) -> Result<(), ZoomError> {
        let path = format!("/users/{}/status", path_segment(user_id));
        self.call(Method::PUT, &path, |r| r.json(&json!({"action": "deactivate"}))).await.map(drop)
    }

    /// Sends a request with a bearer token. When Zoom rejects the token (401), the token
    /// is replaced and the request sent once more.
    async fn call(
        &self,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, ZoomError> {
        let url = format!("{}{}", self.endpoints.api_base, path);
        let mut retried_auth = false;
        loop {
            let token = self.access_token().await?;
            let request = build(self.http.request(method.clone(), &url)).bearer_auth(&token);
            let response = request.send().await.map_err(ZoomError::transport)?;
            if response.status() == StatusCode::UNAUTHORIZED && !retried_auth {
                retried_auth = true;
                self.forget_token(&token).await;
                continue;
            }
            if response.status().is_success() {
                return Ok(response);
            }
            return Err(api_error(response).await);
        }
    }

    async fn access_token(&self) -> Result<String, ZoomError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok(token.value.clone());
        }
        let requested_at = Instant::now();
        let response = self
            .http
            .post(&self.endpoints.oauth_url)
            .basic_auth(&self.credentials.client_id, Some(&self.credentials.client_secret))
            .form(&[("grant_type", "account_credentials"), ("account_id", self.credentials.account_id.as_str())])
            .send()
            .await
            .map_err(ZoomError::transport)?;
        let http_status = response.status().as_u16();
        if !response.status().is_success() {
            let body: TokenErrorBody = response
                .json()
                .await
                .unwrap_or(TokenErrorBody { error: "unreadable error body".into(), reason: String::new() });
            return Err(ZoomError::Token { http_status, error: body.error, reason: body.reason });
        }
        let token: TokenResponse =
            response.json().await.map_err(|e| ZoomError::Decode(format!("token response: {}", e.without_url())))?;
        let value = token.access_token;
        *cached = Some(CachedToken::new(value.clone(), Duration::from_secs(token.expires_in), requested_at));
        Ok(value)
    }

    /// Drops the cached token if it is still the one that was rejected.
    async fn forget_token(&self, rejected: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == rejected) {
            *cached = None;
        }
    }
}

fn path_segment(user_id: &str) -> String {
    // Emails are valid user ids; keep `/`, `?` and `#` out of the path.
    user_id.replace('%', "%25").replace('/', "%2F").replace('?', "%3F").replace('#', "%23")
}

async fn decode<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ZoomError> {
    response.json().await.map_err(|e| ZoomError::Decode(e.without_url().to_string()))
}

async fn api_error(response: Response) -> ZoomError {
    let http_status = response.status().as_u16();
    let body = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(ErrorBody { code, message }) => ZoomError::Api { http_status, code, message },
        Err(_) => ZoomError::Api { http_status, code: None, message: String::new() },
    }
}
