//! The checks made of the stack's bucket: what an operator's commands need of it, probed
//! without leaving a trace (see the doctor's module doc for how). Only `offboard doctor
//! --bucket` reaches this far.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::trigger::{APPROVALS_PREFIX, INBOX_PREFIX, UNDO_PREFIX};

use super::report::{
    Check, BUCKET_LIST_RUNS, BUCKET_READ_RUNS, BUCKET_WRITE_APPROVALS, BUCKET_WRITE_INBOX, BUCKET_WRITE_UNDO,
};

const RUNS_PREFIX: &str = "runs/";
/// The key every write probe names, under each prefix: a folder marker, which the planner
/// ignores even if a store that does not honour `If-Match` wrote it.
const PROBE_FOLDER: &str = "offboard-doctor-probe/";
/// Not an ETag any object can have: S3's are hex digests (with `-N` for multipart uploads).
const PROBE_ETAG: &str = "\"offboard-doctor-probe-matches-no-object\"";
const OPERATOR_FIX: &str = "grant this AWS identity the stack's managed policy OperatorPolicy, or let it assume the \
     stack's OperatorRole (infra/README.md, \"People: operators, approvers and the HR system\")";
/// Approvals have a second gate: the bucket policy, whatever the identity's own IAM allows.
const APPROVALS_FIX: &str = "; the bucket policy also refuses writes under approvals/ to anyone but OperatorRole and \
     the ARNs of the stack's approverPrincipalArns, so use OperatorRole or have the identity's ARN added there";
const AWS_FIX: &str = "check --bucket (OFFBOARD_BUCKET: the stack's BucketName output), AWS_REGION and the AWS \
     credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID...), as for `offboard status`";

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
