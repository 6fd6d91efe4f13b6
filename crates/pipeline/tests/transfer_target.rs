//! A delete that names a transfer target, against the simulator: Zoom answers 404/1001
//! ("User does not exist") both when the user being deleted is gone and when the transfer
//! target is not a user of the account. Only a lookup of the user tells which, so the
//! executor never records `already_done` for a user who is still there.

mod common;

use offboard_core::{
    Action, Change, Checks, DeleteMode, DeleteSpec, Findings, Outcome, UserState, UserStatus, UserType,
};
use offboard_pipeline::executor::{calls_of, final_outcome, perform};
use offboard_zoom::{ZoomCall, ZoomClient, ZoomError};
use zoom_sim::ZoomSim;

/// The account these tests act on.
async fn start() -> (ZoomSim, ZoomClient) {
    common::start(200, 5).await
}

/// A delete of `user_id` transferring meetings to `target`, with no check before it.
fn delete_transferring_to(user_id: &str, target: &str) -> Action {
    Action {
        action_id: "0001".into(),
        change: Change::Delete(Box::new(DeleteSpec {
            mode: DeleteMode::Delete,
            transfer_email: Some(target.to_string()),
            transfer_meetings: true,
            transfer_webinars: false,
            transfer_recordings: false,
            transfer_whiteboards: false,
        })),
        user_id: user_id.into(),
        email: Default::default(),
        line: 2,
        reason: None,
        revoke_sso_first: false,
        checks: Checks::NONE,
        before: UserState { status: UserStatus::Active, user_type: UserType::Licensed, role_id: None },
    }
}

/// Two active plain members: the one to delete and the one to transfer to.
fn two_members(sim: &ZoomSim) -> (String, String) {
    sim.with_state(|s| {
        let mut members =
            s.users().filter(|u| u.status == zoom_sim::Status::Active && u.is_plain_member() && !u.managed_domain);
        let leaver = members.next().unwrap().key.clone();
        let manager = members.next().unwrap().email.clone();
        (leaver, manager)
    })
}

/// What the executor and the CLI record for `perform`'s answer (their shared rule).
fn recorded(answer: Result<Option<Outcome>, ZoomError>) -> Option<Outcome> {
    match answer {
        Ok(outcome) => Some(outcome.unwrap_or(Outcome::Done)),
        Err(error) => final_outcome(&error),
    }
}

#[tokio::test]
async fn a_delete_whose_transfer_target_is_not_a_user_fails_naming_the_target_and_the_user_stays() {
    let (sim, zoom) = start().await;
    let (leaver, _) = two_members(&sim);
    let target = "left.last.week@acme.example";
    let today = jiff::civil::date(2026, 11, 23);
    let (mut findings, mut performed) = (Findings::default(), None);
    let answer = perform(&zoom, &delete_transferring_to(&leaver, target), today, &mut findings, &mut performed).await;
    match recorded(answer) {
        Some(Outcome::Failed { http_status: 404, code: Some(1001), reason }) => {
            assert!(reason.contains(target), "the reason names the transfer target: {reason}");
            assert!(reason.contains("still exists"), "{reason}");
        }
        other => panic!("expected a failure naming the transfer target, got {other:?}"),
    }
    assert!(sim.with_state(|s| s.find(&leaver).is_ok()), "the user is still in the account");
}

#[tokio::test]
async fn a_delete_with_a_transfer_target_of_a_user_already_gone_is_already_done() {
    let (sim, zoom) = start().await;
    let (_, manager) = two_members(&sim);
    let today = jiff::civil::date(2026, 11, 23);
    let (mut findings, mut performed) = (Findings::default(), None);
    let gone = delete_transferring_to("gone-since-the-plan", &manager);
    let answer = perform(&zoom, &gone, today, &mut findings, &mut performed).await;
    assert_eq!(recorded(answer), Some(Outcome::AlreadyDone { http_status: 404, code: 1001 }));

    // A target that is no user either: the user is gone all the same, and that decides.
    let (mut findings, mut performed) = (Findings::default(), None);
    let both_gone = delete_transferring_to("gone-since-the-plan", "left.too@acme.example");
    let answer = perform(&zoom, &both_gone, today, &mut findings, &mut performed).await;
    assert_eq!(recorded(answer), Some(Outcome::AlreadyDone { http_status: 404, code: 1001 }));
}

#[tokio::test]
async fn a_delete_with_a_transfer_target_needs_the_lookups_scope_before_any_change() {
    let (sim, zoom) = start().await;
    let (leaver, manager) = two_members(&sim);
    let action = delete_transferring_to(&leaver, &manager);
    assert!(calls_of(&action).contains(&ZoomCall::GetUser), "{:?}", calls_of(&action));
    let mut without_target = action.clone();
    if let Change::Delete(spec) = &mut without_target.change {
        spec.transfer_email = None;
    }
    assert!(!calls_of(&without_target).contains(&ZoomCall::GetUser), "no lookup without a transfer target");

    let granted: Vec<String> =
        ZoomCall::ALL.iter().filter(|c| **c != ZoomCall::GetUser).map(|c| c.scope().to_string()).collect();
    sim.with_state(|s| s.set_granted_scopes(granted));
    let today = jiff::civil::date(2026, 11, 23);
    let (mut findings, mut performed) = (Findings::default(), None);
    let answer = perform(&zoom, &action, today, &mut findings, &mut performed).await;
    match answer {
        Err(ZoomError::MissingScopes { calls, .. }) => assert_eq!(calls, vec![ZoomCall::GetUser]),
        other => panic!("expected the missing lookup scope, got {other:?}"),
    }
    assert_eq!(performed, None);
    assert!(sim.with_state(|s| s.find(&leaver).is_ok()), "nothing changed");
}
