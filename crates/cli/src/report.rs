//! `offboard report RUN --html FILE`: one self-contained page for a finished run, from
//! the bucket (`--bucket`) or a local run. The page itself is rendered by the pure
//! `offboard_core::html_report`.

use std::path::Path;

use jiff::Timestamp;
use offboard_core::html_report::{render_run_report, RunReportInput};
use offboard_core::summary::RunSummary;
use offboard_core::{ActionResult, Plan};
use offboard_pipeline::keys;

use crate::args::ZoomArgs;
use crate::exit::{write_file, Exit};
use crate::local::LocalRun;

pub async fn report_command(args: &ZoomArgs, run_id: &str, html: &Path, bucket: Option<&str>) -> Result<Exit, Exit> {
    let (summary, results, plan, plan_key): (RunSummary, Vec<ActionResult>, Option<Plan>, String) = match bucket {
        Some(bucket) => {
            let store = crate::bucket::store(bucket).await;
            let Some(summary) = store.get_optional(&keys::summary_key(run_id)).await? else {
                return Err(Exit::input(format!(
                    "run {run_id} has no summary in s3://{bucket}/{}: it is unknown or still running",
                    keys::summary_key(run_id)
                )));
            };
            let summary = serde_json::from_slice(&summary)
                .map_err(|e| Exit::input(format!("s3://{bucket}/{}: {e}", keys::summary_key(run_id))))?;
            let results = offboard_pipeline::ledger::run_results(&store, run_id).await?;
            let plan = match store.get_optional(&keys::plan_key(run_id)).await? {
                Some(bytes) => serde_json::from_slice(&bytes).ok(),
                None => None,
            };
            (summary, results, plan, format!("s3://{bucket}/{}", keys::plan_key(run_id)))
        }
        None => {
            let run = LocalRun::open(&args.state_dir, run_id)?;
            let Some(summary) = run.summary()? else {
                return Err(Exit::input(format!(
                    "local run {run_id} has not finished (no {}); finish it with `offboard apply --resume {run_id}`",
                    run.path("summary.json").display()
                )));
            };
            (summary, run.results()?, Some(run.plan()?), run.path("plan.json").display().to_string())
        }
    };
    let generated_at = Timestamp::now().to_string();
    let page = render_run_report(&RunReportInput {
        summary: &summary,
        results: &results,
        plan: plan.as_ref(),
        plan_key: Some(&plan_key),
        backup_key: None,
        generated_at: &generated_at,
    });
    write_file(html, page.as_bytes())?;
    say!("Report of run {run_id} ({} actions): {}", summary.terminal, html.display());
    crate::output::print_json(&serde_json::json!({
        "run_id": run_id,
        "html": html.display().to_string(),
        "actions": summary.terminal,
    }))?;
    Ok(Exit::ok())
}
