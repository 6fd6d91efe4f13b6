//! What waits under `schedule/` (HR terminations not yet due, staged deletes), as the
//! sweep takes it up and clears it, and as a cancel takes it off. Its own module because
//! both halves of the sweep must agree on "due at the sweep's time": what one sweep takes
//! up is exactly what it later removes, and nothing else.

use jiff::Timestamp;
use offboard_core::lifecycle::take_due;
use offboard_core::sweep::inactive_users;
use offboard_core::{Account, Plan, PlanSource, Policy, Request, Rescind, SkipReason, SkippedRow, Termination};
use serde::{Deserialize, Serialize};

use crate::deferred::{consume_rechecks, due_rechecks};
use crate::error::PipelineError;
use crate::input::ReadInput;
use crate::keys;
use crate::signing::PlanSigner;
use crate::store::Store;
use crate::trigger::sweep_time;

/// What the sweep at `now` asks for: the inactive licensed users, the HR terminations
/// and staged deletes now due, and the deferred actions due a recheck.
pub(crate) async fn sweep_input(
    store: &Store,
    signer: &PlanSigner,
    account: &Account,
    policy: &Policy,
    now: Timestamp,
) -> Result<ReadInput, PipelineError> {
    let mut requests = inactive_users(account, &policy.sweep, now);
    let mut rejected = Vec::new();
    let scheduled = due_terminations(store, now, policy, &mut requests, &mut rejected).await?;
    let rechecked = due_rechecks(store, signer, now, policy.sweep.recheck_deferred_days, &mut requests).await?;
    Ok(ReadInput { format: "sweep".to_string(), requests, scheduled, rechecked, rejected, ..ReadInput::default() })
}

/// Once a run's actions are on the queue: a sweep's schedule and deferred actions that it
/// took up leave `schedule/` and `deferred/` (nothing for any other run).
pub(crate) async fn take_up(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    consume_schedule(store, plan).await?;
    consume_rechecks(store, plan).await
}

/// What the scheduled terminations due by `now` ask for: `requests` gets their requests;
/// the staged deletes that due deletes become (with `delete_after_days`) are returned, for
/// the sweep's plan to schedule. Everything stays under `schedule/` until the plan that
/// takes it up is on the queue. A staged delete whose run never sent its deactivations
/// (held, and never approved) deletes no one: it is reported in `rejected` instead.
async fn due_terminations(
    store: &Store,
    now: Timestamp,
    policy: &Policy,
    requests: &mut Vec<Request>,
    rejected: &mut Vec<SkippedRow>,
) -> Result<Vec<Termination>, PipelineError> {
    let mut waiting = Vec::new();
    for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
        let terminations = store.get_json::<Vec<Termination>>(&key).await?;
        let run = scheduled_by(&key);
        let staged_due = terminations.iter().any(|t| t.stage.is_some() && t.is_due(now));
        if staged_due && !store.exists(&keys::sent_key(run)).await? {
            for unsent in terminations.iter().filter(|t| t.stage.is_some() && t.is_due(now)) {
                let detail = format!("the run that staged it ({run}) never sent its deactivation (held, not approved)");
                let value = unsent.email.as_deref().or(unsent.employee_id.as_deref()).unwrap_or_default().into();
                rejected.push(SkippedRow {
                    line: unsent.line,
                    value,
                    reason: SkipReason::ChangedSinceStaged { detail },
                });
            }
            waiting.extend(terminations.into_iter().filter(|t| t.stage.is_none() || !t.is_due(now)));
            continue;
        }
        waiting.extend(terminations);
    }
    let due = take_due(waiting, now, policy);
    requests.extend(due.requests);
    Ok(due.staged)
}

/// Once a sweep's actions are on the queue: removes from `schedule/` the terminations
/// it took up (those due at the sweep's time, which its run id holds). A held or
/// refused sweep never gets here, so what it found due stays due for the next one;
/// a crash before this leaves them to the next sweep, which finds them done.
async fn consume_schedule(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    let Some(now) = (plan.kind == PlanSource::Sweep).then(|| sweep_time(&plan.run_id)).flatten() else {
        return Ok(());
    };
    remove_where(store, |_, termination| termination.is_due(now)).await.map(drop)
}

/// One termination a cancel took off, and the run whose schedule held it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    pub scheduled_by: String,
    #[serde(flatten)]
    pub termination: Termination,
}

/// What waits under `schedule/` that `rescinds` cover, without removing it.
pub(crate) async fn covered(store: &Store, rescinds: &[Rescind]) -> Result<Vec<Cancelled>, PipelineError> {
    let mut found = Vec::new();
    for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
        let run = scheduled_by(&key);
        for termination in store.get_json::<Vec<Termination>>(&key).await? {
            if rescinds.iter().any(|r| r.covers(run, &termination)) {
                found.push(Cancelled { scheduled_by: run.to_string(), termination });
            }
        }
    }
    Ok(found)
}

/// Takes `cancelled` off the schedule (what is already gone is no matter: a redelivered
/// cancel removes the rest).
pub(crate) async fn cancel(store: &Store, cancelled: &[Cancelled]) -> Result<(), PipelineError> {
    remove_where(store, |run, termination| {
        cancelled.iter().any(|c| c.scheduled_by == run && c.termination == *termination)
    })
    .await
    .map(drop)
}

/// Rewrites each schedule file without the terminations `remove` picks (deleting a file
/// left empty); how many were removed. Each rewrite is conditional on the file being the
/// one read (`If-Match`): a sweep taking terminations up and a cancel taking one off at
/// the same moment both hold, instead of the later write bringing back what the other
/// removed.
async fn remove_where(store: &Store, remove: impl Fn(&str, &Termination) -> bool) -> Result<usize, PipelineError> {
    let mut removed = 0;
    for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
        let run = scheduled_by(&key);
        let mut attempts = 0;
        loop {
            let Some((bytes, etag)) = store.get_tagged(&key).await? else { break };
            let terminations: Vec<Termination> = serde_json::from_slice(&bytes)
                .map_err(|e| PipelineError::Data { what: key.clone(), detail: e.to_string() })?;
            let remaining: Vec<&Termination> = terminations.iter().filter(|t| !remove(run, t)).collect();
            if remaining.len() == terminations.len() {
                break;
            }
            if store.put_json_if_unchanged(&key, &remaining, &etag).await? {
                removed += terminations.len() - remaining.len();
                if remaining.is_empty() {
                    // Emptied: nothing can come back into it, since no writer adds to a
                    // schedule file once its run is sent.
                    store.delete(&key).await?;
                }
                break;
            }
            attempts += 1;
            if attempts >= 5 {
                return Err(PipelineError::Data {
                    what: key.clone(),
                    detail: "changed by another writer on each of 5 rewrites; retried by the next delivery".to_string(),
                });
            }
        }
    }
    Ok(removed)
}

/// The run that wrote `schedule/<run>.json`.
fn scheduled_by(key: &str) -> &str {
    key.strip_prefix(keys::SCHEDULE_PREFIX).and_then(|k| k.strip_suffix(".json")).unwrap_or(key)
}
