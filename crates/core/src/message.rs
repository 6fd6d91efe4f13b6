//! The message the planner sends the executor for each action: the queue's contract.

use serde::{Deserialize, Serialize};

use crate::action::Action;

/// Bumped on any change an older executor could not read.
pub const MESSAGE_SCHEMA_VERSION: u32 = 2;

/// One action on the queue. `idempotency_key` names the action across redeliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionMessage {
    pub schema_version: u32,
    pub run_id: String,
    pub idempotency_key: String,
    pub action: Action,
}

impl ActionMessage {
    pub fn new(run_id: &str, action: Action) -> Self {
        ActionMessage {
            schema_version: MESSAGE_SCHEMA_VERSION,
            run_id: run_id.to_string(),
            idempotency_key: format!("{run_id}/{}", action.action_id),
            action,
        }
    }
}
