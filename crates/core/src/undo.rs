//! Undo: from an earlier run's results to the actions that bring its users back.
//!
//! Only what the run itself changed is undone (`done` results of a deactivation or a
//! downgrade, which record the user's prior state). A delete cannot be reversed through
//! the API, and a user already back as they were needs nothing. The undo is a run like
//! any other: same executor, same ledger, same summary.

use rustc_hash::FxHashMap;

use crate::outcome::ActionResult;
use crate::plan::{count, Action, ActionKind, Checks, PlanBody, SkipReason, SkippedRow, UserState};
use crate::snapshot::{Account, AccountUser, UserStatus};

/// The undo of `results` against the account as it is now. Rows are numbered by the
/// original action ids (line = position in `results`, sorted by action id).
pub fn plan_undo(results: &[ActionResult], account: &Account, calls_per_second: f64) -> PlanBody {
    let by_id: FxHashMap<&str, &AccountUser> =
        account.users.iter().map(|u| (u.id.as_deref().unwrap_or(u.email.as_str()), u)).collect();
    let mut sorted: Vec<&ActionResult> = results.iter().collect();
    sorted.sort_by(|a, b| a.action_id.cmp(&b.action_id));
    let mut actions = Vec::new();
    let mut skipped = Vec::new();
    let mut matched = 0;
    for (index, result) in sorted.into_iter().enumerate() {
        let line = index as u64 + 1;
        let skip = |reason: SkipReason| SkippedRow { line, value: result.email.clone(), reason };
        let performed = result.performed.unwrap_or(result.kind);
        if !result.outcome.applied() {
            skipped.push(skip(SkipReason::NothingToUndo { outcome: result.outcome.label().to_string() }));
            continue;
        }
        let Some(prior) = result.prior.clone().filter(|_| performed != ActionKind::Delete) else {
            skipped.push(skip(SkipReason::CannotUndo { kind: performed }));
            continue;
        };
        let Some(user) = by_id.get(result.user_id.as_str()) else {
            skipped.push(skip(SkipReason::NotInAccount));
            continue;
        };
        matched += 1;
        let now = UserState::of(user);
        if now.status == prior.status && now.user_type == prior.user_type {
            skipped.push(skip(SkipReason::AlreadyRestored));
            continue;
        }
        if now.status == UserStatus::Pending || prior.status == UserStatus::Pending {
            skipped.push(skip(SkipReason::PendingInvitation));
            continue;
        }
        actions.push(Action {
            action_id: result.action_id.clone(),
            kind: ActionKind::Restore,
            user_id: result.user_id.clone(),
            email: result.email.clone(),
            line,
            reason: Some(format!("undo of {} {}", performed.as_str(), result.action_id)),
            delete: None,
            revoke_sso_first: false,
            checks: Checks::NONE,
            before: now,
            restore: Some(prior),
        });
    }
    let counts = count(account, results.len(), matched, &actions, &skipped, 0, calls_per_second);
    PlanBody { counts, hold: None, actions, skipped, scheduled: Vec::new() }
}

/// The calls a restore makes: an activation when the user was active and is not, and a
/// type change when the type differs.
pub fn restore_steps(now: &UserState, to: &UserState) -> (bool, Option<u8>) {
    let activate = to.status == UserStatus::Active && now.status != UserStatus::Active;
    let user_type = (to.user_type != now.user_type).then_some(to.user_type);
    (activate, user_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Findings, Outcome};

    fn user(id: &str, status: UserStatus, user_type: u8) -> AccountUser {
        AccountUser {
            id: Some(id.to_string()),
            email: format!("{id}@acme.example"),
            first_name: String::new(),
            last_name: String::new(),
            user_type,
            status,
            role_id: None,
            last_login_time: None,
            user_created_at: None,
            employee_id: None,
        }
    }

    fn result(id: &str, kind: ActionKind, outcome: Outcome, prior: UserState) -> ActionResult {
        ActionResult {
            run_id: "r".into(),
            action_id: format!("a-{id}"),
            kind,
            user_id: id.into(),
            email: format!("{id}@acme.example"),
            outcome,
            performed: None,
            findings: Findings::default(),
            zoom_message: None,
            prior: Some(prior),
            attempt: 1,
            started_at: String::new(),
            finished_at: String::new(),
        }
    }

    fn state(status: UserStatus, user_type: u8) -> UserState {
        UserState { status, user_type, role_id: None }
    }

    #[test]
    fn undoes_what_the_run_changed_and_nothing_else() {
        let account = Account {
            users: vec![
                user("deact", UserStatus::Inactive, 1),
                user("down", UserStatus::Active, 1),
                user("back", UserStatus::Active, 2),
                user("skip", UserStatus::Active, 2),
            ],
            ..Account::default()
        };
        let licensed = state(UserStatus::Active, 2);
        let skipped = Outcome::Skipped { code: "hosts_upcoming_meetings".into(), reason: "hosts 1".into() };
        let results = vec![
            result("deact", ActionKind::Deactivate, Outcome::Done, licensed.clone()),
            result("down", ActionKind::Downgrade, Outcome::Done, licensed.clone()),
            result("back", ActionKind::Deactivate, Outcome::Done, licensed.clone()),
            result("skip", ActionKind::Deactivate, skipped, licensed.clone()),
            result("gone", ActionKind::Delete, Outcome::Done, licensed.clone()),
        ];
        let body = plan_undo(&results, &account, 10.0);
        let restored: Vec<(&str, Option<&UserState>)> =
            body.actions.iter().map(|a| (a.user_id.as_str(), a.restore.as_ref())).collect();
        assert_eq!(restored, vec![("deact", Some(&licensed)), ("down", Some(&licensed))]);
        assert!(body.actions.iter().all(|a| a.kind == ActionKind::Restore));
        let codes: Vec<(&str, &str)> = body.skipped.iter().map(|s| (s.value.as_str(), s.reason.code())).collect();
        assert_eq!(
            codes,
            vec![
                ("back@acme.example", "already_restored"),
                ("gone@acme.example", "cannot_undo"),
                ("skip@acme.example", "nothing_to_undo"),
            ]
        );
        assert!(body.hold.is_none());
    }

    #[test]
    fn a_restore_activates_then_gives_the_license_back() {
        let licensed = state(UserStatus::Active, 2);
        assert_eq!(restore_steps(&state(UserStatus::Inactive, 1), &licensed), (true, Some(2)));
        assert_eq!(restore_steps(&state(UserStatus::Active, 1), &licensed), (false, Some(2)));
        assert_eq!(restore_steps(&state(UserStatus::Inactive, 1), &state(UserStatus::Active, 1)), (true, None));
        assert_eq!(restore_steps(&licensed, &licensed), (false, None));
    }
}
