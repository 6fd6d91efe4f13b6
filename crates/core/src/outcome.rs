//! Outcomes: how one action ended. What a Zoom answer means is decided in `offboard-zoom`
//! (by status, `code` and headers, never by the localized message); the pipeline turns
//! that meaning into one of these, which is what the ledger records.

use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, UserState};

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
    /// host meetings, or own recordings and cannot be kept as Basic). `code` is stable
    /// (`hosts_upcoming_meetings`, `owns_cloud_recordings`); `reason` is for people.
    Skipped {
        #[serde(default)]
        code: String,
        reason: String,
    },
    /// Every allowed delivery failed for a reason that might have passed (5xx, throttling,
    /// a credentials problem): the executor stopped trying and dead-lettered the message.
    GaveUp { attempts: u32, reason: String },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone { .. } => "already_done",
            Outcome::NotAllowed { .. } => "not_allowed",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::GaveUp { .. } => "gave_up",
        }
    }

    /// The reason, as a stable key to count by: never Zoom's message text.
    pub fn reason_code(&self) -> String {
        match self {
            Outcome::Done => "done".to_string(),
            Outcome::AlreadyDone { code, .. } => format!("already_done (zoom code {code})"),
            Outcome::NotAllowed { code, reason, .. } => format!("{reason} (zoom code {code})"),
            Outcome::Failed { http_status, code: Some(code), .. } => format!("http {http_status}, zoom code {code}"),
            Outcome::Failed { http_status, code: None, .. } => format!("http {http_status}"),
            Outcome::Skipped { code, .. } => code.clone(),
            Outcome::GaveUp { .. } => "retries_exhausted".to_string(),
        }
    }

    /// Whether the change is in place in Zoom because of this run (and can be undone).
    pub fn applied(&self) -> bool {
        matches!(self, Outcome::Done)
    }
}

/// What the executor's checks found just before acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Findings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upcoming_meetings: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_recordings: Option<u64>,
    /// When the last of the user's upcoming meetings ends, when Zoom showed them all with
    /// their times: a user skipped for hosting them is rechecked after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_meeting_ends: Option<jiff::Timestamp>,
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
    /// The user's status and type before the change, for an undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<UserState>,
    /// Which claim of the action recorded this (above 1: an earlier invocation died).
    #[serde(default)]
    pub attempt: u32,
    /// When the claim that recorded this was taken (RFC 3339, milliseconds).
    #[serde(default)]
    pub started_at: String,
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
            prior: None,
            attempt: 1,
            started_at: "2026-11-22T00:00:00Z".into(),
            finished_at: "2026-11-22T00:00:00Z".into(),
        };
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["outcome"], "already_done");
        assert_eq!(json["code"], 1001);
        let back: ActionResult = serde_json::from_value(json).unwrap();
        assert_eq!(back, result);
    }
}
