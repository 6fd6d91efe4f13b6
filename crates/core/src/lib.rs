//! Offboard's pure domain: what a roster says, what the account holds, and what to do
//! about the difference.
//!
//! Everything here is a function from values to values. No I/O, no async, no clock and
//! no AWS: the pipeline reads files and calls Zoom, then hands the bytes and users to
//! this crate, which decides. That keeps every decision unit-testable and explainable.

pub mod action;
pub mod approval;
pub mod backup;
pub mod email;
mod email_index;
pub mod emf;
pub mod estimate;
pub mod guardrails;
pub mod hr;
pub mod html_report;
pub mod ledger;
pub mod lifecycle;
pub mod message;
pub mod notice;
pub mod outcome;
pub mod plan;
pub mod policy;
pub mod report;
pub mod request;
pub mod roster;
pub mod snapshot;
pub mod summary;
pub mod sweep;
pub mod table;
mod transfer;
pub mod undo;
pub mod watch;
pub mod workbook_bounds;

/// The inline string of the snapshot and the plan, for the crates that build them.
pub use compact_str::{format_compact, CompactString};

pub use action::{
    Action, ActionKind, Change, Checks, DeleteMode, DeleteSpec, LeftState, MeetingsRule, RecordingsRule,
    UnknownActionKind, UserState,
};
pub use backup::{backup_csv, backup_jsonl, write_backup_jsonl, BackupManifest};
pub use estimate::PlanCounts;
pub use guardrails::Hold;
pub use hr::{parse_hr_file, parse_hr_sheet, HrFile, Rescind, Stage, Termination};
pub use message::{ActionMessage, MESSAGE_SCHEMA_VERSION};
pub use outcome::{ActionResult, Findings, Outcome};
pub use plan::{decide, recheck, Decision, Plan, PlanBody, PlanSource, Rechecked, PLAN_SCHEMA_VERSION};
pub use policy::{parse_policy, parse_policy_over, Policy, PolicyError};
pub use request::{ExpectedUser, Request, SkipReason, SkippedRow};
pub use roster::{parse_roster, Roster, RosterEntry};
pub use snapshot::{Account, AccountUser, UserStatus, UserType};
pub use table::InputError;
