//! Settings read from the environment once per container.

use std::time::Duration;

use offboard_core::{ActionKind, Policy};
use offboard_zoom::{Endpoints, PacerConfig, RatePlan};

use crate::error::PipelineError;

/// Names of the SSM SecureString parameters holding the Zoom app's credentials.
#[derive(Debug, Clone)]
pub struct SecretNames {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub zoom: Endpoints,
    pub secrets: SecretNames,
    /// The bucket holding rosters, backups, plans and results.
    pub bucket: Option<String>,
    /// The action queue: the planner sends to it, the executor extends visibility on it.
    pub queue_url: Option<String>,
    /// How fast to call Zoom: plan, Offboard's share of the account's budget, executors.
    pub pacing: PacerConfig,
    /// The deployment's policy; the bucket's `config/policy.json` is read over it.
    pub policy: Policy,
    /// Where run completions are announced (`OFFBOARD_TOPIC_ARN`).
    pub topic_arn: Option<String>,
    /// The KMS HMAC key that signs plans (`OFFBOARD_PLAN_KEY_ID`): the planner signs with
    /// it, and the executor acts only on plans whose signature it verifies.
    pub plan_key_id: Option<String>,
    /// The executor's queue settings.
    pub execution: ExecutionSettings,
}

/// What the executor must know of its queue and its own lifetime.
#[derive(Debug, Clone)]
pub struct ExecutionSettings {
    /// `OFFBOARD_DLQ_URL`: where the executor moves what it cannot process, with why.
    pub dlq_url: Option<String>,
    /// `OFFBOARD_MAX_RECEIVE_COUNT` (default 5): the queue's `maxReceiveCount`.
    pub max_receive_count: u32,
    /// `OFFBOARD_VISIBILITY_TIMEOUT_SECONDS` (default 360): the queue's visibility timeout.
    pub visibility_timeout: Duration,
    /// `OFFBOARD_CLAIM_TTL_SECONDS` (default 900): how long a claim holds; at least the
    /// executor's timeout.
    pub claim_ttl: Duration,
    /// `OFFBOARD_BATCH_CONCURRENCY` (default 10): messages of a batch in flight at once.
    pub batch_concurrency: usize,
}

/// Parses an optional variable, naming it when its value does not parse.
fn parsed<T: std::str::FromStr>(name: &str, value: Option<String>, default: T) -> Result<T, PipelineError>
where
    T::Err: std::fmt::Display,
{
    match value {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|e| PipelineError::Config(format!("environment variable {name}={text:?} is not valid: {e}"))),
    }
}

/// The deployment's policy: the defaults, with what the stack sets in the environment
/// (`OFFBOARD_MAX_DESTRUCTIVE_ACTIONS`, `OFFBOARD_MAX_DESTRUCTIVE_SHARE`,
/// `OFFBOARD_ALLOWED_DOMAINS` comma-separated, `OFFBOARD_PROTECTED_EMAILS`,
/// `OFFBOARD_SWEEP_INACTIVE_DAYS`, `OFFBOARD_SWEEP_ACTION` downgrade or deactivate).
fn policy_from(optional: impl Fn(&str) -> Option<String>) -> Result<Policy, PipelineError> {
    let mut policy = Policy::default();
    let list = |name: &str| -> Vec<String> {
        optional(name)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let g = &mut policy.guardrails;
    g.hold_above_count =
        parsed("OFFBOARD_MAX_DESTRUCTIVE_ACTIONS", optional("OFFBOARD_MAX_DESTRUCTIVE_ACTIONS"), g.hold_above_count)?;
    g.hold_above_share =
        parsed("OFFBOARD_MAX_DESTRUCTIVE_SHARE", optional("OFFBOARD_MAX_DESTRUCTIVE_SHARE"), g.hold_above_share)?;
    g.allowed_domains = list("OFFBOARD_ALLOWED_DOMAINS");
    g.protected_emails = list("OFFBOARD_PROTECTED_EMAILS");
    policy.sweep.inactive_days =
        parsed("OFFBOARD_SWEEP_INACTIVE_DAYS", optional("OFFBOARD_SWEEP_INACTIVE_DAYS"), policy.sweep.inactive_days)?;
    if let Some(action) = optional("OFFBOARD_SWEEP_ACTION") {
        policy.sweep.action = match action.as_str() {
            "downgrade" => ActionKind::Downgrade,
            "deactivate" => ActionKind::Deactivate,
            other => {
                return Err(PipelineError::Config(format!(
                "environment variable OFFBOARD_SWEEP_ACTION={other:?} is not valid: expected downgrade or deactivate"
            )))
            }
        };
    }
    Ok(policy)
}

/// The watcher's settings: it never talks to Zoom, so it reads no Zoom parameter.
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// `OFFBOARD_BUCKET` (required).
    pub bucket: String,
    /// `OFFBOARD_TOPIC_ARN`: where ends and stalls are announced.
    pub topic_arn: Option<String>,
    /// `OFFBOARD_STALL_AFTER_SECONDS` (default 900): how long a run may go without a new
    /// result, while some are missing, before it is announced as stalled.
    pub stall_after: Duration,
    /// `OFFBOARD_CLAIM_TTL_SECONDS` (default 900): how long a claim on publishing holds;
    /// at least the watcher's timeout.
    pub claim_ttl: Duration,
}

impl WatchSettings {
    pub fn from_env() -> Result<WatchSettings, PipelineError> {
        let optional = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let stall_default = offboard_core::watch::DEFAULT_STALL_AFTER.as_secs() as u64;
        let stall_after =
            parsed("OFFBOARD_STALL_AFTER_SECONDS", optional("OFFBOARD_STALL_AFTER_SECONDS"), stall_default)?;
        if stall_after == 0 {
            return Err(PipelineError::Config(
                "environment variable OFFBOARD_STALL_AFTER_SECONDS must be above 0".into(),
            ));
        }
        Ok(WatchSettings {
            bucket: optional("OFFBOARD_BUCKET")
                .ok_or_else(|| PipelineError::Config("environment variable OFFBOARD_BUCKET is not set".into()))?,
            topic_arn: optional("OFFBOARD_TOPIC_ARN"),
            stall_after: Duration::from_secs(stall_after),
            claim_ttl: Duration::from_secs(parsed(
                "OFFBOARD_CLAIM_TTL_SECONDS",
                optional("OFFBOARD_CLAIM_TTL_SECONDS"),
                900,
            )?),
        })
    }
}

impl Settings {
    /// Reads `ZOOM_API_URL`, `ZOOM_OAUTH_URL` (defaults: Zoom's own), the
    /// `ZOOM_*_PARAM` parameter names, `OFFBOARD_BUCKET`, `OFFBOARD_QUEUE_URL`, and the
    /// pacing: `ZOOM_PLAN` (free, pro, business; default business), `OFFBOARD_BUDGET_SHARE`
    /// (default 0.8) and `OFFBOARD_EXECUTOR_CONCURRENCY` (default 1).
    pub fn from_env() -> Result<Settings, PipelineError> {
        let defaults = Endpoints::default();
        let optional = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let required = |name: &str| {
            optional(name).ok_or_else(|| PipelineError::Config(format!("environment variable {name} is not set")))
        };
        Ok(Settings {
            zoom: Endpoints {
                api_base: optional("ZOOM_API_URL").unwrap_or(defaults.api_base),
                oauth_url: optional("ZOOM_OAUTH_URL").unwrap_or(defaults.oauth_url),
            },
            secrets: SecretNames {
                account_id: required("ZOOM_ACCOUNT_ID_PARAM")?,
                client_id: required("ZOOM_CLIENT_ID_PARAM")?,
                client_secret: required("ZOOM_CLIENT_SECRET_PARAM")?,
            },
            bucket: optional("OFFBOARD_BUCKET"),
            queue_url: optional("OFFBOARD_QUEUE_URL"),
            pacing: PacerConfig {
                rate_plan: parsed("ZOOM_PLAN", optional("ZOOM_PLAN"), RatePlan::Business)?,
                budget_share: parsed("OFFBOARD_BUDGET_SHARE", optional("OFFBOARD_BUDGET_SHARE"), 0.8)?,
                executors: parsed("OFFBOARD_EXECUTOR_CONCURRENCY", optional("OFFBOARD_EXECUTOR_CONCURRENCY"), 1)?,
            },
            policy: policy_from(optional)?,
            topic_arn: optional("OFFBOARD_TOPIC_ARN"),
            plan_key_id: optional("OFFBOARD_PLAN_KEY_ID"),
            execution: ExecutionSettings {
                dlq_url: optional("OFFBOARD_DLQ_URL"),
                max_receive_count: parsed("OFFBOARD_MAX_RECEIVE_COUNT", optional("OFFBOARD_MAX_RECEIVE_COUNT"), 5)?,
                visibility_timeout: Duration::from_secs(parsed(
                    "OFFBOARD_VISIBILITY_TIMEOUT_SECONDS",
                    optional("OFFBOARD_VISIBILITY_TIMEOUT_SECONDS"),
                    360,
                )?),
                claim_ttl: Duration::from_secs(parsed(
                    "OFFBOARD_CLAIM_TTL_SECONDS",
                    optional("OFFBOARD_CLAIM_TTL_SECONDS"),
                    900,
                )?),
                batch_concurrency: parsed("OFFBOARD_BATCH_CONCURRENCY", optional("OFFBOARD_BATCH_CONCURRENCY"), 10)?,
            },
        })
    }

    pub fn require_bucket(&self) -> Result<&str, PipelineError> {
        self.bucket
            .as_deref()
            .ok_or_else(|| PipelineError::Config("environment variable OFFBOARD_BUCKET is not set".into()))
    }

    pub fn require_plan_key_id(&self) -> Result<&str, PipelineError> {
        self.plan_key_id.as_deref().ok_or_else(|| {
            PipelineError::Config(
                "environment variable OFFBOARD_PLAN_KEY_ID is not set: the plan-signing key is needed to sign and check plans"
                    .into(),
            )
        })
    }

    pub fn require_queue_url(&self) -> Result<&str, PipelineError> {
        self.queue_url
            .as_deref()
            .ok_or_else(|| PipelineError::Config("environment variable OFFBOARD_QUEUE_URL is not set".into()))
    }
}
