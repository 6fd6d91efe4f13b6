//! Planning from the operator's machine: the same reader, account read and decision as
//! the planner Lambda, against the account the credentials reach. `offboard plan` and a
//! dry `offboard sweep` stop at the printed plan and write nothing.
//!
//! Planning knows nothing of applying: `apply`, `sweep` and `rehearse` build on it, and
//! it imports none of them.

use std::path::Path;

use jiff::Timestamp;
use offboard_core::sweep::inactive_users;
use offboard_core::{Account, ActionKind, Plan, PlanSource, Policy};
use offboard_pipeline::input::{assemble_plan, executor_pace, read_hr, read_roster, PlanHeader, ReadInput};
use offboard_zoom::ZoomClient;
use sha2::{Digest, Sha256};

use crate::args::{Format, ZoomArgs};
use crate::exit::{self, read_file, Exit};
use crate::output;

/// What a plan is made from.
pub enum PlanInput<'a> {
    Roster { path: &'a Path, hr: bool },
    Sweep { inactive_days: u32, action: ActionKind },
}

/// A file read and checked before anything is asked of Zoom.
pub struct ReadFile {
    pub read: ReadInput,
    pub source: String,
    pub kind: PlanSource,
    /// A digest of the input, for a run id that says which file it came from.
    pub digest: String,
}

pub fn read_input(input: &PlanInput<'_>, policy: &mut Policy, now: Timestamp) -> Result<ReadFile, Exit> {
    match input {
        PlanInput::Roster { path, hr } => {
            let name = path.display().to_string();
            let bytes = read_file(path)?;
            if bytes.len() as u64 > policy.max_file_bytes {
                return Err(Exit::input(format!(
                    "{name}: the file is {} bytes, over the policy's limit of {} bytes",
                    bytes.len(),
                    policy.max_file_bytes
                )));
            }
            let read = if *hr { read_hr(&name, &bytes, policy, now) } else { read_roster(&name, &bytes, policy) };
            let read = read.map_err(|e| Exit::input(e.to_string()))?;
            let digest: String = Sha256::digest(&bytes).iter().take(4).map(|b| format!("{b:02x}")).collect();
            let kind = if *hr { PlanSource::Hr } else { PlanSource::Inbox };
            Ok(ReadFile { read, source: format!("file: {name}"), kind, digest })
        }
        PlanInput::Sweep { inactive_days, action } => {
            policy.sweep.inactive_days = *inactive_days;
            policy.sweep.action = *action;
            let read = ReadInput { format: "sweep".to_string(), ..ReadInput::default() };
            let source = format!("inactive-user sweep: {} after {inactive_days} days", action.as_str());
            Ok(ReadFile { read, source, kind: PlanSource::Sweep, digest: format!("{inactive_days}d") })
        }
    }
}

/// Decides a read input against `account`, as the planner Lambda does.
pub fn plan_for(
    file: ReadFile,
    account: &Account,
    policy: &Policy,
    zoom: &ZoomClient,
    run_id: &str,
    backup_key: &str,
    now: Timestamp,
) -> Plan {
    let ReadFile { mut read, source, kind, .. } = file;
    if kind == PlanSource::Sweep {
        read.requests = inactive_users(account, &policy.sweep, now);
    }
    let header = PlanHeader {
        run_id: run_id.to_string(),
        kind,
        source,
        created_at: now.to_string(),
        backup_key: backup_key.to_string(),
        uploaded_by: None,
    };
    assemble_plan(header, read, account, policy, executor_pace(zoom))
}

/// A run id people can sort and read, naming the input it came from.
pub fn local_run_id(file: &ReadFile, now: Timestamp) -> String {
    let prefix = if file.kind == PlanSource::Sweep { "sweep-local" } else { "local" };
    format!("{prefix}-{}-{}", now.strftime("%Y%m%dT%H%M%SZ"), file.digest)
}

/// `offboard plan`: a dry run; exit 3 when the pipeline would hold the plan.
pub async fn plan_command(args: &ZoomArgs, roster: &Path, hr: bool, format: Format) -> Result<Exit, Exit> {
    dry_run(args, &PlanInput::Roster { path: roster, hr }, format).await
}

/// The plan printed, nothing written: `offboard plan`, and `offboard sweep` without `--apply`.
pub async fn dry_run(args: &ZoomArgs, input: &PlanInput<'_>, format: Format) -> Result<Exit, Exit> {
    let now = Timestamp::now();
    let mut policy = args.policy()?;
    let file = read_input(input, &mut policy, now)?;
    let zoom = args.zoom().await?;
    let account = offboard_pipeline::account::snapshot(&zoom).await?;
    let plan = plan_for(file, &account, &policy, &zoom, "dry-run", "(dry run: nothing written)", now);
    output::print_plan(&plan, format)?;
    Ok(match &plan.body.hold {
        Some(_) => Exit::with_code(exit::HELD),
        None => Exit::ok(),
    })
}
