//! The action queue: one SQS message per action, sent ten at a time.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use offboard_core::ActionMessage;

use crate::error::PipelineError;

/// SQS's limit of entries per `SendMessageBatch`.
const BATCH: usize = 10;
/// Entries SQS refuses are sent again this many times before the fan-out fails.
const ATTEMPTS: usize = 3;

pub struct ActionQueue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl ActionQueue {
    pub fn new(sqs: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        ActionQueue { sqs, url: url.into() }
    }

    /// Sends every message; returns how many were sent. Entries SQS refuses in a batch
    /// are retried; a message is never sent twice on purpose (the executor's ledger
    /// makes a redelivery harmless anyway).
    pub async fn send_all(&self, messages: &[ActionMessage]) -> Result<usize, PipelineError> {
        for chunk in messages.chunks(BATCH) {
            let mut pending: Vec<SendMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let body = serde_json::to_string(m).map_err(|e| PipelineError::Data {
                        what: "serializing an action message".into(),
                        detail: e.to_string(),
                    })?;
                    SendMessageBatchRequestEntry::builder()
                        .id(format!("m{i}"))
                        .message_body(body)
                        .build()
                        .map_err(|e| PipelineError::Sqs { operation: "SendMessageBatch", detail: e.to_string() })
                })
                .collect::<Result<_, _>>()?;
            for attempt in 1..=ATTEMPTS {
                let response = self
                    .sqs
                    .send_message_batch()
                    .queue_url(&self.url)
                    .set_entries(Some(pending.clone()))
                    .send()
                    .await
                    .map_err(|e| PipelineError::Sqs {
                        operation: "SendMessageBatch",
                        detail: DisplayErrorContext(e).to_string(),
                    })?;
                let failed: Vec<&str> = response.failed().iter().map(|f| f.id()).collect();
                pending.retain(|entry| failed.contains(&entry.id()));
                if pending.is_empty() {
                    break;
                }
                if attempt == ATTEMPTS {
                    return Err(PipelineError::Sqs {
                        operation: "SendMessageBatch",
                        detail: format!("{} entries refused after {ATTEMPTS} attempts", pending.len()),
                    });
                }
            }
        }
        Ok(messages.len())
    }
}
