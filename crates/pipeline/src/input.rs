//! An input file read into requests, under the policy in force: a roster (`inbox/`, or
//! the CLI's `--roster`) or an HR termination file. Shared by the planner Lambda and the
//! operator CLI, so a dry run reads a file exactly as the pipeline will.

use jiff::Timestamp;
use offboard_core::roster::parse_roster_with;
use offboard_core::{parse_hr_file, ActionResult, InputError, Policy, Request, SkippedRow, Termination};

/// A file read into requests: what a plan is decided from.
#[derive(Default)]
pub struct ReadInput {
    pub format: String,
    pub email_column: String,
    pub requests: Vec<Request>,
    pub rejected: Vec<SkippedRow>,
    pub scheduled: Vec<Termination>,
    /// For an undo: the results of the run to undo.
    pub undo: Vec<ActionResult>,
}

/// A roster, its email column chosen as the policy's `roster` section says.
pub fn read_roster(key: &str, bytes: &[u8], policy: &Policy) -> Result<ReadInput, InputError> {
    let mut roster = parse_roster_with(key, bytes, &policy.roster)?;
    Ok(ReadInput {
        requests: roster.take_requests(policy.inbox_action),
        format: roster.format,
        email_column: roster.email_column,
        rejected: roster.rejected,
        scheduled: Vec::new(),
        undo: Vec::new(),
    })
}

pub fn read_hr(key: &str, bytes: &[u8], policy: &Policy, now: Timestamp) -> Result<ReadInput, InputError> {
    let file = parse_hr_file(key, bytes, &policy.dates)?;
    let (due, later): (Vec<Termination>, Vec<Termination>) = file.terminations.into_iter().partition(|t| t.is_due(now));
    Ok(ReadInput {
        format: file.format,
        email_column: String::new(),
        requests: due.iter().map(|t| t.request(policy)).collect(),
        rejected: file.rejected,
        scheduled: later,
        undo: Vec::new(),
    })
}
