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

use std::borrow::Cow;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::email;
use crate::hr::Termination;
use crate::policy::{MeetingsRule, Policy, RecordingsRule};
use crate::roster::Roster;
use crate::snapshot::{Account, AccountUser, UserStatus};

/// What to do to a user in Zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// `PUT /users/{id}/status {"action":"deactivate"}`: reversible.
    Deactivate,
    /// `DELETE /users/{id}`, transferring the user's things to the manager or the archive
    /// account (see [`DeleteSpec`]); without either only under `transfer.accept_data_loss`.
    Delete,
    /// `PATCH /users/{id} {"type":1}`: the user stays, the license comes back.
    Downgrade,
    /// An undo: bring the user back to [`Action::restore`] (`PUT .../status activate`,
    /// then `PATCH {"type":N}`), after a deactivation or a downgrade.
    Restore,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Deactivate => "deactivate",
            ActionKind::Delete => "delete",
            ActionKind::Downgrade => "downgrade",
            ActionKind::Restore => "restore",
        }
    }
}

/// `action` of `DELETE /users/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeleteMode {
    /// Unlink: the user keeps a free account of their own.
    Disassociate,
    /// Remove the user and their data for good (after any transfer).
    #[default]
    Delete,
}

/// How a delete is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteSpec {
    pub mode: DeleteMode,
    /// Who receives the user's things: a user of the account the planner checked (active,
    /// licensed, allowed by the guardrails, not leaving in the same run), the request's
    /// manager or else `transfer.archive_email`. The transfer flags apply only when set;
    /// unset only under `transfer.accept_data_loss` (or for a pending invitation).
    pub transfer_email: Option<String>,
    pub transfer_meetings: bool,
    pub transfer_webinars: bool,
    pub transfer_recordings: bool,
    pub transfer_whiteboards: bool,
}

/// Checks the executor makes just before acting: they need a call per user, which the
/// planner must not spend (it would halve the executor's budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checks {
    pub upcoming_meetings: MeetingsRule,
    pub cloud_recordings: RecordingsRule,
}

impl Checks {
    pub const NONE: Checks =
        Checks { upcoming_meetings: MeetingsRule::Ignore, cloud_recordings: RecordingsRule::Ignore };
}

/// The user as the backup saw them: what an approval re-checks and an undo restores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserState {
    pub status: UserStatus,
    pub user_type: u8,
    pub role_id: Option<String>,
}

impl UserState {
    pub fn of(user: &AccountUser) -> Self {
        UserState { status: user.status, user_type: user.user_type, role_id: user.role_id.clone() }
    }
}

/// The state a run left a user in: what an undo may reverse, and only while it holds.
///
/// A deactivation leaves the user `inactive`, with whatever type Zoom shows after it (its
/// deactivation removes the licenses), so only the status is compared; a downgrade leaves
/// them `active` and Basic (type 1). Neither changes the role, so the role is the one the
/// run saw (`prior.role_id`), when it was known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftState {
    pub status: UserStatus,
    /// The type the run left; `None` when the action does not decide it (a deactivation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

impl LeftState {
    /// What `performed` left a user who was `prior`; `None` for what an undo cannot reverse.
    pub fn after(performed: ActionKind, prior: &UserState) -> Option<LeftState> {
        let (status, user_type) = match performed {
            ActionKind::Deactivate => (UserStatus::Inactive, None),
            ActionKind::Downgrade => (UserStatus::Active, Some(1)),
            ActionKind::Delete | ActionKind::Restore => return None,
        };
        Some(LeftState { status, user_type, role_id: prior.role_id.clone() })
    }

    /// Whether the user is still as the run left them: the same status, the same type
    /// when the action set it, and the same role when the run knew it.
    pub fn holds(&self, now: &UserState) -> bool {
        now.status == self.status
            && self.user_type.is_none_or(|t| t == now.user_type)
            && self.role_id.as_ref().is_none_or(|r| now.role_id.as_ref() == Some(r))
    }
}

/// One planned change to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Unique within the run, stable across re-plans of the same input and account.
    pub action_id: String,
    pub kind: ActionKind,
    /// Zoom's id, or the email for a pending invitation (which has no id).
    pub user_id: String,
    pub email: String,
    /// The line that asked for it (0 for the sweep's own findings).
    pub line: u64,
    /// Why, when more than "listed on that line" (an HR termination, the sweep's finding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<Box<DeleteSpec>>,
    pub revoke_sso_first: bool,
    pub checks: Checks,
    pub before: UserState,
    /// For [`ActionKind::Restore`]: the state to bring back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<UserState>,
}

/// What one line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub line: u64,
    /// Normalized; matched first.
    pub email: Option<String>,
    /// Matched when there is no email, or the email is not in the account.
    pub employee_id: Option<String>,
    pub kind: ActionKind,
    pub transfer_email: Option<String>,
    /// Why, when more than "listed on that line".
    pub reason: Option<String>,
}

impl Action {
    /// Why, for people.
    pub fn why(&self) -> Cow<'_, str> {
        match &self.reason {
            Some(reason) => Cow::Borrowed(reason),
            None => Cow::Owned(format!("listed on line {}", self.line)),
        }
    }
}

impl Roster {
    /// One request per listed person, all of `kind`; the entries move into the requests.
    pub fn take_requests(&mut self, kind: ActionKind) -> Vec<Request> {
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|entry| Request {
                line: entry.line,
                email: Some(entry.email),
                employee_id: None,
                kind,
                transfer_email: None,
                reason: None,
            })
            .collect()
    }
}

/// Why a request gets no action. The guardrail refusals are the ones
/// [`SkipReason::is_refusal`] names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SkipReason {
    InvalidEmail {
        detail: String,
    },
    Duplicate {
        first_line: u64,
    },
    NoPerson,
    InvalidDate {
        detail: String,
    },
    InvalidManager {
        detail: String,
    },
    InvalidAction {
        value: String,
    },
    NotInAccount,
    UnknownEmployeeId,
    AlreadyInactive,
    AlreadyBasic,
    /// An invitation not yet accepted: there is no user to deactivate or downgrade.
    PendingInvitation,
    ProtectedRole {
        role: String,
    },
    ZoomRoom,
    ProtectedEmail,
    ProtectedDomain {
        domain: String,
    },
    OutsideAllowedDomains {
        domain: String,
    },
    /// Undo: the original action did not change the user (`outcome` is how it ended).
    NothingToUndo {
        outcome: String,
    },
    /// Undo: a delete cannot be reversed through the API.
    CannotUndo {
        kind: ActionKind,
    },
    /// Undo: the user is already as they were before the run.
    AlreadyRestored,
    /// Undo: the user is neither as the run left them nor as they were before it:
    /// someone changed them since, and an undo would overwrite that.
    ChangedSince {
        left: LeftState,
        now: UserState,
    },
    /// The user's role cannot be known: Zoom gave no `role_id` (`None`), or one the
    /// account's roles list does not name. Refused: it could be an admin's.
    UnknownRole {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role_id: Option<String>,
    },
    /// A delete with no one who can receive the user's meetings, recordings and
    /// whiteboards, for a user who cannot be deactivated instead (already deactivated),
    /// or, at approval, whose transfer target can no longer receive them.
    NoTransferTarget {
        detail: String,
    },
}

impl SkipReason {
    /// The stable name of the reason (the `code` field of its JSON).
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::InvalidEmail { .. } => "invalid_email",
            SkipReason::Duplicate { .. } => "duplicate",
            SkipReason::NoPerson => "no_person",
            SkipReason::InvalidDate { .. } => "invalid_date",
            SkipReason::InvalidManager { .. } => "invalid_manager",
            SkipReason::InvalidAction { .. } => "invalid_action",
            SkipReason::NotInAccount => "not_in_account",
            SkipReason::UnknownEmployeeId => "unknown_employee_id",
            SkipReason::AlreadyInactive => "already_inactive",
            SkipReason::AlreadyBasic => "already_basic",
            SkipReason::PendingInvitation => "pending_invitation",
            SkipReason::ProtectedRole { .. } => "protected_role",
            SkipReason::ZoomRoom => "zoom_room",
            SkipReason::ProtectedEmail => "protected_email",
            SkipReason::ProtectedDomain { .. } => "protected_domain",
            SkipReason::OutsideAllowedDomains { .. } => "outside_allowed_domains",
            SkipReason::NothingToUndo { .. } => "nothing_to_undo",
            SkipReason::CannotUndo { .. } => "cannot_undo",
            SkipReason::AlreadyRestored => "already_restored",
            SkipReason::ChangedSince { .. } => "changed_since",
            SkipReason::UnknownRole { .. } => "unknown_role",
            SkipReason::NoTransferTarget { .. } => "no_transfer_target",
        }
    }

    /// Whether a guardrail refused the row (as opposed to there being nothing to do).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SkipReason::ProtectedRole { .. }
                | SkipReason::UnknownRole { .. }
                | SkipReason::NoTransferTarget { .. }
                | SkipReason::ZoomRoom
                | SkipReason::ProtectedEmail
                | SkipReason::ProtectedDomain { .. }
                | SkipReason::OutsideAllowedDomains { .. }
        )
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::InvalidEmail { detail } => write!(f, "invalid email: {detail}"),
            SkipReason::Duplicate { first_line } => write!(f, "duplicate of line {first_line}"),
            SkipReason::NoPerson => f.write_str("neither an email nor an employee id"),
            SkipReason::InvalidDate { detail } => write!(f, "termination date: {detail}"),
            SkipReason::InvalidManager { detail } => write!(f, "manager email: {detail}"),
            SkipReason::InvalidAction { value } => {
                write!(f, "unknown action {value:?}; expected deactivate, delete or downgrade")
            }
            SkipReason::NotInAccount => f.write_str("no user with this email in the account"),
            SkipReason::UnknownEmployeeId => f.write_str("no user with this employee id in the account"),
            SkipReason::AlreadyInactive => f.write_str("user is already deactivated"),
            SkipReason::AlreadyBasic => f.write_str("user is already Basic"),
            SkipReason::PendingInvitation => {
                f.write_str("pending invitation: the user has not joined, nothing to deactivate")
            }
            SkipReason::ProtectedRole { role } => write!(f, "refused: the user's role is {role}"),
            SkipReason::ZoomRoom => f.write_str("refused: a Zoom Rooms user"),
            SkipReason::ProtectedEmail => f.write_str("refused: on the protected list"),
            SkipReason::ProtectedDomain { domain } => write!(f, "refused: {domain} is a protected domain"),
            SkipReason::OutsideAllowedDomains { domain } => {
                write!(f, "refused: {domain} is not one of the allowed domains")
            }
            SkipReason::NothingToUndo { outcome } => write!(f, "the action ended {outcome}: nothing to undo"),
            SkipReason::CannotUndo { kind } => write!(f, "a {} cannot be undone", kind.as_str()),
            SkipReason::AlreadyRestored => f.write_str("the user is already as before the run"),
            SkipReason::ChangedSince { left, now } => {
                let mut left_text = left.status.as_str().to_string();
                if let Some(user_type) = left.user_type {
                    left_text.push_str(&format!(", type {user_type}"));
                }
                let mut now_text = format!("{}, type {}", now.status.as_str(), now.user_type);
                if let Some(role) = left.role_id.as_ref().filter(|r| now.role_id.as_ref() != Some(*r)) {
                    left_text.push_str(&format!(", role {role}"));
                    now_text.push_str(&format!(", role {}", now.role_id.as_deref().unwrap_or("unknown")));
                }
                write!(f, "changed since the run: it left the user {left_text}, they are now {now_text}")
            }
            SkipReason::UnknownRole { role_id: None } => f.write_str("refused: role unknown: Zoom gave no role_id"),
            SkipReason::UnknownRole { role_id: Some(id) } => {
                write!(f, "refused: role unknown: role id {id} is not in the account's roles list")
            }
            SkipReason::NoTransferTarget { detail } => {
                write!(f, "refused: no one can receive the user's meetings, recordings and whiteboards: {detail}")
            }
        }
    }
}

/// A request that gets no action, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: u64,
    pub value: String,
    pub reason: SkipReason,
}

/// The account's figures before the run and as estimated after it: the seeds' figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    pub users_in_account: usize,
    pub active: usize,
    pub inactive: usize,
    pub pending: usize,
    pub licensed: usize,
    pub basic: usize,
    pub roster_rows: usize,
    pub matched: usize,
    pub actions: usize,
    pub refused: usize,
    pub skipped: usize,
    pub scheduled: usize,
    pub estimated_active_after: usize,
    pub estimated_licensed_after: usize,
    pub estimated_basic_after: usize,
    /// Zoom calls the actions need at most, and how long they take at the configured rate.
    pub estimated_calls: usize,
    pub estimated_duration_seconds: u64,
}

/// Why a plan waits for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub actions: usize,
    pub threshold: usize,
    pub reason: String,
}

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

/// A plan as written to `runs/<run>/plan.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub run_id: String,
    pub kind: PlanSource,
    /// Where the input came from (`s3://bucket/key`, or the schedule).
    pub source: String,
    pub created_at: String,
    /// Where the backup taken before planning lies.
    pub backup_key: String,
    /// How the input was read (`csv (;)`, `xlsx`, ...) and from which column.
    pub input_format: String,
    pub email_column: String,
    #[serde(flatten)]
    pub body: PlanBody,
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
    let Decision { requests, rejected, scheduled, account, policy, calls_per_second } = input;
    let users = &account.users;
    let by_email = email_index(account);
    let mut by_employee: FxHashMap<&str, usize> = FxHashMap::default();
    for (index, user) in users.iter().enumerate() {
        if let Some(id) = user.employee_id.as_deref() {
            by_employee.insert(id, index);
        }
    }
    let guardrails = Guardrails::new(policy);

    let rows = requests.len() + rejected.len();
    let mut skipped = rejected;
    // The line of the request that acted on each user, `None` for none.
    let mut acted_on: Vec<Option<u64>> = vec![None; users.len()];
    let mut matches: Vec<(&Request, usize)> = Vec::new();
    let mut matched = 0;
    for request in requests {
        if let Some(reason) = request.email.as_deref().and_then(|e| guardrails.refuse_email(e)) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        let by_address = request.email.as_deref().and_then(|e| by_email.get(e)).copied();
        let found = by_address.or_else(|| request.employee_id.as_deref().and_then(|id| by_employee.get(id)).copied());
        let Some(index) = found else {
            let reason = if request.email.is_some() { SkipReason::NotInAccount } else { SkipReason::UnknownEmployeeId };
            skipped.push(skipped_row(request, reason));
            continue;
        };
        matched += 1;
        let user = &users[index];
        // Matched by address, the user's email has already passed the email guardrails.
        if let Some(reason) = guardrails.refuse_user(account, user, by_address.is_none()) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        if let Some(reason) = nothing_to_do(request.kind, user) {
            skipped.push(skipped_row(request, reason));
            continue;
        }
        if let Some(first_line) = acted_on[index] {
            skipped.push(skipped_row(request, SkipReason::Duplicate { first_line: first_line.max(1) }));
            continue;
        }
        acted_on[index] = Some(request.line);
        matches.push((request, index));
    }

    // Every user the plan acts on is known: now the transfer targets.
    let targets = Targets { account, by_email: &by_email, guardrails: &guardrails, leaving: &acted_on };
    let mut actions = Vec::with_capacity(matches.len());
    for (request, index) in matches {
        match plan_action(request, index, policy, &targets) {
            Ok(action) => actions.push(action),
            Err(reason) => skipped.push(skipped_row(request, reason)),
        }
    }
    let width = actions.len().to_string().len().max(4);
    for (index, action) in actions.iter_mut().enumerate() {
        action.action_id = format!("{:0width$}", index + 1);
    }
    skipped.sort_by_key(|row| row.line);

    let counts = count(account, rows, matched, &actions, &skipped, scheduled.len(), calls_per_second);
    let threshold = policy.guardrails.hold_threshold(users.len());
    let hold = (actions.len() > threshold).then(|| Hold {
        actions: actions.len(),
        threshold,
        reason: format!(
            "{} actions exceed the limit of {threshold} for an account of {} users (at most {} or {}% of it); \
             approve the run to send them",
            actions.len(),
            users.len(),
            policy.guardrails.hold_above_count,
            policy.guardrails.hold_above_share * 100.0
        ),
    });
    PlanBody { counts, hold, actions, skipped, scheduled }
}

fn skipped_row(request: &Request, reason: SkipReason) -> SkippedRow {
    let value = request.email.as_ref().or(request.employee_id.as_ref()).cloned().unwrap_or_default();
    SkippedRow { line: request.line, value, reason }
}

/// Each user's index by normalized email.
fn email_index(account: &Account) -> FxHashMap<Cow<'_, str>, usize> {
    let mut by_email: FxHashMap<Cow<'_, str>, usize> = FxHashMap::default();
    by_email.reserve(account.users.len());
    for (index, user) in account.users.iter().enumerate() {
        by_email.insert(email::normalized(&user.email), index);
    }
    by_email
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
    let guardrails = Guardrails::new(policy);
    let by_email = email_index(account);
    let by_id: FxHashMap<&str, usize> =
        account.users.iter().enumerate().filter_map(|(i, u)| u.id.as_deref().map(|id| (id, i))).collect();
    let find = |action: &Action| {
        // A pending invitation is named by its email (it had no id; if it was accepted
        // since, the user found is no longer an invitation, and is checked as a user).
        by_id
            .get(action.user_id.as_str())
            .copied()
            .or_else(|| by_email.get(email::normalized(&action.user_id).as_ref()).copied())
    };
    let found: Vec<Option<usize>> = actions.iter().map(find).collect();
    let mut leaving: Vec<Option<u64>> = vec![None; account.users.len()];
    for (action, index) in actions.iter().zip(&found) {
        if let Some(index) = *index {
            leaving[index] = Some(action.line);
        }
    }
    let targets = Targets { account, by_email: &by_email, guardrails: &guardrails, leaving: &leaving };
    actions
        .iter()
        .zip(found)
        .enumerate()
        .filter_map(|(position, (action, index))| {
            let Some(index) = index else {
                return Some((position, SkipReason::NotInAccount));
            };
            let user = &account.users[index];
            if let Some(reason) = guardrails.refuse_user(account, user, true) {
                return Some((position, reason));
            }
            if action.kind != ActionKind::Delete || is_invitation(user) {
                return None;
            }
            let target = action.delete.as_deref().and_then(|d| d.transfer_email.as_deref());
            let detail = match target {
                Some(target) => format!("transfer target {}", targets.check(target, index).err()?),
                None if policy.transfer.accept_data_loss => return None,
                None => "no transfer target, and transfer.accept_data_loss is off".to_string(),
            };
            Some((position, SkipReason::NoTransferTarget { detail }))
        })
        .collect()
}

/// The guardrails in a form that is quick to ask.
struct Guardrails<'a> {
    protected_emails: FxHashSet<String>,
    protected_domains: Vec<String>,
    allowed_domains: Vec<String>,
    actionable_roles: &'a [String],
}

impl<'a> Guardrails<'a> {
    fn new(policy: &'a Policy) -> Self {
        let g = &policy.guardrails;
        let domains = |list: &[String]| list.iter().map(|d| email::normalize(d.trim_start_matches('@'))).collect();
        Guardrails {
            protected_emails: g.protected_emails.iter().map(|e| email::normalize(e)).collect(),
            protected_domains: domains(&g.protected_domains),
            allowed_domains: domains(&g.allowed_domains),
            actionable_roles: &g.actionable_roles,
        }
    }

    fn refuse_email(&self, normalized: &str) -> Option<SkipReason> {
        if self.protected_emails.is_empty() && self.protected_domains.is_empty() && self.allowed_domains.is_empty() {
            return None;
        }
        if self.protected_emails.contains(normalized) {
            return Some(SkipReason::ProtectedEmail);
        }
        let domain = normalized.rsplit_once('@').map_or("", |(_, d)| d);
        let within = |d: &String| domain == d || domain.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.'));
        if self.protected_domains.iter().any(within) {
            return Some(SkipReason::ProtectedDomain { domain: domain.to_string() });
        }
        if !self.allowed_domains.is_empty() && !self.allowed_domains.iter().any(within) {
            return Some(SkipReason::OutsideAllowedDomains { domain: domain.to_string() });
        }
        None
    }

    /// Fails closed on roles: a user whose role cannot be known (no `role_id`, or one the
    /// roles list does not name) is refused, never assumed a member.
    fn refuse_user(&self, account: &Account, user: &AccountUser, check_email: bool) -> Option<SkipReason> {
        if check_email {
            if let Some(reason) = self.refuse_email(&email::normalized(&user.email)) {
                return Some(reason);
            }
        }
        let Some(role_id) = &user.role_id else {
            return Some(SkipReason::UnknownRole { role_id: None });
        };
        match account.role_name(user) {
            Some(name) if self.actionable_roles.iter().any(|r| r.eq_ignore_ascii_case(name)) => {}
            Some(name) => return Some(SkipReason::ProtectedRole { role: name.to_string() }),
            // A role the roles list does not name is refused: it could be anything.
            None => return Some(SkipReason::UnknownRole { role_id: Some(role_id.clone()) }),
        }
        account.is_room(user).then_some(SkipReason::ZoomRoom)
    }
}

/// Who may receive a departing user's meetings, webinars, recordings and whiteboards.
struct Targets<'a> {
    account: &'a Account,
    by_email: &'a FxHashMap<Cow<'a, str>, usize>,
    guardrails: &'a Guardrails<'a>,
    /// For each user, the line of the plan's action on them, if any.
    leaving: &'a [Option<u64>],
}

impl Targets<'_> {
    /// The index of the user `address` names if they can receive the things of user
    /// `departing`, else why not (a phrase starting with the address): they must be a user
    /// of the account, not the departing user, not acted on by this plan (any kind),
    /// active (not deactivated, not a pending invitation), allowed by the guardrails (not
    /// protected, an admin, of an unknown role or a Zoom Room) and licensed (Zoom transfers
    /// recordings only to a licensed user).
    fn check(&self, address: &str, departing: usize) -> Result<usize, String> {
        let normalized = email::normalize(address);
        let Some(&index) = self.by_email.get(normalized.as_str()) else {
            return Err(format!("{normalized} is not a user of the account"));
        };
        let user = &self.account.users[index];
        let shown = &user.email;
        if index == departing {
            return Err(format!("{shown} is the user themself"));
        }
        if let Some(line) = self.leaving[index] {
            return Err(match line {
                0 => format!("{shown} is leaving in this run too (the sweep's finding)"),
                line => format!("{shown} is leaving in this run too (line {line})"),
            });
        }
        if user.status == UserStatus::Inactive {
            return Err(format!("{shown} is deactivated"));
        }
        if is_invitation(user) {
            return Err(format!("{shown} has not accepted their invitation (pending)"));
        }
        if let Some(reason) = self.guardrails.refuse_user(self.account, user, true) {
            return Err(format!("{shown} may not receive them ({reason})"));
        }
        if !user.is_licensed() {
            return Err(format!(
                "{shown} is not licensed (type {}): Zoom transfers recordings only to a licensed user",
                user.user_type
            ));
        }
        Ok(index)
    }
}

/// A pending invitation: no id, nothing hosted or recorded yet.
fn is_invitation(user: &AccountUser) -> bool {
    user.status == UserStatus::Pending || user.id.is_none()
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
fn plan_action(request: &Request, index: usize, policy: &Policy, targets: &Targets<'_>) -> Result<Action, SkipReason> {
    let user = &targets.account.users[index];
    if request.kind != ActionKind::Delete || is_invitation(user) {
        return Ok(action_for(request, request.kind, user, policy, None, None));
    }
    let to = |target: usize| Some(targets.account.users[target].email.as_str());
    let manager = match request.transfer_email.as_deref().map(|m| targets.check(m, index)) {
        Some(Ok(target)) => return Ok(action_for(request, ActionKind::Delete, user, policy, to(target), None)),
        Some(Err(why)) => format!("manager {why}"),
        None => "no manager".to_string(),
    };
    let archive = match policy.transfer.archive_email.as_deref().map(|a| targets.check(a, index)) {
        Some(Ok(target)) => {
            let archive = &targets.account.users[target].email;
            let note = format!("{manager}: transferring to transfer.archive_email {archive}");
            return Ok(action_for(request, ActionKind::Delete, user, policy, to(target), Some(note)));
        }
        Some(Err(why)) => format!("transfer.archive_email {why}"),
        None => "no transfer.archive_email".to_string(),
    };
    if policy.transfer.accept_data_loss {
        let note = format!(
            "delete asked for, with no one to transfer {HANDED_ON} to ({manager}, {archive}): \
             deleting without transfers, as transfer.accept_data_loss allows"
        );
        return Ok(action_for(request, ActionKind::Delete, user, policy, None, Some(note)));
    }
    if user.status == UserStatus::Inactive {
        let detail = format!("{manager}, {archive}; the user is already deactivated and kept as they are");
        return Err(SkipReason::NoTransferTarget { detail });
    }
    let note = format!(
        "delete asked for, but no one to transfer {HANDED_ON} to ({manager}, {archive}): {DEACTIVATED_INSTEAD}"
    );
    Ok(action_for(request, ActionKind::Deactivate, user, policy, None, Some(note)))
}

/// One action of `kind` on `user` for `request`; `transfer_to` receives a delete's things,
/// `note` says why the plan does other than the request asked.
fn action_for(
    request: &Request,
    kind: ActionKind,
    user: &AccountUser,
    policy: &Policy,
    transfer_to: Option<&str>,
    note: Option<String>,
) -> Action {
    let delete = (kind == ActionKind::Delete).then(|| {
        let transfer = transfer_to.is_some();
        Box::new(DeleteSpec {
            mode: policy.delete_mode,
            transfer_email: transfer_to.map(str::to_string),
            transfer_meetings: transfer && policy.transfer.meetings,
            transfer_webinars: transfer && policy.transfer.webinars,
            transfer_recordings: transfer && policy.transfer.recordings,
            transfer_whiteboards: transfer && policy.transfer.whiteboards,
        })
    });
    let live = user.id.is_some() && user.status == UserStatus::Active;
    let checks = match kind {
        ActionKind::Downgrade | ActionKind::Restore => Checks::NONE,
        _ if !live => Checks::NONE,
        ActionKind::Deactivate => Checks { upcoming_meetings: policy.upcoming_meetings, ..Checks::NONE },
        ActionKind::Delete => Checks {
            upcoming_meetings: policy.upcoming_meetings,
            // Transferred recordings survive the delete; there is nothing to keep.
            cloud_recordings: if delete.as_ref().is_some_and(|d| d.transfer_recordings) {
                RecordingsRule::Ignore
            } else {
                policy.cloud_recordings
            },
        },
    };
    let reason = match (&request.reason, note) {
        (reason, None) => reason.clone(),
        (Some(reason), Some(note)) => Some(format!("{reason}; {note}")),
        (None, Some(note)) => Some(format!("listed on line {}; {note}", request.line)),
    };
    Action {
        action_id: String::new(),
        kind,
        user_id: user.id.clone().unwrap_or_else(|| user.email.clone()),
        email: user.email.clone(),
        line: request.line,
        reason,
        delete,
        revoke_sso_first: policy.revoke_sso_first && live && kind != ActionKind::Downgrade,
        checks,
        before: UserState::of(user),
        restore: None,
    }
}

/// The Zoom calls one action needs at most: the checks, the revoke, the change.
pub fn calls_for(action: &Action) -> usize {
    1 + usize::from(action.revoke_sso_first)
        + usize::from(action.checks.upcoming_meetings != MeetingsRule::Ignore)
        + usize::from(action.checks.cloud_recordings != RecordingsRule::Ignore)
}

pub(crate) fn count(
    account: &Account,
    rows: usize,
    matched: usize,
    actions: &[Action],
    skipped: &[SkippedRow],
    scheduled: usize,
    calls_per_second: f64,
) -> PlanCounts {
    let users = &account.users;
    let (mut active, mut inactive, mut pending, mut licensed, mut basic) = (0, 0, 0, 0, 0);
    for user in users {
        match user.status {
            UserStatus::Active => active += 1,
            UserStatus::Inactive => inactive += 1,
            UserStatus::Pending => pending += 1,
        }
        if user.status == UserStatus::Active {
            if user.is_licensed() {
                licensed += 1;
            } else {
                basic += 1;
            }
        }
    }
    let (mut leaving_active, mut freed_licenses, mut basic_gone, mut downgraded) = (0, 0, 0, 0);
    for action in actions.iter().filter(|a| a.before.status == UserStatus::Active) {
        let was_licensed = action.before.user_type == 2;
        match action.kind {
            ActionKind::Deactivate | ActionKind::Delete => {
                leaving_active += 1;
                if was_licensed {
                    freed_licenses += 1;
                } else {
                    basic_gone += 1;
                }
            }
            ActionKind::Downgrade => {
                freed_licenses += 1;
                downgraded += 1;
            }
            ActionKind::Restore => {}
        }
    }
    let estimated_calls: usize = actions.iter().map(calls_for).sum();
    let estimated_duration_seconds =
        if calls_per_second > 0.0 { (estimated_calls as f64 / calls_per_second).ceil() as u64 } else { 0 };
    PlanCounts {
        users_in_account: users.len(),
        active,
        inactive,
        pending,
        licensed,
        basic,
        roster_rows: rows,
        matched,
        actions: actions.len(),
        refused: skipped.iter().filter(|s| s.reason.is_refusal()).count(),
        skipped: skipped.len(),
        scheduled,
        estimated_active_after: active - leaving_active,
        estimated_licensed_after: licensed - freed_licenses,
        estimated_basic_after: basic - basic_gone + downgraded,
        estimated_calls,
        estimated_duration_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::parse_roster;

    fn user(id: Option<&str>, email: &str, status: UserStatus, user_type: u8, role: &str) -> AccountUser {
        AccountUser {
            id: id.map(str::to_string),
            email: email.to_string(),
            first_name: "F".into(),
            last_name: "L".into(),
            user_type,
            status,
            role_id: Some(format!("role-{role}")),
            last_login_time: None,
            user_created_at: None,
            employee_id: id.map(|i| format!("E-{i}")),
        }
    }

    fn account(users: Vec<AccountUser>) -> Account {
        Account {
            users,
            role_names: ["Owner", "Admin", "Member", "Help Desk"]
                .iter()
                .map(|name| (format!("role-{name}"), name.to_string()))
                .collect(),
            room_emails: ["room@acme.example".to_string()].into_iter().collect(),
        }
    }

    fn small_account() -> Account {
        account(vec![
            user(Some("u1"), "Ana@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("u2"), "bo@acme.example", UserStatus::Active, 1, "Member"),
            user(Some("u3"), "cy@acme.example", UserStatus::Inactive, 1, "Member"),
            user(None, "di@acme.example", UserStatus::Pending, 1, "Member"),
            user(Some("u5"), "ed@acme.example", UserStatus::Active, 2, "Member"),
        ])
    }

    fn plan(requests: &[Request], account: &Account, policy: &Policy) -> PlanBody {
        decide(Decision {
            requests,
            rejected: Vec::new(),
            scheduled: Vec::new(),
            account,
            policy,
            calls_per_second: 2.0,
        })
    }

    fn request(email: &str, kind: ActionKind) -> Request {
        Request {
            line: 2,
            email: Some(email::normalize(email)),
            employee_id: None,
            kind,
            transfer_email: None,
            reason: None,
        }
    }

    #[test]
    fn deactivates_matched_active_users_and_explains_every_other_row() {
        let csv =
            "email\nana@ACME.example\nbo@acme.example\ncy@acme.example\ndi@acme.example\nzed@acme.example\nbogus\n";
        let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
        let account = small_account();
        let policy = Policy::default();
        let plan = decide(Decision {
            requests: &roster.clone().take_requests(ActionKind::Deactivate),
            rejected: roster.rejected.clone(),
            scheduled: Vec::new(),
            account: &account,
            policy: &policy,
            calls_per_second: 2.0,
        });

        let acted: Vec<_> = plan.actions.iter().map(|a| (a.action_id.as_str(), a.user_id.as_str())).collect();
        assert_eq!(acted, [("0001", "u1"), ("0002", "u2")]);
        assert!(plan.actions.iter().all(|a| a.kind == ActionKind::Deactivate && a.revoke_sso_first));
        assert_eq!(plan.actions[0].checks.upcoming_meetings, MeetingsRule::Skip);

        let skipped: Vec<_> = plan.skipped.iter().map(|s| (s.line, s.reason.clone())).collect();
        assert_eq!(
            skipped,
            [
                (4, SkipReason::AlreadyInactive),
                (5, SkipReason::PendingInvitation),
                (6, SkipReason::NotInAccount),
                (7, SkipReason::InvalidEmail { detail: "not an email address (no '@')".into() }),
            ]
        );
        let c = plan.counts;
        assert_eq!((c.users_in_account, c.active, c.inactive, c.pending, c.licensed, c.basic), (5, 3, 1, 1, 2, 1));
        assert_eq!((c.roster_rows, c.matched, c.actions, c.skipped, c.refused), (6, 4, 2, 4, 0));
        assert_eq!((c.estimated_active_after, c.estimated_licensed_after, c.estimated_basic_after), (1, 1, 0));
        // Each action: revoke, meetings check, deactivate = 3 calls; 6 calls at 2/s.
        assert_eq!((c.estimated_calls, c.estimated_duration_seconds), (6, 3));
        // 5% of 5 users is 0: in an account this small, any action needs approval.
        assert_eq!(plan.hold.map(|h| h.threshold), Some(0));
    }

    #[test]
    fn refuses_the_owner_admins_rooms_and_protected_people() {
        let account = account(vec![
            user(Some("o"), "owner@acme.example", UserStatus::Active, 2, "Owner"),
            user(Some("a"), "admin@acme.example", UserStatus::Active, 2, "Admin"),
            user(Some("h"), "help@acme.example", UserStatus::Active, 2, "Help Desk"),
            user(Some("r"), "room@acme.example", UserStatus::Active, 1, "Member"),
            user(Some("v"), "vip@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("l"), "legal@law.acme.example", UserStatus::Active, 2, "Member"),
            user(Some("x"), "x@other.example", UserStatus::Active, 2, "Member"),
            user(Some("m"), "member@acme.example", UserStatus::Active, 2, "Member"),
            {
                let mut odd = user(Some("q"), "odd@acme.example", UserStatus::Active, 2, "Member");
                odd.role_id = Some("opaque-new-role".into());
                odd
            },
        ]);
        let mut policy = Policy::default();
        policy.guardrails.protected_emails = vec!["VIP@acme.example".into()];
        policy.guardrails.protected_domains = vec!["@acme.example".replace("acme", "law.acme")];
        policy.guardrails.allowed_domains = vec!["acme.example".into()];
        let emails = ["owner", "admin", "help", "room", "vip", "legal", "x", "member", "odd"];
        let requests: Vec<Request> = emails
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let domain = match *name {
                    "legal" => "law.acme.example",
                    "x" => "other.example",
                    _ => "acme.example",
                };
                Request { line: i as u64 + 2, ..request(&format!("{name}@{domain}"), ActionKind::Delete) }
            })
            .collect();
        let plan = plan(&requests, &account, &policy);
        assert_eq!(plan.actions.iter().map(|a| a.user_id.as_str()).collect::<Vec<_>>(), ["m"]);
        let reasons: Vec<_> = plan.skipped.iter().map(|s| s.reason.to_string()).collect();
        assert_eq!(
            reasons,
            [
                "refused: the user's role is Owner",
                "refused: the user's role is Admin",
                "refused: the user's role is Help Desk",
                "refused: a Zoom Rooms user",
                "refused: on the protected list",
                "refused: law.acme.example is a protected domain",
                "refused: other.example is not one of the allowed domains",
                "refused: role unknown: role id opaque-new-role is not in the account's roles list",
            ]
        );
        assert_eq!(plan.counts.refused, 8);
    }

    #[test]
    fn holds_a_plan_bigger_than_the_threshold() {
        let users: Vec<AccountUser> = (0..100)
            .map(|i| user(Some(&format!("u{i}")), &format!("p{i}@acme.example"), UserStatus::Active, 2, "Member"))
            .collect();
        let account = account(users);
        let requests: Vec<Request> =
            (0..6).map(|i| request(&format!("p{i}@acme.example"), ActionKind::Deactivate)).collect();
        let held = plan(&requests, &account, &Policy::default());
        let hold = held.hold.expect("6 of 100 users is over 5%");
        assert_eq!((hold.actions, hold.threshold), (6, 5));
        assert!(hold.reason.contains("approve"), "{}", hold.reason);
        assert!(plan(&requests[..5], &account, &Policy::default()).hold.is_none());
    }

    #[test]
    fn matches_by_employee_id_and_builds_a_delete_with_transfers_and_checks() {
        let mut account = small_account();
        account.users.push(user(Some("b"), "Boss@acme.example", UserStatus::Active, 2, "Member"));
        let by_id = Request {
            line: 9,
            email: None,
            employee_id: Some("E-u1".into()),
            kind: ActionKind::Delete,
            transfer_email: Some("boss@acme.example".into()),
            reason: Some("terminated".into()),
        };
        let unknown = Request { employee_id: Some("E-none".into()), line: 10, ..by_id.clone() };
        let plan = plan(&[by_id, unknown], &account, &Policy::default());
        let action = &plan.actions[0];
        assert_eq!((action.user_id.as_str(), action.kind), ("u1", ActionKind::Delete));
        let delete = action.delete.as_ref().unwrap();
        assert_eq!(delete.transfer_email.as_deref(), Some("Boss@acme.example"), "as the account spells it");
        assert!(delete.transfer_meetings && delete.transfer_recordings);
        assert_eq!(action.checks.cloud_recordings, RecordingsRule::Ignore, "recordings are transferred");
        assert_eq!(
            action.before,
            UserState { status: UserStatus::Active, user_type: 2, role_id: Some("role-Member".into()) }
        );
        assert_eq!(plan.skipped[0].reason, SkipReason::UnknownEmployeeId);

        // Without a manager, only a policy that accepts the loss deletes without transfers,
        // and then the executor still checks for recordings first.
        let no_manager = Request { transfer_email: None, ..request("ana@acme.example", ActionKind::Delete) };
        let mut lossy = Policy::default();
        lossy.transfer.accept_data_loss = true;
        let plan = super::tests::plan(&[no_manager], &account, &lossy);
        assert_eq!(plan.actions[0].checks.cloud_recordings, RecordingsRule::KeepAsBasic);
        assert!(!plan.actions[0].delete.as_ref().unwrap().transfer_meetings);
    }

    #[test]
    fn downgrades_only_licensed_users_and_deletes_pending_invitations_by_email() {
        let account = small_account();
        let requests = [
            request("ana@acme.example", ActionKind::Downgrade),
            Request { line: 3, ..request("bo@acme.example", ActionKind::Downgrade) },
            Request { line: 4, ..request("di@acme.example", ActionKind::Delete) },
        ];
        let plan = plan(&requests, &account, &Policy::default());
        let acted: Vec<_> = plan.actions.iter().map(|a| (a.kind, a.user_id.as_str(), a.revoke_sso_first)).collect();
        assert_eq!(acted, [(ActionKind::Downgrade, "u1", false), (ActionKind::Delete, "di@acme.example", false)]);
        assert_eq!(plan.skipped[0].reason, SkipReason::AlreadyBasic);
        assert_eq!(plan.counts.estimated_licensed_after, 1);
    }

    #[test]
    fn one_user_named_twice_gets_one_action() {
        let account = small_account();
        let by_email = request("ana@acme.example", ActionKind::Deactivate);
        let by_id = Request { line: 5, email: None, employee_id: Some("E-u1".into()), ..by_email.clone() };
        let plan = plan(&[by_email, by_id], &account, &Policy::default());
        assert_eq!(plan.actions.len(), 1);
        assert_eq!(plan.skipped[0].reason, SkipReason::Duplicate { first_line: 2 });
    }
}

#[cfg(test)]
mod safety_tests {
    use super::*;

    fn user(id: Option<&str>, email: &str, status: UserStatus, user_type: u8, role: &str) -> AccountUser {
        AccountUser {
            id: id.map(str::to_string),
            email: email.to_string(),
            first_name: "F".into(),
            last_name: "L".into(),
            user_type,
            status,
            role_id: Some(format!("role-{role}")),
            last_login_time: None,
            user_created_at: None,
            employee_id: None,
        }
    }

    fn account(users: Vec<AccountUser>) -> Account {
        Account {
            users,
            role_names: ["Owner", "Admin", "Member"]
                .iter()
                .map(|name| (format!("role-{name}"), name.to_string()))
                .collect(),
            room_emails: ["room@acme.example".to_string()].into_iter().collect(),
        }
    }

    /// The leaver, and everyone a transfer could be aimed at.
    fn people() -> Account {
        account(vec![
            user(Some("ana"), "ana@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("boss"), "boss@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("arch"), "archive@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("gone"), "gone@acme.example", UserStatus::Inactive, 1, "Member"),
            user(None, "invited@acme.example", UserStatus::Pending, 2, "Member"),
            user(Some("basic"), "basic@acme.example", UserStatus::Active, 1, "Member"),
            user(Some("vip"), "vip@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("adm"), "admin@acme.example", UserStatus::Active, 2, "Admin"),
            user(Some("room"), "room@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("leaves"), "leaves@acme.example", UserStatus::Active, 2, "Member"),
            user(Some("old"), "old@acme.example", UserStatus::Inactive, 1, "Member"),
        ])
    }

    fn policy() -> Policy {
        let mut policy = Policy::default();
        policy.guardrails.protected_emails = vec!["vip@acme.example".into()];
        policy
    }

    fn delete(email: &str, manager: Option<&str>) -> Request {
        Request {
            line: 2,
            email: Some(email.to_string()),
            employee_id: None,
            kind: ActionKind::Delete,
            transfer_email: manager.map(str::to_string),
            reason: Some("terminated 2026-11-01 (hr/x.csv line 2)".into()),
        }
    }

    fn plan(requests: &[Request], account: &Account, policy: &Policy) -> PlanBody {
        decide(Decision {
            requests,
            rejected: Vec::new(),
            scheduled: Vec::new(),
            account,
            policy,
            calls_per_second: 1.0,
        })
    }

    const NOBODY: &str = "delete asked for, but no one to transfer meetings, recordings and whiteboards to \
                          (no manager, no transfer.archive_email): deactivated instead, keeping them";

    #[test]
    fn a_delete_with_no_one_to_transfer_to_deactivates_instead() {
        let account = people();
        let body = plan(&[delete("ana@acme.example", None)], &account, &policy());
        let action = &body.actions[0];
        assert_eq!((action.kind, action.delete.is_none()), (ActionKind::Deactivate, true), "{action:?}");
        assert_eq!(action.why(), format!("terminated 2026-11-01 (hr/x.csv line 2); {NOBODY}"));
        assert_eq!(action.checks, Checks { upcoming_meetings: MeetingsRule::Skip, ..Checks::NONE });
        assert!(action.revoke_sso_first);
        // The figures follow the deactivation: revoke, meetings, deactivate; no recordings check.
        assert_eq!(body.counts.estimated_calls, 3);
        assert_eq!(body.counts.estimated_licensed_after, body.counts.licensed - 1);

        // A roster's delete (no reason of its own) says which line asked.
        let roster = Request { reason: None, ..delete("ana@acme.example", None) };
        let body = plan(&[roster], &account, &policy());
        assert_eq!(body.actions[0].why(), format!("listed on line 2; {NOBODY}"));

        // An archive account receives them instead.
        let mut with_archive = policy();
        with_archive.transfer.archive_email = Some("Archive@acme.example".into());
        let body = plan(&[delete("ana@acme.example", None)], &account, &with_archive);
        let action = &body.actions[0];
        assert_eq!(action.kind, ActionKind::Delete);
        let spec = action.delete.as_deref().unwrap();
        assert_eq!(spec.transfer_email.as_deref(), Some("archive@acme.example"));
        assert!(
            spec.transfer_meetings && spec.transfer_webinars && spec.transfer_recordings && spec.transfer_whiteboards
        );
        assert_eq!(action.checks.cloud_recordings, RecordingsRule::Ignore);
        assert!(action.why().contains("no manager: transferring to transfer.archive_email archive@acme.example"));

        // Only accept_data_loss deletes without a transfer, and then the recordings check stays.
        let mut lossy = policy();
        lossy.transfer.accept_data_loss = true;
        let body = plan(&[delete("ana@acme.example", None)], &account, &lossy);
        let action = &body.actions[0];
        assert_eq!(action.kind, ActionKind::Delete);
        let spec = action.delete.as_deref().unwrap();
        assert!(spec.transfer_email.is_none() && !spec.transfer_recordings);
        assert_eq!(action.checks.cloud_recordings, RecordingsRule::KeepAsBasic);
        assert!(action.why().contains("deleting without transfers, as transfer.accept_data_loss allows"));
        assert_eq!(body.counts.estimated_calls, 4);

        // Someone already deactivated cannot be deactivated instead: kept as they are.
        let body = plan(&[delete("old@acme.example", None)], &account, &policy());
        assert!(body.actions.is_empty());
        assert_eq!(body.skipped[0].reason.code(), "no_transfer_target");
        assert!(body.skipped[0].reason.is_refusal());
        assert!(body.skipped[0].reason.to_string().contains("no manager, no transfer.archive_email"));

        // An invitation has nothing to transfer: its delete goes ahead.
        let body = plan(&[delete("invited@acme.example", None)], &account, &policy());
        assert_eq!(body.actions[0].kind, ActionKind::Delete);
        assert!(body.actions[0].delete.as_deref().unwrap().transfer_email.is_none());
    }

    #[test]
    fn a_manager_who_cannot_receive_things_falls_back_to_the_archive_then_to_a_deactivation() {
        let account = people();
        let cases = [
            ("stranger@acme.example", "stranger@acme.example is not a user of the account"),
            ("gone@acme.example", "gone@acme.example is deactivated"),
            ("invited@acme.example", "invited@acme.example has not accepted their invitation"),
            ("basic@acme.example", "basic@acme.example is not licensed (type 1)"),
            ("vip@acme.example", "vip@acme.example may not receive them (refused: on the protected list)"),
            ("admin@acme.example", "admin@acme.example may not receive them (refused: the user's role is Admin)"),
            ("room@acme.example", "room@acme.example may not receive them (refused: a Zoom Rooms user)"),
            ("ana@acme.example", "ana@acme.example is the user themself"),
            ("leaves@acme.example", "leaves@acme.example is leaving in this run too (line 3)"),
        ];
        let also_leaving = Request { line: 3, kind: ActionKind::Downgrade, ..delete("leaves@acme.example", None) };
        let mut with_archive = policy();
        with_archive.transfer.archive_email = Some("archive@acme.example".into());
        let mut bad_archive = policy();
        bad_archive.transfer.archive_email = Some("basic@acme.example".into());
        for (manager, why) in cases {
            let requests = [delete("ana@acme.example", Some(manager)), also_leaving.clone()];

            let body = plan(&requests, &account, &policy());
            let action = &body.actions[0];
            assert_eq!(action.kind, ActionKind::Deactivate, "{manager}: {action:?}");
            let reason = action.why();
            assert!(reason.contains(&format!("(manager {why}")), "{manager}: {reason}");
            assert!(reason.contains("no transfer.archive_email): deactivated instead, keeping them"), "{reason}");

            let body = plan(&requests, &account, &with_archive);
            let action = &body.actions[0];
            assert_eq!(action.kind, ActionKind::Delete, "{manager}: {action:?}");
            let spec = action.delete.as_deref().unwrap();
            assert_eq!(spec.transfer_email.as_deref(), Some("archive@acme.example"), "{manager}");
            let reason = action.why();
            assert!(reason.contains(&format!("manager {why}")), "{manager}: {reason}");
            assert!(reason.contains("transferring to transfer.archive_email archive@acme.example"), "{reason}");

            let body = plan(&requests, &account, &bad_archive);
            let action = &body.actions[0];
            assert_eq!(action.kind, ActionKind::Deactivate, "{manager}: {action:?}");
            let reason = action.why();
            assert!(reason.contains(&format!("manager {why}")), "{manager}: {reason}");
            assert!(reason.contains("transfer.archive_email basic@acme.example is not licensed"), "{reason}");
        }

        // A usable manager receives them, under their address in the account.
        let body = plan(&[delete("ana@acme.example", Some("Boss@acme.example"))], &account, &with_archive);
        let spec = body.actions[0].delete.as_deref().unwrap();
        assert_eq!(spec.transfer_email.as_deref(), Some("boss@acme.example"));
        assert_eq!(body.actions[0].why(), "terminated 2026-11-01 (hr/x.csv line 2)");
    }

    #[test]
    fn a_user_whose_role_cannot_be_known_is_refused_never_assumed_a_member() {
        let mut account = people();
        for user in &mut account.users {
            if user.email == "ana@acme.example" || user.email == "invited@acme.example" {
                user.role_id = None;
            }
        }
        let requests = [
            Request { kind: ActionKind::Deactivate, ..delete("ana@acme.example", None) },
            Request { line: 3, ..delete("invited@acme.example", None) },
        ];
        let body = plan(&requests, &account, &Policy::default());
        assert!(body.actions.is_empty(), "{:?}", body.actions);
        let reasons: Vec<(String, bool, String)> = body
            .skipped
            .iter()
            .map(|s| (s.reason.code().to_string(), s.reason.is_refusal(), s.reason.to_string()))
            .collect();
        let refused = ("unknown_role".to_string(), true, "refused: role unknown: Zoom gave no role_id".to_string());
        assert_eq!(reasons, [refused.clone(), refused]);
        assert_eq!(body.counts.refused, 2);
    }

    #[test]
    fn recheck_refuses_what_changed_since_planning_and_passes_the_rest() {
        let planned_on = people();
        let mut requests: Vec<Request> = ["ana", "leaves", "room2", "vip2", "adm2", "missing", "norole"]
            .iter()
            .enumerate()
            .map(|(i, name)| Request {
                line: i as u64 + 2,
                kind: ActionKind::Deactivate,
                ..delete(&format!("{name}@acme.example"), None)
            })
            .collect();
        requests.push(Request { line: 20, ..delete("basic@acme.example", Some("boss@acme.example")) });
        requests.push(Request { line: 21, ..delete("invited@acme.example", None) });
        let mut account = planned_on.clone();
        for name in ["room2", "vip2", "adm2", "missing", "norole"] {
            account.users.push(user(Some(name), &format!("{name}@acme.example"), UserStatus::Active, 2, "Member"));
        }
        let policy = Policy::default();
        let body = plan(&requests, &account, &policy);
        assert_eq!(body.actions.len(), 9, "{:?}", body.skipped);
        assert!(recheck(&body.actions, &account, &policy).is_empty(), "nothing changed: nothing refused");
        assert_eq!(body.actions[7].delete.as_deref().unwrap().transfer_email.as_deref(), Some("boss@acme.example"));

        // Since then: vip2 protected, adm2 promoted, room2 a Zoom Room, missing gone, norole's
        // role no longer known, and the manager who was to receive basic's things deactivated.
        let mut now = account.clone();
        let mut today = policy.clone();
        today.guardrails.protected_emails.push("VIP2@acme.example".into());
        now.room_emails.insert("room2@acme.example".into());
        now.users.retain(|u| u.email != "missing@acme.example");
        for user in &mut now.users {
            match user.email.as_str() {
                "adm2@acme.example" => user.role_id = Some("role-Admin".into()),
                "norole@acme.example" => user.role_id = None,
                "boss@acme.example" => user.status = UserStatus::Inactive,
                // The invitation was accepted: a user now, with things a delete would lose.
                "invited@acme.example" => {
                    user.id = Some("invited".into());
                    user.status = UserStatus::Active;
                }
                _ => {}
            }
        }
        let refused: Vec<(usize, String)> =
            recheck(&body.actions, &now, &today).into_iter().map(|(i, r)| (i, r.to_string())).collect();
        assert_eq!(
            refused,
            [
                (2, "refused: a Zoom Rooms user".to_string()),
                (3, "refused: on the protected list".to_string()),
                (4, "refused: the user's role is Admin".to_string()),
                (5, "no user with this email in the account".to_string()),
                (6, "refused: role unknown: Zoom gave no role_id".to_string()),
                (
                    7,
                    "refused: no one can receive the user's meetings, recordings and whiteboards: \
                     transfer target boss@acme.example is deactivated"
                        .to_string()
                ),
                (
                    8,
                    "refused: no one can receive the user's meetings, recordings and whiteboards: \
                     no transfer target, and transfer.accept_data_loss is off"
                        .to_string()
                ),
            ]
        );
    }
}
