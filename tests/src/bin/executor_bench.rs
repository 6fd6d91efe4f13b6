//! `make bench`: the executor Lambda itself, one instance, on the local stack: the real
//! release binary under cargo-lambda's emulator, SQS batches of 10 routed to it as the
//! event source mapping would, its S3 ledger on moto's server, Zoom at the Business
//! limits with 20 ms latency.
//!
//! A roster of `--actions` members is planned (no hold, no meetings check, no SSO revoke:
//! one Light call per action), the queue drained, and the run's own `summary.json` read:
//! its achieved rate against the executor's budget (0.8 of Light's 80/s), and the share
//! of 429s the simulator answered. The client-bench rows measure the same pacer without
//! the Lambda around it, with one and four instances.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use offboard_e2e::people::{planned_run, roster};
use offboard_e2e::{LocalStack, StackOptions};
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    actions: usize,
    /// The least achieved rate, as a share of the budget.
    #[arg(long, default_value_t = 0.9)]
    min_ratio: f64,
    /// Messages per invocation (the event source mapping's batch size).
    #[arg(long, default_value_t = 10)]
    batch_size: usize,
    /// Actions of a batch in flight at once (`OFFBOARD_BATCH_CONCURRENCY`).
    #[arg(long)]
    concurrency: Option<usize>,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stack = LocalStack::start(StackOptions {
        users: args.actions * 2,
        seed: 8,
        batch_size: Some(args.batch_size),
        batch_concurrency: args.concurrency,
        ..StackOptions::default()
    })
    .await?;
    stack.sim.with_state(|s| {
        let mut faults = s.current_faults();
        faults.latency_ms = 20;
        s.set_faults(faults);
    });
    let policy = json!({
        "upcoming_meetings": "ignore",
        "revoke_sso_first": false,
        "guardrails": { "hold_above_count": 1_000_000, "hold_above_share": 1.0 },
    });
    stack.upload("config/policy.json", serde_json::to_vec(&policy)?).await?;
    let users = stack.sim_users().await?;
    let members: Vec<String> = users
        .iter()
        .filter(|u| u["status"] == "active" && u["plain_member"] == true)
        .take(args.actions)
        .map(offboard_e2e::people::email)
        .collect();
    anyhow::ensure!(members.len() == args.actions, "only {} plain active members", members.len());
    stack.upload("inbox/leavers.csv", roster(&members)).await?;
    let run_id = planned_run(&stack.deliver_s3_events().await?);
    let before: Value = reqwest::get(format!("{}/_sim/metrics", stack.sim.base_url())).await?.json().await?;
    let drained = stack.drain_actions(Duration::from_secs(900)).await?;
    let after: Value = reqwest::get(format!("{}/_sim/metrics", stack.sim.base_url())).await?.json().await?;
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.context("the run has no summary")?;

    let rate = summary["achieved_rate_per_second"].as_f64().unwrap_or(0.0);
    let budget = 80.0 * 0.8;
    let count = |metrics: &Value, field: &str| metrics["labels"]["Light"][field].as_f64().unwrap_or(0.0);
    let requests = count(&after, "requests") - count(&before, "requests");
    let throttled = count(&after, "throttled_per_second") - count(&before, "throttled_per_second");
    let share_429 = if requests > 0.0 { throttled / requests } else { 0.0 };
    println!(
        "executor, 1 instance: {} actions in {} invocations, {:.1} s, {rate:.1}/s = {:.3} x budget {budget:.0}/s, \
         429s {throttled} of {requests} Light requests, outcomes {}",
        args.actions,
        drained.invocations,
        summary["duration_seconds"].as_f64().unwrap_or(0.0),
        rate / budget,
        summary["by_outcome"]
    );
    let verdict = if rate / budget >= args.min_ratio && share_429 <= 0.01 { "PASS" } else { "MISS" };
    println!(
        "{verdict} executor Lambda, 1 instance on the local stack, batches of {}: {:.3} x budget, 429s {:.2}% \
         (targets >= {} x, <= 1%)",
        args.batch_size,
        rate / budget,
        share_429 * 100.0,
        args.min_ratio
    );
    if let Some(path) = args.json {
        let figures = json!({"actions": args.actions, "invocations": drained.invocations, "rate": rate,
                             "budget": budget, "ratio": rate / budget, "requests": requests, "throttled": throttled,
                             "summary": summary});
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
