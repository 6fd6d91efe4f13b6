//! What an approval of a held plan is and what it checks, apart from the planner that
//! acts on it: the objects it reads and writes (`approvals/<run>.json`, `approved.json`,
//! `approval-refused.json`) and the pure checks between the plan's backup and the account
//! today. Kept free of the planner so the CLI, which writes approvals, and the planner,
//! which reads them, share one definition.

use std::collections::HashMap;

use offboard_core::plan::recheck;
use offboard_core::{Account, AccountUser, ActionResult, Findings, Outcome, Plan, Policy, UserState};
use serde::{Deserialize, Serialize};

use crate::clock::now_rfc3339;

/// An approval object: who approved, and why. Both optional; its presence is the approval.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Approval {
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What `runs/<run>/approved.json` holds: the approval as the planner checked it, written
/// once before the first message, so that a redelivery sends exactly this (the rest of it)
/// without checking again an account its own actions have changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Approved {
    pub(crate) run_id: String,
    #[serde(default)]
    pub(crate) approved_by: Option<String>,
    /// Who uploaded the approval, as AWS named them (`approved_by` is what the approval
    /// says of itself).
    #[serde(default)]
    pub(crate) approver: Option<String>,
    /// Actions today's policy and roles refuse: recorded as `skipped`, never sent.
    pub(crate) withheld: Vec<Withheld>,
    pub(crate) approved_at: String,
}

/// An action of a held plan refused at approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Withheld {
    pub(crate) action_id: String,
    pub(crate) email: String,
    pub(crate) code: String,
    pub(crate) reason: String,
}

/// What `runs/<run>/approval-refused.json` holds.
#[derive(Debug, Serialize)]
pub(crate) struct ApprovalRefusal<'a> {
    pub(crate) run_id: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) changes: &'a [String],
    pub(crate) refused_at: String,
}

/// Today's guardrails, not the plan's: someone protected, promoted or made a Zoom Room
/// while the plan waited is not acted on.
pub(crate) fn withhold(plan: &Plan, current: &Account, policy: &Policy) -> Vec<Withheld> {
    recheck(&plan.body.actions, current, policy)
        .into_iter()
        .map(|(index, reason)| {
            let action = &plan.body.actions[index];
            Withheld {
                action_id: action.action_id.to_string(),
                email: action.email.to_string(),
                code: reason.code().to_string(),
                reason: format!("refused at approval: {reason}"),
            }
        })
        .collect()
}

/// The one result of an action refused at approval.
pub(crate) fn withheld_result(run_id: &str, action: &offboard_core::Action, withheld: &Withheld) -> ActionResult {
    let attempt = crate::executor::Attempt { number: 0, started_at: now_rfc3339() };
    let outcome = Outcome::Skipped { code: withheld.code.clone(), reason: withheld.reason.clone() };
    crate::executor::action_result(run_id, action, attempt, outcome, None, Findings::default(), None)
}

/// What changed, for the users a held plan acts on, between its backup and `current`: their
/// status and license, which the actions were decided from. A role changed since is for
/// the guardrails ([`recheck`]), which refuse that action alone.
pub(crate) fn changes_since_backup(plan: &Plan, current: &Account) -> Vec<String> {
    let by_id: HashMap<&str, &AccountUser> =
        current.users.iter().map(|u| (u.id.as_deref().unwrap_or(u.email.as_str()), u)).collect();
    let mut changes = Vec::new();
    for action in &plan.body.actions {
        match by_id.get(action.user_id.as_str()) {
            None => changes.push(format!("{} is no longer in the account", action.email)),
            Some(user) => {
                let now = UserState::of(user);
                if (now.status, now.user_type) != (action.before.status, action.before.user_type) {
                    changes.push(format!(
                        "{}: was {} type {} role {}, is now {} type {} role {}",
                        action.email,
                        action.before.status.as_str(),
                        action.before.user_type,
                        action.before.role_id.as_deref().unwrap_or("-"),
                        now.status.as_str(),
                        now.user_type,
                        now.role_id.as_deref().unwrap_or("-"),
                    ));
                }
            }
        }
    }
    changes
}
