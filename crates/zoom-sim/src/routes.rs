//! HTTP: Zoom's paths, bodies, status codes and headers over [`SimState`], and the
//! simulator's own control API under `/_sim/`.
//!
//! Layers, outermost first: faults (latency, 5xx) on `/v2` and `/oauth`; then, on each
//! `/v2` route, the gate (token, scopes, rate limit by the endpoint's label); then the
//! handler. Dropped connections are decided in `serve`, below HTTP.
//!
//! Each family of endpoints has its module below (the Users API, meetings, cloud
//! recordings, roles, Dashboards' Zoom Rooms, OAuth, the `/_sim/` control API), as do
//! the two layers; this module assembles them into one router. The handlers need
//! nothing from here, so imports run one way: from this module down to them.

mod control;
mod fault_injection;
mod gate;
mod meetings;
mod oauth;
mod recordings;
mod roles;
mod users;
mod zoom_rooms;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;

use crate::state::{ApiError, Shared};

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/v2/users", get(users::list_users))
        .route("/v2/users/summary", get(users::users_summary))
        .route("/v2/users/email", get(users::email_exists))
        .route("/v2/users/{user_id}", get(users::get_user).delete(users::delete_user).patch(users::update_user))
        .route("/v2/users/{user_id}/status", put(users::update_status))
        .route("/v2/users/{user_id}/token", axum::routing::delete(users::revoke_token))
        .route("/v2/users/{user_id}/meetings", get(meetings::list_meetings))
        .route("/v2/users/{user_id}/recordings", get(recordings::list_recordings))
        .route("/v2/roles", get(roles::list_roles))
        .route("/v2/metrics/zoomrooms", get(zoom_rooms::list_zoom_rooms))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), gate::gate))
        .route("/oauth/token", post(oauth::issue_token))
        .layer(axum::middleware::from_fn_with_state(state.clone(), fault_injection::faults));
    let admin = Router::new()
        .route("/_sim/users", get(control::sim_users))
        .route("/_sim/operations", get(control::sim_operations))
        .route("/_sim/metrics", get(control::sim_metrics))
        .route("/_sim/faults", get(control::sim_get_faults).post(control::sim_set_faults))
        .route("/_sim/clock/advance", post(control::sim_advance_clock))
        .route("/_sim/reset", post(control::sim_reset));
    api.merge(admin).fallback(not_recognized).layer(axum::middleware::map_response(add_tracking_id)).with_state(state)
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

/// Used by `serve` to forward a request into the router.
pub(crate) fn into_axum(request: hyper::Request<hyper::body::Incoming>) -> Request {
    request.map(Body::new)
}
