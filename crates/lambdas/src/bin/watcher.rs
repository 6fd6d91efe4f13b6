//! The watcher Lambda: invoked once a minute by the stack's schedule, it looks at every
//! run whose actions were sent: a complete one gets its summary and its one notification,
//! a stalled one is announced. It never talks to Zoom, so it reads no Zoom credential.
//! Each invocation ends with one CloudWatch Embedded Metric Format line (`RunsStalled`
//! feeds the stalled-run alarm).

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::SignedDuration;
use lambda_runtime::{service_fn, LambdaEvent};
use offboard_core::emf::{emf_line, Metric};
use offboard_lambdas::init_logging;
use offboard_pipeline::aws::{AwsClients, RequestCounts};
use offboard_pipeline::notify::Notifier;
use offboard_pipeline::settings::WatchSettings;
use offboard_pipeline::store::Store;
use offboard_pipeline::watch::{WatchReport, Watcher};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let settings = WatchSettings::from_env()?;
    let aws = AwsClients::from_env().await;
    let claim_ttl = SignedDuration::try_from(settings.claim_ttl)?;
    let watcher = Watcher {
        store: Store::new(aws.s3.clone(), settings.bucket.clone()),
        notifier: settings.topic_arn.as_ref().map(|arn| Notifier::new(aws.sns.clone(), arn).with_claim_ttl(claim_ttl)),
        stall_after: SignedDuration::try_from(settings.stall_after)?,
    };
    let (watcher, requests) = (&watcher, &aws.requests);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let before = requests.snapshot();
        // The schedule's time is when the look was due; the clock says when it happens.
        tracing::info!(scheduled = ?event.payload.get("time"), "watching the sent runs");
        let report = watcher.watch(jiff::Timestamp::now()).await?;
        print_metrics(&report, &RequestCounts::since(requests, &before));
        Ok::<_, lambda_runtime::Error>(json!({
            "runs": report.runs.len(),
            "completed": report.completed(),
            "stalled": report.stalled(),
            "announced_stalled": report.stalled_now(),
            "errors": report.errors.iter().map(|(run, error)| json!({"run_id": run, "error": error})).collect::<Vec<_>>(),
        }))
    }))
    .await
}

/// One EMF line per invocation: RunsWatched, RunsCompleted, RunsStalled (stalled now,
/// announced now or before: the alarm stays on while one is), WatchErrors, S3Requests.
fn print_metrics(report: &WatchReport, sent: &std::collections::BTreeMap<(String, String), u64>) {
    let metrics = [
        Metric { name: "RunsWatched", unit: "Count", value: report.runs.len() as f64 },
        Metric { name: "RunsCompleted", unit: "Count", value: report.completed() as f64 },
        Metric { name: "RunsStalled", unit: "Count", value: report.stalled() as f64 },
        Metric { name: "WatchErrors", unit: "Count", value: report.errors.len() as f64 },
        Metric { name: "S3Requests", unit: "Count", value: offboard_lambdas::requests_to(sent, "S3") as f64 },
    ];
    let by_operation = offboard_lambdas::requests_property(sent);
    let timestamp_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    println!(
        "{}",
        emf_line(&[("Function", "watcher")], &metrics, &[("aws_requests", by_operation.as_str())], timestamp_ms)
    );
}
