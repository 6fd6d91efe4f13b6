//! `make stack`: the whole local stack, running until Ctrl-C, for a person to try Offboard
//! with their own files and their own AWS tools, without an AWS account.
//!
//! Starts what `make demo` starts (moto's server under the template's IAM, zoom-sim, the
//! three Lambda binaries under cargo-lambda's emulator), prints the endpoint, the bucket,
//! the region, an operator's credentials and commands to paste, then does what AWS would
//! do while it runs: S3 notifications to the planner, the action queue's batches to the
//! executor (at the event source mapping's concurrency), the watcher on its schedule, a
//! sweep when asked (`kill -USR1`), and every notification the topic publishes printed
//! here. Ctrl-C stops everything it started and removes its logs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use offboard_e2e::{AccountArgs, LocalStack, Principal, StackOptions, BUCKET};
use serde_json::{json, Value};
use tokio::signal::unix::{signal, SignalKind};

/// Run the local stack until Ctrl-C.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    account: AccountArgs,
    /// Load the simulated account from an `offboard backup` folder instead.
    #[arg(long, value_name = "DIR")]
    from_backup: Option<PathBuf>,
    /// How often the watcher looks for finished runs, as its schedule does (every minute
    /// when deployed).
    #[arg(long, default_value_t = 5)]
    watch_every_seconds: u64,
    /// Executor instances the action queue's batches go to at once; the event source
    /// mapping's maximum concurrency in the synthesized template when not given.
    #[arg(long)]
    executors: Option<usize>,
}

/// The action queue's event source mapping as the synthesized template declares it: its
/// maximum concurrency and batch size.
fn event_source_mapping() -> anyhow::Result<(usize, usize)> {
    let path = offboard_e2e::template_path()?;
    let template: Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let mapping = template["Resources"]
        .as_object()
        .and_then(|resources| resources.values().find(|r| r["Type"] == "AWS::Lambda::EventSourceMapping"))
        .with_context(|| format!("{}: no event source mapping", path.display()))?;
    let number = |value: &Value, what: &str| {
        value
            .as_u64()
            .map(|n| n as usize)
            .with_context(|| format!("{}: the event source mapping has no {what}", path.display()))
    };
    let concurrency = number(&mapping["Properties"]["ScalingConfig"]["MaximumConcurrency"], "maximum concurrency")?;
    let batch_size = number(&mapping["Properties"]["BatchSize"], "batch size")?;
    Ok((concurrency, batch_size))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let what = match &args.from_backup {
        Some(dir) => format!("loaded from {}", dir.display()),
        None => format!("{} users, seed {}", args.account.users, args.account.seed),
    };
    let (concurrency, batch_size) = event_source_mapping()?;
    let executors = args.executors.unwrap_or(concurrency).max(1);
    println!(
        "Starting the local stack: moto, zoom-sim ({what}), the planner, {executors} executors (batches of \
         {batch_size}) and the watcher under cargo-lambda..."
    );
    let options = StackOptions {
        users: args.account.users,
        seed: args.account.seed,
        from_backup: args.from_backup.clone(),
        executors: Some(executors),
        batch_size: Some(batch_size),
        ..StackOptions::default()
    };
    let stack = LocalStack::start(options).await?;
    let logs = stack.logs_dir().to_path_buf();
    print_session(&stack)?;

    let outcome = serve(&stack, Duration::from_secs(args.watch_every_seconds.max(1))).await;
    println!("\nStopping: the functions, zoom-sim and moto; removing {}", logs.display());
    drop(stack);
    std::fs::remove_dir_all(&logs).with_context(|| format!("removing {}", logs.display()))?;
    println!("Stopped.");
    outcome
}

/// What a person needs to use the stack from another terminal.
fn print_session(stack: &LocalStack) -> anyhow::Result<()> {
    let env = stack.env_of(Principal::Operator)?;
    let get = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let endpoint = get("AWS_ENDPOINT_URL");
    let exports: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let binary = offboard_e2e::bin_dir().join("offboard");
    let here = std::env::current_dir()?;
    let offboard = match binary.strip_prefix(&here) {
        Ok(relative) => format!("./{}", relative.display()),
        Err(_) => binary.display().to_string(),
    };
    let pid = std::process::id();
    println!(
        r#"
Ready. The stack's AWS (S3, SQS, SNS, SSM, IAM as the template grants it):
  endpoint  {endpoint}
  region    {region}
  bucket    {BUCKET}
  Zoom      {zoom} (zoom-sim)
The credentials are an operator's (the stack's OperatorRole: uploads to inbox/, approvals,
status, undo). In another terminal:

  export {exports}
  aws --endpoint-url $AWS_ENDPOINT_URL s3 cp examples/roster.csv s3://{BUCKET}/inbox/
  {offboard} runs
  {offboard} status RUN
  {offboard} approve RUN
  {offboard} report RUN --html report.html
  aws --endpoint-url $AWS_ENDPOINT_URL s3 ls s3://{BUCKET}/runs/RUN/results/
  kill -USR1 {pid}      # run the inactive-user sweep now

moto's S3 events do not say who uploaded a file, so the stack names the uploader by folder,
as different people would be: approvals/ are "approver"'s, cancels "canceller"'s, the rest
"uploader"'s.
Notifications (held plans, refused files, finished runs) are printed here as they come.
Ctrl-C stops everything.
"#,
        region = get("AWS_REGION"),
        zoom = stack.sim.api_url(),
        exports = exports.join(" \\\n         "),
    );
    Ok(())
}

/// Routes events until Ctrl-C: each pass delivers S3 notifications, drains the action
/// queue, lets the watcher look on its schedule, and prints new notifications.
async fn serve(stack: &LocalStack, watch_every: Duration) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut sweep_now = signal(SignalKind::user_defined1())?;
    let mut last_watch = Instant::now();
    loop {
        let pass = async {
            let sweep = sweep_now.recv();
            tokio::select! {
                _ = sweep => {
                    println!("[sweep] started by SIGUSR1");
                    let event = json!({"source": "offboard.scheduler", "detail-type": "Offboard Sweep",
                        "time": jiff::Timestamp::now().to_string(), "detail": {"kind": "sweep"}});
                    report("planner", stack.invoke_planner(&event).await);
                }
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
            route(stack, &mut last_watch, watch_every).await;
        };
        tokio::select! {
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            () = pass => {}
        }
    }
}

async fn route(stack: &LocalStack, last_watch: &mut Instant, watch_every: Duration) {
    if let Err(error) = stack.revive_exited_functions() {
        println!("[stack] a function could not be started again: {error:#}");
    }
    match stack.deliver_s3_events().await {
        Ok(responses) => {
            for response in responses {
                report("planner", Ok(response));
            }
        }
        Err(error) => println!("[planner] delivery failed: {error:#}"),
    }
    match stack.queue_depth(&stack.action_queue_url).await {
        Ok(0) => {}
        Ok(depth) => {
            println!("[executor] {depth} actions queued");
            match stack.drain_actions(Duration::from_secs(3600)).await {
                Ok(stats) => {
                    println!("[executor] {} messages in {} invocations", stats.messages, stats.invocations)
                }
                Err(error) => println!("[executor] failed: {error:#}"),
            }
        }
        Err(error) => println!("[executor] queue unreadable: {error:#}"),
    }
    if last_watch.elapsed() >= watch_every {
        *last_watch = Instant::now();
        match stack.watch().await {
            Ok(answer) => {
                let completed = answer["completed"].as_u64().unwrap_or(0);
                if completed > 0 {
                    println!("[watcher] {completed} runs finished: summary.json and report.csv written");
                }
            }
            Err(error) => println!("[watcher] failed: {error:#}"),
        }
    }
    match stack.topic_notifications().await {
        Ok(notifications) => {
            for notification in notifications {
                print_notification(&notification);
            }
        }
        Err(error) => println!("[notification] unreadable: {error:#}"),
    }
}

/// One line per planner answer: what it did with the file, and the run.
fn report(function: &str, response: anyhow::Result<Value>) {
    match response {
        Ok(Value::Array(reports)) => {
            for r in reports.iter().filter(|r| r["result"] != "ignored") {
                let run = r["run_id"].as_str().unwrap_or("-");
                let detail = r["reason"].as_str().or(r["error"].as_str()).unwrap_or("");
                let line = format!("[{function}] {} run {run} {detail}", r["result"].as_str().unwrap_or("?"));
                println!("{}", line.trim_end());
            }
        }
        Ok(other) => println!("[{function}] {other}"),
        Err(error) => println!("[{function}] failed: {error:#}"),
    }
}

fn print_notification(notification: &Value) {
    let event = notification["MessageAttributes"]["event"]["Value"].as_str().unwrap_or("?");
    let subject = notification["Subject"].as_str().unwrap_or("");
    println!("[notification] {event}: {subject}");
    let message = notification["Message"].as_str().unwrap_or("");
    let shown = match serde_json::from_str::<Value>(message) {
        Ok(mut body) => {
            abbreviate(&mut body);
            serde_json::to_string_pretty(&body).unwrap_or_default()
        }
        Err(_) => message.to_string(),
    };
    for line in shown.lines() {
        println!("    {line}");
    }
}

/// Lists longer than a screen's worth shown by their first items: a run's deferrals can
/// number thousands. A finished run's whole message is its summary.json.
fn abbreviate(value: &mut Value) {
    const SHOWN: usize = 3;
    match value {
        Value::Array(items) => {
            if items.len() > SHOWN {
                let more = items.len() - SHOWN;
                items.truncate(SHOWN);
                items.push(Value::String(format!("... and {more} more")));
            }
            items.iter_mut().for_each(abbreviate);
        }
        Value::Object(fields) => fields.values_mut().for_each(abbreviate),
        _ => {}
    }
}
