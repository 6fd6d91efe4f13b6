//! `offboard`: the operator's CLI. A dry run against the real account, a backup on the
//! laptop, a local apply for accounts without the AWS stack (resumable, Ctrl-C safe), a
//! rehearsal on a simulator loaded from a backup, the AWS stack's approvals, status,
//! undo and report, and a check of the whole set-up before the first run (`doctor`). The
//! same core and Zoom client as the Lambdas: a plan made here is the plan the pipeline
//! would make.
//!
//! This file is the thin main: arguments, dispatch, exit codes.

mod apply;
mod backup;
mod bucket;
mod connect;
mod doctor;
mod exit;
mod local;
mod output;
mod planning;
mod rehearse;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
  rate_plan               the plan Zoom's X-RateLimit-Limit reveals against --plan; a warning
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
    #[command(subcommand)]
    command: Command,
}

/// Where Zoom is and how fast to go. Credentials come from the environment
/// (`ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`) or from SSM parameters.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Zoom, pacing and state (every command)")]
pub struct ZoomArgs {
    /// The Zoom API base.
    #[arg(long, global = true, env = "ZOOM_API_URL", default_value = "https://api.zoom.us/v2")]
    pub zoom_url: String,
    /// The OAuth token URL.
    #[arg(long, global = true, env = "ZOOM_OAUTH_URL", default_value = "https://zoom.us/oauth/token")]
    pub oauth_url: String,
    /// The account's Zoom plan, which sets its API rate limits.
    #[arg(long = "plan", global = true, env = "ZOOM_PLAN", default_value = "business", value_enum)]
    pub zoom_plan: ZoomPlan,
    /// Share of the account's rate budget Offboard may use (the rest is left to other apps).
    #[arg(long, global = true, env = "OFFBOARD_BUDGET_SHARE", default_value_t = 0.8)]
    pub budget_share: f64,
    /// SSM parameter names to read the credentials from when the `ZOOM_*` variables are not set.
    #[arg(long, global = true, env = "ZOOM_ACCOUNT_ID_PARAM")]
    pub account_id_param: Option<String>,
    #[arg(long, global = true, env = "ZOOM_CLIENT_ID_PARAM")]
    pub client_id_param: Option<String>,
    #[arg(long, global = true, env = "ZOOM_CLIENT_SECRET_PARAM")]
    pub client_secret_param: Option<String>,
    /// Where local runs keep their plan, ledger and report.
    #[arg(long, global = true, env = "OFFBOARD_STATE_DIR", default_value = "offboard-runs")]
    pub state_dir: PathBuf,
    /// A policy file (the same JSON as the bucket's `config/policy.json`).
    #[arg(long, global = true, env = "OFFBOARD_POLICY")]
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ZoomPlan {
    Free,
    Pro,
    Business,
}

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// `offboard doctor`'s output: the checklist, or the same as JSON.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum DoctorFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SweepAction {
    Downgrade,
    Deactivate,
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
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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
        #[arg(long, value_enum, default_value_t)]
        format: DoctorFormat,
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
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The roster to plan and apply.
    #[arg(long, required_unless_present = "resume", conflicts_with = "resume")]
    pub roster: Option<PathBuf>,
    #[arg(long)]
    pub hr: bool,
    /// Continue a local run from its ledger; no action is repeated.
    #[arg(long, value_name = "RUN")]
    pub resume: Option<String>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Actions in flight at once (the pacer keeps the calls within the rate limit).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

#[derive(Debug, Clone, Copy, Args)]
pub struct ConfirmArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Go ahead with a plan the guardrails hold for approval (you are the approver).
    #[arg(long)]
    pub approve_hold: bool,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OFFBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return Exit::failure(exit::COULD_NOT_RUN, format!("cannot start: {error}")).report(),
    };
    match runtime.block_on(run(cli)) {
        Ok(exit) | Err(exit) => exit.report(),
    }
}

async fn run(cli: Cli) -> Result<Exit, Exit> {
    let zoom = &cli.zoom;
    match cli.command {
        Command::Plan { roster, hr, format } => planning::plan_command(zoom, &roster, hr, format).await,
        Command::Backup { out } => backup::backup_command(zoom, &out).await,
        Command::Apply(args) => apply::apply_command(zoom, &args).await,
        Command::Sweep { inactive_days, action, apply, confirm, format } => {
            planning::sweep_command(zoom, inactive_days, action, apply, confirm, format).await
        }
        Command::Approve { run, bucket, approved_by, note, yes } => {
            bucket::approve_command(&run, &bucket, approved_by, note, yes).await
        }
        Command::Status { run, bucket } => match bucket {
            Some(bucket) => bucket::status_command(&run, &bucket).await,
            None => local::status_command(zoom, &run),
        },
        Command::Undo { run, bucket, confirm } => match bucket {
            Some(bucket) => bucket::undo_command(&run, &bucket, confirm).await,
            None => apply::undo_local_command(zoom, &run, confirm).await,
        },
        Command::Rehearse { backup, roster, hr } => rehearse::rehearse_command(zoom, &backup, &roster, hr).await,
        Command::Doctor { bucket, format } => doctor::doctor_command(zoom, bucket.as_deref(), format).await,
        Command::Report { run, html, bucket } => report::report_command(zoom, &run, &html, bucket.as_deref()).await,
    }
}
