//! `offboard doctor`, run as an admin runs it before the first run: the release binary as
//! a child process, against zoom-sim (in this process) for the Zoom checks, and against
//! the local stack (moto with the template's IAM) for the bucket checks. Each test checks
//! the exit code, what the checklist says and how to fix it, that no secret is printed,
//! and that the doctor changed nothing: no Zoom change, no object, no planner run.

use std::net::SocketAddr;
use std::process::{Output, Stdio};

use offboard_e2e::{bin_dir, documented_scopes, LocalStack, Principal, StackOptions, BUCKET};
use serde_json::Value;
use tokio::process::Command;
use zoom_sim::{RatePlan, SimConfig, ZoomSim};

/// A secret no other output could contain by chance.
const SECRET: &str = "doctor-secret-5f1c9e2a";

async fn sim(config: SimConfig) -> ZoomSim {
    let mut config = config;
    config.app.client_secret = SECRET.to_string();
    ZoomSim::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap()
}

/// The environment that points `offboard` at `sim`, with the app's credentials.
fn zoom_env(sim: &ZoomSim) -> Vec<(&'static str, String)> {
    let app = sim.with_state(|s| s.app.clone());
    vec![
        ("ZOOM_API_URL", sim.api_url()),
        ("ZOOM_OAUTH_URL", sim.oauth_url()),
        ("ZOOM_ACCOUNT_ID", app.account_id),
        ("ZOOM_CLIENT_ID", app.client_id),
        ("ZOOM_CLIENT_SECRET", app.client_secret),
    ]
}

/// `offboard` with nothing of this process's environment but what is given here.
async fn offboard(env: &[(&str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(bin_dir().join("offboard"));
    command.env_clear().env("USER", "tester").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).args(args);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command.output().await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the exit code, showing what the command printed when it differs, and that the
/// secret appears in neither stream.
fn assert_exit(output: &Output, expected: i32, secret: &str) {
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(expected), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret), "the client secret was printed:\n{stdout}\n{stderr}");
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// The checks of a JSON report named `name`.
fn checks<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    report["checks"].as_array().unwrap().iter().filter(|c| c["check"] == name).collect()
}

/// Every check has the documented fields, of the documented types.
fn assert_shape(report: &Value) {
    assert!(report["ok"].is_boolean(), "{report}");
    for check in report["checks"].as_array().unwrap() {
        let mut fields: Vec<&str> = check.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["check", "detail", "fix", "status"], "{check}");
        assert!(["ok", "failed", "warning"].contains(&check["status"].as_str().unwrap()), "{check}");
        assert!(check["detail"].as_str().is_some_and(|d| !d.is_empty()), "{check}");
        // A failure always says how to fix it.
        assert!(check["status"] != "failed" || check["fix"].is_string(), "{check}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scope_fails_naming_the_scope_its_call_and_the_fix() {
    let scopes: Vec<String> = documented_scopes().into_iter().filter(|s| s != "user:update:status:admin").collect();
    let sim = sim(SimConfig { scopes: Some(scopes), ..SimConfig::default() }).await;
    let env = zoom_env(&sim);

    let table = offboard(&env, &["doctor"]).await;
    assert_exit(&table, 1, SECRET);
    let stdout = text(&table.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("user:update:status:admin is not granted"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.starts_with("[FAILED]") && line.contains("PUT /users/{userId}/status"), "{line}");
    assert!(
        stdout.contains(
            "fix: add user:update:status:admin to the Server-to-Server OAuth app (App Marketplace → your app → Scopes)"
        ),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("[ok]") && l.contains("zoom_credentials")), "{stdout}");
    assert!(text(&table.stderr).starts_with("offboard: 1 of "), "{}", text(&table.stderr));

    let output = offboard(&env, &["doctor", "--format", "json"]).await;
    assert_exit(&output, 1, SECRET);
    let report = json(&output);
    assert_shape(&report);
    assert_eq!(report["ok"], false);
    let failed: Vec<&Value> = report["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "only the one scope is missing: {report}");
    assert_eq!(failed[0]["check"], "zoom_scopes");
    let detail = failed[0]["detail"].as_str().unwrap();
    assert!(detail.contains("user:update:status:admin") && detail.contains("PUT /users/{userId}/status"), "{detail}");
    assert!(failed[0]["fix"].as_str().unwrap().contains("add user:update:status:admin"), "{}", failed[0]);
    // The doctor changes nothing in Zoom.
    assert!(sim.with_state(|s| s.operations().is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_scope_passes_and_the_plan_matches() {
    let sim = sim(SimConfig { scopes: Some(documented_scopes()), ..SimConfig::default() }).await;
    let env = zoom_env(&sim);

    let output = offboard(&env, &["doctor", "--format", "json"]).await;
    assert_exit(&output, 0, SECRET);
    let report = json(&output);
    assert_shape(&report);
    assert_eq!(report["ok"], true, "{report}");
    let statuses: Vec<(&str, &str)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    // zoom-sim is a Business+ account, and --zoom-plan defaults to business.
    assert_eq!(statuses, [("zoom_credentials", "ok"), ("zoom_scopes", "ok"), ("rate_plan", "ok")], "{report}");
    assert!(checks(&report, "rate_plan")[0]["detail"].as_str().unwrap().contains("Business+ per-second limit"));
    assert!(sim.with_state(|s| s.operations().is_empty()));

    let table = offboard(&env, &["doctor"]).await;
    assert_exit(&table, 0, SECRET);
    assert!(text(&table.stdout).ends_with("3 checks: 3 ok, 0 failed, 0 warnings. Ready for a first run.\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_plan_is_compared_where_zoom_reveals_it_and_never_guessed() {
    // A Free account paced as Business+: the 2,000 a day of a Medium call gives it away.
    let free = sim(SimConfig { rate_plan: RatePlan::Free, ..SimConfig::default() }).await;
    let output = offboard(&zoom_env(&free), &["doctor", "--format", "json"]).await;
    assert_exit(&output, 1, SECRET);
    let report = json(&output);
    let rate = checks(&report, "rate_plan")[0];
    assert_eq!(rate["status"], "failed", "{rate}");
    assert!(rate["detail"].as_str().unwrap().contains("Free daily cap"), "{rate}");
    assert!(rate["fix"].as_str().unwrap().contains("--zoom-plan free"), "{rate}");
    // Told the right plan, it holds.
    let output = offboard(&zoom_env(&free), &["--zoom-plan", "free", "doctor", "--format", "json"]).await;
    assert_exit(&output, 0, SECRET);
    assert_eq!(checks(&json(&output), "rate_plan")[0]["status"], "ok");
    // The old `--plan` still works, as a hidden alias, and so does ZOOM_PLAN.
    let output = offboard(&zoom_env(&free), &["--plan", "free", "doctor", "--format", "json"]).await;
    assert_exit(&output, 0, SECRET);
    assert_eq!(checks(&json(&output), "rate_plan")[0]["status"], "ok");
    let mut env = zoom_env(&free);
    env.push(("ZOOM_PLAN", "free".to_string()));
    let output = offboard(&env, &["doctor", "--format", "json"]).await;
    assert_exit(&output, 0, SECRET);
    assert_eq!(checks(&json(&output), "rate_plan")[0]["status"], "ok");

    // No rate-limit headers at all: a warning, which does not fail the run, and no number.
    let silent = sim(SimConfig { rate_scale: 0.0, ..SimConfig::default() }).await;
    let output = offboard(&zoom_env(&silent), &["doctor"]).await;
    assert_exit(&output, 0, SECRET);
    let stdout = text(&output.stdout);
    let line = stdout.lines().find(|l| l.contains("rate_plan")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.starts_with("[warning]") && line.contains("not revealed by Zoom"), "{line}");
    assert!(line.contains("carried no X-RateLimit-Limit"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_stack_the_checks_hold_for_an_operator_fail_for_hr_and_write_nothing() {
    let stack = LocalStack::start(StackOptions { users: 30, seed: 77, ..StackOptions::default() }).await.unwrap();
    let secret = stack.sim.with_state(|s| s.app.client_secret.clone());
    // Whatever S3 queued before (its test event) is delivered now, so any later event is the doctor's.
    stack.deliver_s3_events().await.unwrap();
    // The operator role may not read the SSM parameters: the Zoom credentials come directly.
    let zoom = zoom_env(&stack.sim);
    let env_of = |principal| -> Vec<(&'static str, String)> {
        stack.env_of(principal).unwrap().into_iter().chain(zoom.iter().cloned()).collect()
    };
    let operator = env_of(Principal::Operator);
    let hr = env_of(Principal::Hr);
    let bucket_checks =
        ["bucket_list_runs", "bucket_read_runs", "bucket_write_approvals", "bucket_write_undo", "bucket_write_inbox"];
    let status_of = |report: &Value, name: &str| checks(report, name)[0]["status"].as_str().unwrap().to_string();

    // A fresh stack: runs/ is empty, and reading a key that does not exist answers 404.
    let before = stack.list_keys("").await.unwrap();
    let output = offboard(&operator, &["doctor", "--bucket", BUCKET, "--format", "json"]).await;
    assert_exit(&output, 0, &secret);
    let report = json(&output);
    assert_shape(&report);
    assert_eq!(report["ok"], true, "{report}");
    for name in bucket_checks {
        assert_eq!(status_of(&report, name), "ok", "{name}: {report}");
    }
    assert!(checks(&report, "bucket_read_runs")[0]["detail"].as_str().unwrap().contains("does not exist"));
    assert_eq!(stack.list_keys("").await.unwrap(), before, "the doctor created no object");

    // With an object of a run there, the read check reads it.
    stack.s3.put_object().bucket(BUCKET).key("runs/r1/run.json").body(b"{}".to_vec().into()).send().await.unwrap();
    let before = stack.list_keys("").await.unwrap();
    let output = offboard(&operator, &["doctor", "--bucket", BUCKET]).await;
    assert_exit(&output, 0, &secret);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("read the first byte of runs/r1/run.json"), "{stdout}");
    assert!(stdout.ends_with("8 checks: 8 ok, 0 failed, 0 warnings. Ready for a first run.\n"), "{stdout}");
    assert_eq!(stack.list_keys("").await.unwrap(), before, "the doctor created no object");

    // The HR system's role may only put under hr/: every bucket check fails, naming the fix.
    let output = offboard(&hr, &["doctor", "--bucket", BUCKET, "--format", "json"]).await;
    assert_exit(&output, 1, &secret);
    let report = json(&output);
    assert_shape(&report);
    assert_eq!(report["ok"], false);
    for name in ["zoom_credentials", "zoom_scopes", "rate_plan"] {
        assert_eq!(status_of(&report, name), "ok", "{name}: {report}");
    }
    for name in bucket_checks {
        let check = checks(&report, name)[0];
        assert_eq!(check["status"], "failed", "{check}");
        assert!(check["detail"].as_str().unwrap().contains("403"), "{check}");
        assert!(check["fix"].as_str().unwrap().contains("OperatorPolicy"), "{check}");
    }
    let table = offboard(&hr, &["doctor", "--bucket", BUCKET]).await;
    assert_exit(&table, 1, &secret);
    let stdout = text(&table.stdout);
    assert!(stdout.contains("[FAILED]   bucket_write_approvals"), "{stdout}");
    assert!(stdout.contains("fix: grant this AWS identity the stack's managed policy OperatorPolicy"), "{stdout}");
    assert_eq!(stack.list_keys("").await.unwrap(), before, "the doctor created no object");

    // Credentials from SSM, as the functions read them: the operator role may not read the
    // parameters (a failed check naming them, and the Zoom checks not made); an identity
    // that may, passes.
    let params: Vec<(&'static str, String)> =
        stack.function_env.iter().filter(|(k, _)| k.ends_with("_PARAM") || k.starts_with("ZOOM_")).cloned().collect();
    assert_eq!(params.iter().filter(|(k, _)| k.ends_with("_PARAM")).count(), 3, "{params:?}");
    let operator_ssm: Vec<(&str, String)> =
        stack.env_of(Principal::Operator).unwrap().into_iter().chain(params.clone()).collect();
    let output = offboard(&operator_ssm, &["doctor", "--format", "json"]).await;
    assert_exit(&output, 1, &secret);
    let report = json(&output);
    assert_shape(&report);
    let ssm = checks(&report, "ssm_parameters")[0];
    assert_eq!(ssm["status"], "failed", "{ssm}");
    for (name, value) in params.iter().filter(|(k, _)| k.ends_with("_PARAM")) {
        assert!(ssm["detail"].as_str().unwrap().contains(value.as_str()), "{name}: {ssm}");
    }
    assert!(ssm["detail"].as_str().unwrap().contains("refused (403"), "{ssm}");
    let fix = ssm["fix"].as_str().unwrap();
    assert!(fix.contains("aws ssm put-parameter") && fix.contains("--type SecureString"), "{fix}");
    assert!(fix.contains("ssm:GetParameters"), "{fix}");
    assert!(checks(&report, "zoom_credentials")[0]["detail"].as_str().unwrap().starts_with("not checked"));
    let harness_ssm: Vec<(&str, String)> =
        stack.env_of(Principal::Harness).unwrap().into_iter().chain(params).collect();
    let output = offboard(&harness_ssm, &["doctor", "--format", "json"]).await;
    assert_exit(&output, 0, &secret);
    let report = json(&output);
    assert_eq!(checks(&report, "ssm_parameters")[0]["status"], "ok", "{report}");
    assert_eq!(checks(&report, "zoom_credentials")[0]["status"], "ok", "{report}");
    // A parameter that was never created is named.
    let nope = ["--client-secret-param", "/offboard/zoom/nope", "doctor", "--format", "json"];
    let output = offboard(&harness_ssm, &nope).await;
    assert_exit(&output, 1, &secret);
    let report = json(&output);
    let ssm = checks(&report, "ssm_parameters")[0];
    assert_eq!(ssm["status"], "failed", "{ssm}");
    assert!(ssm["detail"].as_str().unwrap().starts_with("SSM has no value for /offboard/zoom/nope "), "{ssm}");
    assert_eq!(stack.list_keys("").await.unwrap(), before, "the doctor created no object");

    // No object appeared under inbox/, approvals/ or undo/, so the planner has nothing to react to.
    assert_eq!(stack.deliver_s3_events().await.unwrap(), Vec::<Value>::new(), "no planner event");
    assert!(stack.sim.with_state(|s| s.operations().is_empty()), "no change in Zoom");
}
