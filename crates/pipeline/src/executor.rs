//! Execute one action: read the message, skip it if its result is already recorded,
//! call Zoom, classify the answer by error code, and record exactly one result.

use std::sync::Arc;

use offboard_core::{ActionKind, ActionMessage, ActionResult, Outcome, MESSAGE_SCHEMA_VERSION};
use offboard_zoom::{ErrorKind, ZoomClient, ZoomError};
use tracing::Instrument;

use crate::clock::now_rfc3339;
use crate::error::PipelineError;
use crate::keys;
use crate::store::{PutOnce, Store};

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Execution {
    /// A result was recorded now.
    Recorded { action_id: String, outcome: &'static str },
    /// The action's result already existed: acknowledged without a Zoom call.
    AlreadyRecorded { action_id: String },
    /// Not finished: the message goes back to the queue.
    Retry { reason: String },
    /// The message cannot be read; it will end in the DLQ after its retries.
    Unreadable { reason: String },
}

impl Execution {
    /// Whether the message should be returned to the queue (`batchItemFailures`).
    pub fn needs_redelivery(&self) -> bool {
        matches!(self, Execution::Retry { .. } | Execution::Unreadable { .. })
    }
}

pub struct Executor {
    pub zoom: Arc<ZoomClient>,
    pub store: Store,
}

impl Executor {
    pub async fn execute(&self, body: &str) -> Result<Execution, PipelineError> {
        let message: ActionMessage = match serde_json::from_str(body) {
            Ok(message) => message,
            Err(e) => return Ok(Execution::Unreadable { reason: format!("not an action message: {e}") }),
        };
        if message.schema_version != MESSAGE_SCHEMA_VERSION {
            return Ok(Execution::Unreadable {
                reason: format!("schema version {} is not {MESSAGE_SCHEMA_VERSION}", message.schema_version),
            });
        }
        let span = tracing::info_span!(
            "execute",
            run_id = %message.run_id,
            action_id = %message.action.action_id,
            user_id = %message.action.user_id
        );
        self.execute_action(&message).instrument(span).await
    }

    async fn execute_action(&self, message: &ActionMessage) -> Result<Execution, PipelineError> {
        let action = &message.action;
        let result_key = keys::result_key(&message.run_id, &action.action_id);
        if self.store.exists(&result_key).await? {
            tracing::info!("result already recorded; acknowledging without a Zoom call");
            return Ok(Execution::AlreadyRecorded { action_id: action.action_id.clone() });
        }

        let called = match action.kind {
            ActionKind::Deactivate => self.zoom.deactivate(&action.user_id).await,
        };
        let (outcome, zoom_message) = match called {
            Ok(()) => (Outcome::Done, None),
            Err(error) => match final_outcome(&error) {
                Some(outcome) => (outcome, error.zoom_message().map(str::to_string)),
                None => {
                    let reason = error.to_string();
                    tracing::warn!(%reason, "not finished; the message will be redelivered");
                    return Ok(Execution::Retry { reason });
                }
            },
        };
        let label = outcome.label();
        let result = ActionResult {
            run_id: message.run_id.clone(),
            action_id: action.action_id.clone(),
            kind: action.kind,
            user_id: action.user_id.clone(),
            email: action.email.clone(),
            outcome,
            zoom_message,
            finished_at: now_rfc3339(),
        };
        match self.store.put_json_once(&result_key, &result).await? {
            PutOnce::Written => {
                tracing::info!(outcome = label, "result recorded");
                Ok(Execution::Recorded { action_id: action.action_id.clone(), outcome: label })
            }
            PutOnce::AlreadyExists => Ok(Execution::AlreadyRecorded { action_id: action.action_id.clone() }),
        }
    }
}

/// The outcome to record for a failed call, or `None` when the action is not finished
/// (throttled, transient, in progress elsewhere, or a credentials problem that no single
/// action should be blamed for) and must be tried again.
fn final_outcome(error: &ZoomError) -> Option<Outcome> {
    let (http_status, code) = error.status_and_code().unwrap_or((0, None));
    match error.kind() {
        ErrorKind::AlreadyGone => Some(Outcome::AlreadyDone { http_status, code: code.unwrap_or_default() }),
        ErrorKind::NotAllowed { code, reason } => {
            Some(Outcome::NotAllowed { http_status, code, reason: reason.to_string() })
        }
        ErrorKind::Fatal if matches!(error, ZoomError::Api { .. }) => {
            Some(Outcome::Failed { http_status, code, reason: error.to_string() })
        }
        ErrorKind::Fatal | ErrorKind::InProgress | ErrorKind::Throttled | ErrorKind::Transient => None,
    }
}
