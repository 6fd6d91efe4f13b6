//! `GET /v2/users/{userId}/meetings`: the meetings a user hosts, which decide whether a
//! removal must transfer them.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::rfc3339;
use crate::state::{lock, ApiError, Shared};

#[derive(Deserialize)]
pub(super) struct MeetingsQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(super) async fn list_meetings(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    Query(query): Query<MeetingsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let user = sim.find(&user_id)?;
    let kind = query.kind.unwrap_or_else(|| "scheduled".to_string());
    if !["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"].contains(&kind.as_str()) {
        return Err(ApiError::invalid_field("type"));
    }
    let upcoming = matches!(kind.as_str(), "scheduled" | "upcoming" | "upcoming_meetings");
    let started = sim.started_utc();
    let now = sim.utc_now();
    let ends = |m: &crate::model::Meeting| {
        started
            + jiff::SignedDuration::from_hours(i64::from(m.starts_in_hours))
            + jiff::SignedDuration::from_mins(i64::from(m.duration))
    };
    // Upcoming as of the simulator's clock: a meeting over by then is not listed, so
    // advancing the clock past someone's meetings makes them a user without any.
    let meetings: Vec<Value> = user
        .meetings
        .iter()
        .filter(|m| upcoming && ends(m) > now)
        .map(|m| {
            json!({
                "uuid": m.uuid,
                "id": m.id,
                "host_id": user.key,
                "topic": m.topic,
                "type": 2,
                "start_time": rfc3339(started + jiff::SignedDuration::from_hours(i64::from(m.starts_in_hours))),
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
