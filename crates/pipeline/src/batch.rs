//! One SQS batch through the executor, as Lambda's event source mapping hands it over.
//!
//! - Messages run concurrently; the client's pacer keeps the calls within Zoom's budget.
//! - While the batch runs, its messages' visibility is extended every half visibility
//!   timeout, finished ones too (they are deleted only once the batch returns), so a batch
//!   that waits on the pacer is not redelivered under it.
//! - No action starts once too little of the invocation's time is left; those messages
//!   go back to the queue untouched.
//! - Only messages that need another try are named in `batchItemFailures`. A message
//!   that cannot be read, or that fails on its last allowed delivery (`gave_up` is then
//!   its recorded outcome), is moved to the DLQ with its reason as message attributes
//!   and acknowledged, so the DLQ says why and SQS's own redrive is never the one to move it.
//! - Then, per run, one digest of the results the batch recorded
//!   (`runs/<run>/digests/<invocation>.json`), so the run's summary reads one object per
//!   batch. Nothing here lists a run or checks whether it is complete: the watcher does,
//!   once a minute, so an action costs the same S3 requests in a run of any size.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, MessageAttributeValue};
use futures::StreamExt;
use offboard_core::ActionResult;

use crate::error::PipelineError;
use crate::executor::{Execution, Executor};
use crate::ledger::{write_digest, BatchDigest};

/// No action starts with less than this left before the invocation's deadline.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(10);

/// One received message.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// SQS's `ApproximateReceiveCount`: 1 on the first delivery.
    pub receive_count: u32,
}

#[derive(Debug, Clone)]
pub struct BatchSettings {
    /// The action queue, to extend visibility; `None` skips extending.
    pub queue_url: Option<String>,
    /// The DLQ the executor moves messages to; `None` leaves that to SQS's redrive.
    pub dlq_url: Option<String>,
    /// The queue's `maxReceiveCount`: the delivery that gives up.
    pub max_receive_count: u32,
    pub visibility_timeout: Duration,
    /// Messages of one batch in flight at once.
    pub concurrency: usize,
}

/// What one batch did.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// Message ids for `batchItemFailures`.
    pub failures: Vec<String>,
    /// Results recorded now, by outcome label.
    pub recorded: BTreeMap<&'static str, usize>,
    pub already_recorded: usize,
    pub held_elsewhere: usize,
    pub returned_for_retry: usize,
    pub dead_lettered: usize,
    pub gave_up: usize,
    pub not_started: usize,
    pub elapsed: Duration,
}

/// How one message ended in this batch.
enum Disposition {
    Ack,
    Fail,
}

pub struct BatchRunner<'a> {
    pub executor: &'a Executor,
    pub sqs: aws_sdk_sqs::Client,
    pub settings: BatchSettings,
}

impl BatchRunner<'_> {
    /// Runs the batch for the invocation `owner`, which must return by `deadline`.
    pub async fn run(&self, deliveries: Vec<Delivery>, owner: &str, deadline: Option<Instant>) -> BatchReport {
        let started = Instant::now();
        // Settled messages leave the batch's visibility (acknowledged ones to be deleted,
        // returned ones to come back as SQS says); the rest is extended.
        let in_batch: Mutex<HashMap<String, String>> =
            Mutex::new(deliveries.iter().map(|d| (d.message_id.clone(), d.receipt_handle.clone())).collect());
        let in_batch = &in_batch;
        let work = futures::stream::iter(deliveries.iter())
            .map(|delivery| async move {
                let execution = self.start(delivery, owner, deadline).await;
                let disposition = self.settle(delivery, execution.as_ref()).await;
                if let Disposition::Fail = disposition {
                    lock(in_batch).remove(&delivery.message_id);
                }
                (delivery, execution, disposition)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect::<Vec<_>>();
        tokio::pin!(work);
        let every = (self.settings.visibility_timeout / 2).max(Duration::from_secs(1));
        let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let settled = loop {
            tokio::select! {
                settled = &mut work => break settled,
                _ = heartbeat.tick() => self.extend_visibility(in_batch).await,
            }
        };

        let mut report = BatchReport::default();
        let mut digests = BTreeMap::<&str, Vec<ActionResult>>::new();
        for (delivery, execution, disposition) in &settled {
            if let Disposition::Fail = disposition {
                report.failures.push(delivery.message_id.clone());
            }
            match execution {
                None => report.not_started += 1,
                Some(Execution::Recorded { run_id, outcome, result, .. }) => {
                    *report.recorded.entry(outcome).or_insert(0) += 1;
                    digests.entry(run_id.as_str()).or_default().push((**result).clone());
                }
                Some(Execution::AlreadyRecorded { .. }) => report.already_recorded += 1,
                Some(Execution::HeldElsewhere { .. }) => report.held_elsewhere += 1,
                Some(Execution::Retry { .. }) if matches!(disposition, Disposition::Ack) => report.gave_up += 1,
                Some(Execution::Retry { .. }) => report.returned_for_retry += 1,
                Some(Execution::Unreadable { .. }) => {}
            }
            if matches!(
                (execution, disposition),
                (
                    Some(Execution::Unreadable { .. } | Execution::Retry { .. } | Execution::HeldElsewhere { .. }),
                    Disposition::Ack
                )
            ) {
                report.dead_lettered += 1;
            }
        }
        for (run_id, results) in digests {
            let digest = BatchDigest { run_id: run_id.to_string(), batch_id: owner.to_string(), results };
            write_digest(self.executor.ledger.store(), &digest).await;
        }
        report.elapsed = started.elapsed();
        report
    }

    /// Executes the message unless too little time is left (`None`).
    async fn start(&self, delivery: &Delivery, owner: &str, deadline: Option<Instant>) -> Option<Execution> {
        if deadline.is_some_and(|deadline| Instant::now() + DEADLINE_MARGIN >= deadline) {
            tracing::warn!(message_id = %delivery.message_id, "too little time left; the message goes back to the queue");
            return None;
        }
        Some(self.executor.execute(&delivery.body, owner).await)
    }

    async fn settle(&self, delivery: &Delivery, execution: Option<&Execution>) -> Disposition {
        let Some(execution) = execution else { return Disposition::Fail };
        match execution {
            Execution::Recorded { .. } | Execution::AlreadyRecorded { .. } => Disposition::Ack,
            Execution::HeldElsewhere { wait, .. } => {
                if delivery.receive_count >= self.settings.max_receive_count && self.settings.dlq_url.is_some() {
                    // SQS would move it without a word; say why, in case the holder dies too.
                    let reason = format!(
                        "another invocation held the action's claim on its last allowed delivery ({}); \
                         redrive this message if the action's result never appears",
                        delivery.receive_count
                    );
                    return self.dead_letter(delivery, &reason).await;
                }
                // Come back when the other claim would have expired, not before.
                let seconds = wait.as_secs().saturating_add(1).clamp(1, 43_200) as i32;
                self.change_visibility(delivery, seconds).await;
                Disposition::Fail
            }
            Execution::Unreadable { reason } => {
                tracing::error!(message_id = %delivery.message_id, %reason, "unreadable message");
                self.dead_letter(delivery, reason).await
            }
            Execution::Retry { message, reason } => {
                if delivery.receive_count < self.settings.max_receive_count || self.settings.dlq_url.is_none() {
                    return Disposition::Fail;
                }
                let reason = format!("gave up after {} deliveries: {reason}", delivery.receive_count);
                match self.executor.give_up(message, delivery.receive_count, &reason).await {
                    Ok(()) => self.dead_letter(delivery, &reason).await,
                    Err(error) => {
                        tracing::error!(%error, "the gave_up result could not be recorded");
                        Disposition::Fail
                    }
                }
            }
        }
    }

    /// Moves the message to the DLQ with its reason; acknowledged only once it is there.
    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Disposition {
        let Some(dlq_url) = &self.settings.dlq_url else { return Disposition::Fail };
        let attribute = |value: &str| MessageAttributeValue::builder().data_type("String").string_value(value).build();
        let (Ok(reason_attribute), Ok(source), Ok(count)) = (
            attribute(&reason.chars().take(1024).collect::<String>()),
            attribute(&delivery.message_id),
            attribute(&delivery.receive_count.to_string()),
        ) else {
            return Disposition::Fail;
        };
        // SQS refuses an empty body; the reason says it was empty.
        let body = if delivery.body.is_empty() { "(empty message)" } else { delivery.body.as_str() };
        let sent = self
            .sqs
            .send_message()
            .queue_url(dlq_url)
            .message_body(body)
            .message_attributes("offboard_reason", reason_attribute)
            .message_attributes("offboard_source_message_id", source)
            .message_attributes("offboard_receive_count", count)
            .send()
            .await;
        match sent {
            Ok(_) => {
                tracing::warn!(message_id = %delivery.message_id, %reason, "moved to the dead-letter queue");
                Disposition::Ack
            }
            Err(error) => {
                let error =
                    PipelineError::Sqs { operation: "SendMessage", detail: DisplayErrorContext(error).to_string() };
                tracing::error!(%error, "could not move the message to the dead-letter queue");
                Disposition::Fail
            }
        }
    }

    async fn change_visibility(&self, delivery: &Delivery, seconds: i32) {
        let Some(queue_url) = &self.settings.queue_url else { return };
        let changed = self
            .sqs
            .change_message_visibility()
            .queue_url(queue_url)
            .receipt_handle(&delivery.receipt_handle)
            .visibility_timeout(seconds)
            .send()
            .await;
        if let Err(error) = changed {
            tracing::warn!(error = %DisplayErrorContext(error), "visibility not changed");
        }
    }

    /// The heartbeat: the batch's messages stay invisible a full timeout more.
    async fn extend_visibility(&self, in_batch: &Mutex<HashMap<String, String>>) {
        let Some(queue_url) = &self.settings.queue_url else { return };
        let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = lock(in_batch)
            .values()
            .enumerate()
            .filter_map(|(i, receipt)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(format!("v{i}"))
                    .receipt_handle(receipt)
                    .visibility_timeout(self.settings.visibility_timeout.as_secs().min(43_200) as i32)
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            return;
        }
        let count = entries.len();
        match self.sqs.change_message_visibility_batch().queue_url(queue_url).set_entries(Some(entries)).send().await {
            Ok(_) => tracing::info!(messages = count, "visibility extended while the batch waits"),
            Err(error) => tracing::warn!(error = %DisplayErrorContext(error), "visibility not extended"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
