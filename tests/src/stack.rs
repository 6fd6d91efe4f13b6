//! The stack itself: start, wire, route events, stop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
    S3KeyFilter,
};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_ssm::types::ParameterType;
use serde_json::{json, Value};
use zoom_sim::{SimConfig, ZoomSim};

use crate::process::{free_port, wait_for_port, Guard};

pub const BUCKET: &str = "offboard-local";
pub const ACTION_QUEUE: &str = "offboard-actions";
const NOTIFICATION_QUEUE: &str = "offboard-s3-events";
const DLQ: &str = "offboard-actions-dlq";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const PARAM_ACCOUNT_ID: &str = "/offboard/zoom/account_id";
const PARAM_CLIENT_ID: &str = "/offboard/zoom/client_id";
const PARAM_CLIENT_SECRET: &str = "/offboard/zoom/client_secret";
/// Seconds a received action stays invisible; a failed one comes back after this.
const VISIBILITY_TIMEOUT: u32 = 5;
const MAX_RECEIVE_COUNT: u32 = 5;

/// What to start.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub users: usize,
    pub seed: u64,
}

/// One Lambda function: its emulator and the release binary polling it.
struct Function {
    invoke_url: String,
    _emulator: Guard,
    process: Guard,
}

/// What [`LocalStack::drain_actions`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainStats {
    pub invocations: usize,
    pub messages: usize,
    pub returned_for_retry: usize,
}

pub struct LocalStack {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sim: ZoomSim,
    pub action_queue_url: String,
    pub dlq_url: String,
    notification_queue_url: String,
    http: reqwest::Client,
    /// Every S3 notification handed to the planner, in order, to redeliver one.
    delivered: std::sync::Mutex<Vec<Value>>,
    // Dropped last: functions first, then moto.
    planner: Function,
    executor: Function,
    _moto: Guard,
}

/// The repository's root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The folder holding the release binaries: `OFFBOARD_BIN_DIR`, else `target/release`.
fn bin_dir() -> PathBuf {
    std::env::var_os("OFFBOARD_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target").join("release"))
}

fn venv_bin(tool: &str) -> anyhow::Result<PathBuf> {
    let path = repo_root().join(".venv").join("bin").join(tool);
    if !path.exists() {
        bail!("{} is missing: run `make setup` first (it installs moto and cargo-lambda)", path.display());
    }
    Ok(path)
}

impl LocalStack {
    pub async fn start(options: StackOptions) -> anyhow::Result<LocalStack> {
        let logs = repo_root().join("target").join("stack-logs").join(format!("{}", std::process::id()));
        std::fs::create_dir_all(&logs)?;

        let moto_port = free_port()?;
        let mut moto_cmd = Command::new(venv_bin("moto_server")?);
        moto_cmd.args(["-H", "127.0.0.1", "-p", &moto_port.to_string()]);
        let mut moto = Guard::spawn("moto_server", moto_cmd, &logs.join("moto.log"))?;
        wait_for_port(&mut moto, moto_port, Duration::from_secs(60))?;
        let endpoint = format!("http://127.0.0.1:{moto_port}");

        let sim_config = SimConfig { users: options.users, seed: options.seed, ..SimConfig::default() };
        let app = sim_config.app.clone();
        let sim = ZoomSim::start(sim_config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;

        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(aws_config::Region::new(REGION))
            .credentials_provider(aws_sdk_s3::config::Credentials::new("test", "test", None, None, "local"))
            .load()
            .await;
        let s3 =
            aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build());
        let sqs = aws_sdk_sqs::Client::new(&config);
        let ssm = aws_sdk_ssm::Client::new(&config);

        // Queues: S3 events in, actions out with a DLQ behind them.
        let notification_queue_url = create_queue(&sqs, NOTIFICATION_QUEUE, HashMap::new()).await?;
        let dlq_url = create_queue(&sqs, DLQ, HashMap::new()).await?;
        let redrive = json!({
            "deadLetterTargetArn": queue_arn(DLQ),
            "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
        });
        let action_queue_url = create_queue(
            &sqs,
            ACTION_QUEUE,
            HashMap::from([
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
                (QueueAttributeName::VisibilityTimeout, VISIBILITY_TIMEOUT.to_string()),
            ]),
        )
        .await?;

        // The bucket, notifying the planner's queue of rosters, HR files and approvals.
        s3.create_bucket().bucket(BUCKET).send().await.context("creating the bucket")?;
        let mut notifications = NotificationConfiguration::builder();
        for prefix in ["inbox/", "hr/", "approvals/"] {
            let filter = NotificationConfigurationFilter::builder()
                .key(
                    S3KeyFilter::builder()
                        .filter_rules(FilterRule::builder().name(FilterRuleName::Prefix).value(prefix).build())
                        .build(),
                )
                .build();
            notifications = notifications.queue_configurations(
                QueueConfiguration::builder()
                    .id(format!("{}-to-planner", prefix.trim_end_matches('/')))
                    .queue_arn(queue_arn(NOTIFICATION_QUEUE))
                    .events(Event::S3ObjectCreated)
                    .filter(filter)
                    .build()?,
            );
        }
        s3.put_bucket_notification_configuration()
            .bucket(BUCKET)
            .notification_configuration(notifications.build())
            .send()
            .await
            .context("configuring bucket notifications")?;

        // The Zoom app's credentials, as SecureString parameters.
        for (name, value) in [
            (PARAM_ACCOUNT_ID, &app.account_id),
            (PARAM_CLIENT_ID, &app.client_id),
            (PARAM_CLIENT_SECRET, &app.client_secret),
        ] {
            ssm.put_parameter()
                .name(name)
                .value(value)
                .r#type(ParameterType::SecureString)
                .overwrite(true)
                .send()
                .await
                .with_context(|| format!("creating SSM parameter {name}"))?;
        }

        let env: Vec<(&str, String)> = vec![
            ("AWS_ENDPOINT_URL", endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("ZOOM_API_URL", sim.api_url()),
            ("ZOOM_OAUTH_URL", sim.oauth_url()),
            ("ZOOM_ACCOUNT_ID_PARAM", PARAM_ACCOUNT_ID.into()),
            ("ZOOM_CLIENT_ID_PARAM", PARAM_CLIENT_ID.into()),
            ("ZOOM_CLIENT_SECRET_PARAM", PARAM_CLIENT_SECRET.into()),
            ("OFFBOARD_BUCKET", BUCKET.into()),
            ("OFFBOARD_QUEUE_URL", action_queue_url.clone()),
            ("RUST_LOG", "info".into()),
        ];
        let planner = start_function("planner", &env, &logs)?;
        let executor = start_function("executor", &env, &logs)?;

        Ok(LocalStack {
            s3,
            sqs,
            sim,
            action_queue_url,
            dlq_url,
            notification_queue_url,
            http: reqwest::Client::builder().timeout(Duration::from_secs(300)).build()?,
            delivered: std::sync::Mutex::new(Vec::new()),
            planner,
            executor,
            _moto: moto,
        })
    }

    /// Uploads an object to the bucket, as an admin would.
    pub async fn upload(&self, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.s3
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .with_context(|| format!("uploading {key}"))?;
        Ok(())
    }

    pub async fn get_object(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let object =
            self.s3.get_object().bucket(BUCKET).key(key).send().await.with_context(|| format!("reading {key}"))?;
        Ok(object.body.collect().await?.into_bytes().to_vec())
    }

    pub async fn get_json(&self, key: &str) -> anyhow::Result<Value> {
        Ok(serde_json::from_slice(&self.get_object(key).await?)?)
    }

    /// Every key under `prefix`.
    pub async fn list_keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(BUCKET).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            keys.extend(page?.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        Ok(keys)
    }

    /// What S3 → Lambda does: every pending S3 notification goes to the planner, whose
    /// responses are returned. A notification is deleted once the planner handled it.
    pub async fn deliver_s3_events(&self) -> anyhow::Result<Vec<Value>> {
        let mut responses = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.notification_queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await?;
            let messages = received.messages();
            if messages.is_empty() {
                return Ok(responses);
            }
            for message in messages {
                let event: Value = serde_json::from_str(message.body().unwrap_or("{}"))?;
                responses.push(invoke(&self.http, &self.planner.invoke_url, &event).await?);
                self.delivered.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(event);
                self.sqs
                    .delete_message()
                    .queue_url(&self.notification_queue_url)
                    .set_receipt_handle(message.receipt_handle().map(str::to_string))
                    .send()
                    .await?;
            }
        }
    }

    /// The S3 notifications of objects delivered so far, in order (S3's test event left out).
    pub fn delivered_events(&self) -> Vec<Value> {
        let delivered = self.delivered.lock().map(|d| d.clone()).unwrap_or_default();
        delivered.into_iter().filter(|event| event.get("Records").is_some()).collect()
    }

    /// The planner process's peak resident memory so far, in MB (`VmHWM`).
    pub fn planner_peak_mb(&self) -> anyhow::Result<f64> {
        crate::process::status_mb(&self.planner.process.pid().to_string(), "VmHWM")
            .context("no VmHWM in the planner's /proc status")
    }

    /// Invokes the planner with any event (a redelivered notification, the sweep's).
    pub async fn invoke_planner(&self, event: &Value) -> anyhow::Result<Value> {
        invoke(&self.http, &self.planner.invoke_url, event).await
    }

    /// What Lambda's SQS event source mapping does, until the action queue is empty:
    /// batches of up to ten go to the executor, the messages it does not name in
    /// `batchItemFailures` are deleted, the others come back after their visibility timeout.
    pub async fn drain_actions(&self, within: Duration) -> anyhow::Result<DrainStats> {
        let deadline = Instant::now() + within;
        let mut stats = DrainStats::default();
        loop {
            if Instant::now() > deadline {
                bail!("the action queue did not drain within {within:?} ({stats:?})");
            }
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.action_queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await?;
            let messages = received.messages();
            if messages.is_empty() {
                if self.queue_depth(&self.action_queue_url).await? == 0 {
                    return Ok(stats);
                }
                continue;
            }
            let records: Vec<Value> = messages.iter().map(sqs_record).collect();
            let response = invoke(&self.http, &self.executor.invoke_url, &json!({ "Records": records })).await?;
            stats.invocations += 1;
            stats.messages += messages.len();
            let failed: Vec<&str> = response["batchItemFailures"]
                .as_array()
                .map(|items| items.iter().filter_map(|i| i["itemIdentifier"].as_str()).collect())
                .unwrap_or_default();
            stats.returned_for_retry += failed.len();
            let done: Vec<DeleteMessageBatchRequestEntry> = messages
                .iter()
                .filter(|m| !failed.contains(&m.message_id().unwrap_or_default()))
                .enumerate()
                .map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(format!("d{i}"))
                        .set_receipt_handle(m.receipt_handle().map(str::to_string))
                        .build()
                })
                .collect::<Result<_, _>>()?;
            if !done.is_empty() {
                self.sqs
                    .delete_message_batch()
                    .queue_url(&self.action_queue_url)
                    .set_entries(Some(done))
                    .send()
                    .await?;
            }
        }
    }

    /// Visible plus in-flight messages.
    pub async fn queue_depth(&self, queue_url: &str) -> anyhow::Result<u64> {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?;
        Ok(attributes.attributes().map(|a| a.values().filter_map(|v| v.parse::<u64>().ok()).sum()).unwrap_or(0))
    }

    /// `GET /_sim/users` of the simulator: every user with its status.
    pub async fn sim_users(&self) -> anyhow::Result<Vec<Value>> {
        let body: Value = self.http.get(format!("{}/_sim/users", self.sim.base_url())).send().await?.json().await?;
        Ok(body["users"].as_array().cloned().unwrap_or_default())
    }

    /// `GET /_sim/operations`: every change the simulator applied.
    pub async fn sim_operations(&self) -> anyhow::Result<Vec<Value>> {
        let body: Value =
            self.http.get(format!("{}/_sim/operations", self.sim.base_url())).send().await?.json().await?;
        Ok(body["operations"].as_array().cloned().unwrap_or_default())
    }
}

fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> anyhow::Result<String> {
    let created = sqs
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .with_context(|| format!("creating queue {name}"))?;
    created.queue_url().map(str::to_string).context("CreateQueue returned no URL")
}

fn start_function(name: &str, env: &[(&str, String)], logs: &Path) -> anyhow::Result<Function> {
    let binary = bin_dir().join(name);
    if !binary.exists() {
        bail!("{} is missing: build with `cargo build --release --workspace --bins`", binary.display());
    }
    let port = free_port()?;
    let mut emulator_cmd = Command::new(venv_bin("cargo-lambda")?);
    emulator_cmd
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
        .current_dir(repo_root());
    let mut emulator =
        Guard::spawn(&format!("{name} emulator"), emulator_cmd, &logs.join(format!("{name}-emulator.log")))?;
    wait_for_port(&mut emulator, port, Duration::from_secs(60))?;

    let mut process_cmd = Command::new(&binary);
    process_cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut process = Guard::spawn(name, process_cmd, &logs.join(format!("{name}.log")))?;
    process.check_running()?;
    Ok(Function {
        invoke_url: format!("http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"),
        _emulator: emulator,
        process,
    })
}

/// Invokes a function through its emulator and returns its response, failing on a
/// function error.
async fn invoke(http: &reqwest::Client, url: &str, payload: &Value) -> anyhow::Result<Value> {
    let response = http.post(url).json(payload).send().await.context("invoking a function")?;
    let status = response.status();
    let text = response.text().await?;
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    if !status.is_success() || body.get("errorType").is_some() {
        bail!("function failed (HTTP {status}): {text}");
    }
    Ok(body)
}

/// The SQS record Lambda hands a function for one received message.
fn sqs_record(message: &aws_sdk_sqs::types::Message) -> Value {
    let attributes: serde_json::Map<String, Value> = message
        .attributes()
        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone()))).collect())
        .unwrap_or_default();
    json!({
        "messageId": message.message_id(),
        "receiptHandle": message.receipt_handle(),
        "body": message.body(),
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": message.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn(ACTION_QUEUE),
        "awsRegion": REGION,
    })
}
