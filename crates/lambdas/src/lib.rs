//! What the Lambda functions share: logging, wiring the pipeline from the environment
//! (AWS clients, settings, the Zoom client with credentials from SSM), and how their
//! metric lines report the AWS requests an invocation made.
//! This crate is the only one that knows Lambda's event shapes.

use std::collections::BTreeMap;
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

/// Requests to `service` (`S3`, `SQS`) among `sent`, by (service, operation).
pub fn requests_to(sent: &BTreeMap<(String, String), u64>, service: &str) -> u64 {
    sent.iter().filter(|((s, _), _)| s == service).map(|(_, n)| *n).sum()
}

/// `S3.PutObject=20,SQS.SendMessage=1`: the requests an invocation made, for its metric line.
pub fn requests_property(sent: &BTreeMap<(String, String), u64>) -> String {
    sent.iter().map(|((service, operation), n)| format!("{service}.{operation}={n}")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_summed_by_service_and_listed_by_operation() {
        let sent: BTreeMap<(String, String), u64> =
            [(("S3", "PutObject"), 20), (("S3", "HeadObject"), 1), (("SQS", "SendMessage"), 2)]
                .into_iter()
                .map(|((s, o), n)| ((s.to_string(), o.to_string()), n))
                .collect();
        assert_eq!((requests_to(&sent, "S3"), requests_to(&sent, "SQS"), requests_to(&sent, "SNS")), (21, 2, 0));
        assert_eq!(requests_property(&sent), "S3.HeadObject=1,S3.PutObject=20,SQS.SendMessage=2");
    }
}
