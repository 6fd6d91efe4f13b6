//! Actions: the one change Offboard makes to one user, and what the executor needs to
//! make it safely.
//!
//! An [`Action`] is what a plan carries and the queue delivers: its [`ActionKind`], the
//! user as the backup saw them ([`UserState`], what an undo restores), a delete's
//! transfers ([`DeleteSpec`]) and the [`Checks`] made just before acting. [`LeftState`]
//! is what a finished action leaves, the state an undo may reverse, and only while it
//! holds. Nothing here decides who is acted on: that is [`crate::plan`].

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::snapshot::{AccountUser, UserStatus};

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

impl Action {
    /// The Zoom calls the action needs at most: the checks, the revoke, the change.
    pub fn calls(&self) -> usize {
        1 + usize::from(self.revoke_sso_first)
            + usize::from(self.checks.upcoming_meetings != MeetingsRule::Ignore)
            + usize::from(self.checks.cloud_recordings != RecordingsRule::Ignore)
    }

    /// Why, for people.
    pub fn why(&self) -> Cow<'_, str> {
        match &self.reason {
            Some(reason) => Cow::Borrowed(reason),
            None => Cow::Owned(format!("listed on line {}", self.line)),
        }
    }
}

/// What the executor does with a user who still hosts upcoming meetings (`upcoming_meetings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MeetingsRule {
    /// Act anyway.
    Ignore,
    /// Leave the user as they are and report why.
    #[default]
    Skip,
    /// Downgrade to Basic instead: the license comes back, the meetings stay.
    Downgrade,
}

/// What the executor does with a user who owns cloud recordings a delete would destroy
/// (`cloud_recordings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecordingsRule {
    Ignore,
    /// Downgrade to Basic instead of deleting, so the recordings survive.
    #[default]
    KeepAsBasic,
}
