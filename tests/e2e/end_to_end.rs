//! The whole pipeline on the local stack: moto's S3 and SQS, zoom-sim, and both Lambda
//! binaries under cargo-lambda's emulator. Each test drives what an admin, an HR system
//! or the schedule would do, and checks what happened in Zoom (the simulator's state and
//! operation log) and in the bucket.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::time::Duration;

use offboard_e2e::people::{email, meeting_host, quiet_members};
use offboard_e2e::{with_event, LocalStack, StackOptions, BUCKET};
use serde_json::{json, Value};

fn status_by_email(users: &[Value]) -> HashMap<String, String> {
    users
        .iter()
        .map(|u| (u["email"].as_str().unwrap().to_string(), u["status"].as_str().unwrap().to_string()))
        .collect()
}

/// The planner's reports of one kind, across every response.
fn reports<'a>(responses: &'a [Value], result: &str) -> Vec<&'a Value> {
    responses.iter().flat_map(|r| r.as_array().into_iter().flatten()).filter(|r| r["result"] == result).collect()
}

fn operations_on(operations: &[Value], email: &str) -> Vec<String> {
    operations.iter().filter(|op| op["email"] == email).map(|op| op["op"].as_str().unwrap().to_string()).collect()
}

fn roster(rows: &[String]) -> Vec<u8> {
    let mut csv = String::from("Full name,E-mail,Dept\n");
    for (i, email) in rows.iter().enumerate() {
        csv.push_str(&format!("Person {i},{email},Sales\n"));
    }
    csv.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_in_s3_deactivates_exactly_the_listed_users_and_no_protected_one() {
    let stack = LocalStack::start(StackOptions { users: 400, seed: 7, ..StackOptions::default() }).await.unwrap();
    let before = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&before);
    let listed: Vec<String> = quiet.iter().step_by(5).take(30).map(|u| email(u)).collect();
    let protected = email(quiet[1]);
    let hosting = email(meeting_host(&before).unwrap());
    let owner = email(before.iter().find(|u| u["role_name"] == "Owner").unwrap());
    let inactive = email(before.iter().find(|u| u["status"] == "inactive" && u["plain_member"] == true).unwrap());
    let unknown = ["gone.already@acme.example", "someone@elsewhere.example"];

    // The bucket's policy: a higher hold threshold, and one person nobody may touch.
    let policy = json!({
        "guardrails": { "hold_above_count": 100, "hold_above_share": 0.5, "protected_emails": [protected.to_uppercase()] }
    });
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();

    // An export with the email column second, mixed case and stray spaces.
    let mut csv = String::from("Full name,E-mail,Dept\n");
    for (i, email) in listed.iter().enumerate() {
        let shown = if i % 3 == 0 { format!("  {}  ", email.to_uppercase()) } else { email.clone() };
        csv.push_str(&format!("Person {i},{shown},Sales\n"));
    }
    for (name, email) in [("Hosts meetings", &hosting), ("The owner", &owner), ("Protected", &protected)] {
        csv.push_str(&format!("{name},{email},Ops\n"));
    }
    csv.push_str(&format!("Already gone,{inactive},Ops\n"));
    for email in unknown {
        csv.push_str(&format!("Stranger,{email},\n"));
    }
    stack.upload("inbox/Q4 leavers+contractors.csv", csv.into_bytes()).await.unwrap();

    let responses = stack.deliver_s3_events().await.unwrap();
    let planned = reports(&responses, "planned");
    assert_eq!(planned.len(), 1, "one run planned: {responses:?}");
    let run_id = planned[0]["run_id"].as_str().unwrap().to_string();
    assert_eq!(planned[0]["actions"], listed.len() + 1, "the listed users and the one hosting meetings");
    assert_eq!(planned[0]["refused"], 2, "the owner and the protected person");

    // The same S3 event delivered again sends nothing.
    let redelivered = stack.invoke_planner(&stack.delivered_events()[0]).await.unwrap();
    assert_eq!(redelivered[0]["result"], "already_sent", "{redelivered}");

    let stats = stack.drain_actions(Duration::from_secs(240)).await.unwrap();
    assert_eq!(stats.messages, listed.len() + 1, "one message per action, none twice");
    assert_eq!(stats.returned_for_retry, 0);

    // Zoom: the listed users, and only they, went from active to inactive.
    let after = status_by_email(&stack.sim_users().await.unwrap());
    let was = status_by_email(&before);
    let changed: BTreeSet<&String> = after.keys().filter(|e| after[*e] != was[*e]).collect();
    assert_eq!(changed, listed.iter().collect::<BTreeSet<_>>());
    let operations = stack.sim_operations().await.unwrap();
    for email in &listed {
        assert_eq!(operations_on(&operations, email), ["revoke_token", "deactivate"], "{email}");
    }
    for untouched in [&owner, &protected, &hosting, &inactive] {
        assert!(operations_on(&operations, untouched).is_empty(), "{untouched} untouched: {operations:?}");
    }
    assert_eq!(operations.len(), 2 * listed.len());

    // The plan explains every row.
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    assert_eq!(plan["email_column"], "E-mail");
    assert_eq!(plan["input_format"], "csv (,)");
    assert_eq!(plan["source"], format!("s3://{BUCKET}/inbox/Q4 leavers+contractors.csv"));
    let skipped: HashMap<String, String> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].as_str().unwrap().to_string(), s["reason"]["code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(skipped.len(), 5, "{skipped:?}");
    assert_eq!(skipped[&inactive], "already_inactive");
    assert_eq!(skipped[&owner], "protected_role");
    assert_eq!(skipped[&protected], "protected_email");
    for email in unknown {
        assert_eq!(skipped[email], "not_in_account");
    }
    let plan_csv = String::from_utf8(stack.get_object(&format!("runs/{run_id}/plan.csv")).await.unwrap()).unwrap();
    assert_eq!(plan_csv.lines().count(), 1 + listed.len() + 1 + 5);
    assert!(plan_csv.lines().any(|l| l.contains(&owner) && l.contains("refused,protected_role")), "{plan_csv}");
    let summary =
        String::from_utf8(stack.get_object(&format!("runs/{run_id}/plan-summary.txt")).await.unwrap()).unwrap();
    assert!(summary.contains("Users in the account: 400"), "{summary}");

    // One result per action: done for the listed, skipped (with what was found) for the host.
    let results = stack.list_keys(&format!("runs/{run_id}/results/")).await.unwrap();
    assert_eq!(results.len(), listed.len() + 1);
    let mut done = BTreeSet::new();
    for key in &results {
        let result = stack.get_json(key).await.unwrap();
        if result["email"] == hosting.as_str() {
            assert_eq!(result["outcome"], "skipped", "{result}");
            assert!(result["findings"]["upcoming_meetings"].as_u64().unwrap() > 0, "{result}");
        } else {
            assert_eq!(result["outcome"], "done", "{key}: {result}");
            done.insert(result["email"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(done, listed.iter().cloned().collect());

    // The backup holds every user of every status, as CSV, JSON Lines and a manifest.
    let backup = String::from_utf8(stack.get_object(&format!("backups/{run_id}/users.csv")).await.unwrap()).unwrap();
    let backed_up: BTreeSet<&str> = backup.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    let everyone: BTreeSet<&str> = before.iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(backed_up, everyone);
    let gz = stack.get_object(&format!("backups/{run_id}/users.jsonl.gz")).await.unwrap();
    let mut jsonl = String::new();
    flate2::read::GzDecoder::new(gz.as_slice()).read_to_string(&mut jsonl).unwrap();
    assert_eq!(jsonl.lines().count(), 400);
    let manifest = stack.get_json(&format!("backups/{run_id}/manifest.json")).await.unwrap();
    assert_eq!(manifest["users"], 400);
    assert_eq!(manifest["source_key"], "inbox/Q4 leavers+contractors.csv");
    assert!(!manifest["source_etag"].as_str().unwrap().is_empty());
    let by_status: u64 = manifest["by_status"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_status, 400);

    // A redelivered action is acknowledged without a second Zoom call.
    let first = plan["actions"][0].clone();
    let message = offboard_core::ActionMessage::new(&run_id, serde_json::from_value(first).unwrap());
    stack
        .sqs
        .send_message()
        .queue_url(&stack.action_queue_url)
        .message_body(serde_json::to_string(&message).unwrap())
        .send()
        .await
        .unwrap();
    let again = stack.drain_actions(Duration::from_secs(60)).await.unwrap();
    assert_eq!((again.messages, again.returned_for_retry), (1, 0));
    assert_eq!(stack.sim_operations().await.unwrap().len(), operations.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_plan_sends_nothing_until_approved_and_a_stale_approval_is_refused() {
    let stack = LocalStack::start(StackOptions { users: 400, seed: 13, ..StackOptions::default() }).await.unwrap();
    let before = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&before);
    // 25 actions in an account of 400: over 5% (20), so held by default.
    let first: Vec<String> = quiet.iter().take(25).map(|u| email(u)).collect();
    stack.upload("inbox/big.csv", roster(&first)).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let held = reports(&responses, "held");
    assert_eq!(held.len(), 1, "{responses:?}");
    let run_id = held[0]["run_id"].as_str().unwrap().to_string();
    assert_eq!((held[0]["actions"].as_u64(), held[0]["threshold"].as_u64()), (Some(25), Some(20)));
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "nothing sent while held");
    assert!(stack.sim_operations().await.unwrap().is_empty());
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    assert_eq!(plan["hold"]["threshold"], 20);
    let again = stack.invoke_planner(&stack.delivered_events()[0]).await.unwrap();
    assert_eq!(again[0]["result"], "held", "a redelivery does not release a hold: {again}");
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0);
    // The approvers were told once, redelivery or not: what waits, and how to send it.
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let held_notice = &notifications[0];
    assert_eq!(held_notice["MessageAttributes"]["event"]["Value"], "plan_held");
    assert_eq!(held_notice["MessageAttributes"]["run_id"]["Value"], run_id.as_str());
    assert_eq!(held_notice["Subject"], format!("Offboard run {run_id} held for approval: 25 actions"));
    let published: Value = serde_json::from_str(held_notice["Message"].as_str().unwrap()).unwrap();
    assert_eq!((published["actions"].as_u64(), published["threshold"].as_u64()), (Some(25), Some(20)));
    assert_eq!(published["approve_command"], format!("offboard approve {run_id} --bucket {BUCKET}"));
    assert_eq!(published["plan"], format!("s3://{BUCKET}/runs/{run_id}/plan.json"));

    // The approval arrives: the plan goes out, once.
    let approval = json!({ "approved_by": "it-admin@acme.example", "note": "Q4 leavers" });
    stack.upload(&format!("approvals/{run_id}.json"), serde_json::to_vec(&approval).unwrap()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let planned = reports(&responses, "planned");
    assert_eq!(planned.len(), 1, "{responses:?}");
    assert_eq!(planned[0]["actions"], 25);
    let stats = stack.drain_actions(Duration::from_secs(240)).await.unwrap();
    assert_eq!(stats.messages, 25);
    let deactivated: BTreeSet<String> = stack
        .sim_operations()
        .await
        .unwrap()
        .iter()
        .filter(|op| op["op"] == "deactivate" && op["applied"] == true)
        .map(|op| op["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(deactivated, first.iter().cloned().collect());
    let sent = stack.get_json(&format!("runs/{run_id}/sent.json")).await.unwrap();
    assert_eq!(sent["approved_by"], "it-admin@acme.example");

    // A second held run, and then someone changes one of its users in Zoom: the account
    // has moved on since the backup, so the approval is refused and nothing is sent.
    let second: Vec<String> = quiet.iter().skip(25).take(25).map(|u| email(u)).collect();
    stack.upload("inbox/bigger.csv", roster(&second)).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let run_2 = reports(&responses, "held")[0]["run_id"].as_str().unwrap().to_string();
    let changed_user = quiet[30]["id"].as_str().unwrap().to_string();
    stack.sim.with_state(|s| s.set_status(&changed_user, "deactivate")).unwrap();
    let operations_before = stack.sim_operations().await.unwrap().len();
    stack.upload(&format!("approvals/{run_2}.json"), b"{}".to_vec()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let refused = reports(&responses, "approval_refused");
    assert_eq!(refused.len(), 1, "{responses:?}");
    let notifications = stack.topic_notifications().await.unwrap();
    let refused_notices = with_event(&notifications, "approval_refused");
    assert_eq!(refused_notices.len(), 1, "{notifications:?}");
    let published: Value = serde_json::from_str(refused_notices[0]["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published["changes_total"], 1, "{published}");
    assert!(published["changes"][0].as_str().unwrap().starts_with(&email(quiet[30])), "{published}");
    assert_eq!(with_event(&notifications, "plan_held").len(), 1, "the second run's hold: {notifications:?}");
    let refusal = stack.get_json(&format!("runs/{run_2}/approval-refused.json")).await.unwrap();
    let changes = refusal["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{refusal}");
    assert!(changes[0].as_str().unwrap().starts_with(&email(quiet[30])), "{refusal}");
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0);
    assert_eq!(stack.sim_operations().await.unwrap().len(), operations_before);
    assert!(stack.list_keys(&format!("runs/{run_2}/sent.json")).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hr_file_acts_on_past_terminations_now_and_on_future_ones_only_when_due() {
    let stack = LocalStack::start(StackOptions { users: 400, seed: 17, ..StackOptions::default() }).await.unwrap();
    let before = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&before);
    // The manager receives the leaver's things: a licensed member (as a transfer target must be).
    let manager = email(quiet.iter().skip(1).find(|u| u["type"] == 2).unwrap());
    let (leaver, future) = (email(quiet[0]), email(quiet.iter().skip(1).find(|u| email(u) != manager).unwrap()));
    // Only HR's own rows in this test: the inactive-user part of the sweep is off.
    stack.upload("config/policy.json", br#"{"sweep":{"enabled":false}}"#.to_vec()).await.unwrap();

    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let in_three_days = today.checked_add(jiff::Span::new().days(3)).unwrap();
    let yesterday = today.checked_sub(jiff::Span::new().days(1)).unwrap();
    let us = |d: jiff::civil::Date| format!("{:02}/{:02}/{}", d.month(), d.day(), d.year());
    let hr = format!(
        "Employee ID;Work Email;Termination Date;Manager Email;Action\n\
         E1;{leaver};{};{manager};\n\
         E2;{future};{};;deactivate\n",
        us(yesterday),
        in_three_days
    );
    stack.upload("hr/workday-2026-11.csv", hr.into_bytes()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let planned = reports(&responses, "planned");
    assert_eq!(planned.len(), 1, "{responses:?}");
    let run_id = planned[0]["run_id"].as_str().unwrap();
    assert_eq!(planned[0]["actions"], 1);
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    assert_eq!(plan["actions"][0]["kind"], "delete");
    assert_eq!(plan["actions"][0]["delete"]["transfer_email"], manager.as_str());
    assert_eq!(plan["counts"]["scheduled"], 1);
    assert_eq!(stack.list_keys("schedule/").await.unwrap().len(), 1);

    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, &leaver), ["revoke_token", "delete"]);
    assert!(operations_on(&operations, &future).is_empty(), "not due yet");

    let sweep = |at: jiff::Timestamp| {
        json!({"source": "offboard.scheduler", "detail-type": "Offboard Sweep", "time": at.to_string(),
               "detail": {"kind": "sweep"}})
    };
    // Tomorrow's sweep: the future termination is not due.
    let tomorrow = now + jiff::SignedDuration::from_hours(24);
    let report = stack.invoke_planner(&sweep(tomorrow)).await.unwrap();
    assert_eq!((report[0]["result"].as_str(), report[0]["actions"].as_u64()), (Some("planned"), Some(0)), "{report}");
    assert_eq!(stack.list_keys("schedule/").await.unwrap().len(), 1, "still scheduled");
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0);

    // The sweep after the date: acted on, once, and taken off the schedule.
    let after_due = now + jiff::SignedDuration::from_hours(24 * 4);
    let report = stack.invoke_planner(&sweep(after_due)).await.unwrap();
    assert_eq!((report[0]["result"].as_str(), report[0]["actions"].as_u64()), (Some("planned"), Some(1)), "{report}");
    assert!(stack.list_keys("schedule/").await.unwrap().is_empty());
    let again = stack.invoke_planner(&sweep(after_due)).await.unwrap();
    assert_eq!(again[0]["result"], "already_sent", "the same sweep event twice sends nothing twice");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations_on(&operations, &future), ["revoke_token", "deactivate"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_does_not_validate_gets_error_json_and_no_action() {
    let stack = LocalStack::start(StackOptions { users: 50, seed: 11, ..StackOptions::default() }).await.unwrap();
    let someone = email(quiet_members(&stack.sim_users().await.unwrap())[0]);
    stack.upload("config/policy.json", br#"{"max_file_bytes": 4096}"#.to_vec()).await.unwrap();

    stack
        .upload("inbox/names only.csv", format!("Name,Department\n{someone} Lopez,Sales\n").into_bytes())
        .await
        .unwrap();
    stack.upload("inbox/photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).await.unwrap();
    let mut huge = format!("email\n{someone}\n");
    while huge.len() <= 4096 {
        huge.push_str("padding@acme.example\n");
    }
    stack.upload("inbox/huge.csv", huge.into_bytes()).await.unwrap();
    stack.upload("hr/no dates.csv", format!("email,manager\n{someone},\n").into_bytes()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let rejected = reports(&responses, "rejected");
    assert_eq!(rejected.len(), 4, "{responses:?}");

    let mut kinds = BTreeSet::new();
    for report in rejected {
        let error = stack.get_json(report["error_key"].as_str().unwrap()).await.unwrap();
        let text = error["error"].as_str().unwrap();
        let kind = error["kind"].as_str().unwrap().to_string();
        let file = match kind.as_str() {
            "no_email_column" => "inbox/names only.csv",
            "not_text" => "inbox/photo.csv",
            "too_large" => "inbox/huge.csv",
            _ => "hr/no dates.csv",
        };
        assert!(text.starts_with(file), "the error names the file: {text}");
        kinds.insert(kind);
        let run_id = report["run_id"].as_str().unwrap();
        let written = stack.list_keys(&format!("runs/{run_id}/")).await.unwrap();
        let expected = [format!("runs/{run_id}/error.json"), format!("runs/{run_id}/notices/file_rejected.json")];
        assert_eq!(written, expected, "no plan for a refused file, and its notice published");
    }
    // Each refusal told the admins once: its file, its reason, for people and for machines.
    let notifications = stack.topic_notifications_of("file_rejected").await.unwrap();
    assert_eq!(notifications.len(), 4, "{notifications:?}");
    let subjects: BTreeSet<&str> = notifications.iter().map(|n| n["Subject"].as_str().unwrap()).collect();
    assert!(subjects.contains("Offboard refused names only.csv: no_email_column"), "{subjects:?}");
    for notification in &notifications {
        let published: Value = serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
        let run_id = notification["MessageAttributes"]["run_id"]["Value"].as_str().unwrap();
        let error = stack.get_json(&format!("runs/{run_id}/error.json")).await.unwrap();
        assert_eq!((&published["kind"], &published["error"]), (&error["kind"], &error["error"]), "{published}");
    }
    // A redelivered event is the same refusal: not announced again.
    for event in stack.delivered_events() {
        stack.invoke_planner(&event).await.unwrap();
    }
    assert_eq!(stack.topic_notifications().await.unwrap(), Vec::<Value>::new(), "announced once");
    let expected = ["no_date_column", "no_email_column", "not_text", "too_large"];
    assert_eq!(kinds, expected.iter().map(|k| k.to_string()).collect());

    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "no message sent");
    assert!(stack.sim_operations().await.unwrap().is_empty(), "no change in Zoom");
    assert!(stack.list_keys("backups/").await.unwrap().is_empty(), "nothing planned, nothing backed up");
}
