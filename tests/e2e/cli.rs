//! The `offboard` operator CLI, run as an operator runs it: the release binary as a
//! child process, against zoom-sim (in this process, on 127.0.0.1), and for the bucket
//! commands against the local stack (moto's server and the Lambda binaries). Each test
//! checks what the operator sees (output, exit code) and what happened in Zoom (the
//! simulator's operation log).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use offboard_e2e::browser;
use offboard_e2e::people::{email, meeting_host, quiet_members, roster, run_with_result};
use offboard_e2e::{bin_dir, repo_root, LocalStack, Principal, StackOptions};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use zoom_sim::{SimConfig, ZoomSim};

mod exports;
mod scripting;

async fn sim(users: usize, seed: u64) -> ZoomSim {
    let config = SimConfig { users, seed, ..SimConfig::default() };
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

/// A folder of its own under the target directory, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `offboard` with nothing of this process's environment but what is given here.
fn offboard(env: &[(&str, String)], args: &[&str]) -> Command {
    let mut command = Command::new(bin_dir().join("offboard"));
    command.env_clear().env("USER", "tester").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

/// The environment that points `offboard` at `sim`, keeping local runs under `state`.
fn sim_env(sim: &ZoomSim, state: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("ZOOM_API_URL", sim.api_url()),
        ("ZOOM_OAUTH_URL", sim.oauth_url()),
        ("ZOOM_ACCOUNT_ID", "sim-account".to_string()),
        ("ZOOM_CLIENT_ID", "sim-client".to_string()),
        ("ZOOM_CLIENT_SECRET", "sim-secret".to_string()),
        ("OFFBOARD_STATE_DIR", state.display().to_string()),
    ]
}

async fn run(mut command: Command) -> Output {
    command.output().await.unwrap()
}

/// Runs with `input` typed on stdin.
async fn run_typing(command: Command, input: &str) -> Output {
    run_typing_child(command, input).wait_with_output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Asserts the exit code, showing what the command printed when it differs.
fn assert_exit(output: &Output, expected: i32) {
    assert_eq!(code(output), expected, "stdout:\n{}\nstderr:\n{}", text(&output.stdout), text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"), "{}", text(&output.stderr));
}

fn operations(sim: &ZoomSim) -> Vec<zoom_sim::Operation> {
    sim.with_state(|s| s.operations().to_vec())
}

async fn sim_users(sim: &ZoomSim) -> Vec<Value> {
    let body: Value = reqwest::get(format!("{}/_sim/users", sim.base_url())).await.unwrap().json().await.unwrap();
    body["users"].as_array().cloned().unwrap_or_default()
}

fn write_roster(dir: &Path, emails: &[String]) -> PathBuf {
    let path = dir.join("leavers.csv");
    std::fs::write(&path, roster(emails)).unwrap();
    path
}

/// The one run folder under `state` whose name starts with `prefix`.
fn run_id_in(state: &Path, prefix: &str) -> String {
    let runs: Vec<String> = std::fs::read_dir(state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(prefix))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

/// A command's stdout as the one JSON object `--format json` prints, after its exit code.
fn json_of(output: Output, expected_exit: i32) -> Value {
    assert_exit(&output, expected_exit);
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {}", text(&output.stdout)))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Renders the report in Chromium: not blank, and the page's counts are the summary's.
fn assert_report_matches(html: &Path, summary: &Value) {
    let rendered = browser::render(html, html.parent().unwrap()).unwrap();
    assert!(!browser::is_blank(&rendered.screenshot_png).unwrap(), "the screenshot is blank");
    let expected: BTreeMap<String, u64> = summary["by_outcome"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .filter(|(_, v)| *v > 0)
        .collect();
    let shown: BTreeMap<String, u64> =
        browser::outcome_counts(&rendered.dom).into_iter().filter(|(_, v)| *v > 0).collect();
    assert_eq!(shown, expected, "counts in the page against summary.json");
    assert_eq!(browser::planned_count(&rendered.dom), summary["planned"].as_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_the_table_and_the_seeds_figures_and_changes_nothing() {
    // The account `make sim` serves, and the roster the README shows.
    let sim = sim(2000, 42).await;
    let state = scratch("plan");
    let env = sim_env(&sim, &state.join("runs"));
    let example = repo_root().join("examples").join("roster.csv").display().to_string();

    let table = run(offboard(&env, &["plan", "--roster", &example])).await;
    // 150 deactivations in an account of 2,000 are over the default guardrails: held.
    assert_exit(&table, 3);
    let stdout = text(&table.stdout);
    for expected in [
        "line  user",
        "Users in the account: 2000 (active",
        "Licensed:",
        "Basic:",
        "to act on: 150",
        "Estimated after:",
        "Estimated duration:",
        "HELD for approval",
        "no user with this email in the account",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in:\n{stdout}");
    }
    assert_eq!(stdout.lines().filter(|l| l.contains(" deactivate ")).count(), 150, "{stdout}");

    let json = run(offboard(&env, &["plan", "--roster", &example, "--format", "json"])).await;
    assert_exit(&json, 3);
    let plan: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(plan["actions"].as_array().unwrap().len(), 150);
    assert_eq!(plan["counts"]["users_in_account"], 2000);
    assert_eq!(plan["counts"]["skipped"], 4);
    let csv = run(offboard(&env, &["plan", "--roster", &example, "--format", "csv"])).await;
    assert_exit(&csv, 3);
    assert_eq!(text(&csv.stdout).lines().count(), 1 + 154, "a header and one row per roster row");

    assert!(operations(&sim).is_empty(), "a dry run changes nothing in Zoom");
    assert!(!state.join("runs").exists(), "a dry run writes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_one_line_naming_the_file_or_field_and_changes_nothing() {
    let sim = sim(100, 3).await;
    let state = scratch("bad-input");
    let env = sim_env(&sim, &state.join("runs"));
    let no_email = state.join("names.csv");
    std::fs::write(&no_email, "name,dept\nJo Smith,Sales\n").unwrap();
    let bad_policy = state.join("policy.json");
    std::fs::write(&bad_policy, "{\"guardrails\": {\"hold_above_count\": \"many\"}}").unwrap();
    let roster_path = write_roster(&state, &["someone@acme.example".to_string()]);
    let missing = state.join("missing.csv");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["plan".into(), "--roster".into(), no_email.display().to_string()], "names.csv: no email column"),
        (vec!["apply".into(), "--yes".into(), "--roster".into(), no_email.display().to_string()], "names.csv"),
        (vec!["plan".into(), "--roster".into(), missing.display().to_string()], "missing.csv"),
        (
            vec![
                "--policy".into(),
                bad_policy.display().to_string(),
                "plan".into(),
                "--roster".into(),
                roster_path.display().to_string(),
            ],
            "policy.json: not a valid policy",
        ),
        (
            vec![
                "--budget-share".into(),
                "3".into(),
                "plan".into(),
                "--roster".into(),
                roster_path.display().to_string(),
            ],
            "--budget-share",
        ),
        (vec!["apply".into(), "--resume".into(), "no-such-run".into()], "no local run no-such-run"),
        (vec!["report".into(), "no-such-run".into(), "--html".into(), "r.html".into()], "no local run no-such-run"),
        (
            vec!["plan".into(), "--roster".into(), roster_path.display().to_string(), "--format".into(), "yaml".into()],
            "yaml",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run(offboard(&env, &args)).await;
        assert_exit(&output, 2);
        let stderr = text(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {expected:?} in {stderr}");
        if !args.contains(&"yaml") {
            assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        }
        assert!(!stderr.contains("backtrace") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    }
    let no_credentials = run(offboard(&[], &["plan", "--roster", &roster_path.display().to_string()])).await;
    assert_exit(&no_credentials, 2);
    assert!(text(&no_credentials.stderr).contains("ZOOM_CLIENT_SECRET"), "{}", text(&no_credentials.stderr));
    assert!(operations(&sim).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_resumes_without_repeating_an_action_then_reports_and_undoes() {
    let sim = sim(300, 11).await;
    let state = scratch("apply");
    let runs = state.join("runs");
    let env = sim_env(&sim, &runs);
    let users = sim_users(&sim).await;
    let mut listed: Vec<String> = quiet_members(&users).iter().take(30).map(|u| email(u)).collect();
    let host = email(meeting_host(&users).unwrap());
    listed.push(host.clone());
    let roster_path = write_roster(&state, &listed);
    let roster_arg = roster_path.display().to_string();
    let no_hold = state.join("policy.json");
    std::fs::write(&no_hold, r#"{"guardrails": {"hold_above_count": 1000, "hold_above_share": 1.0}}"#).unwrap();
    let policy_arg = no_hold.display().to_string();

    // The operator must type the count: a wrong count changes nothing.
    let declined =
        run_typing(offboard(&env, &["--policy", &policy_arg, "apply", "--roster", &roster_arg]), "30\n").await;
    assert_exit(&declined, 2);
    assert!(text(&declined.stderr).contains("Type 31 to go ahead"), "{}", text(&declined.stderr));
    assert!(operations(&sim).is_empty());
    std::fs::remove_dir_all(&runs).unwrap();

    // Slow enough to stop half-way: Zoom at 5% of its limits, paced to match.
    sim.with_state(|s| s.set_rate_limits(zoom_sim::RatePlan::Business, 0.05));
    let slow =
        ["--policy", &policy_arg, "--budget-share", "0.04", "apply", "--roster", &roster_arg, "--concurrency", "2"];
    let mut child = run_typing_child(offboard(&env, &slow), "31\n");
    let waited = Instant::now();
    while operations(&sim).iter().filter(|op| op.applied).count() < 4 {
        assert!(waited.elapsed() < Duration::from_secs(120), "no change reached Zoom");
        assert!(child.try_wait().unwrap().is_none(), "apply ended before it was interrupted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) with a live child's pid and SIGINT, as Ctrl-C in its terminal.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0);
    let interrupted = child.wait_with_output().await.unwrap();
    assert_exit(&interrupted, 130);
    let stderr = text(&interrupted.stderr);
    assert!(stderr.contains("offboard apply --resume local-"), "{stderr}");
    let run_id = run_id_in(&runs, "local-");
    let recorded = std::fs::read_dir(runs.join(&run_id).join("results")).unwrap().count();
    assert!((4..31).contains(&recorded), "stopped part-way: {recorded} results");

    let status = run(offboard(&env, &["status", &run_id])).await;
    assert_exit(&status, 0);
    assert!(
        text(&status.stdout).contains(&format!("31 planned, {recorded} with a result")),
        "{}",
        text(&status.stdout)
    );

    sim.with_state(|s| s.set_rate_limits(zoom_sim::RatePlan::Business, 1.0));
    let resumed = run(offboard(&env, &["apply", "--resume", &run_id, "--yes"])).await;
    assert_exit(&resumed, 0);
    assert!(text(&resumed.stdout).contains("done 30, skipped 1"), "{}", text(&resumed.stdout));

    // Every listed quiet member deactivated by exactly one call (and its SSO session
    // revoked by at most one); the host untouched.
    let ops = operations(&sim);
    let mut calls: HashMap<(&str, &str), usize> = HashMap::new();
    for op in &ops {
        *calls.entry((op.email.as_str(), op.op.as_str())).or_insert(0) += 1;
    }
    assert!(calls.values().all(|n| *n == 1), "an action repeated: {calls:?}");
    let deactivated: Vec<&str> =
        ops.iter().filter(|op| op.op == "deactivate" && op.applied).map(|op| op.email.as_str()).collect();
    assert_eq!(deactivated.len(), 30, "{ops:?}");
    assert!(ops.iter().all(|op| op.email != host), "{ops:?}");
    let summary = read_json(&runs.join(&run_id).join("summary.json"));
    assert_eq!(summary["by_outcome"]["done"], 30, "{summary}");
    assert_eq!(summary["by_reason"]["skipped: hosts_upcoming_meetings"], 1, "{summary}");

    let html = state.join("report.html");
    let report = run(offboard(&env, &["report", &run_id, "--html", &html.display().to_string()])).await;
    assert_exit(&report, 0);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "no external asset");
    assert_report_matches(&html, &summary);

    // The undo restores the 30, through the same confirmation.
    let undo = run_typing(offboard(&env, &["undo", &run_id]), "30\n").await;
    assert_exit(&undo, 0);
    let after = sim_users(&sim).await;
    let status_of: HashMap<String, String> =
        after.iter().map(|u| (email(u), u["status"].as_str().unwrap_or_default().to_string())).collect();
    for listed in listed.iter().filter(|e| **e != host) {
        assert_eq!(status_of[listed], "active", "{listed} restored");
    }
    let activations = operations(&sim).iter().filter(|op| op.op == "activate" && op.applied).count();
    assert_eq!(activations, 30);
}

fn run_typing_child(mut command: Command, input: &str) -> tokio::process::Child {
    let mut child = command.stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    tokio::spawn(async move {
        let _ = stdin.write_all(input.as_bytes()).await;
    });
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_writes_every_user_and_rehearse_predicts_from_it_without_touching_production() {
    let sim = sim(300, 5).await;
    let state = scratch("backup");
    let env = sim_env(&sim, &state.join("runs"));
    let out = state.join("backup");
    let backup = run(offboard(&env, &["backup", "--out", &out.display().to_string()])).await;
    assert_exit(&backup, 0);
    let users = sim_users(&sim).await;
    let lines: Vec<Value> = std::fs::read_to_string(out.join("users.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), users.len());
    for status in ["active", "inactive", "pending"] {
        let in_sim = users.iter().filter(|u| u["status"] == status).count();
        let in_backup = lines.iter().filter(|u| u["status"] == status).count();
        assert_eq!(in_backup, in_sim, "{status}");
    }
    assert_eq!(std::fs::read_to_string(out.join("users.csv")).unwrap().lines().count(), users.len() + 1);
    let account = read_json(&out.join("account.json"));
    assert!(account["role_names"].as_object().is_some_and(|r| !r.is_empty()), "{account}");
    assert!(text(&backup.stdout).contains(&format!("Backed up {} users", users.len())));

    let listed: Vec<String> = quiet_members(&users).iter().take(12).map(|u| email(u)).collect();
    let roster_path = write_roster(&state, &listed);
    let rehearsal = run(offboard(
        &env,
        &["rehearse", "--backup", &out.display().to_string(), "--roster", &roster_path.display().to_string()],
    ))
    .await;
    assert_exit(&rehearsal, 0);
    let stdout = text(&rehearsal.stdout);
    assert!(stdout.contains(&format!("({} users)", users.len())), "{stdout}");
    assert!(stdout.contains("Predicted outcomes: done 12"), "{stdout}");
    assert!(stdout.contains("Predicted duration:"), "{stdout}");
    assert!(operations(&sim).is_empty(), "a rehearsal touches nothing in the real account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_plans_then_applies_downgrades_of_long_inactive_licensed_users() {
    let sim = sim(400, 9).await;
    let state = scratch("sweep");
    let env = sim_env(&sim, &state.join("runs"));
    let planned = run(offboard(&env, &["sweep", "--inactive-days", "120", "--format", "json"])).await;
    let plan: Value = serde_json::from_slice(&planned.stdout).unwrap();
    let actions = plan["actions"].as_array().unwrap().clone();
    assert!(!actions.is_empty(), "the seeded account has long-inactive licensed users");
    assert_exit(&planned, if plan["hold"].is_null() { 0 } else { 3 });
    assert!(actions.iter().all(|a| a["kind"] == "downgrade" && a["before"]["user_type"] == 2), "{actions:?}");
    assert!(operations(&sim).is_empty());

    let applied = run(offboard(&env, &["sweep", "--inactive-days", "120", "--apply", "--yes", "--approve-hold"])).await;
    // One call per action; what Zoom refused (an Events owner, say) makes the exit code 4.
    let ops = operations(&sim);
    assert_eq!(ops.len(), actions.len(), "{ops:?}");
    let refused = ops.iter().filter(|op| !op.applied).count();
    assert_exit(&applied, if refused == 0 { 0 } else { 4 });
    assert!(text(&applied.stdout).contains(&format!("done {}", actions.len() - refused)), "{}", text(&applied.stdout));
    let users = sim_users(&sim).await;
    for op in ops.iter().filter(|op| op.applied) {
        assert_eq!(op.op, "set_type:1", "{op:?}");
        let user = users.iter().find(|u| u["email"] == op.email.as_str()).unwrap();
        assert_eq!(user["type"], 1, "{user}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_commands_approve_a_held_run_follow_it_report_it_and_undo_it() {
    let stack = LocalStack::start(StackOptions { users: 200, seed: 31, ..StackOptions::default() }).await.unwrap();
    let state = scratch("bucket");
    // The operator's machine reaches the stack as an approver: the stack's OperatorRole,
    // with the OperatorPolicy the docs tell an admin to grant, and nothing more.
    let env: Vec<(&str, String)> = stack.env_of(Principal::Operator).unwrap();
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(20).map(|u| email(u)).collect();
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = run_with_result(&stack.deliver_s3_events().await.unwrap(), "held");

    let held = run(offboard(&env, &["status", &run_id])).await;
    assert_exit(&held, 3);
    let uploader = format!("uploaded by {}, planned 0 h", Principal::Operator.principal_id("uploader"));
    assert!(text(&held.stdout).contains("held for approval"), "{}", text(&held.stdout));
    assert!(text(&held.stdout).contains(&uploader), "who uploaded it and when: {}", text(&held.stdout));
    let unknown = run(offboard(&env, &["status", "no-such-run"])).await;
    assert_exit(&unknown, 2);
    // The same, for a script: one JSON object on stdout, and the runs listed from the bucket.
    let held_json = json_of(run(offboard(&env, &["status", &run_id, "--format", "json"])).await, 3);
    assert_eq!((held_json["state"].as_str(), held_json["held"].as_bool()), (Some("held"), Some(true)), "{held_json}");
    assert_eq!(held_json["planned"], 20, "{held_json}");
    let listed_runs = json_of(run(offboard(&env, &["runs", "--format", "json"])).await, 0);
    assert_eq!(listed_runs["runs"][0]["run_id"], run_id.as_str(), "{listed_runs}");
    assert_eq!(listed_runs["runs"][0]["state"], "held", "{listed_runs}");

    let approve =
        run_typing(offboard(&env, &["approve", &run_id, "--note", "leavers of May", "--format", "json"]), "20\n").await;
    assert!(text(&approve.stderr).contains(&uploader), "{}", text(&approve.stderr));
    let approved = json_of(approve, 0);
    assert_eq!(approved["result"], "approved", "{approved}");
    assert_eq!(approved["approval"], format!("s3://{}/approvals/{run_id}.json", offboard_e2e::BUCKET), "{approved}");
    let approval = stack.get_json(&format!("approvals/{run_id}.json")).await.unwrap();
    assert_eq!(approval["approved_by"], "tester");
    assert_eq!(run_with_result(&stack.deliver_s3_events().await.unwrap(), "planned"), run_id);
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let finished = run(offboard(&env, &["status", &run_id])).await;
    assert_exit(&finished, 0);
    let stdout = text(&finished.stdout);
    assert!(stdout.contains("State:    finished") && stdout.contains("done 20"), "{stdout}");
    let finished = json_of(run(offboard(&env, &["status", &run_id, "--format", "json"])).await, 0);
    assert_eq!((finished["state"].as_str(), finished["with_result"].as_u64()), (Some("finished"), Some(20)));
    assert_eq!(finished["outcomes"]["done"], 20, "{finished}");
    assert!(finished["duration_seconds"].is_number(), "{finished}");
    let listed_runs = json_of(run(offboard(&env, &["runs", "--format", "json"])).await, 0);
    assert_eq!(listed_runs["runs"][0]["state"], "finished", "{listed_runs}");
    assert_eq!(listed_runs["runs"][0]["outcomes"]["done"], 20, "{listed_runs}");

    let html = state.join("report.html");
    let report = run(offboard(&env, &["report", &run_id, "--html", &html.display().to_string()])).await;
    assert_exit(&report, 0);
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_report_matches(&html, &summary);

    let undo = json_of(run(offboard(&env, &["undo", &run_id, "--yes", "--format", "json"])).await, 0);
    assert_eq!(undo["result"], "requested", "{undo}");
    let undo_run = run_with_result(&stack.deliver_s3_events().await.unwrap(), "planned");
    assert_eq!(undo_run, format!("undo-{run_id}"));
    assert_eq!(undo["undo_run_id"], undo_run.as_str(), "{undo}");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let undone = run(offboard(&env, &["status", &undo_run])).await;
    assert_exit(&undone, 0);
    assert!(text(&undone.stdout).contains("done 20"), "{}", text(&undone.stdout));
    let after = stack.sim_users().await.unwrap();
    for listed in &listed {
        let user = after.iter().find(|u| u["email"] == listed.as_str()).unwrap();
        assert_eq!(user["status"], "active", "{listed} restored");
    }
}
