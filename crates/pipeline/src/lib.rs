//! Offboard's use cases and the AWS adapters they run on.
//!
//! - [`planner::Planner`]: a roster or HR file landed in S3, an approval arrived, or the
//!   sweep is due → back up the account, decide, write the plan, fan the actions out to
//!   SQS (or hold them for approval).
//! - [`executor::Executor`]: one queued action → a claim in the ledger, the checks, the
//!   Zoom call → one result in S3.
//! - [`batch::BatchRunner`]: one SQS batch through the executor: concurrency, visibility,
//!   the DLQ with a reason, `batchItemFailures`, the batch's digest of results.
//! - [`watch::Watcher`]: once a minute, every sent run counted by listing its results:
//!   a complete one's summary and notification, a stalled one announced.
//!
//! The decisions themselves live in `offboard-core`; Zoom is reached through
//! `offboard-zoom`. This crate is the glue: where bytes come from and where they go.
//! The Lambda binaries are thin mains over it.

pub mod account;
pub mod approval;
pub mod aws;
pub mod batch;
pub mod cancel;
pub mod clock;
pub mod completion;
pub mod deferred;
pub mod error;
pub mod executor;
pub mod input;
pub mod keys;
pub mod ledger;
pub mod notify;
mod outputs;
pub mod planner;
pub mod preflight;
pub mod queue;
pub mod schedule;
pub mod secrets;
pub mod settings;
pub mod signing;
pub mod store;
pub mod trigger;
pub mod watch;

pub use error::PipelineError;
pub use executor::{Execution, Executor};
pub use planner::{PlanReport, Planner};
pub use settings::Settings;
pub use trigger::SweepRequest;
