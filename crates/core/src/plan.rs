//! The plan: what Offboard will do to whom, and why, decided before anything is sent.
//!
//! [`decide`] is the whole decision. It takes the requests a file or a sweep makes, the
//! account as the backup saw it and the policy, and yields one [`Action`] per user to act
//! on and one [`SkippedRow`] per request it will not act on, each with its reason, so the
//! plan explains every line it was given. Guardrails are applied here, before anything
//! is sent: the owner, admins, Zoom Rooms and protected people are refused, and a plan
//! too big to send without a person's approval carries a [`Hold`].

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
    /// `DELETE /users/{id}`, with transfers to a manager when one is named.
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
    /// Who receives the user's things; the transfer flags apply only when set.
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
        }
    }

    /// Whether a guardrail refused the row (as opposed to there being nothing to do).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            SkipReason::ProtectedRole { .. }
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

/// Matches each request against the account and decides, request by request.
pub fn decide(input: Decision<'_>) -> PlanBody {
    let Decision { requests, rejected, scheduled, account, policy, calls_per_second } = input;
    let users = &account.users;
    let mut by_email: FxHashMap<Cow<'_, str>, usize> = FxHashMap::default();
    by_email.reserve(users.len());
    let mut by_employee: FxHashMap<&str, usize> = FxHashMap::default();
    for (index, user) in users.iter().enumerate() {
        by_email.insert(email::normalized(&user.email), index);
        if let Some(id) = user.employee_id.as_deref() {
            by_employee.insert(id, index);
        }
    }
    let guardrails = Guardrails::new(policy);

    let rows = requests.len() + rejected.len();
    let mut actions = Vec::new();
    let mut skipped = rejected;
    // The line of the request that acted on each user, 0 for none.
    let mut acted_on: Vec<u64> = vec![0; users.len()];
    let mut matched = 0;
    for request in requests {
        let skip = |reason: SkipReason| {
            let value = request.email.as_ref().or(request.employee_id.as_ref()).cloned().unwrap_or_default();
            SkippedRow { line: request.line, value, reason }
        };
        if let Some(reason) = request.email.as_deref().and_then(|e| guardrails.refuse_email(e)) {
            skipped.push(skip(reason));
            continue;
        }
        let by_address = request.email.as_deref().and_then(|e| by_email.get(e)).copied();
        let found = by_address.or_else(|| request.employee_id.as_deref().and_then(|id| by_employee.get(id)).copied());
        let Some(index) = found else {
            let reason = if request.email.is_some() { SkipReason::NotInAccount } else { SkipReason::UnknownEmployeeId };
            skipped.push(skip(reason));
            continue;
        };
        matched += 1;
        let user = &users[index];
        // Matched by address, the user's email has already passed the email guardrails.
        if let Some(reason) = guardrails.refuse_user(account, user, by_address.is_none()) {
            skipped.push(skip(reason));
            continue;
        }
        if let Some(reason) = nothing_to_do(request.kind, user) {
            skipped.push(skip(reason));
            continue;
        }
        if acted_on[index] != 0 {
            skipped.push(skip(SkipReason::Duplicate { first_line: acted_on[index] }));
            continue;
        }
        acted_on[index] = request.line.max(1);
        actions.push(action_for(request, user, policy));
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

    fn refuse_user(&self, account: &Account, user: &AccountUser, check_email: bool) -> Option<SkipReason> {
        if check_email {
            if let Some(reason) = self.refuse_email(&email::normalized(&user.email)) {
                return Some(reason);
            }
        }
        if let Some(role_id) = &user.role_id {
            match account.role_name(user) {
                Some(name) if self.actionable_roles.iter().any(|r| r.eq_ignore_ascii_case(name)) => {}
                Some(name) => return Some(SkipReason::ProtectedRole { role: name.to_string() }),
                // A role the roles list does not name is refused: it could be anything.
                None => return Some(SkipReason::ProtectedRole { role: format!("unknown role id {role_id}") }),
            }
        }
        account.is_room(user).then_some(SkipReason::ZoomRoom)
    }
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

fn action_for(request: &Request, user: &AccountUser, policy: &Policy) -> Action {
    let delete = (request.kind == ActionKind::Delete).then(|| {
        let transfer = request.transfer_email.is_some();
        Box::new(DeleteSpec {
            mode: policy.delete_mode,
            transfer_email: request.transfer_email.clone(),
            transfer_meetings: transfer && policy.transfer.meetings,
            transfer_webinars: transfer && policy.transfer.webinars,
            transfer_recordings: transfer && policy.transfer.recordings,
            transfer_whiteboards: transfer && policy.transfer.whiteboards,
        })
    });
    let live = user.id.is_some() && user.status == UserStatus::Active;
    let checks = match request.kind {
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
    Action {
        action_id: String::new(),
        kind: request.kind,
        user_id: user.id.clone().unwrap_or_else(|| user.email.clone()),
        email: user.email.clone(),
        line: request.line,
        reason: request.reason.clone(),
        delete,
        revoke_sso_first: policy.revoke_sso_first && live && request.kind != ActionKind::Downgrade,
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
                "refused: the user's role is unknown role id opaque-new-role",
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
        let account = small_account();
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
        assert_eq!(delete.transfer_email.as_deref(), Some("boss@acme.example"));
        assert!(delete.transfer_meetings && delete.transfer_recordings);
        assert_eq!(action.checks.cloud_recordings, RecordingsRule::Ignore, "recordings are transferred");
        assert_eq!(
            action.before,
            UserState { status: UserStatus::Active, user_type: 2, role_id: Some("role-Member".into()) }
        );
        assert_eq!(plan.skipped[0].reason, SkipReason::UnknownEmployeeId);

        let no_manager = Request { transfer_email: None, ..request("ana@acme.example", ActionKind::Delete) };
        let plan = super::tests::plan(&[no_manager], &account, &Policy::default());
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
