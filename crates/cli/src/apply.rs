//! `offboard apply` (and `sweep --apply`, and a local `undo`): a plan carried out from
//! the operator's machine, with the executor's checks and outcome rules, a local ledger
//! of one result per action, a confirmation that makes the operator type the count, a
//! progress bar, and a clean stop on Ctrl-C.
//!
//! Resuming never repeats an action: an action with a result is not called again, and an
//! action whose call may have reached Zoom before a hard stop (its `started` mark without
//! a result) is looked up first, and recorded as already done if Zoom shows it done.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use offboard_core::summary::{report_csv, summarize, RunSummary};
use offboard_core::{Action, ActionKind, ActionResult, Findings, Outcome, Plan, PlanSource, Policy};
use offboard_pipeline::executor::{action_result, final_outcome, perform, shows_change, Attempt};
use offboard_pipeline::input::{assemble_plan, executor_pace, PlanHeader, ReadInput};
use offboard_pipeline::keys::undo_run_id;
use offboard_zoom::{ErrorKind, ZoomClient, ZoomError};

use crate::args::{ApplyArgs, ConfirmArgs, ZoomArgs};
use crate::exit::{self, Exit};
use crate::local::{write_atomically, LocalRun};
use crate::planning::{local_run_id, plan_for, read_input, PlanInput};
use crate::{backup, output};

/// Tries of one action when Zoom keeps answering with transient errors (the client has
/// already retried each call); then the action is recorded as `gave_up`.
const ACTION_ATTEMPTS: usize = 4;

pub async fn apply_command(args: &ZoomArgs, apply: &ApplyArgs) -> Result<Exit, Exit> {
    match (&apply.resume, &apply.roster) {
        (Some(run_id), _) => {
            let run = LocalRun::open(&args.state_dir, run_id)?;
            let plan = run.plan()?;
            let zoom = args.zoom().await?;
            execute(&zoom, &run, &plan, apply.confirm, apply.concurrency).await
        }
        (None, Some(roster)) => {
            let input = PlanInput::Roster { path: roster, hr: apply.hr };
            plan_and_apply(args, &input, apply.confirm, apply.concurrency).await
        }
        (None, None) => Err(Exit::input("apply needs --roster FILE or --resume RUN")),
    }
}

/// Reads and validates the input, backs up the account, plans, then executes.
pub async fn plan_and_apply(
    args: &ZoomArgs,
    input: &PlanInput<'_>,
    confirm: ConfirmArgs,
    concurrency: usize,
) -> Result<Exit, Exit> {
    let now = Timestamp::now();
    let mut policy = args.policy()?;
    // Validated before Zoom is asked anything: a bad file changes nothing.
    let file = read_input(input, &mut policy, now)?;
    let zoom = args.zoom().await?;
    let run_id = local_run_id(&file, now);
    let run = LocalRun::create(&args.state_dir, &run_id)?;
    let account = backup::read_account(&zoom, "backing up").await?;
    let backup_dir = run.path("backup");
    backup::write_backup(&backup_dir, &account, now)?;
    let plan = plan_for(file, &account, &policy, &zoom, &run_id, &backup_dir.display().to_string(), now);
    run.write_json("plan.json", &plan)?;
    write_atomically(&run.path("plan.csv"), &offboard_core::report::plan_csv(&plan))?;
    eprint!("{}", offboard_core::report::plan_summary(&plan));
    eprintln!("Plan, row by row: {}\n", run.path("plan.csv").display());
    execute(&zoom, &run, &plan, confirm, concurrency).await
}

/// `offboard undo RUN` for a local run: restores what the run's results say it changed.
pub async fn undo_local_command(args: &ZoomArgs, of: &str, confirm: ConfirmArgs) -> Result<Exit, Exit> {
    let original = LocalRun::open(&args.state_dir, of)?;
    if original.summary()?.is_none() {
        return Err(Exit::input(format!(
            "run {of} has not finished (no {}); finish it with `offboard apply --resume {of}` first",
            original.path("summary.json").display()
        )));
    }
    let results = original.results()?;
    let zoom = args.zoom().await?;
    let now = Timestamp::now();
    let run_id = undo_run_id(of);
    let run = LocalRun::create(&args.state_dir, &run_id)?;
    if run.path("plan.json").is_file() {
        // Planned before: resume it rather than plan against what it already restored.
        let plan = run.plan()?;
        return execute(&zoom, &run, &plan, confirm, 8).await;
    }
    let account = backup::read_account(&zoom, "backing up").await?;
    let backup_dir = run.path("backup");
    backup::write_backup(&backup_dir, &account, now)?;
    let header = PlanHeader {
        run_id: run_id.clone(),
        kind: PlanSource::Undo,
        source: format!("undo of local run {of}"),
        created_at: now.to_string(),
        backup_key: backup_dir.display().to_string(),
        uploaded_by: None,
    };
    let read = ReadInput { format: "undo".to_string(), undo: results, ..ReadInput::default() };
    // An undo restores what its run changed: no policy decides it.
    let plan = assemble_plan(header, read, &account, &Policy::default(), executor_pace(&zoom));
    run.write_json("plan.json", &plan)?;
    eprint!("{}", offboard_core::report::plan_summary(&plan));
    execute(&zoom, &run, &plan, confirm, 8).await
}

/// Carries out the plan's actions that have no result yet.
async fn execute(
    zoom: &Arc<ZoomClient>,
    run: &LocalRun,
    plan: &Plan,
    confirm: ConfirmArgs,
    concurrency: usize,
) -> Result<Exit, Exit> {
    let _lock = run.lock()?;
    let recorded = run.recorded_ids()?;
    let pending: Vec<&Action> = plan.body.actions.iter().filter(|a| !recorded.contains(a.action_id.as_str())).collect();
    if !pending.is_empty() {
        let approved = run.path("approval.json").is_file();
        if let (Some(hold), false) = (&plan.body.hold, confirm.approve_hold || approved) {
            eprintln!("Held for approval: {}", hold.reason);
            eprintln!("Nothing was changed. To go ahead: offboard apply --resume {} --approve-hold", run.run_id);
            output::print_json(&serde_json::json!({
                "run_id": run.run_id,
                "state": "held",
                "detail": hold.reason,
                "planned": plan.body.actions.len(),
                "resume": format!("offboard apply --resume {} --approve-hold", run.run_id),
            }))?;
            return Ok(Exit::with_code(exit::HELD));
        }
        if plan.body.hold.is_some() && !approved {
            // The approval holds for the run's resumptions too.
            let approval = serde_json::json!({
                "approved_by": std::env::var("USER").ok(),
                "approved_at": Timestamp::now().to_string(),
            });
            run.write_json("approval.json", &approval)?;
        }
        if !confirm.yes {
            confirm_count(&pending, &run.run_id)?;
        }
        let stopped =
            run_actions(zoom, run, &plan.run_id, &pending, concurrency, recorded.len(), plan.body.actions.len())
                .await?;
        if stopped {
            let done = run.recorded_ids()?.len();
            return Err(Exit::failure(
                exit::INTERRUPTED,
                format!(
                    "stopped after the calls in flight: {done} of {} actions have a result. \
                     Continue with: offboard apply --resume {}",
                    plan.body.actions.len(),
                    run.run_id
                ),
            ));
        }
    }
    finish(run, plan)
}

/// Asks the operator to type the number of users to be acted on.
fn confirm_count(pending: &[&Action], run_id: &str) -> Result<(), Exit> {
    let mut by_kind = std::collections::BTreeMap::new();
    for action in pending {
        *by_kind.entry(action.kind().as_str()).or_insert(0usize) += 1;
    }
    let what: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let prompt = format!("Run {run_id} will act on {} users in Zoom: {}.", pending.len(), what.join(", "));
    output::confirm_count(&prompt, pending.len())
}

/// Runs the actions with a progress bar; `true` when Ctrl-C stopped it early.
pub async fn run_actions(
    zoom: &Arc<ZoomClient>,
    run: &LocalRun,
    run_id: &str,
    pending: &[&Action],
    concurrency: usize,
    already: usize,
    total: usize,
) -> Result<bool, Exit> {
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn({
        let stop = stop.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                eprintln!("\nStopping after the calls in flight (Ctrl-C again to quit at once)...");
                if tokio::signal::ctrl_c().await.is_ok() {
                    // The `started` marks make a resume look before it acts again.
                    std::process::exit(i32::from(exit::INTERRUPTED));
                }
            }
        }
    });
    let bar = ProgressBar::new(total as u64).with_position(already as u64);
    bar.set_style(
        ProgressStyle::with_template("{wide_bar} {pos}/{len} {per_sec} ETA {eta} | {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let today = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut counts = std::collections::BTreeMap::<&'static str, usize>::new();
    let mut outcomes = futures::stream::iter(pending.iter().copied())
        .map(|action| {
            let stop = stop.clone();
            async move {
                if stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
                execute_one(zoom, run, run_id, action, today).await.map(Some)
            }
        })
        .buffer_unordered(concurrency.max(1));
    let mut failure = None;
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(Some(label)) => {
                *counts.entry(label).or_insert(0) += 1;
                bar.inc(1);
                bar.set_message(output::counts_line(&counts));
            }
            Ok(None) => {}
            Err(error) => {
                // A ledger write failed: stop starting actions, let the others finish.
                stop.store(true, Ordering::SeqCst);
                failure.get_or_insert(error);
            }
        }
    }
    bar.finish_and_clear();
    watcher.abort();
    if let Some(error) = failure {
        return Err(error);
    }
    Ok(stop.load(Ordering::SeqCst))
}

/// One action: the checks, the change, one recorded result; its outcome's label.
async fn execute_one(
    zoom: &ZoomClient,
    run: &LocalRun,
    run_id: &str,
    action: &Action,
    today: jiff::civil::Date,
) -> Result<&'static str, Exit> {
    let started_at = Timestamp::now().to_string();
    let attempt = |number: usize| Attempt { number: number as u32, started_at: started_at.clone() };
    if run.was_started(&action.action_id) {
        if let Some(outcome) = already_applied(zoom, action).await {
            let result = action_result(run_id, action, attempt(1), outcome, None, Findings::default(), None);
            run.record(&result)?;
            return Ok(result.outcome.label());
        }
    }
    run.mark_started(&action.action_id)?;
    let tries = std::sync::atomic::AtomicUsize::new(0);
    let performed = (|| async {
        tries.fetch_add(1, Ordering::SeqCst);
        let mut findings = Findings::default();
        let mut performed = None;
        let called = perform(zoom, action, today, &mut findings, &mut performed).await;
        match called {
            Ok(skipped) => Ok((skipped.unwrap_or(Outcome::Done), None, findings, performed)),
            Err(error) => match final_outcome(&error) {
                Some(outcome) => Ok((outcome, error.zoom_message().map(str::to_string), findings, performed)),
                None => Err(error),
            },
        }
    })
    .retry(ExponentialBuilder::default().with_min_delay(Duration::from_millis(500)).with_max_times(ACTION_ATTEMPTS - 1))
    .when(|error: &ZoomError| !matches!(error.kind(), ErrorKind::Fatal))
    .await;
    let tries = tries.load(Ordering::SeqCst);
    let result = match performed {
        Ok((outcome, zoom_message, findings, performed)) => {
            action_result(run_id, action, attempt(tries), outcome, performed, findings, zoom_message)
        }
        // The app's credentials or the account, not this action: stop, record nothing, so
        // a resume after the fix carries the action out.
        Err(error) if error.kind() == ErrorKind::Fatal => return Err(error.into()),
        Err(error) => {
            let outcome = Outcome::GaveUp { attempts: tries as u32, reason: error.to_string() };
            action_result(run_id, action, attempt(tries), outcome, None, Findings::default(), None)
        }
    };
    run.record(&result)?;
    Ok(result.outcome.label())
}

/// Whether Zoom already shows the action's change (made before a hard stop); `None` when
/// it does not, or cannot tell.
async fn already_applied(zoom: &ZoomClient, action: &Action) -> Option<Outcome> {
    let done = Outcome::AlreadyDone { http_status: 200, code: 0 };
    match zoom.get_user(&action.user_id).await {
        Ok(user) => shows_change(&action.change, &user).then_some(done),
        Err(error) if error.kind() == ErrorKind::AlreadyGone && action.kind() == ActionKind::Delete => {
            Some(Outcome::AlreadyDone { http_status: 404, code: 1001 })
        }
        Err(_) => None,
    }
}

/// Every action has its result: the summary and report, and the exit code.
fn finish(run: &LocalRun, plan: &Plan) -> Result<Exit, Exit> {
    let (summary, results) = summarize_run(run, plan)?;
    say!("Run {} finished: {}", plan.run_id, output::counts_line(&output::outcome_counts(&results)));
    for (reason, count) in &summary.by_reason {
        say!("  {count:>6}  {reason}");
    }
    say!(
        "{} actions in {:.1} s ({:.1}/s). Report: {}",
        summary.terminal,
        summary.duration_seconds,
        summary.achieved_rate_per_second,
        run.path("report.csv").display()
    );
    say!("HTML report: offboard report {} --html report.html", plan.run_id);
    output::print_json(&serde_json::json!({
        "run_id": plan.run_id,
        "state": "finished",
        "planned": plan.body.actions.len(),
        "outcomes": output::outcome_counts(&results),
        "by_reason": summary.by_reason,
        "duration_seconds": summary.duration_seconds,
        "achieved_rate_per_second": summary.achieved_rate_per_second,
        "report_csv": run.path("report.csv").display().to_string(),
        "run_dir": run.dir.display().to_string(),
    }))?;
    Ok(if output::any_failed(&results) { Exit::with_code(exit::SOME_FAILED) } else { Exit::ok() })
}

/// The run's summary (written once, with `report.csv`) and its results.
pub fn summarize_run(run: &LocalRun, plan: &Plan) -> Result<(RunSummary, Vec<ActionResult>), Exit> {
    let results = run.results()?;
    let summary = match run.summary()? {
        Some(summary) => summary,
        None => {
            let report = run.path("report.csv");
            write_atomically(&report, &report_csv(&results))?;
            let summary = summarize(
                &plan.run_id,
                plan.body.actions.len(),
                &results,
                &report.display().to_string(),
                Timestamp::now(),
            );
            run.write_json("summary.json", &summary)?;
            summary
        }
    };
    Ok((summary, results))
}
