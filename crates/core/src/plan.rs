//! The plan: what Offboard will do to whom, and why, decided before anything is sent.
//!
//! [`diff`] is the whole decision. It matches roster emails against the account snapshot
//! and yields one [`Action`] per user to act on and one [`SkippedRow`] per row it will
//! not act on, each with its reason, so the plan explains every line of the roster.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::roster::Roster;
use crate::snapshot::{AccountUser, UserStatus};

/// What to do to a user in Zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// `PUT /users/{id}/status {"action":"deactivate"}`: reversible.
    Deactivate,
}

/// One planned change to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Unique within the run, stable across re-plans of the same file and account.
    pub action_id: String,
    pub kind: ActionKind,
    pub user_id: String,
    pub email: String,
    /// The roster line that asked for it.
    pub line: u64,
    pub reason: String,
}

/// Why a roster row gets no action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SkipReason {
    InvalidEmail {
        detail: String,
    },
    Duplicate {
        first_line: u64,
    },
    NotInAccount,
    AlreadyInactive,
    /// An invitation not yet accepted: there is no user to deactivate.
    PendingInvitation,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::InvalidEmail { detail } => write!(f, "invalid email: {detail}"),
            SkipReason::Duplicate { first_line } => write!(f, "duplicate of line {first_line}"),
            SkipReason::NotInAccount => f.write_str("no user with this email in the account"),
            SkipReason::AlreadyInactive => f.write_str("user is already deactivated"),
            SkipReason::PendingInvitation => {
                f.write_str("pending invitation: the user has not joined, nothing to deactivate")
            }
        }
    }
}

/// A roster row that gets no action, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    pub line: u64,
    pub value: String,
    pub reason: SkipReason,
}

/// The account's figures before the run and as estimated after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    pub users_in_account: usize,
    pub active: usize,
    pub inactive: usize,
    pub pending: usize,
    pub licensed: usize,
    pub roster_rows: usize,
    pub matched: usize,
    pub actions: usize,
    pub skipped: usize,
    pub estimated_active_after: usize,
    pub estimated_licensed_after: usize,
}

/// The decision for a roster against an account, without run metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanBody {
    pub counts: PlanCounts,
    pub actions: Vec<Action>,
    pub skipped: Vec<SkippedRow>,
}

/// A plan as written to `runs/<run>/plan.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    pub run_id: String,
    /// Where the roster came from (`s3://bucket/key`).
    pub source: String,
    pub created_at: String,
    /// Where the backup taken before planning lies.
    pub backup_key: String,
    pub email_column: String,
    #[serde(flatten)]
    pub body: PlanBody,
}

/// Matches the roster against the account and decides, row by row.
pub fn diff(roster: &Roster, users: &[AccountUser]) -> PlanBody {
    let by_email: HashMap<String, &AccountUser> =
        users.iter().map(|u| (crate::email::normalize(&u.email), u)).collect();
    let mut actions = Vec::new();
    let mut skipped = roster.rejected.clone();
    let mut matched = 0;
    for entry in &roster.entries {
        let Some(user) = by_email.get(&entry.email) else {
            skipped.push(SkippedRow { line: entry.line, value: entry.email.clone(), reason: SkipReason::NotInAccount });
            continue;
        };
        matched += 1;
        let skip = match (user.status, &user.id) {
            (UserStatus::Inactive, _) => Some(SkipReason::AlreadyInactive),
            (UserStatus::Pending, _) | (_, None) => Some(SkipReason::PendingInvitation),
            (UserStatus::Active, Some(id)) => {
                actions.push(Action {
                    action_id: String::new(),
                    kind: ActionKind::Deactivate,
                    user_id: id.clone(),
                    email: entry.email.clone(),
                    line: entry.line,
                    reason: format!("listed on roster line {}", entry.line),
                });
                None
            }
        };
        if let Some(reason) = skip {
            skipped.push(SkippedRow { line: entry.line, value: entry.email.clone(), reason });
        }
    }
    let width = actions.len().to_string().len().max(4);
    for (index, action) in actions.iter_mut().enumerate() {
        action.action_id = format!("{:0width$}", index + 1);
    }
    skipped.sort_by_key(|row| row.line);

    let count = |status| users.iter().filter(|u| u.status == status).count();
    let licensed = users.iter().filter(|u| u.status == UserStatus::Active && u.is_licensed()).count();
    let licensed_acted_on = actions.iter().filter(|a| by_email.get(&a.email).is_some_and(|u| u.is_licensed())).count();
    let counts = PlanCounts {
        users_in_account: users.len(),
        active: count(UserStatus::Active),
        inactive: count(UserStatus::Inactive),
        pending: count(UserStatus::Pending),
        licensed,
        roster_rows: roster.entries.len() + roster.rejected.len(),
        matched,
        actions: actions.len(),
        skipped: skipped.len(),
        estimated_active_after: count(UserStatus::Active) - actions.len(),
        estimated_licensed_after: licensed - licensed_acted_on,
    };
    PlanBody { counts, actions, skipped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::parse_roster;

    fn user(id: Option<&str>, email: &str, status: UserStatus, user_type: u8) -> AccountUser {
        AccountUser {
            id: id.map(str::to_string),
            email: email.to_string(),
            first_name: "F".into(),
            last_name: "L".into(),
            user_type,
            status,
            role_id: Some("2".into()),
            last_login_time: None,
            user_created_at: None,
        }
    }

    fn account() -> Vec<AccountUser> {
        vec![
            user(Some("u1"), "Ana@acme.example", UserStatus::Active, 2),
            user(Some("u2"), "bo@acme.example", UserStatus::Active, 1),
            user(Some("u3"), "cy@acme.example", UserStatus::Inactive, 1),
            user(None, "di@acme.example", UserStatus::Pending, 1),
            user(Some("u5"), "ed@acme.example", UserStatus::Active, 2),
        ]
    }

    #[test]
    fn deactivates_matched_active_users_and_explains_every_other_row() {
        let csv =
            "email\nana@ACME.example\nbo@acme.example\ncy@acme.example\ndi@acme.example\nzed@acme.example\nbogus\n";
        let roster = parse_roster("r.csv", csv.as_bytes()).unwrap();
        let plan = diff(&roster, &account());

        let acted: Vec<_> = plan.actions.iter().map(|a| (a.action_id.as_str(), a.user_id.as_str())).collect();
        assert_eq!(acted, [("0001", "u1"), ("0002", "u2")]);
        assert!(plan.actions.iter().all(|a| a.kind == ActionKind::Deactivate));

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
        assert_eq!((c.users_in_account, c.active, c.inactive, c.pending, c.licensed), (5, 3, 1, 1, 2));
        assert_eq!((c.roster_rows, c.matched, c.actions, c.skipped), (6, 4, 2, 4));
        assert_eq!((c.estimated_active_after, c.estimated_licensed_after), (1, 1));
    }

    #[test]
    fn an_empty_roster_plans_nothing() {
        let roster = parse_roster("r.csv", b"email\n").unwrap();
        let plan = diff(&roster, &account());
        assert!(plan.actions.is_empty() && plan.skipped.is_empty());
    }
}
