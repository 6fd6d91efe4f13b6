//! The ledger in S3: write-once claims and results per action (`If-None-Match: *`).
//!
//! The rules of who may act live in `offboard_core::ledger`; this module reads and
//! writes the objects. A result, once written, is the action's one outcome: nothing can
//! overwrite it, and a redelivered message that finds it makes no Zoom call.
//!
//! Every result is written under the action's first claim, `claims/<action>/1.json`:
//! the executor's after claiming, and one recorded without acting (a `gave_up`, a
//! withheld action) after writing that claim, already expired. So a first claim that is
//! written tells that no result exists, and a first delivery costs two requests (the
//! claim, the result); only a delivery that finds the first claim taken looks for the
//! result. Claims and results are kept and expire together (the bucket's rules for
//! `runs/`).

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use offboard_core::ledger::{attempt_of_key, next_claim, Claim, NextClaim};
use offboard_core::ActionResult;
use serde::{Deserialize, Serialize};

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
        let first = Claim::new(run_id, action_id, 1, owner, now, self.claim_ttl);
        if self.store.put_json_once(&keys::claim_key(run_id, action_id, 1), &first).await? == PutOnce::Written {
            return Ok(ClaimOutcome::Claimed(first));
        }
        // Claimed before: by a delivery that recorded the result, or one acting or dead.
        if self.store.exists(&keys::result_key(run_id, action_id)).await? {
            return Ok(ClaimOutcome::Recorded);
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

    /// Records the action's one result, under a claim this invocation holds;
    /// `AlreadyExists` when another got there first.
    pub async fn record(&self, result: &ActionResult) -> Result<PutOnce, PipelineError> {
        self.store.put_json_once(&keys::result_key(&result.run_id, &result.action_id), result).await
    }

    /// Records a result without acting (`owner` says why): the first claim first, so no
    /// later delivery takes it and acts.
    pub async fn record_unacted(
        &self,
        result: &ActionResult,
        owner: &str,
        now: Timestamp,
    ) -> Result<PutOnce, PipelineError> {
        record_unacted(&self.store, result, owner, now).await
    }
}

/// [`Ledger::record_unacted`], for the planner's withheld actions.
pub async fn record_unacted(
    store: &Store,
    result: &ActionResult,
    owner: &str,
    now: Timestamp,
) -> Result<PutOnce, PipelineError> {
    let first = Claim::new(&result.run_id, &result.action_id, 1, owner, now, SignedDuration::ZERO);
    store.put_json_once(&keys::claim_key(&result.run_id, &result.action_id, 1), &first).await?;
    store.put_json_once(&keys::result_key(&result.run_id, &result.action_id), result).await
}

/// What `runs/<run>/digests/<batch>.json` holds: the results one batch recorded (only
/// those it wrote, so each is a copy of the one in the ledger).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchDigest {
    pub run_id: String,
    pub batch_id: String,
    pub results: Vec<ActionResult>,
}

/// Writes the batch's digest of the run; best effort (a missing digest costs only reads).
pub async fn write_digest(store: &Store, digest: &BatchDigest) {
    let key = keys::digest_key(&digest.run_id, &digest.batch_id);
    if let Err(error) = store.put_json(&key, digest).await {
        tracing::warn!(%error, run_id = %digest.run_id, "digest not written; the summary reads these results one by one");
    }
}

/// Every result a run has recorded so far.
pub async fn run_results(store: &Store, run_id: &str) -> Result<Vec<ActionResult>, PipelineError> {
    let result_keys = store.list_keys(&keys::results_prefix(run_id)).await?;
    results_of(store, run_id, &result_keys).await
}

/// The results under `result_keys` (listed under `runs/<run>/results/`), in their order:
/// from the run's digests, and the rest read one by one (16 at a time). A digest that
/// cannot be read is passed over: its results are read on their own.
pub async fn results_of(
    store: &Store,
    run_id: &str,
    result_keys: &[String],
) -> Result<Vec<ActionResult>, PipelineError> {
    let digest_keys = store.list_keys(&keys::digests_prefix(run_id)).await?;
    let mut digested: HashMap<String, ActionResult> = HashMap::new();
    for bytes in store.get_all(&digest_keys).await? {
        let Ok(digest) = serde_json::from_slice::<BatchDigest>(&bytes) else {
            tracing::warn!(run_id, "a digest cannot be read; its results are read one by one");
            continue;
        };
        for result in digest.results.into_iter().filter(|r| r.run_id == run_id) {
            digested.insert(keys::result_key(run_id, &result.action_id), result);
        }
    }
    let missing: Vec<String> = result_keys.iter().filter(|k| !digested.contains_key(*k)).cloned().collect();
    let mut read: HashMap<String, ActionResult> =
        missing.iter().cloned().zip(store.get_json_all::<ActionResult>(&missing).await?).collect();
    Ok(result_keys.iter().filter_map(|k| digested.remove(k).or_else(|| read.remove(k))).collect())
}
