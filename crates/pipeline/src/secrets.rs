//! The Zoom app's credentials, read from SSM SecureString parameters. They are held in
//! memory only, and never logged: `Credentials`' `Debug` redacts them.

use offboard_zoom::Credentials;

use crate::error::PipelineError;
use crate::settings::SecretNames;

pub async fn load_credentials(ssm: &aws_sdk_ssm::Client, names: &SecretNames) -> Result<Credentials, PipelineError> {
    let wanted = [&names.account_id, &names.client_id, &names.client_secret];
    let response = ssm
        .get_parameters()
        .set_names(Some(wanted.iter().map(|n| n.to_string()).collect()))
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| PipelineError::Ssm(aws_sdk_ssm::error::DisplayErrorContext(e).to_string()))?;
    let value_of = |name: &str| {
        parameter_value(&response, name)
            .ok_or_else(|| PipelineError::Ssm(format!("parameter {name} is missing or empty")))
    };
    Ok(Credentials {
        account_id: value_of(&names.account_id)?,
        client_id: value_of(&names.client_id)?,
        client_secret: value_of(&names.client_secret)?,
    })
}

/// The value of the parameter `name` in a `GetParameters` answer; `None` when SSM has
/// none for it, or an empty one.
pub fn parameter_value(
    response: &aws_sdk_ssm::operation::get_parameters::GetParametersOutput,
    name: &str,
) -> Option<String> {
    response
        .parameters()
        .iter()
        .find(|p| p.name() == Some(name))
        .and_then(|p| p.value())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}
