//! `GET /v2/metrics/zoomrooms`, from Zoom's Dashboards API: the one list of Zoom Rooms
//! that carries each room's email, which is how a client tells a room from a person.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::state::{lock, ApiError, Shared};

#[derive(Deserialize)]
pub(super) struct RoomsQuery {
    page_size: Option<String>,
    next_page_token: Option<String>,
}

/// `GET /metrics/zoomrooms`: the Dashboards list of Zoom Rooms, the one that carries
/// each room's email. Its page token encodes an offset; clients treat it as opaque.
pub(super) async fn list_zoom_rooms(
    State(state): State<Shared>,
    Query(query): Query<RoomsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let page_size: usize = match query.page_size.as_deref() {
        None => 30,
        Some(text) => {
            text.parse().ok().filter(|n| (1..=300).contains(n)).ok_or_else(|| ApiError::invalid_field("page_size"))?
        }
    };
    let offset: usize = match query.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => token
            .strip_prefix("zr")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::invalid_field("next_page_token"))?,
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
