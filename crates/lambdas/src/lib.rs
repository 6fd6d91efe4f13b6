//! What the two Lambda functions share: logging, and wiring the pipeline from the
//! environment (AWS clients, settings, the Zoom client with credentials from SSM).
//! This crate is the only one that knows Lambda's event shapes.

use std::sync::Arc;

use anyhow::Context;
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::secrets::load_credentials;
use offboard_pipeline::Settings;
use offboard_zoom::ZoomClient;

pub mod s3_event;
pub mod sweep_event;

/// JSON logs on stdout (CloudWatch), level from `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(true)
        .with_target(false)
        .without_time()
        .init();
}

/// Everything a function needs, built once per container.
pub struct Wiring {
    pub settings: Settings,
    pub aws: AwsClients,
    pub zoom: Arc<ZoomClient>,
}

impl Wiring {
    pub async fn from_env() -> anyhow::Result<Wiring> {
        let settings = Settings::from_env()?;
        let aws = AwsClients::from_env().await;
        let credentials = load_credentials(&aws.ssm, &settings.secrets)
            .await
            .context("reading the Zoom app's credentials from SSM")?;
        let zoom = Arc::new(ZoomClient::new(settings.zoom.clone(), credentials)?.with_pacing(settings.pacing));
        Ok(Wiring { settings, aws, zoom })
    }
}
