//! The client: one connection pool, one cached token, one pacer, the calls Offboard makes.
//!
//! Every call goes through [`ZoomClient::call`], tagged with its [`ZoomCall`] (method,
//! rate-limit label, scope): wait for the pacer, send with a bearer token, and decide
//! from the answer: success; a rejected token (refresh once, resend); a per-second 429
//! (slow down, resend); a daily 429 (stop the label until Zoom's `Retry-After`, and say
//! so); a 5xx or a dropped connection (back off with jitter and resend until the call's
//! deadline); a 4711 (the scope of this call is missing, named from our table); anything
//! else is the caller's to classify.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex as SyncMutex;
use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::auth::{CachedToken, Credentials, TokenErrorBody, TokenResponse};
use crate::error::ZoomError;
use crate::model::{
    DeleteAction, DeleteOptions, ErrorBody, Role, RolePage, RoomPage, Summary, User, UserDetail, UserPage, UserStatus,
};
use crate::pacer::{Label, Pace, Pacer, PacerConfig};
use crate::scopes::{missing_scopes, ZoomCall};

/// Users per page when listing: FACTS.md advises at most 300 for safety.
pub const DEFAULT_PAGE_SIZE: u32 = 300;
/// How long one call may take, retries and waits included.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(60);

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
    pacer: SyncMutex<Pacer>,
    /// Zoom's `Retry-After` per label blocked by a daily 429, to say when calls resume.
    daily_blocks: SyncMutex<HashMap<Label, String>>,
    page_size: u32,
    call_deadline: Duration,
    throttled: std::sync::atomic::AtomicU64,
}

impl ZoomClient {
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> Result<Self, ZoomError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
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
            pacer: SyncMutex::new(Pacer::new(PacerConfig::default())),
            daily_blocks: SyncMutex::new(HashMap::new()),
            page_size: DEFAULT_PAGE_SIZE,
            call_deadline: DEFAULT_CALL_DEADLINE,
            throttled: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Sets the `page_size` used when listing users (Zoom accepts up to 2000).
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, 2000);
        self
    }

    /// Paces calls at this share of the account's budget.
    pub fn with_pacing(self, config: PacerConfig) -> Self {
        *lock(&self.pacer) = Pacer::new(config);
        self
    }

    /// How long one call may take, retries and waits included.
    pub fn with_call_deadline(mut self, deadline: Duration) -> Self {
        self.call_deadline = deadline;
        self
    }

    pub fn pacing(&self) -> PacerConfig {
        lock(&self.pacer).config()
    }

    // ---- listing -----------------------------------------------------------------------

    /// Every user of the account: active, inactive and pending, one pager per status
    /// running concurrently.
    pub async fn list_all_users(&self) -> Result<Vec<User>, ZoomError> {
        let (active, inactive, pending) = tokio::try_join!(
            self.list_users(UserStatus::Active),
            self.list_users(UserStatus::Inactive),
            self.list_users(UserStatus::Pending),
        )?;
        Ok(active.into_iter().chain(inactive).chain(pending).collect())
    }

    /// Every user of one status.
    pub async fn list_users(&self, status: UserStatus) -> Result<Vec<User>, ZoomError> {
        let mut users = Vec::new();
        self.for_each_page(status, |page| users.extend(page)).await?;
        Ok(users)
    }

    /// Hands every page of one status to `on_page` as it arrives, so a caller can stream
    /// the account without holding it. When Zoom refuses an expired `next_page_token`
    /// (400/300), the status is listed again from the start and users already handed
    /// over are skipped.
    pub async fn for_each_page(&self, status: UserStatus, mut on_page: impl FnMut(Vec<User>)) -> Result<(), ZoomError> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut page_token = String::new();
        loop {
            let page_size = self.page_size.to_string();
            let mut query = vec![("status", status.as_str()), ("page_size", page_size.as_str())];
            if !page_token.is_empty() {
                query.push(("next_page_token", page_token.as_str()));
            }
            let page: UserPage = match self.call(ZoomCall::ListUsers, "/users", |r| r.query(&query)).await {
                Ok(response) => decode(response).await?,
                Err(error) if !page_token.is_empty() && error.status_and_code() == Some((400, Some(300))) => {
                    tracing::warn!(status = status.as_str(), "page token expired; listing the status again");
                    page_token.clear();
                    continue;
                }
                Err(error) => return Err(error),
            };
            let fresh: Vec<User> = page
                .users
                .into_iter()
                .filter(|u| seen.insert(u.email.to_lowercase()))
                .map(|mut u| {
                    u.status = status;
                    u
                })
                .collect();
            on_page(fresh);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = next,
                None => return Ok(()),
            }
        }
    }

    /// How many users of `status` the account has (`total_records` of a one-user page).
    pub async fn total_records(&self, status: UserStatus) -> Result<u64, ZoomError> {
        let query = [("status", status.as_str()), ("page_size", "1")];
        let page: Counted = decode(self.call(ZoomCall::ListUsers, "/users", |r| r.query(&query)).await?).await?;
        Ok(page.total_records)
    }

    /// Every role of the account, `GET /roles`: how owners and admins are known by name,
    /// never by an assumed id (one Medium call per plan).
    pub async fn list_roles(&self) -> Result<Vec<Role>, ZoomError> {
        let page: RolePage = decode(self.call(ZoomCall::ListRoles, "/roles", |r| r).await?).await?;
        Ok(page.roles)
    }

    /// The emails of every Zoom Room (`GET /metrics/zoomrooms`, the Dashboards list, which
    /// unlike `GET /rooms` carries each room's email): the user list does not mark them.
    pub async fn zoom_room_emails(&self) -> Result<Vec<String>, ZoomError> {
        let mut emails = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut query = vec![("page_size", "300")];
            if !page_token.is_empty() {
                query.push(("next_page_token", page_token.as_str()));
            }
            let page: RoomPage =
                decode(self.call(ZoomCall::ListZoomRooms, "/metrics/zoomrooms", |r| r.query(&query)).await?).await?;
            emails.extend(page.zoom_rooms.into_iter().filter_map(|room| room.email).filter(|e| !e.is_empty()));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = next,
                None => return Ok(emails),
            }
        }
    }

    /// `GET /users/summary`.
    pub async fn summary(&self) -> Result<Summary, ZoomError> {
        decode(self.call(ZoomCall::UsersSummary, "/users/summary", |r| r).await?).await
    }

    /// What one answer's rate-limit headers reveal of the account's rate plan: the
    /// `X-RateLimit-Category` and `X-RateLimit-Limit` of one `GET /users?page_size=1` (a
    /// Medium call), `None` where Zoom sends none. For `offboard doctor`.
    pub async fn rate_limit_headers(&self) -> Result<RateLimitHeaders, ZoomError> {
        let query = [("status", "active"), ("page_size", "1")];
        let response = self.call(ZoomCall::ListUsers, "/users", |r| r.query(&query)).await?;
        let header =
            |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string());
        Ok(RateLimitHeaders {
            http_status: response.status().as_u16(),
            category: header("x-ratelimit-category"),
            limit: header("x-ratelimit-limit").and_then(|v| v.parse().ok()),
        })
    }

    // ---- one user ------------------------------------------------------------------------

    /// `GET /users/{userId}`, by id or email.
    pub async fn get_user(&self, user_id: &str) -> Result<UserDetail, ZoomError> {
        let path = format!("/users/{}", path_segment(user_id));
        decode(self.call(ZoomCall::GetUser, &path, |r| r).await?).await
    }

    /// `PUT /users/{userId}/status {"action":"deactivate"}`.
    pub async fn deactivate(&self, user_id: &str) -> Result<(), ZoomError> {
        self.set_status(user_id, "deactivate").await
    }

    /// `PUT /users/{userId}/status {"action":"activate"}`: the undo of a deactivation.
    pub async fn activate(&self, user_id: &str) -> Result<(), ZoomError> {
        self.set_status(user_id, "activate").await
    }

    async fn set_status(&self, user_id: &str, action: &str) -> Result<(), ZoomError> {
        let path = format!("/users/{}/status", path_segment(user_id));
        self.call(ZoomCall::UpdateStatus, &path, |r| r.json(&json!({ "action": action }))).await.map(drop)
    }

    /// `DELETE /users/{userId}` with `action` and the transfer options.
    pub async fn delete(&self, user_id: &str, options: &DeleteOptions) -> Result<(), ZoomError> {
        let path = format!("/users/{}", path_segment(user_id));
        let mut query: Vec<(&str, String)> = vec![(
            "action",
            match options.action {
                DeleteAction::Disassociate => "disassociate".to_string(),
                DeleteAction::Delete => "delete".to_string(),
            },
        )];
        if let Some(email) = &options.transfer_email {
            query.push(("transfer_email", email.clone()));
            for (name, on) in [
                ("transfer_meeting", options.transfer_meeting),
                ("transfer_webinar", options.transfer_webinar),
                ("transfer_recording", options.transfer_recording),
                ("transfer_whiteboard", options.transfer_whiteboard),
            ] {
                query.push((name, on.to_string()));
            }
        }
        self.call(ZoomCall::DeleteUser, &path, |r| r.query(&query)).await.map(drop)
    }

    /// `PATCH /users/{userId} {"type":1}`: down to Basic, releasing the license.
    pub async fn downgrade_to_basic(&self, user_id: &str) -> Result<(), ZoomError> {
        self.set_type(user_id, 1).await
    }

    /// `PATCH /users/{userId} {"type":N}`: 1 Basic, 2 Licensed (an undo gives it back).
    pub async fn set_type(&self, user_id: &str, user_type: u8) -> Result<(), ZoomError> {
        let path = format!("/users/{}", path_segment(user_id));
        self.call(ZoomCall::UpdateUser, &path, |r| r.json(&json!({ "type": user_type }))).await.map(drop)
    }

    /// How many per-second 429s Zoom has answered this client so far (each was retried).
    pub fn throttled_responses(&self) -> u64 {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `DELETE /users/{userId}/token`: signs the user out of every Zoom session (SSO).
    pub async fn revoke_sso_token(&self, user_id: &str) -> Result<(), ZoomError> {
        let path = format!("/users/{}/token", path_segment(user_id));
        self.call(ZoomCall::RevokeSsoToken, &path, |r| r).await.map(drop)
    }

    /// How many upcoming meetings the user hosts (`GET /users/{userId}/meetings?type=upcoming`).
    pub async fn upcoming_meetings(&self, user_id: &str) -> Result<u64, ZoomError> {
        self.upcoming(user_id).await.map(|upcoming| upcoming.count)
    }

    /// The user's upcoming meetings from one call: how many, and when the last one ends
    /// (`None` unless the page holds them all, each with a start time and a duration; a
    /// recurring meeting without a fixed time has none).
    pub async fn upcoming(&self, user_id: &str) -> Result<Upcoming, ZoomError> {
        let path = format!("/users/{}/meetings", path_segment(user_id));
        let page: MeetingsPage = decode(
            self.call(ZoomCall::ListUpcomingMeetings, &path, |r| {
                r.query(&[("type", "upcoming"), ("page_size", "300")])
            })
            .await?,
        )
        .await?;
        let ends: Option<Vec<jiff::Timestamp>> = page
            .meetings
            .iter()
            .map(|m| {
                let start = m.start_time.as_deref()?.parse::<jiff::Timestamp>().ok()?;
                Some(start + jiff::SignedDuration::from_mins(i64::from(m.duration.unwrap_or(0))))
            })
            .collect();
        let complete = page.meetings.len() as u64 >= page.total_records;
        let last_ends = ends.filter(|_| complete).and_then(|ends| ends.into_iter().max());
        Ok(Upcoming { count: page.total_records, last_ends })
    }

    /// How many cloud recordings the user has between `from` and `to` (`yyyy-mm-dd`).
    pub async fn cloud_recordings(&self, user_id: &str, from: &str, to: &str) -> Result<u64, ZoomError> {
        let path = format!("/users/{}/recordings", path_segment(user_id));
        let page: Counted = decode(
            self.call(ZoomCall::ListUserRecordings, &path, |r| {
                r.query(&[("from", from), ("to", to), ("page_size", "30")])
            })
            .await?,
        )
        .await?;
        Ok(page.total_records)
    }

    // ---- scopes ----------------------------------------------------------------------

    /// The scopes the app's token carries (the token response's `scope`), requesting a
    /// token when none is cached. A failed token request is returned as it is (its
    /// `kind()` says whether to try again); a token response without `scope` is a
    /// [`ZoomError::Decode`], since which scopes it holds cannot be known.
    pub async fn granted_scopes(&self) -> Result<BTreeSet<String>, ZoomError> {
        self.with_token(|token| token.scopes.clone()).await?.ok_or_else(|| {
            ZoomError::Decode("Zoom's token response has no `scope`: the app's scopes cannot be checked".to_string())
        })
    }

    /// Whether the app's token allows every one of `calls`, before any of them is made:
    /// [`ZoomError::MissingScopes`] names every missing scope and the call that needs it.
    pub async fn check_scopes(&self, calls: &[ZoomCall]) -> Result<(), ZoomError> {
        let granted = self.granted_scopes().await?;
        let missing = missing_scopes(&granted, calls.iter().copied());
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ZoomError::MissingScopes { calls: missing, message: String::new() })
        }
    }

    // ---- the call loop -------------------------------------------------------------------

    /// Sends one request of `zoom_call` to `path` (its documented path, filled in): paced
    /// by the call's label, with a token, retried as the module doc says.
    async fn call(
        &self,
        zoom_call: ZoomCall,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response, ZoomError> {
        let (label, method) = (zoom_call.label(), zoom_call.http_method());
        let url = format!("{}{}", self.endpoints.api_base, path);
        let deadline = Instant::now() + self.call_deadline;
        let mut backoff = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(5))
            .with_jitter()
            .without_max_times()
            .build();
        // The next backoff delay, or the failure itself when waiting would pass the deadline.
        let retry_after_backoff = |failure: ZoomError, backoff: &mut backon::ExponentialBackoff| {
            let delay = backoff.next().unwrap_or(Duration::from_secs(5));
            if Instant::now() + delay >= deadline {
                Err(failure)
            } else {
                Ok(delay)
            }
        };
        let mut retried_auth = false;
        loop {
            self.pace(label).await?;
            let token = match self.access_token().await {
                Ok(token) => token,
                Err(error) if error.kind() == crate::ErrorKind::Transient => {
                    let delay = retry_after_backoff(error, &mut backoff)?;
                    tokio::time::sleep(delay).await;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let sent = build(self.http.request(method.clone(), &url)).bearer_auth(&token).send().await;
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    let delay = retry_after_backoff(ZoomError::transport(error), &mut backoff)?;
                    tokio::time::sleep(delay).await;
                    continue;
                }
            };
            let status = response.status();
            // The call's label and answer only: its path names a person, its headers a token.
            tracing::debug!(label = label.as_str(), method = %method, status = status.as_u16(), "zoom answered");
            if status.is_success() {
                return Ok(response);
            }
            if status == StatusCode::UNAUTHORIZED && !retried_auth {
                retried_auth = true;
                self.forget_token(&token).await;
                continue;
            }
            let (error, retry_after) = api_error(response).await;
            match &error {
                ZoomError::Api { rate_limit_type: Some(kind), .. } if status == StatusCode::TOO_MANY_REQUESTS => {
                    if kind.eq_ignore_ascii_case("Daily-limit") {
                        return Err(self.block_for_the_day(label, retry_after));
                    }
                    lock(&self.pacer).throttled(label, Instant::now());
                    self.throttled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if Instant::now() >= deadline {
                        return Err(error);
                    }
                }
                _ if status.is_server_error() => {
                    let delay = retry_after_backoff(error, &mut backoff)?;
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(error.for_call(zoom_call)),
            }
        }
    }

    /// Waits for the pacer's slot; fails at once when the label is blocked for the day.
    async fn pace(&self, label: Label) -> Result<(), ZoomError> {
        let pace = lock(&self.pacer).acquire(label, Instant::now());
        match pace {
            Pace::Go => Ok(()),
            Pace::Wait(wait) => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Pace::Blocked { .. } => {
                let retry_after = lock(&self.daily_blocks).get(&label).cloned().unwrap_or_default();
                Err(ZoomError::DailyLimit { label: label.as_str(), retry_after })
            }
        }
    }

    /// A daily 429: no call of `label` until Zoom's `Retry-After` (an ISO-8601 date; an
    /// hour when Zoom sends none or an unreadable one).
    fn block_for_the_day(&self, label: Label, retry_after: Option<String>) -> ZoomError {
        let now = Instant::now();
        let wait = retry_after
            .as_deref()
            .and_then(|text| text.parse::<jiff::Timestamp>().ok())
            .map(|at| Duration::try_from(jiff::Timestamp::now().duration_until(at)).unwrap_or(Duration::ZERO))
            .unwrap_or(Duration::from_secs(3600));
        let retry_after = retry_after.unwrap_or_else(|| "in an hour (no Retry-After)".to_string());
        lock(&self.pacer).daily_limit(label, now, now + wait);
        lock(&self.daily_blocks).insert(label, retry_after.clone());
        tracing::warn!(label = label.as_str(), %retry_after, "Zoom's daily rate limit reached; calls of this label stop");
        ZoomError::DailyLimit { label: label.as_str(), retry_after }
    }

    async fn access_token(&self) -> Result<String, ZoomError> {
        self.with_token(|token| token.value.clone()).await
    }

    /// Runs `read` on a fresh token: the cached one, or one requested now (single-flight:
    /// the lock is held across the request).
    async fn with_token<R>(&self, read: impl FnOnce(&CachedToken) -> R) -> Result<R, ZoomError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok(read(token));
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
        let response: TokenResponse =
            response.json().await.map_err(|e| ZoomError::Decode(format!("token response: {}", e.without_url())))?;
        let token = cached.insert(CachedToken::new(response, requested_at));
        Ok(read(token))
    }

    /// Drops the cached token if it is still the one that was rejected.
    async fn forget_token(&self, rejected: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == rejected) {
            *cached = None;
        }
    }
}

/// A user's upcoming meetings, as [`ZoomClient::upcoming`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upcoming {
    pub count: u64,
    pub last_ends: Option<jiff::Timestamp>,
}

#[derive(Deserialize)]
struct MeetingsPage {
    #[serde(default)]
    total_records: u64,
    #[serde(default)]
    meetings: Vec<ListedMeeting>,
}

#[derive(Deserialize)]
struct ListedMeeting {
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    duration: Option<u32>,
}

#[derive(Deserialize)]
struct Counted {
    #[serde(default)]
    total_records: u64,
}

fn lock<T>(mutex: &SyncMutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn path_segment(user_id: &str) -> String {
    // Emails are valid user ids; keep `/`, `?` and `#` out of the path.
    user_id.replace('%', "%25").replace('/', "%2F").replace('?', "%3F").replace('#', "%23")
}

/// The rate-limit headers of one answer ([`ZoomClient::rate_limit_headers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHeaders {
    pub http_status: u16,
    /// `X-RateLimit-Category`: the call's label.
    pub category: Option<String>,
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
}

async fn decode<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ZoomError> {
    response.json().await.map_err(|e| ZoomError::Decode(e.without_url().to_string()))
}

/// The error of a non-2xx answer, and its `Retry-After` header.
async fn api_error(response: Response) -> (ZoomError, Option<String>) {
    let http_status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let rate_limit_type = header("x-ratelimit-type");
    let retry_after = header("retry-after");
    let body = response.bytes().await.unwrap_or_default();
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(ErrorBody { code, message }) => (code, message),
        Err(_) => (None, String::new()),
    };
    (ZoomError::Api { http_status, code, message, rate_limit_type }, retry_after)
}
