//! The planner's signature on the plans it writes, and the check made before a plan is
//! acted on.
//!
//! Anyone who may write to the bucket or send to the queue (a colleague with broad bucket
//! access, a loosened bucket policy, the executor's own role) could otherwise write a plan
//! of their own, approve it, and queue its actions: the executor would act on whatever the
//! message says, owners and protected people included. So every plan carries an HMAC,
//! made by KMS (`GenerateMac`) with a key only the planner's role may sign with, over the
//! run id and the SHA-256 of the plan's exact bytes. It travels as the plan object's user
//! metadata, so plan and signature are one write-once put: there is no moment where a plan
//! exists unsigned. The executor checks it (`VerifyMac`) once per run, and acts only on a
//! message whose action is, field for field, an action of that signed plan; the planner
//! checks it before it sends a plan it finds already written (a redelivery, an approval).

use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use base64::Engine;
use sha2::{Digest, Sha256};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use offboard_core::{Action, Plan};
use tokio::sync::OnceCell;

use crate::error::PipelineError;
use crate::keys;
use crate::store::{PutOnce, Store};

/// The S3 user-metadata key of the plan's signature (`x-amz-meta-offboard-plan-mac`).
pub const SIGNATURE_METADATA: &str = "offboard-plan-mac";

/// What is signed: a fixed label, the run id, and the digest of the plan's bytes, so a
/// signed plan cannot be replayed under another run id, nor edited.
pub fn signed_message(run_id: &str, plan: &[u8]) -> Vec<u8> {
    let digest: String = Sha256::digest(plan).iter().map(|b| format!("{b:02x}")).collect();
    format!("offboard-plan-v1\n{run_id}\n{digest}").into_bytes()
}

/// Whether a plan is the planner's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Authentic,
    /// Not signed, or not by the planner, or changed since: the reason says which.
    Forged(String),
}

/// Signs and verifies plans with the stack's plan-signing key (`OFFBOARD_PLAN_KEY_ID`).
#[derive(Clone)]
pub struct PlanSigner {
    kms: aws_sdk_kms::Client,
    key_id: String,
}

impl PlanSigner {
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        PlanSigner { kms, key_id: key_id.into() }
    }

    /// The signature (base64) of the plan `bytes` of `run_id`.
    pub async fn sign(&self, run_id: &str, bytes: &[u8]) -> Result<String, PipelineError> {
        let made = self
            .kms
            .generate_mac()
            .key_id(&self.key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(signed_message(run_id, bytes)))
            .send()
            .await
            .map_err(|e| PipelineError::Kms { operation: "GenerateMac", detail: DisplayErrorContext(e).to_string() })?;
        let mac = made.mac().ok_or_else(|| PipelineError::Kms {
            operation: "GenerateMac",
            detail: "the answer carries no MAC".to_string(),
        })?;
        Ok(base64::engine::general_purpose::STANDARD.encode(mac.as_ref()))
    }

    /// Whether `signature` is the planner's over the plan `bytes` of `run_id`. An error
    /// is a failure to ask (KMS unreachable, refused): try again, never act.
    pub async fn verify(&self, run_id: &str, bytes: &[u8], signature: Option<&str>) -> Result<Verdict, PipelineError> {
        let Some(signature) = signature.filter(|s| !s.is_empty()) else {
            return Ok(Verdict::Forged("the plan carries no signature: the planner did not write it".to_string()));
        };
        let Ok(mac) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return Ok(Verdict::Forged("the plan's signature is not base64: the planner did not write it".to_string()));
        };
        let checked = self
            .kms
            .verify_mac()
            .key_id(&self.key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(signed_message(run_id, bytes)))
            .mac(Blob::new(mac))
            .send()
            .await;
        match checked {
            Ok(answer) if answer.mac_valid() => Ok(Verdict::Authentic),
            Ok(_) => Ok(Verdict::Forged(FORGED.to_string())),
            Err(e) if e.as_service_error().is_some_and(|s| s.code() == Some("KMSInvalidMacException")) => {
                Ok(Verdict::Forged(FORGED.to_string()))
            }
            Err(e) => Err(PipelineError::Kms { operation: "VerifyMac", detail: DisplayErrorContext(e).to_string() }),
        }
    }
}

/// Writes the plan of its run with its signature, once (`If-None-Match: *`).
pub async fn write_signed_plan(store: &Store, signer: &PlanSigner, plan: &Plan) -> Result<PutOnce, PipelineError> {
    let bytes = crate::store::to_json(plan)?;
    let signature = signer.sign(&plan.run_id, &bytes).await?;
    let key = keys::plan_key(&plan.run_id);
    store.put_once_with_metadata(&key, bytes, "application/json", &[(SIGNATURE_METADATA, &signature)]).await
}

/// The run's plan, if the planner signed it; else why not (no plan, forged, unreadable).
pub async fn read_signed_plan(
    store: &Store,
    signer: &PlanSigner,
    run_id: &str,
) -> Result<Result<Plan, String>, PipelineError> {
    let key = keys::plan_key(run_id);
    let Some((bytes, metadata)) = store.get_with_metadata(&key).await? else {
        return Ok(Err(format!("run {run_id} has no plan ({key})")));
    };
    match signer.verify(run_id, &bytes, metadata.get(SIGNATURE_METADATA).map(String::as_str)).await? {
        Verdict::Forged(why) => Ok(Err(format!("{key}: {why}"))),
        Verdict::Authentic => match serde_json::from_slice::<Plan>(&bytes) {
            Ok(plan) if plan.run_id == run_id => Ok(Ok(plan)),
            Ok(plan) => Ok(Err(format!("{key} is the plan of run {}, not of {run_id}", plan.run_id))),
            Err(e) => Ok(Err(format!("{key} is signed but not a plan this version can read: {e}"))),
        },
    }
}

/// A run's signed actions by id, or why the run has no signed plan.
type RunPlan = Arc<Result<HashMap<String, Action>, String>>;

/// The signed plans of the runs one executor container has seen, each read and verified
/// once (a 20,000-action run costs one GetObject and one VerifyMac per container, not
/// one per message). A failure to ask (S3 or KMS unreachable) is not remembered.
pub struct SignedPlans {
    store: Store,
    signer: PlanSigner,
    runs: Mutex<HashMap<String, Arc<OnceCell<RunPlan>>>>,
}

/// Runs remembered at once; a container rarely sees more than a few runs between restarts.
const RUNS_REMEMBERED: usize = 32;

impl SignedPlans {
    pub fn new(store: Store, signer: PlanSigner) -> Self {
        SignedPlans { store, signer, runs: Mutex::new(HashMap::new()) }
    }

    /// The action `action_id` of run `run_id` as the planner signed it, or why there is
    /// none (the run has no plan, its plan is not the planner's, the action is not in it).
    pub async fn planned_action(&self, run_id: &str, action_id: &str) -> Result<Result<Action, String>, PipelineError> {
        let cell = {
            let mut runs = self.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !runs.contains_key(run_id) && runs.len() >= RUNS_REMEMBERED {
                runs.clear();
            }
            runs.entry(run_id.to_string()).or_default().clone()
        };
        let plan = cell
            .get_or_try_init(|| async {
                let read = read_signed_plan(&self.store, &self.signer, run_id).await?;
                Ok::<_, PipelineError>(Arc::new(read.map(|plan| {
                    plan.body.actions.into_iter().map(|a| (a.action_id.to_string(), a)).collect::<HashMap<_, _>>()
                })))
            })
            .await?;
        Ok(match plan.as_ref() {
            Err(reason) => Err(reason.clone()),
            Ok(actions) => actions
                .get(action_id)
                .cloned()
                .ok_or_else(|| format!("action {action_id} is not in the signed plan of run {run_id}")),
        })
    }
}

const FORGED: &str = "the plan's signature does not verify: the planner did not write this plan, or it changed since";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_message_binds_the_run_and_every_byte_of_the_plan() {
        let plan = br#"{"run_id":"r1","actions":[]}"#;
        let message = signed_message("r1", plan);
        assert!(message.starts_with(b"offboard-plan-v1\nr1\n"));
        assert_eq!(message, signed_message("r1", plan));
        assert_ne!(message, signed_message("r2", plan), "another run id");
        assert_ne!(message, signed_message("r1", br#"{"run_id":"r1","actions":[ ]}"#), "one byte more");
    }
}
