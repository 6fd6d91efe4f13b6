//! The fault layer on `/v2` and `/oauth`: the latency and the 500, 502 and 503 answers
//! that `Faults` asks for, before a request reaches the gate. Dropped connections are not
//! here: they are decided below HTTP, in `serve`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::{lock, Shared};

/// Latency and server errors on the API and token endpoints.
pub(super) async fn faults(State(state): State<Shared>, request: Request, next: Next) -> Response {
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
