//! The end of a run: one summary and one report, made from every action's result.
//!
//! Written once, by whichever executor records the run's last result
//! (`runs/<run>/summary.json` and `report.csv`), and announced on the notification topic.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::action::ActionKind;
use crate::backup::excel_safe;
use crate::outcome::{ActionResult, Outcome};
use crate::snapshot::UserType;

pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// What `runs/<run>/summary.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub schema_version: u32,
    pub run_id: String,
    /// Actions the plan sent.
    pub planned: usize,
    /// Actions with a recorded result: equal to `planned` when the run is complete.
    pub terminal: usize,
    /// `done`, `skipped`, `not_allowed`, ... → how many.
    pub by_outcome: BTreeMap<String, usize>,
    /// `outcome: reason` → how many, the reason being a code, never Zoom's message.
    pub by_reason: BTreeMap<String, usize>,
    /// Results recorded on a later claim than the first: after a transient failure, or
    /// a takeover from an invocation that died holding the claim.
    pub retried: usize,
    /// The first claim and the last result.
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_seconds: f64,
    /// Actions finished per second between the two.
    pub achieved_rate_per_second: f64,
    pub report_key: String,
    pub completed_at: Timestamp,
    /// Paid licences the run took back: users licensed before it whom it deactivated
    /// (Zoom removes a deactivated user's licences), downgraded or deleted.
    #[serde(default)]
    pub licences_freed: usize,
    /// What those licences cost a month, with `policy.licence_monthly_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_saving: Option<f64>,
    /// The actions left undone because their user still hosted upcoming meetings: the
    /// sweep rechecks each after its last meeting (or `sweep.recheck_deferred_days`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<Deferred>,
}

/// The code of a result skipped because the user still hosts upcoming meetings.
pub const HOSTS_UPCOMING_MEETINGS: &str = "hosts_upcoming_meetings";

/// An action deferred: skipped because its user still hosted upcoming meetings, so its
/// licence is reclaimed later, by a sweep, once they are over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferred {
    pub action_id: String,
    pub email: String,
    pub kind: ActionKind,
    /// When the executor found the meetings.
    pub deferred_at: Timestamp,
    /// When the last of them ends, when Zoom showed them all; else the recheck interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

impl Deferred {
    /// The deferral a result records, if it is one.
    pub fn of(result: &ActionResult) -> Option<Deferred> {
        let Outcome::Skipped { code, .. } = &result.outcome else { return None };
        (code == HOSTS_UPCOMING_MEETINGS).then(|| Deferred {
            action_id: result.action_id.clone(),
            email: result.email.clone(),
            kind: result.kind,
            deferred_at: result.finished_at.parse().unwrap_or(Timestamp::UNIX_EPOCH),
            until: result.findings.last_meeting_ends,
        })
    }

    /// When a sweep may look at the user again: after their last meeting, and at the
    /// latest `recheck_days` after the deferral (meetings may be added, or never shown).
    pub fn recheck_at(&self, recheck_days: u32) -> Timestamp {
        let interval = self.deferred_at + jiff::SignedDuration::from_hours(24 * i64::from(recheck_days));
        self.until.map_or(interval, |until| until.min(interval))
    }
}

impl RunSummary {
    pub fn count(&self, outcome: &str) -> usize {
        self.by_outcome.get(outcome).copied().unwrap_or(0)
    }

    /// The summary with the monthly saving its freed licences make at `price` each.
    pub fn priced(self, price: Option<f64>) -> Self {
        let monthly_saving = price.map(|price| (price * self.licences_freed as f64 * 100.0).round() / 100.0);
        RunSummary { monthly_saving, ..self }
    }
}

/// Whether `result` took a paid licence back: done, on a user licensed before, by a change
/// that leaves no licence (a restore gives one back; it is not counted either way).
fn frees_a_licence(result: &ActionResult) -> bool {
    let performed = result.performed.unwrap_or(result.kind);
    result.outcome.applied()
        && matches!(performed, ActionKind::Deactivate | ActionKind::Downgrade | ActionKind::Delete)
        && result.prior.as_ref().is_some_and(|prior| prior.user_type == UserType::Licensed)
}

/// The summary of `results`, of a run that planned `planned` actions.
pub fn summarize(
    run_id: &str,
    planned: usize,
    results: &[ActionResult],
    report_key: &str,
    now: Timestamp,
) -> RunSummary {
    let mut by_outcome = BTreeMap::new();
    let mut by_reason = BTreeMap::new();
    for result in results {
        let label = result.outcome.label();
        *by_outcome.entry(label.to_string()).or_insert(0) += 1;
        *by_reason.entry(format!("{label}: {}", result.outcome.reason_code())).or_insert(0) += 1;
    }
    let parse = |text: &str| text.parse::<Timestamp>().ok();
    let started_at = results.iter().filter_map(|r| parse(&r.started_at).or_else(|| parse(&r.finished_at))).min();
    let finished_at = results.iter().filter_map(|r| parse(&r.finished_at)).max();
    let duration_seconds = match (started_at, finished_at) {
        (Some(start), Some(end)) => end.duration_since(start).as_secs_f64().max(0.0),
        _ => 0.0,
    };
    let achieved_rate_per_second = if duration_seconds > 0.0 { results.len() as f64 / duration_seconds } else { 0.0 };
    RunSummary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        run_id: run_id.to_string(),
        planned,
        terminal: results.len(),
        by_outcome,
        by_reason,
        retried: results.iter().filter(|r| r.attempt > 1).count(),
        started_at,
        finished_at,
        duration_seconds,
        achieved_rate_per_second,
        report_key: report_key.to_string(),
        completed_at: now,
        licences_freed: results.iter().filter(|r| frees_a_licence(r)).count(),
        monthly_saving: None,
        deferred: results.iter().filter_map(Deferred::of).collect(),
    }
}

/// `report.csv`: one row per action, in action order; cells Excel would run are quoted.
pub fn report_csv(results: &[ActionResult]) -> Vec<u8> {
    let mut sorted: Vec<&ActionResult> = results.iter().collect();
    sorted.sort_by(|a, b| a.action_id.cmp(&b.action_id));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "action_id",
        "email",
        "user_id",
        "kind",
        "performed",
        "outcome",
        "reason",
        "detail",
        "upcoming_meetings",
        "cloud_recordings",
        "attempt",
        "started_at",
        "finished_at",
    ];
    // Writing to a Vec cannot fail; a failed row would only shorten the report.
    let _ = writer.write_record(header);
    for r in sorted {
        let detail = match &r.outcome {
            Outcome::Skipped { reason, .. } | Outcome::GaveUp { reason, .. } | Outcome::Failed { reason, .. } => {
                reason.clone()
            }
            _ => r.zoom_message.clone().unwrap_or_default(),
        };
        let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        let _ = writer.write_record([
            excel_safe(&r.action_id).as_ref(),
            &excel_safe(&r.email),
            &excel_safe(&r.user_id),
            r.kind.as_str(),
            r.performed.map(|k| k.as_str()).unwrap_or(""),
            r.outcome.label(),
            &excel_safe(&r.outcome.reason_code()),
            &excel_safe(&detail),
            &count(r.findings.upcoming_meetings),
            &count(r.findings.cloud_recordings),
            &r.attempt.to_string(),
            &r.started_at,
            &r.finished_at,
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionKind;
    use crate::outcome::Findings;

    fn result(id: &str, outcome: Outcome, attempt: u32, started: &str, finished: &str) -> ActionResult {
        ActionResult {
            run_id: "r".into(),
            action_id: id.into(),
            kind: ActionKind::Deactivate,
            user_id: format!("u{id}"),
            email: format!("=u{id}@acme.example"),
            outcome,
            performed: None,
            findings: Findings { upcoming_meetings: Some(0), ..Findings::default() },
            zoom_message: None,
            prior: None,
            attempt,
            started_at: started.into(),
            finished_at: finished.into(),
        }
    }

    #[test]
    fn licences_freed_are_the_done_changes_to_users_licensed_before_and_priced_by_the_policy() {
        use crate::action::UserState;
        use crate::snapshot::UserStatus;
        let prior =
            |user_type: u8| Some(UserState { status: UserStatus::Active, user_type: user_type.into(), role_id: None });
        let mut results = Vec::new();
        for (id, kind, outcome, user_type) in [
            ("1", ActionKind::Deactivate, Outcome::Done, 2),
            ("2", ActionKind::Downgrade, Outcome::Done, 2),
            ("3", ActionKind::Delete, Outcome::Done, 2),
            ("4", ActionKind::Deactivate, Outcome::Done, 1),
            ("5", ActionKind::Deactivate, Outcome::AlreadyDone { http_status: 404, code: 1001 }, 2),
            ("6", ActionKind::Restore, Outcome::Done, 2),
        ] {
            let mut r = result(id, outcome, 1, "2026-11-23T10:00:00Z", "2026-11-23T10:00:01Z");
            (r.kind, r.prior) = (kind, prior(user_type));
            results.push(r);
        }
        let now: Timestamp = "2026-11-23T10:01:00Z".parse().unwrap();
        let summary = summarize("r", 6, &results, "k", now);
        assert_eq!(summary.licences_freed, 3, "basic, already done by someone else and a restore free none");
        assert_eq!(summary.clone().priced(Some(14.99)).monthly_saving, Some(44.97));
        assert_eq!(summary.priced(None).monthly_saving, None);
    }

    #[test]
    fn counts_by_outcome_and_reason_and_measures_the_rate() {
        let results = vec![
            result("0002", Outcome::Done, 1, "2026-11-23T10:00:00Z", "2026-11-23T10:00:01Z"),
            result("0001", Outcome::Done, 2, "2026-11-23T10:00:02Z", "2026-11-23T10:00:03Z"),
            result(
                "0003",
                Outcome::NotAllowed { http_status: 400, code: 200, reason: "a Zoom Room or an admin".into() },
                1,
                "2026-11-23T10:00:01Z",
                "2026-11-23T10:00:04Z",
            ),
            result(
                "0004",
                Outcome::Skipped { code: "hosts_upcoming_meetings".into(), reason: "hosts 2 upcoming meetings".into() },
                1,
                "2026-11-23T10:00:01Z",
                "2026-11-23T10:00:02Z",
            ),
        ];
        let now: Timestamp = "2026-11-23T10:01:00Z".parse().unwrap();
        let summary = summarize("r", 4, &results, "runs/r/report.csv", now);
        assert_eq!((summary.planned, summary.terminal, summary.retried), (4, 4, 1));
        assert_eq!((summary.count("done"), summary.count("not_allowed"), summary.count("skipped")), (2, 1, 1));
        assert_eq!(summary.by_reason["skipped: hosts_upcoming_meetings"], 1);
        assert_eq!(summary.by_reason["not_allowed: a Zoom Room or an admin (zoom code 200)"], 1);
        assert_eq!(summary.duration_seconds, 4.0);
        assert_eq!(summary.achieved_rate_per_second, 1.0);
        assert_eq!(summary.monthly_saving, None);

        let csv = String::from_utf8(report_csv(&results)).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[1].starts_with("0001,'=u0001@acme.example,u0001,deactivate,,done,done,,0,,2,"), "{}", lines[1]);
        assert!(lines[4].contains(",skipped,hosts_upcoming_meetings,hosts 2 upcoming meetings,"), "{}", lines[4]);
    }
}
