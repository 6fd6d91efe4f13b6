//! Connections: the Zoom client (credentials from the environment or SSM, pacing from
//! the rate plan and budget share) and the AWS clients for the bucket commands.

use std::sync::Arc;

use offboard_core::{parse_policy, Policy};
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::secrets::load_credentials;
use offboard_pipeline::settings::SecretNames;
use offboard_zoom::{Credentials, Endpoints, PacerConfig, ZoomClient};

use crate::args::{RatePlan, ZoomArgs};
use crate::exit::{read_file, Exit, INPUT};

impl ZoomArgs {
    pub fn endpoints(&self) -> Endpoints {
        Endpoints { api_base: self.zoom_url.trim_end_matches('/').to_string(), oauth_url: self.oauth_url.clone() }
    }

    pub fn pacing(&self) -> Result<PacerConfig, Exit> {
        if !(self.budget_share > 0.0 && self.budget_share <= 1.0) {
            return Err(Exit::input(format!(
                "--budget-share (OFFBOARD_BUDGET_SHARE) = {}: expected a share above 0 and at most 1",
                self.budget_share
            )));
        }
        let rate_plan = match self.rate_plan {
            RatePlan::Free => offboard_zoom::RatePlan::Free,
            RatePlan::Pro => offboard_zoom::RatePlan::Pro,
            RatePlan::Business => offboard_zoom::RatePlan::Business,
        };
        Ok(PacerConfig { rate_plan, budget_share: self.budget_share, executors: 1 })
    }

    /// The policy file named by `--policy`, over the safe defaults.
    pub fn policy(&self) -> Result<Policy, Exit> {
        match &self.policy {
            None => Ok(Policy::default()),
            Some(path) => {
                parse_policy(&path.display().to_string(), &read_file(path)?).map_err(|e| Exit::input(e.to_string()))
            }
        }
    }

    /// The Zoom client, with credentials from `ZOOM_ACCOUNT_ID`, `ZOOM_CLIENT_ID`,
    /// `ZOOM_CLIENT_SECRET`, or else from the SSM parameters named.
    pub async fn zoom(&self) -> Result<Arc<ZoomClient>, Exit> {
        let credentials = self.credentials().await?;
        let client = ZoomClient::new(self.endpoints(), credentials)?.with_pacing(self.pacing()?);
        Ok(Arc::new(client))
    }

    async fn credentials(&self) -> Result<Credentials, Exit> {
        match self.credential_source() {
            CredentialSource::Environment(credentials) => Ok(credentials),
            CredentialSource::Ssm(names) => {
                let aws = AwsClients::from_env().await;
                Ok(load_credentials(&aws.ssm, &names).await?)
            }
            CredentialSource::None => Err(Exit::failure(INPUT, NO_CREDENTIALS)),
        }
    }

    /// Where the Zoom credentials come from, before any of them is read: `ZOOM_ACCOUNT_ID`,
    /// `ZOOM_CLIENT_ID` and `ZOOM_CLIENT_SECRET` when all three are set, else the SSM
    /// parameters named. `offboard doctor` reports the two sources as separate checks.
    pub fn credential_source(&self) -> CredentialSource {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(account_id), Some(client_id), Some(client_secret)) =
            (env("ZOOM_ACCOUNT_ID"), env("ZOOM_CLIENT_ID"), env("ZOOM_CLIENT_SECRET"))
        {
            return CredentialSource::Environment(Credentials { account_id, client_id, client_secret });
        }
        match (&self.account_id_param, &self.client_id_param, &self.client_secret_param) {
            (Some(account_id), Some(client_id), Some(client_secret)) => CredentialSource::Ssm(SecretNames {
                account_id: account_id.clone(),
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            }),
            _ => CredentialSource::None,
        }
    }
}

/// See [`ZoomArgs::credential_source`].
pub enum CredentialSource {
    Environment(Credentials),
    Ssm(SecretNames),
    None,
}

pub const NO_CREDENTIALS: &str = "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, \
     or name SSM parameters with --account-id-param, --client-id-param and --client-secret-param";
