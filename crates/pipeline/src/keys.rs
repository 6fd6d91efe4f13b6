//! Object keys: decoding the keys S3 events carry, and naming what a run writes.

use percent_encoding::percent_decode_str;

/// Decodes an S3 event key: form-style URL encoding, where `+` is a space and a real
/// `+` arrives as `%2B` (`inbox/Q4+leavers%2Bcontractors.csv` → `inbox/Q4 leavers+contractors.csv`).
pub fn decode_event_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

pub fn plan_key(run_id: &str) -> String {
    format!("runs/{run_id}/plan.json")
}

pub fn error_key(run_id: &str) -> String {
    format!("runs/{run_id}/error.json")
}

pub fn plan_csv_key(run_id: &str) -> String {
    format!("runs/{run_id}/plan.csv")
}

pub fn plan_summary_key(run_id: &str) -> String {
    format!("runs/{run_id}/plan-summary.txt")
}

/// Written once the plan's actions are all on the queue: a redelivered event that finds
/// it sends nothing.
pub fn sent_key(run_id: &str) -> String {
    format!("runs/{run_id}/sent.json")
}

pub fn approval_key(run_id: &str) -> String {
    format!("approvals/{run_id}.json")
}

/// The approval as the planner checked it (`approved.json`): what it sends, written once.
pub fn approved_key(run_id: &str) -> String {
    format!("runs/{run_id}/approved.json")
}

pub fn approval_refused_key(run_id: &str) -> String {
    format!("runs/{run_id}/approval-refused.json")
}

/// HR terminations not yet due, by the run that read them.
pub fn schedule_key(run_id: &str) -> String {
    format!("schedule/{run_id}.json")
}

pub const SCHEDULE_PREFIX: &str = "schedule/";

/// The policy object; absent means the deployment's defaults.
pub const POLICY_KEY: &str = "config/policy.json";

pub fn backup_key(run_id: &str) -> String {
    format!("backups/{run_id}/users.csv")
}

pub fn backup_jsonl_key(run_id: &str) -> String {
    format!("backups/{run_id}/users.jsonl.gz")
}

pub fn backup_manifest_key(run_id: &str) -> String {
    format!("backups/{run_id}/manifest.json")
}

pub fn result_key(run_id: &str, action_id: &str) -> String {
    format!("runs/{run_id}/results/{action_id}.json")
}

pub fn results_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/results/")
}

/// The claims on one action, numbered by attempt: `runs/<run>/claims/<action>/<n>.json`.
pub fn claims_prefix(run_id: &str, action_id: &str) -> String {
    format!("runs/{run_id}/claims/{action_id}/")
}

pub fn claim_key(run_id: &str, action_id: &str, attempt: u32) -> String {
    format!("runs/{run_id}/claims/{action_id}/{attempt}.json")
}

/// How many actions the run sent: written before the first is sent, so the watcher
/// knows when the run has every result.
pub fn run_header_key(run_id: &str) -> String {
    format!("runs/{run_id}/run.json")
}

pub fn summary_key(run_id: &str) -> String {
    format!("runs/{run_id}/summary.json")
}

pub fn report_key(run_id: &str) -> String {
    format!("runs/{run_id}/report.csv")
}

/// Written once the run's notification is published: a later completion check that
/// finds it publishes nothing.
pub fn notified_key(run_id: &str) -> String {
    format!("runs/{run_id}/notified.json")
}

/// Written once a planner notice of the run (a held plan, a refused file, a refused
/// approval) is published: `runs/<run>/notices/<event>[-<which>].json`. `which` tells
/// apart notices of one event that are not the same (two refused approvals).
pub fn notice_key(run_id: &str, event: &str, which: Option<&str>) -> String {
    match which {
        Some(which) => format!("runs/{run_id}/notices/{event}-{which}.json"),
        None => format!("runs/{run_id}/notices/{event}.json"),
    }
}

/// The claims on publishing the run's notification, numbered as an action's claims are:
/// `runs/<run>/notify-claims/<n>.json`.
pub fn notify_claims_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/notify-claims/")
}

pub fn notify_claim_key(run_id: &str, attempt: u32) -> String {
    format!("runs/{run_id}/notify-claims/{attempt}.json")
}

/// The results one executor batch recorded, copied together (`runs/<run>/digests/<batch>.json`),
/// so the run's summary reads one object per batch instead of one per action. The results
/// stay the truth: one a digest lacks is read on its own.
/// `batch_id` (Lambda's request id) keeps only letters, digits, `-` and `_`.
pub fn digest_key(run_id: &str, batch_id: &str) -> String {
    let batch: String =
        batch_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("runs/{run_id}/digests/{batch}.json")
}

pub fn digests_prefix(run_id: &str) -> String {
    format!("runs/{run_id}/digests/")
}

/// The run was announced as stalled with this many results (write-once, so each count is
/// announced once).
pub fn stalled_key(run_id: &str, results: usize) -> String {
    format!("runs/{run_id}/stalled/{results}.json")
}

/// The watcher's list of runs to watch: `watch/<run>.json`, written by the planner before
/// it sends a run's first action, deleted by the watcher once the run's end is announced.
pub const WATCH_PREFIX: &str = "watch/";

pub fn watch_key(run_id: &str) -> String {
    format!("{WATCH_PREFIX}{run_id}.json")
}

/// The run a `watch/<run>.json` key names.
pub fn run_of_watch_key(key: &str) -> Option<&str> {
    key.strip_prefix(WATCH_PREFIX)?.strip_suffix(".json").filter(|run| !run.is_empty() && !run.contains('/'))
}

/// An admin asks for the undo of `<run>` by writing `undo/<run>.json`.
pub const UNDO_PREFIX: &str = "undo/";

/// The actions a finished run deferred (their users still hosted meetings), by run:
/// `deferred/<run>.json`, written by whoever finishes the run, taken up by the sweep.
pub const DEFERRED_PREFIX: &str = "deferred/";

pub fn deferred_key(run_id: &str) -> String {
    format!("{DEFERRED_PREFIX}{run_id}.json")
}

/// Cancels of what waits under `schedule/`: `cancel/<name>.json`.
pub const CANCEL_PREFIX: &str = "cancel/";

/// The run id of the cancel `cancel/<name>.json`.
pub fn cancel_run_id(name: &str) -> String {
    format!("cancel-{name}")
}

/// What a cancel took off the schedule, and who asked (write-once).
pub fn cancelled_key(run_id: &str) -> String {
    format!("runs/{run_id}/cancelled.json")
}

/// The run id of the undo of `run_id`.
pub fn undo_run_id(run_id: &str) -> String {
    format!("undo-{run_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_keys_as_s3_events_encode_them() {
        assert_eq!(decode_event_key("inbox%2FQ4+leavers%2Bcontractors.csv"), "inbox/Q4 leavers+contractors.csv");
        assert_eq!(decode_event_key("inbox/Q4+leavers%2Bcontractors.csv"), "inbox/Q4 leavers+contractors.csv");
        assert_eq!(decode_event_key("inbox/caf%C3%A9.csv"), "inbox/café.csv");
        assert_eq!(decode_event_key("inbox/plain.csv"), "inbox/plain.csv");
    }

    #[test]
    fn a_watch_key_names_its_run_and_nothing_else_does() {
        assert_eq!(run_of_watch_key(&watch_key("roster-1a2b")), Some("roster-1a2b"));
        assert_eq!(run_of_watch_key("watch/.json"), None);
        assert_eq!(run_of_watch_key("watch/a/b.json"), None);
        assert_eq!(run_of_watch_key("watch/notes.txt"), None);
        assert_eq!(run_of_watch_key("runs/r/run.json"), None);
    }
}
