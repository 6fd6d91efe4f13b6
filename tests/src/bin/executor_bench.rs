//! `make bench`: the executor Lambda itself on the local stack: the real release binary
//! under cargo-lambda's emulator (`--instances` of it, batches routed to each at once as
//! the event source mapping's maximum concurrency does), its S3 ledger on moto's server
//! (`--aws-latency-ms` per request), Zoom at the Business limits (`--zoom-latency-ms`),
//! and the watcher invoked every `--watch-every-seconds`, as its schedule does.
//!
//! A roster of `--actions` members is planned (no hold, no meetings check, no SSO revoke:
//! one Light call per action), the queue drained, and the run's own `summary.json` read:
//! its achieved rate against the executors' budget (`--budget-share` of Light's 80/s, all
//! instances together), the share of 429s the simulator answered and its busiest
//! one-second window, and the S3 requests the run cost per action (moto's count, from the
//! roster's upload to the summary: planner, executors and watcher).

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
    /// Executor instances (the event source mapping's maximum concurrency).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// Offboard's share of the account's budget (`OFFBOARD_BUDGET_SHARE`).
    #[arg(long, default_value_t = 0.8)]
    budget_share: f64,
    /// Milliseconds each AWS request takes in moto before it is answered.
    #[arg(long, default_value_t = 0)]
    aws_latency_ms: u64,
    /// Milliseconds each Zoom request takes.
    #[arg(long, default_value_t = 20)]
    zoom_latency_ms: u64,
    /// How often the watcher looks while the queue drains (its schedule: 60).
    #[arg(long, default_value_t = 60)]
    watch_every_seconds: u64,
    /// The most S3 requests an action may cost, averaged over the run.
    #[arg(long, default_value_t = 3.0)]
    max_s3_per_action: f64,
    /// What the PASS/MISS line calls this configuration.
    #[arg(long, default_value = "executor Lambda, 1 instance on the local stack")]
    label: String,
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
        executors: Some(args.instances),
        budget_share: Some(args.budget_share),
        aws_latency_ms: Some(args.aws_latency_ms),
        watch_every: Some(Duration::from_secs(args.watch_every_seconds.max(1))),
        ..StackOptions::default()
    })
    .await?;
    stack.sim.with_state(|s| {
        let mut faults = s.current_faults();
        faults.latency_ms = args.zoom_latency_ms;
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
    stack.reset_aws_requests().await?;
    stack.upload("inbox/leavers.csv", roster(&members)).await?;
    let run_id = planned_run(&stack.deliver_s3_events().await?);
    let before: Value = reqwest::get(format!("{}/_sim/metrics", stack.sim.base_url())).await?.json().await?;
    let drained = stack.drain_actions(Duration::from_secs(900)).await?;
    let after: Value = reqwest::get(format!("{}/_sim/metrics", stack.sim.base_url())).await?.json().await?;
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.context("the run has no summary")?;

    let requests = stack.aws_requests().await?;
    let s3_of = |principal: Option<&str>| -> u64 {
        requests
            .iter()
            .filter(|(p, service, _, _)| service == "s3" && principal.is_none_or(|wanted| p == wanted))
            .map(|(_, _, _, n)| n)
            .sum()
    };
    let per_action = |n: u64| n as f64 / args.actions as f64;
    let s3_per_action = per_action(s3_of(None));
    let mut by_operation = std::collections::BTreeMap::<String, u64>::new();
    for (principal, service, operation, n) in &requests {
        if service == "s3" {
            *by_operation.entry(format!("{principal} {operation}")).or_insert(0) += n;
        }
    }

    let rate = summary["achieved_rate_per_second"].as_f64().unwrap_or(0.0);
    let budget = 80.0 * args.budget_share;
    let count = |metrics: &Value, field: &str| metrics["labels"]["Light"][field].as_f64().unwrap_or(0.0);
    let zoom_requests = count(&after, "requests") - count(&before, "requests");
    let throttled = count(&after, "throttled_per_second") - count(&before, "throttled_per_second");
    let share_429 = if zoom_requests > 0.0 { throttled / zoom_requests } else { 0.0 };
    let peak = after["labels"]["Light"]["peak_window"].as_f64().unwrap_or(0.0);
    let limit = after["limits"]["Light"]["per_window"].as_f64().unwrap_or(80.0);
    println!(
        "{}: {} actions in {} invocations, {:.1} s, {rate:.1}/s = {:.3} x budget {budget:.0}/s, \
         429s {throttled} of {zoom_requests} Light requests, busiest second {peak} (limit {limit}), outcomes {}",
        args.label,
        args.actions,
        drained.invocations,
        summary["duration_seconds"].as_f64().unwrap_or(0.0),
        rate / budget,
        summary["by_outcome"]
    );
    println!(
        "S3 requests: {s3_per_action:.3} per action (planner {:.3}, executors {:.3}, watcher {:.3}); by operation {by_operation:?}",
        per_action(s3_of(Some("planner"))),
        per_action(s3_of(Some("executor"))),
        per_action(s3_of(Some("watcher"))),
    );
    let fast = rate / budget >= args.min_ratio && share_429 <= 0.01 && peak <= limit;
    println!(
        "{} {}, batches of {}: {:.3} x budget, 429s {:.2}%, busiest second {peak} of {limit} \
         (targets >= {} x, <= 1%, never above the limit)",
        if fast { "PASS" } else { "MISS" },
        args.label,
        args.batch_size,
        rate / budget,
        share_429 * 100.0,
        args.min_ratio
    );
    println!(
        "{} S3 requests per action, {} actions: {s3_per_action:.3} (target <= {})",
        if s3_per_action <= args.max_s3_per_action { "PASS" } else { "MISS" },
        args.actions,
        args.max_s3_per_action
    );
    if let Some(path) = args.json {
        let figures = json!({"actions": args.actions, "instances": args.instances, "invocations": drained.invocations,
                             "rate": rate, "budget": budget, "ratio": rate / budget, "requests": zoom_requests,
                             "throttled": throttled, "peak_window": peak, "limit": limit,
                             "s3_per_action": s3_per_action, "s3_by_operation": by_operation, "summary": summary});
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
