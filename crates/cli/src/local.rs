//! A local run's folder: what `offboard apply` keeps so that a run can be resumed,
//! reported and undone from the operator's machine, as the pipeline keeps it in S3.
//!
//! ```text
//! <state-dir>/<run>/plan.json           the plan, written before the first call
//! <state-dir>/<run>/backup/             the account as it was (see `backup`)
//! <state-dir>/<run>/started/<action>    an action's call may have reached Zoom
//! <state-dir>/<run>/results/<action>.json  its one result, written once
//! <state-dir>/<run>/summary.json, report.csv  once every action has its result
//! ```
//! A result is written to a temporary file and hard-linked into place: the link fails if
//! the result exists, so a result is whole and written once, as S3's `If-None-Match: *`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use offboard_core::summary::RunSummary;
use offboard_core::{ActionResult, Plan};
use serde::de::DeserializeOwned;

use crate::args::ZoomArgs;
use crate::exit::{Exit, COULD_NOT_RUN};
use crate::output;

pub struct LocalRun {
    pub dir: PathBuf,
    pub run_id: String,
}

fn io_error(path: &Path, error: std::io::Error) -> Exit {
    Exit::failure(COULD_NOT_RUN, format!("{}: {error}", path.display()))
}

impl LocalRun {
    pub fn create(state_dir: &Path, run_id: &str) -> Result<LocalRun, Exit> {
        let run = LocalRun { dir: state_dir.join(run_id), run_id: run_id.to_string() };
        for dir in [run.dir.join("results"), run.dir.join("started")] {
            std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        }
        Ok(run)
    }

    /// An existing run; the error says where it was looked for.
    pub fn open(state_dir: &Path, run_id: &str) -> Result<LocalRun, Exit> {
        let run = LocalRun { dir: state_dir.join(run_id), run_id: run_id.to_string() };
        if !run.dir.join("plan.json").is_file() {
            return Err(Exit::input(format!(
                "no local run {run_id}: {} does not exist (runs are kept under --state-dir, now {})",
                run.dir.join("plan.json").display(),
                state_dir.display()
            )));
        }
        Ok(run)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn write_json<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<(), Exit> {
        let path = self.path(name);
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| Exit::failure(COULD_NOT_RUN, e.to_string()))?;
        write_atomically(&path, &bytes)
    }

    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T, Exit> {
        read_json(&self.path(name))
    }

    pub fn plan(&self) -> Result<Plan, Exit> {
        self.read_json("plan.json")
    }

    pub fn summary(&self) -> Result<Option<RunSummary>, Exit> {
        let path = self.path("summary.json");
        if path.is_file() {
            read_json(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn results(&self) -> Result<Vec<ActionResult>, Exit> {
        let dir = self.path("results");
        let mut results = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| io_error(&dir, e))? {
            let path = entry.map_err(|e| io_error(&dir, e))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                results.push(read_json(&path)?);
            }
        }
        Ok(results)
    }

    pub fn recorded_ids(&self) -> Result<HashSet<String>, Exit> {
        Ok(self.results()?.into_iter().map(|r| r.action_id).collect())
    }

    /// Notes that the action's call may reach Zoom from now on.
    pub fn mark_started(&self, action_id: &str) -> Result<(), Exit> {
        let path = self.path("started").join(action_id);
        std::fs::write(&path, b"").map_err(|e| io_error(&path, e))
    }

    pub fn was_started(&self, action_id: &str) -> bool {
        self.path("started").join(action_id).exists()
    }

    /// Writes the action's one result; `false` when it was already there.
    pub fn record(&self, result: &ActionResult) -> Result<bool, Exit> {
        let path = self.path("results").join(format!("{}.json", result.action_id));
        let bytes = serde_json::to_vec_pretty(result).map_err(|e| Exit::failure(COULD_NOT_RUN, e.to_string()))?;
        let temporary = self.path("results").join(format!(".{}.{}.tmp", result.action_id, std::process::id()));
        write_synced(&temporary, &bytes)?;
        let linked = std::fs::hard_link(&temporary, &path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io_error(&path, e)),
        }
    }

    /// Takes the run for this process: two applies of one run at once could act twice.
    pub fn lock(&self) -> Result<RunLock, Exit> {
        let path = self.path("apply.lock");
        let taken = |path: &Path| std::fs::OpenOptions::new().write(true).create_new(true).open(path);
        let mut file = match taken(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let alive = holder.trim().parse::<u32>().is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                if alive {
                    return Err(Exit::input(format!(
                        "run {} is being applied by process {} ({})",
                        self.run_id,
                        holder.trim(),
                        path.display()
                    )));
                }
                // Its holder is gone (killed): the ledger says what it finished.
                let _ = std::fs::remove_file(&path);
                taken(&path).map_err(|e| io_error(&path, e))?
            }
            Err(e) => return Err(io_error(&path, e)),
        };
        let _ = write!(file, "{}", std::process::id());
        Ok(RunLock { path })
    }
}

/// Held while a process applies the run; removed when it ends.
pub struct RunLock {
    path: PathBuf,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, Exit> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Exit::input(format!("{}: {e}", path.display())))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    let mut file = std::fs::File::create(path).map_err(|e| io_error(path, e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io_error(path, e))
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    write_synced(&temporary, bytes)?;
    std::fs::rename(&temporary, path).map_err(|e| io_error(path, e))
}

/// `offboard status RUN` for a local run.
pub fn status_command(zoom: &ZoomArgs, run_id: &str) -> Result<Exit, Exit> {
    let run = LocalRun::open(&zoom.state_dir, run_id)?;
    let plan = run.plan()?;
    let results = run.results()?;
    let summary = run.summary()?;
    let phase = match (&summary, plan.body.hold.is_some() && results.is_empty()) {
        (Some(_), _) => "finished",
        (None, true) => "held",
        (None, false) => "stopped",
    };
    let state = match (&summary, plan.body.hold.is_some() && results.is_empty()) {
        (Some(_), _) => "finished".to_string(),
        (None, true) => "held for approval".to_string(),
        (None, false) => {
            format!("stopped or running: {} of {} actions have a result", results.len(), plan.body.actions.len())
        }
    };
    output::print_status(&output::RunStatus {
        run_id,
        phase,
        state: &state,
        source: &plan.source,
        planned: plan.body.actions.len(),
        results: &results,
        summary: summary.as_ref(),
        held: plan.body.hold.is_some() && results.is_empty() && summary.is_none(),
        resume_hint: summary.is_none() && !results.is_empty(),
    })
}
