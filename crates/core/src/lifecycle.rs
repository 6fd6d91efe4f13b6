//! The offboarding lifecycle past one run: what an HR termination asks for when it comes
//! due. A termination not yet due waits under `schedule/` for the sweep; with the
//! policy's `delete_after_days`, a delete comes due in two steps (deactivated now, a
//! staged delete scheduled for later, which acts only on the user as the deactivation
//! left them), so a termination rescinded inside the window is undone by reactivating
//! the user or cancelling the delete ([`crate::hr::Rescind`]). An action deferred
//! because its user still hosted meetings ([`Deferred`]) is asked for again by a later
//! sweep ([`recheck_request`]), so the licence is reclaimed when it can be. Pure: the time
//! is an argument.

use compact_str::CompactString;
use jiff::{SignedDuration, Timestamp};

use crate::action::{Action, ActionKind, LeftState, UserState};
use crate::hr::{Stage, Termination};
use crate::policy::Policy;
use crate::request::{ExpectedUser, Request};
use crate::snapshot::{AccountUser, UserStatus};
use crate::summary::Deferred;

/// Terminations sorted by what comes of them at `now`.
#[derive(Debug, Default)]
pub struct Due {
    /// What the due ones ask for now.
    pub requests: Vec<Request>,
    /// The staged deletes the due deletes became, to be scheduled (and pinned to their
    /// users by the plan that deactivates them).
    pub staged: Vec<Termination>,
    /// Not due yet: they wait as they are.
    pub later: Vec<Termination>,
}

/// Sorts `terminations` at `now` under `policy`: a due delete becomes, with
/// `delete_after_days`, a deactivation now and a staged delete that many days later; a
/// staged delete come due asks for the delete, for its pinned user only.
pub fn take_due(terminations: Vec<Termination>, now: Timestamp, policy: &Policy) -> Due {
    let mut due = Due::default();
    for termination in terminations {
        if !termination.is_due(now) {
            due.later.push(termination);
            continue;
        }
        let stage_for = policy.delete_after_days.filter(|days| *days > 0);
        match stage_for {
            Some(days) if termination.stage.is_none() && termination.kind(policy) == ActionKind::Delete => {
                let delete_at = now + SignedDuration::from_hours(24 * i64::from(days));
                let mut request = termination.request(policy);
                request.kind = ActionKind::Deactivate;
                request.transfer_email = None;
                request.reason = Some(format!(
                    "{}; staged delete: deleted on {delete_at} unless reactivated or cancelled before",
                    request.reason.unwrap_or_default()
                ));
                due.requests.push(request);
                due.staged.push(Termination {
                    effective: delete_at,
                    action: Some(ActionKind::Delete),
                    stage: Some(Stage { deactivated_at: now, expect: unpinned() }),
                    ..termination
                });
            }
            _ => due.requests.push(termination.request(policy)),
        }
    }
    due
}

/// A stage naming nobody yet: [`pin`] fills it in, and one left so deletes no one.
fn unpinned() -> ExpectedUser {
    ExpectedUser {
        user_id: CompactString::default(),
        left: LeftState { status: UserStatus::Inactive, user_type: None, role_id: None },
    }
}

/// Whether `stage` still waits for [`pin`].
pub(crate) fn is_unpinned(stage: &Stage) -> bool {
    stage.expect.user_id.is_empty()
}

/// Pins a staged delete to `user`, the account's user its deactivation acts on (or who is
/// already deactivated): the delete will act on that user while they are as a
/// deactivation leaves them ([`ActionKind::leaves`]: inactive, with the role they have
/// now; Zoom may change the type of a user it deactivates, so the type is not compared).
/// `None` for a user without an id (an invitation): nothing to stage.
pub(crate) fn pin(stage: &mut Stage, user: &AccountUser) -> Option<()> {
    let user_id = user.id.clone()?;
    let left = ActionKind::Deactivate.leaves(&UserState::of(user))?;
    stage.expect = ExpectedUser { user_id, left };
    Some(())
}

/// Why a staged delete come due may not act on `user` (the account's user at its
/// address), or `None` when they are still as its deactivation left them.
pub(crate) fn changed_since_staged(expect: &ExpectedUser, user: &AccountUser) -> Option<String> {
    if user.id.as_deref() != Some(expect.user_id.as_str()) {
        return Some(match user.id.as_deref() {
            Some(id) => format!("the address now belongs to another user ({id}, not {})", expect.user_id),
            None => "the address is now a pending invitation".to_string(),
        });
    }
    let now = UserState::of(user);
    if expect.left.holds(&now) {
        return None;
    }
    let mut changes = Vec::new();
    if now.status != expect.left.status {
        changes.push(format!("status {} (was {})", now.status.as_str(), expect.left.status.as_str()));
    }
    if let Some(user_type) = expect.left.user_type.filter(|t| *t != now.user_type) {
        changes.push(format!("type {} (was {user_type})", now.user_type));
    }
    if let Some(role) = expect.left.role_id.as_ref().filter(|r| now.role_id.as_ref() != Some(*r)) {
        changes.push(format!("role {} (was {role})", now.role_id.as_deref().unwrap_or("unknown")));
    }
    Some(changes.join(", "))
}

/// What a sweep asks again for an action of run `run_id` its executor deferred: the
/// same change to the same address, decided afresh against today's account and policy
/// (a user who left or was offboarded since gets nothing).
pub fn recheck_request(run_id: &str, action: &Action, deferred: &Deferred) -> Request {
    let until = deferred.until.map_or_else(String::new, |until| format!(", their last meeting ending {until}"));
    Request {
        line: action.line,
        email: Some(action.email.clone()),
        employee_id: None,
        kind: action.kind(),
        transfer_email: action.change.transfer_target().map(str::to_string),
        reason: Some(format!(
            "deferred by run {run_id} (action {}) at {}: hosted upcoming meetings{until}; rechecked",
            action.action_id, deferred.deferred_at
        )),
        expect: None,
    }
}

#[cfg(test)]
mod tests;
