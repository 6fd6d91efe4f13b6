//! `offboard sweep`: licensed users with no sign-in for N days, planned from the account
//! itself rather than from a file. It is the one command that either stops at the
//! printed plan or carries it out, so it sits above both: it builds on `planning` for
//! the dry run and on `apply` for `--apply`, and neither of them knows of it.

use offboard_core::ActionKind;

use crate::apply::plan_and_apply;
use crate::args::{ConfirmArgs, Format, SweepAction, ZoomArgs};
use crate::exit::Exit;
use crate::planning::{dry_run, PlanInput};

/// `offboard sweep`: plan the sweep, or with `--apply` carry it out.
pub async fn sweep_command(
    args: &ZoomArgs,
    inactive_days: u32,
    action: SweepAction,
    apply: bool,
    confirm: ConfirmArgs,
    format: Format,
) -> Result<Exit, Exit> {
    let action = match action {
        SweepAction::Downgrade => ActionKind::Downgrade,
        SweepAction::Deactivate => ActionKind::Deactivate,
    };
    let input = PlanInput::Sweep { inactive_days, action };
    if apply {
        plan_and_apply(args, &input, confirm, 8).await
    } else {
        dry_run(args, &input, format).await
    }
}
