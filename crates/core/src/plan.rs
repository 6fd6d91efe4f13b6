//! The plan: what Offboard will do to whom, and why, decided before anything is sent.
//!
//! [`decide`] is the whole decision. It takes the requests a file or a sweep makes, the
//! account as the backup saw it and the policy, and yields one [`Action`] per user to act
//! on and one [`SkippedRow`] per request it will not act on, each with its reason, so the
//! plan explains every line it was given. Guardrails are applied here, before anything
//! is sent: the owner, admins, users whose role is unknown, Zoom Rooms and protected
//! people are refused, and a plan too big to send without a person's approval carries a
//! [`Hold`]. A delete never destroys a user's meetings, recordings and whiteboards by
//! default: they go to a checked transfer target (the manager, else
//! `transfer.archive_email`), and with none the user is deactivated instead. [`recheck`]
//! holds a stored plan to today's guardrails (an approval).

use compact_str::CompactString;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind, Change, Checks, DeleteSpec, RecordingsRule, UserState};
use crate::email;
use crate::email_index::EmailIndex;
use crate::estimate::{count, PlanCounts};
use crate::guardrails::{hold, Hold, Refusals};
use crate::hr::Termination;
use crate::lifecycle;
use crate::policy::Policy;
use crate::request::{Request, SkipReason, SkippedRow};
use crate::snapshot::{Account, AccountUser, UserStatus};
use crate::transfer::{Leaving, Targets};

/// The decision for some requests against an account, without run metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanBody {
    pub counts: PlanCounts,
    /// Set when the plan is too big to send without approval.
    pub hold: Option<Hold>,
    pub actions: Vec<Action>,
    pub skipped: Vec<SkippedRow>,
    /// HR terminations not yet due, kept for the daily sweep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled: Vec<Termination>,
}

/// What a plan was made from (`inbox`, `hr`, `sweep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    Inbox,
    Hr,
    Sweep,
    /// The undo of an earlier run: `undo/<run>.json`.
    Undo,
}

/// The version of the plan's JSON this code writes (`Plan::schema_version`).
pub const PLAN_SCHEMA_VERSION: u32 = 2;

/// A plan as written to `runs/<run>/plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub run_id: String,
    pub kind: PlanSource,
    /// Where the input came from (`s3://bucket/key`, or the schedule).
    pub source: String,
    pub created_at: String,
    /// Where the backup taken before planning lies.
    pub backup_key: String,
    /// Who uploaded the input, as AWS named them (the S3 event's
    /// `userIdentity.principalId`); absent for the sweep and local runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploaded_by: Option<String>,
    /// The policy's `licence_monthly_price` when the plan was made: the run's summary
    /// prices the licences it frees with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_monthly_price: Option<f64>,
    /// A sweep's: the deferred actions of earlier runs it asked for again (taken off
    /// `deferred/` once its actions are on the queue).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rechecked: Vec<Rechecked>,
    /// How the input was read (`csv (;)`, `xlsx`, ...) and from which column.
    pub input_format: String,
    pub email_column: String,
    #[serde(flatten)]
    pub body: PlanBody,
}

/// One deferred action a sweep asked for again: the run that deferred it, and its id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rechecked {
    pub run_id: String,
    pub action_id: String,
}

/// Everything [`decide`] needs.
pub struct Decision<'a> {
    pub requests: &'a [Request],
    /// Rows the reader already refused; carried into the plan.
    pub rejected: Vec<SkippedRow>,
    pub scheduled: Vec<Termination>,
    pub account: &'a Account,
    pub policy: &'a Policy,
    /// The executors' combined rate for the estimate, in calls per second.
    pub calls_per_second: f64,
}

/// Matches each request against the account and decides, request by request, then
/// chooses who receives what each delete hands on: that needs every user the plan acts
/// on, since someone leaving in the same run cannot receive anything.
pub fn decide(input: Decision<'_>) -> PlanBody {
    let Decision { requests, rejected, mut scheduled, account, policy, calls_per_second } = input;
    let users = &account.users;
    let by_email = EmailIndex::of(&account.users);
    let mut by_employee: FxHashMap<&str, usize> = FxHashMap::default();
    for (index, user) in users.iter().enumerate() {
        if let Some(id) = user.employee_id.as_deref() {
            by_employee.insert(id, index);
        }
    }
    let refusals = Refusals::new(policy);

    let rows = requests.len() + rejected.len();
    let mut skipped = rejected;
    // The line of the request that acted on each user, `None` for none.
    let mut acted_on = Leaving::none_of(users.len());
    let mut matches: Vec<(&Request, usize, ActionKind)> = Vec::with_capacity(requests.len());
    let mut matched = 0;
    // Whom this plan stages a delete for: a pending invitation among them has nothing a
    // grace window would keep, and one left standing could still be accepted, so it is
    // deleted now instead.
    let staging: FxHashSet<String> = scheduled
        .iter()
        .filter(|t| t.stage.as_ref().is_some_and(lifecycle::is_unpinned))
        .flat_map(|t| [t.email.as_ref().map(|e| format!("e:{e}")), t.employee_id.as_ref().map(|i| format!("i:{i}"))])
        .flatten()
        .collect();
    let is_staging = |request: &Request| {
        request.email.as_ref().is_some_and(|e| staging.contains(&format!("e:{e}")))
            || request.employee_id.as_ref().is_some_and(|i| staging.contains(&format!("i:{i}")))
    };
    for request in requests {
        if let Some(reason) = request.email.as_deref().and_then(|e| refusals.refuse_email(e)) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        let by_address = request.email.as_deref().and_then(|e| by_email.get(e));
        let found = by_address.or_else(|| request.employee_id.as_deref().and_then(|id| by_employee.get(id)).copied());
        let Some(index) = found else {
            let reason = if request.email.is_some() { SkipReason::NotInAccount } else { SkipReason::UnknownEmployeeId };
            skipped.push(skipped_row(request, reason));
            continue;
        };
        matched += 1;
        let user = &users[index];
        // A staged delete come due acts only on the user it was staged for, still as
        // their deactivation left them: a rescinded termination's user was reactivated.
        if let Some(detail) = request.expect.as_deref().and_then(|expect| lifecycle::changed_since_staged(expect, user))
        {
            skipped.push(skipped_row(request, SkipReason::ChangedSinceStaged { detail }));
            continue;
        }
        // Matched by address, the user's email has already passed the email guardrails.
        if let Some(reason) = refusals.refuse_user(account, user, by_address.is_none()) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        let invitation_staged = request.kind == ActionKind::Deactivate && user.is_invitation() && is_staging(request);
        let kind = if invitation_staged { ActionKind::Delete } else { request.kind };
        if let Some(reason) = nothing_to_do(kind, user) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        if let Some(first_line) = acted_on.line(index) {
            skipped.push(skipped_row(request, SkipReason::Duplicate { first_line: first_line.max(1) }));
            continue;
        }
        acted_on.set(index, request.line);
        matches.push((request, index, kind));
    }

    // A staged delete is kept only for a user this plan deactivates (or who is inactive
    // already), pinned to who they are now; for anyone else there is nothing to stage.
    scheduled.retain_mut(|termination| {
        let Some(stage) = termination.stage.as_mut().filter(|stage| lifecycle::is_unpinned(stage)) else {
            return true;
        };
        let by_address = termination.email.as_deref().and_then(|e| by_email.get(e));
        let found =
            by_address.or_else(|| termination.employee_id.as_deref().and_then(|id| by_employee.get(id)).copied());
        found.is_some_and(|index| {
            let user = &users[index];
            let deactivated = acted_on.line(index).is_some() || user.status == UserStatus::Inactive;
            deactivated && lifecycle::pin(stage, user).is_some()
        })
    });

    // Every user the plan acts on is known: now the transfer targets.
    let targets = Targets { account, by_email: &by_email, refusals: &refusals, leaving: &acted_on };
    let mut actions = Vec::with_capacity(matches.len());
    for (request, index, kind) in matches {
        match plan_action(request, kind, index, policy, &targets) {
            Ok(action) => actions.push(action),
            Err(reason) => skipped.push(skipped_row(request, reason)),
        }
    }
    let width = actions.len().to_string().len().max(4);
    for (index, action) in actions.iter_mut().enumerate() {
        action.action_id = compact_str::format_compact!("{:0width$}", index + 1);
    }
    skipped.sort_by_key(|row| row.line);

    let counts = count(account, rows, matched, &actions, &skipped, scheduled.len(), calls_per_second);
    let hold = hold(actions.len(), users.len(), policy);
    PlanBody { counts, hold, actions, skipped, scheduled }
}

fn skipped_row(request: &Request, reason: SkipReason) -> SkippedRow {
    let value = request.email.as_deref().or(request.employee_id.as_deref()).unwrap_or_default().into();
    SkippedRow { line: request.line, value, reason }
}

/// Today's guardrails over the actions of a stored plan (a held plan being approved): the
/// index of each action they refuse now, and why, by the same rules [`decide`] applies.
///
/// Each action's user is found in `account` by `user_id` (Zoom's id, or the email of a
/// pending invitation, matched normalized); a user no longer there is refused as
/// `NotInAccount`. The user is then held to the guardrails (protected emails and domains,
/// allowed domains, roles by name, an unknown or missing role, Zoom Rooms). A delete's
/// transfer target is checked again as [`decide`] checks it (in the account, active,
/// licensed, allowed by the guardrails, not the user, not acted on by another action of
/// the plan); one that can no longer receive the user's things, or a delete with none
/// that `transfer.accept_data_loss` no longer allows, is refused as `NoTransferTarget`.
pub fn recheck(actions: &[Action], account: &Account, policy: &Policy) -> Vec<(usize, SkipReason)> {
    let refusals = Refusals::new(policy);
    let by_email = EmailIndex::of(&account.users);
    let by_id: FxHashMap<&str, usize> =
        account.users.iter().enumerate().filter_map(|(i, u)| u.id.as_deref().map(|id| (id, i))).collect();
    let find = |action: &Action| {
        // A pending invitation is named by its email (it had no id; if it was accepted
        // since, the user found is no longer an invitation, and is checked as a user).
        by_id.get(action.user_id.as_str()).copied().or_else(|| by_email.get(&email::normalized(&action.user_id)))
    };
    let found: Vec<Option<usize>> = actions.iter().map(find).collect();
    let mut leaving = Leaving::none_of(account.users.len());
    for (action, index) in actions.iter().zip(&found) {
        if let Some(index) = *index {
            leaving.set(index, action.line);
        }
    }
    let targets = Targets { account, by_email: &by_email, refusals: &refusals, leaving: &leaving };
    actions
        .iter()
        .zip(found)
        .enumerate()
        .filter_map(|(position, (action, index))| {
            let Some(index) = index else {
                return Some((position, SkipReason::NotInAccount));
            };
            let user = &account.users[index];
            if let Some(reason) = refusals.refuse_user(account, user, true) {
                return Some((position, reason));
            }
            if action.kind() != ActionKind::Delete || user.is_invitation() {
                return None;
            }
            let target = action.change.transfer_target();
            let detail = match target {
                Some(target) => format!("transfer target {}", targets.check(target, index).err()?),
                None if policy.transfer.accept_data_loss => return None,
                None => "no transfer target, and transfer.accept_data_loss is off".to_string(),
            };
            Some((position, SkipReason::NoTransferTarget { detail }))
        })
        .collect()
}

fn nothing_to_do(kind: ActionKind, user: &AccountUser) -> Option<SkipReason> {
    match (kind, user.status) {
        (ActionKind::Delete, _) => None,
        (_, UserStatus::Pending) => Some(SkipReason::PendingInvitation),
        (ActionKind::Deactivate, UserStatus::Inactive) => Some(SkipReason::AlreadyInactive),
        (ActionKind::Downgrade, _) if !user.is_licensed() => Some(SkipReason::AlreadyBasic),
        _ if user.id.is_none() => Some(SkipReason::PendingInvitation),
        _ => None,
    }
}

const HANDED_ON: &str = "meetings, recordings and whiteboards";

/// How the reason of a delete planned as a deactivation ends (the plan summary counts them).
pub const DEACTIVATED_INSTEAD: &str = "deactivated instead, keeping them";

/// The action for a matched request. A delete never destroys what the user hosts and
/// recorded by default: it transfers them to the request's manager, else to
/// `transfer.archive_email`, each if [`Targets::check`] allows; with neither, the user is
/// deactivated instead (the license goes, the data stays), unless
/// `transfer.accept_data_loss` says to delete anyway. An invitation has nothing to hand on.
fn plan_action(
    request: &Request,
    kind: ActionKind,
    index: usize,
    policy: &Policy,
    targets: &Targets<'_>,
) -> Result<Action, SkipReason> {
    let user = &targets.account.users[index];
    // `kind` differs from the request's only for a pending invitation whose delete the
    // plan was to stage: its delete is made now.
    if kind != request.kind {
        let note = "a pending invitation has nothing to keep: deleted now, not staged".to_string();
        return Ok(action_for(request, delete(policy, None), user, policy, Some(note)));
    }
    let simple = match request.kind {
        ActionKind::Deactivate => Some(Change::Deactivate),
        ActionKind::Downgrade => Some(Change::Downgrade),
        // An invitation has no id: nothing hosted or recorded, nothing to hand on.
        ActionKind::Delete if user.is_invitation() => Some(delete(policy, None)),
        ActionKind::Delete => None,
        // Restores come from an undo, never from a request; refused rather than guessed.
        ActionKind::Restore => return Err(SkipReason::InvalidAction { value: ActionKind::Restore.to_string() }),
    };
    if let Some(change) = simple {
        return Ok(action_for(request, change, user, policy, None));
    }
    let to = |target: usize| Some(targets.account.users[target].email.as_str());
    let manager = match request.transfer_email.as_deref().map(|m| targets.check(m, index)) {
        Some(Ok(target)) => return Ok(action_for(request, delete(policy, to(target)), user, policy, None)),
        Some(Err(why)) => format!("manager {why}"),
        None => "no manager".to_string(),
    };
    let archive = match policy.transfer.archive_email.as_deref().map(|a| targets.check(a, index)) {
        Some(Ok(target)) => {
            let archive = &targets.account.users[target].email;
            let note = format!("{manager}: transferring to transfer.archive_email {archive}");
            return Ok(action_for(request, delete(policy, to(target)), user, policy, Some(note)));
        }
        Some(Err(why)) => format!("transfer.archive_email {why}"),
        None => "no transfer.archive_email".to_string(),
    };
    if policy.transfer.accept_data_loss {
        let note = format!(
            "delete asked for, with no one to transfer {HANDED_ON} to ({manager}, {archive}): \
             deleting without transfers, as transfer.accept_data_loss allows"
        );
        return Ok(action_for(request, delete(policy, None), user, policy, Some(note)));
    }
    if user.status == UserStatus::Inactive {
        let detail = format!("{manager}, {archive}; the user is already deactivated and kept as they are");
        return Err(SkipReason::NoTransferTarget { detail });
    }
    let note = format!(
        "delete asked for, but no one to transfer {HANDED_ON} to ({manager}, {archive}): {DEACTIVATED_INSTEAD}"
    );
    Ok(action_for(request, Change::Deactivate, user, policy, Some(note)))
}

/// A delete in the policy's mode that hands the user's things to `transfer_to`, as the
/// policy's transfer flags say; without a target it transfers nothing.
fn delete(policy: &Policy, transfer_to: Option<&str>) -> Change {
    let transfer = transfer_to.is_some();
    Change::Delete(Box::new(DeleteSpec {
        mode: policy.delete_mode,
        transfer_email: transfer_to.map(str::to_string),
        transfer_meetings: transfer && policy.transfer.meetings,
        transfer_webinars: transfer && policy.transfer.webinars,
        transfer_recordings: transfer && policy.transfer.recordings,
        transfer_whiteboards: transfer && policy.transfer.whiteboards,
    }))
}

/// One action making `change` to `user` for `request`; `note` says why the plan does
/// other than the request asked.
fn action_for(request: &Request, change: Change, user: &AccountUser, policy: &Policy, note: Option<String>) -> Action {
    let live = user.id.is_some() && user.status == UserStatus::Active;
    let checks = match &change {
        Change::Downgrade | Change::Restore(_) => Checks::NONE,
        _ if !live => Checks::NONE,
        Change::Deactivate => Checks { upcoming_meetings: policy.upcoming_meetings, ..Checks::NONE },
        Change::Delete(spec) => Checks {
            upcoming_meetings: policy.upcoming_meetings,
            // Transferred recordings survive the delete; there is nothing to keep.
            cloud_recordings: if spec.transfer_recordings { RecordingsRule::Ignore } else { policy.cloud_recordings },
        },
    };
    let reason = match (&request.reason, note) {
        (reason, None) => reason.clone(),
        (Some(reason), Some(note)) => Some(format!("{reason}; {note}")),
        (None, Some(note)) => Some(format!("listed on line {}; {note}", request.line)),
    };
    Action {
        action_id: CompactString::default(),
        revoke_sso_first: policy.revoke_sso_first && live && change.kind().ends_access(),
        change,
        user_id: user.id.clone().unwrap_or_else(|| user.email.clone()),
        email: user.email.clone(),
        line: request.line,
        reason,
        checks,
        before: UserState::of(user),
    }
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod safety_tests;
