//! The planner between its writes, and at approval: a delivery that dies after the plan,
//! a held sweep holding HR terminations, an approval that died half-way through sending,
//! an approval given after the account changed, and a re-upload racing its own event.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use offboard_e2e::people::{email, planned_run, quiet_members, roster, run_with_result};
use offboard_e2e::{with_event, LocalStack, Principal, StackOptions, BUCKET};
use serde_json::{json, Value};
use zoom_sim::state::Role;

async fn start(seed: u64) -> LocalStack {
    LocalStack::start(StackOptions { users: 400, seed, ..StackOptions::default() }).await.unwrap()
}

fn sweep_at(at: Timestamp) -> Value {
    json!({"source": "offboard.scheduler", "detail-type": "Offboard Sweep", "time": at.to_string(),
           "detail": {"kind": "sweep"}})
}

/// The changes zoom-sim applied to `email`, in order.
fn operations_on(operations: &[Value], email: &str) -> Vec<String> {
    operations.iter().filter(|op| op["email"] == email).map(|op| op["op"].as_str().unwrap().to_string()).collect()
}

/// The objects under `runs/<run>/` whose names end so.
async fn run_objects(stack: &LocalStack, run_id: &str) -> Vec<String> {
    let prefix = format!("runs/{run_id}/");
    stack.list_keys(&prefix).await.unwrap().into_iter().map(|k| k.trim_start_matches(&prefix).to_string()).collect()
}

/// Delivers the pending S3 notifications once; the errors of those that failed (S3's
/// test event and the policy upload start nothing and are left out).
async fn failed_deliveries(stack: &LocalStack) -> Vec<String> {
    let responses = stack.deliver_s3_events_once().await.unwrap();
    assert!(
        responses.iter().all(|r| r.as_ref().map_or(true, |v| v.as_array().is_some_and(Vec::is_empty))),
        "nothing planned: {responses:?}"
    );
    responses.into_iter().filter_map(Result::err).collect()
}

/// The last S3 notification delivered for a key under `prefix`.
fn last_event_under(stack: &LocalStack, prefix: &str) -> Value {
    let encoded = prefix.replace('/', "%2F");
    stack
        .delivered_events()
        .into_iter()
        .rev()
        .find(|event| {
            let key = event["Records"][0]["s3"]["object"]["key"].as_str().unwrap_or_default();
            key.starts_with(prefix) || key.starts_with(&encoded)
        })
        .unwrap_or_else(|| panic!("no event under {prefix}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_that_dies_after_the_plan_writes_every_other_output_on_redelivery() {
    let stack = start(31).await;
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let (leaver, later) = (email(quiet[0]), email(quiet[1]));
    stack.upload("config/policy.json", br#"{"sweep":{"enabled":false}}"#.to_vec()).await.unwrap();
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let (yesterday, next_week) = (today.yesterday().unwrap(), today.checked_add(jiff::Span::new().days(7)).unwrap());
    let hr = format!("Work Email,Termination Date,Action\n{leaver},{yesterday},deactivate\n{later},{next_week},\n");

    // S3 refuses the write after the plan: the first delivery dies between the two.
    stack.deny(Principal::Planner, &["s3:PutObject"], &format!("arn:aws:s3:::{BUCKET}/runs/*/plan.csv")).unwrap();
    stack.upload("hr/leavers.csv", hr.into_bytes()).await.unwrap();
    let first = failed_deliveries(&stack).await;
    assert_eq!(first.len(), 1, "the first delivery fails");
    let plans: Vec<String> =
        stack.list_keys("runs/").await.unwrap().into_iter().filter(|k| k.ends_with("/plan.json")).collect();
    assert_eq!(plans.len(), 1, "the plan was written before the failure: {plans:?}");
    let run_id = plans[0].trim_start_matches("runs/").trim_end_matches("/plan.json").to_string();
    assert_eq!(run_objects(&stack, &run_id).await, ["plan.json"]);
    assert!(stack.list_keys("schedule/").await.unwrap().is_empty());
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "nothing sent");

    // Lambda's retry, once S3 takes writes again: every output, then the actions.
    stack.heal(Principal::Planner).unwrap();
    let retry = stack.invoke_planner(&last_event_under(&stack, "hr/")).await.unwrap();
    assert_eq!(retry[0]["result"], "planned", "{retry}");
    let objects = run_objects(&stack, &run_id).await;
    for output in ["plan.json", "plan.csv", "plan-summary.txt", "run.json", "sent.json"] {
        assert!(objects.iter().any(|o| o == output), "{output} written on the retry: {objects:?}");
    }
    let plan_csv = String::from_utf8(stack.get_object(&format!("runs/{run_id}/plan.csv")).await.unwrap()).unwrap();
    assert!(plan_csv.contains(&leaver), "{plan_csv}");
    let scheduled = stack.get_json(&format!("schedule/{run_id}.json")).await.unwrap();
    assert_eq!(scheduled.as_array().map(Vec::len), Some(1), "the future termination is scheduled: {scheduled}");
    assert!(scheduled.to_string().contains(&later), "{scheduled}");

    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    assert!(operations_on(&operations, &leaver).contains(&"deactivate".to_string()), "{operations:?}");
    assert!(operations_on(&operations, &later).is_empty(), "not due yet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_sweep_keeps_the_terminations_it_found_due_until_they_are_sent() {
    let stack = start(32).await;
    let users = stack.sim_users().await.unwrap();
    let leaver = email(quiet_members(&users)[0]);
    // Any action needs approval; the sweep acts only on HR's rows.
    let policy = json!({"sweep": {"enabled": false}, "guardrails": {"hold_above_count": 0}});
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    let now = Timestamp::now();
    let in_three_days = now.to_zoned(TimeZone::UTC).date().checked_add(jiff::Span::new().days(3)).unwrap();
    let hr = format!("Work Email,Termination Date,Action\n{leaver},{in_three_days},deactivate\n");
    stack.upload("hr/next-week.csv", hr.into_bytes()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    planned_run(&responses);
    assert_eq!(stack.list_keys("schedule/").await.unwrap().len(), 1);

    // The sweep after the date finds it due, and is held: nothing sent, nothing taken up.
    let sweep = stack.invoke_planner(&sweep_at(now + SignedDuration::from_hours(24 * 4))).await.unwrap();
    assert_eq!((sweep[0]["result"].as_str(), sweep[0]["actions"].as_u64()), (Some("held"), Some(1)), "{sweep}");
    let sweep_run = sweep[0]["run_id"].as_str().unwrap().to_string();
    let schedule = stack.list_keys("schedule/").await.unwrap();
    assert_eq!(schedule.len(), 1, "a held sweep leaves the termination scheduled");
    assert!(stack.get_json(&schedule[0]).await.unwrap().to_string().contains(&leaver));
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0);

    // Approved: on the queue, and only then off the schedule.
    stack
        .upload(&format!("approvals/{sweep_run}.json"), br#"{"approved_by":"it@acme.example"}"#.to_vec())
        .await
        .unwrap();
    let approved = stack.deliver_s3_events().await.unwrap();
    assert_eq!(planned_run(&approved), sweep_run);
    assert!(stack.list_keys("schedule/").await.unwrap().is_empty(), "taken up once sent");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, &leaver), ["revoke_token", "deactivate"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_whose_first_delivery_died_after_sending_sends_the_rest_on_redelivery() {
    let stack = start(33).await;
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(3).map(|u| email(u)).collect();
    let policy = json!({"guardrails": {"hold_above_count": 0}});
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    stack.upload("inbox/three.csv", roster(&listed)).await.unwrap();
    let run_id = run_with_result(&stack.deliver_s3_events().await.unwrap(), "held");

    // The approval's first delivery sends the actions, then dies before `sent.json`.
    stack.deny(Principal::Planner, &["s3:PutObject"], &format!("arn:aws:s3:::{BUCKET}/runs/*/sent.json")).unwrap();
    stack.upload(&format!("approvals/{run_id}.json"), b"{}".to_vec()).await.unwrap();
    assert_eq!(failed_deliveries(&stack).await.len(), 1, "the approval's first delivery fails");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    // Its retry: the account changed because of this very run; the rest is sent.
    stack.heal(Principal::Planner).unwrap();
    let retry = stack.invoke_planner(&last_event_under(&stack, "approvals/")).await.unwrap();
    assert_eq!(retry[0]["result"], "planned", "{retry}");
    let objects = run_objects(&stack, &run_id).await;
    assert!(objects.iter().any(|o| o == "sent.json"), "{objects:?}");
    assert!(!objects.iter().any(|o| o == "approval-refused.json"), "{objects:?}");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let operations = stack.sim_operations().await.unwrap();
    for person in &listed {
        assert_eq!(operations_on(&operations, person), ["revoke_token", "deactivate"], "{person}: once");
    }
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["planned"], 3, "{summary}");
    assert_eq!(summary["by_outcome"]["done"], 3, "{summary}");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(with_event(&notifications, "run_completed").len(), 1, "{notifications:?}");
    assert_eq!(
        with_event(&notifications, "plan_held").len(),
        1,
        "held once, whatever the redeliveries: {notifications:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_applies_todays_guardrails_and_sends_the_rest() {
    let stack = start(34).await;
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(4).map(|u| email(u)).collect();
    let [protected, promoted, room, leaver] = [0, 1, 2, 3].map(|i| listed[i].clone());
    stack.upload("config/policy.json", br#"{"guardrails":{"hold_above_count":0}}"#.to_vec()).await.unwrap();
    stack.upload("inbox/four.csv", roster(&listed)).await.unwrap();
    let run_id = run_with_result(&stack.deliver_s3_events().await.unwrap(), "held");

    // While the plan waits: one person is protected, one made an admin, one a Zoom Room.
    let policy = json!({"guardrails": {"hold_above_count": 0, "protected_emails": [protected]}});
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    assert!(stack.sim.with_state(|s| s.edit_user(&promoted, |u| {
        u.role = Role::Admin;
        u.role_id = Some(Role::Admin.id().to_string());
    })));
    assert!(stack.sim.with_state(|s| s.edit_user(&room, |u| u.is_room = true)));

    stack.upload(&format!("approvals/{run_id}.json"), br#"{"approved_by":"it@acme.example"}"#.to_vec()).await.unwrap();
    let approved = stack.deliver_s3_events().await.unwrap();
    let reports: Vec<&Value> = approved.iter().flat_map(|r| r.as_array().into_iter().flatten()).collect();
    assert_eq!(
        (reports[0]["result"].as_str(), reports[0]["actions"].as_u64()),
        (Some("planned"), Some(1)),
        "{approved:?}"
    );
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, &leaver), ["revoke_token", "deactivate"]);
    for person in [&protected, &promoted, &room] {
        assert!(operations_on(&operations, person).is_empty(), "{person} is not acted on");
    }
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let action_of = |person: &str| {
        plan["actions"].as_array().unwrap().iter().find(|a| a["email"] == person).unwrap()["action_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for (person, code) in [(&protected, "protected_email"), (&promoted, "protected_role"), (&room, "zoom_room")] {
        let result = stack.get_json(&format!("runs/{run_id}/results/{}.json", action_of(person))).await.unwrap();
        assert_eq!((result["outcome"].as_str(), result["code"].as_str()), (Some("skipped"), Some(code)), "{result}");
        assert!(result["reason"].as_str().unwrap().starts_with("refused at approval: "), "{result}");
    }
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!((summary["planned"].as_u64(), summary["by_outcome"]["done"].as_u64()), (Some(4), Some(1)), "{summary}");
    assert_eq!(summary["by_outcome"]["skipped"], 3, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planner_plans_the_version_an_event_names_not_the_latest() {
    let stack = start(35).await;
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let (first, second) = (email(quiet[0]), email(quiet[1]));
    // Uploaded twice before the first event is handled.
    stack.upload("inbox/leavers.csv", roster(std::slice::from_ref(&first))).await.unwrap();
    stack.upload("inbox/leavers.csv", roster(std::slice::from_ref(&second))).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let planned: Vec<String> = responses
        .iter()
        .flat_map(|r| r.as_array().into_iter().flatten())
        .filter(|r| r["result"] == "planned")
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(planned.len(), 2, "one run per uploaded version: {responses:?}");
    let mut acted_on = Vec::new();
    for run_id in &planned {
        let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
        let emails: Vec<String> =
            plan["actions"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap().to_string()).collect();
        acted_on.push(emails);
    }
    acted_on.sort();
    let mut expected = vec![vec![first.clone()], vec![second.clone()]];
    expected.sort();
    assert_eq!(acted_on, expected, "each run plans its own version's content");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uploader_cannot_approve_their_own_plan_and_an_approval_after_the_expiry_is_refused() {
    let stack = start(37).await;
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let (first, second): (Vec<String>, Vec<String>) =
        (quiet.iter().take(3).map(|u| email(u)).collect(), quiet.iter().skip(3).take(3).map(|u| email(u)).collect());
    let policy = json!({"guardrails": {"hold_above_count": 0}});
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();

    // Ada uploads the roster: the plan and its notice name her, as S3's event does.
    stack.upload_by(Principal::Operator, "ada", "inbox/three.csv", roster(&first)).await.unwrap();
    let run_id = run_with_result(&stack.deliver_s3_events().await.unwrap(), "held");
    let ada = Principal::Operator.principal_id("ada");
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    assert_eq!(plan["uploaded_by"], ada.as_str());
    let held = stack.topic_notifications_of("plan_held").await.unwrap();
    let published: Value = serde_json::from_str(held[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published["uploaded_by"], ada.as_str());

    // Ada approves her own plan, whatever the approval says of itself: refused, nothing sent.
    let claims_someone_else = json!({"approved_by": "bo@acme.example"});
    let approval_key = format!("approvals/{run_id}.json");
    stack
        .upload_by(Principal::Operator, "ada", &approval_key, serde_json::to_vec(&claims_someone_else).unwrap())
        .await
        .unwrap();
    run_with_result(&stack.deliver_s3_events().await.unwrap(), "approval_refused");
    let refusal = stack.get_json(&format!("runs/{run_id}/approval-refused.json")).await.unwrap();
    let reason = refusal["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("approved by {ada}, who uploaded the input")), "{refusal}");
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "nothing sent");
    assert!(stack.sim_operations().await.unwrap().is_empty());
    assert_eq!(stack.topic_notifications_of("approval_refused").await.unwrap().len(), 1);

    // Bo approves it: sent, and the record names who approved as AWS named them.
    stack.upload_by(Principal::Operator, "bo", &approval_key, b"{}".to_vec()).await.unwrap();
    run_with_result(&stack.deliver_s3_events().await.unwrap(), "planned");
    let approved = stack.get_json(&format!("runs/{run_id}/approved.json")).await.unwrap();
    assert_eq!(approved["approver"], Principal::Operator.principal_id("bo").as_str());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations.iter().filter(|op| op["op"] == "deactivate").count(), 3, "{operations:?}");

    // Approvals expire: with no hours allowed, any approval comes too late.
    let policy = json!({"guardrails": {"hold_above_count": 0}, "approval": {"expires_after_hours": 0}});
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    stack.upload_by(Principal::Operator, "ada", "inbox/three more.csv", roster(&second)).await.unwrap();
    let late_run = run_with_result(&stack.deliver_s3_events().await.unwrap(), "held");
    stack.upload_by(Principal::Operator, "bo", &format!("approvals/{late_run}.json"), b"{}".to_vec()).await.unwrap();
    run_with_result(&stack.deliver_s3_events().await.unwrap(), "approval_refused");
    let refusal = stack.get_json(&format!("runs/{late_run}/approval-refused.json")).await.unwrap();
    assert!(refusal["reason"].as_str().unwrap().contains("approval.expires_after_hours"), "{refusal}");
    assert_eq!(stack.sim_operations().await.unwrap().len(), operations.len(), "nothing more reached Zoom");
}
