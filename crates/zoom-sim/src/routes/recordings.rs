//! `GET /v2/users/{userId}/recordings`: the cloud recordings a user owns, which decide
//! whether a removal must transfer them rather than destroy them.

use axum::extract::{Path, Query, State};
use axum::Json;
use jiff::civil::Date;
use jiff::SignedDuration;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::{rfc3339, utc_date};
use crate::state::{lock, ApiError, Shared};

#[derive(Deserialize)]
pub(super) struct RecordingsQuery {
    from: Option<String>,
    to: Option<String>,
}

pub(super) async fn list_recordings(
    State(state): State<Shared>,
    Path(user_id): Path<String>,
    Query(query): Query<RecordingsQuery>,
) -> Result<Json<Value>, ApiError> {
    let sim = lock(&state);
    let user = sim.find(&user_id)?;
    let parse = |text: &Option<String>, field: &str| -> Result<Option<Date>, ApiError> {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| Date::strptime("%Y-%m-%d", t).map_err(|_| ApiError::invalid_field(field)))
            .transpose()
    };
    let today = utc_date(sim.utc_now());
    let to = parse(&query.to, "to")?.unwrap_or(today);
    // Zoom's default window is short; without `from` this returns every recording so the
    // rule "keep users with recordings" can be checked in one call.
    let from = parse(&query.from, "from")?;
    let meetings: Vec<Value> = user
        .recordings
        .iter()
        .filter(|r| from.is_none_or(|f| utc_date(r.start_time) >= f) && utc_date(r.start_time) <= to)
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
                    "recording_end": rfc3339(r.start_time + SignedDuration::from_mins(i64::from(r.duration))),
                    "file_type": "MP4",
                    "file_size": r.total_size,
                    "status": "completed",
                    "recording_type": "shared_screen_with_speaker_view",
                }],
            })
        })
        .collect();
    let date = |d: Date| d.to_string();
    Ok(Json(json!({
        "from": from.map(date).unwrap_or_default(),
        "to": date(to),
        "page_size": 30,
        "total_records": meetings.len(),
        "next_page_token": "",
        "meetings": meetings,
    })))
}
