//! `offboard runs`: the runs there are, newest first, each with where it stands, from the
//! stack's bucket or from the local state directory. A row is built from the few small
//! objects a run's state is told by (its summary, error, header), never from its results,
//! so listing costs a handful of requests per run, however large the runs are.

use std::collections::BTreeMap;
use std::path::Path;

use offboard_core::summary::RunSummary;
use offboard_core::Plan;
use offboard_pipeline::completion::RunHeader;
use offboard_pipeline::keys;
use serde::Serialize;

use crate::bucket::store;
use crate::exit::{self, Exit};
use crate::local::LocalRun;
use crate::output;

/// One run, as `offboard runs` lists it: the same fields in JSON, CSV and the table.
#[derive(Debug, Serialize)]
pub struct RunRow {
    pub run_id: String,
    /// When the run started, as its id tells (`20261122T101500Z` in ISO 8601); `null` when
    /// the id holds no time.
    pub started: Option<String>,
    /// `finished`, `running`, `held`, `planned` (made, not yet sent), `stopped` (a local
    /// run with results and no summary: resume it), or `refused` (its input was refused).
    pub state: &'static str,
    /// Actions planned; `null` for a refused input.
    pub planned: Option<usize>,
    /// Results by outcome (`done`, `failed`, ...), when the run has finished.
    pub outcomes: BTreeMap<String, usize>,
}

/// `offboard runs [--bucket B] [--limit N]`.
pub async fn runs_command(state_dir: &Path, bucket: Option<&str>, limit: usize) -> Result<Exit, Exit> {
    let mut rows = match bucket {
        Some(bucket) => bucket_runs(bucket, limit).await?,
        None => local_runs(state_dir)?,
    };
    sort_newest_first(&mut rows);
    rows.truncate(limit);
    let header = ["run_id", "started", "state", "planned", "outcomes"];
    let cells = |row: &RunRow| {
        vec![
            row.run_id.clone(),
            row.started.clone().unwrap_or_default(),
            row.state.to_string(),
            row.planned.map(|n| n.to_string()).unwrap_or_default(),
            row.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
        ]
    };
    match output::format() {
        crate::args::Format::Json => output::print_json(&serde_json::json!({ "runs": rows }))?,
        crate::args::Format::Csv => print!("{}", output::csv(&header, &rows.iter().map(cells).collect::<Vec<_>>())),
        crate::args::Format::Table if rows.is_empty() => println!("No runs."),
        crate::args::Format::Table => print!("{}", output::table(&header, &rows.iter().map(cells).collect::<Vec<_>>())),
    }
    Ok(Exit::ok())
}

/// The time in a run id (`local-20261122T101500Z-…`, `sweep-20261122T…`), as ISO 8601.
fn started_of(run_id: &str) -> Option<String> {
    run_id.split('-').find_map(|part| {
        let civil = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", part).ok()?;
        Some(civil.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    })
}

fn sort_newest_first(rows: &mut [RunRow]) {
    rows.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| b.run_id.cmp(&a.run_id)));
}

fn outcomes_of(summary: &RunSummary) -> BTreeMap<String, usize> {
    summary.by_outcome.clone()
}

/// The runs under `runs/` of the bucket. Run ids sort by time within each kind, so only the
/// newest `limit` of all are read beyond the listing.
async fn bucket_runs(bucket: &str, limit: usize) -> Result<Vec<RunRow>, Exit> {
    let store = store(bucket).await;
    let mut ids: Vec<String> = store
        .list_folders("runs/")
        .await?
        .into_iter()
        .filter_map(|folder| folder.strip_prefix("runs/")?.strip_suffix('/').map(str::to_string))
        .filter(|id| !id.is_empty())
        .collect();
    ids.sort_by(|a, b| started_of(b).cmp(&started_of(a)).then_with(|| b.cmp(a)));
    ids.truncate(limit);
    let mut rows = Vec::with_capacity(ids.len());
    for run_id in ids {
        let started = started_of(&run_id);
        let row = |state, planned, outcomes| RunRow {
            run_id: run_id.clone(),
            started: started.clone(),
            state,
            planned,
            outcomes,
        };
        if let Some(bytes) = store.get_optional(&keys::summary_key(&run_id)).await? {
            let summary: RunSummary = parse(&store.uri(&keys::summary_key(&run_id)), &bytes)?;
            rows.push(row("finished", Some(summary.planned), outcomes_of(&summary)));
        } else if store.exists(&keys::error_key(&run_id)).await? {
            rows.push(row("refused", None, BTreeMap::new()));
        } else if let Some(bytes) = store.get_optional(&keys::run_header_key(&run_id)).await? {
            let header: RunHeader = parse(&store.uri(&keys::run_header_key(&run_id)), &bytes)?;
            rows.push(row("running", Some(header.actions), BTreeMap::new()));
        } else if let Some(bytes) = store.get_optional(&keys::plan_key(&run_id)).await? {
            // Made, not sent: held for approval, or being sent this moment.
            let plan: Plan = parse(&store.uri(&keys::plan_key(&run_id)), &bytes)?;
            let state = if plan.body.hold.is_some() { "held" } else { "planned" };
            rows.push(row(state, Some(plan.body.actions.len()), BTreeMap::new()));
        }
        // A folder with none of these holds no run (yet): nothing to list.
    }
    Ok(rows)
}

/// The runs under the local state directory: each folder with a `plan.json`.
fn local_runs(state_dir: &Path) -> Result<Vec<RunRow>, Exit> {
    let entries = match std::fs::read_dir(state_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Exit::failure(exit::COULD_NOT_RUN, format!("{}: {e}", state_dir.display()))),
    };
    let mut rows = Vec::new();
    for entry in entries.flatten() {
        let Some(run_id) = entry.file_name().to_str().map(str::to_string) else { continue };
        if !entry.path().join("plan.json").is_file() {
            continue;
        }
        let run = LocalRun::open(state_dir, &run_id)?;
        let plan = run.plan()?;
        let summary = run.summary()?;
        let results = run.recorded_ids()?.len();
        let (state, outcomes) = match &summary {
            Some(summary) => ("finished", outcomes_of(summary)),
            None if results > 0 => ("stopped", BTreeMap::new()),
            None if plan.body.hold.is_some() => ("held", BTreeMap::new()),
            None => ("planned", BTreeMap::new()),
        };
        let started = started_of(&run_id);
        rows.push(RunRow { run_id, started, state, planned: Some(plan.body.actions.len()), outcomes });
    }
    Ok(rows)
}

fn parse<T: serde::de::DeserializeOwned>(uri: &str, bytes: &[u8]) -> Result<T, Exit> {
    serde_json::from_slice(bytes).map_err(|e| Exit::input(format!("{uri}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_in_a_run_id_is_read_whatever_its_prefix() {
        assert_eq!(started_of("20261122T101500Z-3f9a1c2e").as_deref(), Some("2026-11-22T10:15:00Z"));
        assert_eq!(started_of("sweep-local-20261201T000000Z-90d").as_deref(), Some("2026-12-01T00:00:00Z"));
        assert_eq!(started_of("undo-of-something"), None);
    }

    #[test]
    fn newest_runs_come_first_and_runs_without_a_time_last() {
        let row = |id: &str| RunRow {
            run_id: id.to_string(),
            started: started_of(id),
            state: "finished",
            planned: Some(1),
            outcomes: BTreeMap::new(),
        };
        let mut rows = vec![row("20261122T101500Z-a"), row("odd"), row("local-20261201T000000Z-b")];
        sort_newest_first(&mut rows);
        let ids: Vec<&str> = rows.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids, ["local-20261201T000000Z-b", "20261122T101500Z-a", "odd"]);
    }
}
