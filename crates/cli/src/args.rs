//! The argument types the commands take, apart from the command line's root: every
//! command module reads them, and here they depend on nothing else of the CLI, so no
//! command has to reach back into `main` for its arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

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
    /// The account's Zoom rate plan (its pricing tier), which sets its API rate limits.
    // `--plan`, its old name, is kept as a hidden alias so existing scripts still work.
    #[arg(
        long = "zoom-plan",
        alias = "plan",
        global = true,
        env = "ZOOM_PLAN",
        default_value = "business",
        value_enum
    )]
    pub rate_plan: RatePlan,
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

/// The account's Zoom rate plan (pricing tier) as the command line names it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RatePlan {
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SweepAction {
    Downgrade,
    Deactivate,
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
