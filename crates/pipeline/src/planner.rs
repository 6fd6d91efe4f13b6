//! Plan a run: a roster landed under `inbox/`.
//!
//! Order matters and is the safety story: validate the file (a bad file gets
//! `error.json` and nothing else), back up every user, decide, write the plan, and only
//! then send one message per action. A redelivered S3 event finds the plan of its run
//! already written and sends the same messages again, which the executor's write-once
//! results make harmless.

use std::sync::Arc;

use offboard_core::{backup_csv, diff, parse_roster, AccountUser, ActionMessage, Plan, UserStatus};
use offboard_zoom::ZoomClient;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::Instrument;

use crate::clock::now_rfc3339;
use crate::error::PipelineError;
use crate::keys;
use crate::queue::ActionQueue;
use crate::store::{PutOnce, Store};

/// Rosters are read from under this prefix.
pub const INBOX_PREFIX: &str = "inbox/";
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// What the planner did with one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PlanReport {
    /// The plan is written and its actions are on the queue.
    Planned { run_id: String, plan_key: String, backup_key: String, actions: usize, skipped: usize },
    /// The file did not validate: `error.json` says why; nothing was sent.
    Rejected { run_id: String, error_key: String, error: String },
    /// Not a roster (outside `inbox/`).
    Ignored { key: String, reason: String },
}

/// What `runs/<run>/error.json` holds.
#[derive(Debug, Serialize)]
struct RunError<'a> {
    run_id: &'a str,
    source: String,
    kind: &'a str,
    error: String,
    created_at: String,
}

pub struct Planner {
    pub zoom: Arc<ZoomClient>,
    pub s3: aws_sdk_s3::Client,
    pub queue: ActionQueue,
}

impl Planner {
    /// Plans the run for `s3://bucket/key`; `key` as it arrived in the event (URL-encoded).
    pub async fn plan_object(&self, bucket: &str, event_key: &str) -> Result<PlanReport, PipelineError> {
        let key = keys::decode_event_key(event_key);
        if !key.starts_with(INBOX_PREFIX) || key.ends_with('/') {
            return Ok(PlanReport::Ignored { key, reason: format!("not a roster under {INBOX_PREFIX}") });
        }
        let store = Store::new(self.s3.clone(), bucket);
        let info = store.head(&key).await?;
        let run_id = run_id_for(bucket, &key, &info.etag, info.last_modified);
        let span = tracing::info_span!("plan", run_id = %run_id, key = %key);
        self.plan_run(&store, &key, run_id).instrument(span).await
    }

    async fn plan_run(&self, store: &Store, key: &str, run_id: String) -> Result<PlanReport, PipelineError> {
        let source = format!("s3://{}/{key}", store.bucket());
        let plan_key = keys::plan_key(&run_id);
        if store.exists(&plan_key).await? {
            tracing::info!("plan already written by an earlier delivery; sending its actions again");
            return self.fan_out_written(store, plan_key).await;
        }

        let bytes = store.get(key).await?;
        let roster = match parse_roster(key, &bytes) {
            Ok(roster) => roster,
            Err(error) => {
                let error_key = keys::error_key(&run_id);
                let body = RunError {
                    run_id: &run_id,
                    source,
                    kind: error.kind(),
                    error: error.to_string(),
                    created_at: now_rfc3339(),
                };
                store.put_json(&error_key, &body).await?;
                tracing::warn!(error = %error, %error_key, "roster refused; nothing sent");
                return Ok(PlanReport::Rejected { run_id, error_key, error: error.to_string() });
            }
        };

        let users: Vec<AccountUser> = self.zoom.list_all_users().await?.into_iter().map(account_user).collect();
        let backup_key = keys::backup_key(&run_id);
        store.put(&backup_key, backup_csv(&users), "text/csv").await?;
        tracing::info!(users = users.len(), %backup_key, "account backed up");

        let plan = Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            run_id: run_id.clone(),
            source,
            created_at: now_rfc3339(),
            backup_key,
            email_column: roster.email_column.clone(),
            body: diff(&roster, &users),
        };
        if store.put_json_once(&plan_key, &plan).await? == PutOnce::AlreadyExists {
            tracing::info!("a concurrent delivery wrote the plan first; sending its actions");
            return self.fan_out_written(store, plan_key).await;
        }
        self.fan_out(&plan, plan_key).await
    }

    /// Sends the actions of the plan already in the bucket: the one every delivery of the
    /// run must agree on.
    async fn fan_out_written(&self, store: &Store, plan_key: String) -> Result<PlanReport, PipelineError> {
        let plan: Plan = store.get_json(&plan_key).await?;
        self.fan_out(&plan, plan_key).await
    }

    async fn fan_out(&self, plan: &Plan, plan_key: String) -> Result<PlanReport, PipelineError> {
        let messages: Vec<ActionMessage> =
            plan.body.actions.iter().map(|a| ActionMessage::new(&plan.run_id, a.clone())).collect();
        let sent = self.queue.send_all(&messages).await?;
        tracing::info!(sent, skipped = plan.body.skipped.len(), "plan fanned out");
        Ok(PlanReport::Planned {
            run_id: plan.run_id.clone(),
            plan_key,
            backup_key: plan.backup_key.clone(),
            actions: sent,
            skipped: plan.body.skipped.len(),
        })
    }
}

/// A run id people can sort and read (`20261122T101500Z-3f9a1c2e`) that is the same for
/// every delivery of the same object version, so redeliveries land in the same run.
pub fn run_id_for(bucket: &str, key: &str, etag: &str, last_modified: i64) -> String {
    let stamp = OffsetDateTime::from_unix_timestamp(last_modified)
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")).ok())
        .unwrap_or_else(|| "00000000T000000Z".to_string());
    let digest = Sha256::digest(format!("{bucket}\0{key}\0{etag}").as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{stamp}-{short}")
}

fn account_user(user: offboard_zoom::User) -> AccountUser {
    AccountUser {
        id: user.id,
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
        user_type: user.user_type,
        status: match user.status {
            offboard_zoom::UserStatus::Active => UserStatus::Active,
            offboard_zoom::UserStatus::Inactive => UserStatus::Inactive,
            offboard_zoom::UserStatus::Pending => UserStatus::Pending,
        },
        role_id: user.role_id,
        last_login_time: user.last_login_time,
        user_created_at: user.user_created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_stable_per_object_version_and_sortable() {
        let a = run_id_for("b", "inbox/r.csv", "etag1", 1_795_000_000);
        assert_eq!(a, run_id_for("b", "inbox/r.csv", "etag1", 1_795_000_000));
        assert_ne!(a, run_id_for("b", "inbox/r.csv", "etag2", 1_795_000_000));
        assert!(a.starts_with("20261118T"), "{a}");
        assert_eq!(a.len(), "20261118T000000Z-".len() + 8);
    }
}
