//! Plan a run: a roster under `inbox/`, an HR file under `hr/`, an approval under
//! `approvals/`, an undo under `undo/`, or the scheduled sweep.
//!
//! Order matters and is the safety story: read the policy and validate the input (a bad
//! file gets `error.json` and nothing else), back up every user, decide, write the plan,
//! and only then send one message per action, unless the plan is held for approval. Once
//! every message is on the queue, `sent.json` records it, so a redelivered event sends
//! nothing twice; a crash before that point re-sends the plan already written, which the
//! executor's write-once results make harmless.
//!
//! A delivery may die between any two writes, so every step after the plan is redone by
//! the next delivery: the plan's other outputs are rewritten from the signed plan until
//! the run is sent, an approval that began sending sends the rest, and HR terminations
//! the sweep takes up leave `schedule/` only once their actions are on the queue.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use jiff::Timestamp;
use offboard_core::backup::BackupManifest;
use offboard_core::plan::recheck;
use offboard_core::report::{plan_csv, plan_summary};
use offboard_core::sweep::inactive_users;
use offboard_core::undo::plan_undo;
use offboard_core::{
    backup_csv, backup_jsonl, decide, parse_policy_over, Account, AccountUser, ActionKind, ActionMessage, ActionResult,
    Decision, Findings, InputError, Outcome, Plan, PlanSource, Policy, PolicyError, Request, Termination, UserState,
};
use offboard_zoom::{ErrorKind, ZoomCall, ZoomClient, ZoomError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::Instrument;

use crate::clock::now_rfc3339;
use crate::completion::{complete_if_done, RunHeader};
use crate::error::PipelineError;
use crate::input::{read_hr, read_roster, ReadInput};
use crate::keys;
use crate::notify::Notifier;
use crate::queue::ActionQueue;
use crate::signing::{read_signed_plan, write_signed_plan, PlanSigner};
use crate::store::{ObjectInfo, PutOnce, Store};

/// Rosters are read from under this prefix.
pub const INBOX_PREFIX: &str = "inbox/";
/// HR termination files.
pub const HR_PREFIX: &str = "hr/";
/// Approvals of held runs: `approvals/<run>.json`.
pub const APPROVALS_PREFIX: &str = "approvals/";
/// Undo requests: `undo/<run>.json`.
pub const UNDO_PREFIX: &str = keys::UNDO_PREFIX;
pub const PLAN_SCHEMA_VERSION: u32 = 2;

/// What the planner itself asks Zoom for every run: the users, the role names, the Zoom
/// Rooms (a plan is never made without knowing which users are rooms or admins).
pub const PLANNER_CALLS: [ZoomCall; 3] = [ZoomCall::ListUsers, ZoomCall::ListRoles, ZoomCall::ListZoomRooms];

/// What the planner did with one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PlanReport {
    /// The plan is written and its actions are on the queue.
    Planned { run_id: String, plan_key: String, backup_key: String, actions: usize, skipped: usize, refused: usize },
    /// The plan is written and waits for `approvals/<run>.json`; nothing was sent.
    Held { run_id: String, plan_key: String, actions: usize, threshold: usize, reason: String },
    /// The run's actions were already sent by an earlier delivery; nothing was sent now.
    AlreadySent { run_id: String },
    /// The input did not validate: `error.json` says why; nothing was sent.
    Rejected { run_id: String, error_key: String, error: String },
    /// The approval was refused: `approval-refused.json` says why; nothing was sent.
    ApprovalRefused { run_id: String, reason: String },
    /// The version of the object the event names is gone (deleted since); nothing read.
    Gone { key: String, version: Option<String> },
    /// Not an input (outside the prefixes, or a folder).
    Ignored { key: String, reason: String },
}

/// What `runs/<run>/error.json` holds.
#[derive(Debug, Serialize)]
struct RunError<'a> {
    run_id: &'a str,
    source: &'a str,
    kind: &'a str,
    error: String,
    created_at: String,
}

/// What `runs/<run>/sent.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct Sent {
    run_id: String,
    actions: usize,
    sent_at: String,
    #[serde(default)]
    approved_by: Option<String>,
}

/// An approval object: who approved, and why. Both optional; its presence is the approval.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Approval {
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What `runs/<run>/approved.json` holds: the approval as the planner checked it, written
/// once before the first message, so that a redelivery sends exactly this (the rest of it)
/// without checking again an account its own actions have changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Approved {
    run_id: String,
    #[serde(default)]
    approved_by: Option<String>,
    /// Actions today's policy and roles refuse: recorded as `skipped`, never sent.
    withheld: Vec<Withheld>,
    approved_at: String,
}

/// An action of a held plan refused at approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Withheld {
    action_id: String,
    email: String,
    code: String,
    reason: String,
}

/// What `runs/<run>/approval-refused.json` holds.
#[derive(Debug, Serialize)]
struct ApprovalRefusal<'a> {
    run_id: &'a str,
    reason: &'a str,
    changes: &'a [String],
    refused_at: String,
}

/// The input a run plans from, once read.
enum Input {
    Roster {
        key: String,
    },
    Hr {
        key: String,
    },
    Sweep(SweepRequest),
    /// The undo of the run `of`, asked for by the object `key`.
    Undo {
        key: String,
        of: String,
    },
}

/// The scheduled sweep, as its event asks for it: when, and optionally other settings
/// than the policy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepRequest {
    /// The scheduled time: the sweep's "now", and its run id.
    pub now: Timestamp,
    pub inactive_days: Option<u32>,
    pub action: Option<ActionKind>,
}

pub struct Planner {
    pub zoom: Arc<ZoomClient>,
    pub s3: aws_sdk_s3::Client,
    pub queue: ActionQueue,
    /// The deployment's policy; `config/policy.json` in the bucket is read over it.
    pub base_policy: Policy,
    /// Where a run that sends no action is announced as finished.
    pub notifier: Option<Notifier>,
    /// Signs the plans it writes; checks a plan it finds written before sending it.
    pub signer: PlanSigner,
}

impl Planner {
    /// Plans the run for `s3://bucket/key`; `key` as it arrived in the event (URL-encoded),
    /// and `version` the one the event names: that version is what is read and planned, so
    /// a re-upload before this delivery cannot be planned under the first upload's run.
    pub async fn plan_object(
        &self,
        bucket: &str,
        event_key: &str,
        version: Option<&str>,
    ) -> Result<PlanReport, PipelineError> {
        let key = keys::decode_event_key(event_key);
        let store = Store::new(self.s3.clone(), bucket);
        if key.ends_with('/') {
            return Ok(PlanReport::Ignored { key, reason: "a folder".to_string() });
        }
        if let Some(run_id) = key.strip_prefix(APPROVALS_PREFIX).and_then(|k| k.strip_suffix(".json")) {
            let span = tracing::info_span!("approve", run_id = %run_id);
            return self.approve(&store, run_id, &key).instrument(span).await;
        }
        if let Some(of) = key.strip_prefix(UNDO_PREFIX).and_then(|k| k.strip_suffix(".json")) {
            let run_id = keys::undo_run_id(of);
            let span = tracing::info_span!("undo", run_id = %run_id, of = %of);
            let input = Input::Undo { key: key.clone(), of: of.to_string() };
            return self.plan_run(&store, run_id, input, None).instrument(span).await;
        }
        let input = if key.starts_with(INBOX_PREFIX) {
            Input::Roster { key: key.clone() }
        } else if key.starts_with(HR_PREFIX) {
            Input::Hr { key: key.clone() }
        } else {
            let reason =
                format!("not an input: expected {INBOX_PREFIX}, {HR_PREFIX}, {APPROVALS_PREFIX} or {UNDO_PREFIX}");
            return Ok(PlanReport::Ignored { key, reason });
        };
        let Some(info) = store.head_version(&key, version).await? else {
            tracing::warn!(%key, ?version, "the version the event names is gone; nothing read");
            return Ok(PlanReport::Gone { key, version: version.map(str::to_string) });
        };
        let run_id = run_id_for(bucket, &key, &info);
        let span = tracing::info_span!("plan", run_id = %run_id, key = %key);
        self.plan_run(&store, run_id, input, Some(info)).instrument(span).await
    }

    /// The scheduled sweep as of `now`: inactive users, and HR terminations now due. The
    /// run id comes from the event's time, so a redelivered event lands in the same run.
    pub async fn sweep(&self, bucket: &str, request: SweepRequest) -> Result<PlanReport, PipelineError> {
        let store = Store::new(self.s3.clone(), bucket);
        let run_id = sweep_run_id(request.now);
        let span = tracing::info_span!("sweep", run_id = %run_id);
        self.plan_run(&store, run_id, Input::Sweep(request), None).instrument(span).await
    }

    async fn plan_run(
        &self,
        store: &Store,
        run_id: String,
        input: Input,
        info: Option<ObjectInfo>,
    ) -> Result<PlanReport, PipelineError> {
        let plan_key = keys::plan_key(&run_id);
        if store.exists(&plan_key).await? {
            tracing::info!("plan already written by an earlier delivery");
            return self.resume_written(store, &run_id).await;
        }
        let source = match &input {
            Input::Roster { key } | Input::Hr { key } | Input::Undo { key, .. } => {
                format!("s3://{}/{key}", store.bucket())
            }
            Input::Sweep(sweep) => format!("schedule: inactive-user sweep at {}", sweep.now),
        };
        let rejected = |error: String, kind: &'static str| reject(store, &run_id, &source, error, kind);

        let mut policy = match self.policy(store).await? {
            Ok(policy) => policy,
            Err(error) => return rejected(error.to_string(), "invalid_policy").await,
        };
        let now = match &input {
            Input::Sweep(sweep) => sweep.now,
            _ => Timestamp::now(),
        };
        if let Input::Sweep(sweep) = &input {
            policy.sweep.inactive_days = sweep.inactive_days.unwrap_or(policy.sweep.inactive_days);
            policy.sweep.action = sweep.action.unwrap_or(policy.sweep.action);
        }
        if let (Some(info), Input::Roster { key } | Input::Hr { key }) = (&info, &input) {
            if info.size > policy.max_file_bytes {
                let error = InputError::TooLarge { file: key.clone(), size: info.size, limit: policy.max_file_bytes };
                return rejected(error.to_string(), error.kind()).await;
            }
        }
        let version = info.as_ref().and_then(|i| i.version_id.as_deref());
        let read = match &input {
            Input::Roster { key } => read_roster(key, &store.get_version(key, version).await?, &policy),
            Input::Hr { key } => read_hr(key, &store.get_version(key, version).await?, &policy, now),
            Input::Sweep(_) => Ok(ReadInput::default()),
            Input::Undo { of, .. } => match self.results_to_undo(store, of).await? {
                Ok(results) => Ok(ReadInput { format: "undo".to_string(), undo: results, ..ReadInput::default() }),
                Err(error) => return rejected(error, "not_undoable").await,
            },
        };
        let mut read = match read {
            Ok(read) => read,
            Err(error) => return rejected(error.to_string(), error.kind()).await,
        };

        if let Some(missing) = self.missing_scopes(&PLANNER_CALLS).await? {
            return rejected(missing, "missing_scope").await;
        }
        let account = match self.snapshot().await {
            Ok(account) => account,
            // Zoom refused a read for good (a Dashboard the plan does not include, say):
            // no plan without the whole account; say why instead of retrying for ever.
            Err(PipelineError::Zoom(error))
                if !matches!(error.kind(), ErrorKind::Transient | ErrorKind::Throttled | ErrorKind::InProgress) =>
            {
                let reason = format!("reading the account from Zoom failed, so nothing was planned: {error}");
                return rejected(reason, "account_unreadable").await;
            }
            Err(error) => return Err(error),
        };
        if let Input::Sweep(_) = &input {
            read.requests = inactive_users(&account, &policy.sweep, now);
            self.due_terminations(store, now, &policy, &mut read.requests).await?;
            read.format = "sweep".to_string();
        }
        let backup_key = self.back_up(store, &run_id, &account.users, &input, info.as_ref()).await?;

        let calls_per_second = {
            let pacing = self.zoom.pacing();
            pacing.rate(offboard_zoom::Label::Light) * f64::from(pacing.executors)
        };
        let body = match &input {
            // Restorative: no guardrails to apply and nothing to hold.
            Input::Undo { .. } => plan_undo(&read.undo, &account, calls_per_second),
            _ => decide(Decision {
                requests: &read.requests,
                rejected: read.rejected,
                scheduled: read.scheduled,
                account: &account,
                policy: &policy,
                calls_per_second,
            }),
        };
        if let Some(missing) = self.missing_scopes(&actions_calls(&body.actions)).await? {
            return rejected(format!("{missing}; nothing was planned or sent"), "missing_scope").await;
        }
        let plan = Plan {
            schema_version: PLAN_SCHEMA_VERSION,
            run_id: run_id.clone(),
            kind: match input {
                Input::Roster { .. } => PlanSource::Inbox,
                Input::Hr { .. } => PlanSource::Hr,
                Input::Sweep(_) => PlanSource::Sweep,
                Input::Undo { .. } => PlanSource::Undo,
            },
            source,
            created_at: now_rfc3339(),
            backup_key,
            input_format: read.format,
            email_column: read.email_column,
            body,
        };
        if write_signed_plan(store, &self.signer, &plan).await? == PutOnce::AlreadyExists {
            tracing::info!("a concurrent delivery wrote the plan first");
            return self.resume_written(store, &run_id).await;
        }
        write_plan_outputs(store, &plan).await?;
        self.resume(store, plan, None).await
    }

    /// Sends the run's written plan, if the planner signed it; a plan anyone else wrote
    /// is refused (`error.json`) and nothing is sent. Until the run is sent, the plan's
    /// other outputs are written again first: the delivery that wrote the plan may have
    /// died before them.
    async fn resume_written(&self, store: &Store, run_id: &str) -> Result<PlanReport, PipelineError> {
        match read_signed_plan(store, &self.signer, run_id).await? {
            Ok(plan) => {
                if !store.exists(&keys::sent_key(run_id)).await? {
                    write_plan_outputs(store, &plan).await?;
                }
                self.resume(store, plan, None).await
            }
            Err(reason) => {
                let source = keys::plan_key(run_id);
                reject(store, run_id, &source, format!("{reason}; nothing sent"), "plan_not_signed").await
            }
        }
    }

    /// Sends a written plan's actions unless they were sent already or the plan is held
    /// and not approved; `approval` says which of a held plan's actions are withheld.
    async fn resume(&self, store: &Store, plan: Plan, approval: Option<Approved>) -> Result<PlanReport, PipelineError> {
        let run_id = plan.run_id.clone();
        if store.exists(&keys::sent_key(&run_id)).await? {
            tracing::info!("actions already sent; nothing sent now");
            // A delivery that died after `sent.json` may not have taken up the schedule, or
            // (for a run that sent nothing) announced the run.
            self.consume_schedule(store, &plan).await?;
            complete_if_done(store, self.notifier.as_ref(), &run_id).await?;
            return Ok(PlanReport::AlreadySent { run_id });
        }
        if let (Some(hold), None) = (&plan.body.hold, &approval) {
            // When an approval is there but this delivery is not it, the approval's own
            // event sends the plan, so that its checks always run.
            let reason = if store.exists(&keys::approval_key(&run_id)).await? {
                "approval present; its own event sends the plan".to_string()
            } else {
                hold.reason.clone()
            };
            tracing::warn!(%reason, "plan held for approval; nothing sent");
            return Ok(PlanReport::Held {
                run_id,
                plan_key: keys::plan_key(&plan.run_id),
                actions: hold.actions,
                threshold: hold.threshold,
                reason,
            });
        }
        // The scopes again: the app may have changed since the plan was written (a held plan
        // approved days later). Nothing is sent until they are all there.
        let withheld = approval.as_ref().map_or(&[][..], |a| &a.withheld[..]);
        let to_send: Vec<&offboard_core::Action> =
            plan.body.actions.iter().filter(|a| !withheld.iter().any(|w| w.action_id == a.action_id)).collect();
        let calls: Vec<offboard_core::Action> = to_send.iter().map(|a| (*a).clone()).collect();
        if let Some(missing) = self.missing_scopes(&actions_calls(&calls)).await? {
            let reason = format!("{missing}; nothing sent (grant it, then approve the run again to send it)");
            return self.refuse_approval(store, &run_id, reason, &[]).await;
        }
        // Every withheld action ends in its one result now: no executor will see it.
        for refused in withheld {
            if let Some(action) = plan.body.actions.iter().find(|a| a.action_id == refused.action_id) {
                let result = withheld_result(&run_id, action, refused);
                store.put_json_once(&keys::result_key(&run_id, &action.action_id), &result).await?;
            }
        }
        let messages: Vec<ActionMessage> =
            to_send.iter().map(|a| ActionMessage::new(&plan.run_id, (*a).clone())).collect();
        // Before the first message: the executor recording the last result must find it.
        // Every action counts, the withheld ones too: they have their results already.
        let header = RunHeader {
            run_id: run_id.clone(),
            actions: plan.body.actions.len(),
            plan_key: keys::plan_key(&run_id),
            sent_at: now_rfc3339(),
        };
        store.put_json(&keys::run_header_key(&run_id), &header).await?;
        let sent = self.queue.send_all(&messages).await?;
        self.consume_schedule(store, &plan).await?;
        let marker = Sent {
            run_id: run_id.clone(),
            actions: sent,
            sent_at: now_rfc3339(),
            approved_by: approval.and_then(|a| a.approved_by),
        };
        store.put_json_once(&keys::sent_key(&run_id), &marker).await?;
        if sent == 0 {
            // No executor will ever see this run: it is complete now.
            complete_if_done(store, self.notifier.as_ref(), &run_id).await?;
        }
        let refused = plan.body.skipped.iter().filter(|s| s.reason.is_refusal()).count();
        tracing::info!(sent, skipped = plan.body.skipped.len(), refused, "plan fanned out");
        Ok(PlanReport::Planned {
            run_id,
            plan_key: keys::plan_key(&plan.run_id),
            backup_key: plan.backup_key.clone(),
            actions: sent,
            skipped: plan.body.skipped.len(),
            refused,
        })
    }

    /// An approval arrived: send the held plan, unless the account has changed under it.
    async fn approve(&self, store: &Store, run_id: &str, approval_key: &str) -> Result<PlanReport, PipelineError> {
        if !store.exists(&keys::plan_key(run_id)).await? {
            let reason = format!("no plan for run {run_id}: nothing to approve");
            tracing::warn!(%reason, "approval refused");
            return Ok(PlanReport::ApprovalRefused { run_id: run_id.to_string(), reason });
        }
        let plan: Plan = match read_signed_plan(store, &self.signer, run_id).await? {
            Ok(plan) => plan,
            Err(reason) => return self.refuse_approval(store, run_id, format!("{reason}; nothing sent"), &[]).await,
        };
        if store.exists(&keys::sent_key(run_id)).await? {
            complete_if_done(store, self.notifier.as_ref(), run_id).await?;
            return Ok(PlanReport::AlreadySent { run_id: run_id.to_string() });
        }
        // An earlier delivery of this approval checked it and began sending: its own
        // actions changed the account since, so send the rest of what it approved.
        if let Some(approved) = store.get_optional(&keys::approved_key(run_id)).await? {
            let approved: Approved = serde_json::from_slice(&approved)
                .map_err(|e| PipelineError::Data { what: keys::approved_key(run_id), detail: e.to_string() })?;
            tracing::info!("approval checked by an earlier delivery; sending the rest");
            return self.resume(store, plan, Some(approved)).await;
        }
        let approval: Approval = match store.get_optional(approval_key).await? {
            None => Approval::default(),
            Some(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Approval::default(),
            Some(bytes) => match serde_json::from_slice(&bytes) {
                Ok(approval) => approval,
                Err(e) => {
                    let reason = format!("{approval_key}: not a valid approval: {e}");
                    return self.refuse_approval(store, run_id, reason, &[]).await;
                }
            },
        };
        let policy = match self.policy(store).await? {
            Ok(policy) => policy,
            Err(error) => return self.refuse_approval(store, run_id, format!("{error}; nothing sent"), &[]).await,
        };
        let current = self.snapshot().await?;
        let changes = changes_since_backup(&plan, &current);
        if !changes.is_empty() {
            let reason = format!(
                "the account changed since the backup of this plan ({} of its users differ); plan the file again",
                changes.len()
            );
            return self.refuse_approval(store, run_id, reason, &changes).await;
        }
        // Today's guardrails, not the plan's: someone protected, promoted or made a Zoom
        // Room while the plan waited is not acted on.
        let withheld: Vec<Withheld> = recheck(&plan.body.actions, &current, &policy)
            .into_iter()
            .map(|(index, reason)| {
                let action = &plan.body.actions[index];
                Withheld {
                    action_id: action.action_id.clone(),
                    email: action.email.clone(),
                    code: reason.code().to_string(),
                    reason: format!("refused at approval: {reason}"),
                }
            })
            .collect();
        let approved = Approved {
            run_id: run_id.to_string(),
            approved_by: approval.approved_by,
            withheld,
            approved_at: now_rfc3339(),
        };
        if store.put_json_once(&keys::approved_key(run_id), &approved).await? == PutOnce::AlreadyExists {
            tracing::info!("a concurrent delivery checked the approval first");
            let written = store.get_json(&keys::approved_key(run_id)).await?;
            return self.resume(store, plan, Some(written)).await;
        }
        tracing::info!(
            approved_by = ?approved.approved_by,
            withheld = approved.withheld.len(),
            "approved; sending the held plan"
        );
        self.resume(store, plan, Some(approved)).await
    }

    async fn refuse_approval(
        &self,
        store: &Store,
        run_id: &str,
        reason: String,
        changes: &[String],
    ) -> Result<PlanReport, PipelineError> {
        let body = ApprovalRefusal { run_id, reason: &reason, changes, refused_at: now_rfc3339() };
        store.put_json(&keys::approval_refused_key(run_id), &body).await?;
        tracing::warn!(%reason, "approval refused; nothing sent");
        Ok(PlanReport::ApprovalRefused { run_id: run_id.to_string(), reason })
    }

    /// Every result of a finished run, or why it cannot be undone yet.
    async fn results_to_undo(
        &self,
        store: &Store,
        of: &str,
    ) -> Result<Result<Vec<ActionResult>, String>, PipelineError> {
        if of.starts_with("undo-") {
            return Ok(Err(format!("run {of} is itself an undo; run the original file again instead")));
        }
        if !store.exists(&keys::summary_key(of)).await? {
            return Ok(Err(format!(
                "run {of} has no summary yet ({}): it is unknown or still running; undo it once it has finished",
                keys::summary_key(of)
            )));
        }
        Ok(Ok(crate::ledger::run_results(store, of).await?))
    }

    /// The policy in force: the bucket's `config/policy.json` over the deployment's. An
    /// invalid object is the inner error: the run is refused, not retried.
    async fn policy(&self, store: &Store) -> Result<Result<Policy, PolicyError>, PipelineError> {
        Ok(match store.get_optional(keys::POLICY_KEY).await? {
            None => Ok(self.base_policy.clone()),
            Some(bytes) => parse_policy_over(&self.base_policy, keys::POLICY_KEY, &bytes),
        })
    }

    /// Why the Zoom app cannot make `calls` (every missing scope, with the call needing
    /// it), or `None` when it can. A token failure is an error: retried, never a plan.
    async fn missing_scopes(&self, calls: &[ZoomCall]) -> Result<Option<String>, PipelineError> {
        match self.zoom.check_scopes(calls).await {
            Ok(()) => Ok(None),
            Err(error @ ZoomError::MissingScopes { .. }) => {
                tracing::warn!(%error, "the Zoom app lacks a scope the run needs");
                Ok(Some(error.to_string()))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn snapshot(&self) -> Result<Account, PipelineError> {
        crate::account::snapshot(&self.zoom).await
    }

    /// Writes the backup (CSV, gzipped JSON Lines, manifest) before anything is decided.
    async fn back_up(
        &self,
        store: &Store,
        run_id: &str,
        users: &[AccountUser],
        input: &Input,
        info: Option<&ObjectInfo>,
    ) -> Result<String, PipelineError> {
        let csv_key = keys::backup_key(run_id);
        let jsonl_gz_key = keys::backup_jsonl_key(run_id);
        store.put(&csv_key, backup_csv(users), "text/csv").await?;
        store.put(&jsonl_gz_key, gzip(&backup_jsonl(users))?, "application/gzip").await?;
        let (by_status, by_type) = BackupManifest::count(users);
        let manifest = BackupManifest {
            run_id: run_id.to_string(),
            taken_at: now_rfc3339(),
            users: users.len(),
            by_status,
            by_type,
            source_key: match input {
                Input::Roster { key } | Input::Hr { key } | Input::Undo { key, .. } => Some(key.clone()),
                Input::Sweep(_) => None,
            },
            source_etag: info.map(|i| i.etag.clone()),
            source_version: info.and_then(|i| i.version_id.clone()),
            csv_key: csv_key.clone(),
            jsonl_gz_key,
        };
        store.put_json(&keys::backup_manifest_key(run_id), &manifest).await?;
        tracing::info!(users = users.len(), %csv_key, "account backed up");
        Ok(csv_key)
    }

    /// Adds the scheduled terminations due by `now` to `requests`. They stay under
    /// `schedule/` until the plan that takes them up is on the queue.
    async fn due_terminations(
        &self,
        store: &Store,
        now: Timestamp,
        policy: &Policy,
        requests: &mut Vec<Request>,
    ) -> Result<(), PipelineError> {
        for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
            let terminations: Vec<Termination> = store.get_json(&key).await?;
            requests.extend(terminations.iter().filter(|t| t.is_due(now)).map(|t| t.request(policy)));
        }
        Ok(())
    }

    /// Once a sweep's actions are on the queue: removes from `schedule/` the terminations
    /// it took up (those due at the sweep's time, which its run id holds). A held or
    /// refused sweep never gets here, so what it found due stays due for the next one;
    /// a crash before this leaves them to the next sweep, which finds them done.
    async fn consume_schedule(&self, store: &Store, plan: &Plan) -> Result<(), PipelineError> {
        let Some(now) = (plan.kind == PlanSource::Sweep).then(|| sweep_time(&plan.run_id)).flatten() else {
            return Ok(());
        };
        for key in store.list_keys(keys::SCHEDULE_PREFIX).await? {
            let terminations: Vec<Termination> = store.get_json(&key).await?;
            let remaining: Vec<&Termination> = terminations.iter().filter(|t| !t.is_due(now)).collect();
            if remaining.is_empty() {
                store.delete(&key).await?;
            } else if remaining.len() < terminations.len() {
                store.put_json(&key, &remaining).await?;
            }
        }
        Ok(())
    }
}

/// The sweep's run id is its scheduled time, so a redelivered event lands in the same run
/// and the run knows which terminations it took up ([`sweep_time`]).
fn sweep_run_id(now: Timestamp) -> String {
    format!("sweep-{}", now.strftime(SWEEP_RUN_FORMAT))
}

/// The time a sweep's run id holds.
fn sweep_time(run_id: &str) -> Option<Timestamp> {
    let stamp = run_id.strip_prefix("sweep-")?;
    let utc = jiff::civil::DateTime::strptime(SWEEP_RUN_FORMAT, stamp).ok()?;
    utc.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|t| t.timestamp())
}

const SWEEP_RUN_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Writes what a plan shows people, and the terminations it schedules: from the signed
/// plan alone, so writing them again on a redelivery writes the same bytes.
async fn write_plan_outputs(store: &Store, plan: &Plan) -> Result<(), PipelineError> {
    let run_id = &plan.run_id;
    store.put(&keys::plan_csv_key(run_id), plan_csv(plan), "text/csv").await?;
    store.put(&keys::plan_summary_key(run_id), plan_summary(plan).into_bytes(), "text/plain").await?;
    if !plan.body.scheduled.is_empty() {
        store.put_json(&keys::schedule_key(run_id), &plan.body.scheduled).await?;
        tracing::info!(scheduled = plan.body.scheduled.len(), "terminations scheduled for the sweep");
    }
    Ok(())
}

/// The one result of an action refused at approval.
fn withheld_result(run_id: &str, action: &offboard_core::Action, withheld: &Withheld) -> ActionResult {
    let attempt = crate::executor::Attempt { number: 0, started_at: now_rfc3339() };
    let outcome = Outcome::Skipped { code: withheld.code.clone(), reason: withheld.reason.clone() };
    crate::executor::action_result(run_id, action, attempt, outcome, None, Findings::default(), None)
}

/// Every call the executor may make for these actions.
fn actions_calls(actions: &[offboard_core::Action]) -> Vec<ZoomCall> {
    let mut calls: Vec<ZoomCall> = actions.iter().flat_map(crate::executor::calls_of).collect();
    calls.sort();
    calls.dedup();
    calls
}

/// Records why a run's input was refused (`error.json`); nothing is sent.
async fn reject(
    store: &Store,
    run_id: &str,
    source: &str,
    error: String,
    kind: &'static str,
) -> Result<PlanReport, PipelineError> {
    let error_key = keys::error_key(run_id);
    let body = RunError { run_id, source, kind, error: error.clone(), created_at: now_rfc3339() };
    store.put_json(&error_key, &body).await?;
    tracing::warn!(%error, %error_key, "input refused; nothing sent");
    Ok(PlanReport::Rejected { run_id: run_id.to_string(), error_key, error })
}

/// What changed, for the users a held plan acts on, between its backup and `current`: their
/// status and license, which the actions were decided from. A role changed since is for
/// the guardrails ([`recheck`]), which refuse that action alone.
fn changes_since_backup(plan: &Plan, current: &Account) -> Vec<String> {
    let by_id: HashMap<&str, &AccountUser> =
        current.users.iter().map(|u| (u.id.as_deref().unwrap_or(u.email.as_str()), u)).collect();
    let mut changes = Vec::new();
    for action in &plan.body.actions {
        match by_id.get(action.user_id.as_str()) {
            None => changes.push(format!("{} is no longer in the account", action.email)),
            Some(user) => {
                let now = UserState::of(user);
                if (now.status, now.user_type) != (action.before.status, action.before.user_type) {
                    changes.push(format!(
                        "{}: was {} type {} role {}, is now {} type {} role {}",
                        action.email,
                        action.before.status.as_str(),
                        action.before.user_type,
                        action.before.role_id.as_deref().unwrap_or("-"),
                        now.status.as_str(),
                        now.user_type,
                        now.role_id.as_deref().unwrap_or("-"),
                    ));
                }
            }
        }
    }
    changes
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| PipelineError::Data { what: "gzip of the backup".into(), detail: e.to_string() })
}

/// A run id people can sort and read (`20261122T101500Z-3f9a1c2e`) that is the same for
/// every delivery of the same object version, so redeliveries land in the same run.
pub fn run_id_for(bucket: &str, key: &str, info: &ObjectInfo) -> String {
    let stamp = OffsetDateTime::from_unix_timestamp(info.last_modified)
        .ok()
        .and_then(|t| t.format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")).ok())
        .unwrap_or_else(|| "00000000T000000Z".to_string());
    let version = info.version_id.as_deref().unwrap_or("");
    let digest = Sha256::digest(format!("{bucket}\0{key}\0{}\0{version}", info.etag).as_bytes());
    let short: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{stamp}-{short}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(etag: &str, version: Option<&str>) -> ObjectInfo {
        ObjectInfo {
            etag: etag.to_string(),
            last_modified: 1_795_000_000,
            size: 10,
            version_id: version.map(str::to_string),
        }
    }

    #[test]
    fn a_sweeps_run_id_holds_its_time() {
        let at: Timestamp = "2026-12-02T06:00:00Z".parse().unwrap();
        assert_eq!(sweep_run_id(at), "sweep-20261202T060000Z");
        assert_eq!(sweep_time(&sweep_run_id(at)), Some(at));
        assert_eq!(sweep_time("20261202T060000Z-3f9a1c2e"), None);
    }

    #[test]
    fn run_ids_are_stable_per_object_version_and_sortable() {
        let a = run_id_for("b", "inbox/r.csv", &info("etag1", None));
        assert_eq!(a, run_id_for("b", "inbox/r.csv", &info("etag1", None)));
        assert_ne!(a, run_id_for("b", "inbox/r.csv", &info("etag2", None)));
        assert_ne!(a, run_id_for("b", "inbox/r.csv", &info("etag1", Some("v2"))));
        assert!(a.starts_with("20261118T"), "{a}");
        assert_eq!(a.len(), "20261118T000000Z-".len() + 8);
    }
}
