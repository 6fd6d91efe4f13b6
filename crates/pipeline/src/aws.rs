//! AWS SDK clients from the environment. With `AWS_ENDPOINT_URL` set (the local stack),
//! S3 uses path-style addressing, which moto's server needs.
//!
//! Every request the clients send (each attempt, retries included) is counted by service
//! and operation ([`RequestCounts`]): the executor and the watcher put what an invocation
//! cost into their metrics, so what an action costs in S3 and SQS requests is measured,
//! not estimated.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

pub struct AwsClients {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sns: aws_sdk_sns::Client,
    pub kms: aws_sdk_kms::Client,
    /// What the clients above have sent so far.
    pub requests: RequestCounts,
}

impl AwsClients {
    pub async fn from_env() -> AwsClients {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let requests = RequestCounts::default();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(custom_endpoint)
            .interceptor(requests.clone())
            .build();
        AwsClients {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(&config).interceptor(requests.clone()).build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(&config).interceptor(requests.clone()).build(),
            ),
            sns: aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(&config).interceptor(requests.clone()).build(),
            ),
            kms: aws_sdk_kms::Client::from_conf(
                aws_sdk_kms::config::Builder::from(&config).interceptor(requests.clone()).build(),
            ),
            requests,
        }
    }
}

/// Requests sent, by (service, operation), as the SDK names them (`S3`, `PutObject`).
#[derive(Debug, Clone, Default)]
pub struct RequestCounts {
    counts: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl RequestCounts {
    /// Every count so far.
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// What was sent since `before` (an earlier snapshot), by (service, operation).
    pub fn since(&self, before: &BTreeMap<(String, String), u64>) -> BTreeMap<(String, String), u64> {
        self.snapshot()
            .into_iter()
            .map(|(key, n)| {
                let earlier = before.get(&key).copied().unwrap_or(0);
                (key, n - earlier.min(n))
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    fn count(&self, service: &str, operation: &str) {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry((service.to_string(), operation.to_string())).or_insert(0) += 1;
        }
    }
}

impl Intercept for RequestCounts {
    fn name(&self) -> &'static str {
        "RequestCounts"
    }

    /// Once per attempt, just before it goes on the wire.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.count(metadata.service(), metadata.name());
        }
        Ok(())
    }
}
