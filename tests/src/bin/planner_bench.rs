//! `make bench`: the planner end to end on a large account: its time and its peak memory.
//!
//! Starts the local stack with `--users` simulated users, uploads a roster naming
//! `--rows` of them, delivers the S3 event to the real planner binary (under cargo-lambda's
//! emulator) and reads the planner process's peak resident memory (`VmHWM`) once it has
//! listed and backed up the account, decided and written the plan (held for approval, as
//! any plan that size is: nothing is sent). The planner's own log line says how long
//! each phase took, so its own time can be told from the listing's (Zoom's rate limit).

use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use offboard_e2e::{LocalStack, StackOptions};
use serde_json::json;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    #[arg(long, default_value_t = 100_000)]
    rows: usize,
    #[arg(long, default_value_t = 256.0)]
    max_mb: f64,
    /// A minute for a 100,000-user account: well inside Lambda's 15 minutes.
    #[arg(long, default_value_t = 60.0)]
    max_seconds: f64,
    /// A target for the planner's time without the listing (which is Zoom's rate limit).
    #[arg(long)]
    max_own_seconds: Option<f64>,
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// The fields of the planner's last `planner phases` log line.
fn planner_phases(logs: &str) -> Option<serde_json::Value> {
    logs.lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "planner phases")
        .map(|line| line["fields"].clone())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stack = LocalStack::start(StackOptions { users: args.users, seed: 5, ..StackOptions::default() }).await?;
    let users = stack.sim_users().await?;
    let mut roster = String::from("email\n");
    for user in users.iter().cycle().take(args.rows) {
        roster.push_str(user["email"].as_str().unwrap_or(""));
        roster.push('\n');
    }
    stack.upload("inbox/everyone.csv", roster.into_bytes()).await?;
    let idle_mb = stack.planner_peak_mb()?;
    let started = Instant::now();
    let responses = stack.deliver_s3_events().await?;
    let seconds = started.elapsed().as_secs_f64();
    let report = responses
        .iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
        .find(|r| r["result"] != "ignored")
        .context("the planner produced no report")?;
    let peak = stack.planner_peak_mb()?;
    let phases = planner_phases(&stack.function_logs()?).context("the planner logged no \"planner phases\" line")?;
    let ms = |name: &str| phases[name].as_u64().unwrap_or(0) as f64 / 1000.0;
    let (listing, own) = (ms("listing_ms"), ms("backup_ms") + ms("decide_ms") + ms("write_ms"));
    println!(
        "planner: {} users, {}-row roster: {} in {seconds:.1} s ({} actions), peak {peak:.0} MB (idle {idle_mb:.0} MB); \
         listing {listing:.1} s, backup {:.1} s, decide {:.1} s, plan outputs {:.1} s",
        args.users,
        args.rows,
        report["result"],
        report["actions"],
        ms("backup_ms"),
        ms("decide_ms"),
        ms("write_ms")
    );
    let verdict = |met: bool| if met { "PASS" } else { "MISS" };
    println!(
        "{} planner peak memory on {} users {peak:.0} MB (target <= {} MB)",
        verdict(peak <= args.max_mb),
        args.users,
        args.max_mb
    );
    println!(
        "{} planner end to end (list and back up {} users, decide, write the plan): {seconds:.1} s (target <= {} s)",
        verdict(seconds <= args.max_seconds),
        args.users,
        args.max_seconds
    );
    if let Some(max_own) = args.max_own_seconds {
        println!(
            "{} planner's own time on {} users, listing excluded (backup, decide, plan outputs): {own:.1} s (target <= {max_own} s)",
            verdict(own <= max_own),
            args.users
        );
    }
    if let Some(path) = args.json {
        let figures = json!({"users": args.users, "rows": args.rows, "seconds": seconds, "peak_mb": peak,
                             "idle_mb": idle_mb, "result": report["result"], "listing_seconds": listing,
                             "own_seconds": own, "phases": phases});
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
