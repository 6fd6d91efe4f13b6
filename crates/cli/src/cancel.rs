//! `offboard cancel RUN|EMAIL --bucket B`: take a scheduled termination or a staged delete
//! off before it runs (HR rescinded it). The command only writes `cancel/<name>.json`;
//! the planner takes off what it names and records it, with who uploaded the cancel, in
//! `runs/cancel-<name>/cancelled.json`, which `offboard status cancel-<name>` reads.

use offboard_core::email;
use offboard_core::Rescind;
use offboard_pipeline::cancel::{CancelRecord, CancelRequest};
use offboard_pipeline::keys;
use offboard_pipeline::store::PutOnce;
use offboard_pipeline::trigger::CANCEL_PREFIX;
use sha2::{Digest, Sha256};

use crate::bucket::store;
use crate::exit::{self, Exit};
use crate::output;

/// Writes the cancel of `target`: an address (what waits for that person) or a run id
/// (everything that run scheduled), which must be a run of the bucket.
pub async fn cancel_command(target: &str, bucket: &str, note: Option<String>) -> Result<Exit, Exit> {
    let store = store(bucket).await;
    let target = target.trim();
    let what = if target.contains('@') {
        if let Some(why) = email::invalid_reason(&email::normalize(target)) {
            return Err(Exit::input(format!("{target:?} is not an email address: {why}")));
        }
        Rescind::Email(email::normalize(target))
    } else {
        if !store.exists(&keys::plan_key(target)).await? {
            return Err(Exit::input(format!(
                "no run {target} in s3://{bucket} ({} does not exist); give a run id or an email address",
                keys::plan_key(target)
            )));
        }
        Rescind::RunId(target.to_string())
    };
    let digest = Sha256::digest(target.as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let name = format!("{}-{short}", jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ"));
    let key = format!("{CANCEL_PREFIX}{name}.json");
    let request = CancelRequest { what, requested_by: std::env::var("USER").ok(), note };
    if store.put_json_once(&key, &request).await? == PutOnce::AlreadyExists {
        return Err(Exit::input(format!("s3://{bucket}/{key} exists already: the same cancel this second; see it with offboard status {} --bucket {bucket}", keys::cancel_run_id(&name))));
    }
    let run_id = keys::cancel_run_id(&name);
    say!("Cancel requested: wrote s3://{bucket}/{key} ({}).", request.what);
    say!("The pipeline records what it takes off in s3://{bucket}/{}.", keys::cancelled_key(&run_id));
    say!("Follow it with: offboard status {run_id} --bucket {bucket}");
    output::print_json(&serde_json::json!({
        "result": "requested",
        "request": store.uri(&key),
        "what": request.what.to_string(),
        "run_id": run_id,
    }))?;
    Ok(Exit::ok())
}

/// `offboard status cancel-<name> --bucket B`: what the cancel took off, and who asked.
pub async fn status_command(run_id: &str, bucket: &str) -> Result<Exit, Exit> {
    let store = store(bucket).await;
    if let Some(error) = store.get_optional(&keys::error_key(run_id)).await? {
        let error: serde_json::Value = serde_json::from_slice(&error).unwrap_or_default();
        crate::bucket::refused_status(run_id, error["error"].as_str().unwrap_or("see error.json"))?;
        return Ok(Exit::with_code(exit::INPUT));
    }
    let Some(bytes) = store.get_optional(&keys::cancelled_key(run_id)).await? else {
        say!("Run:      {run_id}");
        say!("State:    requested; the pipeline has not taken it up yet");
        output::print_json(&serde_json::json!({ "run_id": run_id, "state": "requested", "cancelled": [] }))?;
        return Ok(Exit::with_code(exit::HELD));
    };
    let record: CancelRecord = serde_json::from_slice(&bytes)
        .map_err(|e| Exit::input(format!("s3://{bucket}/{}: {e}", keys::cancelled_key(run_id))))?;
    let asked: Vec<String> = record.asked.iter().map(ToString::to_string).collect();
    say!("Run:      {run_id}");
    say!("State:    done: {} taken off the schedule ({})", record.cancelled.len(), asked.join("; "));
    say!("By:       {} at {}", record.cancelled_by.as_deref().unwrap_or("unknown"), record.cancelled_at);
    let mut taken_off = Vec::new();
    for cancelled in &record.cancelled {
        let t = &cancelled.termination;
        let kind = if t.stage.is_some() { "staged_delete" } else { "termination" };
        let who = t.email.as_deref().or(t.employee_id.as_deref()).unwrap_or("?");
        say!(
            "  {} of {who}, due {} (scheduled by run {})",
            kind.replace('_', " "),
            t.effective,
            cancelled.scheduled_by
        );
        taken_off.push(serde_json::json!({
            "kind": kind,
            "who": who,
            "due": t.effective.to_string(),
            "scheduled_by": cancelled.scheduled_by,
        }));
    }
    output::print_json(&serde_json::json!({
        "run_id": run_id,
        "state": "done",
        "asked": asked,
        "cancelled_by": record.cancelled_by,
        "cancelled_at": record.cancelled_at.to_string(),
        "cancelled": taken_off,
    }))?;
    Ok(Exit::ok())
}
