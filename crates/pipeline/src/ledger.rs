//! The ledger in S3: write-once claims and results per action (`If-None-Match: *`).
//!
//! The rules of who may act live in `offboard_core::ledger`; this module reads and
//! writes the objects. A result, once written, is the action's one outcome: nothing can
//! overwrite it, and a redelivered message that finds it makes no Zoom call.

use jiff::{SignedDuration, Timestamp};
use offboard_core::ledger::{attempt_of_key, next_claim, Claim, NextClaim};
use offboard_core::ActionResult;

use crate::error::PipelineError;
use crate::keys;
use crate::store::{PutOnce, Store};

/// What a try to claim an action found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This invocation may act.
    Claimed(Claim),
    /// The result is already recorded: nothing to do.
    Recorded,
    /// Another invocation holds a live claim: come back after `wait`.
    HeldElsewhere { wait: SignedDuration },
}

#[derive(Clone)]
pub struct Ledger {
    store: Store,
    /// How long a claim holds: at least the executor's timeout, so only a dead
    /// invocation's claim ever expires.
    claim_ttl: SignedDuration,
}

impl Ledger {
    pub fn new(store: Store, claim_ttl: SignedDuration) -> Self {
        Ledger { store, claim_ttl }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Claims `action_id` of `run_id` for `owner` as of `now`.
    pub async fn claim(
        &self,
        run_id: &str,
        action_id: &str,
        owner: &str,
        now: Timestamp,
    ) -> Result<ClaimOutcome, PipelineError> {
        if self.store.exists(&keys::result_key(run_id, action_id)).await? {
            return Ok(ClaimOutcome::Recorded);
        }
        let first = Claim::new(run_id, action_id, 1, owner, now, self.claim_ttl);
        if self.store.put_json_once(&keys::claim_key(run_id, action_id, 1), &first).await? == PutOnce::Written {
            return Ok(ClaimOutcome::Claimed(first));
        }
        let latest = self.latest_claim(run_id, action_id).await?;
        // A claim key that cannot be read (written by hand, or cut short) counts as live
        // for one TTL from now: waiting is always safe, acting twice is not.
        let Some(latest) = latest else {
            return Ok(ClaimOutcome::HeldElsewhere { wait: self.claim_ttl });
        };
        match next_claim(&latest, now) {
            NextClaim::Wait { for_ } => Ok(ClaimOutcome::HeldElsewhere { wait: for_ }),
            NextClaim::TakeOver { attempt } => {
                let claim = Claim::new(run_id, action_id, attempt, owner, now, self.claim_ttl);
                match self.store.put_json_once(&keys::claim_key(run_id, action_id, attempt), &claim).await? {
                    PutOnce::Written => {
                        tracing::warn!(attempt, previous_owner = %latest.owner, "took over an expired claim");
                        Ok(ClaimOutcome::Claimed(claim))
                    }
                    PutOnce::AlreadyExists => Ok(ClaimOutcome::HeldElsewhere { wait: self.claim_ttl }),
                }
            }
        }
    }

    async fn latest_claim(&self, run_id: &str, action_id: &str) -> Result<Option<Claim>, PipelineError> {
        let keys = self.store.list_keys(&keys::claims_prefix(run_id, action_id)).await?;
        let Some(attempt) = keys.iter().filter_map(|k| attempt_of_key(k)).max() else {
            return Ok(None);
        };
        let key = keys::claim_key(run_id, action_id, attempt);
        Ok(self.store.get_optional(&key).await?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    /// Records the action's one result; `AlreadyExists` when another got there first.
    pub async fn record(&self, result: &ActionResult) -> Result<PutOnce, PipelineError> {
        self.store.put_json_once(&keys::result_key(&result.run_id, &result.action_id), result).await
    }
}

/// Every result a run has recorded so far (read 16 at a time).
pub async fn run_results(store: &Store, run_id: &str) -> Result<Vec<ActionResult>, PipelineError> {
    let result_keys = store.list_keys(&keys::results_prefix(run_id)).await?;
    store.get_json_all(&result_keys).await
}
