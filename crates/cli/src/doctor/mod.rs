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
//!
//! The checks live by what they probe (`zoom` with its `rate_plan`, `bucket`) and all
//! speak the vocabulary of `report`, the checklist they fill; this module only runs them
//! in order and prints the result, and none of them imports it.

mod bucket;
mod rate_plan;
mod report;
mod zoom;

use crate::args::{Format, ZoomArgs};
use crate::connect::{CredentialSource, NO_CREDENTIALS};
use crate::exit::{self, Exit};

use self::bucket::bucket_checks;
use self::report::{redact, render_table, Check, Report, Status, ZOOM_CREDENTIALS};
use self::zoom::{ssm_check, without_token, zoom_checks};

/// `offboard doctor [--bucket B]`: exit 0 when every check holds (warnings allowed), 1 otherwise.
pub async fn doctor_command(args: &ZoomArgs, bucket: Option<&str>, format: Format) -> Result<Exit, Exit> {
    // A bad policy file or budget share is a usage error (exit 2), before any check.
    let policy = args.policy()?;
    let rate_plan = args.pacing()?.rate_plan;
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
            zoom_checks(args, rate_plan, &policy, credentials, &mut checks).await;
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
        Format::Table | Format::Csv => print!("{}", render_table(&report)),
        Format::Json => {
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
