//! Execute one action: read the message, skip it if its result is already recorded,
//! make the checks the plan asks for, call Zoom, classify the answer by error code, and
//! record exactly one result.

use std::sync::Arc;

use offboard_core::{
    Action, ActionKind, ActionMessage, ActionResult, DeleteMode, Findings, MeetingsRule, Outcome, RecordingsRule,
    MESSAGE_SCHEMA_VERSION,
};
use offboard_zoom::{DeleteAction, DeleteOptions, ErrorKind, ZoomClient, ZoomError};
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

        let mut findings = Findings::default();
        let mut performed = None;
        let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let called = perform(&self.zoom, action, today, &mut findings, &mut performed).await;
        let (outcome, zoom_message) = match called {
            Ok(None) => (Outcome::Done, None),
            Ok(Some(reason)) => (Outcome::Skipped { reason }, None),
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
            performed: performed.filter(|p| *p != action.kind),
            findings,
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

/// Makes the checks the action carries, then the change. `Ok(Some(reason))` when a check
/// said not to act. `findings` and `performed` say what was found and done, even when a
/// later call fails. Cloud recordings are counted over the month before `today` (Zoom
/// answers at most a month per call).
pub async fn perform(
    zoom: &ZoomClient,
    action: &Action,
    today: jiff::civil::Date,
    findings: &mut Findings,
    performed: &mut Option<ActionKind>,
) -> Result<Option<String>, ZoomError> {
    let user = action.user_id.as_str();
    let licensed = action.before.user_type == 2;
    let mut kind = action.kind;
    if action.checks.upcoming_meetings != MeetingsRule::Ignore {
        let meetings = zoom.upcoming_meetings(user).await?;
        findings.upcoming_meetings = Some(meetings);
        if meetings > 0 {
            match action.checks.upcoming_meetings {
                MeetingsRule::Downgrade if licensed => kind = ActionKind::Downgrade,
                _ => return Ok(Some(format!("hosts {meetings} upcoming meetings"))),
            }
        }
    }
    if kind == ActionKind::Delete && action.checks.cloud_recordings == RecordingsRule::KeepAsBasic {
        let from = today.checked_sub(jiff::Span::new().months(1)).unwrap_or(today);
        let recordings = zoom.cloud_recordings(user, &from.to_string(), &today.to_string()).await?;
        findings.cloud_recordings = Some(recordings);
        if recordings > 0 {
            if !licensed {
                return Ok(Some(format!("owns {recordings} cloud recordings and is already Basic")));
            }
            kind = ActionKind::Downgrade;
        }
    }
    if action.revoke_sso_first && kind != ActionKind::Downgrade {
        match zoom.revoke_sso_token(user).await {
            Ok(()) => {}
            // Not an SSO user, or already gone: the change itself decides the outcome.
            Err(e) if matches!(e.kind(), ErrorKind::NotAllowed { .. } | ErrorKind::AlreadyGone) => {
                tracing::info!(error = %e, "SSO token not revoked");
            }
            Err(e) => return Err(e),
        }
    }
    *performed = Some(kind);
    match kind {
        ActionKind::Deactivate => zoom.deactivate(user).await?,
        ActionKind::Downgrade => zoom.downgrade_to_basic(user).await?,
        ActionKind::Delete => {
            let spec = action.delete.as_deref().cloned().unwrap_or(offboard_core::DeleteSpec {
                mode: DeleteMode::Disassociate,
                transfer_email: None,
                transfer_meetings: false,
                transfer_webinars: false,
                transfer_recordings: false,
                transfer_whiteboards: false,
            });
            let options = DeleteOptions {
                action: match spec.mode {
                    DeleteMode::Disassociate => DeleteAction::Disassociate,
                    DeleteMode::Delete => DeleteAction::Delete,
                },
                transfer_email: spec.transfer_email,
                transfer_meeting: spec.transfer_meetings,
                transfer_webinar: spec.transfer_webinars,
                transfer_recording: spec.transfer_recordings,
                transfer_whiteboard: spec.transfer_whiteboards,
            };
            zoom.delete(user, &options).await?
        }
    }
    Ok(None)
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
