//! What arrives in `inbox/` and must be refused whole: a workbook built to exhaust the
//! planner (a cell at XFD1048576, a zip bomb of shared strings), and a roster whose
//! addresses sit in two columns with no header saying which are the people leaving (the
//! managers would be acted on). Each gets `runs/<run>/error.json` naming the file and why,
//! and nothing is backed up, planned, sent or changed in Zoom; the policy's
//! `roster.email_column` then reads the right column.

use offboard_e2e::people::{email, planned_run, quiet_members};
use offboard_e2e::{repo_root, LocalStack, StackOptions};
use serde_json::{json, Value};

/// A hostile workbook of `crates/core/tests/fixtures/workbooks/` (`make_hostile.py`).
fn workbook(name: &str) -> Vec<u8> {
    let path = repo_root().join("crates/core/tests/fixtures/workbooks").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The planner's `rejected` reports, across every response.
fn rejected(responses: &[Value]) -> Vec<&Value> {
    responses.iter().flat_map(|r| r.as_array().into_iter().flatten()).filter(|r| r["result"] == "rejected").collect()
}

/// The `error.json` of a rejected run, once checked to be all that run wrote.
async fn error_of(stack: &LocalStack, report: &Value) -> Value {
    let run_id = report["run_id"].as_str().unwrap();
    let written = stack.list_keys(&format!("runs/{run_id}/")).await.unwrap();
    let expected = [format!("runs/{run_id}/error.json"), format!("runs/{run_id}/notices/file_rejected.json")];
    assert_eq!(written, expected, "a refused file gets error.json, its notice and no plan");
    stack.get_json(report["error_key"].as_str().unwrap()).await.unwrap()
}

/// Nothing went out: no message, no change in Zoom, no backup.
async fn assert_nothing_sent(stack: &LocalStack) {
    assert_eq!(stack.queue_depth(&stack.action_queue_url).await.unwrap(), 0, "no message sent");
    assert!(stack.sim_operations().await.unwrap().is_empty(), "no change in Zoom");
    assert!(stack.list_keys("backups/").await.unwrap().is_empty(), "nothing planned, nothing backed up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_built_to_exhaust_the_planner_is_refused_naming_the_file_and_the_limit() {
    let stack = LocalStack::start(StackOptions { users: 50, seed: 71, ..StackOptions::default() }).await.unwrap();
    // 32 KB that unpack to 4,194,305 shared strings, and 1.5 KB naming cell XFD1048576.
    stack.upload("inbox/bomb.xlsx", workbook("shared-strings-bomb.xlsx")).await.unwrap();
    stack.upload("inbox/wide.xlsx", workbook("wide.xlsx")).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let rejected = rejected(&responses);
    assert_eq!(rejected.len(), 2, "both refused, by a planner still alive: {responses:?}");

    for report in rejected {
        let error = error_of(&stack, report).await;
        let (text, kind) = (error["error"].as_str().unwrap(), error["kind"].as_str().unwrap());
        let (file, expected_kind, limit) = if text.starts_with("inbox/bomb.xlsx: ") {
            ("inbox/bomb.xlsx", "workbook_too_large", "4194304 shared strings")
        } else {
            ("inbox/wide.xlsx", "too_wide", "1024 columns")
        };
        assert!(text.starts_with(&format!("{file}: ")), "the error names the file: {text}");
        assert_eq!(kind, expected_kind, "{text}");
        assert!(text.contains(limit), "the error states the limit: {text}");
    }
    assert_nothing_sent(&stack).await;
    let peak = stack.planner_peak_mb().unwrap();
    assert!(peak < 512.0, "the planner refused them in bounded memory, not after unpacking: {peak} MB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roster_of_managers_and_leavers_without_an_email_header_is_refused_until_the_policy_names_the_column() {
    let stack = LocalStack::start(StackOptions { users: 60, seed: 73, ..StackOptions::default() }).await.unwrap();
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let (managers, leavers): (Vec<String>, Vec<String>) =
        (quiet[..3].iter().map(|u| email(u)).collect(), quiet[3..6].iter().map(|u| email(u)).collect());
    // Column 1 holds the managers: the 2017 reading (emails in column 1) would deactivate them.
    let mut csv = String::from("Manager Email,Departing employee,Last day\n");
    for (manager, leaver) in managers.iter().zip(&leavers) {
        csv.push_str(&format!("{manager},{leaver},2026-11-30\n"));
    }
    stack.upload("inbox/hris export.csv", csv.clone().into_bytes()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let rejected = rejected(&responses);
    assert_eq!(rejected.len(), 1, "{responses:?}");
    let error = error_of(&stack, rejected[0]).await;
    let text = error["error"].as_str().unwrap();
    assert_eq!(error["kind"], "ambiguous_email_column", "{text}");
    assert!(text.starts_with("inbox/hris export.csv: "), "the error names the file: {text}");
    for candidate in ["`Manager Email` (column 1", "`Departing employee` (column 2", "roster.email_column"] {
        assert!(text.contains(candidate), "the error names {candidate}: {text}");
    }
    assert_nothing_sent(&stack).await;

    // The policy names the people's column: the leavers are planned, and no manager.
    let policy = json!({ "roster": { "email_column": "Departing employee" } });
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    stack.upload("inbox/hris export (again).csv", csv.into_bytes()).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let mut acted: Vec<String> =
        plan["actions"].as_array().unwrap().iter().map(|a| a["email"].as_str().unwrap().to_string()).collect();
    acted.sort();
    let mut expected = leavers.clone();
    expected.sort();
    assert_eq!(acted, expected, "only the leavers, never a manager: {plan}");
}
