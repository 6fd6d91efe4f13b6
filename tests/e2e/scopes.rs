//! The Zoom app as an admin sets it up from the deploy guide: exactly the documented
//! scopes (the local stack grants `documented_scopes()`, the list the README's table is
//! generated from). A run that lacks one stops before any change in Zoom, and says which
//! scope is missing and which call needs it.

use std::time::Duration;

use offboard_e2e::people::{email, planned_run, quiet_members, roster, run_with_result};
use offboard_e2e::{documented_scopes, LocalStack, StackOptions, MAX_RECEIVE_COUNT};
use offboard_zoom::ZoomCall;
use serde_json::Value;

/// Every call a roster run makes under the default policy: the planner's reads, and the
/// executor's check, SSO revocation and deactivation of each listed user.
const ROSTER_RUN_CALLS: [ZoomCall; 6] = [
    ZoomCall::ListUsers,
    ZoomCall::ListRoles,
    ZoomCall::ListZoomRooms,
    ZoomCall::ListUpcomingMeetings,
    ZoomCall::RevokeSsoToken,
    ZoomCall::UpdateStatus,
];

fn granted_without(call: ZoomCall) -> Vec<String> {
    documented_scopes().into_iter().filter(|s| s != call.scope()).collect()
}

async fn set_up(seed: u64) -> (LocalStack, Vec<String>) {
    let stack = LocalStack::start(StackOptions { users: 80, seed, ..StackOptions::default() }).await.unwrap();
    let policy = br#"{"guardrails":{"hold_above_count":100000,"hold_above_share":1.0}}"#.to_vec();
    stack.upload("config/policy.json", policy).await.unwrap();
    let users = stack.sim_users().await.unwrap();
    let listed = quiet_members(&users).iter().take(3).map(|u| email(u)).collect();
    (stack, listed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_missing_any_scope_it_needs_stops_before_any_change_naming_the_scope_and_the_call() {
    let (stack, listed) = set_up(71).await;
    for (n, call) in ROSTER_RUN_CALLS.iter().enumerate() {
        stack.sim.with_state(|s| s.set_granted_scopes(granted_without(*call)));
        // A new container: a new token, with the scopes the app has now.
        stack.restart_functions().unwrap();
        stack.upload(&format!("inbox/leavers-{n}.csv"), roster(&listed)).await.unwrap();
        let responses = stack.deliver_s3_events().await.unwrap();
        let run_id = run_with_result(&responses, "rejected");
        let error = stack.get_json(&format!("runs/{run_id}/error.json")).await.unwrap();
        assert_eq!(error["kind"], "missing_scope", "{error}");
        let text = error["error"].as_str().unwrap();
        assert!(text.contains(call.scope()) && text.contains(&call.to_string()), "names {call:?}: {text}");
        assert!(!stack.list_keys(&format!("runs/{run_id}/")).await.unwrap().iter().any(|k| k.ends_with("plan.json")));
        assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "nothing sent without {call:?}");
        assert_eq!(stack.sim_operations().await.unwrap(), Vec::<Value>::new(), "no change in Zoom without {call:?}");
    }

    // With every documented scope, the same roster goes through: the list is enough.
    stack.sim.with_state(|s| s.set_granted_scopes(documented_scopes()));
    stack.restart_functions().unwrap();
    stack.upload("inbox/leavers-all-scopes.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"]["done"], listed.len(), "{summary}");
}

/// A scope taken away after the plan was sent: the executor checks every scope an action
/// needs before its first change, so no user is left half offboarded (SSO revoked, still
/// active); the action is retried, then given up with the reason, and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_removed_after_planning_leaves_every_user_untouched() {
    let (stack, listed) = set_up(72).await;
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.sim.with_state(|s| s.set_granted_scopes(granted_without(ZoomCall::UpdateStatus)));
    stack.restart_functions().unwrap();
    stack.drain_actions(Duration::from_secs(180)).await.unwrap();

    assert_eq!(stack.sim_operations().await.unwrap(), Vec::<Value>::new(), "not even the SSO revocation");
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"]["gave_up"], listed.len(), "{summary}");
    let dead = stack.dead_letters().await.unwrap();
    assert_eq!(dead.len(), listed.len());
    for (_, attributes) in &dead {
        let reason = &attributes["offboard_reason"];
        assert!(
            reason.contains("user:update:status:admin") && reason.contains("PUT /users/{userId}/status"),
            "{reason}"
        );
        assert_eq!(attributes["offboard_receive_count"], MAX_RECEIVE_COUNT.to_string());
    }
}
