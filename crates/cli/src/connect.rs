//! Connections: the Zoom client (credentials from the environment or SSM, pacing from
//! the plan and budget share) and the AWS clients for the bucket commands.

use std::sync::Arc;

use offboard_core::{parse_policy, Policy};
use offboard_pipeline::aws::AwsClients;
use offboard_pipeline::secrets::load_credentials;
use offboard_pipeline::settings::SecretNames;
use offboard_zoom::{Credentials, Endpoints, PacerConfig, Plan, ZoomClient};

use crate::exit::{read_file, Exit, INPUT};
use crate::{ZoomArgs, ZoomPlan};

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
        let plan = match self.zoom_plan {
            ZoomPlan::Free => Plan::Free,
            ZoomPlan::Pro => Plan::Pro,
            ZoomPlan::Business => Plan::Business,
        };
        Ok(PacerConfig { plan, budget_share: self.budget_share, executors: 1 })
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
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let (Some(account_id), Some(client_id), Some(client_secret)) =
            (env("ZOOM_ACCOUNT_ID"), env("ZOOM_CLIENT_ID"), env("ZOOM_CLIENT_SECRET"))
        {
            return Ok(Credentials { account_id, client_id, client_secret });
        }
        match (&self.account_id_param, &self.client_id_param, &self.client_secret_param) {
            (Some(account_id), Some(client_id), Some(client_secret)) => {
                let aws = AwsClients::from_env().await;
                let names = SecretNames {
                    account_id: account_id.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                };
                Ok(load_credentials(&aws.ssm, &names).await?)
            }
            _ => Err(Exit::failure(
                INPUT,
                "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, \
                 or name SSM parameters with --account-id-param, --client-id-param and --client-secret-param",
            )),
        }
    }
}
