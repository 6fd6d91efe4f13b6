//! The executor's side: what it records must be what happened in Zoom, and the end of a
//! run must reach people even when the first try to announce it fails.

use std::time::{Duration, Instant};

use offboard_e2e::people::{email, planned_run, quiet_members, roster};
use offboard_e2e::{LocalStack, Principal, StackOptions};
use serde_json::{json, Value};
use zoom_sim::state::Transfer;

/// No hold (the runs are small on purpose) and no sweep of inactive users.
async fn small_runs_policy(stack: &LocalStack) {
    let policy = json!({
        "sweep": { "enabled": false },
        "guardrails": { "hold_above_count": 100_000, "hold_above_share": 1.0 },
    });
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
}

/// Zoom answers 404/1001 both for a user who is gone and for a transfer target that is
/// no user: a manager who left between the plan and the delete must not turn the delete
/// into `already_done` while the leaver is still in the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_whose_manager_left_after_planning_fails_naming_the_manager_and_the_user_stays() {
    let stack = LocalStack::start(StackOptions { users: 200, seed: 61, ..StackOptions::default() }).await.unwrap();
    small_runs_policy(&stack).await;
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let licensed: Vec<&Value> = quiet.iter().copied().filter(|u| u["type"] == 2).collect();
    let (leaver, manager) = (licensed[0], licensed[1]);
    let (leaver, manager, manager_id) = (email(leaver), email(manager), manager["id"].as_str().unwrap().to_string());

    // A termination due yesterday, handing the leaver's things to their manager, who is a
    // user of the account when the plan is made.
    let yesterday = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().yesterday().unwrap();
    let hr = format!("email,termination_date,manager_email,action\n{leaver},{yesterday},{manager},delete\n");
    stack.upload("hr/leavers.csv", hr.into_bytes()).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let actions = plan["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{plan}");
    assert_eq!(
        (actions[0]["kind"].as_str(), actions[0]["delete"]["transfer_email"].as_str()),
        (Some("delete"), Some(manager.as_str()))
    );

    // The manager leaves the account before the executor acts.
    stack.sim.with_state(|s| {
        let transfer = Transfer::default();
        let index = s.begin_removal(&manager_id, "delete", &transfer).unwrap();
        s.finish_removal(index, "delete", &transfer);
    });
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let users = stack.sim_users().await.unwrap();
    assert!(users.iter().any(|u| u["email"] == leaver.as_str()), "the leaver is still in the account");
    let results = stack.list_keys(&format!("runs/{run_id}/results/")).await.unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let result = stack.get_json(&results[0]).await.unwrap();
    assert_eq!(result["outcome"], "failed", "not already_done while the user exists: {result}");
    let reason = result["reason"].as_str().unwrap();
    assert!(reason.contains(&manager) && reason.contains("still exists"), "{reason}");
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"], json!({ "failed": 1 }), "{summary}");
}

/// The summary is written and then the publish fails (the watcher's role may not publish
/// for a while, as an SNS outage or a broken topic policy would do): the run's end must
/// still be announced, once, by the next watch once publishing works, without a new action.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_whose_publish_failed_is_published_once_when_publishing_works_again() {
    let stack = LocalStack::start(StackOptions { users: 100, seed: 62, ..StackOptions::default() }).await.unwrap();
    small_runs_policy(&stack).await;
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(3).map(|u| email(u)).collect();
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    let summary_key = format!("runs/{run_id}/summary.json");
    assert_eq!(stack.list_keys("watch/").await.unwrap(), vec![format!("watch/{run_id}.json")], "the run is watched");

    // The run completes while publishing fails: its summary is there, nobody is told, and
    // the refused publish released its claim (claim 2).
    stack.deny(Principal::Watcher, &["sns:Publish"], &stack.topic_arn).unwrap();
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let summary = stack.get_json(&summary_key).await.unwrap();
    assert_eq!(summary["by_outcome"], json!({ "done": 3 }), "{summary}");
    assert_eq!(stack.list_keys(&format!("runs/{run_id}/notify-claims/")).await.unwrap().len(), 2);
    assert_eq!(stack.topic_notifications().await.unwrap(), Vec::<Value>::new(), "nothing could be published");
    assert_eq!(stack.list_keys("watch/").await.unwrap().len(), 1, "still watched: its end is not announced");
    let refused = stack.watch().await.unwrap();
    assert_eq!(refused["errors"].as_array().map(Vec::len), Some(1), "{refused}");

    stack.heal(Principal::Watcher).unwrap();
    let operations = stack.sim_operations().await.unwrap().len();
    let watched = stack.watch().await.unwrap();
    assert_eq!((watched["completed"].as_u64(), watched["errors"].as_array().map(Vec::len)), (Some(1), Some(0)));
    assert_eq!(stack.sim_operations().await.unwrap().len(), operations, "announcing makes no Zoom call");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "published once, after the outage: {notifications:?}");
    assert!(notifications[0]["Subject"].as_str().unwrap().contains(&run_id), "{}", notifications[0]);
    assert_eq!(notifications[0]["MessageAttributes"]["event"]["Value"], "run_completed");
    let published: Value = serde_json::from_str(notifications[0]["Message"].as_str().unwrap()).unwrap();
    // The summary as written (its float re-read through JSON may differ in the last digit).
    for field in ["run_id", "planned", "terminal", "by_outcome", "by_reason", "started_at", "finished_at"] {
        assert_eq!(published[field], summary[field], "the notification carries the summary as written: {field}");
    }
    assert!(stack.get_json(&format!("runs/{run_id}/notified.json")).await.is_ok(), "the publish is recorded");
    assert_eq!(stack.list_keys("watch/").await.unwrap(), Vec::<String>::new(), "no longer watched");

    // Once announced, a redelivered action and later watches announce nothing again.
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let message =
        offboard_core::ActionMessage::new(&run_id, serde_json::from_value(plan["actions"][0].clone()).unwrap());
    stack.send_raw_action(&serde_json::to_string(&message).unwrap()).await.unwrap();
    stack.drain_actions(Duration::from_secs(60)).await.unwrap();
    assert_eq!(stack.watch().await.unwrap()["runs"], 0);
    assert_eq!(stack.topic_notifications().await.unwrap(), Vec::<Value>::new());
    assert_eq!(stack.get_json(&summary_key).await.unwrap(), summary);
}

/// A run whose actions never reach the executor (their messages lost) must not end in
/// silence: once no result came for the stall time, the watcher announces it as stalled,
/// once for as long as it stays stuck, and the run still completes, and is announced
/// once, when its actions are sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_results_stop_coming_is_announced_as_stalled_once_and_still_completes() {
    let options = StackOptions { users: 100, seed: 63, stall_after_seconds: Some(1), ..StackOptions::default() };
    let stack = LocalStack::start(options).await.unwrap();
    small_runs_policy(&stack).await;
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(2).map(|u| email(u)).collect();
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    let lost = stack.take_actions().await.unwrap();
    assert_eq!(lost.len(), 2, "both actions were on the queue");

    // Watch as the schedule would until the stall time has passed without a result.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        let watched = stack.watch().await.unwrap();
        if watched["stalled"] == 1 {
            break watched;
        }
        assert_eq!(watched["runs"], 1, "{watched}");
        assert!(Instant::now() < deadline, "never announced as stalled: {watched}");
    };
    assert_eq!(first["announced_stalled"], 1, "{first}");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert_eq!(notifications[0]["MessageAttributes"]["event"]["Value"], "run_stalled");
    let subject = notifications[0]["Subject"].as_str().unwrap();
    assert!(subject.contains(&run_id) && subject.contains("0 of 2"), "{subject}");
    let stall = stack.get_json(&format!("runs/{run_id}/stalled/0.json")).await.unwrap();
    assert_eq!((stall["actions"].as_u64(), stall["results"].as_u64()), (Some(2), Some(0)), "{stall}");
    let logs = stack.function_logs().unwrap();
    assert!(logs.contains("\"RunsStalled\""), "the watcher's metric line names RunsStalled");

    // Still stuck: stalled, not announced again.
    let again = stack.watch().await.unwrap();
    assert_eq!((again["stalled"].as_u64(), again["announced_stalled"].as_u64()), (Some(1), Some(0)), "{again}");
    assert_eq!(stack.topic_notifications().await.unwrap(), Vec::<Value>::new());

    // The admin sends the lost actions again: the run completes and is announced once.
    for message in &lost {
        stack.send_raw_action(message.body().unwrap()).await.unwrap();
    }
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"], json!({ "done": 2 }), "{summary}");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert_eq!(notifications[0]["MessageAttributes"]["event"]["Value"], "run_completed");
    assert_eq!(stack.list_keys("watch/").await.unwrap(), Vec::<String>::new());
}
