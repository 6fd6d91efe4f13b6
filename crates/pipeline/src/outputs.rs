//! What a run writes beside its signed plan: the account's backup before anything is
//! decided, and what the plan shows people after it. Apart from the planner because
//! neither needs it: each is written from what it records alone (the account as read,
//! the signed plan), so a redelivery can write it again; the planner only chooses when.

use offboard_core::backup::BackupManifest;
use offboard_core::report::{plan_csv, plan_summary};
use offboard_core::{backup_csv, write_backup_jsonl, AccountUser, Plan};

use crate::clock::now_rfc3339;
use crate::error::PipelineError;
use crate::keys;
use crate::store::{ObjectInfo, Store};
use crate::trigger::Input;

/// Writes the backup (CSV, gzipped JSON Lines, manifest) before anything is decided.
pub(crate) async fn back_up(
    store: &Store,
    run_id: &str,
    users: &[AccountUser],
    input: &Input,
    info: Option<&ObjectInfo>,
) -> Result<String, PipelineError> {
    let csv_key = keys::backup_key(run_id);
    let jsonl_gz_key = keys::backup_jsonl_key(run_id);
    store.put(&csv_key, backup_csv(users), "text/csv").await?;
    store.put(&jsonl_gz_key, gzipped_jsonl(users)?, "application/gzip").await?;
    let (by_status, by_type) = BackupManifest::count(users);
    let manifest = BackupManifest {
        run_id: run_id.to_string(),
        taken_at: now_rfc3339(),
        users: users.len(),
        by_status,
        by_type,
        source_key: match input {
            Input::Roster { key } | Input::Hr { key } | Input::Undo { key, .. } => Some(key.clone()),
            Input::Sweep(_) => None,
        },
        source_etag: info.map(|i| i.etag.clone()),
        source_version: info.and_then(|i| i.version_id.clone()),
        csv_key: csv_key.clone(),
        jsonl_gz_key,
    };
    store.put_json(&keys::backup_manifest_key(run_id), &manifest).await?;
    tracing::info!(users = users.len(), %csv_key, "account backed up");
    Ok(csv_key)
}

/// Writes what a plan shows people, and the terminations it schedules: from the signed
/// plan alone, so writing them again on a redelivery writes the same bytes.
pub(crate) async fn write_plan_outputs(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    let run_id = &plan.run_id;
    store.put(&keys::plan_csv_key(run_id), plan_csv(plan), "text/csv").await?;
    store.put(&keys::plan_summary_key(run_id), plan_summary(plan).into_bytes(), "text/plain").await?;
    if !plan.body.scheduled.is_empty() {
        store.put_json(&keys::schedule_key(run_id), &plan.body.scheduled).await?;
        tracing::info!(scheduled = plan.body.scheduled.len(), "terminations scheduled for the sweep");
    }
    Ok(())
}

fn gzipped_jsonl(users: &[AccountUser]) -> Result<Vec<u8>, PipelineError> {
    let failed = |detail: String| PipelineError::Data { what: "gzip of the backup".into(), detail };
    // serde_json writes a field at a time: buffered, deflate sees whole blocks.
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let buffered = write_backup_jsonl(users, std::io::BufWriter::with_capacity(64 * 1024, encoder))
        .map_err(|e| failed(e.to_string()))?;
    let encoder = buffered.into_inner().map_err(|e| failed(e.error().to_string()))?;
    encoder.finish().map_err(|e| failed(e.to_string()))
}
