//! The end of a run, announced on the notification topic (SNS): a short subject people
//! read in their mail, and the summary as JSON for whatever subscribes. When it is
//! published, and that it is published once, is `completion`'s business.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use jiff::SignedDuration;
use offboard_core::summary::RunSummary;

use crate::error::PipelineError;

/// How long a claim on publishing a run's notification holds unless the notifier is
/// told otherwise: the longest a Lambda invocation can run, so only a dead one's expires.
pub const DEFAULT_CLAIM_TTL: SignedDuration = SignedDuration::from_secs(15 * 60);

#[derive(Clone)]
pub struct Notifier {
    sns: aws_sdk_sns::Client,
    topic_arn: String,
    claim_ttl: SignedDuration,
}

impl Notifier {
    pub fn new(sns: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Notifier { sns, topic_arn: topic_arn.into(), claim_ttl: DEFAULT_CLAIM_TTL }
    }

    /// How long a claim on publishing holds (at least the caller's function timeout):
    /// after it, another call may publish in place of one that died.
    pub fn with_claim_ttl(self, claim_ttl: SignedDuration) -> Self {
        Notifier { claim_ttl, ..self }
    }

    pub fn claim_ttl(&self) -> SignedDuration {
        self.claim_ttl
    }

    /// Publishes the run's end; SNS's message id when it gave one.
    pub async fn run_completed(&self, summary: &RunSummary) -> Result<Option<String>, PipelineError> {
        let message = serde_json::to_string_pretty(summary)
            .map_err(|e| PipelineError::Data { what: "serializing the summary".into(), detail: e.to_string() })?;
        let attribute = |value: &str| MessageAttributeValue::builder().data_type("String").string_value(value).build();
        let attribute = |value: &str| {
            attribute(value).map_err(|e| PipelineError::Sns { operation: "Publish", detail: e.to_string() })
        };
        let published = self
            .sns
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
        Ok(published.message_id().map(str::to_string))
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
