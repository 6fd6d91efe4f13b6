//! Guardrails: who is never acted on, and when a plan waits for a person.
//!
//! The rules come from the policy's `guardrails`; here they are asked. [`Refusals`] says
//! whether an address or a user may be acted on (the plan, an approval's recheck and a
//! transfer target's check all ask it), and [`hold`] whether a plan is too big to send
//! without approval, with the reason a person reads.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::email;
use crate::policy::Policy;
use crate::request::SkipReason;
use crate::snapshot::{Account, AccountUser};

/// Why a plan waits for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub actions: usize,
    pub threshold: usize,
    pub reason: String,
}

/// The hold a plan of `actions` actions gets in an account of `users` users, if it
/// exceeds the policy's threshold (at most `hold_above_count`, or `hold_above_share` of
/// the account).
pub fn hold(actions: usize, users: usize, policy: &Policy) -> Option<Hold> {
    let threshold = policy.guardrails.hold_threshold(users);
    (actions > threshold).then(|| Hold {
        actions,
        threshold,
        reason: format!(
            "{actions} actions exceed the limit of {threshold} for an account of {users} users (at most {} or {}% of it); \
             approve the run to send them",
            policy.guardrails.hold_above_count,
            policy.guardrails.hold_above_share * 100.0
        ),
    })
}

/// The guardrails in a form that is quick to ask.
pub(crate) struct Refusals<'a> {
    protected_emails: FxHashSet<String>,
    protected_domains: Vec<String>,
    allowed_domains: Vec<String>,
    actionable_roles: &'a [String],
}

impl<'a> Refusals<'a> {
    pub(crate) fn new(policy: &'a Policy) -> Self {
        let g = &policy.guardrails;
        let domains = |list: &[String]| list.iter().map(|d| email::normalize(d.trim_start_matches('@'))).collect();
        Refusals {
            protected_emails: g.protected_emails.iter().map(|e| email::normalize(e)).collect(),
            protected_domains: domains(&g.protected_domains),
            allowed_domains: domains(&g.allowed_domains),
            actionable_roles: &g.actionable_roles,
        }
    }

    pub(crate) fn refuse_email(&self, normalized: &str) -> Option<SkipReason> {
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
    pub(crate) fn refuse_user(&self, account: &Account, user: &AccountUser, check_email: bool) -> Option<SkipReason> {
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
            None => return Some(SkipReason::UnknownRole { role_id: Some(role_id.to_string()) }),
        }
        account.is_room(user).then_some(SkipReason::ZoomRoom)
    }
}
