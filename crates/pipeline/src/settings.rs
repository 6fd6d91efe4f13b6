//! Settings read from the environment once per container.

use offboard_zoom::Endpoints;

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
    /// The action queue (planner only).
    pub queue_url: Option<String>,
}

impl Settings {
    /// Reads `ZOOM_API_URL`, `ZOOM_OAUTH_URL` (defaults: Zoom's own), the
    /// `ZOOM_*_PARAM` parameter names, `OFFBOARD_BUCKET` and `OFFBOARD_QUEUE_URL`.
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
        })
    }

    pub fn require_bucket(&self) -> Result<&str, PipelineError> {
        self.bucket
            .as_deref()
            .ok_or_else(|| PipelineError::Config("environment variable OFFBOARD_BUCKET is not set".into()))
    }

    pub fn require_queue_url(&self) -> Result<&str, PipelineError> {
        self.queue_url
            .as_deref()
            .ok_or_else(|| PipelineError::Config("environment variable OFFBOARD_QUEUE_URL is not set".into()))
    }
}
