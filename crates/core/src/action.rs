//! Actions: the one change Offboard makes to one user, and what the executor needs to
//! make it safely.
//!
//! An [`Action`] is what a plan carries and the queue delivers: its [`Change`] (the kind
//! of change with the data only that kind has: a delete's transfers, [`DeleteSpec`], a
//! restore's target state), the user as the backup saw them ([`UserState`], what an undo
//! restores) and the [`Checks`] made just before acting. [`ActionKind`] is the kind alone,
//! what requests ask for and counts and metrics are keyed by. [`LeftState`] is what a
//! finished action leaves, the state an undo may reverse, and only while it holds.
//! Nothing here decides who is acted on: that is [`crate::plan`].

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::snapshot::{AccountUser, UserStatus, UserType};

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
    /// An undo: bring the user back to the state in [`Change::Restore`] (`PUT .../status
    /// activate`, then `PATCH {"type":N}`), after a deactivation or a downgrade.
    Restore,
}

impl ActionKind {
    pub const ALL: [ActionKind; 4] =
        [ActionKind::Deactivate, ActionKind::Delete, ActionKind::Downgrade, ActionKind::Restore];

    /// Whether an input (a roster, an HR row, the policy's `inbox_action`, `hr_action`,
    /// `sweep.action`) may ask for it: a restore is an undo's own, back to a state its run
    /// recorded.
    pub fn askable(self) -> bool {
        match self {
            ActionKind::Deactivate | ActionKind::Delete | ActionKind::Downgrade => true,
            ActionKind::Restore => false,
        }
    }

    /// The kinds an input may ask for, for people: `deactivate, delete or downgrade`.
    pub fn askable_names() -> String {
        let names: Vec<&str> = ActionKind::ALL.into_iter().filter(|k| k.askable()).map(ActionKind::as_str).collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Deactivate => "deactivate",
            ActionKind::Delete => "delete",
            ActionKind::Downgrade => "downgrade",
            ActionKind::Restore => "restore",
        }
    }

    /// Whether the change removes the user from the account's active people (the user
    /// signs in no more): what the SSO revoke is for, and what the account's figures count
    /// as leaving.
    pub fn ends_access(self) -> bool {
        matches!(self, ActionKind::Deactivate | ActionKind::Delete)
    }

    /// What the change leaves a user who was `prior`: the state an undo may reverse,
    /// `None` for a change an undo cannot reverse. A deactivation leaves the user
    /// `inactive`, with whatever type Zoom shows after it (its deactivation removes the
    /// licenses), so only the status is compared; a downgrade leaves them `active` and
    /// Basic. Neither changes the role, so the role is the one the run saw.
    pub fn leaves(self, prior: &UserState) -> Option<LeftState> {
        let (status, user_type) = match self {
            ActionKind::Deactivate => (UserStatus::Inactive, None),
            ActionKind::Downgrade => (UserStatus::Active, Some(UserType::Basic)),
            ActionKind::Delete | ActionKind::Restore => return None,
        };
        Some(LeftState { status, user_type, role_id: prior.role_id.clone() })
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind named other than [`ActionKind::as_str`] names one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an action: expected deactivate, delete, downgrade or restore")]
pub struct UnknownActionKind(pub String);

impl FromStr for ActionKind {
    type Err = UnknownActionKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ActionKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownActionKind(text.to_string()))
    }
}

/// The change an action makes, with what only that kind of change needs: one value, so
/// a delete always has its transfers and a restore its target, and nothing else has
/// either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Deactivate,
    Downgrade,
    Delete(Box<DeleteSpec>),
    /// Bring the user back to this state (an undo). Boxed, as a delete's spec is: every
    /// action of a plan is as big as its biggest change.
    Restore(Box<UserState>),
}

impl Change {
    pub fn kind(&self) -> ActionKind {
        match self {
            Change::Deactivate => ActionKind::Deactivate,
            Change::Downgrade => ActionKind::Downgrade,
            Change::Delete(_) => ActionKind::Delete,
            Change::Restore(_) => ActionKind::Restore,
        }
    }

    /// A delete's transfers, for a delete.
    pub fn delete_spec(&self) -> Option<&DeleteSpec> {
        match self {
            Change::Delete(spec) => Some(spec),
            _ => None,
        }
    }

    /// Who receives a delete's things, for a delete that transfers them.
    pub fn transfer_target(&self) -> Option<&str> {
        self.delete_spec().and_then(|spec| spec.transfer_email.as_deref())
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
    pub user_type: UserType,
    pub role_id: Option<CompactString>,
}

impl UserState {
    pub fn of(user: &AccountUser) -> Self {
        UserState { status: user.status, user_type: user.user_type, role_id: user.role_id.clone() }
    }
}

/// The state a run left a user in ([`ActionKind::leaves`]): what an undo may reverse,
/// and only while it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftState {
    pub status: UserStatus,
    /// The type the run left; `None` when the action does not decide it (a deactivation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<CompactString>,
}

impl LeftState {
    /// Whether the user is still as the run left them: the same status, the same type
    /// when the action set it, and the same role when the run knew it.
    pub fn holds(&self, now: &UserState) -> bool {
        now.status == self.status
            && self.user_type.is_none_or(|t| t == now.user_type)
            && self.role_id.as_ref().is_none_or(|r| now.role_id.as_ref() == Some(r))
    }
}

/// One planned change to one user.
///
/// In JSON (plans, queue messages) the change is spread over `kind`, `delete` and
/// `restore`, as plans have always been written; reading refuses a kind without its data
/// or with another kind's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Unique within the run, stable across re-plans of the same input and account.
    pub action_id: CompactString,
    pub change: Change,
    /// Zoom's id, or the email for a pending invitation (which has no id).
    pub user_id: CompactString,
    pub email: CompactString,
    /// The line that asked for it (0 for the sweep's own findings).
    pub line: u64,
    /// Why, when more than "listed on that line" (an HR termination, the sweep's finding).
    pub reason: Option<String>,
    pub revoke_sso_first: bool,
    pub checks: Checks,
    pub before: UserState,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        self.change.kind()
    }

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

/// [`Action`] as written: the change's data in the fields plans have always had.
#[derive(Serialize)]
struct ActionOut<'a> {
    action_id: &'a str,
    kind: ActionKind,
    user_id: &'a str,
    email: &'a str,
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete: Option<&'a DeleteSpec>,
    revoke_sso_first: bool,
    checks: Checks,
    before: &'a UserState,
    #[serde(skip_serializing_if = "Option::is_none")]
    restore: Option<&'a UserState>,
}

/// [`Action`] as read, before its change is checked whole.
#[derive(Deserialize)]
struct ActionIn {
    action_id: CompactString,
    kind: ActionKind,
    user_id: CompactString,
    email: CompactString,
    line: u64,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    delete: Option<Box<DeleteSpec>>,
    revoke_sso_first: bool,
    checks: Checks,
    before: UserState,
    #[serde(default)]
    restore: Option<Box<UserState>>,
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let restore = match &self.change {
            Change::Restore(to) => Some(to.as_ref()),
            _ => None,
        };
        ActionOut {
            action_id: &self.action_id,
            kind: self.kind(),
            user_id: &self.user_id,
            email: &self.email,
            line: self.line,
            reason: self.reason.as_deref(),
            delete: self.change.delete_spec(),
            revoke_sso_first: self.revoke_sso_first,
            checks: self.checks,
            before: &self.before,
            restore,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let wire = ActionIn::deserialize(deserializer)?;
        let change = match (wire.kind, wire.delete, wire.restore) {
            (ActionKind::Deactivate, None, None) => Change::Deactivate,
            (ActionKind::Downgrade, None, None) => Change::Downgrade,
            (ActionKind::Delete, Some(spec), None) => Change::Delete(spec),
            (ActionKind::Restore, None, Some(to)) => Change::Restore(to),
            (ActionKind::Delete, None, _) => return Err(D::Error::custom("a delete action without its `delete` spec")),
            (ActionKind::Restore, _, None) => {
                return Err(D::Error::custom("a restore action without the `restore` state to bring back"))
            }
            (kind, _, _) => {
                return Err(D::Error::custom(format!("a {kind} action carrying another kind's `delete` or `restore`")))
            }
        };
        Ok(Action {
            action_id: wire.action_id,
            change,
            user_id: wire.user_id,
            email: wire.email,
            line: wire.line,
            reason: wire.reason,
            revoke_sso_first: wire.revoke_sso_first,
            checks: wire.checks,
            before: wire.before,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn action(change: Change) -> Action {
        Action {
            action_id: "0001".into(),
            change,
            user_id: "u1".into(),
            email: "ana@acme.example".into(),
            line: 2,
            reason: None,
            revoke_sso_first: false,
            checks: Checks::NONE,
            before: UserState { status: UserStatus::Active, user_type: UserType::Licensed, role_id: None },
        }
    }

    #[test]
    fn an_action_is_written_as_plans_have_always_been_and_reads_back_the_same() {
        let spec = DeleteSpec {
            mode: DeleteMode::Delete,
            transfer_email: Some("boss@acme.example".into()),
            transfer_meetings: true,
            transfer_webinars: true,
            transfer_recordings: true,
            transfer_whiteboards: true,
        };
        let delete = action(Change::Delete(Box::new(spec)));
        let json = serde_json::to_string(&delete).unwrap();
        assert_eq!(
            json,
            r#"{"action_id":"0001","kind":"delete","user_id":"u1","email":"ana@acme.example","line":2,"delete":{"mode":"delete","transfer_email":"boss@acme.example","transfer_meetings":true,"transfer_webinars":true,"transfer_recordings":true,"transfer_whiteboards":true},"revoke_sso_first":false,"checks":{"upcoming_meetings":"ignore","cloud_recordings":"ignore"},"before":{"status":"active","user_type":2,"role_id":null}}"#
        );
        let restore = action(Change::Restore(Box::new(UserState {
            status: UserStatus::Active,
            user_type: UserType::Licensed,
            role_id: Some("r".into()),
        })));
        for original in [delete, restore, action(Change::Deactivate), action(Change::Downgrade)] {
            let read: Action = serde_json::from_str(&serde_json::to_string(&original).unwrap()).unwrap();
            assert_eq!(read, original);
        }
    }

    #[test]
    fn a_kind_without_its_data_or_with_another_kinds_is_refused() {
        let written = serde_json::to_value(action(Change::Deactivate)).unwrap();
        let with = |kind: &str, field: Option<(&str, serde_json::Value)>| {
            let mut v = written.clone();
            v["kind"] = kind.into();
            if let Some((name, value)) = field {
                v[name] = value;
            }
            serde_json::from_value::<Action>(v).unwrap_err().to_string()
        };
        let state = serde_json::json!({"status": "active", "user_type": 2, "role_id": null});
        assert!(with("delete", None).contains("a delete action without its `delete` spec"));
        assert!(with("restore", None).contains("without the `restore` state"));
        assert!(with("deactivate", Some(("restore", state))).contains("a deactivate action carrying another kind's"));
    }

    #[test]
    fn a_kind_reads_from_the_name_it_is_written_as_and_nothing_else() {
        for kind in ActionKind::ALL {
            assert_eq!(kind.as_str().parse::<ActionKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        let err = "Delete".parse::<ActionKind>().unwrap_err();
        assert_eq!(err.to_string(), "\"Delete\" is not an action: expected deactivate, delete, downgrade or restore");
    }

    #[test]
    fn an_input_may_ask_for_every_kind_but_a_restore() {
        let askable: Vec<ActionKind> = ActionKind::ALL.into_iter().filter(|k| k.askable()).collect();
        assert_eq!(askable, [ActionKind::Deactivate, ActionKind::Delete, ActionKind::Downgrade]);
        assert_eq!(ActionKind::askable_names(), "deactivate, delete or downgrade");
    }
}
