//! The checks made of Zoom and of where its credentials come from: the SSM parameters,
//! the token and the scopes it carries against what the policy's runs call. They stand
//! or fall together (no token, no scopes to check), so they are made in one place.

use std::collections::BTreeSet;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use offboard_core::Policy;
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::preflight::{calls_for_hr_row_actions, calls_for_policy};
use offboard_pipeline::settings::SecretNames;
use offboard_zoom::{missing_scopes, Credentials, Endpoints, RatePlan, ZoomCall, ZoomClient, ZoomError};

use super::rate_plan::{plan_fix_unknown, rate_plan_check};
use super::report::{Check, RATE_PLAN, SSM_PARAMETERS, ZOOM_CREDENTIALS, ZOOM_SCOPES};
use crate::args::ZoomArgs;

const SCOPES_FIX_WHERE: &str = "the Server-to-Server OAuth app (App Marketplace → your app → Scopes)";

/// Reads the credentials as every command does (one `GetParameters` of the three names,
/// decrypted), but says which parameters are missing and how a refusal came, instead of
/// the first error as [`offboard_pipeline::secrets::load_credentials`] does.
pub async fn ssm_check(names: &SecretNames, checks: &mut Vec<Check>) -> Option<Credentials> {
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

pub async fn zoom_checks(
    args: &ZoomArgs,
    rate_plan: RatePlan,
    policy: &Policy,
    credentials: Credentials,
    checks: &mut Vec<Check>,
) {
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
        Ok(probe) => rate_plan_check(rate_plan, &probe),
        Err(error) => Check::warning(
            RATE_PLAN,
            format!("not revealed by Zoom: the probe ({}) failed: {error}", ZoomCall::ListUsers),
            plan_fix_unknown(rate_plan),
        ),
    });
}

/// The Zoom checks that need a token, when there is none.
pub fn without_token() -> [Check; 2] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Status;

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
}
