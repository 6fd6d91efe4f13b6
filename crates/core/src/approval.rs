//! Who may approve a held plan, and until when: the two-person rule and the expiry.
//!
//! A held plan is the safety net for a plan too big to send on one person's word, so the
//! person who uploaded its input may not also approve it, and an approval that comes days
//! later (when the file, the people on it and the account may all have moved on) is
//! refused. Who someone is comes from AWS (the S3 event's `userIdentity.principalId` of
//! the upload and of the approval), never from what an approval file says of itself.
//! Pure: the time is an argument.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// `policy.approval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApprovalPolicy {
    /// The approver must be someone other than whoever uploaded the input.
    pub require_another_person: bool,
    /// An approval more than this many hours after the plan was held is refused.
    pub expires_after_hours: u32,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy { require_another_person: true, expires_after_hours: 72 }
    }
}

/// What an approval is judged on.
#[derive(Debug, Clone, Copy)]
pub struct ApprovalFacts<'a> {
    /// Who uploaded the input; `None` for a run no person started (the sweep).
    pub uploaded_by: Option<&'a str>,
    /// Who uploaded the approval, as AWS names them; `None` when the event did not say.
    pub approved_by: Option<&'a str>,
    /// When the plan was made and held (the plan's `created_at`).
    pub held_at: &'a str,
    pub now: Timestamp,
}

/// Why the approval is refused, or `None` when it may send the plan.
pub fn refusal(facts: ApprovalFacts<'_>, policy: &ApprovalPolicy) -> Option<String> {
    let Ok(held_at) = facts.held_at.parse::<Timestamp>() else {
        return Some(format!("the plan's created_at {:?} is not a time, so its age cannot be known", facts.held_at));
    };
    let age = facts.now.duration_since(held_at);
    let limit = SignedDuration::from_hours(i64::from(policy.expires_after_hours));
    if age > limit {
        return Some(format!(
            "the plan was held at {held_at}, {} hours ago, and approvals expire {} hours after the hold \
             (policy approval.expires_after_hours); plan the file again",
            age.as_secs() / 3600,
            policy.expires_after_hours
        ));
    }
    if !policy.require_another_person {
        return None;
    }
    match (facts.uploaded_by, facts.approved_by) {
        (None, _) => None,
        (Some(_), None) => Some(
            "the approval's uploader is not known, and the plan must be approved by someone other than \
             whoever uploaded its input (policy approval.require_another_person)"
                .to_string(),
        ),
        (Some(uploader), Some(approver)) if uploader == approver => Some(format!(
            "approved by {approver}, who uploaded the input: another person must approve it \
             (policy approval.require_another_person)"
        )),
        (Some(_), Some(_)) => None,
    }
}

/// Who uploaded a plan's input and how long ago it was planned, for the operator who is
/// about to approve it: `uploaded by X, planned 5 h 3 min ago`.
pub fn provenance(uploaded_by: Option<&str>, created_at: &str, now: Timestamp) -> String {
    let who = uploaded_by.unwrap_or("no one known (a sweep, or an event that did not say)");
    let age = match created_at.parse::<Timestamp>() {
        Ok(at) => {
            let minutes = now.duration_since(at).as_secs().max(0) / 60;
            format!("{} h {} min ago", minutes / 60, minutes % 60)
        }
        Err(_) => format!("at {created_at:?}, not a time"),
    };
    format!("uploaded by {who}, planned {age}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: &str = "2026-12-01T09:00:00Z";

    fn facts<'a>(uploaded_by: Option<&'a str>, approved_by: Option<&'a str>, now: &str) -> ApprovalFacts<'a> {
        ApprovalFacts { uploaded_by, approved_by, held_at: HELD, now: now.parse().unwrap() }
    }

    #[test]
    fn the_uploader_may_not_approve_their_own_plan_but_anyone_else_may() {
        let policy = ApprovalPolicy::default();
        let ada = "AWS:AROAEXAMPLE:ada";
        let own = refusal(facts(Some(ada), Some(ada), "2026-12-01T10:00:00Z"), &policy).unwrap();
        assert!(own.contains("approved by AWS:AROAEXAMPLE:ada, who uploaded the input"), "{own}");
        assert_eq!(refusal(facts(Some(ada), Some("AWS:AROAEXAMPLE:bo"), "2026-12-01T10:00:00Z"), &policy), None);
        // The same role, another session: another person (SSO names each session).
        assert_eq!(refusal(facts(Some(ada), Some("AWS:AROAEXAMPLE:ada2"), "2026-12-01T10:00:00Z"), &policy), None);
    }

    #[test]
    fn an_unknown_approver_is_refused_when_the_uploader_is_known_and_a_sweep_needs_no_second_person() {
        let policy = ApprovalPolicy::default();
        let unknown = refusal(facts(Some("AWS:AIDA1"), None, "2026-12-01T10:00:00Z"), &policy).unwrap();
        assert!(unknown.contains("uploader is not known"), "{unknown}");
        assert_eq!(refusal(facts(None, Some("AWS:AIDA1"), "2026-12-01T10:00:00Z"), &policy), None);
        assert_eq!(refusal(facts(None, None, "2026-12-01T10:00:00Z"), &policy), None);
    }

    #[test]
    fn an_approval_after_the_expiry_is_refused_with_the_plans_age() {
        let policy = ApprovalPolicy::default();
        let (ada, bo) = (Some("ada"), Some("bo"));
        assert_eq!(refusal(facts(ada, bo, "2026-12-04T09:00:00Z"), &policy), None, "72 hours to the second");
        let late = refusal(facts(ada, bo, "2026-12-04T09:00:01Z"), &policy).unwrap();
        assert!(late.contains("72 hours ago") && late.contains("approval.expires_after_hours"), "{late}");
        // Expired is refused even when the two-person rule is off, and first.
        let lax = ApprovalPolicy { require_another_person: false, expires_after_hours: 1 };
        assert!(refusal(facts(ada, ada, "2026-12-01T10:30:00Z"), &lax).unwrap().contains("1 hours after the hold"));
        assert_eq!(refusal(facts(ada, ada, "2026-12-01T09:30:00Z"), &lax), None);
    }

    #[test]
    fn the_provenance_names_the_uploader_and_the_plans_age() {
        let now = "2026-12-01T14:05:30Z".parse().unwrap();
        assert_eq!(
            provenance(Some("AWS:AROAEXAMPLE:ada"), HELD, now),
            "uploaded by AWS:AROAEXAMPLE:ada, planned 5 h 5 min ago"
        );
        assert!(provenance(None, HELD, now).starts_with("uploaded by no one known"));
    }

    #[test]
    fn a_plan_whose_hold_time_cannot_be_read_is_refused() {
        let facts =
            ApprovalFacts { uploaded_by: None, approved_by: None, held_at: "yesterday", now: Timestamp::UNIX_EPOCH };
        assert!(refusal(facts, &ApprovalPolicy::default()).unwrap().contains("not a time"));
    }
}
