//! Production's IAM on the local stack: each principal may do what its role needs and no
//! more, and nobody but the planner can make the executor act, even with write access to
//! the bucket and the queue (a colleague, or a loosened bucket policy: moto evaluates no
//! bucket policy, so the harness's own unlimited principal stands in for one).

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use offboard_core::{Action, ActionMessage};
use offboard_e2e::people::{email, planned_run, quiet_members, roster, run_with_result};
use offboard_e2e::{LocalStack, Principal, StackOptions, BUCKET};
use serde_json::{json, Value};

/// Whether S3 refused the put for lack of permission (403), as opposed to allowing it.
async fn put(stack: &LocalStack, who: Principal, key: &str) -> Result<(), u16> {
    let s3 = stack.s3_as(who).await.unwrap();
    match s3.put_object().bucket(BUCKET).key(key).body(ByteStream::from(b"{}".to_vec())).send().await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)),
    }
}

async fn get_status(stack: &LocalStack, who: Principal, key: &str) -> u16 {
    let s3 = stack.s3_as(who).await.unwrap();
    match s3.get_object().bucket(BUCKET).key(key).send().await {
        Ok(_) => 200,
        Err(e) => e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_principal_may_do_what_its_role_needs_and_nothing_more() {
    let stack = LocalStack::start(StackOptions { users: 50, seed: 61, ..StackOptions::default() }).await.unwrap();
    use Principal::{Executor, Hr, Operator, Planner, Watcher};

    // The executor writes claims, results and its batches' digests; never a plan, an
    // approval, the policy, a backup, or a run's end (the watcher's).
    for allowed in ["runs/r1/claims/a1/1.json", "runs/r1/results/a1.json", "runs/r1/digests/b1.json"] {
        assert_eq!(put(&stack, Executor, allowed).await, Ok(()), "executor may write {allowed}");
    }
    for denied in [
        "runs/r1/plan.json",
        "runs/r1/sent.json",
        "runs/r1/approved.json",
        "runs/r1/summary.json",
        "runs/r1/notified.json",
        "watch/r1.json",
        "approvals/r1.json",
        "config/policy.json",
        "backups/r1/users.csv",
    ] {
        assert_eq!(put(&stack, Executor, denied).await, Err(403), "executor may not write {denied}");
    }
    // The watcher writes a run's end and its stalls, never a result, a claim or a plan.
    for allowed in [
        "runs/r1/summary.json",
        "runs/r1/report.csv",
        "runs/r1/notify-claims/1.json",
        "runs/r1/notified.json",
        "runs/r1/stalled/0.json",
    ] {
        assert_eq!(put(&stack, Watcher, allowed).await, Ok(()), "watcher may write {allowed}");
    }
    for denied in ["runs/r1/results/a1.json", "runs/r1/claims/a1/1.json", "runs/r1/plan.json", "watch/r1.json"] {
        assert_eq!(put(&stack, Watcher, denied).await, Err(403), "watcher may not write {denied}");
    }
    assert_eq!(get_status(&stack, Watcher, "runs/r1/summary.json").await, 200, "the watcher reads runs");
    // The HR system drops files under hr/, nothing else.
    assert_eq!(put(&stack, Hr, "hr/leavers.csv").await, Ok(()));
    for denied in ["approvals/r1.json", "runs/r1/plan.json", "inbox/roster.csv", "undo/r1.json"] {
        assert_eq!(put(&stack, Hr, denied).await, Err(403), "HR may not write {denied}");
    }
    assert_eq!(get_status(&stack, Hr, "runs/r1/summary.json").await, 403, "HR reads no run");
    // Operators upload rosters, approvals and undos, and read runs; never write a run.
    for allowed in ["inbox/roster.csv", "approvals/r1.json", "undo/r1.json"] {
        assert_eq!(put(&stack, Operator, allowed).await, Ok(()), "operator may write {allowed}");
    }
    // Nor a claim (an action claimed is an action no executor will take), a digest (the
    // results the watcher counts) or the watcher's list of sent runs.
    for denied in [
        "runs/r1/plan.json",
        "runs/r1/results/a1.json",
        "runs/r1/claims/a1/1.json",
        "runs/r1/digests/b1.json",
        "runs/r1/stalled/0.json",
        "watch/r1.json",
        "backups/r1/users.csv",
        "schedule/r1.json",
        "hr/x.csv",
    ] {
        assert_eq!(put(&stack, Operator, denied).await, Err(403), "operator may not write {denied}");
    }
    assert_eq!(get_status(&stack, Operator, "runs/r1/summary.json").await, 200);
    // Deleting a claim would let a second executor act again; deleting a run's watch entry
    // would leave it never completed nor announced as stalled.
    let operator_s3 = stack.s3_as(Operator).await.unwrap();
    for key in ["runs/r1/claims/a1/1.json", "watch/r1.json", "runs/r1/results/a1.json"] {
        let deleted = operator_s3.delete_object().bucket(BUCKET).key(key).send().await;
        let status = deleted.err().and_then(|e| e.raw_response().map(|r| r.status().as_u16()));
        assert_eq!(status, Some(403), "operator may not delete {key}");
    }
    // The planner reads the policy and keeps the schedule (read, write, delete).
    stack.upload("config/policy.json", b"{}".to_vec()).await.unwrap();
    assert_eq!(get_status(&stack, Planner, "config/policy.json").await, 200, "the planner reads the policy");
    assert_eq!(put(&stack, Planner, "schedule/r1.json").await, Ok(()));
    let planner_s3 = stack.s3_as(Planner).await.unwrap();
    planner_s3
        .delete_object()
        .bucket(BUCKET)
        .key("schedule/r1.json")
        .send()
        .await
        .expect("the planner deletes schedule/");
    assert_eq!(put(&stack, Planner, "approvals/r1.json").await, Err(403), "the planner approves nothing");
    // The planner lists a sent run for the watcher; the watcher takes it off once announced.
    assert_eq!(put(&stack, Planner, "watch/r1.json").await, Ok(()));
    let watcher_s3 = stack.s3_as(Watcher).await.unwrap();
    watcher_s3.delete_object().bucket(BUCKET).key("watch/r1.json").send().await.expect("the watcher deletes watch/");
    let deleted = watcher_s3.delete_object().bucket(BUCKET).key("runs/r1/results/a1.json").send().await;
    assert!(deleted.is_err(), "the watcher deletes no result");
    // Queues: the executor may not send actions, the planner may not take them.
    let send =
        stack.sqs_as(Executor).await.unwrap().send_message().queue_url(&stack.action_queue_url).message_body("x");
    assert!(send.send().await.is_err(), "the executor may not queue an action");
    let receive = stack.sqs_as(Planner).await.unwrap().receive_message().queue_url(&stack.action_queue_url);
    assert!(receive.send().await.is_err(), "the planner may not take actions off the queue");
    // Statements come from the template, resolved to the local resources.
    let planner = stack.role_statements(Planner).unwrap().to_string();
    assert!(planner.contains(&format!("arn:aws:s3:::{BUCKET}/config/policy.json")), "{planner}");
}

/// A plan, an approval and messages written by someone other than the planner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_an_approval_and_messages_forged_by_another_principal_lead_to_no_zoom_call() {
    let stack = LocalStack::start(StackOptions { users: 120, seed: 62, ..StackOptions::default() }).await.unwrap();
    stack
        .upload("config/policy.json", br#"{"guardrails":{"hold_above_count":100000,"hold_above_share":1.0}}"#.to_vec())
        .await
        .unwrap();
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(2).map(|u| email(u)).collect();
    // A real run first, so a forger has a signed plan to copy.
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let real_run = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations_after_real_run = stack.sim_operations().await.unwrap().len();

    // The forger's targets: the owner and an admin, whom no plan may touch.
    let role_of =
        |role: &str| users.iter().find(|u| u["role_name"] == role && u["status"] == "active").cloned().unwrap();
    let targets = [role_of("Owner"), role_of("Admin")];
    let admin_s3 = stack.s3.clone();
    let (real_plan_bytes, real_signature) = {
        let object =
            admin_s3.get_object().bucket(BUCKET).key(format!("runs/{real_run}/plan.json")).send().await.unwrap();
        let signature = object.metadata().and_then(|m| m.get("offboard-plan-mac")).cloned();
        (object.body.collect().await.unwrap().into_bytes().to_vec(), signature)
    };
    assert!(real_signature.is_some(), "the planner signs its plans");
    let mut plan: Value = serde_json::from_slice(&real_plan_bytes).unwrap();
    let forged_run = "20261201T000000Z-f0f0f0f0";
    plan["run_id"] = json!(forged_run);
    plan["hold"] = Value::Null;
    let template = plan["actions"][0].clone();
    let forged_actions: Vec<Value> = targets
        .iter()
        .enumerate()
        .map(|(n, user)| {
            let mut action = template.clone();
            action["action_id"] = json!(format!("forged-{n}"));
            action["user_id"] = user["id"].clone();
            action["email"] = user["email"].clone();
            action
        })
        .collect();
    plan["actions"] = json!(forged_actions);
    // Written with the real plan's signature copied over: a replay must not verify.
    let mut forged_put = admin_s3
        .put_object()
        .bucket(BUCKET)
        .key(format!("runs/{forged_run}/plan.json"))
        .body(ByteStream::from(serde_json::to_vec_pretty(&plan).unwrap()));
    if let Some(signature) = &real_signature {
        forged_put = forged_put.metadata("offboard-plan-mac", signature);
    }
    forged_put.send().await.unwrap();
    admin_s3
        .put_object()
        .bucket(BUCKET)
        .key(format!("approvals/{forged_run}.json"))
        .body(ByteStream::from(br#"{"approved_by":"mallory"}"#.to_vec()))
        .send()
        .await
        .unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    assert_eq!(run_with_result(&responses, "approval_refused"), forged_run, "{responses:?}");
    let refusal = stack.get_json(&format!("runs/{forged_run}/approval-refused.json")).await.unwrap();
    assert!(refusal["reason"].as_str().unwrap().contains("does not verify"), "{refusal}");
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "the forged plan sent nothing");

    // Messages queued by hand: the forged run's actions; an action of the real run
    // pointed at the owner; an action id the real plan does not have.
    let action = |value: &Value| -> Action { serde_json::from_value(value.clone()).unwrap() };
    let mut messages: Vec<ActionMessage> =
        forged_actions.iter().map(|a| ActionMessage::new(forged_run, action(a))).collect();
    let real_plan: Value = serde_json::from_slice(&real_plan_bytes).unwrap();
    let mut redirected = action(&real_plan["actions"][0]);
    redirected.user_id = targets[0]["id"].as_str().unwrap().into();
    redirected.email = email(&targets[0]).into();
    messages.push(ActionMessage::new(&real_run, redirected));
    let mut unplanned = action(&forged_actions[1]);
    unplanned.action_id = "not-in-the-plan".into();
    messages.push(ActionMessage::new(&real_run, unplanned));
    for message in &messages {
        stack.send_raw_action(&serde_json::to_string(message).unwrap()).await.unwrap();
    }
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations.len(), operations_after_real_run, "no Zoom call for a forged action: {operations:?}");
    let dead = stack.dead_letters().await.unwrap();
    assert_eq!(dead.len(), messages.len(), "{dead:?}");
    let reasons: Vec<&str> =
        dead.iter().map(|(_, a)| a.get("offboard_reason").map(String::as_str).unwrap_or("")).collect();
    let forged_reason = format!("runs/{forged_run}/plan.json: the plan's signature does not verify");
    assert_eq!(reasons.iter().filter(|r| r.contains(&forged_reason)).count(), 2, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("differs from the action the planner signed")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("action not-in-the-plan is not in the signed plan")), "{reasons:?}");
    // And nothing was recorded for them: the forged run has no result, no claim.
    assert!(stack.list_keys(&format!("runs/{forged_run}/results/")).await.unwrap().is_empty());
    assert!(stack.list_keys(&format!("runs/{forged_run}/claims/")).await.unwrap().is_empty());
    let after = stack.sim_users().await.unwrap();
    for target in &targets {
        let now = after.iter().find(|u| u["id"] == target["id"]).unwrap();
        assert_eq!(now["status"], "active", "{} untouched", email(target));
    }
}
