//! Licences reclaimed later: the actions a run's executor skipped because their users
//! still hosted upcoming meetings wait under `deferred/<run>.json` (written by whoever
//! finishes the run, from its summary), and the sweep asks for each again once its
//! user's last meeting is over (or `sweep.recheck_deferred_days` after the skip).
//!
//! An entry is only a pointer: the sweep re-reads the action from the run's signed plan
//! and its result (`skipped`, `hosts_upcoming_meetings`), so an entry written by anyone
//! else, or naming anything else, asks for nothing. The request is decided afresh
//! against today's account and policy.

use jiff::Timestamp;
use offboard_core::lifecycle::recheck_request;
use offboard_core::summary::{Deferred, RunSummary};
use offboard_core::{ActionResult, Plan, PlanSource, Rechecked, Request};
use serde::{Deserialize, Serialize};

use crate::error::PipelineError;
use crate::keys;
use crate::signing::{read_signed_plan, PlanSigner};
use crate::store::Store;

/// What `deferred/<run>.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredRun {
    pub run_id: String,
    pub deferred: Vec<Deferred>,
}

/// Records a finished run's deferred actions for the sweep (nothing when there are none).
/// Written once: a second finishing call finds it.
pub(crate) async fn record(store: &Store, summary: &RunSummary) -> Result<(), PipelineError> {
    if summary.deferred.is_empty() {
        return Ok(());
    }
    let entry = DeferredRun { run_id: summary.run_id.clone(), deferred: summary.deferred.clone() };
    store.put_json_once(&keys::deferred_key(&summary.run_id), &entry).await.map(drop)
}

/// Adds to `requests` the deferred actions due for a recheck at `now`, each from its
/// run's signed plan, and returns which they are (the sweep's plan records them).
pub(crate) async fn due_rechecks(
    store: &Store,
    signer: &PlanSigner,
    now: Timestamp,
    recheck_days: u32,
    requests: &mut Vec<Request>,
) -> Result<Vec<Rechecked>, PipelineError> {
    let mut taken = Vec::new();
    for key in store.list_keys(keys::DEFERRED_PREFIX).await? {
        let entry: DeferredRun = store.get_json(&key).await?;
        let due: Vec<&Deferred> = entry.deferred.iter().filter(|d| d.recheck_at(recheck_days) <= now).collect();
        if due.is_empty() {
            continue;
        }
        let plan = match read_signed_plan(store, signer, &entry.run_id).await? {
            Ok(plan) => plan,
            Err(reason) => {
                tracing::warn!(%key, %reason, "a deferred entry whose run has no signed plan asks for nothing");
                continue;
            }
        };
        for deferred in due {
            if !was_deferred(store, &plan, &deferred.action_id).await? {
                tracing::warn!(%key, action_id = %deferred.action_id, "not a deferred action of its run; ignored");
                continue;
            }
            if let Some(action) = plan.body.actions.iter().find(|a| a.action_id == deferred.action_id.as_str()) {
                requests.push(recheck_request(&entry.run_id, action, deferred));
                taken.push(Rechecked { run_id: entry.run_id.clone(), action_id: deferred.action_id.clone() });
            }
        }
    }
    Ok(taken)
}

/// Whether the run's result for `action_id` is the skip for upcoming meetings.
async fn was_deferred(store: &Store, plan: &Plan, action_id: &str) -> Result<bool, PipelineError> {
    let Some(bytes) = store.get_optional(&keys::result_key(&plan.run_id, action_id)).await? else {
        return Ok(false);
    };
    let result: Option<ActionResult> = serde_json::from_slice(&bytes).ok();
    Ok(result.as_ref().and_then(Deferred::of).is_some())
}

/// Once a sweep's actions are on the queue: takes the deferred actions it asked for again
/// off `deferred/` (a held sweep leaves them for the next one).
pub(crate) async fn consume_rechecks(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    if plan.kind != PlanSource::Sweep || plan.rechecked.is_empty() {
        return Ok(());
    }
    for key in store.list_keys(keys::DEFERRED_PREFIX).await? {
        let entry: DeferredRun = store.get_json(&key).await?;
        let taken =
            |d: &Deferred| plan.rechecked.iter().any(|r| r.run_id == entry.run_id && r.action_id == d.action_id);
        let remaining: Vec<Deferred> = entry.deferred.iter().filter(|d| !taken(d)).cloned().collect();
        if remaining.is_empty() {
            store.delete(&key).await?;
        } else if remaining.len() < entry.deferred.len() {
            store.put_json(&key, &DeferredRun { run_id: entry.run_id.clone(), deferred: remaining }).await?;
        }
    }
    Ok(())
}
