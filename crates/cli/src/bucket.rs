//! The commands that speak to the AWS stack's bucket: approve a held run, see where a
//! run stands, ask for an undo. They write only the objects the planner Lambda reacts
//! to (`approvals/RUN.json`, `undo/RUN.json`); the pipeline does the rest.

use offboard_core::summary::RunSummary;
use offboard_core::Plan;
use offboard_pipeline::approval::Approval;
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::completion::RunHeader;
use offboard_pipeline::keys;
use offboard_pipeline::ledger::run_results;
use offboard_pipeline::store::{PutOnce, Store};
use offboard_pipeline::trigger::{APPROVALS_PREFIX, UNDO_PREFIX};
use serde_json::Value;

use crate::args::ConfirmArgs;
use crate::exit::{self, Exit};
use crate::output;

/// The pipeline's bucket, reached as the functions reach it (`AWS_*` from the environment).
pub async fn store(bucket: &str) -> Store {
    Store::new(AwsClients::from_env().await.s3, bucket)
}

async fn plan_of(store: &Store, run_id: &str) -> Result<Plan, Exit> {
    match store.get_optional(&keys::plan_key(run_id)).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Exit::input(format!("s3://{}/{}: {e}", store.bucket(), keys::plan_key(run_id)))),
        None => Err(Exit::input(format!(
            "no run {run_id} in s3://{}: {} does not exist",
            store.bucket(),
            keys::plan_key(run_id)
        ))),
    }
}

/// `offboard approve RUN --bucket B`.
pub async fn approve_command(
    run_id: &str,
    bucket: &str,
    approved_by: Option<String>,
    note: Option<String>,
    yes: bool,
) -> Result<Exit, Exit> {
    let store = store(bucket).await;
    let plan = plan_of(&store, run_id).await?;
    let key = format!("{APPROVALS_PREFIX}{run_id}.json");
    let answer = |result: &str| {
        output::print_json(&serde_json::json!({
            "run_id": run_id,
            "result": result,
            "approval": store.uri(&key),
            "hold_reason": plan.body.hold.as_ref().map(|h| h.reason.as_str()),
        }))
    };
    if store.exists(&keys::sent_key(run_id)).await? {
        say!("Run {run_id} was already sent; nothing to approve.");
        answer("already_sent")?;
        return Ok(Exit::ok());
    }
    let Some(hold) = &plan.body.hold else {
        say!("Run {run_id} is not held; nothing to approve.");
        answer("not_held")?;
        return Ok(Exit::ok());
    };
    say!("Run {run_id} is held: {}", hold.reason);
    say!(
        "Its input was {}. Its uploader may not approve it, and approvals expire (policy approval, \
         72 hours after the hold by default).",
        held_provenance(&plan)
    );
    if output::for_programs() {
        eprint!("{}", offboard_core::report::plan_summary(&plan));
    } else {
        print!("{}", offboard_core::report::plan_summary(&plan));
    }
    if !yes {
        output::confirm_count(&format!("Approve {} actions of run {run_id}?", hold.actions), hold.actions)?;
    }
    let approval = Approval { approved_by: approved_by.or_else(|| std::env::var("USER").ok()), note };
    let result = match store.put_json_once(&key, &approval).await? {
        PutOnce::Written => {
            say!("Approved: wrote s3://{bucket}/{key}; the planner sends the run now.");
            "approved"
        }
        PutOnce::AlreadyExists => {
            say!("Already approved: s3://{bucket}/{key} exists.");
            "already_approved"
        }
    };
    say!("Follow it with: offboard status {run_id} --bucket {bucket}");
    answer(result)?;
    Ok(Exit::ok())
}

/// Who uploaded the plan's input, and how long ago it was planned.
fn held_provenance(plan: &Plan) -> String {
    offboard_core::approval::provenance(plan.uploaded_by.as_deref(), &plan.created_at, jiff::Timestamp::now())
}

/// `offboard status RUN --bucket B`.
pub async fn status_command(run_id: &str, bucket: &str) -> Result<Exit, Exit> {
    let store = store(bucket).await;
    if let Some(error) = store.get_optional(&keys::error_key(run_id)).await? {
        let error: Value = serde_json::from_slice(&error).unwrap_or_default();
        refused_status(run_id, error["error"].as_str().unwrap_or("see error.json"))?;
        return Ok(Exit::with_code(exit::INPUT));
    }
    let plan = plan_of(&store, run_id).await?;
    let sent = store.exists(&keys::sent_key(run_id)).await?;
    let header: Option<RunHeader> = match store.get_optional(&keys::run_header_key(run_id)).await? {
        Some(bytes) => serde_json::from_slice(&bytes).ok(),
        None => None,
    };
    let summary: Option<RunSummary> = match store.get_optional(&keys::summary_key(run_id)).await? {
        Some(bytes) => serde_json::from_slice(&bytes).ok(),
        None => None,
    };
    let results = run_results(&store, run_id).await?;
    let refused = match store.get_optional(&keys::approval_refused_key(run_id)).await? {
        Some(bytes) => {
            serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| v["reason"].as_str().map(str::to_string))
        }
        None => None,
    };
    let planned = header.as_ref().map(|h| h.actions).unwrap_or(plan.body.actions.len());
    let held = plan.body.hold.is_some() && !sent && header.is_none();
    let phase = match (&summary, held) {
        (Some(_), _) => "finished",
        (None, true) => "held",
        (None, false) if !sent => "sending",
        (None, false) => "running",
    };
    let state = match (&summary, held, &refused) {
        (Some(_), _, _) => "finished".to_string(),
        (None, true, Some(reason)) => {
            format!("held; approval refused: {reason}; its input was {}", held_provenance(&plan))
        }
        (None, true, None) => format!(
            "held for approval: {}; its input was {} (approve with: offboard approve {run_id} --bucket {bucket})",
            plan.body.hold.as_ref().map(|h| h.reason.as_str()).unwrap_or_default(),
            held_provenance(&plan)
        ),
        (None, false, _) if !sent => "sending".to_string(),
        (None, false, _) => format!("running: {} of {planned} actions have a result", results.len()),
    };
    output::print_status(&output::RunStatus {
        run_id,
        phase,
        state: &state,
        source: &plan.source,
        planned,
        results: &results,
        summary: summary.as_ref(),
        held,
        resume_hint: false,
    })
}

/// The status of a run whose input was refused (its `error.json`).
pub fn refused_status(run_id: &str, error: &str) -> Result<(), Exit> {
    output::print_json(&serde_json::json!({ "run_id": run_id, "state": "refused", "detail": error }))?;
    if !output::for_programs() {
        println!("Run:      {run_id}");
        println!("State:    refused: {error}");
    }
    Ok(())
}

/// `offboard undo RUN --bucket B`: asks the pipeline to undo a finished run.
pub async fn undo_command(run_id: &str, bucket: &str, confirm: ConfirmArgs) -> Result<Exit, Exit> {
    let store = store(bucket).await;
    let Some(summary) = store.get_optional(&keys::summary_key(run_id)).await? else {
        return Err(Exit::input(format!(
            "run {run_id} has not finished (no s3://{bucket}/{}); undo it once it has",
            keys::summary_key(run_id)
        )));
    };
    let summary: RunSummary = serde_json::from_slice(&summary)
        .map_err(|e| Exit::input(format!("s3://{bucket}/{}: {e}", keys::summary_key(run_id))))?;
    let changed = summary.count("done");
    if !confirm.yes {
        output::confirm_count(&format!("Undo run {run_id}: restore up to {changed} users."), changed)?;
    }
    let key = format!("{UNDO_PREFIX}{run_id}.json");
    let body = serde_json::json!({ "requested_by": std::env::var("USER").ok() });
    let result = match store.put_json_once(&key, &body).await? {
        PutOnce::Written => {
            say!("Undo requested: wrote s3://{bucket}/{key}.");
            "requested"
        }
        PutOnce::AlreadyExists => {
            say!("Undo already requested: s3://{bucket}/{key} exists.");
            "already_requested"
        }
    };
    let undo_run = keys::undo_run_id(run_id);
    say!("Follow it with: offboard status {undo_run} --bucket {bucket}");
    output::print_json(&serde_json::json!({
        "run_id": run_id,
        "result": result,
        "request": store.uri(&key),
        "undo_run_id": undo_run,
        "restores_up_to": changed,
    }))?;
    Ok(Exit::ok())
}
