//! HTTP: Zoom's paths, bodies, status codes and headers over [`SimState`], and the
//! simulator's own control API under `/_sim/`.
//!
//! Layers, outermost first: faults (latency, 5xx) on `/v2` and `/oauth`; then, on each
//! `/v2` route, the gate (token, scopes, rate limit by the endpoint's label); then the
//! handler. Dropped connections are decided in `serve`, below HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Query, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::limits::{Admission, Label, Plan};
use crate::messages::Language;
use crate::population::rfc3339;
use crate::state::{ApiError, Faults, SimState, SimUser, Status, Transfer, DEFAULT_PAGE_SIZE, TOKEN_LIFETIME};

pub type Shared = Arc<Mutex<SimState>>;

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/v2/users", get(list_users))
        .route("/v2/users/summary", get(users_summary))
        .route("/v2/users/email", get(email_exists))
        .route("/v2/users/{user_id}", get(get_user).delete(delete_user).patch(update_user))
        .route("/v2/users/{user_id}/status", put(update_status))
        .route("/v2/users/{user_id}/token", axum::routing::delete(revoke_token))
        .route("/v2/users/{user_id}/meetings", get(list_meetings))
        .route("/v2/users/{user_id}/recordings", get(list_recordings))
        .route("/v2/roles", get(list_roles))
        .route("/v2/metrics/zoomrooms", get(list_zoom_rooms))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate))
        .route("/oauth/token", post(issue_token))
        .layer(axum::middleware::from_fn_with_state(state.clone(), faults));
    let admin = Router::new()
        .route("/_sim/users", get(sim_users))
        .route("/_sim/operations", get(sim_operations))
        .route("/_sim/metrics", get(sim_metrics))
        .route("/_sim/faults", get(sim_get_faults).post(sim_set_faults))
        .route("/_sim/clock/advance", post(sim_advance_clock))
        .route("/_sim/reset", post(sim_reset));
    api.merge(admin).fallback(not_recognized).layer(axum::middleware::map_response(add_tracking_id)).with_state(state)
}

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, SimState> {
    // A panic while holding the lock is a simulator bug; keep serving what state there is.
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, Json(json!({"code": self.code, "message": self.message}))).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

async fn add_tracking_id(mut response: Response) -> Response {
    response.headers_mut().insert("x-zm-trackingid", HeaderValue::from_static("v=2.0;clid=sim;rid=WEB_zoomsim"));
    response
}

async fn not_recognized() -> ApiError {
    ApiError::new(400, 2300, "This API endpoint is not recognized.")
}

// ---- faults ---------------------------------------------------------------------------

/// Latency and server errors on the API and token endpoints.
async fn faults(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let (delay, error) = {
        let mut sim = lock(&state);
        let faults = sim.faults.clone();
        let spread = if faults.latency_spread_ms > 0 { sim.random_below(faults.latency_spread_ms + 1) } else { 0 };
        let error = (faults.error_rate > 0.0 && sim.roll() < faults.error_rate).then(|| sim.random_below(3));
        (Duration::from_millis(faults.latency_ms + spread), error)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match error {
        Some(0) => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"code": 500, "message": "Internal Error"}))).into_response()
        }
        Some(1) => gateway_page(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        Some(_) => gateway_page(StatusCode::SERVICE_UNAVAILABLE, "503 Service Temporarily Unavailable"),
        None => next.run(request).await,
    }
}

fn gateway_page(status: StatusCode, title: &str) -> Response {
    let body =
        format!("<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center></body></html>");
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

// ---- the gate: token, scopes, rate limit -------------------------------------------

/// An endpoint's rate-limit label and the scopes (granular or classic) that allow it.
fn endpoint(method: &Method, path: &str) -> (Label, &'static [&'static str]) {
    match (method.as_str(), path) {
        ("GET", "/v2/users") => (Label::Medium, &["user:read:list_users:admin", "user:read:admin", "user:write:admin"]),
        ("GET", "/v2/users/summary") => {
            (Label::Medium, &["user:read:summary:admin", "user:read:admin", "user:write:admin"])
        }
        ("GET", "/v2/users/email") => (Label::Light, &["user:read:email:admin", "user:read:admin", "user:write:admin"]),
        ("GET", "/v2/users/{user_id}") => {
            (Label::Light, &["user:read:user:admin", "user:read:admin", "user:write:admin"])
        }
        ("DELETE", "/v2/users/{user_id}") => (Label::Light, &["user:delete:user:admin", "user:write:admin"]),
        ("PATCH", "/v2/users/{user_id}") => (Label::Light, &["user:update:user:admin", "user:write:admin"]),
        ("PUT", "/v2/users/{user_id}/status") => (Label::Light, &["user:update:status:admin", "user:write:admin"]),
        ("DELETE", "/v2/users/{user_id}/token") => (Label::Light, &["user:delete:token:admin", "user:write:admin"]),
        ("GET", "/v2/users/{user_id}/meetings") => {
            (Label::Medium, &["meeting:read:list_meetings:admin", "meeting:read:admin"])
        }
        ("GET", "/v2/users/{user_id}/recordings") => {
            (Label::Medium, &["cloud_recording:read:list_user_recordings:admin", "recording:read:admin"])
        }
        ("GET", "/v2/roles") => (Label::Medium, &["role:read:list_roles:admin", "role:read:admin"]),
        ("GET", "/v2/metrics/zoomrooms") => {
            (Label::Heavy, &["dashboard:read:list_zoom_rooms:admin", "dashboard_zr:read:admin"])
        }
        _ => (Label::Light, &[]),
    }
}

async fn gate(State(state): State<Shared>, matched: MatchedPath, request: Request, next: Next) -> Response {
    let (label, scopes) = endpoint(request.method(), matched.as_str());
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::to_string);
    let admission = {
        let mut sim = lock(&state);
        if let Err(error) = sim.authorize(bearer.as_deref(), scopes) {
            return error.into_response();
        }
        match sim.admit(label) {
            Ok(admission) => admission,
            Err(throttled) => return throttled.into_response(),
        }
    };
    let mut response = next.run(request).await;
    if let Admission::Allowed { limit, remaining } = admission {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-category", HeaderValue::from_static(label.as_str()));
        if limit > 0 {
            headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
            headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        }
    }
    response
}

// ---- OAuth ----------------------------------------------------------------------------

fn oauth_error(reason: &str, error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"reason": reason, "error": error}))).into_response()
}

/// `POST /oauth/token`: parameters in the query string or a form body, client id and
/// secret in HTTP Basic auth; errors in the OAuth shape, not Zoom's `{code, message}`.
async fn issue_token(
    State(state): State<Shared>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut params: HashMap<String, String> = HashMap::new();
    params.extend(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned());
    params.extend(form_urlencoded::parse(&body).into_owned());

    let mut sim = lock(&state);
    let app = sim.app.clone();
    let client = basic_credentials(&headers);
    if client.as_ref() != Some(&(app.client_id.clone(), app.client_secret.clone())) {
        return oauth_error("Invalid client_id or client_secret", "invalid_client");
    }
    if params.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return oauth_error("unsupported grant type", "unsupported_grant_type");
    }
    if params.get("account_id") != Some(&app.account_id) {
        return oauth_error("Bad Request", "invalid_request");
    }
    let (token, scope) = sim.issue_token();
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": scope,
        "api_url": "https://api.zoom.us",
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

// ---- users ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page_size: Option<String>,
    next_page_token: Option<String>,
}

fn validation(field: &str) -> ApiError {
    ApiError::new(400, 300, format!("Invalid field: {field}."))
}

async fn list_users(State(state): State<Shared>, Query(query): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    let mut sim = lock(&state);
    let status = match query.status.as_deref() {
        None | Some("") => Status::Active,
        Some(text) => Status::parse(text).ok_or_else(|| validation("status"))?,
    };
    let page_size = match query.page_size.as_deref() {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(text) => text.parse().map_err(|_| validation("page_size"))?,
    };
    let page = sim.list_users(status, page_size, query.next_page_token.as_deref())?;
    let users: Vec<ListItem<'_>> = page.users.iter().map(|u| list_item(u)).collect();
    Ok(Json(json!({
        "next_page_token": page.next_page_token,
        "page_count": page.total_records.div_ceil(page.page_size),
        "page_number": 1,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "users": users,
    })))
}

/// A user as `GET /users` lists it: no `id` for pending users, no `language`.
#[derive(Serialize)]
struct ListItem<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    display_name: &'a str,
    #[serde(rename = "type")]
    user_type: u8,
    pmi: u64,
    timezone: &'a str,
    verified: u8,
    dept: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_created_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_login_time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_client_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_id: Option<&'a str>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    employee_unique_id: Option<&'a str>,
    group_ids: [&'a str; 0],
    im_group_ids: [&'a str; 0],
}

fn list_item(user: &SimUser) -> ListItem<'_> {
    let created = Some(user.created_text.as_str()).filter(|t| !t.is_empty());
    ListItem {
        id: user.public_id(),
        email: &user.email,
        first_name: &user.first_name,
        last_name: &user.last_name,
        display_name: &user.display_name,
        user_type: user.user_type,
        pmi: user.pmi,
        timezone: &user.timezone,
        verified: u8::from(user.verified),
        dept: &user.dept,
        user_created_at: created,
        created_at: created,
        last_login_time: user.last_login_text.as_deref(),
        last_client_version: user.last_login_text.as_ref().map(|_| "6.2.5.41590(mac)"),
        role_id: user.role_id.as_deref(),
        status: user.status,
        // Zoom shows it only for SSO users (login type 101).
        employee_unique_id: (user.sso && !user.employee_id.is_empty()).then_some(user.employee_id.as_str()),
        group_ids: [],
        im_group_ids: [],
    }
}

/// A user as `GET /users/{userId}` shows it: the list item and more.
#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    item: ListItem<'a>,
    account_id: &'a str,
    account_number: u64,
    role_name: &'a str,
    language: &'a str,
    login_types: [u16; 1],
    cluster: &'a str,
    personal_meeting_url: String,
    use_pmi: bool,
}

async fn get_user(State(state): State<Shared>, Path(user_id): Path<String>) -> Result<Response, ApiError> {
    let sim = lock(&state);
    let user = sim.find(&user_id)?;
    let detail = Detail {
        item: list_item(user),
        account_id: &sim.app.account_id,
        account_number: 1_234_567_890,
        role_name: sim.role_name(user),
        language: sim.language.tag(),
        login_types: [if user.sso { 101 } else { 100 }],
        cluster: "us06",
        personal_meeting_url: format!("https://zoom.us/j/{}", user.pmi),
        use_pmi: false,
    };
    Ok(Json(detail).into_response())
}

async fn users_summary(State(state): State<Shared>) -> Json<Value> {
    Json(lock(&state).summary())
}

#[derive(Deserialize)]
struct EmailQuery {
    email: Option<String>,
}

async fn email_exists(State(state): State<Shared>, Query(q): Query<EmailQuery>) -> Result<Json<Value>, ApiError> {
    let email = q.email.filter(|e| !e.is_empty()).ok_or_else(|| ApiError::new(400, 300, "Email is required."))?;
    Ok(Json(json!({ "existed_email": lock(&state).email_exists(&email) })))
}

#[derive(Deserialize)]
struct StatusBody {
    action: String,
}

async fn update_status(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: StatusBody = serde_json::from_slice(&body).map_err(|_| validation("action"))?;
    lock(&state).set_status(&user_id, &body.action)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(rename = "type")]
    user_type: Option<u8>,
}

async fn update_user(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: UpdateBody = serde_json::from_slice(&body).map_err(|_| validation("type"))?;
    let mut sim = lock(&state);
    match body.user_type {
        Some(user_type) => sim.set_type(&user_id, user_type)?,
        None => {
            sim.find(&user_id)?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_token(State(state): State<Shared>, Path(user_id): Path<String>) -> Result<StatusCode, ApiError> {
    lock(&state).revoke_token(&user_id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DeleteQuery {
    action: Option<String>,
    transfer_email: Option<String>,
    transfer_meeting: Option<bool>,
    transfer_recording: Option<bool>,
}

/// `DELETE /users/{userId}`: takes the time the account's latency fault gives it, and a
/// second request for the same user meanwhile gets the concurrent-request 429.
async fn delete_user(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let action = query.action.unwrap_or_else(|| "disassociate".to_string());
    let transfer = Transfer {
        email: query.transfer_email.filter(|e| !e.is_empty()),
        meetings: query.transfer_meeting.unwrap_or(false),
        recordings: query.transfer_recording.unwrap_or(false),
    };
    let (index, work) = {
        let mut sim = lock(&state);
        let index = sim.begin_removal(&user_id, &action, &transfer)?;
        (index, Duration::from_millis(sim.faults.latency_ms))
    };
    if !work.is_zero() {
        tokio::time::sleep(work).await;
    }
    lock(&state).finish_removal(index, &action, &transfer);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct MeetingsQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn list_meetings(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    Query(query): Query<MeetingsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let user = sim.find(&user_id)?;
    let kind = query.kind.unwrap_or_else(|| "scheduled".to_string());
    if !["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"].contains(&kind.as_str()) {
        return Err(validation("type"));
    }
    let upcoming = matches!(kind.as_str(), "scheduled" | "upcoming" | "upcoming_meetings");
    let started = sim.started_utc();
    let meetings: Vec<Value> = user
        .meetings
        .iter()
        .filter(|_| upcoming)
        .map(|m| {
            json!({
                "uuid": m.uuid,
                "id": m.id,
                "host_id": user.key,
                "topic": m.topic,
                "type": 2,
                "start_time": rfc3339(started + time::Duration::hours(i64::from(m.starts_in_hours))),
                "duration": m.duration,
                "timezone": user.timezone,
                "created_at": rfc3339(user.user_created_at),
                "join_url": format!("https://zoom.us/j/{}", m.id),
            })
        })
        .collect();
    Ok(Json(json!({
        "page_size": 30,
        "total_records": meetings.len(),
        "next_page_token": "",
        "meetings": meetings,
    })))
}

#[derive(Deserialize)]
struct RecordingsQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn list_recordings(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    Query(query): Query<RecordingsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let user = sim.find(&user_id)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let parse = |text: &Option<String>, field: &str| -> Result<Option<time::Date>, ApiError> {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| time::Date::parse(t, format).map_err(|_| validation(field)))
            .transpose()
    };
    let today = sim.utc_now().date();
    let to = parse(&query.to, "to")?.unwrap_or(today);
    // Zoom's default window is short; without `from` this returns every recording so the
    // rule "keep users with recordings" can be checked in one call.
    let from = parse(&query.from, "from")?;
    let meetings: Vec<Value> = user
        .recordings
        .iter()
        .filter(|r| from.is_none_or(|f| r.start_time.date() >= f) && r.start_time.date() <= to)
        .map(|r| {
            json!({
                "uuid": r.uuid,
                "id": r.meeting_id,
                "account_id": sim.app.account_id,
                "host_id": user.key,
                "topic": r.topic,
                "type": 2,
                "start_time": rfc3339(r.start_time),
                "duration": r.duration,
                "total_size": r.total_size,
                "recording_count": 1,
                "share_url": format!("https://zoom.us/rec/share/{}", r.uuid),
                "recording_files": [{
                    "id": format!("{}-mp4", r.uuid),
                    "meeting_id": r.uuid,
                    "recording_start": rfc3339(r.start_time),
                    "recording_end": rfc3339(r.start_time + time::Duration::minutes(i64::from(r.duration))),
                    "file_type": "MP4",
                    "file_size": r.total_size,
                    "status": "completed",
                    "recording_type": "shared_screen_with_speaker_view",
                }],
            })
        })
        .collect();
    let date = |d: time::Date| d.format(format).unwrap_or_default();
    Ok(Json(json!({
        "from": from.map(date).unwrap_or_default(),
        "to": date(to),
        "page_size": 30,
        "total_records": meetings.len(),
        "next_page_token": "",
        "meetings": meetings,
    })))
}

async fn list_roles(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    let roles: Vec<Value> = sim
        .roles()
        .iter()
        .map(|role| {
            json!({
                "id": role.id,
                "name": role.name,
                "description": role.description,
                "total_members": sim.users().filter(|u| u.role_id.as_deref() == Some(role.id.as_str())).count(),
                "type": "common",
            })
        })
        .collect();
    Json(json!({ "total_records": roles.len(), "roles": roles }))
}

#[derive(Deserialize)]
struct RoomsQuery {
    page_size: Option<String>,
    next_page_token: Option<String>,
}

/// `GET /metrics/zoomrooms`: the Dashboards list of Zoom Rooms, the one that carries
/// each room's email. Its page token encodes an offset; clients treat it as opaque.
async fn list_zoom_rooms(
    State(state): State<Shared>,
    Query(query): Query<RoomsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let page_size: usize = match query.page_size.as_deref() {
        None => 30,
        Some(text) => text.parse().ok().filter(|n| (1..=300).contains(n)).ok_or_else(|| validation("page_size"))?,
    };
    let offset: usize = match query.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => {
            token.strip_prefix("zr").and_then(|n| n.parse().ok()).ok_or_else(|| validation("next_page_token"))?
        }
    };
    let rooms: Vec<_> = sim.zoom_rooms().collect();
    let page: Vec<Value> = rooms
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|room| {
            json!({
                "id": room.id,
                "room_name": room.name,
                "calendar_name": room.name,
                "email": room.email,
                "account_type": "Zoom Rooms",
                "status": "Available",
                "health": "noissue",
                "issues": [],
            })
        })
        .collect();
    let next = offset + page.len();
    Ok(Json(json!({
        "page_size": page_size,
        "total_records": rooms.len(),
        "next_page_token": if next < rooms.len() { format!("zr{next}") } else { String::new() },
        "zoom_rooms": page,
    })))
}

// ---- the simulator's own API ---------------------------------------------------------

/// `GET /_sim/users`: every user with its status and traits.
async fn sim_users(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    let users: Vec<Value> = sim
        .users()
        .map(|u| {
            json!({
                "id": u.key,
                "email": u.email,
                "status": u.status,
                "type": u.user_type,
                "role_id": u.role_id,
                "role_name": sim.role_name(u),
                "plain_member": u.is_plain_member(),
                "zoom_room": u.is_room,
                "managed_domain": u.managed_domain,
                "events_owner": u.events_owner,
                "invitation_expired": u.invitation_expired,
                "employee_id": u.employee_id,
                "upcoming_meetings": u.meetings.len(),
                "recordings": u.recordings.len(),
                "last_login_time": u.last_login_time.map(rfc3339),
            })
        })
        .collect();
    Json(json!({ "users": users }))
}

/// `GET /_sim/operations`: every state-changing call, in order, with its outcome.
async fn sim_operations(State(state): State<Shared>) -> Json<Value> {
    Json(json!({ "operations": lock(&state).operations() }))
}

/// `GET /_sim/metrics`: requests, 429s and the peak window per label.
async fn sim_metrics(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    let limiter = sim.limiter();
    let limits: HashMap<&str, Value> = Label::ALL
        .iter()
        .map(|&label| {
            let limit = limiter.effective_limit(label, 0.0);
            (
                label.as_str(),
                json!({
                    "per_window": limit.map(|l| l.per_window),
                    "window_seconds": limit.map(|l| l.window.as_secs()),
                    "daily": limit.and_then(|l| l.daily),
                }),
            )
        })
        .collect();
    Json(json!({
        "plan": limiter.plan(),
        "rate_scale": limiter.scale(),
        "labels": limiter.metrics(),
        "limits": limits,
    }))
}

async fn sim_get_faults(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    Json(json!({ "faults": sim.current_faults(), "language": sim.language }))
}

/// `POST /_sim/faults`: any of the fault fields, and `invalidate_tokens`, `language`,
/// `plan` with `rate_scale`, `scopes` (granted to tokens issued afterwards).
#[derive(Deserialize)]
struct FaultControl {
    #[serde(flatten)]
    faults: Option<Faults>,
    #[serde(default)]
    invalidate_tokens: bool,
    language: Option<Language>,
    plan: Option<Plan>,
    rate_scale: Option<f64>,
    scopes: Option<Vec<String>>,
}

async fn sim_set_faults(State(state): State<Shared>, Json(control): Json<FaultControl>) -> Json<Value> {
    let mut sim = lock(&state);
    if let Some(faults) = control.faults {
        sim.set_faults(faults);
    }
    if control.invalidate_tokens {
        sim.invalidate_tokens();
    }
    if let Some(language) = control.language {
        sim.language = language;
    }
    if control.plan.is_some() || control.rate_scale.is_some() {
        let plan = control.plan.unwrap_or(sim.limiter().plan());
        let scale = control.rate_scale.unwrap_or(sim.limiter().scale());
        sim.set_rate_limits(plan, scale);
    }
    if let Some(scopes) = control.scopes {
        sim.set_granted_scopes(scopes);
    }
    Json(json!({ "faults": sim.current_faults(), "language": sim.language }))
}

#[derive(Deserialize)]
struct AdvanceQuery {
    seconds: u64,
}

/// `POST /_sim/clock/advance?seconds=N`: move the simulator's clock instead of waiting.
async fn sim_advance_clock(State(state): State<Shared>, Query(q): Query<AdvanceQuery>) -> StatusCode {
    lock(&state).advance_clock(Duration::from_secs(q.seconds));
    StatusCode::NO_CONTENT
}

/// `POST /_sim/reset`: back to the account it started with (seeded or loaded), no faults, no tokens, no history.
async fn sim_reset(State(state): State<Shared>) -> StatusCode {
    lock(&state).reset();
    StatusCode::NO_CONTENT
}

/// Used by `serve` to forward a request into the router.
pub(crate) fn into_axum(request: hyper::Request<hyper::body::Incoming>) -> Request {
    request.map(Body::new)
}
