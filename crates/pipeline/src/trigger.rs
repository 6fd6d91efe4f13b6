//! What starts a run, and the run id each start gives it: an object under one of the
//! input prefixes, or the scheduled sweep. The id is derived from the trigger alone, so
//! every delivery of the same event lands in the same run; that is what makes a
//! redelivery harmless. Kept apart from the planner so what names a run (and what the
//! CLI writes to start one) does not depend on how a run is planned.

use jiff::Timestamp;
use offboard_core::{ActionKind, PlanSource};
use sha2::{Digest, Sha256};

use crate::keys;
use crate::store::ObjectInfo;

/// Rosters are read from under this prefix.
pub const INBOX_PREFIX: &str = "inbox/";
/// HR termination files.
pub const HR_PREFIX: &str = "hr/";
/// Approvals of held runs: `approvals/<run>.json`.
pub const APPROVALS_PREFIX: &str = "approvals/";
/// Undo requests: `undo/<run>.json`.
pub const UNDO_PREFIX: &str = keys::UNDO_PREFIX;
/// Cancels of scheduled terminations and staged deletes: `cancel/<name>.json`.
pub const CANCEL_PREFIX: &str = keys::CANCEL_PREFIX;
/// Every prefix whose new objects start (or approve, or undo) a run: the bucket's event
/// notifications to the planner, in the stack and on the local stack, are exactly these
/// (`tests/cdk_app.rs` holds the CDK app's list to this one).
pub const TRIGGER_PREFIXES: [&str; 5] = [INBOX_PREFIX, HR_PREFIX, APPROVALS_PREFIX, UNDO_PREFIX, CANCEL_PREFIX];
/// The prefixes of the uploaded files a run plans from, whose version the event names.
pub const FILE_INPUT_PREFIXES: [&str; 2] = [INBOX_PREFIX, HR_PREFIX];

/// What a run plans from: every fact of an input's kind is a method here, so the planner
/// reads straight through and a new kind of input is a variant and its arms.
pub(crate) enum Input {
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

impl Input {
    /// The input an object under `key` starts, or `None` when it starts no plan (outside
    /// the prefixes, or an approval: that sends a plan already made).
    pub(crate) fn for_object(key: &str) -> Option<Input> {
        if let Some(of) = key.strip_prefix(UNDO_PREFIX).and_then(|k| k.strip_suffix(".json")) {
            return Some(Input::Undo { key: key.to_string(), of: of.to_string() });
        }
        if key.starts_with(INBOX_PREFIX) {
            Some(Input::Roster { key: key.to_string() })
        } else if key.starts_with(HR_PREFIX) {
            Some(Input::Hr { key: key.to_string() })
        } else {
            None
        }
    }

    /// The uploaded file the run plans from (whose size is checked and whose version the
    /// event names), for the inputs that are one.
    pub(crate) fn file_key(&self) -> Option<&str> {
        match self {
            Input::Roster { key } | Input::Hr { key } => Some(key),
            Input::Sweep(_) | Input::Undo { .. } => None,
        }
    }

    /// Where the input came from, for people.
    pub(crate) fn source(&self, bucket: &str) -> String {
        match self {
            Input::Roster { key } | Input::Hr { key } | Input::Undo { key, .. } => format!("s3://{bucket}/{key}"),
            Input::Sweep(sweep) => format!("schedule: inactive-user sweep at {}", sweep.now),
        }
    }

    pub(crate) fn plan_source(&self) -> PlanSource {
        match self {
            Input::Roster { .. } => PlanSource::Inbox,
            Input::Hr { .. } => PlanSource::Hr,
            Input::Sweep(_) => PlanSource::Sweep,
            Input::Undo { .. } => PlanSource::Undo,
        }
    }

    /// The run's "now": a sweep's is its scheduled time (a redelivery decides the same).
    pub(crate) fn now(&self) -> Timestamp {
        match self {
            Input::Sweep(sweep) => sweep.now,
            Input::Roster { .. } | Input::Hr { .. } | Input::Undo { .. } => Timestamp::now(),
        }
    }
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

/// The sweep's run id is its scheduled time, so a redelivered event lands in the same run
/// and the run knows which terminations it took up ([`sweep_time`]).
pub(crate) fn sweep_run_id(now: Timestamp) -> String {
    format!("sweep-{}", now.strftime(SWEEP_RUN_FORMAT))
}

/// The time a sweep's run id holds.
pub(crate) fn sweep_time(run_id: &str) -> Option<Timestamp> {
    let stamp = run_id.strip_prefix("sweep-")?;
    let utc = jiff::civil::DateTime::strptime(SWEEP_RUN_FORMAT, stamp).ok()?;
    utc.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|t| t.timestamp())
}

const SWEEP_RUN_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// A run id people can sort and read (`20261122T101500Z-3f9a1c2e`) that is the same for
/// every delivery of the same object version, so redeliveries land in the same run.
pub fn run_id_for(bucket: &str, key: &str, info: &ObjectInfo) -> String {
    let stamp = Timestamp::from_second(info.last_modified)
        .map_or_else(|_| "00000000T000000Z".to_string(), |t| t.strftime(SWEEP_RUN_FORMAT).to_string());
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
