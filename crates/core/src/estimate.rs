//! Estimates: the account's figures before a run and as they will be after it, and the
//! Zoom calls and time the run will take, for the plan's summary and the hold decision's
//! reader.

use serde::{Deserialize, Serialize};

use crate::action::{Action, ActionKind};
use crate::request::SkippedRow;
use crate::snapshot::{Account, UserStatus, UserType};

/// The account's figures before the run and as estimated after it: users by status and licence, the
/// input's rows and what became of them, and the calls and time the actions need.
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
        let was_licensed = action.before.user_type == UserType::Licensed;
        match action.kind() {
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
    let estimated_calls: usize = actions.iter().map(Action::calls).sum();
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
