//! Transfer targets: who may receive a departing user's meetings, webinars, recordings
//! and whiteboards, checked against the account before a delete is planned or approved.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::email;
use crate::guardrails::Refusals;
use crate::snapshot::{Account, UserStatus};

/// Who may receive a departing user's meetings, webinars, recordings and whiteboards.
pub(crate) struct Targets<'a> {
    pub(crate) account: &'a Account,
    pub(crate) by_email: &'a FxHashMap<Cow<'a, str>, usize>,
    pub(crate) refusals: &'a Refusals<'a>,
    /// For each user, the line of the plan's action on them, if any.
    pub(crate) leaving: &'a [Option<u64>],
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
