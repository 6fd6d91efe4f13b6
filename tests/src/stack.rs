//! The stack itself: start, wire, route events, stop.
//!
//! IAM is checked as AWS checks it: once the resources exist, `tests/stack_iam.py` gives
//! every principal (the planner and the executor, the operators, the HR system) the role
//! the synthesized template gives it, and switches moto's IAM checks on. Each Lambda
//! binary runs with its role's credentials, uploads go as the principal the docs say
//! uploads them, and the event source mapping receives as the executor's role.

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

/// The bucket's name as the template computes it (`<prefix>-<account>-<region>`); the
/// IAM setup checks that the two agree, so the roles' statements name this bucket.
pub const BUCKET: &str = "offboard-123456789012-us-east-1";
pub const ACTION_QUEUE: &str = "offboard-actions";
const NOTIFICATION_QUEUE: &str = "offboard-s3-events";
const DLQ: &str = "offboard-actions-dlq";
const TOPIC: &str = "offboard-notifications";
/// Subscribed to the topic, as an admin's mail would be.
const TOPIC_SUBSCRIBER_QUEUE: &str = "offboard-notifications-inbox";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
const PARAM_ACCOUNT_ID: &str = "/offboard/zoom/account_id";
const PARAM_CLIENT_ID: &str = "/offboard/zoom/client_id";
const PARAM_CLIENT_SECRET: &str = "/offboard/zoom/client_secret";
/// Seconds a received action stays invisible; a failed one comes back after this.
const VISIBILITY_TIMEOUT: u32 = 5;
pub const MAX_RECEIVE_COUNT: u32 = 5;
/// A claim left by a killed executor expires after this; above the visibility timeout,
/// below the time the retries of a message take (so a takeover happens before the DLQ).
const CLAIM_TTL_SECONDS: u32 = 10;
/// How long the executor may take per invocation (the emulator's deadline).
const EXECUTOR_TIMEOUT: Duration = Duration::from_secs(120);
/// The watcher's timeout, as deployed: the TTL of its claim on a notification.
const WATCHER_TIMEOUT: Duration = Duration::from_secs(60);
/// The watcher's emulator's `--timeout`. The emulator applies it to every request it
/// serves, the runtime's long poll for its next invocation included: a runtime idle for
/// longer gets a 408 without a request id, and lambda_runtime exits on it (Lambda itself
/// keeps an idle environment waiting). The watcher idles a full schedule period between
/// looks, so its emulator's limit is well above that; the deployed timeout stays in its
/// claim TTL.
const WATCHER_EMULATOR_TIMEOUT: Duration = Duration::from_secs(900);

/// The simulated Zoom account of a program that starts the stack (`demo`, `stack`), as
/// its command-line options.
#[derive(Debug, Clone, clap::Args)]
pub struct AccountArgs {
    /// Users in the simulated Zoom account.
    #[arg(long, default_value_t = 2000)]
    pub users: usize,
    /// Seed of the simulated account (examples/roster.csv names users of seed 42).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    pub users: usize,
    pub seed: u64,
    /// `RUST_LOG` of the functions; `info` when `None`.
    pub rust_log: Option<&'static str>,
    /// Messages per executor invocation, as the event source mapping's batch size
    /// (above 10 it is gathered from several receives, as its batching window does);
    /// 10 when `None`.
    pub batch_size: Option<usize>,
    /// The executor's `OFFBOARD_BATCH_CONCURRENCY`; its default when `None`.
    pub batch_concurrency: Option<usize>,
    /// The scopes the Zoom app is granted; the documented ones when `None`
    /// ([`documented_scopes`]), as an admin following the README grants them.
    pub scopes: Option<Vec<String>>,
    /// Executor instances the action queue's batches are routed to at once, as the event
    /// source mapping's maximum concurrency (each paces itself to its share of the
    /// budget: `OFFBOARD_EXECUTOR_CONCURRENCY`); 1 when `None`.
    pub executors: Option<usize>,
    /// `OFFBOARD_BUDGET_SHARE` of the functions; the pipeline's default when `None`.
    pub budget_share: Option<f64>,
    /// Milliseconds every AWS request waits in moto before it is handled, as a round trip
    /// to AWS costs; none when `None`.
    pub aws_latency_ms: Option<u64>,
    /// The watcher's `OFFBOARD_STALL_AFTER_SECONDS`; its default when `None`.
    pub stall_after_seconds: Option<u64>,
    /// While actions drain, the watcher is invoked this often, as its schedule does
    /// (every minute, deployed); only once the queue is empty when `None`.
    pub watch_every: Option<Duration>,
    /// zoom-sim's account loaded from an `offboard backup` folder (`users` and `seed`
    /// are then ignored); generated when `None`.
    pub from_backup: Option<PathBuf>,
}

/// The granular scopes the deploy guide tells an admin to grant: one per Zoom call the
/// client makes (`offboard_zoom::ZoomCall`, the table in `infra/README.md` is generated
/// from the same list and a test keeps the two equal).
pub fn documented_scopes() -> Vec<String> {
    offboard_zoom::ZoomCall::ALL.iter().map(|call| call.scope().to_string()).collect()
}

/// One Lambda function: its emulator and the release binary polling it.
struct Function {
    name: &'static str,
    /// `name`, or `name-i<n>` for the nth instance after the first: its log files.
    label: String,
    invoke_url: String,
    runtime_api: String,
    env: Vec<(&'static str, String)>,
    logs: PathBuf,
    _emulator: Guard,
    /// Replaced when the process is killed and started again.
    process: std::sync::Mutex<Guard>,
    /// How many times the process was started.
    starts: std::sync::atomic::AtomicUsize,
}

/// What [`LocalStack::drain_actions`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainStats {
    pub invocations: usize,
    pub messages: usize,
    pub returned_for_retry: usize,
    /// Invocations cut short by killing the executor process.
    pub kills: usize,
}

/// When [`LocalStack::drain_actions_with_kills`] kills the executor: during these
/// invocations (0-based), once it has changed something in Zoom.
#[derive(Debug, Clone, Default)]
pub struct Kills {
    pub during_invocations: Vec<usize>,
}

/// Who makes a request to the local stack's AWS, each with the IAM the template gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// The planner function's role.
    Planner,
    /// The executor function's role (also the event source mapping's).
    Executor,
    /// The watcher function's role.
    Watcher,
    /// An operator or approver: the stack's OperatorRole (uploads, approvals, undos, and
    /// the `offboard` bucket commands).
    Operator,
    /// The HR system: the stack's HrDropRole (files under `hr/` only).
    Hr,
    /// The test itself and AWS's own services: everything.
    Harness,
}

impl Principal {
    fn key(self) -> &'static str {
        match self {
            Principal::Planner => "planner",
            Principal::Executor => "executor",
            Principal::Watcher => "watcher",
            Principal::Operator => "operator",
            Principal::Hr => "hr",
            Principal::Harness => "harness",
        }
    }

    /// Who in the role uploads under `key` by default: rosters, HR files and undos are
    /// one person's, approvals another's (as the two-person rule asks), cancels a third's.
    pub fn person_uploading(key: &str) -> &'static str {
        if key.starts_with(offboard_pipeline::trigger::APPROVALS_PREFIX) {
            "approver"
        } else if key.starts_with(offboard_pipeline::trigger::CANCEL_PREFIX) {
            "canceller"
        } else {
            "uploader"
        }
    }

    /// `person` in this role as S3 names them in an event: `AWS:<role id>:<session>`, as
    /// for a role assumed through SSO.
    pub fn principal_id(self, person: &str) -> String {
        format!("AWS:AROA{}:{person}", self.key().to_uppercase())
    }

    /// Who uploads under `key`, as the docs tell an admin to grant it: rosters, approvals
    /// and undos are the operators', HR files the HR system's, the rest (the policy) the
    /// stack owner's.
    pub fn uploading(key: &str) -> Principal {
        use offboard_pipeline::trigger::{APPROVALS_PREFIX, CANCEL_PREFIX, HR_PREFIX, INBOX_PREFIX, UNDO_PREFIX};
        if [INBOX_PREFIX, APPROVALS_PREFIX, UNDO_PREFIX, CANCEL_PREFIX].iter().any(|p| key.starts_with(p)) {
            Principal::Operator
        } else if key.starts_with(HR_PREFIX) {
            Principal::Hr
        } else {
            Principal::Harness
        }
    }
}

/// One principal's access keys on the local stack.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AccessKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
}

/// What `tests/stack_iam.py` printed.
#[derive(Debug, Clone, serde::Deserialize)]
struct IamSetup {
    bucket: String,
    plan_key_arn: String,
    credentials: HashMap<String, AccessKeys>,
    statements: HashMap<String, Value>,
}

pub struct LocalStack {
    /// The harness's clients (it may do anything): for the test's own reads and setup.
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sim: ZoomSim,
    pub action_queue_url: String,
    pub dlq_url: String,
    pub topic_arn: String,
    /// The environment the functions share (AWS endpoint, SSM parameter names, bucket),
    /// without credentials: each function adds its role's.
    pub function_env: Vec<(&'static str, String)>,
    endpoint: String,
    iam: IamSetup,
    /// The event source mapping's client: it receives and deletes as the executor's role.
    executor_sqs: aws_sdk_sqs::Client,
    batch_size: usize,
    watch_every: Option<Duration>,
    subscriber_queue_url: String,
    notification_queue_url: String,
    logs: PathBuf,
    http: reqwest::Client,
    /// Every S3 notification handed to the planner, in order, to redeliver one.
    delivered: std::sync::Mutex<Vec<Value>>,
    /// Who uploaded each object version, as S3 would name them in its events
    /// (`userIdentity.principalId`, which moto's events lack).
    uploaders: std::sync::Mutex<HashMap<String, String>>,
    // Dropped last: functions first, then moto.
    planner: Function,
    /// The executor's instances; the first is the one killed by `drain_actions_with_kills`.
    executors: Vec<Function>,
    watcher: Function,
    _moto: Guard,
}

/// The repository's root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The folder holding the release binaries: `OFFBOARD_BIN_DIR`, else `target/release`.
pub fn bin_dir() -> PathBuf {
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
        // One folder per stack: the tests of one binary run side by side in one process,
        // and each must read its own functions' logs.
        static STACKS_STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nth = STACKS_STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let logs = repo_root().join("target").join("stack-logs").join(format!("{}-{nth}", std::process::id()));
        std::fs::create_dir_all(&logs)?;

        let moto_port = free_port()?;
        // moto's server, with a fix for SendMessage on large queues (see the script).
        let mut moto_cmd = Command::new(venv_bin("python3")?);
        moto_cmd.arg(repo_root().join("tests").join("moto_server.py"));
        moto_cmd.args(["-H", "127.0.0.1", "-p", &moto_port.to_string()]);
        if let Some(latency) = options.aws_latency_ms {
            moto_cmd.env("OFFBOARD_MOTO_LATENCY_MS", latency.to_string());
        }
        let mut moto = Guard::spawn("moto_server", moto_cmd, &logs.join("moto.log"))?;
        wait_for_port(&mut moto, moto_port, Duration::from_secs(60))?;
        let endpoint = format!("http://127.0.0.1:{moto_port}");

        let mut sim_config = match &options.from_backup {
            Some(dir) => SimConfig::from_backup(dir).with_context(|| format!("loading {}", dir.display()))?,
            None => SimConfig { users: options.users, seed: options.seed, ..SimConfig::default() },
        };
        sim_config.scopes = Some(options.scopes.clone().unwrap_or_else(documented_scopes));
        // A secret no other string in a run could contain by chance: the secrets test
        // looks for it in every log line and object.
        sim_config.app.client_secret = format!("sim-secret-{:016x}", options.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let app = sim_config.app.clone();
        let sim = ZoomSim::start(sim_config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;

        // Set-up runs before IAM checks are on, with any credentials.
        let bootstrap =
            AccessKeys { access_key_id: "test".into(), secret_access_key: "test".into(), session_token: None };
        let config = aws_config_for(&endpoint, &bootstrap).await;
        let s3 = s3_client(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let ssm = aws_sdk_ssm::Client::new(&config);
        let sns = aws_sdk_sns::Client::new(&config);

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

        // The notification topic, with a queue subscribed to read what it published.
        let topic_arn = sns
            .create_topic()
            .name(TOPIC)
            .send()
            .await
            .context("creating the topic")?
            .topic_arn()
            .context("CreateTopic returned no ARN")?
            .to_string();
        let subscriber_queue_url = create_queue(&sqs, TOPIC_SUBSCRIBER_QUEUE, HashMap::new()).await?;
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn(TOPIC_SUBSCRIBER_QUEUE))
            .send()
            .await
            .context("subscribing a queue to the topic")?;

        // The bucket, notifying the planner's queue of rosters, HR files, approvals and undos.
        s3.create_bucket().bucket(BUCKET).send().await.context("creating the bucket")?;
        // Versioned, as the template's bucket is: every notification names its version.
        s3.put_bucket_versioning()
            .bucket(BUCKET)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .context("turning on the bucket's versioning")?;
        let mut notifications = NotificationConfiguration::builder();
        for prefix in offboard_pipeline::trigger::TRIGGER_PREFIXES {
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

        // Every principal's role from the template; IAM checks on from here.
        let iam = set_up_iam(&endpoint, &action_queue_url, &dlq_url, &topic_arn, &logs)?;
        let harness = aws_config_for(&endpoint, iam.keys(Principal::Harness)?).await;
        let (s3, sqs) = (s3_client(&harness), aws_sdk_sqs::Client::new(&harness));
        let executor_sqs = aws_sdk_sqs::Client::new(&aws_config_for(&endpoint, iam.keys(Principal::Executor)?).await);

        let env: Vec<(&'static str, String)> = vec![
            ("AWS_ENDPOINT_URL", endpoint.clone()),
            ("AWS_REGION", REGION.into()),
            ("OFFBOARD_PLAN_KEY_ID", iam.plan_key_arn.clone()),
            ("ZOOM_API_URL", sim.api_url()),
            ("ZOOM_OAUTH_URL", sim.oauth_url()),
            ("ZOOM_ACCOUNT_ID_PARAM", PARAM_ACCOUNT_ID.into()),
            ("ZOOM_CLIENT_ID_PARAM", PARAM_CLIENT_ID.into()),
            ("ZOOM_CLIENT_SECRET_PARAM", PARAM_CLIENT_SECRET.into()),
            ("OFFBOARD_BUCKET", BUCKET.into()),
            ("OFFBOARD_QUEUE_URL", action_queue_url.clone()),
            ("OFFBOARD_DLQ_URL", dlq_url.clone()),
            ("OFFBOARD_TOPIC_ARN", topic_arn.clone()),
            ("OFFBOARD_MAX_RECEIVE_COUNT", MAX_RECEIVE_COUNT.to_string()),
            ("OFFBOARD_VISIBILITY_TIMEOUT_SECONDS", VISIBILITY_TIMEOUT.to_string()),
            ("OFFBOARD_CLAIM_TTL_SECONDS", CLAIM_TTL_SECONDS.to_string()),
            ("RUST_LOG", options.rust_log.unwrap_or("info").into()),
        ];
        let mut env = env;
        if let Some(concurrency) = options.batch_concurrency {
            env.push(("OFFBOARD_BATCH_CONCURRENCY", concurrency.to_string()));
        }
        let instances = options.executors.unwrap_or(1).max(1);
        env.push(("OFFBOARD_EXECUTOR_CONCURRENCY", instances.to_string()));
        if let Some(share) = options.budget_share {
            env.push(("OFFBOARD_BUDGET_SHARE", share.to_string()));
        }
        if let Some(seconds) = options.stall_after_seconds {
            env.push(("OFFBOARD_STALL_AFTER_SECONDS", seconds.to_string()));
        }
        let with_keys = |principal| -> anyhow::Result<Vec<(&'static str, String)>> {
            Ok(env.iter().cloned().chain(iam.keys(principal)?.env()).collect())
        };
        let planner = start_function("planner", 0, &with_keys(Principal::Planner)?, &logs, Duration::from_secs(900))?;
        let executors = (0..instances)
            .map(|n| start_function("executor", n, &with_keys(Principal::Executor)?, &logs, EXECUTOR_TIMEOUT))
            .collect::<anyhow::Result<Vec<_>>>()?;
        // The watcher's claim on a notification holds for its timeout, as deployed.
        let mut watcher_env = with_keys(Principal::Watcher)?;
        watcher_env.retain(|(name, _)| *name != "OFFBOARD_CLAIM_TTL_SECONDS");
        watcher_env.push(("OFFBOARD_CLAIM_TTL_SECONDS", WATCHER_TIMEOUT.as_secs().to_string()));
        let watcher = start_function("watcher", 0, &watcher_env, &logs, WATCHER_EMULATOR_TIMEOUT)?;

        Ok(LocalStack {
            s3,
            sqs,
            sim,
            action_queue_url,
            dlq_url,
            topic_arn,
            function_env: env.clone(),
            endpoint,
            iam,
            executor_sqs,
            batch_size: options.batch_size.unwrap_or(10).max(1),
            watch_every: options.watch_every,
            subscriber_queue_url,
            notification_queue_url,
            logs,
            http: reqwest::Client::builder().timeout(Duration::from_secs(300)).build()?,
            delivered: std::sync::Mutex::new(Vec::new()),
            uploaders: std::sync::Mutex::new(HashMap::new()),
            planner,
            executors,
            watcher,
            _moto: moto,
        })
    }

    /// Uploads an object to the bucket as the principal that would ([`Principal::uploading`]).
    pub async fn upload(&self, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.upload_as(Principal::uploading(key), key, body).await
    }

    /// Uploads an object to the bucket as `principal`; IAM may refuse it. The person is
    /// the one that would ([`Principal::person_uploading`]).
    pub async fn upload_as(&self, principal: Principal, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        self.upload_by(principal, Principal::person_uploading(key), key, body).await
    }

    /// Uploads an object as `person` in `principal`'s role (their session name, as SSO
    /// names each person who assumes a role): the S3 event of the upload names them.
    pub async fn upload_by(&self, principal: Principal, person: &str, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        let put = self
            .s3_as(principal)
            .await?
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .with_context(|| format!("uploading {key}"))?;
        if let Some(version) = put.version_id() {
            let mut uploaders = self.uploaders.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            uploaders.insert(version.to_string(), principal.principal_id(person));
        }
        Ok(())
    }

    /// Adds to each record of an S3 event the `userIdentity` S3 would give it: who
    /// uploaded that version, or, for an object this stack did not upload (the `offboard`
    /// CLI's), the person who would have.
    fn with_user_identity(&self, mut event: Value) -> anyhow::Result<Value> {
        let uploaders = self.uploaders.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for record in event.get_mut("Records").and_then(Value::as_array_mut).into_iter().flatten() {
            let key = offboard_pipeline::keys::decode_event_key(record["s3"]["object"]["key"].as_str().unwrap_or(""));
            let principal_id = record["s3"]["object"]["versionId"]
                .as_str()
                .and_then(|version| uploaders.get(version).cloned())
                .unwrap_or_else(|| Principal::uploading(&key).principal_id(Principal::person_uploading(&key)));
            record["userIdentity"] = serde_json::json!({ "principalId": principal_id });
        }
        Ok(event)
    }

    /// Kills both function processes and starts them again, as Lambda starts a new
    /// container: they read their credentials and fetch a new Zoom token.
    pub fn restart_functions(&self) -> anyhow::Result<()> {
        self.planner.restart()?;
        self.watcher.restart()?;
        self.executors.iter().try_for_each(Function::restart)
    }

    /// Starts a new process for each function whose process exited (an idle runtime's
    /// long poll ends at its emulator's `--timeout`), so a stack kept running has a
    /// runtime waiting when the next event comes.
    pub fn revive_exited_functions(&self) -> anyhow::Result<()> {
        [&self.planner, &self.watcher].into_iter().chain(&self.executors).try_for_each(Function::revive_if_exited)
    }

    /// An S3 client signed as `principal`.
    pub async fn s3_as(&self, principal: Principal) -> anyhow::Result<aws_sdk_s3::Client> {
        Ok(s3_client(&aws_config_for(&self.endpoint, self.iam.keys(principal)?).await))
    }

    /// An SQS client signed as `principal`.
    pub async fn sqs_as(&self, principal: Principal) -> anyhow::Result<aws_sdk_sqs::Client> {
        Ok(aws_sdk_sqs::Client::new(&aws_config_for(&self.endpoint, self.iam.keys(principal)?).await))
    }

    /// What a program acting as `principal` needs to reach this stack's AWS: the endpoint,
    /// the region, its keys and the bucket (an operator's `offboard`, say).
    pub fn env_of(&self, principal: Principal) -> anyhow::Result<Vec<(&'static str, String)>> {
        let mut env = vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_REGION", REGION.to_string()),
            ("OFFBOARD_BUCKET", BUCKET.to_string()),
        ];
        env.extend(self.iam.keys(principal)?.env());
        Ok(env)
    }

    /// The statements the principal's role was given, resolved from the template.
    pub fn role_statements(&self, principal: Principal) -> Option<&Value> {
        self.iam.statements.get(principal.key())
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
            let notifications = self.receive_s3_notifications().await?;
            if notifications.is_empty() {
                return Ok(responses);
            }
            for (event, receipt) in notifications {
                responses.push(self.planner.invoke(&self.http, &event).await?);
                self.delivered.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(event);
                self.delete_s3_notification(receipt).await?;
            }
        }
    }

    /// Up to ten pending S3 notifications, with their receipt handles, each record with
    /// the `userIdentity` S3 gives it ([`LocalStack::with_user_identity`]).
    async fn receive_s3_notifications(&self) -> anyhow::Result<Vec<(Value, Option<String>)>> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.notification_queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?;
        received
            .messages()
            .iter()
            .map(|m| {
                let event = self.with_user_identity(serde_json::from_str(m.body().unwrap_or("{}"))?)?;
                Ok((event, m.receipt_handle().map(str::to_string)))
            })
            .collect()
    }

    async fn delete_s3_notification(&self, receipt: Option<String>) -> anyhow::Result<()> {
        self.sqs.delete_message().queue_url(&self.notification_queue_url).set_receipt_handle(receipt).send().await?;
        Ok(())
    }

    /// The folder of this stack's logs (moto's, each function's), under `target/stack-logs/`.
    pub fn logs_dir(&self) -> &Path {
        &self.logs
    }

    /// The S3 notifications of objects delivered so far, in order (S3's test event left out).
    pub fn delivered_events(&self) -> Vec<Value> {
        let delivered = self.delivered.lock().map(|d| d.clone()).unwrap_or_default();
        delivered.into_iter().filter(|event| event.get("Records").is_some()).collect()
    }

    /// The planner process's peak resident memory so far, in MB (`VmHWM`).
    pub fn planner_peak_mb(&self) -> anyhow::Result<f64> {
        crate::process::status_mb(&self.planner.pid().to_string(), "VmHWM")
            .context("no VmHWM in the planner's /proc status")
    }

    /// Makes `actions` on `resource` fail for `principal` as AWS fails them (an explicit
    /// Deny in an inline policy of its role, `AccessDenied`) until [`LocalStack::heal`]:
    /// the crash between two writes, or a publish that does not go out, without a hook in
    /// the code under test.
    pub fn deny(&self, principal: Principal, actions: &[&str], resource: &str) -> anyhow::Result<()> {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [{ "Effect": "Deny", "Action": actions, "Resource": resource }],
        });
        self.role_policy(principal, Some(document.to_string()))
    }

    /// Lifts what [`LocalStack::deny`] imposed on `principal`.
    pub fn heal(&self, principal: Principal) -> anyhow::Result<()> {
        self.role_policy(principal, None)
    }

    fn role_policy(&self, principal: Principal, document: Option<String>) -> anyhow::Result<()> {
        let harness = self.iam.credentials.get(Principal::Harness.key()).context("no harness keys")?;
        let keys = json!({
            "access_key_id": harness.access_key_id,
            "secret_access_key": harness.secret_access_key,
        });
        let mut command = Command::new(venv_bin("python3")?);
        command
            .arg(repo_root().join("tests").join("stack_iam.py"))
            .arg("role-policy")
            .arg(&self.endpoint)
            .arg(REGION)
            .arg(keys.to_string())
            .arg(format!("offboard-{}", principal.key()))
            .arg("test-fault");
        if let Some(document) = document {
            command.arg(document);
        }
        let output = command.output().context("running tests/stack_iam.py role-policy")?;
        if !output.status.success() {
            bail!("tests/stack_iam.py role-policy failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(())
    }

    /// Invokes the planner with any event (a redelivered notification, the sweep's).
    pub async fn invoke_planner(&self, event: &Value) -> anyhow::Result<Value> {
        self.planner.invoke(&self.http, event).await
    }

    /// What Lambda's SQS event source mapping does, until the action queue is empty:
    /// batches of up to ten go to the executor (to each of its instances at once, as the
    /// mapping's maximum concurrency does), the messages it does not name in
    /// `batchItemFailures` are deleted, the others come back after their visibility
    /// timeout. Then the watcher looks once, as its schedule would within the minute, so
    /// a run that has every result has its summary and notification.
    pub async fn drain_actions(&self, within: Duration) -> anyhow::Result<DrainStats> {
        self.drain_actions_with_kills(within, &Kills::default()).await
    }

    /// [`LocalStack::drain_actions`], killing the executor process mid-batch as `kills`
    /// says: once the invocation has changed something in Zoom, the process gets SIGKILL
    /// and a new one starts. The killed batch's messages come back after their
    /// visibility timeout, as they would after a crash in Lambda. Kills need one instance.
    pub async fn drain_actions_with_kills(&self, within: Duration, kills: &Kills) -> anyhow::Result<DrainStats> {
        if !kills.during_invocations.is_empty() && self.executors.len() > 1 {
            bail!("kills need a stack with one executor instance");
        }
        let deadline = Instant::now() + within;
        let stats = std::sync::Mutex::new(DrainStats::default());
        let kill_next =
            std::sync::Mutex::new(kills.during_invocations.iter().copied().collect::<std::collections::VecDeque<_>>());
        let workers =
            self.executors.iter().map(|instance| self.route_batches(instance, deadline, within, &stats, &kill_next));
        let schedule = async {
            let Some(every) = self.watch_every else { return std::future::pending().await };
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                ticks.tick().await;
                self.watch().await?;
            }
        };
        tokio::select! {
            drained = futures::future::try_join_all(workers) => drained.map(|_| ())?,
            failed = schedule => return failed,
        }
        self.watch().await?;
        let stats = *stats.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(stats)
    }

    /// One of the event source mapping's concurrent pollers: receives batches and invokes
    /// `instance` with them until the queue is empty.
    async fn route_batches(
        &self,
        instance: &Function,
        deadline: Instant,
        within: Duration,
        stats: &std::sync::Mutex<DrainStats>,
        kill_next: &std::sync::Mutex<std::collections::VecDeque<usize>>,
    ) -> anyhow::Result<()> {
        let lock = |m| anyhow::anyhow!("{m} poisoned");
        loop {
            if Instant::now() > deadline {
                let stats = *stats.lock().map_err(|_| lock("stats"))?;
                bail!("the action queue did not drain within {within:?} ({stats:?})");
            }
            let received = self.receive_batch().await?;
            let messages = received.as_slice();
            if messages.is_empty() {
                if self.queue_depth(&self.action_queue_url).await? == 0 {
                    return Ok(());
                }
                continue;
            }
            let records: Vec<Value> = messages.iter().map(sqs_record).collect();
            let payload = json!({ "Records": records });
            let invocation = instance.invoke(&self.http, &payload);
            let invocations = {
                let mut stats = stats.lock().map_err(|_| lock("stats"))?;
                stats.invocations += 1;
                stats.messages += messages.len();
                stats.invocations
            };
            let kill_now = kill_next.lock().map_err(|_| lock("kills"))?.front().is_some_and(|&at| invocations > at);
            let response = if kill_now {
                match self.kill_when_zoom_changes(instance, invocation).await? {
                    Some(response) => response,
                    None => {
                        kill_next.lock().map_err(|_| lock("kills"))?.pop_front();
                        stats.lock().map_err(|_| lock("stats"))?.kills += 1;
                        continue;
                    }
                }
            } else {
                invocation.await?
            };
            let failed: Vec<&str> = response["batchItemFailures"]
                .as_array()
                .map(|items| items.iter().filter_map(|i| i["itemIdentifier"].as_str()).collect())
                .unwrap_or_default();
            stats.lock().map_err(|_| lock("stats"))?.returned_for_retry += failed.len();
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
            // SQS deletes at most 10 a call.
            for chunk in done.chunks(10) {
                self.executor_sqs
                    .delete_message_batch()
                    .queue_url(&self.action_queue_url)
                    .set_entries(Some(chunk.to_vec()))
                    .send()
                    .await?;
            }
        }
    }

    /// Invokes the watcher once with the schedule's event, as EventBridge Scheduler does
    /// every minute; its response (`runs`, `completed`, `stalled`, `announced_stalled`,
    /// `errors`).
    pub async fn watch(&self) -> anyhow::Result<Value> {
        let event = json!({
            "source": "offboard.scheduler",
            "detail-type": "Offboard Watch",
            "time": jiff::Timestamp::now().to_string(),
        });
        self.watcher.invoke(&self.http, &event).await
    }

    /// The AWS requests moto's server has answered since it started (or since
    /// [`LocalStack::reset_aws_requests`]): (principal, service, operation) → count, the
    /// principal named by the access key that signed them.
    pub async fn aws_requests(&self) -> anyhow::Result<Vec<(String, String, String, u64)>> {
        let answer: Value = self.http.get(format!("{}/_offboard/requests", self.endpoint)).send().await?.json().await?;
        let principal_of = |key: &str| {
            self.iam
                .credentials
                .iter()
                .find(|(_, keys)| keys.access_key_id == key)
                .map_or_else(|| key.to_string(), |(name, _)| name.clone())
        };
        Ok(answer["requests"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        (
                            principal_of(r["access_key_id"].as_str().unwrap_or_default()),
                            r["service"].as_str().unwrap_or_default().to_string(),
                            r["operation"].as_str().unwrap_or_default().to_string(),
                            r["count"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Zeroes moto's request counts.
    pub async fn reset_aws_requests(&self) -> anyhow::Result<()> {
        self.http.post(format!("{}/_offboard/requests/reset", self.endpoint)).send().await?.error_for_status()?;
        Ok(())
    }

    /// Up to the batch size of action messages: one long poll, then as many receives as
    /// needed while the queue has more.
    async fn receive_batch(&self) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
        let mut batch: Vec<aws_sdk_sqs::types::Message> = Vec::new();
        loop {
            let wanted = (self.batch_size - batch.len()).min(10) as i32;
            let received = self
                .executor_sqs
                .receive_message()
                .queue_url(&self.action_queue_url)
                .max_number_of_messages(wanted)
                .wait_time_seconds(if batch.is_empty() { 1 } else { 0 })
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await?;
            let messages = received.messages.unwrap_or_default();
            let short = (messages.len() as i32) < wanted;
            batch.extend(messages);
            if short || batch.len() >= self.batch_size {
                return Ok(batch);
            }
        }
    }

    /// Runs the invocation until the simulator logs a new operation, then kills and
    /// restarts the executor (`None`); `Some` when the invocation ended first.
    async fn kill_when_zoom_changes(
        &self,
        instance: &Function,
        invocation: impl std::future::Future<Output = anyhow::Result<Value>>,
    ) -> anyhow::Result<Option<Value>> {
        let operations_before = self.sim.with_state(|s| s.operations().len());
        tokio::pin!(invocation);
        let mut poll = tokio::time::interval(Duration::from_millis(2));
        loop {
            tokio::select! {
                response = &mut invocation => return Ok(Some(response?)),
                _ = poll.tick() => {
                    if self.sim.with_state(|s| s.operations().len()) > operations_before {
                        instance.restart()?;
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Every notification the topic published so far (SNS's envelope: `Subject`,
    /// `Message`, `MessageAttributes`), read from the subscribed queue.
    pub async fn topic_notifications(&self) -> anyhow::Result<Vec<Value>> {
        let messages = self.take_all(&self.subscriber_queue_url).await?;
        messages.iter().map(|m| Ok(serde_json::from_str(m.body().unwrap_or("{}"))?)).collect()
    }

    /// The notifications published so far whose `event` attribute is `event`; the others
    /// are read and dropped.
    pub async fn topic_notifications_of(&self, event: &str) -> anyhow::Result<Vec<Value>> {
        Ok(with_event(&self.topic_notifications().await?, event))
    }

    /// Every message in the DLQ: its body and its message attributes (name → value).
    pub async fn dead_letters(&self) -> anyhow::Result<Vec<(String, HashMap<String, String>)>> {
        let messages = self.take_all(&self.dlq_url).await?;
        Ok(messages
            .iter()
            .map(|message| {
                let attributes = message
                    .message_attributes()
                    .map(|a| {
                        a.iter().map(|(k, v)| (k.clone(), v.string_value().unwrap_or_default().to_string())).collect()
                    })
                    .unwrap_or_default();
                (message.body().unwrap_or_default().to_string(), attributes)
            })
            .collect())
    }

    /// Receives every message of the queue, with its message attributes, and deletes it.
    async fn take_all(&self, queue_url: &str) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
        let mut taken = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .send()
                .await?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                return Ok(taken);
            }
            for message in messages {
                self.sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .set_receipt_handle(message.receipt_handle().map(str::to_string))
                    .send()
                    .await?;
                taken.push(message);
            }
        }
    }

    /// Takes every message off the action queue (as if they were lost), returning them.
    pub async fn take_actions(&self) -> anyhow::Result<Vec<aws_sdk_sqs::types::Message>> {
        self.take_all(&self.action_queue_url).await
    }

    /// Sends a raw message to the action queue, as a bug or a person might.
    pub async fn send_raw_action(&self, body: &str) -> anyhow::Result<()> {
        self.sqs.send_message().queue_url(&self.action_queue_url).message_body(body).send().await?;
        Ok(())
    }

    /// Everything the planner, executor and watcher processes wrote to stdout and stderr so far,
    /// every restart included.
    pub fn function_logs(&self) -> anyhow::Result<String> {
        let mut text = String::new();
        for entry in std::fs::read_dir(&self.logs)? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if ["planner", "executor", "watcher"].iter().any(|f| name.starts_with(f)) {
                text.push_str(&String::from_utf8_lossy(&std::fs::read(&path)?));
            }
        }
        Ok(text)
    }

    /// The client secret the simulator's app has (and SSM holds).
    pub fn client_secret(&self) -> String {
        self.sim.with_state(|s| s.app.client_secret.clone())
    }

    /// Messages a receive could get now, and messages in flight.
    pub async fn visible_and_in_flight(&self, queue_url: &str) -> anyhow::Result<(u64, u64)> {
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await?;
        let count = |name: QueueAttributeName| {
            attributes.attributes().and_then(|a| a.get(&name)).and_then(|v| v.parse().ok()).unwrap_or(0)
        };
        Ok((
            count(QueueAttributeName::ApproximateNumberOfMessages),
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        ))
    }

    /// Visible plus in-flight messages.
    pub async fn queue_depth(&self, queue_url: &str) -> anyhow::Result<u64> {
        let (visible, in_flight) = self.visible_and_in_flight(queue_url).await?;
        Ok(visible + in_flight)
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

    /// Every pending S3 notification to the planner, once each, as Lambda's first try of an
    /// asynchronous invocation: a failure comes back as `Err` with the function's error and
    /// the notification is still recorded in [`LocalStack::delivered_events`], for the test
    /// to redeliver as Lambda's retry would.
    pub async fn deliver_s3_events_once(&self) -> anyhow::Result<Vec<Result<Value, String>>> {
        let mut responses = Vec::new();
        loop {
            let notifications = self.receive_s3_notifications().await?;
            if notifications.is_empty() {
                return Ok(responses);
            }
            for (event, receipt) in notifications {
                self.delivered.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(event.clone());
                responses.push(self.planner.invoke(&self.http, &event).await.map_err(|e| e.to_string()));
                self.delete_s3_notification(receipt).await?;
            }
        }
    }
}

impl IamSetup {
    fn keys(&self, principal: Principal) -> anyhow::Result<&AccessKeys> {
        self.credentials.get(principal.key()).with_context(|| format!("no credentials for {principal:?}"))
    }
}

impl AccessKeys {
    /// The variables the AWS SDKs read these keys from.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ];
        if let Some(token) = &self.session_token {
            env.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        env
    }
}

/// The synthesized template the roles come from: `OFFBOARD_TEMPLATE`, else the one
/// `make synth` writes.
pub fn template_path() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("OFFBOARD_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target").join("cdk.out").join("Offboard.template.json"));
    if !path.exists() {
        bail!(
            "{} is missing: run `make synth` (the local stack's IAM comes from the synthesized template)",
            path.display()
        );
    }
    Ok(path)
}

/// Runs `tests/stack_iam.py`: the template's roles in moto, then IAM checks on.
fn set_up_iam(
    endpoint: &str,
    action_queue_url: &str,
    dlq_url: &str,
    topic_arn: &str,
    logs: &Path,
) -> anyhow::Result<IamSetup> {
    let locals = json!({
        "account": ACCOUNT,
        "region": REGION,
        "action_queue": { "url": action_queue_url, "arn": queue_arn(ACTION_QUEUE) },
        "dlq": { "url": dlq_url, "arn": queue_arn(DLQ) },
        "topic_arn": topic_arn,
    });
    let output = Command::new(venv_bin("python3")?)
        .arg(repo_root().join("tests").join("stack_iam.py"))
        .arg(endpoint)
        .arg(template_path()?)
        .arg(locals.to_string())
        .output()
        .context("running tests/stack_iam.py")?;
    if !output.status.success() {
        bail!("tests/stack_iam.py failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let setup: IamSetup = serde_json::from_slice(&output.stdout).context("reading what tests/stack_iam.py printed")?;
    if setup.bucket != BUCKET {
        bail!(
            "the template's bucket is {}, the local stack's {BUCKET}: the roles would name another bucket",
            setup.bucket
        );
    }
    std::fs::write(logs.join("iam-statements.json"), serde_json::to_vec_pretty(&setup.statements)?)?;
    Ok(setup)
}

async fn aws_config_for(endpoint: &str, keys: &AccessKeys) -> aws_config::SdkConfig {
    let credentials = aws_sdk_s3::config::Credentials::new(
        &keys.access_key_id,
        &keys.secret_access_key,
        keys.session_token.clone(),
        None,
        "local",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(credentials)
        .load()
        .await
}

fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(config).force_path_style(true).build())
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

/// Starts instance `instance` of the function `name` (its logs: `<name>.log` for the
/// first, `<name>-i<instance>.log` for the others).
fn start_function(
    name: &'static str,
    instance: usize,
    env: &[(&'static str, String)],
    logs: &Path,
    timeout: Duration,
) -> anyhow::Result<Function> {
    let binary = bin_dir().join(name);
    if !binary.exists() {
        bail!("{} is missing: build with `cargo build --release --workspace --bins`", binary.display());
    }
    let port = free_port()?;
    let mut emulator_cmd = Command::new(venv_bin("cargo-lambda")?);
    emulator_cmd
        .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
        .args(["--timeout", &timeout.as_secs().to_string()])
        .current_dir(repo_root());
    let label = if instance == 0 { name.to_string() } else { format!("{name}-i{instance}") };
    let mut emulator =
        Guard::spawn(&format!("{label} emulator"), emulator_cmd, &logs.join(format!("{label}-emulator.log")))?;
    wait_for_port(&mut emulator, port, Duration::from_secs(60))?;
    let function = Function {
        name,
        label: label.clone(),
        invoke_url: format!("http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"),
        runtime_api: format!("http://127.0.0.1:{port}/.rt"),
        env: env.to_vec(),
        logs: logs.to_path_buf(),
        _emulator: emulator,
        process: std::sync::Mutex::new(spawn_runtime(
            name,
            &label,
            &format!("http://127.0.0.1:{port}/.rt"),
            env,
            logs,
            1,
        )?),
        starts: std::sync::atomic::AtomicUsize::new(1),
    };
    Ok(function)
}

/// Starts the function's binary against its Runtime API; the `n`th start logs to its own file.
fn spawn_runtime(
    name: &str,
    label: &str,
    runtime_api: &str,
    env: &[(&'static str, String)],
    logs: &Path,
    n: usize,
) -> anyhow::Result<Guard> {
    let mut process_cmd = Command::new(bin_dir().join(name));
    process_cmd
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let log = if n == 1 { format!("{label}.log") } else { format!("{label}-{n}.log") };
    let mut process = Guard::spawn(label, process_cmd, &logs.join(log))?;
    process.check_running()?;
    Ok(process)
}

impl Function {
    /// Invokes the function, first starting a new process if the last one exited: as
    /// Lambda starts a new execution environment after a crash, and because the emulator
    /// ends a runtime's long poll after its `--timeout` of idleness (see
    /// [`WATCHER_EMULATOR_TIMEOUT`]), which a stack left running for a person outlives.
    async fn invoke(&self, http: &reqwest::Client, payload: &Value) -> anyhow::Result<Value> {
        self.revive_if_exited()?;
        invoke(http, &self.invoke_url, payload).await
    }

    /// Starts a new process if the last one exited.
    fn revive_if_exited(&self) -> anyhow::Result<()> {
        let mut process = self.process.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if process.has_exited()? {
            *process = self.start_again()?;
        }
        Ok(())
    }

    /// A new process against the same Runtime API, logging to its own file.
    fn start_again(&self) -> anyhow::Result<Guard> {
        let n = self.starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        spawn_runtime(self.name, &self.label, &self.runtime_api, &self.env, &self.logs, n)
    }

    fn pid(&self) -> u32 {
        self.process.lock().map(|p| p.pid()).unwrap_or(0)
    }

    /// Kills the process (SIGKILL, as a crash or a timeout would end it) and starts a new
    /// one against the same Runtime API.
    fn restart(&self) -> anyhow::Result<()> {
        let fresh = self.start_again()?;
        let mut process = self.process.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        // Dropping the old guard kills its process group.
        drop(std::mem::replace(&mut *process, fresh));
        Ok(())
    }
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

/// Of some notifications (SNS's envelopes), those whose `event` attribute is `event`.
pub fn with_event(notifications: &[Value], event: &str) -> Vec<Value> {
    notifications.iter().filter(|n| n["MessageAttributes"]["event"]["Value"] == event).cloned().collect()
}
