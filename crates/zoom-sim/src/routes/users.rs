//! The Users API under `/v2/users`: listing, reading, the summary and email check, and
//! the calls Offboard makes to change a user (status, type, SSO token, removal), with
//! the shapes Zoom gives a user in a list and in detail.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{SimUser, Status};
use crate::state::{lock, ApiError, Shared, Transfer, DEFAULT_PAGE_SIZE};

#[derive(Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
    page_size: Option<String>,
    next_page_token: Option<String>,
}

pub(super) async fn list_users(
    State(state): State<Shared>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let mut sim = lock(&state);
    let status = match query.status.as_deref() {
        None | Some("") => Status::Active,
        Some(text) => Status::parse(text).ok_or_else(|| ApiError::invalid_field("status"))?,
    };
    let page_size = match query.page_size.as_deref() {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(text) => text.parse().map_err(|_| ApiError::invalid_field("page_size"))?,
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

pub(super) async fn get_user(State(state): State<Shared>, Path(user_id): Path<String>) -> Result<Response, ApiError> {
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

pub(super) async fn users_summary(State(state): State<Shared>) -> Json<Value> {
    Json(lock(&state).summary())
}

#[derive(Deserialize)]
pub(super) struct EmailQuery {
    email: Option<String>,
}

pub(super) async fn email_exists(
    State(state): State<Shared>,
    Query(q): Query<EmailQuery>,
) -> Result<Json<Value>, ApiError> {
    let email = q.email.filter(|e| !e.is_empty()).ok_or_else(|| ApiError::new(400, 300, "Email is required."))?;
    Ok(Json(json!({ "existed_email": lock(&state).email_exists(&email) })))
}

#[derive(Deserialize)]
struct StatusBody {
    action: String,
}

pub(super) async fn update_status(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: StatusBody = serde_json::from_slice(&body).map_err(|_| ApiError::invalid_field("action"))?;
    lock(&state).set_status(&user_id, &body.action)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(rename = "type")]
    user_type: Option<u8>,
}

pub(super) async fn update_user(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let body: UpdateBody = serde_json::from_slice(&body).map_err(|_| ApiError::invalid_field("type"))?;
    let mut sim = lock(&state);
    match body.user_type {
        Some(user_type) => sim.set_type(&user_id, user_type)?,
        None => {
            sim.find(&user_id)?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn revoke_token(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    lock(&state).revoke_token(&user_id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(super) struct DeleteQuery {
    action: Option<String>,
    transfer_email: Option<String>,
    transfer_meeting: Option<bool>,
    transfer_recording: Option<bool>,
}

/// `DELETE /users/{userId}`: takes the time the account's latency fault gives it, and a
/// second request for the same user meanwhile gets the concurrent-request 429.
pub(super) async fn delete_user(
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
