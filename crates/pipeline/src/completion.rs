//! The end of a run: once every action sent has its result, `report.csv`, then
//! `summary.json` written once, and from its one writer the notification.
//!
//! Whoever records a run's last result calls this (the executor, per batch); so does the
//! planner for a run that sent no action, which no executor would ever finish.

use offboard_core::summary::{report_csv, summarize, RunSummary};
use offboard_core::ActionResult;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::PipelineError;
use crate::keys;
use crate::notify::Notifier;
use crate::store::{PutOnce, Store};

/// What `runs/<run>/run.json` holds: written by the planner before the first message
/// is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunHeader {
    pub run_id: String,
    /// Actions sent: the run is complete when this many results are recorded.
    pub actions: usize,
    pub plan_key: String,
    pub sent_at: String,
}

/// The run's summary when this call completed it; `None` when it is not complete yet,
/// or was completed before.
pub async fn complete_if_done(
    store: &Store,
    notifier: Option<&Notifier>,
    run_id: &str,
) -> Result<Option<RunSummary>, PipelineError> {
    let summary_key = keys::summary_key(run_id);
    if store.exists(&summary_key).await? {
        return Ok(None);
    }
    let Some(header) = store.get_optional(&keys::run_header_key(run_id)).await? else {
        return Ok(None);
    };
    let header: RunHeader = serde_json::from_slice(&header)
        .map_err(|e| PipelineError::Data { what: keys::run_header_key(run_id), detail: e.to_string() })?;
    let result_keys = store.list_keys(&keys::results_prefix(run_id)).await?;
    if result_keys.len() < header.actions {
        return Ok(None);
    }
    let results: Vec<ActionResult> = store.get_json_all(&result_keys).await?;
    let report_key = keys::report_key(run_id);
    store.put(&report_key, report_csv(&results), "text/csv").await?;
    let summary = summarize(run_id, header.actions, &results, &report_key, clock::now());
    if store.put_json_once(&summary_key, &summary).await? == PutOnce::AlreadyExists {
        return Ok(None);
    }
    tracing::info!(run_id, planned = summary.planned, by_outcome = ?summary.by_outcome, "run complete");
    if let Some(notifier) = notifier {
        notifier.run_completed(&summary).await?;
    }
    Ok(Some(summary))
}
