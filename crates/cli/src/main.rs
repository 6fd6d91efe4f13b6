//! `offboard`: the operator's CLI. A dry run against the real account, a backup on the
//! laptop, a local apply for accounts without the AWS stack (resumable, Ctrl-C safe), a
//! rehearsal on a simulator loaded from a backup, the AWS stack's approvals, status,
//! undo and report, and a check of the whole set-up before the first run (`doctor`). The
//! same core and Zoom client as the Lambdas: a plan made here is the plan the pipeline
//! would make.
//!
//! This file is the thin main: the command line's root, dispatch, exit codes. The
//! argument types the commands take are in `args`, so that no module imports `main`.

// First, so that its `say!` is in scope in every module after it.
#[macro_use]
mod output;

mod apply;
mod args;
mod backup;
mod bucket;
mod cancel;
mod connect;
mod doctor;
mod exit;
mod local;
mod planning;
mod rehearse;
mod report;
mod runs;
mod sweep;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::args::{ApplyArgs, ConfirmArgs, Format, SweepAction, ZoomArgs};
use crate::exit::Exit;

const EXIT_CODES: &str = "\
Exit codes:
  0  done: every action ended done, already done or skipped (or nothing to do)
  1  could not run: Zoom or AWS unreachable, credentials refused
  2  usage or input error (the message names the file, line or field); nothing changed
  3  held for approval: the plan exceeds the guardrails; nothing changed
  4  some actions failed or were refused by Zoom (see the report)
  130 interrupted by Ctrl-C after the calls in flight; resume with `offboard apply --resume RUN`";

const DOCTOR_HELP: &str = "\
Checks, one line each (`check` in the JSON), with a fix for each that fails:
  zoom_credentials        Zoom issues a token for the app's credentials (ZOOM_ACCOUNT_ID,
                          ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, or the SSM parameters)
  ssm_parameters          only when the credentials come from SSM: the parameters are readable
  zoom_scopes             every scope a run under the policy (--policy, else the defaults) needs:
                          one failed line per missing scope, naming the call that needs it; a
                          warning per scope only an HR file naming its own action would need
  rate_plan               the rate plan X-RateLimit-Limit reveals against --zoom-plan; a warning
                          \"not revealed by Zoom\" when the answer does not tell
  bucket_list_runs, bucket_read_runs, bucket_write_approvals, bucket_write_undo,
  bucket_write_inbox      only with --bucket: s3:ListBucket, s3:GetObject under runs/, and
                          s3:PutObject under approvals/, undo/ and inbox/ (puts whose If-Match
                          matches no object: S3 authorizes them, then writes nothing)
A check that an earlier failure kept from being made fails, \"not checked\". Secrets and tokens
are never printed.

--format json prints one object:
  {\"ok\": bool, \"checks\": [{\"check\": \"...\", \"status\": \"ok\"|\"failed\"|\"warning\",
                           \"detail\": \"...\", \"fix\": \"...\"|null}]}
\"ok\" is true when no check failed (warnings allowed).

Exit codes:
  0  every check holds (warnings allowed)
  1  a check failed (see its fix)
  2  usage or input error (a bad --policy file, --budget-share)";

#[derive(Debug, Parser)]
#[command(name = "offboard", version, about = "Take departing people out of Zoom: plan, back up, apply, undo.")]
#[command(after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    zoom: ZoomArgs,
    /// `table` for people; `json` (every command: one object on stdout, messages on
    /// stderr) or `csv` (plan, sweep, runs) for scripts. Field names are in the README.
    #[arg(long, global = true, value_enum, default_value_t, help_heading = "Output (every command)")]
    format: Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dry run: read the roster and the account, print the plan and its figures. Writes nothing.
    #[command(after_help = EXIT_CODES)]
    Plan {
        /// The roster (CSV, TSV or XLSX with an email column), or an HR file with --hr.
        #[arg(long)]
        roster: PathBuf,
        /// Read the file as an HR termination file.
        #[arg(long)]
        hr: bool,
    },
    /// Back up every user of every status to DIR as CSV and JSON Lines.
    #[command(after_help = EXIT_CODES)]
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Carry out a roster's plan from this machine, for accounts without the AWS stack.
    #[command(after_help = EXIT_CODES)]
    Apply(ApplyArgs),
    /// Licensed users with no sign-in for N days: plan (default) or apply.
    #[command(after_help = EXIT_CODES)]
    Sweep {
        #[arg(long)]
        inactive_days: u32,
        #[arg(long, value_enum, default_value = "downgrade")]
        action: SweepAction,
        /// Carry the sweep out (after confirmation) instead of only planning it.
        #[arg(long)]
        apply: bool,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Approve a run the pipeline held: writes `approvals/RUN.json`, which releases it.
    #[command(after_help = EXIT_CODES)]
    Approve {
        run: String,
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: String,
        /// Who approves (default: $USER).
        #[arg(long = "by")]
        approved_by: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        yes: bool,
    },
    /// Where a run stands: held, sending, running (results so far), finished (counts).
    #[command(after_help = EXIT_CODES)]
    Status {
        run: String,
        /// The pipeline's bucket; without it, a local run under --state-dir.
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: Option<String>,
    },
    /// Undo a finished run's reversible actions (deactivations, downgrades).
    #[command(after_help = EXIT_CODES)]
    Undo {
        run: String,
        /// The pipeline's bucket (writes `undo/RUN.json`); without it, a local run.
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: Option<String>,
        #[command(flatten)]
        confirm: ConfirmArgs,
    },
    /// Cancel what waits under the stack's schedule before it runs (a rescinded
    /// termination): every termination and staged delete of a run, or of one person.
    #[command(after_help = EXIT_CODES)]
    Cancel {
        /// A run id (everything it scheduled) or an email address (what waits for them).
        target: String,
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: String,
        /// Why, for the record.
        #[arg(long)]
        note: Option<String>,
    },
    /// Apply the plan on zoom-sim loaded from a backup, at the real plan's rate limits:
    /// predicted outcomes and duration, before anything touches production.
    #[command(after_help = EXIT_CODES)]
    Rehearse {
        #[arg(long)]
        backup: PathBuf,
        #[arg(long)]
        roster: PathBuf,
        #[arg(long)]
        hr: bool,
    },
    /// Check the set-up before the first run: the Zoom app's credentials and scopes, the
    /// rate plan and, with --bucket, what an operator needs of the stack's bucket. Changes
    /// nothing, in Zoom or in the bucket.
    #[command(after_help = DOCTOR_HELP)]
    Doctor {
        /// Also check the stack's bucket with the AWS credentials of the environment.
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: Option<String>,
    },
    /// A run's report: one self-contained HTML page.
    #[command(after_help = EXIT_CODES)]
    Report {
        run: String,
        #[arg(long)]
        html: PathBuf,
        /// The pipeline's bucket; without it, a local run.
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: Option<String>,
    },
    /// The runs there are, newest first: state, actions planned, outcomes once finished.
    #[command(after_help = EXIT_CODES)]
    Runs {
        /// The pipeline's bucket; without it, the local runs under --state-dir.
        #[arg(long, env = "OFFBOARD_BUCKET")]
        bucket: Option<String>,
        /// At most this many runs, the newest.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Print a shell completion script: `offboard completions bash > /etc/bash_completion.d/offboard`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `offboard man > offboard.1; man ./offboard.1`.
    Man,
}

fn main() -> ExitCode {
    // `RUST_LOG` as every Rust tool reads it (`OFFBOARD_LOG`, its older name, first).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OFFBOARD_LOG")
                .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    output::set_format(cli.format);
    if let Err(exit) = csv_fits(&cli.command, cli.format) {
        return exit.report();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return Exit::failure(exit::COULD_NOT_RUN, format!("cannot start: {error}")).report(),
    };
    match runtime.block_on(run(cli)) {
        Ok(exit) | Err(exit) => exit.report(),
    }
}

/// CSV is for rows: the plans and the list of runs. Other commands say so, before
/// anything is done.
fn csv_fits(command: &Command, format: Format) -> Result<(), Exit> {
    if !matches!(format, Format::Csv) {
        return Ok(());
    }
    let name = match command {
        Command::Plan { .. } | Command::Runs { .. } | Command::Sweep { apply: false, .. } => return Ok(()),
        // They print what they print, whatever the format.
        Command::Completions { .. } | Command::Man => return Ok(()),
        Command::Sweep { .. } => "sweep --apply",
        Command::Backup { .. } => "backup",
        Command::Apply(_) => "apply",
        Command::Approve { .. } => "approve",
        Command::Status { .. } => "status",
        Command::Undo { .. } => "undo",
        Command::Cancel { .. } => "cancel",
        Command::Rehearse { .. } => "rehearse",
        Command::Doctor { .. } => "doctor",
        Command::Report { .. } => "report",
    };
    Err(Exit::input(format!(
        "--format csv: `offboard {name}` has no rows to give as CSV (plan, sweep and runs do); use --format json"
    )))
}

async fn run(cli: Cli) -> Result<Exit, Exit> {
    let zoom = &cli.zoom;
    let format = cli.format;
    match cli.command {
        Command::Plan { roster, hr } => planning::plan_command(zoom, &roster, hr, format).await,
        Command::Backup { out } => backup::backup_command(zoom, &out).await,
        Command::Apply(args) => apply::apply_command(zoom, &args).await,
        Command::Sweep { inactive_days, action, apply, confirm } => {
            sweep::sweep_command(zoom, inactive_days, action, apply, confirm, format).await
        }
        Command::Approve { run, bucket, approved_by, note, yes } => {
            bucket::approve_command(&run, &bucket, approved_by, note, yes).await
        }
        Command::Status { run, bucket } => match bucket {
            Some(bucket) if run.starts_with("cancel-") => cancel::status_command(&run, &bucket).await,
            Some(bucket) => bucket::status_command(&run, &bucket).await,
            None => local::status_command(zoom, &run),
        },
        Command::Undo { run, bucket, confirm } => match bucket {
            Some(bucket) => bucket::undo_command(&run, &bucket, confirm).await,
            None => apply::undo_local_command(zoom, &run, confirm).await,
        },
        Command::Cancel { target, bucket, note } => cancel::cancel_command(&target, &bucket, note).await,
        Command::Rehearse { backup, roster, hr } => rehearse::rehearse_command(zoom, &backup, &roster, hr).await,
        Command::Doctor { bucket } => doctor::doctor_command(zoom, bucket.as_deref(), format).await,
        Command::Report { run, html, bucket } => report::report_command(zoom, &run, &html, bucket.as_deref()).await,
        Command::Runs { bucket, limit } => runs::runs_command(&zoom.state_dir, bucket.as_deref(), limit).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "offboard", &mut std::io::stdout());
            Ok(Exit::ok())
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Exit::failure(exit::COULD_NOT_RUN, format!("writing the man page: {e}")))?;
            Ok(Exit::ok())
        }
    }
}
