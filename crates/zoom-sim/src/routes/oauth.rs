//! `POST /oauth/token`, Server-to-Server OAuth. Its own module because it is not Zoom's
//! REST API: it sits outside `/v2` and the gate, and answers errors in the OAuth shape.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::json;

use crate::state::{lock, Shared, TOKEN_LIFETIME};

fn oauth_error(reason: &str, error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"reason": reason, "error": error}))).into_response()
}

/// `POST /oauth/token`: parameters in the query string or a form body, client id and
/// secret in HTTP Basic auth; errors in the OAuth shape, not Zoom's `{code, message}`.
pub(super) async fn issue_token(
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
