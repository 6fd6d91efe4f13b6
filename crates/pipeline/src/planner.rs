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

use std::sync::Arc;

use jiff::Timestamp;
use offboard_core::approval::{self, ApprovalFacts};
use offboard_core::notice::{self, RunFiles};
use offboard_core::{parse_policy_over, Account, ActionMessage, ActionResult, InputError, Plan, Policy, PolicyError};
use offboard_zoom::{ErrorKind, ZoomCall, ZoomClient, ZoomError};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::approval::{changes_since_backup, withheld_result, withhold, Approval, ApprovalRefusal, Approved};
use crate::cancel::{read_request, rescind};
use crate::clock::now_rfc3339;
use crate::completion::{complete_if_done, RunHeader};
use crate::error::PipelineError;
use crate::executor::actions_calls;
use crate::input::{assemble_plan, executor_pace, read_hr, read_roster, PlanHeader, ReadInput};
use crate::keys;
use crate::ledger::record_unacted;
use crate::notify::{announce_once, refusal_digest, Notifier};
use crate::outputs::{back_up, write_plan_outputs};
use crate::queue::ActionQueue;
use crate::schedule::{sweep_input, take_up};
use crate::signing::{read_signed_plan, write_signed_plan, PlanSigner};
use crate::store::{ObjectInfo, PutOnce, Store};
use crate::trigger::{
    run_id_for, sweep_run_id, Input, SweepRequest, APPROVALS_PREFIX, CANCEL_PREFIX, HR_PREFIX, INBOX_PREFIX,
    UNDO_PREFIX,
};

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
    /// A cancel: `cancelled.json` records what it took off the schedule (maybe nothing).
    Cancelled { run_id: String, cancelled: usize },
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
    /// `principal` is who uploaded it, as the event names them (`userIdentity.principalId`):
    /// the plan records it, and an approval is judged against it.
    pub async fn plan_object(
        &self,
        bucket: &str,
        event_key: &str,
        version: Option<&str>,
        principal: Option<&str>,
    ) -> Result<PlanReport, PipelineError> {
        let principal = principal.map(str::to_string);
        let key = keys::decode_event_key(event_key);
        let store = Store::new(self.s3.clone(), bucket);
        if key.ends_with('/') {
            return Ok(PlanReport::Ignored { key, reason: "a folder".to_string() });
        }
        if let Some(run_id) = key.strip_prefix(APPROVALS_PREFIX).and_then(|k| k.strip_suffix(".json")) {
            let span = tracing::info_span!("approve", run_id = %run_id);
            return self.approve(&store, run_id, &key, principal.as_deref()).instrument(span).await;
        }
        if let Some(name) = key.strip_prefix(CANCEL_PREFIX).and_then(|k| k.strip_suffix(".json")) {
            let run_id = keys::cancel_run_id(name);
            let span = tracing::info_span!("cancel", run_id = %run_id);
            return self.cancel(&store, run_id, &key, principal.as_deref()).instrument(span).await;
        }
        let input = match Input::for_object(&key) {
            Some(Input::Undo { key, of }) => {
                let run_id = keys::undo_run_id(&of);
                let span = tracing::info_span!("undo", run_id = %run_id, of = %of);
                return self.plan_run(&store, run_id, Input::Undo { key, of }, None, principal).instrument(span).await;
            }
            Some(input) => input,
            None => {
                let reason =
                    format!("not an input: expected {INBOX_PREFIX}, {HR_PREFIX}, {APPROVALS_PREFIX} or {UNDO_PREFIX}");
                return Ok(PlanReport::Ignored { key, reason });
            }
        };
        let Some(info) = store.head_version(&key, version).await? else {
            tracing::warn!(%key, ?version, "the version the event names is gone; nothing read");
            return Ok(PlanReport::Gone { key, version: version.map(str::to_string) });
        };
        let run_id = run_id_for(bucket, &key, &info);
        let span = tracing::info_span!("plan", run_id = %run_id, key = %key);
        self.plan_run(&store, run_id, input, Some(info), principal).instrument(span).await
    }

    /// The scheduled sweep as of `now`: inactive users, and HR terminations now due. The
    /// run id comes from the event's time, so a redelivered event lands in the same run.
    pub async fn sweep(&self, bucket: &str, request: SweepRequest) -> Result<PlanReport, PipelineError> {
        let store = Store::new(self.s3.clone(), bucket);
        let run_id = sweep_run_id(request.now);
        let span = tracing::info_span!("sweep", run_id = %run_id);
        self.plan_run(&store, run_id, Input::Sweep(request), None, None).instrument(span).await
    }

    async fn plan_run(
        &self,
        store: &Store,
        run_id: String,
        input: Input,
        info: Option<ObjectInfo>,
        uploaded_by: Option<String>,
    ) -> Result<PlanReport, PipelineError> {
        let plan_key = keys::plan_key(&run_id);
        if store.exists(&plan_key).await? {
            tracing::info!("plan already written by an earlier delivery");
            return self.resume_written(store, &run_id).await;
        }
        let source = input.source(store.bucket());
        let rejected = |error: String, kind: &'static str| self.reject(store, &run_id, &source, error, kind);

        let mut policy = match self.policy(store).await? {
            Ok(policy) => policy,
            Err(error) => return rejected(error.to_string(), "invalid_policy").await,
        };
        let now = input.now();
        if let Input::Sweep(sweep) = &input {
            policy.sweep.inactive_days = sweep.inactive_days.unwrap_or(policy.sweep.inactive_days);
            policy.sweep.action = sweep.action.unwrap_or(policy.sweep.action);
        }
        let mut read = match self.read(store, &input, info.as_ref(), &policy, now).await? {
            Ok(read) => read,
            Err((error, kind)) => return rejected(error, kind).await,
        };
        if !read.rescinds.is_empty() {
            let asked = read.rescinds.iter().map(|(_, rescind)| rescind.clone()).collect();
            rescind(store, &run_id, &source, asked, uploaded_by.as_deref(), None).await?;
        }

        if let Some(missing) = self.missing_scopes(&PLANNER_CALLS).await? {
            return rejected(missing, "missing_scope").await;
        }
        let listing_started = std::time::Instant::now();
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
            read = sweep_input(store, &self.signer, &account, &policy, now).await?;
        }
        let listed = listing_started.elapsed();
        let backup_key = back_up(store, &run_id, &account.users, &input, info.as_ref()).await?;
        let backed_up = listing_started.elapsed();

        let header = PlanHeader {
            run_id: run_id.clone(),
            kind: input.plan_source(),
            source: source.clone(),
            created_at: now_rfc3339(),
            backup_key,
            uploaded_by,
        };
        let plan = assemble_plan(header, read, &account, &policy, executor_pace(&self.zoom));
        // The plan is all that is left to write: the account goes before its JSON is made.
        drop(account);
        let decided = listing_started.elapsed();
        if let Some(missing) = self.missing_scopes(&actions_calls(&plan.body.actions)).await? {
            return rejected(format!("{missing}; nothing was planned or sent"), "missing_scope").await;
        }
        if write_signed_plan(store, &self.signer, &plan).await? == PutOnce::AlreadyExists {
            tracing::info!("a concurrent delivery wrote the plan first");
            return self.resume_written(store, &run_id).await;
        }
        write_plan_outputs(store, &plan).await?;
        let written = listing_started.elapsed();
        // Where a big account's minutes go: listing is Zoom's rate limit, the rest is ours.
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            listing_ms = ms(listed),
            backup_ms = ms(backed_up - listed),
            decide_ms = ms(decided - backed_up),
            write_ms = ms(written - decided),
            "planner phases"
        );
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
                self.reject(store, run_id, &source, format!("{reason}; nothing sent"), "plan_not_signed").await
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
            take_up(store, &plan).await?;
            complete_if_done(store, self.notifier.as_ref(), &run_id).await?;
            return Ok(PlanReport::AlreadySent { run_id });
        }
        if let (Some(hold), None) = (&plan.body.hold, &approval) {
            // When an approval is there but this delivery is not it, the approval's own
            // event sends the plan, so that its checks always run.
            let reason = if store.exists(&keys::approval_key(&run_id)).await? {
                "approval present; its own event sends the plan".to_string()
            } else {
                // Nobody has answered yet: the approvers are told (once per run).
                self.announce_hold(store, &plan).await?;
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
                record_unacted(store, &result, "planner: withheld by the approval", crate::clock::now()).await?;
            }
        }
        let messages: Vec<ActionMessage> =
            to_send.iter().map(|a| ActionMessage::new(&plan.run_id, (*a).clone())).collect();
        // Before the first message: the watcher counts the run's results against it.
        // Every action counts, the withheld ones too: they have their results already.
        let header = RunHeader {
            run_id: run_id.clone(),
            actions: plan.body.actions.len(),
            plan_key: keys::plan_key(&run_id),
            sent_at: now_rfc3339(),
            licence_monthly_price: plan.licence_monthly_price,
        };
        store.put_json(&keys::run_header_key(&run_id), &header).await?;
        if !messages.is_empty() {
            // The watcher finishes (or announces as stalled) only the runs listed here.
            store.put_json(&keys::watch_key(&run_id), &header).await?;
        }
        let sent = self.queue.send_all(&messages).await?;
        take_up(store, &plan).await?;
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
    async fn approve(
        &self,
        store: &Store,
        run_id: &str,
        approval_key: &str,
        approver: Option<&str>,
    ) -> Result<PlanReport, PipelineError> {
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
        // Who approves and when, before anything else is looked at: the uploader may not
        // approve their own plan, and an approval long after the hold is refused.
        let facts = ApprovalFacts {
            uploaded_by: plan.uploaded_by.as_deref(),
            approved_by: approver,
            held_at: &plan.created_at,
            now: crate::clock::now(),
        };
        if let Some(reason) = approval::refusal(facts, &policy.approval) {
            return self.refuse_approval(store, run_id, format!("{reason}; nothing sent"), &[]).await;
        }
        let current = self.snapshot().await?;
        let changes = changes_since_backup(&plan, &current);
        if !changes.is_empty() {
            let reason = format!(
                "the account changed since the backup of this plan ({} of its users differ); plan the file again",
                changes.len()
            );
            return self.refuse_approval(store, run_id, reason, &changes).await;
        }
        let withheld = withhold(&plan, &current, &policy);
        let approved = Approved {
            run_id: run_id.to_string(),
            approved_by: approval.approved_by,
            approver: approver.map(str::to_string),
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

    /// A cancel object: what waits for what it names is taken off the schedule, recorded
    /// with who uploaded it. An unreadable one is refused (`error.json`) and cancels nothing.
    async fn cancel(
        &self,
        store: &Store,
        run_id: String,
        key: &str,
        by: Option<&str>,
    ) -> Result<PlanReport, PipelineError> {
        let source = store.uri(key);
        let request = match read_request(store, key).await? {
            Ok(request) => request,
            Err(error) => return self.reject(store, &run_id, &source, error, "invalid_cancel").await,
        };
        let record = rescind(store, &run_id, &source, vec![request.what.clone()], by, Some(&request)).await?;
        Ok(PlanReport::Cancelled { run_id, cancelled: record.cancelled.len() })
    }

    /// Tells the approvers that `plan` waits for them, once per run.
    async fn announce_hold(&self, store: &Store, plan: &Plan) -> Result<(), PipelineError> {
        let run_id = plan.run_id.as_str();
        let (plan_key, plan_summary_key, plan_csv_key) =
            (keys::plan_key(run_id), keys::plan_summary_key(run_id), keys::plan_csv_key(run_id));
        let files = RunFiles {
            bucket: store.bucket(),
            plan_key: &plan_key,
            plan_summary_key: &plan_summary_key,
            plan_csv_key: &plan_csv_key,
        };
        let Some(notice) = notice::plan_held(plan, files) else {
            return Ok(());
        };
        let marker = keys::notice_key(run_id, notice.event.as_str(), None);
        announce_once(store, self.notifier.as_ref(), &notice, &marker).await
    }

    async fn refuse_approval(
        &self,
        store: &Store,
        run_id: &str,
        reason: String,
        changes: &[String],
    ) -> Result<PlanReport, PipelineError> {
        let refusal_key = keys::approval_refused_key(run_id);
        let body = ApprovalRefusal { run_id, reason: &reason, changes, refused_at: now_rfc3339() };
        store.put_json(&refusal_key, &body).await?;
        tracing::warn!(%reason, "approval refused; nothing sent");
        let notice = notice::approval_refused(run_id, &reason, changes, &store.uri(&refusal_key));
        // One notice per distinct refusal: a redelivered approval event is the same one.
        let which = refusal_digest(&reason, changes);
        let marker = keys::notice_key(run_id, notice.event.as_str(), Some(&which));
        announce_once(store, self.notifier.as_ref(), &notice, &marker).await?;
        Ok(PlanReport::ApprovalRefused { run_id: run_id.to_string(), reason })
    }

    /// Records why a run's input was refused (`error.json`) and tells the admins; nothing
    /// is sent.
    async fn reject(
        &self,
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
        let notice = notice::file_rejected(run_id, source, kind, &error, &store.uri(&error_key));
        let marker = keys::notice_key(run_id, notice.event.as_str(), None);
        announce_once(store, self.notifier.as_ref(), &notice, &marker).await?;
        Ok(PlanReport::Rejected { run_id: run_id.to_string(), error_key, error })
    }

    /// The input read into requests, or why it was refused (the reason, and its kind for
    /// `error.json`): a file over the policy's size limit is refused before it is read.
    async fn read(
        &self,
        store: &Store,
        input: &Input,
        info: Option<&ObjectInfo>,
        policy: &Policy,
        now: Timestamp,
    ) -> Result<Result<ReadInput, (String, &'static str)>, PipelineError> {
        if let (Some(key), Some(info)) = (input.file_key(), info) {
            if info.size > policy.max_file_bytes {
                let error =
                    InputError::TooLarge { file: key.to_string(), size: info.size, limit: policy.max_file_bytes };
                return Ok(Err((error.to_string(), error.kind())));
            }
        }
        let version = info.and_then(|i| i.version_id.as_deref());
        let read =
            match input {
                Input::Roster { key } => read_roster(key, &store.get_version(key, version).await?, policy),
                Input::Hr { key } => read_hr(key, &store.get_version(key, version).await?, policy, now),
                Input::Sweep(_) => Ok(ReadInput::default()),
                Input::Undo { of, .. } => {
                    return Ok(self.results_to_undo(store, of).await?.map_err(|error| (error, "not_undoable")).map(
                        |results| ReadInput { format: "undo".to_string(), undo: results, ..ReadInput::default() },
                    ))
                }
            };
        Ok(read.map_err(|error| (error.to_string(), error.kind())))
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
}
