//! Cancels: a scheduled termination or a staged delete taken off `schedule/` before it
//! runs, because HR rescinded it. Asked for by `cancel/<name>.json` (what
//! `offboard cancel RUN|EMAIL` writes) or by an HR file's `cancel` rows; recorded once in
//! `runs/<run>/cancelled.json` with what was taken off and who asked (as S3's event names
//! them), before anything is removed, so a redelivery removes exactly what the record
//! names and the audit trail never loses a cancel.

use offboard_core::Rescind;
use serde::{Deserialize, Serialize};

use crate::clock::now_rfc3339;
use crate::error::PipelineError;
use crate::keys;
use crate::schedule::{self, Cancelled};
use crate::store::{PutOnce, Store};

/// What `cancel/<name>.json` holds: what to cancel (`{"email": ...}`, `{"run_id": ...}` or
/// `{"employee_id": ...}`), and for people, who says they asked and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    #[serde(flatten)]
    pub what: Rescind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `runs/<run>/cancelled.json`: the audit record of one cancel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelRecord {
    pub run_id: String,
    /// The cancel object or HR file that asked.
    pub source: String,
    /// Who uploaded it, as S3's event names them (`userIdentity.principalId`).
    pub cancelled_by: Option<String>,
    /// Who the file says asked, for people only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub asked: Vec<Rescind>,
    /// What was taken off; empty when nothing waited for what was asked.
    pub cancelled: Vec<Cancelled>,
    pub cancelled_at: String,
}

/// A cancel object read, or why it is not one (for `error.json`).
pub(crate) async fn read_request(store: &Store, key: &str) -> Result<Result<CancelRequest, String>, PipelineError> {
    let bytes = store.get_optional(key).await?.unwrap_or_default();
    Ok(serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{key}: not a cancel: {e}; expected {{\"email\": \"...\"}}, {{\"run_id\": \"...\"}} or {{\"employee_id\": \"...\"}}"
        )
    }))
}

/// Takes off the schedule what `asked` covers, for run `run_id`: recorded first (once),
/// then removed. A redelivery finds the record and removes what it names.
pub(crate) async fn rescind(
    store: &Store,
    run_id: &str,
    source: &str,
    asked: Vec<Rescind>,
    cancelled_by: Option<&str>,
    request: Option<&CancelRequest>,
) -> Result<CancelRecord, PipelineError> {
    let key = keys::cancelled_key(run_id);
    let record = match store.get_optional(&key).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| PipelineError::Data { what: key.clone(), detail: e.to_string() })?,
        None => {
            let record = CancelRecord {
                run_id: run_id.to_string(),
                source: source.to_string(),
                cancelled_by: cancelled_by.map(str::to_string),
                requested_by: request.and_then(|r| r.requested_by.clone()),
                note: request.and_then(|r| r.note.clone()),
                cancelled: schedule::covered(store, &asked).await?,
                asked,
                cancelled_at: now_rfc3339(),
            };
            match store.put_json_once(&key, &record).await? {
                PutOnce::Written => record,
                PutOnce::AlreadyExists => store.get_json(&key).await?,
            }
        }
    };
    schedule::cancel(store, &record.cancelled).await?;
    tracing::info!(cancelled = record.cancelled.len(), by = ?record.cancelled_by, "taken off the schedule");
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_names_one_thing_to_cancel_and_may_say_who_asked() {
        let request: CancelRequest =
            serde_json::from_str(r#"{"email": "ana@acme.example", "requested_by": "kim", "note": "rescinded"}"#)
                .unwrap();
        assert_eq!(request.what, Rescind::Email("ana@acme.example".into()));
        assert_eq!(request.requested_by.as_deref(), Some("kim"));
        let by_run: CancelRequest = serde_json::from_str(r#"{"run_id": "20261204T100000Z-1a2b3c4d"}"#).unwrap();
        assert_eq!(by_run.what, Rescind::RunId("20261204T100000Z-1a2b3c4d".into()));
        assert!(serde_json::from_str::<CancelRequest>(r#"{"requested_by": "kim"}"#).is_err());
        assert!(serde_json::from_str::<CancelRequest>(r#"{"name": "ana"}"#).is_err());
    }
}
