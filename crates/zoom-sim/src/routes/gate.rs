//! The gate every `/v2` route passes before its handler: the bearer token, the scopes the
//! endpoint needs, and the rate limit of the endpoint's label, whose headers it adds to
//! the answer. One table names each endpoint's label and scopes, so the two cannot drift
//! apart between endpoints.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::limits::{Admission, Label};
use crate::state::{lock, Shared};

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

pub(super) async fn gate(State(state): State<Shared>, matched: MatchedPath, request: Request, next: Next) -> Response {
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
