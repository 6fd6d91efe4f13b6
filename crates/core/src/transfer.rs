//! Transfer targets: who may receive a departing user's meetings, webinars, recordings
//! and whiteboards, checked against the account before a delete is planned or approved.

use crate::email;
use crate::email_index::EmailIndex;
use crate::guardrails::Refusals;
use crate::snapshot::{Account, UserStatus};

/// Who may receive a departing user's meetings, webinars, recordings and whiteboards.
pub(crate) struct Targets<'a> {
    pub(crate) account: &'a Account,
    pub(crate) by_email: &'a EmailIndex<'a>,
    pub(crate) refusals: &'a Refusals<'a>,
    /// For each user, the line of the plan's action on them, if any.
    pub(crate) leaving: &'a Leaving,
}

/// For each user of the account, the line of the plan's action on them, if any: eight
/// bytes a user, where `Option<u64>` would take sixteen.
pub(crate) struct Leaving(Vec<u64>);

impl Leaving {
    /// No line is this far down a file.
    const NOT_LEAVING: u64 = u64::MAX;

    pub(crate) fn none_of(users: usize) -> Self {
        Leaving(vec![Self::NOT_LEAVING; users])
    }

    pub(crate) fn line(&self, user: usize) -> Option<u64> {
        Some(self.0[user]).filter(|&line| line != Self::NOT_LEAVING)
    }

    pub(crate) fn set(&mut self, user: usize, line: u64) {
        self.0[user] = line.min(Self::NOT_LEAVING - 1);
    }
}

impl Targets<'_> {
    /// The index of the user `address` names if they can receive the things of user
    /// `departing`, else why not (a phrase starting with the address): they must be a user
    /// of the account, not the departing user, not acted on by this plan (any kind),
    /// active (not deactivated, not a pending invitation), allowed by the guardrails (not
    /// protected, an admin, of an unknown role or a Zoom Room) and licensed (Zoom transfers
    /// recordings only to a licensed user).
    pub(crate) fn check(&self, address: &str, departing: usize) -> Result<usize, String> {
        let normalized = email::normalize(address);
        let Some(index) = self.by_email.get(&normalized) else {
            return Err(format!("{normalized} is not a user of the account"));
        };
        let user = &self.account.users[index];
        let shown = &user.email;
        if index == departing {
            return Err(format!("{shown} is the user themself"));
        }
        if let Some(line) = self.leaving.line(index) {
            return Err(match line {
                0 => format!("{shown} is leaving in this run too (the sweep's finding)"),
                line => format!("{shown} is leaving in this run too (line {line})"),
            });
        }
        if user.status == UserStatus::Inactive {
            return Err(format!("{shown} is deactivated"));
        }
        if user.is_invitation() {
            return Err(format!("{shown} has not accepted their invitation (pending)"));
        }
        if let Some(reason) = self.refusals.refuse_user(self.account, user, true) {
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
