//! Requests: what each line of an input asks for, and why a line gets no action.
//!
//! Every reader (roster, HR file, sweep, undo) turns its input into [`Request`]s; a line
//! it cannot use, or one the plan will not act on, becomes a [`SkippedRow`] with its
//! [`SkipReason`], so a plan accounts for every line it was given.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use crate::action::{ActionKind, LeftState, UserState};

/// What one line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub line: u64,
    /// Normalized; matched first.
    pub email: Option<CompactString>,
    /// Matched when there is no email, or the email is not in the account.
    pub employee_id: Option<String>,
    pub kind: ActionKind,
    pub transfer_email: Option<String>,
    /// Why, when more than "listed on that line".
    pub reason: Option<String>,
    /// A staged delete come due: the user it may act on, as its deactivation left them.
    /// Anyone else, or the same user changed since, is skipped (`changed_since_staged`).
    pub expect: Option<Box<ExpectedUser>>,
}

/// The user a staged delete was planned for and the state its deactivation leaves them in
/// (inactive, their type and role as they were): the delete, when due, acts on that user
/// only while they are still so. Reactivated, relicensed, given another role, or a new
/// user under the same address: the delete is dropped and the plan says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedUser {
    pub user_id: CompactString,
    pub left: LeftState,
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
    /// someone changed them since, and an undo would overwrite that. Boxed: the rare
    /// reason would otherwise make every skipped row of a million-row plan twice the size.
    ChangedSince {
        left: Box<LeftState>,
        now: Box<UserState>,
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
    /// A staged delete come due for a user who is no longer as its deactivation left
    /// them (reactivated, say, because the termination was rescinded): dropped.
    ChangedSinceStaged {
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
            SkipReason::ChangedSinceStaged { .. } => "changed_since_staged",
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
                write!(f, "unknown action {value:?}; expected {}", ActionKind::askable_names())
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
            SkipReason::ChangedSinceStaged { detail } => {
                write!(f, "staged delete dropped: the user changed since their deactivation: {detail}")
            }
        }
    }
}

/// A request that gets no action, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: u64,
    pub value: CompactString,
    pub reason: SkipReason,
}
