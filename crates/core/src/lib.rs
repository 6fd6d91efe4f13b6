//! Offboard's pure domain: what a roster says, what the account holds, and what to do
//! about the difference.
//!
//! Everything here is a function from values to values. No I/O, no async, no clock and
//! no AWS: the pipeline reads files and calls Zoom, then hands the bytes and users to
//! this crate, which decides. That keeps every decision unit-testable and explainable.

pub mod backup;
pub mod email;
pub mod message;
pub mod outcome;
pub mod plan;
pub mod roster;
pub mod snapshot;

pub use backup::backup_csv;
pub use message::{ActionMessage, MESSAGE_SCHEMA_VERSION};
pub use outcome::{ActionResult, Outcome};
pub use plan::{diff, Action, ActionKind, Plan, PlanBody, PlanCounts, SkipReason, SkippedRow};
pub use roster::{parse_roster, Roster, RosterEntry, RosterError};
pub use snapshot::{AccountUser, UserStatus};
