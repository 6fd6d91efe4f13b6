//! Outcomes: how one action ended, decided from Zoom's HTTP status and error `code`.
//!
//! Zoom localizes its messages to the account's language, so nothing here ever looks at
//! message text: the `code` decides, the message is only carried along for people.

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
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone { .. } => "already_done",
            Outcome::NotAllowed { .. } => "not_allowed",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// What an error response means for the action that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// Final: record this outcome.
    Final(Outcome),
    /// Try again later (429, 5xx, an expired token): the message goes back to the queue.
    Transient { reason: String },
}

/// Classifies a Zoom error response by HTTP status and error `code`.
pub fn classify_zoom_error(http_status: u16, code: Option<i64>) -> ErrorClass {
    let not_allowed = |reason: &str| {
        ErrorClass::Final(Outcome::NotAllowed {
            http_status,
            code: code.unwrap_or_default(),
            reason: reason.to_string(),
        })
    };
    match (http_status, code) {
        (404, Some(1001)) => ErrorClass::Final(Outcome::AlreadyDone { http_status, code: 1001 }),
        (429, _) => ErrorClass::Transient { reason: "rate limited (429)".into() },
        (500..=599, _) => ErrorClass::Transient { reason: format!("Zoom server error ({http_status})") },
        (401, _) | (_, Some(124)) => ErrorClass::Transient { reason: "access token rejected".into() },
        (_, Some(1117)) => not_allowed("an admin user cannot be disassociated"),
        (_, Some(1107)) => not_allowed("a user of a managed domain cannot be disassociated"),
        (_, Some(200)) => {
            not_allowed("Zoom does not allow this for this user (admin, owner, Zoom Rooms or outside the account)")
        }
        (_, Some(300)) => not_allowed("Zoom rejected the request as invalid for this user"),
        (_, Some(1120)) => not_allowed("the user's invitation has expired"),
        (_, Some(1000)) => not_allowed("the user is a Zoom Phone call-queue manager or auto-receptionist operator"),
        _ => ErrorClass::Final(Outcome::Failed {
            http_status,
            code,
            reason: format!("Zoom refused the request (HTTP {http_status})"),
        }),
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
    /// Zoom's message, for people; never used to decide anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom_message: Option<String>,
    pub finished_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(status: u16, code: Option<i64>) -> String {
        match classify_zoom_error(status, code) {
            ErrorClass::Final(outcome) => outcome.label().to_string(),
            ErrorClass::Transient { .. } => "transient".to_string(),
        }
    }

    #[test]
    fn decides_by_code() {
        assert_eq!(label(404, Some(1001)), "already_done");
        for code in [1117, 1107, 200, 300, 1120, 1000] {
            assert_eq!(label(400, Some(code)), "not_allowed", "code {code}");
        }
        assert_eq!(label(429, Some(429)), "transient");
        assert_eq!(label(503, None), "transient");
        assert_eq!(label(401, Some(124)), "transient");
        assert_eq!(label(403, Some(4711)), "failed");
        assert_eq!(label(404, Some(3001)), "failed");
    }

    #[test]
    fn results_serialize_flat() {
        let result = ActionResult {
            run_id: "r".into(),
            action_id: "0001".into(),
            kind: ActionKind::Deactivate,
            user_id: "u1".into(),
            email: "ana@acme.example".into(),
            outcome: Outcome::AlreadyDone { http_status: 404, code: 1001 },
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
