//! Preflight: every Zoom call a deployment's policy can lead to, known before anything runs.
//!
//! The planner refuses a run whose actions need a scope the Zoom app lacks, and the
//! executor checks an action's scopes before it acts; both find out on the day of a run.
//! The admin setting the app up should find out before the first one (`offboard doctor`).
//! So that this answer cannot drift from what a run does, it is not a second table of
//! which action calls what: one representative user (active, licensed, so every check
//! applies) is planned for each kind of request the policy can make, by the planner's own
//! decision ([`decide`], [`plan_undo`]), and each planned action's calls come from the
//! executor's [`calls_of`]. The guardrails are left out of that plan: they decide who is
//! acted on, never which calls an action makes, and a representative user they refused
//! would hide the calls of every user they allow. So the representative user is a plain
//! member (the guardrails refuse a user whose role is unknown), and an HR row's manager is
//! a stand-in who can receive a delete's transfers (active, licensed, a member). An HR row
//! without a manager is planned with no one else to transfer to either (the stand-in
//! account has no archive user), so it shows what a delete with no usable target becomes:
//! a deactivation, or under `transfer.accept_data_loss` a delete without transfers. A
//! delete to the archive account makes the same calls as one to the manager.

use std::collections::BTreeSet;

use jiff::Timestamp;
use offboard_core::undo::plan_undo;
use offboard_core::{
    decide, Account, AccountUser, Action, ActionKind, ActionResult, Decision, Findings, Outcome, Policy, Request,
    Termination, UserState, UserStatus, UserType,
};
use offboard_zoom::ZoomCall;

use crate::executor::calls_of;
use crate::planner::PLANNER_CALLS;

/// Every call a run under `policy` may make, in [`ZoomCall::ALL`] order, each once: the
/// planner's reads, and every call the executor may make for the actions the policy
/// plans (rosters get `inbox_action`; HR rows `hr_action`, with a manager to transfer to
/// and without; the sweep, when enabled, its `action`; an undo, restores), with the
/// checks the policy asks for.
pub fn calls_for_policy(policy: &Policy) -> Vec<ZoomCall> {
    let mut calls: BTreeSet<ZoomCall> = PLANNER_CALLS.into_iter().collect();
    for action in policy_actions(policy) {
        calls.extend(calls_of(&action));
    }
    calls.into_iter().collect()
}

/// The calls only an HR file whose rows name their own action (`deactivate`, `delete`,
/// `downgrade`) can lead to, beyond [`calls_for_policy`]: the policy does not choose those
/// actions, the file does. Without their scopes such a file's run is refused as a whole
/// (the planner checks every planned action's scopes before it sends anything).
pub fn calls_for_hr_row_actions(policy: &Policy) -> Vec<ZoomCall> {
    let needed: BTreeSet<ZoomCall> = calls_for_policy(policy).into_iter().collect();
    let mut extra = BTreeSet::new();
    // An HR row may name any askable kind in its own action column, whatever `hr_action` says.
    for kind in ActionKind::ALL.into_iter().filter(|kind| kind.askable()) {
        for manager in [true, false] {
            for action in plan_one(policy, hr_request(policy, Some(kind), manager)) {
                extra.extend(calls_of(&action).into_iter().filter(|call| !needed.contains(call)));
            }
        }
    }
    extra.into_iter().collect()
}

/// The actions the policy itself plans for the representative user, one per kind of request.
fn policy_actions(policy: &Policy) -> Vec<Action> {
    let mut requests = vec![request(policy.inbox_action)];
    requests.push(hr_request(policy, None, true));
    requests.push(hr_request(policy, None, false));
    if policy.sweep.enabled {
        requests.push(request(policy.sweep.action));
    }
    let mut actions: Vec<Action> = requests.into_iter().flat_map(|r| plan_one(policy, r)).collect();
    actions.extend(restores());
    actions
}

const EMAIL: &str = "representative.user@preflight.invalid";
const MANAGER: &str = "manager@preflight.invalid";
/// The stand-ins' role, and the one role the stand-in policy may act on.
const ROLE_ID: &str = "preflight-member";
const ROLE: &str = "Member";

/// Active, licensed and a plain member: every check of every kind applies to them.
fn representative_user() -> AccountUser {
    stand_in("preflight-user", EMAIL)
}

fn stand_in(id: &str, email: &str) -> AccountUser {
    AccountUser {
        id: Some(id.into()),
        email: email.into(),
        first_name: "Representative".into(),
        last_name: "User".into(),
        user_type: UserType::Licensed,
        status: UserStatus::Active,
        role_id: Some(ROLE_ID.into()),
        last_login_time: None,
        user_created_at: None,
        employee_id: None,
    }
}

/// An account of the stand-ins `users`, whose role the roles list names (a member).
fn stand_in_account(users: Vec<AccountUser>) -> Account {
    Account { users, role_names: [(ROLE_ID.to_string(), ROLE.to_string())].into_iter().collect(), ..Account::default() }
}

fn request(kind: ActionKind) -> Request {
    Request {
        line: 1,
        email: Some(EMAIL.into()),
        employee_id: None,
        kind,
        transfer_email: None,
        reason: None,
        expect: None,
    }
}

/// An HR row's request as the HR reader makes it (`Termination::request`: a manager is a
/// transfer only for a delete), with the row's own action or the policy's.
fn hr_request(policy: &Policy, action: Option<ActionKind>, manager: bool) -> Request {
    let termination = Termination {
        source: "preflight".to_string(),
        line: 1,
        email: Some(EMAIL.to_string()),
        employee_id: None,
        effective: Timestamp::UNIX_EPOCH,
        manager_email: manager.then(|| MANAGER.to_string()),
        action,
        stage: None,
    };
    termination.request(policy)
}

/// The planner's decision for one request about the representative user, guardrails aside.
fn plan_one(policy: &Policy, request: Request) -> Vec<Action> {
    let mut unguarded = policy.clone();
    unguarded.guardrails.protected_emails.clear();
    unguarded.guardrails.protected_domains.clear();
    unguarded.guardrails.allowed_domains.clear();
    unguarded.guardrails.actionable_roles = vec![ROLE.to_string()];
    let account = stand_in_account(vec![representative_user(), stand_in("preflight-manager", MANAGER)]);
    let body = decide(Decision {
        requests: &[request],
        rejected: Vec::new(),
        scheduled: Vec::new(),
        account: &account,
        policy: &unguarded,
        calls_per_second: 1.0,
    });
    body.actions
}

/// The undo of a deactivation and of a downgrade of the representative user, as the
/// planner plans it from the run's results (an undo restores only users still as the run
/// left them: one deactivated, one Basic).
fn restores() -> Vec<Action> {
    let user = representative_user();
    let prior = UserState::of(&user);
    let downgraded = AccountUser {
        id: Some("preflight-downgraded".into()),
        email: "downgraded.user@preflight.invalid".into(),
        user_type: UserType::Basic,
        ..user.clone()
    };
    let result = |action_id: &str, kind, of: &AccountUser| ActionResult {
        run_id: "preflight".to_string(),
        action_id: action_id.to_string(),
        kind,
        user_id: of.id.as_deref().unwrap_or_default().to_string(),
        email: of.email.to_string(),
        outcome: Outcome::Done,
        performed: None,
        findings: Findings::default(),
        zoom_message: None,
        prior: Some(prior.clone()),
        attempt: 1,
        started_at: String::new(),
        finished_at: String::new(),
    };
    let results = [result("1", ActionKind::Deactivate, &user), result("2", ActionKind::Downgrade, &downgraded)];
    // Each as its action left it: each result has something to restore.
    let deactivated = AccountUser { status: UserStatus::Inactive, user_type: UserType::Basic, ..user.clone() };
    let account = stand_in_account(vec![deactivated, downgraded]);
    plan_undo(&results, &account, 1.0).actions
}

#[cfg(test)]
mod tests {
    use offboard_core::{MeetingsRule, RecordingsRule};

    use super::*;

    fn quiet_policy() -> Policy {
        let mut policy = Policy {
            inbox_action: ActionKind::Deactivate,
            hr_action: ActionKind::Deactivate,
            revoke_sso_first: false,
            upcoming_meetings: MeetingsRule::Ignore,
            cloud_recordings: RecordingsRule::Ignore,
            ..Policy::default()
        };
        policy.sweep.action = ActionKind::Downgrade;
        policy
    }

    #[test]
    fn the_default_policy_needs_every_call_a_run_makes() {
        // No recordings check: by default a delete transfers the recordings, and one with
        // no one to transfer them to is a deactivation, which keeps them.
        assert_eq!(
            calls_for_policy(&Policy::default()),
            vec![
                ZoomCall::ListUsers,
                ZoomCall::GetUser,
                ZoomCall::UpdateStatus,
                ZoomCall::DeleteUser,
                ZoomCall::UpdateUser,
                ZoomCall::RevokeSsoToken,
                ZoomCall::ListUpcomingMeetings,
                ZoomCall::ListRoles,
                ZoomCall::ListZoomRooms,
            ]
        );
        let mut lossy = Policy::default();
        lossy.transfer.accept_data_loss = true;
        assert!(calls_for_policy(&lossy).contains(&ZoomCall::ListUserRecordings));
        // The default HR action is a delete: HR rows naming their own action add nothing.
        assert_eq!(calls_for_hr_row_actions(&Policy::default()), Vec::<ZoomCall>::new());
    }

    #[test]
    fn a_policy_without_checks_or_deletes_needs_only_the_reads_and_the_changes() {
        let policy = quiet_policy();
        assert_eq!(
            calls_for_policy(&policy),
            vec![
                ZoomCall::ListUsers,
                ZoomCall::UpdateStatus,
                ZoomCall::UpdateUser,
                ZoomCall::ListRoles,
                ZoomCall::ListZoomRooms,
            ]
        );
        // A row saying `delete` still can: that is the file's choice, not the policy's (with
        // the lookup a delete naming a transfer target may need).
        assert_eq!(calls_for_hr_row_actions(&policy), vec![ZoomCall::GetUser, ZoomCall::DeleteUser]);
    }

    #[test]
    fn each_setting_adds_the_calls_its_check_makes() {
        let mut policy = quiet_policy();
        policy.revoke_sso_first = true;
        assert!(calls_for_policy(&policy).contains(&ZoomCall::RevokeSsoToken));

        let mut policy = quiet_policy();
        policy.upcoming_meetings = MeetingsRule::Skip;
        assert!(calls_for_policy(&policy).contains(&ZoomCall::ListUpcomingMeetings));

        // Recordings are checked before a delete that does not transfer them only, which
        // only a policy accepting the loss plans.
        let mut policy = quiet_policy();
        policy.cloud_recordings = RecordingsRule::KeepAsBasic;
        assert!(!calls_for_policy(&policy).contains(&ZoomCall::ListUserRecordings));
        assert_eq!(calls_for_hr_row_actions(&policy), vec![ZoomCall::GetUser, ZoomCall::DeleteUser]);
        policy.transfer.accept_data_loss = true;
        assert_eq!(
            calls_for_hr_row_actions(&policy),
            vec![ZoomCall::GetUser, ZoomCall::DeleteUser, ZoomCall::ListUserRecordings]
        );
        policy.hr_action = ActionKind::Delete;
        assert!(calls_for_policy(&policy).contains(&ZoomCall::ListUserRecordings));
        assert!(calls_for_policy(&policy).contains(&ZoomCall::DeleteUser));
    }

    #[test]
    fn a_transfer_of_recordings_does_not_hide_the_check_for_rows_without_a_manager() {
        let mut policy = quiet_policy();
        policy.hr_action = ActionKind::Delete;
        policy.cloud_recordings = RecordingsRule::KeepAsBasic;
        policy.transfer.recordings = true;
        policy.transfer.accept_data_loss = true;
        assert!(calls_for_policy(&policy).contains(&ZoomCall::ListUserRecordings));
        // An archive account in the policy does not hide it either: it may be unusable on the day.
        policy.transfer.archive_email = Some("archive@acme.example".to_string());
        assert!(calls_for_policy(&policy).contains(&ZoomCall::ListUserRecordings));
    }

    #[test]
    fn a_delete_row_without_anyone_to_transfer_to_shows_the_deactivation_it_becomes() {
        let mut policy = quiet_policy();
        policy.hr_action = ActionKind::Delete;
        policy.inbox_action = ActionKind::Downgrade;
        policy.sweep.enabled = false;
        policy.transfer.archive_email = Some("archive@acme.example".to_string());
        let kinds: Vec<ActionKind> = policy_actions(&policy).iter().map(|a| a.kind()).collect();
        assert_eq!(
            kinds,
            [
                ActionKind::Downgrade,
                ActionKind::Delete,
                ActionKind::Deactivate,
                ActionKind::Restore,
                ActionKind::Restore
            ]
        );
        // The deactivation's status change is listed even though no roster or sweep deactivates.
        assert!(calls_for_policy(&policy).contains(&ZoomCall::UpdateStatus));
    }

    #[test]
    fn the_sweep_counts_only_when_enabled() {
        let mut policy = quiet_policy();
        policy.inbox_action = ActionKind::Downgrade;
        policy.hr_action = ActionKind::Downgrade;
        policy.sweep.action = ActionKind::Deactivate;
        policy.upcoming_meetings = MeetingsRule::Skip;
        policy.revoke_sso_first = true;
        // Only a deactivation checks meetings and revokes SSO here, and only the sweep deactivates.
        assert!(calls_for_policy(&policy).contains(&ZoomCall::ListUpcomingMeetings));
        assert!(calls_for_policy(&policy).contains(&ZoomCall::RevokeSsoToken));
        policy.sweep.enabled = false;
        assert!(!calls_for_policy(&policy).contains(&ZoomCall::ListUpcomingMeetings));
        assert!(!calls_for_policy(&policy).contains(&ZoomCall::RevokeSsoToken));
        // An undo restores through both changes whatever the policy plans.
        assert!(calls_for_policy(&policy).contains(&ZoomCall::UpdateStatus));
        assert!(calls_for_policy(&policy).contains(&ZoomCall::UpdateUser));
    }

    #[test]
    fn a_meetings_rule_of_downgrade_needs_the_type_change() {
        let mut policy = quiet_policy();
        policy.upcoming_meetings = MeetingsRule::Downgrade;
        let actions = policy_actions(&policy);
        let deactivation = actions.iter().find(|a| a.kind() == ActionKind::Deactivate).expect("a deactivation");
        assert!(calls_of(deactivation).contains(&ZoomCall::UpdateUser));
    }

    #[test]
    fn guardrails_choose_who_not_which_calls() {
        let mut guarded = Policy::default();
        guarded.guardrails.allowed_domains = vec!["acme.example".to_string()];
        guarded.guardrails.protected_domains = vec!["invalid".to_string()];
        guarded.guardrails.protected_emails = vec![EMAIL.to_string()];
        assert_eq!(calls_for_policy(&guarded), calls_for_policy(&Policy::default()));
    }

    #[test]
    fn every_kind_the_policy_plans_is_planned_once_per_request() {
        let actions = policy_actions(&Policy::default());
        let kinds: Vec<ActionKind> = actions.iter().map(|a| a.kind()).collect();
        // inbox (deactivate), HR with a manager (delete) and without one (no one to transfer
        // to: deactivate), sweep (downgrade), two restores.
        assert_eq!(
            kinds,
            [
                ActionKind::Deactivate,
                ActionKind::Delete,
                ActionKind::Deactivate,
                ActionKind::Downgrade,
                ActionKind::Restore,
                ActionKind::Restore
            ]
        );
        assert!(actions
            .iter()
            .filter(|a| a.kind() == ActionKind::Delete)
            .all(|a| a.change.transfer_target() == Some(MANAGER)));
    }

    #[test]
    fn the_answer_is_sorted_and_has_no_duplicates() {
        for policy in [Policy::default(), quiet_policy()] {
            let calls = calls_for_policy(&policy);
            assert!(calls.windows(2).all(|pair| pair[0] < pair[1]), "{calls:?}");
            let order: Vec<ZoomCall> = ZoomCall::ALL.into_iter().filter(|c| calls.contains(c)).collect();
            assert_eq!(calls, order, "in the order of ZoomCall::ALL");
        }
    }
}
