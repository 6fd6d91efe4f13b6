//! `offboard doctor`: the set-up checked before the first run, as a checklist with a fix
//! for each failure.
//!
//! Without it an admin learns of a missing scope, a wrong rate plan or a missing grant
//! from a refused run (or, for the bucket, from an `offboard approve` that fails when a
//! held run is waiting). Every check here only reads, or asks for something that cannot
//! succeed: the Zoom checks fetch a token and list one user, and the bucket's write checks
//! are puts with an `If-Match` no object can match, which S3 authorizes first and then
//! refuses (404 or 412) without writing, so no object appears and the planner, which
//! reacts to every new object under `inbox/`, `approvals/` and `undo/`, starts no run.

use std::collections::BTreeSet;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use offboard_core::Policy;
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::planner::{APPROVALS_PREFIX, INBOX_PREFIX, UNDO_PREFIX};
use offboard_pipeline::preflight::{calls_for_hr_row_actions, calls_for_policy};
use offboard_pipeline::settings::SecretNames;
use offboard_zoom::pacer::{account_limit, daily_cap};
use offboard_zoom::{missing_scopes, Credentials, Endpoints, Label, Plan, ZoomCall, ZoomClient, ZoomError};
use serde::Serialize;

use crate::connect::{CredentialSource, NO_CREDENTIALS};
use crate::exit::{self, Exit};
use crate::{DoctorFormat, ZoomArgs};

// The `check` names of the JSON output: stable, documented in `offboard doctor --help`.
pub const ZOOM_CREDENTIALS: &str = "zoom_credentials";
pub const SSM_PARAMETERS: &str = "ssm_parameters";
pub const ZOOM_SCOPES: &str = "zoom_scopes";
pub const RATE_PLAN: &str = "rate_plan";
pub const BUCKET_LIST_RUNS: &str = "bucket_list_runs";
pub const BUCKET_READ_RUNS: &str = "bucket_read_runs";
pub const BUCKET_WRITE_APPROVALS: &str = "bucket_write_approvals";
pub const BUCKET_WRITE_UNDO: &str = "bucket_write_undo";
pub const BUCKET_WRITE_INBOX: &str = "bucket_write_inbox";

const RUNS_PREFIX: &str = "runs/";
/// The key every write probe names, under each prefix: a folder marker, which the planner
/// ignores even if a store that does not honour `If-Match` wrote it.
const PROBE_FOLDER: &str = "offboard-doctor-probe/";
/// Not an ETag any object can have: S3's are hex digests (with `-N` for multipart uploads).
const PROBE_ETAG: &str = "\"offboard-doctor-probe-matches-no-object\"";

const SCOPES_FIX_WHERE: &str = "the Server-to-Server OAuth app (App Marketplace → your app → Scopes)";
const OPERATOR_FIX: &str = "grant this AWS identity the stack's managed policy OperatorPolicy, or let it assume the \
     stack's OperatorRole (infra/README.md, \"People: operators, approvers and the HR system\")";
/// Approvals have a second gate: the bucket policy, whatever the identity's own IAM allows.
const APPROVALS_FIX: &str = "; the bucket policy also refuses writes under approvals/ to anyone but OperatorRole and \
     the ARNs of the stack's approverPrincipalArns, so use OperatorRole or have the identity's ARN added there";
const AWS_FIX: &str = "check --bucket (OFFBOARD_BUCKET: the stack's BucketName output), AWS_REGION and the AWS \
     credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID...), as for `offboard status`";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
    /// Does not fail the run: something Offboard cannot verify, or could do better.
    Warning,
}

/// One line of the checklist; the JSON output's field names are these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(check: &'static str, detail: impl Into<String>) -> Check {
        Check { check, status: Status::Ok, detail: detail.into(), fix: None }
    }

    fn failed(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check, status: Status::Failed, detail: detail.into(), fix: Some(fix.into()) }
    }

    fn warning(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check { check, status: Status::Warning, detail: detail.into(), fix: Some(fix.into()) }
    }

    /// A check an earlier failure kept from being made: it does not hold either.
    fn not_checked(check: &'static str, because: &str, fix: &str) -> Check {
        Check::failed(check, format!("not checked: {because}"), fix)
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    fn new(checks: Vec<Check>) -> Report {
        Report { ok: !checks.iter().any(|c| c.status == Status::Failed), checks }
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

/// `offboard doctor [--bucket B]`: exit 0 when every check holds (warnings allowed), 1 otherwise.
pub async fn doctor_command(args: &ZoomArgs, bucket: Option<&str>, format: DoctorFormat) -> Result<Exit, Exit> {
    // A bad policy file or budget share is a usage error (exit 2), before any check.
    let policy = args.policy()?;
    let plan = args.pacing()?.plan;
    let mut checks = Vec::new();
    // What must never be printed: the app's secret and id (the token stays in the client).
    let mut secrets = Vec::new();

    let credentials = match args.credential_source() {
        CredentialSource::Environment(credentials) => Some(credentials),
        CredentialSource::Ssm(names) => ssm_check(&names, &mut checks).await,
        CredentialSource::None => {
            checks.push(Check::failed(
                ZOOM_CREDENTIALS,
                "no Zoom credentials were given",
                NO_CREDENTIALS.trim_start_matches("no Zoom credentials: "),
            ));
            None
        }
    };
    match credentials {
        Some(credentials) => {
            secrets.extend([credentials.client_secret.clone(), credentials.client_id.clone()]);
            zoom_checks(args, plan, &policy, credentials, &mut checks).await;
        }
        None => {
            if checks.iter().all(|c| c.check != ZOOM_CREDENTIALS) {
                checks.push(Check::not_checked(
                    ZOOM_CREDENTIALS,
                    "the credentials could not be read from SSM (see ssm_parameters)",
                    "fix ssm_parameters, then run `offboard doctor` again",
                ));
            }
            checks.extend(without_token());
        }
    }
    if let Some(bucket) = bucket {
        checks.extend(bucket_checks(bucket).await);
    }

    let mut report = Report::new(checks);
    redact(&mut report, &secrets);
    match format {
        DoctorFormat::Table => print!("{}", render_table(&report)),
        DoctorFormat::Json => {
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| Exit::failure(exit::COULD_NOT_RUN, format!("writing the report: {e}")))?;
            println!("{text}");
        }
    }
    Ok(if report.ok {
        Exit::ok()
    } else {
        let failed = report.count(Status::Failed);
        Exit::failure(exit::COULD_NOT_RUN, format!("{failed} of {} checks failed; see the fixes", report.checks.len()))
    })
}

// ---- Zoom -------------------------------------------------------------------------------

/// Reads the credentials as every command does (one `GetParameters` of the three names,
/// decrypted), but says which parameters are missing and how a refusal came, instead of
/// the first error as [`offboard_pipeline::secrets::load_credentials`] does.
async fn ssm_check(names: &SecretNames, checks: &mut Vec<Check>) -> Option<Credentials> {
    let wanted = [&names.account_id, &names.client_id, &names.client_secret];
    let listed = format!("{}, {} and {}", names.account_id, names.client_id, names.client_secret);
    let fix = "create each one with `aws ssm put-parameter --name NAME --type SecureString --value VALUE`, \
               or grant this AWS identity ssm:GetParameters on them (and kms:Decrypt on their key)";
    let ssm = AwsClients::from_env().await.ssm;
    let names_list: Vec<String> = wanted.iter().map(|n| n.to_string()).collect();
    let response = match ssm.get_parameters().set_names(Some(names_list)).with_decryption(true).send().await {
        Ok(response) => response,
        Err(error) => {
            let code = error.code().map(|c| format!(" {c}")).unwrap_or_default();
            let detail = match error.raw_response().map(|r| r.status().as_u16()) {
                Some(403) => format!(
                    "reading {listed} from SSM was refused (403{code}): this AWS identity may not ssm:GetParameters them"
                ),
                Some(status) => format!("reading {listed} from SSM answered HTTP {status}{code}"),
                None => format!("reading {listed} from SSM failed: {}", DisplayErrorContext(&error)),
            };
            checks.push(Check::failed(SSM_PARAMETERS, detail, fix));
            return None;
        }
    };
    let value_of = |name: &str| offboard_pipeline::secrets::parameter_value(&response, name);
    let (Some(account_id), Some(client_id), Some(client_secret)) =
        (value_of(&names.account_id), value_of(&names.client_id), value_of(&names.client_secret))
    else {
        let missing: Vec<&str> = wanted.iter().filter(|n| value_of(n).is_none()).map(|n| n.as_str()).collect();
        checks.push(Check::failed(
            SSM_PARAMETERS,
            format!("SSM has no value for {} (of {listed})", missing.join(", ")),
            fix,
        ));
        return None;
    };
    checks.push(Check::ok(SSM_PARAMETERS, format!("read {listed} from SSM")));
    Some(Credentials { account_id, client_id, client_secret })
}

async fn zoom_checks(args: &ZoomArgs, plan: Plan, policy: &Policy, credentials: Credentials, checks: &mut Vec<Check>) {
    let endpoints = args.endpoints();
    let zoom = match ZoomClient::new(endpoints.clone(), credentials) {
        Ok(zoom) => zoom,
        Err(error) => {
            checks.push(Check::failed(ZOOM_CREDENTIALS, error.to_string(), credentials_fix(&error, &endpoints)));
            checks.extend(without_token());
            return;
        }
    };
    match zoom.granted_scopes().await {
        Ok(granted) => {
            checks.push(Check::ok(
                ZOOM_CREDENTIALS,
                format!("Zoom issued a token carrying {} scopes ({})", granted.len(), endpoints.oauth_url),
            ));
            checks.extend(scope_checks(policy, args.policy.as_deref(), &granted));
        }
        Err(error) => {
            checks.push(Check::failed(ZOOM_CREDENTIALS, error.to_string(), credentials_fix(&error, &endpoints)));
            checks.extend(without_token());
            return;
        }
    }
    // The client's own token and call: nothing of it reaches this module.
    checks.push(match zoom.rate_limit_headers().await {
        Ok(probe) => rate_plan_check(plan, &probe),
        Err(error) => Check::warning(
            RATE_PLAN,
            format!("not revealed by Zoom: the probe ({}) failed: {error}", ZoomCall::ListUsers),
            plan_fix_unknown(plan),
        ),
    });
}

/// The Zoom checks that need a token, when there is none.
fn without_token() -> [Check; 2] {
    let because = "no Zoom token (see zoom_credentials)";
    let fix = "fix zoom_credentials, then run `offboard doctor` again";
    [Check::not_checked(ZOOM_SCOPES, because, fix), Check::not_checked(RATE_PLAN, because, fix)]
}

fn credentials_fix(error: &ZoomError, endpoints: &Endpoints) -> String {
    match error {
        ZoomError::Token { .. } => {
            "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET (or the SSM parameters) \
             against the app's App Credentials (App Marketplace → Manage → your Server-to-Server OAuth app), \
             and that the app is activated"
                .to_string()
        }
        ZoomError::Transport(_) => format!(
            "check that {} is reachable from here (--oauth-url, ZOOM_OAUTH_URL; Zoom's is https://zoom.us/oauth/token)",
            endpoints.oauth_url
        ),
        _ => "check --oauth-url (ZOOM_OAUTH_URL): Zoom's token endpoint is https://zoom.us/oauth/token".to_string(),
    }
}

/// One line per scope the policy needs and the app lacks, or one line saying none is missing;
/// plus a warning per scope only an HR row naming its own action would need.
pub fn scope_checks(policy: &Policy, policy_file: Option<&std::path::Path>, granted: &BTreeSet<String>) -> Vec<Check> {
    let source = match policy_file {
        Some(path) => format!("the policy {}", path.display()),
        None => "the default policy".to_string(),
    };
    let needed = calls_for_policy(policy);
    let missing = missing_scopes(granted, needed.iter().copied());
    let mut checks: Vec<Check> = missing
        .iter()
        .map(|call| {
            Check::failed(
                ZOOM_SCOPES,
                format!("{} is not granted: {call} needs it to {}", call.scope(), call.purpose()),
                format!("add {} to {SCOPES_FIX_WHERE}", call.scope()),
            )
        })
        .collect();
    if missing.is_empty() {
        checks.push(Check::ok(
            ZOOM_SCOPES,
            format!("the app's scopes allow all {} calls a run under {source} can make", needed.len()),
        ));
    }
    for call in missing_scopes(granted, calls_for_hr_row_actions(policy)) {
        checks.push(Check::warning(
            ZOOM_SCOPES,
            format!(
                "{} is not granted: {call} needs it to {} when an HR file's action column asks for it \
                 ({source} never does); the run of such a file would be refused",
                call.scope(),
                call.purpose()
            ),
            format!("if HR files may name their own action, add {} to {SCOPES_FIX_WHERE}", call.scope()),
        ));
    }
    checks
}

// ---- the rate plan ------------------------------------------------------------------------

/// What the probe call's answer carried.
pub type RateProbe = offboard_zoom::RateLimitHeaders;

const PLANS: [Plan; 3] = [Plan::Free, Plan::Pro, Plan::Business];

fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "Free",
        Plan::Pro => "Pro",
        Plan::Business => "Business+",
    }
}

fn plan_flag(plan: Plan) -> &'static str {
    match plan {
        Plan::Free => "free",
        Plan::Pro => "pro",
        Plan::Business => "business",
    }
}

fn label_of(category: &str) -> Option<Label> {
    [Label::Light, Label::Medium, Label::Heavy].into_iter().find(|l| l.as_str().eq_ignore_ascii_case(category))
}

/// The plan whose published limit for `label` is `limit`: its per-second limit or its daily
/// cap (`"per-second limit"` or `"daily cap"`). Each figure belongs to one plan only, so a
/// match is unambiguous; anything else (a limit Zoom lowered for the account, say) is `None`.
pub fn plan_of_limit(label: Label, limit: u64) -> Option<(Plan, &'static str)> {
    PLANS.into_iter().find_map(|plan| {
        if account_limit(plan, label) == limit as f64 {
            Some((plan, "per-second limit"))
        } else if daily_cap(plan, label) == Some(limit) {
            Some((plan, "daily cap"))
        } else {
            None
        }
    })
}

fn published_limits(label: Label) -> String {
    let each: Vec<String> = PLANS
        .into_iter()
        .map(|plan| match daily_cap(plan, label) {
            Some(daily) => format!("{} {}/s, {daily}/day", plan_name(plan), account_limit(plan, label)),
            None => format!("{} {}/s", plan_name(plan), account_limit(plan, label)),
        })
        .collect();
    each.join("; ")
}

fn plan_fix(actual: Plan) -> String {
    format!("pass --plan {0} (ZOOM_PLAN={0}) to offboard, and deploy the stack with -c zoomPlan={0}", plan_flag(actual))
}

fn plan_fix_unknown(configured: Plan) -> String {
    format!(
        "make sure the account's plan (Zoom web portal → Account Management → Billing) is {}: \
         --plan (ZOOM_PLAN) and the stack's zoomPlan set the pace",
        plan_name(configured)
    )
}

/// The configured plan against what the probe's answer reveals. Pacing for a bigger plan
/// than the account's fails (429s, and on Free the daily caps); for a smaller one it only
/// warns (slower than it could be); nothing revealed is a warning, never a guess.
pub fn rate_plan_check(configured: Plan, probe: &RateProbe) -> Check {
    let call = ZoomCall::ListUsers;
    let (Some(category), Some(limit)) = (probe.category.as_deref(), probe.limit) else {
        return Check::warning(
            RATE_PLAN,
            format!(
                "not revealed by Zoom: its answer to {call} (HTTP {}) carried no X-RateLimit-Limit; \
                 Offboard paces for {} as --plan says",
                probe.http_status,
                plan_name(configured)
            ),
            plan_fix_unknown(configured),
        );
    };
    let Some(label) = label_of(category) else {
        return Check::warning(
            RATE_PLAN,
            format!("not revealed by Zoom: X-RateLimit-Category {category:?} of {call} is not a label Offboard knows"),
            plan_fix_unknown(configured),
        );
    };
    let Some((actual, figure)) = plan_of_limit(label, limit) else {
        return Check::warning(
            RATE_PLAN,
            format!(
                "not revealed by Zoom: X-RateLimit-Limit {limit} on {call} ({category}) is none of Zoom's \
                 published {category} limits ({}); Offboard paces for {} as --plan says",
                published_limits(label),
                plan_name(configured)
            ),
            plan_fix_unknown(configured),
        );
    };
    let seen = format!("X-RateLimit-Limit {limit} on {call} ({category}) is the {} {figure}", plan_name(actual));
    let pace = |plan: Plan| format!("{}/s", account_limit(plan, label));
    match configured.cmp(&actual) {
        std::cmp::Ordering::Equal => {
            Check::ok(RATE_PLAN, format!("{seen}, the plan Offboard paces for (--plan {})", plan_flag(configured)))
        }
        std::cmp::Ordering::Greater => Check::failed(
            RATE_PLAN,
            format!(
                "{seen}, but Offboard paces for {} ({category} {} instead of {}): runs would hit Zoom's limits (429s{})",
                plan_name(configured),
                pace(configured),
                pace(actual),
                if actual == Plan::Free { ", and the daily caps" } else { "" }
            ),
            plan_fix(actual),
        ),
        std::cmp::Ordering::Less => Check::warning(
            RATE_PLAN,
            format!(
                "{seen}, but Offboard paces for {} ({category} {} where {} is allowed): runs are slower than they could be",
                plan_name(configured),
                pace(configured),
                pace(actual)
            ),
            plan_fix(actual),
        ),
    }
}

// ---- the bucket ---------------------------------------------------------------------------

/// How S3 answered a probe that did not succeed.
enum Refusal {
    /// S3 answered with this status and error code.
    Answered(u16, String),
    /// No answer from S3 (no credentials, no endpoint, a dropped connection).
    NoAnswer(String),
}

fn refusal<E>(error: &SdkError<E, HttpResponse>) -> Refusal
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (error, error.raw_response()) {
        (SdkError::ServiceError(_), Some(response)) => {
            Refusal::Answered(response.status().as_u16(), error.code().unwrap_or("no error code").to_string())
        }
        _ => Refusal::NoAnswer(DisplayErrorContext(error).to_string()),
    }
}

/// What an operator needs of the bucket: list and read `runs/`, write under `approvals/`,
/// `undo/` and `inbox/`. Nothing is created, changed or deleted (see the module's doc).
pub async fn bucket_checks(bucket: &str) -> Vec<Check> {
    let s3 = AwsClients::from_env().await.s3;
    let mut checks = Vec::new();
    let writes = [
        (BUCKET_WRITE_APPROVALS, APPROVALS_PREFIX, "offboard approve"),
        (BUCKET_WRITE_UNDO, UNDO_PREFIX, "offboard undo --bucket"),
        (BUCKET_WRITE_INBOX, INBOX_PREFIX, "roster uploads"),
    ];

    let listed = s3.list_objects_v2().bucket(bucket).prefix(RUNS_PREFIX).max_keys(1).send().await;
    let first_run_object = match listed {
        Ok(listed) => {
            checks.push(Check::ok(BUCKET_LIST_RUNS, format!("s3:ListBucket on s3://{bucket} allowed (listed runs/)")));
            listed.contents().first().and_then(|o| o.key()).map(str::to_string)
        }
        Err(error) => match refusal(&error) {
            Refusal::Answered(403, code) => {
                checks.push(Check::failed(
                    BUCKET_LIST_RUNS,
                    format!("listing s3://{bucket}/runs/ was refused (403 {code}): s3:ListBucket is not allowed"),
                    OPERATOR_FIX,
                ));
                None
            }
            // No bucket or no S3 at all: every other probe would fail the same way.
            Refusal::Answered(status, code) => {
                return bucket_unreachable(checks, bucket, format!("{status} {code}"), &writes)
            }
            Refusal::NoAnswer(detail) => return bucket_unreachable(checks, bucket, detail, &writes),
        },
    };

    // An object of a run when there is one (its read also exercises the key that encrypts
    // it); otherwise a key no run has, which S3 answers 404 when reading is allowed.
    let (key, exists) = match first_run_object {
        Some(key) => (key, true),
        None => (format!("{RUNS_PREFIX}{PROBE_FOLDER}none.json"), false),
    };
    let read = s3.get_object().bucket(bucket).key(&key).range("bytes=0-0").send().await;
    checks.push(match read {
        Ok(_) => {
            Check::ok(BUCKET_READ_RUNS, format!("s3:GetObject under runs/ allowed (read the first byte of {key})"))
        }
        Err(error) => match refusal(&error) {
            Refusal::Answered(404, code) if !exists => Check::ok(
                BUCKET_READ_RUNS,
                format!("s3:GetObject under runs/ allowed ({key}, which does not exist, answered 404 {code}, not 403)"),
            ),
            // Gone since it was listed, or empty: the read was authorized all the same.
            Refusal::Answered(status @ (404 | 416), code) => Check::ok(
                BUCKET_READ_RUNS,
                format!("s3:GetObject under runs/ allowed ({key} answered {status} {code}, not 403)"),
            ),
            Refusal::Answered(403, code) => Check::failed(
                BUCKET_READ_RUNS,
                format!("reading s3://{bucket}/{key} was refused (403 {code}): s3:GetObject on runs/* is not allowed"),
                OPERATOR_FIX,
            ),
            Refusal::Answered(status, code) => Check::failed(
                BUCKET_READ_RUNS,
                format!("reading s3://{bucket}/{key} answered {status} {code}"),
                AWS_FIX,
            ),
            Refusal::NoAnswer(detail) => {
                Check::failed(BUCKET_READ_RUNS, format!("reading s3://{bucket}/{key} failed: {detail}"), AWS_FIX)
            }
        },
    });

    let mut written: Option<String> = None;
    for (check, prefix, what) in writes {
        if let Some(key) = &written {
            checks.push(Check::not_checked(
                check,
                &format!("S3 wrote {key} despite its If-Match, so no further write was probed"),
                "see the failed write check above",
            ));
            continue;
        }
        let key = format!("{prefix}{PROBE_FOLDER}");
        let put = s3.put_object().bucket(bucket).key(&key).if_match(PROBE_ETAG).body(ByteStream::from_static(b""));
        checks.push(match put.send().await {
            Ok(_) => {
                written = Some(format!("s3://{bucket}/{key}"));
                Check::failed(
                    check,
                    format!(
                        "S3 wrote s3://{bucket}/{key} although its If-Match matches no object: this store does not \
                         honour conditional writes, so doctor cannot probe writes without making them. The object is \
                         an empty folder marker, which the planner ignores"
                    ),
                    format!(
                        "delete it (aws s3api delete-object --bucket {bucket} --key {key}; operators may not delete, \
                         the stack's owner may), and check writes by hand"
                    ),
                )
            }
            Err(error) => match refusal(&error) {
                // Authorized, then refused for the condition: nothing was written.
                Refusal::Answered(status @ (404 | 409 | 412), code) => Check::ok(
                    check,
                    format!(
                        "s3:PutObject under {prefix} allowed ({what}): a put that cannot succeed answered \
                         {status} {code}, not 403; nothing was written"
                    ),
                ),
                Refusal::Answered(403, code) => Check::failed(
                    check,
                    format!("writing under s3://{bucket}/{prefix} was refused (403 {code}), so {what} would fail"),
                    if prefix == APPROVALS_PREFIX {
                        format!("{OPERATOR_FIX}{APPROVALS_FIX}")
                    } else {
                        OPERATOR_FIX.to_string()
                    },
                ),
                Refusal::Answered(status, code) => Check::failed(
                    check,
                    format!("the write probe s3://{bucket}/{key} answered {status} {code}"),
                    AWS_FIX,
                ),
                Refusal::NoAnswer(detail) => {
                    Check::failed(check, format!("the write probe s3://{bucket}/{key} failed: {detail}"), AWS_FIX)
                }
            },
        });
    }
    checks
}

/// The bucket cannot be reached at all: the list says why, the other checks were not made.
fn bucket_unreachable(
    mut checks: Vec<Check>,
    bucket: &str,
    detail: String,
    writes: &[(&'static str, &str, &str)],
) -> Vec<Check> {
    checks.push(Check::failed(BUCKET_LIST_RUNS, format!("listing s3://{bucket}/runs/ failed: {detail}"), AWS_FIX));
    let because = "the bucket could not be reached (see bucket_list_runs)";
    checks.push(Check::not_checked(BUCKET_READ_RUNS, because, AWS_FIX));
    for (check, _, _) in writes {
        checks.push(Check::not_checked(check, because, AWS_FIX));
    }
    checks
}

// ---- output -------------------------------------------------------------------------------

/// Whatever a message quoted from elsewhere holds, the app's secret and id and the token
/// are not printed.
fn redact(report: &mut Report, secrets: &[String]) {
    // A very short value would blank out ordinary words.
    let secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 6).collect();
    for check in &mut report.checks {
        for text in std::iter::once(&mut check.detail).chain(check.fix.as_mut()) {
            for secret in &secrets {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), "<redacted>");
                }
            }
        }
    }
}

/// The checklist: one line per check, its fix on the next, and a last line with the counts.
pub fn render_table(report: &Report) -> String {
    let mark = |status: Status| match status {
        Status::Ok => "[ok]",
        Status::Failed => "[FAILED]",
        Status::Warning => "[warning]",
    };
    let name_width = report.checks.iter().map(|c| c.check.len()).max().unwrap_or(0);
    let mark_width = "[warning]".len();
    let mut out = String::new();
    for check in &report.checks {
        out.push_str(&format!("{:<mark_width$}  {:<name_width$}  {}\n", mark(check.status), check.check, check.detail));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("{:<mark_width$}  {:<name_width$}  fix: {fix}\n", "", ""));
        }
    }
    let (failed, warnings) = (report.count(Status::Failed), report.count(Status::Warning));
    out.push_str(&format!(
        "\n{} checks: {} ok, {failed} failed, {warnings} warning{}. {}\n",
        report.checks.len(),
        report.count(Status::Ok),
        if warnings == 1 { "" } else { "s" },
        if failed == 0 { "Ready for a first run." } else { "Fix what failed, then run `offboard doctor` again." }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(category: &str, limit: u64) -> RateProbe {
        RateProbe { http_status: 200, category: Some(category.to_string()), limit: Some(limit) }
    }

    #[test]
    fn every_published_figure_names_one_plan() {
        assert_eq!(plan_of_limit(Label::Medium, 60), Some((Plan::Business, "per-second limit")));
        assert_eq!(plan_of_limit(Label::Medium, 20), Some((Plan::Pro, "per-second limit")));
        assert_eq!(plan_of_limit(Label::Medium, 2_000), Some((Plan::Free, "daily cap")));
        assert_eq!(plan_of_limit(Label::Light, 6_000), Some((Plan::Free, "daily cap")));
        assert_eq!(plan_of_limit(Label::Heavy, 30_000), Some((Plan::Pro, "daily cap")));
        assert_eq!(plan_of_limit(Label::Medium, 48), None);
        // No figure is shared by two plans of one label, so a match never guesses.
        for label in [Label::Light, Label::Medium, Label::Heavy] {
            let mut figures: Vec<u64> = PLANS.iter().map(|&p| account_limit(p, label) as u64).collect();
            figures.extend(PLANS.iter().filter_map(|&p| daily_cap(p, label)));
            let distinct: BTreeSet<u64> = figures.iter().copied().collect();
            assert_eq!(distinct.len(), figures.len(), "{label:?}: {figures:?}");
        }
    }

    #[test]
    fn the_configured_plan_is_held_to_what_zoom_reveals() {
        let same = rate_plan_check(Plan::Business, &probe("Medium", 60));
        assert_eq!(same.status, Status::Ok, "{same:?}");
        assert!(same.detail.contains("Business+ per-second limit"), "{}", same.detail);

        let too_fast = rate_plan_check(Plan::Business, &probe("Medium", 2_000));
        assert_eq!(too_fast.status, Status::Failed);
        assert!(too_fast.detail.contains("Free daily cap"), "{}", too_fast.detail);
        assert!(too_fast.fix.as_deref().is_some_and(|f| f.contains("--plan free")), "{:?}", too_fast.fix);

        let too_slow = rate_plan_check(Plan::Pro, &probe("Medium", 60));
        assert_eq!(too_slow.status, Status::Warning);
        assert!(too_slow.fix.as_deref().is_some_and(|f| f.contains("zoomPlan=business")), "{:?}", too_slow.fix);
    }

    #[test]
    fn nothing_revealed_is_a_warning_that_guesses_no_number() {
        let silent = RateProbe { http_status: 200, category: None, limit: None };
        for (probe, said) in [
            (silent, "carried no X-RateLimit-Limit"),
            (probe("Medium", 48), "none of Zoom's published Medium limits"),
            (probe("Galactic", 60), "not a label"),
        ] {
            let check = rate_plan_check(Plan::Pro, &probe);
            assert_eq!(check.status, Status::Warning, "{check:?}");
            assert!(check.detail.starts_with("not revealed by Zoom"), "{}", check.detail);
            assert!(check.detail.contains(said), "{}", check.detail);
        }
    }

    #[test]
    fn a_missing_scope_names_its_call_purpose_and_fix() {
        let all: BTreeSet<String> = ZoomCall::ALL.iter().map(|c| c.scope().to_string()).collect();
        let checks = scope_checks(&Policy::default(), None, &all);
        assert_eq!(checks.iter().map(|c| c.status).collect::<Vec<_>>(), [Status::Ok]);

        let mut granted = all.clone();
        granted.remove("user:update:status:admin");
        let checks = scope_checks(&Policy::default(), None, &granted);
        assert_eq!(checks.len(), 1, "{checks:?}");
        let check = &checks[0];
        assert_eq!((check.check, check.status), (ZOOM_SCOPES, Status::Failed));
        assert!(check.detail.contains("user:update:status:admin"), "{}", check.detail);
        assert!(check.detail.contains("PUT /users/{userId}/status"), "{}", check.detail);
        assert!(check.detail.contains("deactivate"), "{}", check.detail);
        assert_eq!(
            check.fix.as_deref(),
            Some(
                "add user:update:status:admin to the Server-to-Server OAuth app (App Marketplace → your app → Scopes)"
            )
        );
    }

    #[test]
    fn a_scope_only_hr_rows_could_need_is_a_warning() {
        let policy = Policy { hr_action: offboard_core::ActionKind::Deactivate, ..Policy::default() };
        let mut granted: BTreeSet<String> = ZoomCall::ALL.iter().map(|c| c.scope().to_string()).collect();
        granted.remove(ZoomCall::DeleteUser.scope());
        let checks = scope_checks(&policy, None, &granted);
        let statuses: Vec<Status> = checks.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Ok, Status::Warning], "{checks:?}");
        assert!(checks[1].detail.contains("DELETE /users/{userId}"), "{}", checks[1].detail);
    }

    #[test]
    fn the_table_marks_each_line_and_puts_the_fix_under_it() {
        let report = Report::new(vec![
            Check::ok(ZOOM_CREDENTIALS, "a token"),
            Check::failed(ZOOM_SCOPES, "x is not granted", "add x"),
            Check::warning(RATE_PLAN, "not revealed by Zoom", "look it up"),
        ]);
        assert!(!report.ok);
        let table = render_table(&report);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("[ok]       zoom_credentials  a token"), "{table}");
        assert!(lines[1].starts_with("[FAILED]   zoom_scopes       x is not granted"), "{table}");
        assert_eq!(lines[2].trim(), "fix: add x");
        assert!(lines[3].starts_with("[warning]  rate_plan"), "{table}");
        assert!(table
            .ends_with("3 checks: 1 ok, 1 failed, 1 warning. Fix what failed, then run `offboard doctor` again.\n"));
    }

    #[test]
    fn the_json_has_the_documented_fields() {
        let report = Report::new(vec![
            Check::ok(ZOOM_CREDENTIALS, "a token"),
            Check::warning(RATE_PLAN, "not revealed by Zoom", "look it up"),
        ]);
        assert!(report.ok, "warnings do not fail the run");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"ok": true, "checks": [
                {"check": "zoom_credentials", "status": "ok", "detail": "a token", "fix": null},
                {"check": "rate_plan", "status": "warning", "detail": "not revealed by Zoom", "fix": "look it up"},
            ]})
        );
    }

    #[test]
    fn secrets_quoted_in_a_message_are_redacted() {
        let mut report = Report::new(vec![Check::failed(ZOOM_CREDENTIALS, "refused s3cr3t-value", "not s3cr3t-value")]);
        redact(&mut report, &["s3cr3t-value".to_string(), "ab".to_string()]);
        assert_eq!(report.checks[0].detail, "refused <redacted>");
        assert_eq!(report.checks[0].fix.as_deref(), Some("not <redacted>"));
    }
}
