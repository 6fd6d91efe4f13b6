//! `make demo`: the whole pipeline once, on the local stack, with a summary at the end.
//!
//! Starts moto, zoom-sim and both Lambda binaries under cargo-lambda's emulator, uploads
//! a roster to `inbox/`, routes the S3 event to the planner; if the plan is held for
//! approval (it is, by default: 150 of 2,000 is over the 50-action limit), shows why and
//! approves it as `offboard approve` would, by writing `approvals/<run>.json`; then routes
//! the actions to the executor until the queue is empty, prints what happened, and stops
//! everything.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use offboard_e2e::{AccountArgs, LocalStack, StackOptions, BUCKET};
use serde_json::Value;

/// Run Offboard end to end on the local stack.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    account: AccountArgs,
    /// The roster to upload.
    #[arg(long, default_value = "examples/roster.csv")]
    roster: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let roster = std::fs::read(&args.roster).with_context(|| format!("reading {}", args.roster.display()))?;
    let file_name = args.roster.file_name().and_then(|n| n.to_str()).unwrap_or("roster.csv");
    let key = format!("inbox/{file_name}");

    println!(
        "Starting the local stack: moto, zoom-sim ({} users, seed {}), planner and executor under cargo-lambda...",
        args.account.users, args.account.seed
    );
    let started = Instant::now();
    let stack = LocalStack::start(StackOptions {
        users: args.account.users,
        seed: args.account.seed,
        ..StackOptions::default()
    })
    .await?;
    println!("  ready in {:.1} s", started.elapsed().as_secs_f64());
    println!(
        "  IAM checked: each function runs as its role from {}, people as OperatorRole and HrDropRole",
        offboard_e2e::template_path()?.display()
    );
    println!("  the Zoom app holds exactly the documented scopes ({})", offboard_e2e::documented_scopes().len());

    stack.upload(&key, roster).await?;
    println!("Uploaded {} to s3://{BUCKET}/{key} as an operator", args.roster.display());

    let planning = Instant::now();
    let reports = stack.deliver_s3_events().await?;
    let report = reports
        .iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .find(|r| r["result"] != "ignored")
        .context("the planner produced no report for the roster")?;
    if report["result"] == "rejected" {
        bail!("the roster was refused: {}", report["error"]);
    }
    let run_id = report["run_id"].as_str().context("report without run id")?.to_string();
    println!("Planned run {run_id} in {:.1} s", planning.elapsed().as_secs_f64());
    if report["result"] == "held" {
        println!("  HELD: {}", report["reason"].as_str().unwrap_or("?"));
        let summary = stack.get_object(&format!("runs/{run_id}/plan-summary.txt")).await?;
        println!("\n  {}", String::from_utf8_lossy(&summary).trim_end().replace('\n', "\n  "));
        let approval = serde_json::json!({ "approved_by": "demo", "note": "approved by make demo" });
        stack.upload(&format!("approvals/{run_id}.json"), serde_json::to_vec(&approval)?).await?;
        println!("\nApproved: wrote s3://{BUCKET}/approvals/{run_id}.json");
        let reports = stack.deliver_s3_events().await?;
        let sent = reports
            .iter()
            .flat_map(|r| r.as_array().cloned().unwrap_or_default())
            .find(|r| r["result"] == "planned")
            .with_context(|| format!("the approval did not release the plan: {reports:?}"))?;
        println!("  {} actions sent to the executor", sent["actions"]);
    }

    let executing = Instant::now();
    let stats = stack.drain_actions(Duration::from_secs(600)).await?;
    let elapsed = executing.elapsed().as_secs_f64();
    println!("Executed {} messages in {} executor invocations in {elapsed:.1} s", stats.messages, stats.invocations);

    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await?;
    let result_keys = stack.list_keys(&format!("runs/{run_id}/results/")).await?;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for key in &result_keys {
        let result = stack.get_json(key).await?;
        *outcomes.entry(result["outcome"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    for row in plan["skipped"].as_array().into_iter().flatten() {
        *skipped.entry(row["reason"]["code"].as_str().unwrap_or("?").to_string()).or_default() += 1;
    }
    let deactivated_in_zoom =
        stack.sim_operations().await?.iter().filter(|op| op["op"] == "deactivate" && op["applied"] == true).count();

    let counts = &plan["counts"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let unmatched = skipped.get("not_in_account").copied().unwrap_or(0);
    println!();
    println!("Summary of run {run_id}");
    println!(
        "  users in the account  {:>6}   (active {}, inactive {}, pending {}; licensed {})",
        n(&counts["users_in_account"]),
        n(&counts["active"]),
        n(&counts["inactive"]),
        n(&counts["pending"]),
        n(&counts["licensed"])
    );
    println!("  roster rows           {:>6}", n(&counts["roster_rows"]));
    println!("  matched               {:>6}", n(&counts["matched"]));
    println!(
        "  deactivated           {:>6}   (results: {})",
        outcomes.get("done").copied().unwrap_or(0),
        summary(&outcomes)
    );
    println!("  refused               {:>6}   (guardrails: owner, admins, rooms, protected)", n(&counts["refused"]));
    println!("  unmatched             {:>6}   (no user with that email in the account)", unmatched);
    let others: Vec<String> =
        skipped.iter().filter(|(k, _)| k.as_str() != "not_in_account").map(|(k, v)| format!("{k} {v}")).collect();
    if !others.is_empty() {
        println!("  other skipped rows            {}", others.join(", "));
    }
    println!(
        "  estimated after       {:>6} active, {} licensed",
        n(&counts["estimated_active_after"]),
        n(&counts["estimated_licensed_after"])
    );
    println!("  backup   s3://{BUCKET}/{}", plan["backup_key"].as_str().unwrap_or("?"));
    println!("  plan     s3://{BUCKET}/runs/{run_id}/plan.json");
    println!("  results  s3://{BUCKET}/runs/{run_id}/results/  ({} objects)", result_keys.len());

    let actions = n(&counts["actions"]) as usize;
    if result_keys.len() != actions || deactivated_in_zoom != outcomes.get("done").copied().unwrap_or(0) {
        bail!(
            "incomplete run: {actions} actions planned, {} results, {deactivated_in_zoom} deactivations in Zoom",
            result_keys.len()
        );
    }
    println!("\nStopping the local stack.");
    Ok(())
}

fn summary(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".to_string();
    }
    counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}
