//! Notices (`offboard_core::notice`) published on the notification topic (SNS): a short
//! subject, plain text for email subscriptions and JSON for the rest (one message,
//! `MessageStructure=json`), with `event` and `run_id` attributes to filter on. When
//! they are published, and that each is published once, is the caller's business: the
//! planner's for a held plan, a refused file and a refused approval (`announce_once`),
//! `completion`'s and `watch`'s for a run's end and its stall.

use aws_sdk_sns::error::DisplayErrorContext;
use aws_sdk_sns::types::MessageAttributeValue;
use jiff::SignedDuration;
use offboard_core::notice::{self, Notice};
use offboard_core::summary::RunSummary;
use offboard_core::watch::Stall;

use crate::clock;
use crate::error::PipelineError;
use crate::store::{PutOnce, Store};

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
        self.publish(&notice::run_completed(summary)).await
    }

    /// Publishes that the run stalled; SNS's message id when it gave one.
    pub async fn run_stalled(&self, stall: &Stall) -> Result<Option<String>, PipelineError> {
        self.publish(&notice::run_stalled(stall)).await
    }

    /// Publishes `notice`: the plain text to email subscriptions (and as SNS's default),
    /// the JSON to queues, functions and webhooks, with `event` and `run_id` attributes
    /// for subscriptions to filter on. SNS's message id when it gave one.
    pub async fn publish(&self, notice: &Notice) -> Result<Option<String>, PipelineError> {
        let event = notice.event.as_str();
        let data = |what: &str, e: serde_json::Error| PipelineError::Data {
            what: format!("serializing the {event} {what}"),
            detail: e.to_string(),
        };
        let machines = serde_json::to_string_pretty(&notice.json).map_err(|e| data("message", e))?;
        let by_protocol = serde_json::json!({
            "default": notice.text,
            "email": notice.text,
            "email-json": machines,
            "sqs": machines,
            "lambda": machines,
            "http": machines,
            "https": machines,
        });
        let message = serde_json::to_string(&by_protocol).map_err(|e| data("message structure", e))?;
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
            .subject(&notice.subject)
            .message_structure("json")
            .message(message)
            .message_attributes("event", attribute(event)?)
            .message_attributes("run_id", attribute(&notice.run_id)?)
            .send()
            .await
            .map_err(|e| PipelineError::Sns { operation: "Publish", detail: DisplayErrorContext(e).to_string() })?;
        tracing::info!(run_id = %notice.run_id, event, "notification published");
        Ok(published.message_id().map(str::to_string))
    }
}

/// What `runs/<run>/notices/<event>.json` records: that the notice went out.
#[derive(serde::Serialize)]
struct Published<'a> {
    run_id: &'a str,
    event: &'a str,
    published_at: jiff::Timestamp,
    message_id: Option<String>,
}

/// Publishes `notice` unless `marker_key` says it was published already, then records it
/// there. A redelivered event (S3 delivers at least once) finds the marker and publishes
/// nothing; a crash between the publish and the marker publishes it again on the
/// redelivery: a person may read it twice, never not at all. A failed publish is the
/// caller's error, so the event is retried.
pub async fn announce_once(
    store: &Store,
    notifier: Option<&Notifier>,
    notice: &Notice,
    marker_key: &str,
) -> Result<(), PipelineError> {
    let Some(notifier) = notifier else {
        return Ok(());
    };
    if store.exists(marker_key).await? {
        tracing::info!(event = notice.event.as_str(), "notice already published");
        return Ok(());
    }
    let message_id = notifier.publish(notice).await?;
    let published =
        Published { run_id: &notice.run_id, event: notice.event.as_str(), published_at: clock::now(), message_id };
    if store.put_json_once(marker_key, &published).await? == PutOnce::AlreadyExists {
        tracing::info!(event = notice.event.as_str(), "a concurrent delivery published the notice too");
    }
    Ok(())
}

/// Tells two refusals of one run's approval apart (hex, 16 characters): the same reason
/// and changes are the same refusal, delivered again.
pub(crate) fn refusal_digest(reason: &str, changes: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(reason.as_bytes());
    for change in changes {
        digest.update([0]);
        digest.update(change.as_bytes());
    }
    digest.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}
