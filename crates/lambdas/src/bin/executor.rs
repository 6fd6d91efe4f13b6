//! The executor Lambda: an SQS batch of actions → paced Zoom calls → one recorded result
//! each; only the messages that need another try are named in `batchItemFailures`. Each
//! batch ends with one CloudWatch Embedded Metric Format line, the AWS requests it made
//! among its figures.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use jiff::SignedDuration;
use lambda_runtime::{service_fn, LambdaEvent};
use offboard_core::emf::{emf_line, Metric};
use offboard_lambdas::{init_logging, Wiring};
use offboard_pipeline::aws::RequestCounts;
use offboard_pipeline::batch::{BatchReport, BatchRunner, BatchSettings, Delivery};
use offboard_pipeline::ledger::Ledger;
use offboard_pipeline::signing::{PlanSigner, SignedPlans};
use offboard_pipeline::store::Store;
use offboard_pipeline::Executor;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let wiring = Wiring::from_env().await?;
    let settings = &wiring.settings;
    let store = Store::new(wiring.aws.s3.clone(), settings.require_bucket()?);
    let claim_ttl = SignedDuration::try_from(settings.execution.claim_ttl)?;
    let signer = PlanSigner::new(wiring.aws.kms.clone(), settings.require_plan_key_id()?);
    let executor = Executor {
        zoom: wiring.zoom.clone(),
        plans: SignedPlans::new(store.clone(), signer),
        ledger: Ledger::new(store, claim_ttl),
    };
    let runner = BatchRunner {
        executor: &executor,
        sqs: wiring.aws.sqs.clone(),
        settings: BatchSettings {
            queue_url: settings.queue_url.clone(),
            dlq_url: settings.execution.dlq_url.clone(),
            max_receive_count: settings.execution.max_receive_count,
            visibility_timeout: settings.execution.visibility_timeout,
            concurrency: settings.execution.batch_concurrency,
        },
    };
    let (runner, zoom, requests) = (&runner, &wiring.zoom, &wiring.aws.requests);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let throttled_before = zoom.throttled_responses();
        let requests_before = requests.snapshot();
        let deadline = instant_of(event.context.deadline);
        let remaining_ms = deadline.map(|d| d.saturating_duration_since(Instant::now()).as_millis() as u64);
        tracing::info!(messages = event.payload.records.len(), ?remaining_ms, "batch received");
        let deliveries = event.payload.records.into_iter().map(delivery).collect();
        let report = runner.run(deliveries, &event.context.request_id, deadline).await;
        let sent = RequestCounts::since(requests, &requests_before);
        print_metrics(&report, zoom.throttled_responses().saturating_sub(throttled_before), &sent);
        let mut response = SqsBatchResponse::default();
        for message_id in report.failures {
            response.add_failure(message_id);
        }
        Ok::<_, lambda_runtime::Error>(response)
    }))
    .await
}

fn delivery(record: aws_lambda_events::event::sqs::SqsMessage) -> Delivery {
    Delivery {
        receive_count: record.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1),
        message_id: record.message_id.unwrap_or_default(),
        receipt_handle: record.receipt_handle.unwrap_or_default(),
        body: record.body.unwrap_or_default(),
    }
}

/// Lambda's deadline (milliseconds since the epoch) on the monotonic clock; `None` when
/// the value cannot be one (cargo-lambda's emulator sends its timeout, `600000`, instead).
fn instant_of(deadline_ms: u64) -> Option<Instant> {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
    (deadline_ms > YEAR_2001_MS).then(|| Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms)))
}

/// One EMF line per batch: CloudWatch turns it into the Done, Failed, Throttled,
/// AchievedRate, S3Requests and SqsRequests metrics, dimensioned by function only; the
/// requests by operation (`S3.PutObject=20,...`) ride along as the `aws_requests` property.
fn print_metrics(report: &BatchReport, throttled: u64, sent: &BTreeMap<(String, String), u64>) {
    let count = |label: &str| report.recorded.get(label).copied().unwrap_or(0) as f64;
    let recorded: usize = report.recorded.values().sum();
    let seconds = report.elapsed.as_secs_f64();
    let requests_of = |service: &str| offboard_lambdas::requests_to(sent, service) as f64;
    let metrics = [
        Metric { name: "Done", unit: "Count", value: count("done") + count("already_done") },
        Metric { name: "Failed", unit: "Count", value: count("failed") + count("not_allowed") + report.gave_up as f64 },
        Metric { name: "Skipped", unit: "Count", value: count("skipped") },
        Metric { name: "Retried", unit: "Count", value: (report.returned_for_retry + report.not_started) as f64 },
        Metric { name: "DeadLettered", unit: "Count", value: report.dead_lettered as f64 },
        Metric { name: "Throttled", unit: "Count", value: throttled as f64 },
        Metric {
            name: "AchievedRate",
            unit: "Count/Second",
            value: if seconds > 0.0 { recorded as f64 / seconds } else { 0.0 },
        },
        Metric { name: "S3Requests", unit: "Count", value: requests_of("S3") },
        Metric { name: "SqsRequests", unit: "Count", value: requests_of("SQS") },
    ];
    let by_operation = offboard_lambdas::requests_property(sent);
    let timestamp_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let properties = [("aws_requests", by_operation.as_str())];
    println!("{}", emf_line(&[("Function", "executor")], &metrics, &properties, timestamp_ms));
}
