//! Execute one action: read the message, claim it in the ledger (or find its result
//! already there), make the checks the plan asks for, call Zoom, classify the answer by
//! error code, and record exactly one result. A run's end (its summary, its
//! notification) is the watcher's: no executor lists a run's results.

use std::sync::Arc;

use jiff::SignedDuration;
use offboard_core::ledger::Claim;
use offboard_core::summary::HOSTS_UPCOMING_MEETINGS;
use offboard_core::undo::restore_steps;
use offboard_core::{
    Action, ActionKind, ActionMessage, ActionResult, Change, DeleteMode, Findings, MeetingsRule, Outcome,
    RecordingsRule, UserStatus, UserType, MESSAGE_SCHEMA_VERSION,
};
use offboard_zoom::{DeleteAction, DeleteOptions, ErrorKind, ZoomCall, ZoomClient, ZoomError};
use tracing::Instrument;

use crate::clock;
use crate::error::PipelineError;
use crate::keys;
use crate::ledger::{ClaimOutcome, Ledger};
use crate::signing::SignedPlans;
use crate::store::PutOnce;

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Execution {
    /// A result was recorded now (`result`, for the batch's digest).
    Recorded { run_id: String, action_id: String, outcome: &'static str, result: Box<ActionResult> },
    /// The action's result already existed: acknowledged without a Zoom call.
    AlreadyRecorded { run_id: String, action_id: String },
    /// Another invocation is acting on it: try again after `wait`.
    HeldElsewhere { run_id: String, action_id: String, wait: SignedDuration },
    /// Not finished (throttled, transient, credentials): the message goes back to the
    /// queue, or to the DLQ with a `gave_up` result on its last allowed delivery.
    Retry { message: Box<ActionMessage>, reason: String },
    /// The message cannot be read: it goes to the DLQ with this reason.
    Unreadable { reason: String },
}

impl Execution {
    /// The run the message belongs to, when it could be read.
    pub fn run_id(&self) -> Option<&str> {
        match self {
            Execution::Recorded { run_id, .. }
            | Execution::AlreadyRecorded { run_id, .. }
            | Execution::HeldElsewhere { run_id, .. } => Some(run_id),
            Execution::Retry { message, .. } => Some(&message.run_id),
            Execution::Unreadable { .. } => None,
        }
    }
}

pub struct Executor {
    pub zoom: Arc<ZoomClient>,
    pub ledger: Ledger,
    /// The plans the planner signed: a message is acted on only if its action is one.
    pub plans: SignedPlans,
}

impl Executor {
    /// Executes one message body for the invocation `owner` (Lambda's request id).
    pub async fn execute(&self, body: &str, owner: &str) -> Execution {
        let message: ActionMessage = match serde_json::from_str(body) {
            Ok(message) => message,
            Err(e) => return Execution::Unreadable { reason: format!("not an action message: {e}") },
        };
        if message.schema_version != MESSAGE_SCHEMA_VERSION {
            return Execution::Unreadable {
                reason: format!("schema version {} is not {MESSAGE_SCHEMA_VERSION}", message.schema_version),
            };
        }
        // Only what the planner signed is acted on: a message anyone else sent, or one
        // whose action differs from the plan's, goes to the DLQ without a Zoom call.
        match self.plans.planned_action(&message.run_id, &message.action.action_id).await {
            Ok(Ok(planned)) if planned == message.action => {}
            Ok(Ok(_)) => {
                return Execution::Unreadable {
                    reason: format!(
                        "action {} of run {} differs from the action the planner signed; not acted on",
                        message.action.action_id, message.run_id
                    ),
                }
            }
            Ok(Err(why)) => return Execution::Unreadable { reason: format!("not acted on: {why}") },
            Err(error) => {
                let reason = format!("the run's signed plan could not be read: {error}");
                tracing::warn!(run_id = %message.run_id, %reason, "not finished; the message will be redelivered");
                return Execution::Retry { message: Box::new(message), reason };
            }
        }
        let span = tracing::info_span!(
            "execute",
            run_id = %message.run_id,
            action_id = %message.action.action_id,
            user_id = %message.action.user_id
        );
        let message = Box::new(message);
        match self.execute_action(&message, owner).instrument(span.clone()).await {
            Ok(execution) => execution,
            Err(error) => {
                let reason = error.to_string();
                span.in_scope(|| tracing::warn!(%reason, "not finished; the message will be redelivered"));
                Execution::Retry { message, reason }
            }
        }
    }

    async fn execute_action(&self, message: &ActionMessage, owner: &str) -> Result<Execution, PipelineError> {
        let action = &message.action;
        let (run_id, action_id) = (message.run_id.clone(), action.action_id.to_string());
        let claim = match self.ledger.claim(&run_id, &action_id, owner, clock::now()).await? {
            ClaimOutcome::Claimed(claim) => claim,
            ClaimOutcome::Recorded => {
                tracing::info!("result already recorded; acknowledging without a Zoom call");
                return Ok(Execution::AlreadyRecorded { run_id, action_id });
            }
            ClaimOutcome::HeldElsewhere { wait } => {
                tracing::info!(wait_seconds = wait.as_secs(), "another invocation holds the claim");
                return Ok(Execution::HeldElsewhere { run_id, action_id, wait });
            }
        };

        let mut findings = Findings::default();
        let mut performed = None;
        let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let called = perform(&self.zoom, action, today, &mut findings, &mut performed).await;
        let (outcome, zoom_message) = match called {
            Ok(None) => (Outcome::Done, None),
            Ok(Some(skipped)) => (skipped, None),
            Err(error) => match final_outcome(&error) {
                Some(outcome) => (outcome, error.zoom_message().map(str::to_string)),
                None => {
                    let reason = error.to_string();
                    tracing::warn!(%reason, "not finished; the message will be redelivered");
                    self.release(&claim).await;
                    return Ok(Execution::Retry { message: Box::new(message.clone()), reason });
                }
            },
        };
        let label = outcome.label();
        let result = self.result(message, &claim, outcome, performed, findings, zoom_message);
        match self.ledger.record(&result).await? {
            PutOnce::Written => {
                tracing::info!(outcome = label, attempt = claim.attempt, "result recorded");
                Ok(Execution::Recorded { run_id, action_id, outcome: label, result: Box::new(result) })
            }
            PutOnce::AlreadyExists => Ok(Execution::AlreadyRecorded { run_id, action_id }),
        }
    }

    fn result(
        &self,
        message: &ActionMessage,
        claim: &Claim,
        outcome: Outcome,
        performed: Option<ActionKind>,
        findings: Findings,
        zoom_message: Option<String>,
    ) -> ActionResult {
        let attempt = Attempt { number: claim.attempt, started_at: claim.claimed_at.to_string() };
        action_result(&message.run_id, &message.action, attempt, outcome, performed, findings, zoom_message)
    }

    /// Lets the next delivery act at once instead of waiting for this claim to expire:
    /// the next claim number, already expired. Best effort: if it fails, the claim expires.
    async fn release(&self, claim: &Claim) {
        let released = claim.released(clock::now());
        let key = keys::claim_key(&claim.run_id, &claim.action_id, released.attempt);
        if let Err(error) = self.ledger.store().put_json_once(&key, &released).await {
            tracing::warn!(%error, "claim not released; it will expire");
        }
    }

    /// The last allowed delivery failed: record `gave_up` as the action's outcome.
    pub async fn give_up(&self, message: &ActionMessage, attempts: u32, reason: &str) -> Result<(), PipelineError> {
        let now = clock::now();
        let claim =
            Claim::new(&message.run_id, &message.action.action_id, attempts, "gave up", now, SignedDuration::ZERO);
        let outcome = Outcome::GaveUp { attempts, reason: reason.to_string() };
        let result = self.result(message, &claim, outcome, None, Findings::default(), None);
        // Every delivery may have failed before claiming (the plan unreadable): the first
        // claim goes first, so a redrive of this message finds the result and acts not.
        let written = self.ledger.record_unacted(&result, "gave up", now).await?;
        tracing::error!(
            run_id = %message.run_id,
            action_id = %message.action.action_id,
            user_id = %message.action.user_id,
            attempts,
            %reason,
            already_recorded = written == PutOnce::AlreadyExists,
            "gave up on the action after its last allowed delivery"
        );
        Ok(())
    }
}

/// Every Zoom call [`perform`] may make for the action (a check can turn a deactivation
/// or a delete into a downgrade; a delete that names a transfer target may need a lookup
/// of the user): the scopes the Zoom app must hold before it acts.
pub fn calls_of(action: &Action) -> Vec<ZoomCall> {
    let mut calls = Vec::new();
    if action.checks.upcoming_meetings != MeetingsRule::Ignore {
        calls.push(ZoomCall::ListUpcomingMeetings);
        if action.checks.upcoming_meetings == MeetingsRule::Downgrade {
            calls.push(ZoomCall::UpdateUser);
        }
    }
    if action.kind() == ActionKind::Delete && action.checks.cloud_recordings == RecordingsRule::KeepAsBasic {
        calls.extend([ZoomCall::ListUserRecordings, ZoomCall::UpdateUser]);
    }
    if action.revoke_sso_first && matches!(action.kind(), ActionKind::Deactivate | ActionKind::Delete) {
        calls.push(ZoomCall::RevokeSsoToken);
    }
    calls.extend(match action.kind() {
        ActionKind::Deactivate => &[ZoomCall::UpdateStatus][..],
        ActionKind::Downgrade => &[ZoomCall::UpdateUser],
        ActionKind::Restore => &[ZoomCall::UpdateStatus, ZoomCall::UpdateUser],
        ActionKind::Delete => &[ZoomCall::DeleteUser],
    });
    if action.change.transfer_target().is_some() {
        calls.push(ZoomCall::GetUser);
    }
    calls
}

/// Makes the checks the action carries, then the change. `Ok(Some(outcome))` is the
/// outcome to record instead of `done`: a check said not to act (`Skipped`), or Zoom's
/// answer took a lookup to read (`Failed`: a delete answered 404/1001 whose user still
/// exists, because its transfer target is no user). An error is read by [`final_outcome`].
/// `findings` and `performed` say what was found and done, even when a later call fails.
/// Cloud recordings are counted over the month before `today` (Zoom answers at most a
/// month per call).
pub async fn perform(
    zoom: &ZoomClient,
    action: &Action,
    today: jiff::civil::Date,
    findings: &mut Findings,
    performed: &mut Option<ActionKind>,
) -> Result<Option<Outcome>, ZoomError> {
    // Every scope first: a missing one stops the action before any change (a revoked SSO
    // token and then a refused deactivation would be half an offboarding).
    zoom.check_scopes(&calls_of(action)).await?;
    let user = action.user_id.as_str();
    let licensed = action.before.user_type == UserType::Licensed;
    let skip = |code: &str, reason: String| Ok(Some(Outcome::Skipped { code: code.to_string(), reason }));
    // A check may turn the planned change into a downgrade; `kind` is what is done.
    let mut kind = action.kind();
    if action.checks.upcoming_meetings != MeetingsRule::Ignore {
        let upcoming = zoom.upcoming(user).await?;
        let meetings = upcoming.count;
        findings.upcoming_meetings = Some(meetings);
        if meetings > 0 {
            // When the last one ends: a skipped user's licence is reclaimed by the first
            // sweep after it (the summary's `deferred`).
            findings.last_meeting_ends = upcoming.last_ends;
            match action.checks.upcoming_meetings {
                MeetingsRule::Downgrade if licensed => kind = ActionKind::Downgrade,
                _ => return skip(HOSTS_UPCOMING_MEETINGS, format!("hosts {meetings} upcoming meetings")),
            }
        }
    }
    if kind == ActionKind::Delete && action.checks.cloud_recordings == RecordingsRule::KeepAsBasic {
        let from = today.checked_sub(jiff::Span::new().months(1)).unwrap_or(today);
        let recordings = zoom.cloud_recordings(user, &from.to_string(), &today.to_string()).await?;
        findings.cloud_recordings = Some(recordings);
        if recordings > 0 {
            if !licensed {
                let reason = format!("owns {recordings} cloud recordings and is already Basic");
                return skip("owns_cloud_recordings", reason);
            }
            kind = ActionKind::Downgrade;
        }
    }
    if action.revoke_sso_first && matches!(kind, ActionKind::Deactivate | ActionKind::Delete) {
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
    if kind == ActionKind::Downgrade {
        zoom.downgrade_to_basic(user).await?;
        return Ok(None);
    }
    match &action.change {
        Change::Deactivate => zoom.deactivate(user).await?,
        Change::Downgrade => zoom.downgrade_to_basic(user).await?,
        Change::Restore(to) => {
            // Both calls are idempotent (Zoom answers 204 when nothing changes), so a
            // retry after a crash between them is safe.
            let (activate, user_type) = restore_steps(&action.before, to);
            if activate {
                zoom.activate(user).await?;
            }
            if let Some(user_type) = user_type {
                zoom.set_type(user, user_type.code()).await?;
            }
        }
        Change::Delete(spec) => {
            let options = DeleteOptions {
                action: match spec.mode {
                    DeleteMode::Disassociate => DeleteAction::Disassociate,
                    DeleteMode::Delete => DeleteAction::Delete,
                },
                transfer_email: spec.transfer_email.clone(),
                transfer_meeting: spec.transfer_meetings,
                transfer_webinar: spec.transfer_webinars,
                transfer_recording: spec.transfer_recordings,
                transfer_whiteboard: spec.transfer_whiteboards,
            };
            match zoom.delete(user, &options).await {
                Err(error) if error.kind() == ErrorKind::AlreadyGone => {
                    if let Some(target) = &options.transfer_email {
                        return user_gone_or_target_missing(zoom, user, target, error).await;
                    }
                    return Err(error);
                }
                answer => answer?,
            }
        }
    }
    Ok(None)
}

/// Whether `user`, as Zoom shows them, already has the change made (so a change made just
/// before a hard stop is not made again). A delete never shows on a user who is still
/// there: the user's absence is its answer.
pub fn shows_change(change: &Change, user: &offboard_zoom::UserDetail) -> bool {
    let is_active = user.status == Some(offboard_zoom::UserStatus::Active);
    match change {
        Change::Deactivate => user.status == Some(offboard_zoom::UserStatus::Inactive),
        Change::Downgrade => UserType::from(user.user_type) == UserType::Basic,
        Change::Delete(_) => false,
        Change::Restore(to) => {
            UserType::from(user.user_type) == to.user_type && (to.status != UserStatus::Active || is_active)
        }
    }
}

/// Zoom answers a delete 404/1001 ("User does not exist") both when the user is gone and
/// when the transfer target is not a user of the account. The user's own lookup tells
/// which: gone, and the delete's answer stands (`already_done`); still there, and the
/// delete failed for its target. Any other answer to the lookup is the action's answer
/// (a transient one sends it back; the delete is tried again).
async fn user_gone_or_target_missing(
    zoom: &ZoomClient,
    user: &str,
    target: &str,
    deleted: ZoomError,
) -> Result<Option<Outcome>, ZoomError> {
    match zoom.get_user(user).await {
        Err(lookup) if lookup.kind() == ErrorKind::AlreadyGone => Err(deleted),
        Err(lookup) => Err(lookup),
        Ok(_) => {
            tracing::warn!("the delete was answered 1001 but the user still exists: its transfer target is no user");
            let (http_status, code) = deleted.status_and_code().unwrap_or((404, Some(1001)));
            Ok(Some(Outcome::Failed {
                http_status,
                code,
                reason: format!(
                    "Zoom answered 1001 to the delete transferring to {target}, but the user still exists: \
                     the transfer target is not a user of the account"
                ),
            }))
        }
    }
}

/// Which try of an action a result ends, and when that try started.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub number: u32,
    pub started_at: String,
}

/// The one result of an action, as the ledger records it (also the CLI's local ledger).
pub fn action_result(
    run_id: &str,
    action: &Action,
    attempt: Attempt,
    outcome: Outcome,
    performed: Option<ActionKind>,
    findings: Findings,
    zoom_message: Option<String>,
) -> ActionResult {
    let did = performed.unwrap_or(action.kind());
    ActionResult {
        run_id: run_id.to_string(),
        action_id: action.action_id.to_string(),
        kind: action.kind(),
        user_id: action.user_id.to_string(),
        email: action.email.to_string(),
        outcome,
        performed: performed.filter(|p| *p != action.kind()),
        findings,
        zoom_message,
        // What an undo restores: the user as the plan found them.
        prior: matches!(did, ActionKind::Deactivate | ActionKind::Downgrade).then(|| action.before.clone()),
        attempt: attempt.number,
        started_at: attempt.started_at,
        finished_at: clock::now().to_string(),
    }
}

/// The outcome to record for a failed call, or `None` when the action is not finished
/// (throttled, transient, in progress elsewhere, or a credentials problem that no single
/// action should be blamed for) and must be tried again.
pub fn final_outcome(error: &ZoomError) -> Option<Outcome> {
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

/// Every call the executor may make for these actions.
pub(crate) fn actions_calls(actions: &[offboard_core::Action]) -> Vec<ZoomCall> {
    let mut calls: Vec<ZoomCall> = actions.iter().flat_map(calls_of).collect();
    calls.sort();
    calls.dedup();
    calls
}
