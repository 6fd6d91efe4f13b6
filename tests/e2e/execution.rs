//! The executor's guarantees on the local stack: every planned action ends in exactly one
//! recorded outcome through crashes, faults and bad messages; a finished run gets one
//! summary and one notification; an undo brings users back; and no secret or token
//! reaches a log line or an object.

use std::collections::BTreeSet;
use std::time::Duration;

use offboard_e2e::chaos::{run, ChaosOptions};
use offboard_e2e::people::{email, meeting_host, planned_run, quiet_members, roster};
use offboard_e2e::{with_event, LocalStack, StackOptions, MAX_RECEIVE_COUNT};
use serde_json::{json, Value};

/// A roster of `count` quiet members, planned, without a hold: its run id.
async fn plan_quiet_members(stack: &LocalStack, count: usize) -> String {
    no_hold(stack).await;
    let users = stack.sim_users().await.unwrap();
    let listed: Vec<String> = quiet_members(&users).iter().take(count).map(|u| email(u)).collect();
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    planned_run(&stack.deliver_s3_events().await.unwrap())
}

/// No hold in these tests: the runs are small on purpose.
async fn no_hold(stack: &LocalStack) {
    let policy = json!({ "guardrails": { "hold_above_count": 100_000, "hold_above_share": 1.0 } });
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_500_actions_each_end_in_exactly_one_outcome() {
    let options = ChaosOptions { actions: 500, kills: 2, seed: 3, within: Duration::from_secs(900) };
    let report = run(&options).await.unwrap();
    println!("{}", report.line());
    assert_eq!(report.failures(&options), Vec::<String>::new(), "{report:?}");
    assert!(report.outcomes.get("done").copied().unwrap_or(0) > 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_run_writes_one_summary_and_publishes_one_notification() {
    let stack = LocalStack::start(StackOptions { users: 200, seed: 21, ..StackOptions::default() }).await.unwrap();
    let policy = json!({ "guardrails": { "hold_above_count": 100_000, "hold_above_share": 1.0 }, "licence_monthly_price": 14.99 });
    stack.upload("config/policy.json", serde_json::to_vec(&policy).unwrap()).await.unwrap();
    let users = stack.sim_users().await.unwrap();
    let mut listed: Vec<String> = quiet_members(&users).iter().take(12).map(|u| email(u)).collect();
    let host = meeting_host(&users).unwrap();
    listed.push(email(host));
    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!((summary["planned"].as_u64(), summary["terminal"].as_u64()), (Some(13), Some(13)), "{summary}");
    assert_eq!(summary["by_outcome"], json!({ "done": 12, "skipped": 1 }), "{summary}");
    assert_eq!(summary["by_reason"]["skipped: hosts_upcoming_meetings"], 1, "{summary}");
    assert!(summary["achieved_rate_per_second"].as_f64().unwrap() > 0.0, "{summary}");
    assert!(summary["started_at"].as_str().unwrap() <= summary["finished_at"].as_str().unwrap());
    // What it saved: the licensed ones among the twelve deactivated, at the policy's price.
    let licensed = users.iter().filter(|u| listed[..12].contains(&email(u)) && u["type"] == 2).count();
    assert!(licensed > 0, "the test needs licensed users among the twelve");
    assert_eq!(summary["licences_freed"].as_u64(), Some(licensed as u64), "{summary}");
    let saving = summary["monthly_saving"].as_f64().unwrap();
    assert!((saving - 14.99 * licensed as f64).abs() < 0.005, "{summary}");
    let report = String::from_utf8(stack.get_object(&format!("runs/{run_id}/report.csv")).await.unwrap()).unwrap();
    assert_eq!(report.lines().count(), 1 + 13, "{report}");
    assert!(report.lines().any(|l| l.contains(&email(host)) && l.contains(",skipped,hosts_upcoming_meetings,")));

    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    let notification = &notifications[0];
    assert!(notification["Subject"].as_str().unwrap().contains(&run_id), "{notification}");
    assert_eq!(notification["MessageAttributes"]["event"]["Value"], "run_completed");
    let published: Value = serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
    assert_eq!(published, summary, "the notification carries the summary");

    // A redelivered action after the end: no Zoom call, no second summary or notification.
    let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
    let message =
        offboard_core::ActionMessage::new(&run_id, serde_json::from_value(plan["actions"][0].clone()).unwrap());
    let operations = stack.sim_operations().await.unwrap().len();
    stack.send_raw_action(&serde_json::to_string(&message).unwrap()).await.unwrap();
    stack.drain_actions(Duration::from_secs(60)).await.unwrap();
    assert_eq!(stack.sim_operations().await.unwrap().len(), operations);
    assert!(stack.topic_notifications().await.unwrap().is_empty());
    assert_eq!(stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap(), summary);

    // A run with nothing to do is finished as soon as it is planned.
    stack.upload("inbox/strangers.csv", b"email\nnobody@elsewhere.example\n".to_vec()).await.unwrap();
    let empty_run = planned_run(&stack.deliver_s3_events().await.unwrap());
    let summary = stack.get_json(&format!("runs/{empty_run}/summary.json")).await.unwrap();
    assert_eq!((summary["planned"].as_u64(), summary["terminal"].as_u64()), (Some(0), Some(0)), "{summary}");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:?}");
    assert!(notifications[0]["Subject"].as_str().unwrap().contains(&empty_run));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_cannot_be_read_or_keeps_failing_ends_in_the_dlq_with_its_reason() {
    let stack = LocalStack::start(StackOptions { users: 100, seed: 22, ..StackOptions::default() }).await.unwrap();
    let run_id = plan_quiet_members(&stack, 2).await;
    stack.send_raw_action("{\"not\": \"an action\"}").await.unwrap();
    // The app's secret is rotated in Zoom and not yet in SSM: every call fails, for a
    // reason that might pass, so every delivery returns the messages until the last.
    stack.sim.with_state(|s| {
        s.app.client_secret = "rotated-in-zoom".to_string();
        s.invalidate_tokens();
    });
    let stats = stack.drain_actions(Duration::from_secs(180)).await.unwrap();
    assert_eq!(stats.messages, 1 + 2 * MAX_RECEIVE_COUNT as usize, "{stats:?}");

    let letters = stack.dead_letters().await.unwrap();
    assert_eq!(letters.len(), 3, "{letters:?}");
    let secret = stack.client_secret();
    for (body, attributes) in &letters {
        let reason = &attributes["offboard_reason"];
        if body.contains("\"not\"") {
            assert!(reason.starts_with("not an action message"), "{reason}");
            assert_eq!(attributes["offboard_receive_count"], "1");
        } else {
            assert!(reason.starts_with(&format!("gave up after {MAX_RECEIVE_COUNT} deliveries")), "{reason}");
            assert!(reason.contains("invalid_client"), "{reason}");
            assert_eq!(attributes["offboard_receive_count"], MAX_RECEIVE_COUNT.to_string());
            let message: offboard_core::ActionMessage = serde_json::from_str(body).unwrap();
            assert_eq!(message.run_id, run_id, "the original message, ready to redrive");
        }
        assert!(!reason.contains(&secret) && !reason.contains("rotated-in-zoom"));
    }
    // Each action's one outcome is `gave_up`; the run is complete and says so.
    for key in stack.list_keys(&format!("runs/{run_id}/results/")).await.unwrap() {
        let result = stack.get_json(&key).await.unwrap();
        assert_eq!((result["outcome"].as_str(), result["attempts"].as_u64()), (Some("gave_up"), Some(5)), "{result}");
    }
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"], json!({ "gave_up": 2 }), "{summary}");
    assert_eq!(stack.topic_notifications_of("run_completed").await.unwrap().len(), 1);
    assert!(stack.sim_operations().await.unwrap().is_empty(), "nothing reached Zoom");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_restores_the_status_and_type_the_run_changed() {
    let stack = LocalStack::start(StackOptions { users: 300, seed: 23, ..StackOptions::default() }).await.unwrap();
    no_hold(&stack).await;
    let users = stack.sim_users().await.unwrap();
    let licensed: Vec<String> =
        quiet_members(&users).iter().filter(|u| u["type"] == 2).take(8).map(|u| email(u)).collect();
    assert_eq!(licensed.len(), 8);
    let host = meeting_host(&users).unwrap();
    let mut listed = licensed.clone();
    listed.push(email(host));

    // An undo of a run that does not exist (or has not finished) is refused.
    stack.upload("undo/no-such-run.json", b"{}".to_vec()).await.unwrap();
    let responses = stack.deliver_s3_events().await.unwrap();
    let results: Vec<&Value> = responses.iter().flat_map(|r| r.as_array().into_iter().flatten()).collect();
    assert_eq!(results.len(), 1, "{responses:?}");
    assert_eq!(results[0]["result"], "rejected", "{responses:?}");
    let error = stack.get_json("runs/undo-no-such-run/error.json").await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("no summary yet"), "{error}");

    stack.upload("inbox/leavers.csv", roster(&listed)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    let state = |users: &[Value], email: &str| {
        let user = users.iter().find(|u| u["email"] == email).unwrap();
        (user["status"].as_str().unwrap().to_string(), user["type"].as_u64().unwrap())
    };
    let after_run = stack.sim_users().await.unwrap();
    for email in &licensed {
        assert_eq!(state(&after_run, email), ("inactive".to_string(), 1), "{email}");
        let result = stack
            .get_json(&format!("runs/{run_id}/results/{}.json", {
                let plan = stack.get_json(&format!("runs/{run_id}/plan.json")).await.unwrap();
                plan["actions"].as_array().unwrap().iter().find(|a| a["email"] == email.as_str()).unwrap()["action_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }))
            .await
            .unwrap();
        assert_eq!(result["prior"]["status"], "active", "{result}");
        assert_eq!(result["prior"]["user_type"], 2, "{result}");
    }

    let operations_before = stack.sim_operations().await.unwrap().len();
    stack.upload(&format!("undo/{run_id}.json"), b"{\"requested_by\": \"it-admin\"}".to_vec()).await.unwrap();
    let undo_run = planned_run(&stack.deliver_s3_events().await.unwrap());
    assert_eq!(undo_run, format!("undo-{run_id}"));
    let plan = stack.get_json(&format!("runs/{undo_run}/plan.json")).await.unwrap();
    assert_eq!(plan["kind"], "undo");
    assert_eq!(plan["actions"].as_array().unwrap().len(), 8);
    assert_eq!(plan["skipped"][0]["reason"]["code"], "nothing_to_undo", "the host was skipped, not changed");
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let after_undo = stack.sim_users().await.unwrap();
    for email in &licensed {
        assert_eq!(state(&after_undo, email), state(&users, email), "{email} is back as before");
    }
    let undo_operations: BTreeSet<(String, String)> = stack.sim_operations().await.unwrap()[operations_before..]
        .iter()
        .map(|op| (op["email"].as_str().unwrap().to_string(), op["op"].as_str().unwrap().to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = licensed
        .iter()
        .flat_map(|e| [(e.clone(), "activate".to_string()), (e.clone(), "set_type:2".to_string())])
        .collect();
    assert_eq!(undo_operations, expected);
    let summary = stack.get_json(&format!("runs/{undo_run}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"], json!({ "done": 8 }), "{summary}");
    let notifications = stack.topic_notifications().await.unwrap();
    assert_eq!(with_event(&notifications, "run_completed").len(), 2, "the run's and the undo's: {notifications:?}");
    let refused = with_event(&notifications, "file_rejected");
    assert_eq!(refused.len(), 1, "the undo of a run that does not exist: {notifications:?}");
    assert_eq!(refused[0]["MessageAttributes"]["run_id"]["Value"], "undo-no-such-run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_or_token_reaches_a_log_line_or_an_object() {
    let options = StackOptions { users: 120, seed: 24, rust_log: Some("debug"), ..StackOptions::default() };
    let stack = LocalStack::start(options).await.unwrap();
    no_hold(&stack).await;
    let users = stack.sim_users().await.unwrap();
    let quiet = quiet_members(&users);
    let first: Vec<String> = quiet.iter().take(5).map(|u| email(u)).collect();
    stack.upload("inbox/first.csv", roster(&first)).await.unwrap();
    planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    // Tokens rejected mid-way: both functions fetch new ones.
    stack.sim.with_state(|s| s.invalidate_tokens());
    let second: Vec<String> = quiet.iter().skip(5).take(5).map(|u| email(u)).collect();
    stack.upload("inbox/second.csv", roster(&second)).await.unwrap();
    let run_id = planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();
    stack.upload(&format!("undo/{run_id}.json"), b"{}".to_vec()).await.unwrap();
    planned_run(&stack.deliver_s3_events().await.unwrap());
    stack.drain_actions(Duration::from_secs(120)).await.unwrap();

    let secret = stack.client_secret();
    let tokens: Vec<String> = stack.sim.with_state(|s| s.issued_tokens().to_vec());
    assert!(tokens.len() >= 4, "each function got a token, and another after the invalidation: {}", tokens.len());
    let logs = stack.function_logs().unwrap();
    assert!(logs.contains("result recorded") && logs.contains("plan fanned out"), "the logs were captured");
    assert!(logs.lines().count() > 100, "debug logs: {} lines", logs.lines().count());
    let leaks = |text: &str| -> Vec<&str> {
        std::iter::once(secret.as_str()).chain(tokens.iter().map(String::as_str)).filter(|s| text.contains(s)).collect()
    };
    for line in logs.lines() {
        assert!(leaks(line).is_empty(), "a secret or token in a log line: {line}");
    }
    let keys = stack.list_keys("").await.unwrap();
    assert!(keys.len() > 20, "{keys:?}");
    for key in keys {
        let body = stack.get_object(&key).await.unwrap();
        let text = if key.ends_with(".gz") {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body.as_slice()), &mut out).unwrap();
            out
        } else {
            String::from_utf8_lossy(&body).into_owned()
        };
        assert!(leaks(&text).is_empty(), "a secret or token in s3://{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_waits_on_the_rate_limit_keeps_its_messages_invisible() {
    let stack = LocalStack::start(StackOptions { users: 100, seed: 25, ..StackOptions::default() }).await.unwrap();
    let run_id = plan_quiet_members(&stack, 10).await;
    // Zoom at 2% of the Business plan's limits: the one batch of ten paces and meets 429s
    // far longer than the queue's 5 s visibility timeout.
    stack.sim.with_state(|s| s.set_rate_limits(zoom_sim::RatePlan::Business, 0.02));

    let started = std::time::Instant::now();
    let drained = stack.drain_actions(Duration::from_secs(300));
    tokio::pin!(drained);
    let mut poll = tokio::time::interval(Duration::from_millis(250));
    // (visible, in flight) from the moment the batch is received until the drain ends.
    let mut while_running = Vec::new();
    let stats = loop {
        tokio::select! {
            stats = &mut drained => break stats.unwrap(),
            _ = poll.tick() => {
                let counts = stack.visible_and_in_flight(&stack.action_queue_url).await.unwrap();
                if counts.1 == 10 || !while_running.is_empty() {
                    while_running.push(counts);
                }
            }
        }
    };
    let took = started.elapsed();
    assert!(took > Duration::from_secs(10), "the batch waited on the rate limit: {took:?}");
    assert_eq!((stats.invocations, stats.messages), (1, 10), "one invocation, no redelivery: {stats:?}");
    assert!(while_running.len() > 20, "sampled through the batch: {while_running:?}");
    assert!(
        while_running.iter().all(|&(visible, _)| visible == 0),
        "no message became visible while its batch was running: {while_running:?}"
    );
    let logs = stack.function_logs().unwrap();
    assert!(logs.contains("visibility extended while the batch waits"));
    let summary = stack.get_json(&format!("runs/{run_id}/summary.json")).await.unwrap();
    assert_eq!(summary["by_outcome"]["done"], 10, "{summary}");
}
