//! Undo: from an earlier run's results to the actions that bring its users back.
//!
//! Only what the run itself changed is undone (`done` results of a deactivation or a
//! downgrade, which record the user's prior state), and only while it holds: a user is
//! restored only if they are still as the run left them ([`LeftState`]: inactive after a
//! deactivation, whatever type Zoom shows then; active and Basic after a downgrade; with
//! the role the run saw). Anyone changed since (re-activated, re-licensed, deactivated
//! after a downgrade, given another role) is skipped as `changed_since`, naming both
//! states: undoing an old run must not overwrite what happened after it. A delete cannot
//! be reversed through the API, and a user already back as they were needs nothing. The
//! undo is a run like any other: same executor, same ledger, same summary.

use rustc_hash::FxHashMap;

use crate::action::{Action, Change, Checks, UserState};
use crate::estimate::count;
use crate::outcome::ActionResult;
use crate::plan::PlanBody;
use crate::request::{SkipReason, SkippedRow};
use crate::snapshot::{Account, AccountUser, UserStatus, UserType};

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
        let skip = |reason: SkipReason| SkippedRow { line, value: result.email.as_str().into(), reason };
        let performed = result.performed.unwrap_or(result.kind);
        if !result.outcome.applied() {
            skipped.push(skip(SkipReason::NothingToUndo { outcome: result.outcome.label().to_string() }));
            continue;
        }
        let Some((prior, left)) =
            result.prior.clone().and_then(|prior| performed.leaves(&prior).map(|left| (prior, left)))
        else {
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
        if !left.holds(&now) {
            skipped.push(skip(SkipReason::ChangedSince { left: Box::new(left), now: Box::new(now) }));
            continue;
        }
        actions.push(Action {
            action_id: result.action_id.as_str().into(),
            change: Change::Restore(Box::new(prior)),
            user_id: result.user_id.as_str().into(),
            email: result.email.as_str().into(),
            line,
            reason: Some(format!("undo of {} {}", performed.as_str(), result.action_id)),
            revoke_sso_first: false,
            checks: Checks::NONE,
            before: now,
        });
    }
    let counts = count(account, results.len(), matched, &actions, &skipped, 0, calls_per_second);
    PlanBody { counts, hold: None, actions, skipped, scheduled: Vec::new() }
}

/// The calls a restore makes: an activation when the user was active and is not, and a
/// type change when the type differs.
pub fn restore_steps(now: &UserState, to: &UserState) -> (bool, Option<UserType>) {
    let activate = to.status == UserStatus::Active && now.status != UserStatus::Active;
    let user_type = (to.user_type != now.user_type).then_some(to.user_type);
    (activate, user_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionKind;
    use crate::outcome::{Findings, Outcome};

    fn user(id: &str, status: UserStatus, user_type: u8) -> AccountUser {
        AccountUser {
            id: Some(id.into()),
            email: format!("{id}@acme.example").into(),
            first_name: Default::default(),
            last_name: Default::default(),
            user_type: user_type.into(),
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
        UserState { status, user_type: user_type.into(), role_id: None }
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
        let restored: Vec<(&str, &Change)> = body.actions.iter().map(|a| (a.user_id.as_str(), &a.change)).collect();
        let back = Change::Restore(Box::new(licensed.clone()));
        assert_eq!(restored, vec![("deact", &back), ("down", &back)]);
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
    fn an_undo_acts_only_on_users_still_as_the_run_left_them() {
        let licensed = state(UserStatus::Active, 2);
        let with_role = |mut state: UserState, role: &str| {
            state.role_id = Some(role.into());
            state
        };
        let mut promoted = user("promoted", UserStatus::Inactive, 1);
        promoted.role_id = Some("role-admin".into());
        let mut kept = user("kept", UserStatus::Inactive, 1);
        kept.role_id = Some("role-member".into());
        let account = Account {
            users: vec![
                // Downgraded by the run, deactivated since (they left): not brought back.
                user("down-left", UserStatus::Inactive, 1),
                // Deactivated by the run, re-activated as Basic since: not re-licensed.
                user("deact-back-basic", UserStatus::Active, 1),
                // Downgraded by the run, licensed again and deactivated since.
                user("down-relicensed", UserStatus::Inactive, 2),
                // Deactivated by the run and still so, with the type Zoom shows after it.
                user("deact", UserStatus::Inactive, 1),
                // Deactivated by the run, and promoted since.
                promoted,
                kept,
            ],
            ..Account::default()
        };
        let results = vec![
            result("down-left", ActionKind::Downgrade, Outcome::Done, licensed.clone()),
            result("deact-back-basic", ActionKind::Deactivate, Outcome::Done, licensed.clone()),
            result("down-relicensed", ActionKind::Downgrade, Outcome::Done, licensed.clone()),
            result("deact", ActionKind::Deactivate, Outcome::Done, licensed.clone()),
            result("promoted", ActionKind::Deactivate, Outcome::Done, with_role(licensed.clone(), "role-member")),
            result("kept", ActionKind::Deactivate, Outcome::Done, with_role(licensed.clone(), "role-member")),
        ];
        let body = plan_undo(&results, &account, 10.0);
        let restored: Vec<&str> = body.actions.iter().map(|a| a.user_id.as_str()).collect();
        assert_eq!(restored, ["deact", "kept"]);
        let skipped: Vec<(&str, &str, String)> =
            body.skipped.iter().map(|s| (s.value.as_str(), s.reason.code(), s.reason.to_string())).collect();
        assert_eq!(
            skipped,
            [
                (
                    "deact-back-basic@acme.example",
                    "changed_since",
                    "changed since the run: it left the user inactive, they are now active, type 1".to_string()
                ),
                (
                    "down-left@acme.example",
                    "changed_since",
                    "changed since the run: it left the user active, type 1, they are now inactive, type 1".to_string()
                ),
                (
                    "down-relicensed@acme.example",
                    "changed_since",
                    "changed since the run: it left the user active, type 1, they are now inactive, type 2".to_string()
                ),
                (
                    "promoted@acme.example",
                    "changed_since",
                    "changed since the run: it left the user inactive, role role-member, \
                     they are now inactive, type 1, role role-admin"
                        .to_string()
                ),
            ]
        );
        assert!(body.skipped.iter().all(|s| !s.reason.is_refusal()));
    }

    #[test]
    fn a_restore_activates_then_gives_the_license_back() {
        let licensed = state(UserStatus::Active, 2);
        assert_eq!(restore_steps(&state(UserStatus::Inactive, 1), &licensed), (true, Some(UserType::Licensed)));
        assert_eq!(restore_steps(&state(UserStatus::Active, 1), &licensed), (false, Some(UserType::Licensed)));
        assert_eq!(restore_steps(&state(UserStatus::Inactive, 1), &state(UserStatus::Active, 1)), (true, None));
        assert_eq!(restore_steps(&licensed, &licensed), (false, None));
    }
}
