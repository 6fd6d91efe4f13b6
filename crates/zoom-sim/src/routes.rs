//! HTTP: Zoom's paths, bodies, status codes and headers over [`SimState`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::state::{ApiError, SimState, SimUser, Status, DEFAULT_PAGE_SIZE, TOKEN_LIFETIME};

pub type Shared = Arc<Mutex<SimState>>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/oauth/token", post(issue_token))
        .route("/v2/users", get(list_users))
        .route("/v2/users/{user_id}", get(get_user).delete(delete_user))
        .route("/v2/users/{user_id}/status", put(update_status))
        .route("/_sim/users", get(sim_users))
        .route("/_sim/operations", get(sim_operations))
        .route("/_sim/clock/advance", post(sim_advance_clock))
        .layer(axum::middleware::map_response(add_tracking_id))
        .with_state(state)
}

fn lock(state: &Shared) -> MutexGuard<'_, SimState> {
    // A panic while holding the lock is a simulator bug; keep serving what state there is.
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, Json(json!({"code": self.code, "message": self.message}))).into_response()
    }
}

async fn add_tracking_id(mut response: Response) -> Response {
    response.headers_mut().insert("x-zm-trackingid", HeaderValue::from_static("v=2.0;clid=sim;rid=WEB_zoomsim"));
    response
}

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
    let token = sim.issue_token();
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": "user:read:list_users:admin user:read:user:admin user:update:status:admin user:delete:user:admin",
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

fn authorize(sim: &SimState, headers: &HeaderMap) -> Result<(), ApiError> {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    sim.authorize(bearer)
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page_size: Option<String>,
    next_page_token: Option<String>,
}

async fn list_users(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut sim = lock(&state);
    authorize(&sim, &headers)?;
    let status = match query.status.as_deref() {
        None | Some("") => Status::Active,
        Some(text) => Status::parse(text).ok_or_else(|| ApiError::new(400, 300, format!("Invalid status: {text}.")))?,
    };
    let page_size = match query.page_size.as_deref() {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(text) => text.parse().map_err(|_| ApiError::new(400, 300, "Invalid field: page_size."))?,
    };
    let page = sim.list_users(status, page_size, query.next_page_token.as_deref())?;
    let users: Vec<Value> = page.users.iter().map(|u| list_item(u)).collect();
    Ok(Json(json!({
        "next_page_token": page.next_page_token,
        "page_count": page.total_records.div_ceil(page.page_size),
        "page_number": 1,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "users": users,
    })))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// A user as `GET /users` lists it: no `id` for pending users, no `language`.
fn list_item(user: &SimUser) -> Value {
    let mut item = json!({
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": format!("{} {}", user.first_name, user.last_name),
        "type": user.user_type,
        "pmi": user.pmi,
        "timezone": user.timezone,
        "verified": u8::from(user.verified),
        "dept": user.dept,
        "user_created_at": rfc3339(user.user_created_at),
        "created_at": rfc3339(user.user_created_at),
        "role_id": user.role.id(),
        "status": user.status,
        "group_ids": [],
        "im_group_ids": [],
    });
    if let Some(id) = user.public_id() {
        item["id"] = json!(id);
    }
    if let Some(at) = user.last_login_time {
        item["last_login_time"] = json!(rfc3339(at));
        item["last_client_version"] = json!("6.2.5.41590(mac)");
    }
    item
}

async fn get_user(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    authorize(&sim, &headers)?;
    let user = sim.find(&user_id)?;
    let mut detail = list_item(user);
    detail["account_id"] = json!(sim.app.account_id);
    detail["role_name"] = json!(user.role.name());
    detail["language"] = json!("en-US");
    detail["login_types"] = json!([100]);
    detail["cluster"] = json!("us06");
    Ok(Json(detail))
}

#[derive(Deserialize)]
struct StatusBody {
    action: String,
}

async fn update_status(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let mut sim = lock(&state);
    authorize(&sim, &headers)?;
    let body: StatusBody = serde_json::from_slice(&body).map_err(|_| ApiError::new(400, 300, "Validation Failed."))?;
    sim.set_status(&user_id, &body.action)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DeleteQuery {
    action: Option<String>,
}

async fn delete_user(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let mut sim = lock(&state);
    authorize(&sim, &headers)?;
    sim.remove(&user_id, query.action.as_deref().unwrap_or("disassociate"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /_sim/users`: every user with its status, for tests and people.
async fn sim_users(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    let users: Vec<Value> = sim
        .users()
        .iter()
        .map(|u| {
            json!({
                "id": u.key,
                "email": u.email,
                "status": u.status,
                "type": u.user_type,
                "role_name": u.role.name(),
            })
        })
        .collect();
    Json(json!({ "users": users }))
}

/// `GET /_sim/operations`: every change applied, in order.
async fn sim_operations(State(state): State<Shared>) -> Json<Value> {
    Json(json!({ "operations": lock(&state).operations() }))
}

#[derive(Deserialize)]
struct AdvanceQuery {
    seconds: u64,
}

/// `POST /_sim/clock/advance?seconds=N`: move the simulator's clock instead of waiting.
async fn sim_advance_clock(State(state): State<Shared>, Query(q): Query<AdvanceQuery>) -> StatusCode {
    lock(&state).advance_clock(std::time::Duration::from_secs(q.seconds));
    StatusCode::NO_CONTENT
}
