//! `GET /v2/roles`: the account's roles with their member counts, by which clients learn
//! role ids instead of assuming them.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::state::{lock, Shared};

pub(super) async fn list_roles(State(state): State<Shared>) -> Json<Value> {
    let sim = lock(&state);
    let roles: Vec<Value> = sim
        .roles()
        .iter()
        .map(|role| {
            json!({
                "id": role.id,
                "name": role.name,
                "description": role.description,
                "total_members": sim.users().filter(|u| u.role_id.as_deref() == Some(role.id.as_str())).count(),
                "type": "common",
            })
        })
        .collect();
    Json(json!({ "total_records": roles.len(), "roles": roles }))
}
