//! The offboarding lifecycle past one run, on the local stack under the template's IAM:
//! a staged delete (deactivated now, deleted when due only while still so), cancels
//! before due (the operator's `offboard cancel` and an HR file's `cancel` row), the
//! sweep a month later that carries out what is left, and a licence reclaimed by a later
//! sweep from a user skipped while they still hosted meetings.

use std::process::Stdio;
use std::time::Duration;

use offboard_e2e::people::{email, meeting_host, planned_run, quiet_members, roster};
use offboard_e2e::{bin_dir, LocalStack, Principal, StackOptions};
use serde_json::{json, Value};
use tokio::process::Command;

fn sweep_at(at: jiff::Timestamp) -> Value {
    json!({"source": "offboard.scheduler", "detail-type": "Offboard Sweep", "time": at.to_string(),
           "detail": {"kind": "sweep"}})
}

fn operations_on(operations: &[Value], email: &str) -> Vec<String> {
    operations.iter().filter(|op| op["email"] == email).map(|op| op["op"].as_str().unwrap().to_string()).collect()
}

/// What the planner's responses report, in one list.
fn reported(responses: &[Value]) -> Vec<&Value> {
    responses.iter().flat_map(|r| r.as_array().into_iter().flatten()).collect()
}

/// `offboard ARGS` as an operator runs it on their machine (the stack's OperatorRole):
/// its exit code, and its output (stdout, then stderr).
async fn offboard_as_operator(stack: &LocalStack, args: &[&str]) -> (i32, String) {
    let env = stack.env_of(Principal::Operator).unwrap();
    let output = Command::new(bin_dir().join("offboard"))
        .env_clear()
        .env("USER", "kim")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_delete_runs_when_due_only_for_a_user_still_deactivated_and_a_cancel_takes_one_off_before() {
    let stack = LocalStack::start(StackOptions { users: 300, seed: 23, ..StackOptions::default() }).await.unwrap();
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let manager = email(quiet.iter().find(|u| u["type"] == 2).unwrap());
    let leavers: Vec<String> = quiet.iter().map(|u| email(u)).filter(|e| *e != manager).take(5).collect();
    let never_approved = leavers[4].clone();
    let leavers = &leavers[..4];
    let [stays_gone, rehired, cancelled, rescinded] = [&leavers[0], &leavers[1], &leavers[2], &leavers[3]];
    stack
        .upload("config/policy.json", br#"{"sweep":{"enabled":false},"delete_after_days":30}"#.to_vec())
        .await
        .unwrap();

    // HR's file: four people left yesterday, to be deleted, their things to the manager.
    let now = jiff::Timestamp::now();
    let yesterday = (now - jiff::SignedDuration::from_hours(24)).to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut hr = String::from("Work Email,Termination Date,Manager Email\n");
    for leaver in leavers {
        hr.push_str(&format!("{leaver},{yesterday},{manager}\n"));
    }
    stack.upload("hr/leavers-2026-12.csv", hr.into_bytes()).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let kinds: Vec<&str> = plan["actions"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["deactivate"; 4], "deactivated now, not deleted: {plan}");
    let staged = plan["scheduled"].as_array().unwrap();
    assert_eq!(staged.len(), 4);
    for stage in staged {
        assert_eq!(stage["action"], "delete");
        assert_eq!(stage["stage"]["left"]["status"], "inactive");
        let user = users.iter().find(|u| u["email"] == stage["email"]).unwrap();
        assert_eq!(stage["stage"]["user_id"], user["id"], "pinned to the user it deactivates");
    }
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    for leaver in leavers {
        assert_eq!(operations_on(&operations, leaver), ["revoke_token", "deactivate"], "{leaver}");
    }

    // Within the window: one termination is rescinded and the user turned back on...
    let rehired_id = users.iter().find(|u| u["email"] == rehired.as_str()).unwrap()["id"].as_str().unwrap().to_string();
    stack.sim.with_state(|s| s.set_status(&rehired_id, "activate")).unwrap();
    // ...one is cancelled by an operator...
    let (code, stdout) = offboard_as_operator(&stack, &["cancel", cancelled, "--note", "rescinded by HR"]).await;
    assert_eq!(code, 0, "{stdout}");
    let cancel_run = stdout.split("offboard status ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let responses = stack.deliver_s3_events().await.unwrap();
    let reports = reported(&responses);
    assert_eq!((reports[0]["result"].as_str(), reports[0]["cancelled"].as_u64()), (Some("cancelled"), Some(1)));
    let record = stack.get_json(&format!("runs/{cancel_run}/cancelled.json")).await.unwrap();
    assert_eq!(
        record["cancelled_by"],
        Principal::Operator.principal_id("canceller"),
        "who cancelled, as S3 names them"
    );
    assert_eq!(record["requested_by"], "kim");
    assert_eq!(record["cancelled"][0]["email"], cancelled.as_str());
    assert_eq!(record["cancelled"][0]["scheduled_by"], run_id.as_str());
    let (code, stdout) = offboard_as_operator(&stack, &["status", &cancel_run]).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 taken off the schedule") && stdout.contains(cancelled.as_str()), "{stdout}");
    // ...and one by HR's next file, a row whose action is `cancel`.
    let rescind = format!("Work Email,Termination Date,Action\n{rescinded},,cancel\n");
    stack.upload("hr/rescinded-2026-12.csv", rescind.into_bytes()).await.unwrap();
    let hr_run = planned_run(&stack.deliver_s3_events().await.unwrap());
    let record = stack.get_json(&format!("runs/{hr_run}/cancelled.json")).await.unwrap();
    assert_eq!(record["cancelled_by"], Principal::Hr.principal_id("uploader"));
    assert_eq!(record["cancelled"][0]["email"], rescinded.as_str());
    // A plan held for approval and never approved stages a delete that deletes no one,
    // even if someone else deactivates the user meanwhile.
    let holding = br#"{"sweep":{"enabled":false},"delete_after_days":30,"guardrails":{"hold_above_count":0}}"#;
    stack.upload("config/policy.json", holding.to_vec()).await.unwrap();
    let held = format!("Work Email,Termination Date\n{never_approved},{yesterday}\n");
    stack.upload("hr/held-2026-12.csv", held.into_bytes()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    assert_eq!(reported(&responses)[0]["result"], "held", "{responses:?}");
    let held_id =
        users.iter().find(|u| u["email"] == never_approved.as_str()).unwrap()["id"].as_str().unwrap().to_string();
    stack.sim.with_state(|s| s.set_status(&held_id, "deactivate")).unwrap();
    stack
        .upload("config/policy.json", br#"{"sweep":{"enabled":false},"delete_after_days":30}"#.to_vec())
        .await
        .unwrap();
    // The schedule is rewritten only as read (If-Match): a rewrite from a stale read is
    // refused, so a sweep and a cancel at the same moment cannot undo each other.
    let store =
        offboard_pipeline::store::Store::new(stack.s3_as(Principal::Planner).await.unwrap(), offboard_e2e::BUCKET);
    let schedule_key = format!("schedule/{run_id}.json");
    let (_, stale) = store.get_tagged(&schedule_key).await.unwrap().unwrap();
    let written: Value = stack.get_json(&schedule_key).await.unwrap();
    assert!(store.put_json_if_unchanged(&schedule_key, &written, &stale).await.unwrap(), "unchanged: rewritten");
    assert!(!store.put_json_if_unchanged(&schedule_key, &json!([]), &stale).await.unwrap(), "stale: refused");
    assert_eq!(stack.get_json(&schedule_key).await.unwrap(), written, "nothing lost to the stale write");
    // A cancel of what is not there is refused before anything is written.
    let (code, output) = offboard_as_operator(&stack, &["cancel", "no-such-run"]).await;
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("no run no-such-run"), "{output}");

    // A day later nothing is due; a month later the sweep deletes the one still
    // deactivated and drops the one reactivated, with the reason.
    let report = stack.invoke_planner(&sweep_at(now + jiff::SignedDuration::from_hours(24))).await.unwrap();
    assert_eq!(report[0]["actions"], 0, "{report}");
    let sweep = stack.invoke_planner(&sweep_at(now + jiff::SignedDuration::from_hours(24 * 31))).await.unwrap();
    let sweep_run = sweep[0]["run_id"].as_str().unwrap();
    let plan = stack.get_json(&format!("runs/{sweep_run}/plan.json")).await.unwrap();
    assert_eq!((sweep[0]["result"].as_str(), sweep[0]["actions"].as_u64()), (Some("planned"), Some(1)), "{plan}");
    assert_eq!(plan["actions"][0]["email"], stays_gone.as_str());
    assert_eq!(plan["actions"][0]["kind"], "delete");
    assert_eq!(plan["actions"][0]["delete"]["transfer_email"], manager.as_str());
    let dropped: Vec<(&str, &str, &str)> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["value"].as_str().unwrap(),
                s["reason"]["code"].as_str().unwrap(),
                s["reason"]["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    let why = |who: &str| dropped.iter().find(|d| d.0 == who).map(|d| (d.1, d.2)).unwrap();
    assert_eq!(why(rehired), ("changed_since_staged", "status active (was inactive)"));
    let (code, detail) = why(&never_approved);
    assert_eq!(code, "changed_since_staged");
    assert!(detail.contains("never sent its deactivation"), "{detail}");
    assert!(stack.list_keys("schedule/").await.unwrap().is_empty(), "everything due was taken up");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, stays_gone), ["revoke_token", "deactivate", "delete"]);
    assert_eq!(operations_on(&operations, rehired), ["revoke_token", "deactivate", "activate"]);
    assert_eq!(
        operations_on(&operations, &never_approved),
        ["deactivate"],
        "deactivated by someone else, never deleted"
    );
    for kept in [cancelled, rescinded] {
        assert_eq!(operations_on(&operations, kept), ["revoke_token", "deactivate"], "{kept} is not deleted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_skipped_for_hosting_meetings_is_offboarded_by_a_later_sweep_once_they_are_over() {
    let stack = LocalStack::start(StackOptions { users: 200, seed: 29, ..StackOptions::default() }).await.unwrap();
    let users = stack.sim_users().await.unwrap();
    let host = email(meeting_host(&users).unwrap());
    let quiet = email(quiet_members(&users)[0]);
    stack.upload("config/policy.json", br#"{"sweep":{"enabled":false}}"#.to_vec()).await.unwrap();
    stack.upload("inbox/leavers.csv", roster(&[host.clone(), quiet.clone()])).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    // The host is skipped (the default policy keeps a user who still hosts meetings) and
    // the run's summary lists them as deferred, until their last meeting ends.
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    let deferred = summary["deferred"].as_array().unwrap();
    assert_eq!(deferred.len(), 1, "{summary}");
    assert_eq!(
        (deferred[0]["email"].as_str(), deferred[0]["kind"].as_str()),
        (Some(host.as_str()), Some("deactivate"))
    );
    let until: jiff::Timestamp = deferred[0]["until"].as_str().unwrap().parse().unwrap();
    let now = jiff::Timestamp::now();
    assert!(until > now && until < now + jiff::SignedDuration::from_hours(24 * 32), "{until}");
    assert_eq!(stack.list_keys("deferred/").await.unwrap(), [format!("deferred/{run_id}.json")]);
    let operations = stack.sim_operations().await.unwrap();
    assert!(operations_on(&operations, &host).is_empty());
    assert_eq!(operations_on(&operations, &quiet), ["revoke_token", "deactivate"]);

    // A day later the sweep does not ask again: nothing is over yet.
    let report = stack.invoke_planner(&sweep_at(now + jiff::SignedDuration::from_hours(24))).await.unwrap();
    assert_eq!(report[0]["actions"], 0, "{report}");

    // A month later Zoom's clock is past every meeting: the sweep asks again, from the
    // signed plan of the run that deferred it, and the licence comes back.
    stack.sim.with_state(|s| s.advance_clock(Duration::from_secs(31 * 24 * 3600)));
    let sweep = stack.invoke_planner(&sweep_at(now + jiff::SignedDuration::from_hours(24 * 31))).await.unwrap();
    let sweep_run = sweep[0]["run_id"].as_str().unwrap().to_string();
    let plan = stack.get_json(&format!("runs/{sweep_run}/plan.json")).await.unwrap();
    assert_eq!(sweep[0]["actions"], 1, "{plan}");
    assert_eq!(
        (plan["actions"][0]["email"].as_str(), plan["actions"][0]["kind"].as_str()),
        (Some(host.as_str()), Some("deactivate"))
    );
    assert!(plan["actions"][0]["reason"].as_str().unwrap().contains(&format!("deferred by run {run_id}")));
    assert_eq!(plan["rechecked"], json!([{"run_id": run_id, "action_id": deferred[0]["action_id"]}]));
    assert!(stack.list_keys("deferred/").await.unwrap().is_empty(), "taken up once its actions are on the queue");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, &host), ["revoke_token", "deactivate"]);
    let summary = stack.get_json(&format!("runs/{sweep_run}/summary.json")).await.unwrap();
    let licensed = users.iter().any(|u| u["email"] == host.as_str() && u["type"] == 2);
    assert_eq!(summary["by_outcome"]["done"], 1, "{summary}");
    assert_eq!(summary["licences_freed"].as_u64(), Some(u64::from(licensed)), "{summary}");
    assert!(summary.get("deferred").is_none(), "{summary}");
}
