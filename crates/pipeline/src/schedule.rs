//! The HR terminations waiting under `schedule/` until they are due, as the sweep reads
//! and clears them. Its own module because both halves must agree on "due at the sweep's
//! time": what one sweep takes up is exactly what it later removes, and nothing else.

use jiff::Timestamp;
use offboard_core::{Plan, PlanSource, Policy, Request, Termination};

use crate::error::PipelineError;
use crate::keys;
use crate::store::Store;
use crate::trigger::sweep_time;

/// Adds the scheduled terminations due by `now` to `requests`. They stay under
/// `schedule/` until the plan that takes them up is on the queue.
pub(crate) async fn due_terminations(
    store: &Store,
    now: Timestamp,
    policy: &Policy,
    requests: &mut Vec<Request>,
) -> Result<(), PipelineError> {
    for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
        let terminations: Vec<Termination> = store.get_json(&key).await?;
        requests.extend(terminations.iter().filter(|t| t.is_due(now)).map(|t| t.request(policy)));
    }
    Ok(())
}

/// Once a sweep's actions are on the queue: removes from `schedule/` the terminations
/// it took up (those due at the sweep's time, which its run id holds). A held or
/// refused sweep never gets here, so what it found due stays due for the next one;
/// a crash before this leaves them to the next sweep, which finds them done.
pub(crate) async fn consume_schedule(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    let Some(now) = (plan.kind == PlanSource::Sweep).then(|| sweep_time(&plan.run_id)).flatten() else {
        return Ok(());
    };
    for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
        let terminations: Vec<Termination> = store.get_json(&key).await?;
        let remaining: Vec<&Termination> = terminations.iter().filter(|t| !t.is_due(now)).collect();
        if remaining.is_empty() {
            store.delete(&key).await?;
        } else if remaining.len() < terminations.len() {
            store.put_json(&key, &remaining).await?;
        }
    }
    Ok(())
}
