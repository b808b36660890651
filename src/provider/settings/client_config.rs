//! The one place where the provider's settings become the MRS client's configuration. When the
//! client's configuration changes shape, this file is the one to change.

use std::path::PathBuf;
use std::time::Duration;

use crate::mrs::config::SigningAlgorithm;
use crate::mrs::{ClientConfig, Credentials};

use super::provider_block::ProviderBlock;

/// The settings that needed more than one row to decide: the region and project (the block,
/// else the profile), how to sign, and the request timeout as a duration.
#[derive(Debug)]
pub(super) struct Decided {
    /// The region.
    pub(super) region: String,
    /// The project, when known before the IAM lookup.
    pub(super) project_id: Option<String>,
    /// How AK/SK requests are signed.
    pub(super) signing_algorithm: SigningAlgorithm,
    /// `request_timeout`, when set.
    pub(super) request_timeout: Option<Duration>,
}

/// The MRS client's configuration for these settings; what the settings leave out keeps the
/// client's defaults (`crate::mrs::config`), which are defined there only.
pub(super) fn client_config(
    block: &ProviderBlock,
    decided: &Decided,
    credentials: Credentials,
    terraform_version: Option<String>,
) -> ClientConfig {
    let text =
        |value: &Option<super::row::Sourced<String>>| value.as_ref().map(|s| s.value.clone());
    let mut config = ClientConfig::new(decided.region.clone(), credentials);
    config.project_id = decided.project_id.clone();
    config.cloud = text(&block.cloud);
    config.endpoint = text(&block.endpoint);
    config.iam_endpoint = text(&block.iam_endpoint);
    config.sts_endpoint = text(&block.sts_endpoint);
    config.signing_algorithm = decided.signing_algorithm;
    config.insecure = block.insecure.as_ref().is_some_and(|s| s.value);
    config.ca_cert_file = text(&block.ca_cert_file).map(PathBuf::from);
    if let Some(retries) = block
        .max_retries
        .as_ref()
        .and_then(|s| u32::try_from(s.value).ok())
    {
        config.max_retries = retries;
    }
    if let Some(timeout) = decided.request_timeout {
        config.request_timeout = timeout;
    }
    config.terraform_version = terraform_version;
    config
}
