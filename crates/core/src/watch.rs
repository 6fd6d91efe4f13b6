//! Where a sent run stands, from what its results' listing shows: complete, still
//! progressing, or stalled (results missing and none new for a while).
//!
//! The watcher asks this once a minute for every run whose actions were sent and whose
//! end is not announced yet. Counting results by listing once a minute, instead of after
//! every executor batch, keeps the S3 requests an action costs the same at any run size;
//! the rules of when a run is complete or stalled live here, with the time an argument.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How long a run may go without a new result, while results are missing, before it is
/// announced as stalled, unless the deployment says otherwise.
pub const DEFAULT_STALL_AFTER: SignedDuration = SignedDuration::from_mins(15);

/// What the listing of a run's results shows, beside what its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunListing {
    /// Actions sent: the run is complete when this many results are recorded.
    pub actions: usize,
    /// Results listed.
    pub results: usize,
    /// The newest result's time, or when the actions were sent if there is none yet.
    pub last_activity: Timestamp,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunProgress {
    /// Every action has its result: write the summary and announce it.
    Complete,
    /// Results are missing, and a new one came within the stall time.
    Progressing,
    /// Results are missing and none came for `quiet_for` (at least the stall time).
    Stalled { quiet_for: SignedDuration },
}

/// Where the run stands as of `now`.
pub fn assess(listing: RunListing, now: Timestamp, stall_after: SignedDuration) -> RunProgress {
    if listing.results >= listing.actions {
        return RunProgress::Complete;
    }
    let quiet_for = now.duration_since(listing.last_activity);
    if quiet_for >= stall_after {
        RunProgress::Stalled { quiet_for }
    } else {
        RunProgress::Progressing
    }
}

/// A stalled run, as announced (`runs/<run>/stalled/<results>.json` and the notification):
/// announced once per number of results, so a run that moves and stalls again is
/// announced again, and one that stays stuck only once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stall {
    pub run_id: String,
    pub actions: usize,
    pub results: usize,
    pub last_activity: Timestamp,
    pub detected_at: Timestamp,
    /// Seconds without a new result when it was detected.
    pub quiet_seconds: i64,
}

impl Stall {
    pub fn new(run_id: &str, listing: RunListing, now: Timestamp) -> Stall {
        Stall {
            run_id: run_id.to_string(),
            actions: listing.actions,
            results: listing.results,
            last_activity: listing.last_activity,
            detected_at: now,
            quiet_seconds: now.duration_since(listing.last_activity).as_secs(),
        }
    }

    /// The notification's subject: at most 100 characters, as SNS requires.
    pub fn subject(&self) -> String {
        let text = format!(
            "Offboard run {} stalled: {} of {} actions have a result, none new for {} min",
            self.run_id,
            self.results,
            self.actions,
            self.quiet_seconds / 60
        );
        text.chars().take(100).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn listing(results: usize, last_activity: &str) -> RunListing {
        RunListing { actions: 10, results, last_activity: at(last_activity) }
    }

    #[test]
    fn a_run_with_every_result_is_complete_however_long_it_was_quiet() {
        let progress = assess(listing(10, "2026-01-01T00:00:00Z"), at("2026-06-01T00:00:00Z"), DEFAULT_STALL_AFTER);
        assert_eq!(progress, RunProgress::Complete);
    }

    #[test]
    fn a_run_is_stalled_only_once_the_stall_time_has_passed_without_a_result() {
        let stall_after = SignedDuration::from_mins(15);
        let last = "2026-12-03T10:00:00Z";
        assert_eq!(assess(listing(9, last), at("2026-12-03T10:14:59Z"), stall_after), RunProgress::Progressing);
        assert_eq!(
            assess(listing(9, last), at("2026-12-03T10:15:00Z"), stall_after),
            RunProgress::Stalled { quiet_for: SignedDuration::from_mins(15) }
        );
        // A clock behind the last result (another machine's) is not a stall.
        assert_eq!(assess(listing(0, last), at("2026-12-03T09:00:00Z"), stall_after), RunProgress::Progressing);
    }

    #[test]
    fn the_stall_says_how_far_the_run_got_and_for_how_long_it_was_quiet() {
        let stall = Stall::new("r-1", listing(3, "2026-12-03T10:00:00Z"), at("2026-12-03T10:42:10Z"));
        assert_eq!(stall.quiet_seconds, 42 * 60 + 10);
        assert_eq!(stall.subject(), "Offboard run r-1 stalled: 3 of 10 actions have a result, none new for 42 min");
        let long = Stall::new(&"r".repeat(120), listing(3, "2026-12-03T10:00:00Z"), at("2026-12-03T10:42:10Z"));
        assert_eq!(long.subject().chars().count(), 100);
    }
}
