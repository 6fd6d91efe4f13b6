//! The whole pipeline on the local stack: a roster uploaded to S3 ends with exactly the
//! listed users deactivated in the simulator, a backup and a plan in S3, one result per
//! action; a file that does not validate ends in `error.json` and nothing else.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use offboard_e2e::{LocalStack, StackOptions};
use serde_json::Value;

const USERS: usize = 400;

fn status_by_email(users: &[Value]) -> HashMap<String, String> {
    users
        .iter()
        .map(|u| (u["email"].as_str().unwrap().to_string(), u["status"].as_str().unwrap().to_string()))
        .collect()
}

fn members_with_status(users: &[Value], status: &str) -> Vec<String> {
    users
        .iter()
        .filter(|u| u["status"] == status && u["plain_member"] == true)
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_in_s3_deactivates_exactly_the_listed_users() {
    let stack = LocalStack::start(StackOptions { users: USERS, seed: 7 }).await.unwrap();
    let before = stack.sim_users().await.unwrap();
    let active = members_with_status(&before, "active");
    let listed: Vec<String> = active.iter().step_by(7).take(40).cloned().collect();
    let inactive = members_with_status(&before, "inactive")[0].clone();
    let unknown = ["gone.already@acme.example", "someone@elsewhere.example"];

    // An export with the email column second, mixed case and stray spaces.
    let mut csv = String::from("Full name,E-mail,Dept\n");
    for (i, email) in listed.iter().enumerate() {
        let shown = if i % 3 == 0 { format!("  {}  ", email.to_uppercase()) } else { email.clone() };
        csv.push_str(&format!("Person {i},{shown},Sales\n"));
    }
    csv.push_str(&format!("Already gone,{inactive},Ops\n"));
    for email in unknown {
        csv.push_str(&format!("Stranger,{email},\n"));
    }
    stack.upload("inbox/Q4 leavers+contractors.csv", csv.into_bytes()).await.unwrap();

    let reports = stack.deliver_s3_events().await.unwrap();
    let planned: Vec<&Value> =
        reports.iter().flat_map(|r| r.as_array().into_iter().flatten()).filter(|r| r["result"] == "planned").collect();
    assert_eq!(planned.len(), 1, "one run planned: {reports:?}");
    let run_id = planned[0]["run_id"].as_str().unwrap().to_string();
    assert_eq!(planned[0]["actions"], listed.len());

    let stats = stack.drain_actions(Duration::from_secs(240)).await.unwrap();
    assert_eq!(stats.messages, listed.len(), "one message per listed user, none for the others");
    assert_eq!(stats.returned_for_retry, 0);

    // Zoom: the listed users, and only they, went from active to inactive.
    let after = status_by_email(&stack.sim_users().await.unwrap());
    let was = status_by_email(&before);
    let changed: BTreeSet<&String> = after.keys().filter(|e| after[*e] != was[*e]).collect();
    let expected: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(changed, expected);
    assert!(listed.iter().all(|e| after[e] == "inactive"));
    let operations = stack.sim_operations().await.unwrap();
    assert_eq!(operations.len(), listed.len(), "each user deactivated once: {operations:?}");
    assert!(operations.iter().all(|op| op["op"] == "deactivate" && op["applied"] == true));

    // The plan explains every row, the unknown emails included.
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    assert_eq!(plan["actions"].as_array().unwrap().len(), listed.len());
    assert_eq!(plan["email_column"], "E-mail");
    assert_eq!(plan["source"], "s3://offboard-local/inbox/Q4 leavers+contractors.csv");
    let skipped: HashMap<String, String> = plan["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["value"].as_str().unwrap().to_string(), s["reason"]["code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(skipped.len(), 3);
    assert_eq!(skipped[&inactive], "already_inactive");
    for email in unknown {
        assert_eq!(skipped[email], "not_in_account");
    }

    // One result per action, each done, none for anyone else.
    let results = stack.list_keys(&format!("runs/{run_id}/results/")).await.unwrap();
    assert_eq!(results.len(), listed.len());
    let mut result_emails = BTreeSet::new();
    for key in &results {
        let result = stack.get_json(key).await.unwrap();
        assert_eq!(result["outcome"], "done", "{key}: {result}");
        result_emails.insert(result["email"].as_str().unwrap().to_string());
    }
    assert_eq!(result_emails, listed.iter().cloned().collect());

    // The backup holds every user of every status.
    let backup = String::from_utf8(stack.get_object(&format!("backups/{run_id}/users.csv")).await.unwrap()).unwrap();
    let backed_up: BTreeSet<&str> = backup.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    let everyone: BTreeSet<&str> = before.iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(backed_up, everyone);
    assert!(backup.lines().skip(1).any(|l| l.contains(",pending,")));

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
    assert_eq!(stack.sim_operations().await.unwrap().len(), listed.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_does_not_validate_gets_error_json_and_no_action() {
    let stack = LocalStack::start(StackOptions { users: 50, seed: 11 }).await.unwrap();
    let someone = members_with_status(&stack.sim_users().await.unwrap(), "active")[0].clone();

    stack
        .upload("inbox/names only.csv", format!("Name,Department\n{someone} Lopez,Sales\n").into_bytes())
        .await
        .unwrap();
    stack.upload("inbox/photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).await.unwrap();
    let reports = stack.deliver_s3_events().await.unwrap();
    let rejected: Vec<&Value> =
        reports.iter().flat_map(|r| r.as_array().into_iter().flatten()).filter(|r| r["result"] == "rejected").collect();
    assert_eq!(rejected.len(), 2, "{reports:?}");

    let mut kinds = BTreeSet::new();
    for report in rejected {
        let error = stack.get_json(report["error_key"].as_str().unwrap()).await.unwrap();
        let text = error["error"].as_str().unwrap();
        kinds.insert(error["kind"].as_str().unwrap().to_string());
        let file = if error["kind"] == "no_email_column" { "inbox/names only.csv" } else { "inbox/photo.csv" };
        assert!(text.starts_with(file), "the error names the file: {text}");
        let run_id = report["run_id"].as_str().unwrap();
        let written = stack.list_keys(&format!("runs/{run_id}/")).await.unwrap();
        assert_eq!(written, [format!("runs/{run_id}/error.json")], "no plan for a refused file");
    }
    assert_eq!(kinds, BTreeSet::from(["no_email_column".to_string(), "not_text".to_string()]));

    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "no message sent");
    assert!(stack.sim_operations().await.unwrap().is_empty(), "no change in Zoom");
    assert!(stack.list_keys("backups/").await.unwrap().is_empty(), "nothing planned, nothing backed up");
}
