//! `make bench`: the planner end to end on a large account: its time and its peak memory.
//!
//! Starts the local stack with `--users` simulated users, uploads a roster naming
//! `--rows` of them, delivers the S3 event to the real planner binary (under cargo-lambda's
//! emulator) and reads the planner process's peak resident memory (`VmHWM`) once it has
//! listed and backed up the account, decided and written the plan (held for approval, as
//! any plan that size is: nothing is sent).

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
    #[arg(long)]
    json: Option<std::path::PathBuf>,
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
    println!(
        "planner: {} users, {}-row roster: {} in {seconds:.1} s ({} actions), peak {peak:.0} MB (idle {idle_mb:.0} MB)",
        args.users, args.rows, report["result"], report["actions"]
    );
    let verdict = if peak <= args.max_mb { "PASS" } else { "MISS" };
    println!("{verdict} planner peak memory {peak:.0} MB (target <= {} MB)", args.max_mb);
    if let Some(path) = args.json {
        let figures = json!({"users": args.users, "rows": args.rows, "seconds": seconds, "peak_mb": peak,
                             "idle_mb": idle_mb, "result": report["result"]});
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    Ok(())
}
