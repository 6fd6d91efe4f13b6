//! What Offboard tells people, as values: one [`Notice`] for each state a person must act
//! on or know of (a plan held for approval, a file refused, an approval refused, a run
//! stalled, a run completed).
//!
//! A notice carries its [`NoticeEvent`] (what a subscription filters on, so HR can take
//! completions only), a subject of at most 100 characters (SNS's limit), a plain-text body
//! that reads well in an email, and the JSON for machines. Publishing it, and publishing
//! it once, is the pipeline's business.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use crate::plan::Plan;
use crate::summary::RunSummary;
use crate::watch::Stall;

/// What happened, as the `event` attribute of the message names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeEvent {
    /// A plan waits for a person's approval; nothing was sent.
    PlanHeld,
    /// An input (a roster, an HR file, a sweep, an undo) was refused; nothing was sent.
    FileRejected,
    /// An approval was refused (the account changed, the policy is invalid, ...).
    ApprovalRefused,
    /// A run stopped getting results before it finished.
    RunStalled,
    /// A run finished: every action has its one result.
    RunCompleted,
}

impl NoticeEvent {
    pub const ALL: [NoticeEvent; 5] = [
        NoticeEvent::PlanHeld,
        NoticeEvent::FileRejected,
        NoticeEvent::ApprovalRefused,
        NoticeEvent::RunStalled,
        NoticeEvent::RunCompleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeEvent::PlanHeld => "plan_held",
            NoticeEvent::FileRejected => "file_rejected",
            NoticeEvent::ApprovalRefused => "approval_refused",
            NoticeEvent::RunStalled => "run_stalled",
            NoticeEvent::RunCompleted => "run_completed",
        }
    }
}

/// One message for the notification topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub event: NoticeEvent,
    pub run_id: String,
    /// At most 100 characters.
    pub subject: String,
    /// For people (email).
    pub text: String,
    /// For machines (queues, functions, webhooks).
    pub json: Value,
}

/// How many reasons a held plan's notice names, and how many changed users a refused
/// approval's: the rest are in the files the notice points to.
const TOP_REASONS: usize = 3;
const CHANGES_LISTED: usize = 20;

/// Where a run's files are, for a notice to point to (`s3://bucket/key`).
#[derive(Debug, Clone, Copy)]
pub struct RunFiles<'a> {
    pub bucket: &'a str,
    pub plan_key: &'a str,
    pub plan_summary_key: &'a str,
    pub plan_csv_key: &'a str,
}

/// The notice of a plan held for approval, `None` for a plan that is not held: the
/// counts, the top reasons rows are not acted on, who uploaded the input, the command
/// that approves it and where the plan and its report are.
pub fn plan_held(plan: &Plan, files: RunFiles<'_>) -> Option<Notice> {
    let hold = plan.body.hold.as_ref()?;
    let uploaded_by = plan.uploaded_by.as_deref();
    let run_id = plan.run_id.as_str();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for action in &plan.body.actions {
        *by_kind.entry(action.kind().as_str()).or_default() += 1;
    }
    let top_reasons = top_reasons(plan);
    let approve_command = format!("offboard approve {run_id} --bucket {}", files.bucket);
    let s3 = |key: &str| format!("s3://{}/{key}", files.bucket);
    let kinds = by_kind.iter().map(|(kind, n)| format!("{n} {kind}")).collect::<Vec<_>>().join(", ");
    let reasons = top_reasons.iter().map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(", ");
    let not_acted_on = plan.body.skipped.len();
    let mut text = format!(
        "Offboard is holding run {run_id} for a person's approval. Nothing has been sent to Zoom.\n\n\
         Why: {reason}\n\
         Source: {source}\n\
         Uploaded by: {uploader}\n\
         Planned at: {created}\n\n\
         To act on: {actions} ({kinds})\n\
         Not acted on: {not_acted_on} rows",
        reason = hold.reason,
        source = plan.source,
        uploader = uploaded_by.unwrap_or("not known (the event did not say)"),
        created = plan.created_at,
        actions = hold.actions,
        kinds = if kinds.is_empty() { "none".to_string() } else { kinds },
    );
    if !reasons.is_empty() {
        text.push_str(&format!(" (most often: {reasons})"));
    }
    text.push_str(&format!(
        "\n\nThe plan for people: {summary}\nEvery row and its decision: {csv}\nThe plan itself: {plan_json}\n\n\
         Read the plan; to send it, an approver runs:\n  {approve_command}\n\
         By default the approver must be someone other than whoever uploaded the input, and an \
         approval expires 72 hours after the hold (policy `approval`). Or do nothing: a held plan \
         is never sent without an approval.\n",
        summary = s3(files.plan_summary_key),
        csv = s3(files.plan_csv_key),
        plan_json = s3(files.plan_key),
    ));
    let json = json!({
        "event": NoticeEvent::PlanHeld,
        "run_id": run_id,
        "source": plan.source,
        "uploaded_by": uploaded_by,
        "planned_at": plan.created_at,
        "actions": hold.actions,
        "threshold": hold.threshold,
        "reason": hold.reason,
        "by_kind": by_kind,
        "not_acted_on": not_acted_on,
        "top_reasons": top_reasons.iter().map(|(code, n)| json!({"code": code, "rows": n})).collect::<Vec<_>>(),
        "plan": s3(files.plan_key),
        "plan_summary": s3(files.plan_summary_key),
        "plan_csv": s3(files.plan_csv_key),
        "approve_command": approve_command,
    });
    let subject = format!("Offboard run {run_id} held for approval: {} actions", hold.actions);
    Some(Notice { event: NoticeEvent::PlanHeld, run_id: run_id.to_string(), subject: cut(subject), text, json })
}

/// The codes rows are most often not acted on for, most first (then by code).
fn top_reasons(plan: &Plan) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for row in &plan.body.skipped {
        *counts.entry(row.reason.code()).or_default() += 1;
    }
    let mut counts: Vec<(&'static str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts.truncate(TOP_REASONS);
    counts
}

/// The notice of an input refused before anything was planned or sent.
pub fn file_rejected(run_id: &str, source: &str, kind: &str, error: &str, error_uri: &str) -> Notice {
    let text = format!(
        "Offboard refused {source} (run {run_id}). Nothing was planned or sent.\n\n\
         Why ({kind}): {error}\n\n\
         The refusal is recorded at {error_uri}. Fix the file and upload it again.\n"
    );
    let json = json!({
        "event": NoticeEvent::FileRejected,
        "run_id": run_id,
        "source": source,
        "kind": kind,
        "error": error,
        "error_object": error_uri,
    });
    let subject = format!("Offboard refused {}: {kind}", file_name(source));
    Notice { event: NoticeEvent::FileRejected, run_id: run_id.to_string(), subject: cut(subject), text, json }
}

/// The notice of a refused approval: why, and the users that changed (the first
/// [`CHANGES_LISTED`]; all of them are in the refusal object).
pub fn approval_refused(run_id: &str, reason: &str, changes: &[String], refusal_uri: &str) -> Notice {
    let listed = &changes[..changes.len().min(CHANGES_LISTED)];
    let mut text =
        format!("Offboard refused the approval of run {run_id}. Nothing was sent to Zoom.\n\nWhy: {reason}\n");
    if !listed.is_empty() {
        text.push_str("\nWhat changed:\n");
        for change in listed {
            text.push_str(&format!("  {change}\n"));
        }
        if changes.len() > listed.len() {
            text.push_str(&format!("  and {} more\n", changes.len() - listed.len()));
        }
    }
    text.push_str(&format!("\nThe refusal is recorded at {refusal_uri}.\n"));
    let json = json!({
        "event": NoticeEvent::ApprovalRefused,
        "run_id": run_id,
        "reason": reason,
        "changes": listed,
        "changes_total": changes.len(),
        "refusal_object": refusal_uri,
    });
    let subject = format!("Offboard approval of run {run_id} refused");
    Notice { event: NoticeEvent::ApprovalRefused, run_id: run_id.to_string(), subject: cut(subject), text, json }
}

/// The notice of a finished run; its JSON is the run's summary as written.
pub fn run_completed(summary: &RunSummary) -> Notice {
    let done = summary.count("done") + summary.count("already_done");
    let problems = summary.count("failed") + summary.count("gave_up");
    let subject = format!(
        "Offboard run {} finished: {done} done, {} skipped, {} not allowed, {problems} failed",
        summary.run_id,
        summary.count("skipped"),
        summary.count("not_allowed"),
    );
    let mut text = format!(
        "Offboard run {} finished: every one of its {} actions has its result.\n\n",
        summary.run_id, summary.planned
    );
    for (outcome, n) in &summary.by_outcome {
        text.push_str(&format!("  {outcome}: {n}\n"));
    }
    if !summary.by_reason.is_empty() {
        text.push_str("\nWhy, where it was not done:\n");
        for (reason, n) in &summary.by_reason {
            text.push_str(&format!("  {reason}: {n}\n"));
        }
    }
    text.push_str(&format!("\nLicences freed: {}", summary.licences_freed));
    if let Some(saving) = summary.monthly_saving {
        text.push_str(&format!(" (saving {saving:.2} a month)"));
    }
    text.push('\n');
    if !summary.deferred.is_empty() {
        text.push_str(&format!(
            "\nDeferred, still hosting meetings ({}): the sweep asks again after their last one\n",
            summary.deferred.len()
        ));
        for deferred in summary.deferred.iter().take(10) {
            let until = deferred.until.map_or_else(|| "not shown".to_string(), |until| until.to_string());
            text.push_str(&format!("  {} ({}), last meeting ends {until}\n", deferred.email, deferred.kind));
        }
    }
    text.push_str(&format!(
        "\nTook {:.0} s ({:.1} actions a second). Every action and its outcome: {}\n",
        summary.duration_seconds, summary.achieved_rate_per_second, summary.report_key
    ));
    let json = serde_json::to_value(summary).unwrap_or(Value::Null);
    Notice { event: NoticeEvent::RunCompleted, run_id: summary.run_id.clone(), subject: cut(subject), text, json }
}

/// The notice of a run that stopped getting results; its JSON is the stall.
pub fn run_stalled(stall: &Stall) -> Notice {
    let text = format!(
        "Offboard run {} has stalled: {} of its {} actions have a result, and none came for {} minutes \
         (the last at {}).\n\n\
         The executor's logs, the action queue's age and its dead-letter queue say why.\n",
        stall.run_id,
        stall.results,
        stall.actions,
        stall.quiet_seconds / 60,
        stall.last_activity,
    );
    let json = serde_json::to_value(stall).unwrap_or(Value::Null);
    Notice { event: NoticeEvent::RunStalled, run_id: stall.run_id.clone(), subject: stall.subject(), text, json }
}

/// The file's name in `s3://bucket/folder/name`, for a subject.
fn file_name(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

/// At most 100 characters, as SNS requires of a subject.
fn cut(subject: String) -> String {
    if subject.chars().count() <= 100 {
        subject
    } else {
        subject.chars().take(100).collect()
    }
}

#[cfg(test)]
mod tests;
