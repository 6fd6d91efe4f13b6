//! The end of a run, announced on the notification topic (SNS): a short subject people
//! read in their mail, and the summary as JSON for whatever subscribes.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use offboard_core::summary::RunSummary;

use crate::error::PipelineError;

#[derive(Clone)]
pub struct Notifier {
    sns: aws_sdk_sns::Client,
    topic_arn: String,
}

impl Notifier {
    pub fn new(sns: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Notifier { sns, topic_arn: topic_arn.into() }
    }

    pub async fn run_completed(&self, summary: &RunSummary) -> Result<(), PipelineError> {
        let message = serde_json::to_string_pretty(summary)
            .map_err(|e| PipelineError::Data { what: "serializing the summary".into(), detail: e.to_string() })?;
        let attribute = |value: &str| MessageAttributeValue::builder().data_type("String").string_value(value).build();
        let attribute = |value: &str| {
            attribute(value).map_err(|e| PipelineError::Sns { operation: "Publish", detail: e.to_string() })
        };
        self.sns
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(summary))
            .message(message)
            .message_attributes("event", attribute("run_completed")?)
            .message_attributes("run_id", attribute(&summary.run_id)?)
            .send()
            .await
            .map_err(|e| PipelineError::Sns { operation: "Publish", detail: DisplayErrorContext(e).to_string() })?;
        tracing::info!(run_id = %summary.run_id, "run completion published");
        Ok(())
    }
}

/// At most 100 characters, as SNS requires of a subject.
fn subject(summary: &RunSummary) -> String {
    let problems = summary.count("failed") + summary.count("gave_up");
    let text = format!(
        "Offboard run {} finished: {} done, {} skipped, {} not allowed, {} failed",
        summary.run_id,
        summary.count("done") + summary.count("already_done"),
        summary.count("skipped"),
        summary.count("not_allowed"),
        problems,
    );
    text.chars().take(100).collect()
}
