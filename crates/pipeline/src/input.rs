//! An input read into requests, under the policy in force (a roster from `inbox/` or the
//! CLI's `--roster`, an HR termination file, the results of a run to undo), and the one
//! function that makes a plan of it. Shared by the planner Lambda and the operator CLI,
//! so a dry run reads a file and decides exactly as the pipeline will.

use jiff::Timestamp;
use offboard_core::lifecycle::take_due;
use offboard_core::roster::parse_roster_with;
use offboard_core::undo::plan_undo;
use offboard_core::{
    decide, parse_hr_sheet, Account, ActionResult, Decision, InputError, Plan, PlanSource, Policy, Rechecked, Request,
    Rescind, SkippedRow, Termination, PLAN_SCHEMA_VERSION,
};
use offboard_zoom::{Label, ZoomClient};

/// A file read into requests: what a plan is decided from.
#[derive(Default)]
pub struct ReadInput {
    pub format: String,
    pub email_column: String,
    pub requests: Vec<Request>,
    pub rejected: Vec<SkippedRow>,
    /// What waits for the sweep: terminations not yet due, and staged deletes.
    pub scheduled: Vec<Termination>,
    /// An HR file's cancel rows (with their lines): what waits for them is taken off.
    pub rescinds: Vec<(u64, Rescind)>,
    /// For an undo: the results of the run to undo.
    pub undo: Vec<ActionResult>,
    /// For a sweep: the deferred actions it asks for again.
    pub rechecked: Vec<Rechecked>,
}

/// A roster, its email column chosen as the policy's `roster` section says.
pub fn read_roster(key: &str, bytes: &[u8], policy: &Policy) -> Result<ReadInput, InputError> {
    let mut roster = parse_roster_with(key, bytes, &policy.roster)?;
    Ok(ReadInput {
        requests: roster.take_requests(policy.inbox_action),
        format: roster.format,
        email_column: roster.email_column,
        rejected: roster.rejected,
        ..ReadInput::default()
    })
}

/// An HR file: what is due asks for its action now (a delete in a grace window, for the
/// deactivation and a staged delete), the rest waits for the sweep.
pub fn read_hr(key: &str, bytes: &[u8], policy: &Policy, now: Timestamp) -> Result<ReadInput, InputError> {
    let file = parse_hr_sheet(key, bytes, &policy.dates, policy.roster.sheet.as_deref())?;
    let mut due = take_due(file.terminations, now, policy);
    due.later.append(&mut due.staged);
    Ok(ReadInput {
        format: file.format,
        email_column: String::new(),
        requests: due.requests,
        rejected: file.rejected,
        scheduled: due.later,
        rescinds: file.rescinds,
        ..ReadInput::default()
    })
}

/// What names a plan and says where it came from, decided before the plan is.
pub struct PlanHeader {
    pub run_id: String,
    pub kind: PlanSource,
    /// Where the input came from, for people: `s3://bucket/inbox/x.csv`, `file: x.csv`.
    pub source: String,
    pub created_at: String,
    /// Where the run's backup of every user was written.
    pub backup_key: String,
    /// Who uploaded the input (`Plan::uploaded_by`).
    pub uploaded_by: Option<String>,
}

/// The plan for `read` against `account`: an undo restores what its run changed (no
/// guardrails to apply, nothing to hold); every other input is decided under `policy`.
/// `calls_per_second` is the pace the executors will keep ([`executor_pace`]).
pub fn assemble_plan(
    header: PlanHeader,
    read: ReadInput,
    account: &Account,
    policy: &Policy,
    calls_per_second: f64,
) -> Plan {
    let body = match header.kind {
        PlanSource::Undo => plan_undo(&read.undo, account, calls_per_second),
        PlanSource::Inbox | PlanSource::Hr | PlanSource::Sweep => decide(Decision {
            requests: &read.requests,
            rejected: read.rejected,
            scheduled: read.scheduled,
            account,
            policy,
            calls_per_second,
        }),
    };
    Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        run_id: header.run_id,
        kind: header.kind,
        source: header.source,
        created_at: header.created_at,
        backup_key: header.backup_key,
        uploaded_by: header.uploaded_by,
        licence_monthly_price: policy.licence_monthly_price,
        rechecked: read.rechecked,
        input_format: read.format,
        email_column: read.email_column,
        body,
    }
}

/// The calls per second every executor together keeps: what a plan's duration estimate
/// is made from.
pub fn executor_pace(zoom: &ZoomClient) -> f64 {
    let pacing = zoom.pacing();
    pacing.rate(Label::Light) * f64::from(pacing.executors)
}
