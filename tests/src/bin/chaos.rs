//! `make chaos`: the chaos run (see `offboard_e2e::chaos`) at full size. Prints what
//! happened and ends with `planned=N terminal=N applied_twice=A lost=L dlq=K`; exits
//! non-zero unless every action ended in exactly one outcome.

use std::time::Duration;

use clap::Parser;
use offboard_e2e::chaos::{run, ChaosOptions};

#[derive(Parser)]
struct Args {
    /// Actions to plan and execute.
    #[arg(long, default_value_t = 5000)]
    actions: usize,
    /// Times the executor process is killed mid-batch.
    #[arg(long, default_value_t = 3)]
    kills: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Give up on draining the queue after this many seconds.
    #[arg(long, default_value_t = 1500)]
    within_seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = ChaosOptions {
        actions: args.actions,
        kills: args.kills,
        seed: args.seed,
        within: Duration::from_secs(args.within_seconds),
    };
    // Ctrl-C drops the run, and with it every process of the local stack.
    let report = tokio::select! {
        report = run(&options) => report?,
        _ = tokio::signal::ctrl_c() => anyhow::bail!("interrupted; the local stack is stopped"),
    };
    println!(
        "chaos: {} invocations, executor killed {} times, {} results on a later claim, outcomes {:?}, {} summary, {} notification, {:.0} s",
        report.invocations, report.kills, report.retried, report.outcomes, report.summaries, report.notifications, report.seconds
    );
    let failures = report.failures(&options);
    for failure in &failures {
        println!("FAIL: {failure}");
    }
    println!("{}", report.line());
    if !failures.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
