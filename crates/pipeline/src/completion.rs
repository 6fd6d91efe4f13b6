//! The end of a run: once every action sent has its result, `report.csv`, then
//! `summary.json` written once, then the notification, published once and recorded in
//! `notified.json`.
//!
//! The watcher calls this once a minute for each run it watches, with the results it
//! listed ([`finish`]); the planner calls it for a run that sent no action, which no
//! executor would ever see ([`complete_if_done`]). No executor batch lists a run's
//! results, so what an action costs in S3 requests does not grow with the run. Each call
//! finishes what an earlier one left undone, so a publish that failed is made by the next
//! minute's call.
//!
//! The summary reads the run's digests (one object per executor batch, copies of the
//! results it recorded) and then, on their own, the results no digest holds: a batch that
//! died before writing its digest, a planner's withheld action, a `gave_up`. The results
//! are the truth; the digests only save reading them one by one.
//!
//! What is guaranteed of the notification:
//! - It is published only once `summary.json` is written, and carries that summary (the
//!   one in the bucket, whoever wrote it).
//! - A publish SNS accepted is recorded, write-once, in `runs/<run>/notified.json`; a
//!   call that finds it does nothing more.
//! - Before publishing, a call takes the notification's claim: numbered, write-once
//!   objects `runs/<run>/notify-claims/<n>.json` with an expiry (the notifier's claim
//!   TTL, at least the function's timeout), as the ledger's claims on actions. So two
//!   calls never publish at once: normally the summary's writer takes claim 1 and
//!   publishes; a call that finds a live claim publishes nothing and returns an error,
//!   to be called again later (by then the notification is recorded, or the claim was
//!   released or expired).
//! - A publish that fails releases the claim (the next number, already expired) and
//!   returns the error: the next call publishes.
//! - Exactly one notification in every path where no invocation dies between a publish
//!   SNS accepted and its record, and S3 and SNS answer what they did. Otherwise (a
//!   crash or an S3 failure between the publish and `notified.json`, or a publish SNS
//!   accepted but answered as failed) the claim expires or is released and a later call
//!   publishes again: at least once, never none while some call comes back.

use jiff::{SignedDuration, Timestamp};
use offboard_core::ledger::{attempt_of_key, next_claim, Claim, NextClaim};
use offboard_core::summary::{report_csv, summarize, RunSummary};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::PipelineError;
use crate::keys;
use crate::ledger::results_of;
use crate::notify::Notifier;
use crate::store::{PutOnce, Store};

/// What `runs/<run>/run.json` holds: written by the planner before the first message
/// is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    pub run_id: String,
    /// Actions sent: the run is complete when this many results are recorded.
    pub actions: usize,
    pub plan_key: String,
    pub sent_at: String,
    /// The plan's `licence_monthly_price` (the policy's when it was made), for the
    /// summary's saving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_monthly_price: Option<f64>,
}

/// What `runs/<run>/notified.json` holds: the run's notification went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    pub run_id: String,
    pub published_at: Timestamp,
    /// SNS's id of the published message.
    pub message_id: Option<String>,
    /// The notification claim under which it was published.
    pub claim: u32,
}

/// The `action_id` of the notification's claims (`runs/<run>/notify-claims/<n>.json`).
const NOTIFICATION: &str = "notification";

/// The run's summary when this call finished the run: it published the notification
/// (or, without a notifier, wrote the summary). `None` when the run is not complete yet,
/// or was finished before. An error leaves the end unfinished: call again later. Lists
/// the run's results: for the planner's few calls, never per batch.
pub async fn complete_if_done(
    store: &Store,
    notifier: Option<&Notifier>,
    run_id: &str,
) -> Result<Option<RunSummary>, PipelineError> {
    if is_finished(store, notifier, run_id).await? {
        return Ok(None);
    }
    let Some(header) = read_header(store, run_id).await? else {
        return Ok(None);
    };
    let result_keys = store.list_keys(&keys::results_prefix(run_id)).await?;
    finish(store, notifier, &header, &result_keys).await
}

/// Whether the run's end is announced (`notified.json`), or, without a notifier, its
/// summary written.
pub async fn is_finished(store: &Store, notifier: Option<&Notifier>, run_id: &str) -> Result<bool, PipelineError> {
    let key = if notifier.is_some() { keys::notified_key(run_id) } else { keys::summary_key(run_id) };
    store.exists(&key).await
}

/// The run's header (`run.json`), `None` until the planner has written it.
pub async fn read_header(store: &Store, run_id: &str) -> Result<Option<RunHeader>, PipelineError> {
    let key = keys::run_header_key(run_id);
    let Some(bytes) = store.get_optional(&key).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| PipelineError::Data { what: key, detail: e.to_string() })
}

/// [`complete_if_done`] for a caller that has listed the run's results (`result_keys`,
/// every key under `runs/<run>/results/`): `None` while some are missing.
pub async fn finish(
    store: &Store,
    notifier: Option<&Notifier>,
    header: &RunHeader,
    result_keys: &[String],
) -> Result<Option<RunSummary>, PipelineError> {
    if result_keys.len() < header.actions {
        return Ok(None);
    }
    let (summary, wrote) = summary_of(store, header, result_keys).await?;
    // Before the announcement, so a run announced has its deferred actions on record.
    crate::deferred::record(store, &summary).await?;
    let Some(notifier) = notifier else {
        return Ok(wrote.then_some(summary));
    };
    announce(store, notifier, &summary).await.map(Some)
}

/// The run's summary and whether this call wrote it: the one in the bucket, or
/// `report.csv` and the summary written now.
async fn summary_of(
    store: &Store,
    header: &RunHeader,
    result_keys: &[String],
) -> Result<(RunSummary, bool), PipelineError> {
    let run_id = header.run_id.as_str();
    let summary_key = keys::summary_key(run_id);
    if let Some(written) = store.get_optional(&summary_key).await? {
        return Ok((read_summary(&summary_key, &written)?, false));
    }
    let results = results_of(store, run_id, result_keys).await?;
    let report_key = keys::report_key(run_id);
    store.put(&report_key, report_csv(&results), "text/csv").await?;
    let summary =
        summarize(run_id, header.actions, &results, &report_key, clock::now()).priced(header.licence_monthly_price);
    if store.put_json_once(&summary_key, &summary).await? == PutOnce::AlreadyExists {
        // Another call completed it at the same time: announce its summary, not ours.
        let written = store.get(&summary_key).await?;
        return Ok((read_summary(&summary_key, &written)?, false));
    }
    tracing::info!(run_id, planned = summary.planned, by_outcome = ?summary.by_outcome, "run complete");
    Ok((summary, true))
}

fn read_summary(key: &str, bytes: &[u8]) -> Result<RunSummary, PipelineError> {
    serde_json::from_slice(bytes).map_err(|e| PipelineError::Data { what: key.to_string(), detail: e.to_string() })
}

/// Publishes the notification under its claim and records it.
async fn announce(store: &Store, notifier: &Notifier, summary: &RunSummary) -> Result<RunSummary, PipelineError> {
    let run_id = summary.run_id.as_str();
    let claim = match claim_notification(store, run_id, notifier.claim_ttl(), clock::now()).await? {
        Ok(claim) => claim,
        Err(holder) => {
            tracing::info!(run_id, %holder, "another call is publishing the run's notification");
            return Err(PipelineError::Sns {
                operation: "Publish",
                detail: format!("run {run_id}'s notification is not recorded as published yet: {holder}"),
            });
        }
    };
    let message_id = match notifier.run_completed(summary).await {
        Ok(message_id) => message_id,
        Err(error) => {
            release(store, &claim).await;
            return Err(error);
        }
    };
    let notified =
        Notified { run_id: run_id.to_string(), published_at: clock::now(), message_id, claim: claim.attempt };
    if store.put_json_once(&keys::notified_key(run_id), &notified).await? == PutOnce::AlreadyExists {
        tracing::warn!(run_id, claim = claim.attempt, "the run's notification was already recorded as published");
    }
    Ok(summary.clone())
}

/// Takes the run's notification claim as of `now`, or says who holds it.
async fn claim_notification(
    store: &Store,
    run_id: &str,
    ttl: SignedDuration,
    now: Timestamp,
) -> Result<Result<Claim, String>, PipelineError> {
    let owner = format!("pid {} at {now}", std::process::id());
    let first = Claim::new(run_id, NOTIFICATION, 1, &owner, now, ttl);
    if store.put_json_once(&keys::notify_claim_key(run_id, 1), &first).await? == PutOnce::Written {
        return Ok(Ok(first));
    }
    let keys = store.list_keys(&keys::notify_claims_prefix(run_id)).await?;
    let Some(attempt) = keys.iter().filter_map(|k| attempt_of_key(k)).max() else {
        return Ok(Err("claim 1 is taken but not listed yet".to_string()));
    };
    let latest: Option<Claim> = store
        .get_optional(&keys::notify_claim_key(run_id, attempt))
        .await?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    // A claim that cannot be read counts as live: waiting is safe, publishing twice is not.
    let Some(latest) = latest else {
        return Ok(Err(format!("claim {attempt} cannot be read")));
    };
    match next_claim(&latest, now) {
        NextClaim::Wait { for_ } => {
            Ok(Err(format!("claim {} is held by {} for {}s more", latest.attempt, latest.owner, for_.as_secs().max(1))))
        }
        NextClaim::TakeOver { attempt } => {
            let claim = Claim::new(run_id, NOTIFICATION, attempt, &owner, now, ttl);
            match store.put_json_once(&keys::notify_claim_key(run_id, attempt), &claim).await? {
                PutOnce::Written => {
                    tracing::info!(run_id, attempt, previous_owner = %latest.owner, "took over the notification claim");
                    Ok(Ok(claim))
                }
                PutOnce::AlreadyExists => Ok(Err(format!("claim {attempt} was just taken by another call"))),
            }
        }
    }
}

/// Lets the next call publish at once instead of waiting for the claim to expire: the
/// next claim number, already expired. Best effort: if it fails, the claim expires.
async fn release(store: &Store, claim: &Claim) {
    let released = claim.released(clock::now());
    let key = keys::notify_claim_key(&claim.run_id, released.attempt);
    if let Err(error) = store.put_json_once(&key, &released).await {
        tracing::warn!(%error, "notification claim not released; it will expire");
    }
}
