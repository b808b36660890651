//! Credentials fetched at configure, before the first request, so that a problem shows in
//! `plan`: ECS metadata keys, keyless (OIDC) sign-in, then the agencies of `assume_role` in
//! order, each with the keys of the one before (the huaweicloud provider's
//! `buildClientByAgencyChain`).

use crate::framework::Diagnostics;
use crate::mrs::credentials::metadata_url;
use crate::mrs::{ClientConfig, Credentials, TemporaryCredentials};
use crate::tfvalue::AttributePath;

use super::assume_role_block::ChainLink;
use super::oidc_block::BLOCK as OIDC_BLOCK;
use super::sources::Base;

/// What to fetch: the base keys, then each agency of the chain.
#[derive(Debug)]
pub(super) struct TemporarySource {
    /// Where the keys the chain starts from come from.
    pub(super) base: Base,
    /// The agencies to assume, in order.
    pub(super) chain: Vec<ChainLink>,
    /// The places looked at before the metadata service, for its error.
    pub(super) looked_at: String,
}

/// Fetches the keys `temporary` describes and puts them into `config`; false (with one error
/// diagnostic) when they cannot be had.
pub(super) async fn fetch(
    config: &mut ClientConfig,
    temporary: TemporarySource,
    diags: &mut Diagnostics,
) -> bool {
    let deadline = std::time::Instant::now() + config.request_timeout;
    let mut current = match temporary.base {
        Base::Configured(credentials) => credentials,
        Base::Metadata { endpoint } => {
            let metadata = match TemporaryCredentials::from_ecs_metadata(&endpoint, &config.tls()) {
                Ok(metadata) => metadata,
                Err(e) => {
                    diags.add_error("Unable to set up the ECS metadata client", e.to_string());
                    return false;
                }
            };
            if let Err(e) = metadata.current(deadline).await {
                diags.add_error(
                    "No credentials found",
                    format!(
                        "{}\n- ECS instance metadata at {}: {} (it answers only on a Huawei Cloud ECS instance with an agency attached).\n\n\
                         Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY), auth_token (HW_AUTH_TOKEN), profile (HW_PROFILE) for a KooCLI profile, \
                         or assume_role_with_oidc (HW_ASSUME_ROLE_IDP_ID) for a CI job's OIDC token.",
                        temporary.looked_at,
                        metadata_url(&endpoint),
                        e.cause.clone().unwrap_or_else(|| e.summary()),
                    ),
                );
                return false;
            }
            Credentials::Temporary(metadata)
        }
        Base::Oidc(role) => {
            let oidc = match config
                .identity_service()
                .and_then(|identity| TemporaryCredentials::assume_role_with_oidc(role, &identity))
            {
                Ok(oidc) => oidc,
                Err(e) => {
                    diags.add_error(
                        "Unable to set up the IAM client for assume_role_with_oidc",
                        e.to_string(),
                    );
                    return false;
                }
            };
            if let Err(e) = oidc.current(deadline).await {
                diags.add_attribute_error(AttributePath::attr(OIDC_BLOCK), e.summary(), e.detail());
                return false;
            }
            Credentials::Temporary(oidc)
        }
    };
    for link in temporary.chain {
        let assumed = match config
            .identity_service()
            .and_then(|identity| TemporaryCredentials::assume_role(current, link.role, &identity))
        {
            Ok(assumed) => assumed,
            Err(e) => {
                diags.add_error(
                    "Unable to set up the IAM client for assume_role",
                    e.to_string(),
                );
                return false;
            }
        };
        if let Err(e) = assumed.current(deadline).await {
            diags.add_attribute_error(link.at, e.summary(), e.detail());
            return false;
        }
        current = Credentials::Temporary(assumed);
    }
    config.credentials = current;
    true
}
