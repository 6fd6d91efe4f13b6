//! The end of a run, and a run that stalled, announced on the notification topic (SNS):
//! a short subject people read in their mail, and the summary (or the stall) as JSON for
//! whatever subscribes, with an `event` attribute (`run_completed`, `run_stalled`) to
//! filter on. When they are published, and that each is published once, is
//! `completion`'s and `watch`'s business.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use jiff::SignedDuration;
use offboard_core::summary::RunSummary;
use offboard_core::watch::Stall;

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
        let id = self.publish("run_completed", &summary.run_id, &subject(summary), summary).await?;
        tracing::info!(run_id = %summary.run_id, "run completion published");
        Ok(id)
    }

    /// Publishes that the run stalled; SNS's message id when it gave one.
    pub async fn run_stalled(&self, stall: &Stall) -> Result<Option<String>, PipelineError> {
        let id = self.publish("run_stalled", &stall.run_id, &stall.subject(), stall).await?;
        tracing::info!(run_id = %stall.run_id, "run stall published");
        Ok(id)
    }

    async fn publish(
        &self,
        event: &str,
        run_id: &str,
        subject: &str,
        body: &impl serde::Serialize,
    ) -> Result<Option<String>, PipelineError> {
        let message = serde_json::to_string_pretty(body).map_err(|e| PipelineError::Data {
            what: format!("serializing the {event} message"),
            detail: e.to_string(),
        })?;
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| PipelineError::Sns { operation: "Publish", detail: e.to_string() })
        };
        let published = self
            .sns
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(message)
            .message_attributes("event", attribute(event)?)
            .message_attributes("run_id", attribute(run_id)?)
            .send()
            .await
            .map_err(|e| PipelineError::Sns { operation: "Publish", detail: DisplayErrorContext(e).to_string() })?;
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
