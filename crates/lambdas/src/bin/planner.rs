//! The planner Lambda: S3 `ObjectCreated` under `inbox/`, `hr/`, `approvals/` or `undo/`, or the
//! scheduled sweep → a plan, and its actions on SQS unless it is held for approval.

use lambda_runtime::{service_fn, LambdaEvent};
use offboard_lambdas::s3_event::S3Notification;
use offboard_lambdas::sweep_event::SweepEvent;
use offboard_lambdas::{init_logging, Wiring};
use offboard_pipeline::notify::Notifier;
use offboard_pipeline::queue::ActionQueue;
use offboard_pipeline::signing::PlanSigner;
use offboard_pipeline::{PlanReport, Planner};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let wiring = Wiring::from_env().await?;
    let queue = ActionQueue::new(wiring.aws.sqs.clone(), wiring.settings.require_queue_url()?);
    let planner = Planner {
        zoom: wiring.zoom.clone(),
        s3: wiring.aws.s3.clone(),
        queue,
        base_policy: wiring.settings.policy.clone(),
        notifier: wiring.settings.topic_arn.as_ref().map(|arn| Notifier::new(wiring.aws.sns.clone(), arn)),
        signer: PlanSigner::new(wiring.aws.kms.clone(), wiring.settings.require_plan_key_id()?),
    };
    let bucket = wiring.settings.bucket.clone();
    let (planner, bucket) = (&planner, &bucket);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(planner, bucket.as_deref(), event.payload).await
    }))
    .await
}

async fn handle(
    planner: &Planner,
    bucket: Option<&str>,
    payload: Value,
) -> Result<Vec<PlanReport>, lambda_runtime::Error> {
    let sweep: SweepEvent = serde_json::from_value(payload.clone())?;
    if sweep.is_sweep() {
        let bucket = bucket.ok_or("OFFBOARD_BUCKET is not set: the sweep needs the bucket")?;
        let report = planner.sweep(bucket, sweep.request(jiff::Timestamp::now())).await?;
        tracing::info!(report = %serde_json::to_string(&report)?, "swept");
        return Ok(vec![report]);
    }
    let notification: S3Notification = serde_json::from_value(payload)?;
    if notification.event.as_deref() == Some("s3:TestEvent") {
        tracing::info!("s3:TestEvent skipped");
        return Ok(Vec::new());
    }
    let mut reports = Vec::new();
    for record in notification.records.iter().filter(|r| r.is_object_created()) {
        let object = &record.s3.object;
        let report = planner
            .plan_object(&record.s3.bucket.name, &object.key, object.version_id.as_deref(), record.principal())
            .await?;
        tracing::info!(report = %serde_json::to_string(&report)?, "planned");
        reports.push(report);
    }
    Ok(reports)
}
