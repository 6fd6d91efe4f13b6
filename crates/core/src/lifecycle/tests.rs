use super::*;
use crate::hr::Rescind;
use crate::plan::fixtures::{account, user};
use crate::plan::{decide, Decision, PlanBody};
use crate::request::SkipReason;
use crate::snapshot::Account;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn staging(days: u32) -> Policy {
    Policy { delete_after_days: Some(days), ..Policy::default() }
}

fn leaving(email: &str, line: u64) -> Termination {
    Termination {
        source: "hr/leavers.csv".into(),
        line,
        email: Some(email.into()),
        employee_id: None,
        effective: at("2026-12-01T00:00:00Z"),
        manager_email: Some("boss@acme.example".into()),
        action: None,
        stage: None,
    }
}

fn plan(due: Due, account: &Account, policy: &Policy) -> PlanBody {
    decide(Decision {
        requests: &due.requests,
        rejected: Vec::new(),
        scheduled: due.staged,
        account,
        policy,
        calls_per_second: 10.0,
    })
}

fn people(ana: UserStatus) -> Account {
    account(vec![
        user(Some("u1"), "ana@acme.example", ana, 2, "Member"),
        user(Some("u2"), "boss@acme.example", UserStatus::Active, 2, "Member"),
        user(Some("u3"), "owner@acme.example", UserStatus::Active, 2, "Owner"),
    ])
}

#[test]
fn a_due_hr_delete_in_a_grace_window_deactivates_now_and_stages_a_delete_pinned_to_the_user() {
    let now = at("2026-12-04T09:00:00Z");
    let due = take_due(vec![leaving("ana@acme.example", 2)], now, &staging(30));
    assert_eq!(due.requests.len(), 1);
    assert_eq!((due.requests[0].kind, due.requests[0].transfer_email.as_deref()), (ActionKind::Deactivate, None));
    assert!(due.requests[0].reason.as_deref().unwrap().contains("staged delete: deleted on 2027-01-03T09:00:00Z"));
    assert_eq!(due.staged[0].effective, at("2027-01-03T09:00:00Z"));

    let body = plan(due, &people(UserStatus::Active), &staging(30));
    assert_eq!(body.actions.len(), 1);
    assert_eq!(body.actions[0].kind(), ActionKind::Deactivate);
    let stage = body.scheduled[0].stage.as_ref().expect("the staged delete is scheduled");
    assert_eq!(stage.deactivated_at, now);
    assert_eq!(stage.expect.user_id, "u1");
    let left = LeftState { status: UserStatus::Inactive, user_type: None, role_id: Some("role-Member".into()) };
    assert_eq!(stage.expect.left, left);
}

#[test]
fn without_a_grace_window_or_for_another_action_a_due_termination_asks_for_itself() {
    let now = at("2026-12-04T09:00:00Z");
    let due = take_due(vec![leaving("ana@acme.example", 2)], now, &Policy::default());
    assert_eq!((due.requests[0].kind, due.staged.len()), (ActionKind::Delete, 0));
    let deactivate = Termination { action: Some(ActionKind::Deactivate), ..leaving("ana@acme.example", 2) };
    let due = take_due(vec![deactivate], now, &staging(30));
    assert_eq!((due.requests[0].kind, due.staged.len()), (ActionKind::Deactivate, 0));
    let later = Termination { effective: at("2026-12-24T00:00:00Z"), ..leaving("ana@acme.example", 2) };
    let due = take_due(vec![later], now, &staging(30));
    assert_eq!((due.requests.len(), due.staged.len(), due.later.len()), (0, 0, 1));
}

#[test]
fn nothing_is_staged_for_a_user_the_plan_does_not_deactivate() {
    let now = at("2026-12-04T09:00:00Z");
    let terminations = vec![leaving("owner@acme.example", 2), leaving("nobody@acme.example", 3)];
    let body = plan(take_due(terminations, now, &staging(30)), &people(UserStatus::Active), &staging(30));
    assert!(body.actions.is_empty());
    assert!(body.scheduled.is_empty(), "{:?}", body.scheduled);
}

/// The staged delete of `a_due_hr_delete_...`, as the sweep finds it a month later.
fn staged_and_due() -> (Termination, Timestamp) {
    let policy = staging(30);
    let due = take_due(vec![leaving("ana@acme.example", 2)], at("2026-12-04T09:00:00Z"), &policy);
    let body = plan(due, &people(UserStatus::Active), &policy);
    (body.scheduled[0].clone(), at("2027-01-04T06:00:00Z"))
}

#[test]
fn a_staged_delete_come_due_deletes_the_user_still_deactivated() {
    let (staged, later) = staged_and_due();
    let policy = staging(30);
    let due = take_due(vec![staged], later, &policy);
    assert_eq!((due.requests[0].kind, due.staged.len()), (ActionKind::Delete, 0), "a stage is not staged again");
    let body = plan(due, &people(UserStatus::Inactive), &policy);
    assert_eq!(body.actions.len(), 1, "{:?}", body.skipped);
    assert_eq!(body.actions[0].kind(), ActionKind::Delete);
    assert_eq!(body.actions[0].change.transfer_target(), Some("boss@acme.example"));
}

#[test]
fn a_staged_delete_is_dropped_for_a_user_reactivated_given_another_role_or_replaced_since() {
    let (staged, later) = staged_and_due();
    let policy = staging(30);
    let reactivated = people(UserStatus::Active);
    let mut promoted = people(UserStatus::Inactive);
    promoted.users[0].role_id = Some("role-Help Desk".into());
    // Zoom made the deactivated user Basic: that is what deactivation does, not a change.
    let mut basic = people(UserStatus::Inactive);
    basic.users[0].user_type = 1.into();
    let body = plan(take_due(vec![staged.clone()], later, &policy), &basic, &policy);
    assert_eq!(body.actions.len(), 1, "{:?}", body.skipped);
    let mut replaced = people(UserStatus::Inactive);
    replaced.users[0].id = Some("u9".into());
    for (account, says) in [
        (reactivated, "status active (was inactive)"),
        (promoted, "role role-Help Desk (was role-Member)"),
        (replaced, "another user (u9, not u1)"),
    ] {
        let body = plan(take_due(vec![staged.clone()], later, &policy), &account, &policy);
        assert!(body.actions.is_empty(), "{says}");
        let SkipReason::ChangedSinceStaged { detail } = &body.skipped[0].reason else {
            panic!("{:?}", body.skipped);
        };
        assert!(detail.contains(says), "{detail}");
        assert!(!body.skipped[0].reason.is_refusal());
    }
}

#[test]
fn a_stage_never_pinned_deletes_no_one() {
    let (mut staged, later) = staged_and_due();
    staged.stage.as_mut().unwrap().expect = unpinned();
    let body = plan(take_due(vec![staged], later, &staging(30)), &people(UserStatus::Inactive), &staging(30));
    assert!(body.actions.is_empty());
    assert_eq!(body.skipped[0].reason.code(), "changed_since_staged");
}

#[test]
fn a_rescind_covers_a_run_or_a_person_by_address_or_employee_id() {
    let ana = Termination { employee_id: Some("E7".into()), ..leaving("ana@acme.example", 2) };
    assert!(Rescind::RunId("r1".into()).covers("r1", &ana));
    assert!(!Rescind::RunId("r2".into()).covers("r1", &ana));
    assert!(Rescind::Email(" Ana@ACME.example ".into()).covers("r1", &ana));
    assert!(!Rescind::Email("bo@acme.example".into()).covers("r1", &ana));
    assert!(Rescind::EmployeeId("E7".into()).covers("r1", &ana));
    let json: Rescind = serde_json::from_str(r#"{"email":"ana@acme.example"}"#).unwrap();
    assert_eq!(json, Rescind::Email("ana@acme.example".into()));
}

#[test]
fn a_deferred_action_is_rechecked_after_the_last_meeting_or_the_interval_and_asked_for_again() {
    use crate::outcome::{ActionResult, Findings, Outcome};
    let skipped = ActionResult {
        run_id: "r1".into(),
        action_id: "0007".into(),
        kind: ActionKind::Delete,
        user_id: "u1".into(),
        email: "ana@acme.example".into(),
        outcome: Outcome::Skipped {
            code: "hosts_upcoming_meetings".into(),
            reason: "hosts 2 upcoming meetings".into(),
        },
        performed: None,
        findings: Findings {
            upcoming_meetings: Some(2),
            last_meeting_ends: Some(at("2026-12-09T11:00:00Z")),
            ..Findings::default()
        },
        zoom_message: None,
        prior: None,
        attempt: 1,
        started_at: "2026-12-04T09:00:00Z".into(),
        finished_at: "2026-12-04T09:00:01Z".into(),
    };
    let deferred = Deferred::of(&skipped).unwrap();
    assert_eq!(deferred.recheck_at(7), at("2026-12-09T11:00:00Z"), "after the last meeting");
    assert_eq!(deferred.recheck_at(2), at("2026-12-06T09:00:01Z"), "at the latest after the interval");
    let unknown = Deferred { until: None, ..deferred.clone() };
    assert_eq!(unknown.recheck_at(7), at("2026-12-11T09:00:01Z"));
    let done = ActionResult { outcome: Outcome::Done, ..skipped.clone() };
    assert_eq!(Deferred::of(&done), None);

    let due = take_due(vec![leaving("ana@acme.example", 2)], at("2026-12-04T00:00:00Z"), &Policy::default());
    let body = plan(due, &people(UserStatus::Active), &Policy::default());
    let request = recheck_request("r1", &body.actions[0], &deferred);
    assert_eq!((request.kind, request.email.as_deref()), (ActionKind::Delete, Some("ana@acme.example")));
    assert_eq!(request.transfer_email.as_deref(), Some("boss@acme.example"));
    assert!(request.reason.unwrap().contains("deferred by run r1"));
}

#[test]
fn a_pending_invitation_whose_delete_would_be_staged_is_deleted_now_and_nothing_is_staged() {
    let mut account = people(UserStatus::Active);
    account.users.push(user(None, "invited@acme.example", UserStatus::Pending, 1, "Member"));
    let due = take_due(vec![leaving("invited@acme.example", 2)], at("2026-12-04T09:00:00Z"), &staging(30));
    let body = plan(due, &account, &staging(30));
    assert_eq!(body.actions.len(), 1, "{:?}", body.skipped);
    assert_eq!(body.actions[0].kind(), ActionKind::Delete);
    assert!(body.actions[0].reason.as_deref().unwrap().contains("deleted now, not staged"));
    assert!(body.scheduled.is_empty());
}
