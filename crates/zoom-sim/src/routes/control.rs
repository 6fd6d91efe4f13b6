//! The simulator's own API under `/_sim/`, outside `/v2` and so outside the gate and the
//! faults: tests and the demo read the account and the log of calls, read the rate
//! metrics, set faults, move the clock and reset the account through it.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::limits::{Label, RatePlan};
use crate::messages::Language;
use crate::model::rfc3339;
use crate::state::{lock, Faults, Shared};

/// `GET /_sim/users`: every user with its status and traits.
pub(super) async fn sim_users(State(state): State<Shared>) -> Json<Value> {
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
pub(super) async fn sim_operations(State(state): State<Shared>) -> Json<Value> {
    Json(json!({ "operations": lock(&state).operations() }))
}

/// `GET /_sim/metrics`: requests, 429s and the peak window per label.
pub(super) async fn sim_metrics(State(state): State<Shared>) -> Json<Value> {
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
        "plan": limiter.rate_plan(),
        "rate_scale": limiter.scale(),
        "labels": limiter.metrics(),
        "limits": limits,
    }))
}

pub(super) async fn sim_get_faults(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    Json(json!({ "faults": sim.current_faults(), "language": sim.language }))
}

/// `POST /_sim/faults`: any of the fault fields, and `invalidate_tokens`, `language`,
/// `plan` with `rate_scale`, `scopes` (granted to tokens issued afterwards).
#[derive(Deserialize)]
pub(super) struct FaultControl {
    #[serde(flatten)]
    faults: Option<Faults>,
    #[serde(default)]
    invalidate_tokens: bool,
    language: Option<Language>,
    #[serde(rename = "plan")]
    rate_plan: Option<RatePlan>,
    rate_scale: Option<f64>,
    scopes: Option<Vec<String>>,
}

pub(super) async fn sim_set_faults(State(state): State<Shared>, Json(control): Json<FaultControl>) -> Json<Value> {
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
    if control.rate_plan.is_some() || control.rate_scale.is_some() {
        let rate_plan = control.rate_plan.unwrap_or(sim.limiter().rate_plan());
        let scale = control.rate_scale.unwrap_or(sim.limiter().scale());
        sim.set_rate_limits(rate_plan, scale);
    }
    if let Some(scopes) = control.scopes {
        sim.set_granted_scopes(scopes);
    }
    Json(json!({ "faults": sim.current_faults(), "language": sim.language }))
}

#[derive(Deserialize)]
pub(super) struct AdvanceQuery {
    seconds: u64,
}

/// `POST /_sim/clock/advance?seconds=N`: move the simulator's clock instead of waiting.
pub(super) async fn sim_advance_clock(State(state): State<Shared>, Query(q): Query<AdvanceQuery>) -> StatusCode {
    lock(&state).advance_clock(Duration::from_secs(q.seconds));
    StatusCode::NO_CONTENT
}

/// `POST /_sim/reset`: back to the account it started with (seeded or loaded), no faults, no tokens, no history.
pub(super) async fn sim_reset(State(state): State<Shared>) -> StatusCode {
    lock(&state).reset();
    StatusCode::NO_CONTENT
}
