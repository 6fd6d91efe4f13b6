//! Outcomes: how one action ended. What a Zoom answer means is decided in `offboard-zoom`
//! (by status, `code` and headers, never by the localized message); the pipeline turns
//! that meaning into one of these, which is what the ledger records.

use serde::{Deserialize, Serialize};

use crate::plan::ActionKind;

/// The recorded, final outcome of one action. Transient failures are never recorded:
/// they send the action back to the queue instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Zoom applied the change.
    Done,
    /// The change was already in place (the user is gone): nothing to do.
    AlreadyDone { http_status: u16, code: i64 },
    /// Zoom refuses this change for this user; retrying will not help.
    NotAllowed { http_status: u16, code: i64, reason: String },
    /// Any other refusal that retrying will not cure.
    Failed { http_status: u16, code: Option<i64>, reason: String },
    /// A check just before acting said not to act (the policy's rule for users who still
    /// host meetings, or own recordings and cannot be kept as Basic).
    Skipped { reason: String },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone { .. } => "already_done",
            Outcome::NotAllowed { .. } => "not_allowed",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
        }
    }
}

/// What the executor's checks found just before acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Findings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upcoming_meetings: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_recordings: Option<u64>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.upcoming_meetings.is_none() && self.cloud_recordings.is_none()
    }
}

/// The result of one action, as written once to `runs/<run>/results/<action>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionResult {
    pub run_id: String,
    pub action_id: String,
    pub kind: ActionKind,
    pub user_id: String,
    pub email: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What was done when it differs from `kind` (a downgrade instead of a delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performed: Option<ActionKind>,
    /// What the checks just before acting found.
    #[serde(default, skip_serializing_if = "Findings::is_empty")]
    pub findings: Findings,
    /// Zoom's message, for people; never used to decide anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom_message: Option<String>,
    pub finished_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_serialize_flat() {
        let result = ActionResult {
            run_id: "r".into(),
            action_id: "0001".into(),
            kind: ActionKind::Deactivate,
            user_id: "u1".into(),
            email: "ana@acme.example".into(),
            outcome: Outcome::AlreadyDone { http_status: 404, code: 1001 },
            performed: None,
            findings: Findings::default(),
            zoom_message: None,
            finished_at: "2026-11-22T00:00:00Z".into(),
        };
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["outcome"], "already_done");
        assert_eq!(json["code"], 1001);
        let back: ActionResult = serde_json::from_value(json).unwrap();
        assert_eq!(back, result);
    }
}
