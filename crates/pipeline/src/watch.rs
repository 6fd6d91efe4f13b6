//! The watcher: once a minute, every run whose actions were sent (`watch/<run>.json`) is
//! counted by listing its results. A complete run gets its end (`completion::finish`:
//! report, summary, one notification) and leaves the list; one whose results stopped
//! coming while some are missing is announced as stalled, once per number of results.
//!
//! Listing once a minute per open run, instead of after every executor batch, is what
//! keeps the S3 requests an action costs flat at any run size. Where a run stands is
//! `offboard_core::watch::assess`, with the time an argument.

use jiff::{SignedDuration, Timestamp};
use offboard_core::summary::RunSummary;
use offboard_core::watch::{assess, RunListing, RunProgress, Stall};

use crate::completion::{finish, is_finished, read_header};
use crate::error::PipelineError;
use crate::keys;
use crate::notify::Notifier;
use crate::store::{PutOnce, Store};

pub struct Watcher {
    pub store: Store,
    /// Where ends and stalls are announced; `None` writes the summary only.
    pub notifier: Option<Notifier>,
    /// How long a run may go without a new result, while some are missing.
    pub stall_after: SignedDuration,
}

/// What one look at one run found.
#[derive(Debug, Clone, PartialEq)]
pub enum RunWatch {
    /// This look finished the run (its summary, then its notification).
    Completed(Box<RunSummary>),
    /// Its end was announced before: it leaves the list.
    AlreadyFinished,
    Progressing {
        results: usize,
        actions: usize,
    },
    /// Announced as stalled now (`announced`), or before at this count of results.
    Stalled {
        stall: Stall,
        announced: bool,
    },
    /// The planner has listed the run but not written its header yet (or it is gone).
    NoHeader,
}

/// What one watch did, run by run.
#[derive(Debug, Default)]
pub struct WatchReport {
    pub runs: Vec<(String, RunWatch)>,
    /// Runs whose look failed (S3, SNS), with the error: the next minute tries again.
    pub errors: Vec<(String, String)>,
}

impl WatchReport {
    pub fn completed(&self) -> usize {
        self.runs.iter().filter(|(_, w)| matches!(w, RunWatch::Completed(_))).count()
    }

    /// Runs announced as stalled by this watch.
    pub fn stalled_now(&self) -> usize {
        self.runs.iter().filter(|(_, w)| matches!(w, RunWatch::Stalled { announced: true, .. })).count()
    }

    /// Runs stalled, announced now or before.
    pub fn stalled(&self) -> usize {
        self.runs.iter().filter(|(_, w)| matches!(w, RunWatch::Stalled { .. })).count()
    }
}

impl Watcher {
    /// Looks at every listed run as of `now`. One run's failure does not stop the others.
    pub async fn watch(&self, now: Timestamp) -> Result<WatchReport, PipelineError> {
        let listed = self.store.list_keys(keys::WATCH_PREFIX).await?;
        let mut report = WatchReport::default();
        for run_id in listed.iter().filter_map(|key| keys::run_of_watch_key(key)) {
            match self.watch_run(run_id, now).await {
                Ok(watch) => report.runs.push((run_id.to_string(), watch)),
                Err(error) => {
                    tracing::warn!(run_id, %error, "run not watched this time; the next watch tries again");
                    report.errors.push((run_id.to_string(), error.to_string()));
                }
            }
        }
        Ok(report)
    }

    /// Looks at one run as of `now`.
    pub async fn watch_run(&self, run_id: &str, now: Timestamp) -> Result<RunWatch, PipelineError> {
        let notifier = self.notifier.as_ref();
        if is_finished(&self.store, notifier, run_id).await? {
            self.unlist(run_id).await?;
            return Ok(RunWatch::AlreadyFinished);
        }
        let Some(header) = read_header(&self.store, run_id).await? else {
            return Ok(RunWatch::NoHeader);
        };
        let results = self.store.list_objects(&keys::results_prefix(run_id)).await?;
        let sent_at = header.sent_at.parse::<Timestamp>().unwrap_or(now);
        let last_activity = results.iter().filter_map(|r| r.written).max().unwrap_or(sent_at).max(sent_at);
        let listing = RunListing { actions: header.actions, results: results.len(), last_activity };
        match assess(listing, now, self.stall_after) {
            RunProgress::Complete => {
                let keys: Vec<String> = results.into_iter().map(|r| r.key).collect();
                let finished = finish(&self.store, notifier, &header, &keys).await?;
                self.unlist(run_id).await?;
                Ok(match finished {
                    Some(summary) => RunWatch::Completed(Box::new(summary)),
                    None => RunWatch::AlreadyFinished,
                })
            }
            RunProgress::Progressing => {
                Ok(RunWatch::Progressing { results: listing.results, actions: listing.actions })
            }
            RunProgress::Stalled { .. } => {
                let stall = Stall::new(run_id, listing, now);
                let announced = self.announce_stall(&stall).await?;
                Ok(RunWatch::Stalled { stall, announced })
            }
        }
    }

    /// Records the stall (write-once per count of results) and, when this call recorded
    /// it, publishes it. A publish that fails is logged: the watcher's `RunsStalled`
    /// metric, and its alarm, still say it.
    async fn announce_stall(&self, stall: &Stall) -> Result<bool, PipelineError> {
        let key = keys::stalled_key(&stall.run_id, stall.results);
        if self.store.put_json_once(&key, stall).await? == PutOnce::AlreadyExists {
            return Ok(false);
        }
        tracing::warn!(
            run_id = %stall.run_id,
            results = stall.results,
            actions = stall.actions,
            quiet_seconds = stall.quiet_seconds,
            "run stalled: results are missing and none came for the stall time"
        );
        if let Some(notifier) = &self.notifier {
            if let Err(error) = notifier.run_stalled(stall).await {
                tracing::error!(run_id = %stall.run_id, %error, "the stall was not published");
            }
        }
        Ok(true)
    }

    async fn unlist(&self, run_id: &str) -> Result<(), PipelineError> {
        self.store.delete(&keys::watch_key(run_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_what_each_look_found() {
        let stall = |announced| RunWatch::Stalled {
            stall: Stall {
                run_id: "r".into(),
                actions: 2,
                results: 1,
                last_activity: Timestamp::UNIX_EPOCH,
                detected_at: Timestamp::UNIX_EPOCH,
                quiet_seconds: 0,
            },
            announced,
        };
        let report = WatchReport {
            runs: vec![
                ("a".into(), stall(true)),
                ("b".into(), stall(false)),
                ("c".into(), RunWatch::Progressing { results: 1, actions: 2 }),
            ],
            errors: vec![],
        };
        assert_eq!((report.completed(), report.stalled_now(), report.stalled()), (0, 1, 2));
    }
}
