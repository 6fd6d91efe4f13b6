//! The executor Lambda: an SQS batch of actions → Zoom calls → one result each; only
//! the messages that need another try are named in `batchItemFailures`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use offboard_lambdas::{init_logging, Wiring};
use offboard_pipeline::store::Store;
use offboard_pipeline::{Execution, Executor};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let wiring = Wiring::from_env().await?;
    let store = Store::new(wiring.aws.s3.clone(), wiring.settings.require_bucket()?);
    let executor = Executor { zoom: wiring.zoom.clone(), store };
    let executor = &executor;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(handle(executor, event.payload).await)
    }))
    .await
}

async fn handle(executor: &Executor, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let message_id = record.message_id.unwrap_or_default();
        let execution = match executor.execute(record.body.as_deref().unwrap_or("")).await {
            Ok(execution) => execution,
            Err(error) => Execution::Retry { reason: error.to_string() },
        };
        if execution.needs_redelivery() {
            tracing::warn!(%message_id, ?execution, "message returned to the queue");
            response.add_failure(message_id);
        }
    }
    response
}
