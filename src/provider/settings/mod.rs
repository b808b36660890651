//! The provider block as data: tables of settings (one row each: attribute, environment
//! variable, type, sensitivity, check, docs) drive the schema, the environment fallback and the
//! typed values; the credential sources are an ordered list, one file each.
//!
//! The files use each other one way: `row` ← `lookup` ← `table` ← the tables (`provider_block`,
//! `assume_role_block`, `oidc_block`) ← `profile` ← `sources` ← `temporary`, `client_config`
//! ← this file, which reads a configuration into [`Settings`].

mod assume_role_block;
mod client_config;
mod lookup;
mod oidc_block;
mod profile;
mod provider_block;
mod row;
mod sources;
mod table;
mod temporary;

use crate::framework::duration::parse_duration;
use crate::framework::{Diagnostics, Nesting, Schema, Severity};
use crate::mrs::{ClientConfig, Credentials};
use crate::provider::validators::parse_signing_algorithm;
use crate::tfvalue::AttributePath;

use assume_role_block::AssumeRoleBlock;
use client_config::{Decided, client_config};
use lookup::{Lookup, Place};
use oidc_block::OidcBlock;
use provider_block::ProviderBlock;
use row::Stage;
use sources::{Base, SourceContext};
use temporary::TemporarySource;

/// The schema of the `provider "mrs"` block.
pub fn schema() -> Schema {
    row::schema_of(
        ProviderBlock::ROWS,
        "Kills jobs on Huawei Cloud MapReduce Service (MRS) clusters.",
        "The **mrs** provider kills jobs on Huawei Cloud MapReduce Service (MRS) clusters during `terraform apply`.",
    )
    .block(
            assume_role_block::BLOCK,
            Nesting::List,
            assume_role_block::schema(),
        )
        .block(oidc_block::BLOCK, Nesting::Single, oidc_block::schema())
}

/// The checks the framework's string checks leave: numbers in range, files that must be usable,
/// settings written two ways at once. Only known values of the block are judged; the
/// environment is looked at by [`resolve`].
pub fn validate(config: &crate::framework::Config, diags: &mut Diagnostics) {
    let no_environment = |_: &str| None;
    let lookup = Lookup::new(config, &no_environment);
    ProviderBlock::read(&lookup, &Place::Top, diags).check(&Place::Top, Stage::Validate, diags);
    for place in assume_role_block::written(&lookup) {
        AssumeRoleBlock::read(&lookup, &place, diags).check(&place, Stage::Validate, diags);
    }
    if let Some(place @ Place::Block { .. }) = oidc_block::place(&lookup) {
        OidcBlock::read(&lookup, &place, diags).check(&place, Stage::Validate, diags);
    }
}

/// The provider's settings after merging configuration and environment.
#[derive(Debug)]
pub struct Settings {
    block: ProviderBlock,
    decided: Decided,
    /// The configured credentials, or a placeholder until `temporary` has been fetched.
    credentials: Credentials,
    temporary: Option<TemporarySource>,
}

impl Settings {
    /// Whether the MRS endpoint was written in the provider block (rather than taken from
    /// `HW_MRS_ENDPOINT`), for the words of an error.
    pub fn endpoint_from_block(&self) -> bool {
        self.block
            .endpoint
            .as_ref()
            .is_some_and(|e| e.origin == row::Origin::Block)
    }

    /// The MRS client configuration, once any temporary keys have been fetched: ECS metadata,
    /// an assumed agency. `None` with one error diagnostic when they cannot be had.
    pub async fn into_client_config(
        self,
        terraform_version: Option<String>,
        diags: &mut Diagnostics,
    ) -> Option<ClientConfig> {
        let mut config = client_config(
            &self.block,
            &self.decided,
            self.credentials,
            terraform_version,
        );
        if let Some(temporary) = self.temporary
            && !temporary::fetch(&mut config, temporary, diags).await
        {
            return None;
        }
        Some(config)
    }

    /// The configuration as resolved, before any temporary keys are fetched (tests).
    #[cfg(test)]
    fn client_config(&self) -> ClientConfig {
        client_config(&self.block, &self.decided, self.credentials.clone(), None)
    }
}

fn error_count(diags: &Diagnostics) -> usize {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// Merges the provider block with the environment (`env` is the only way a variable is read).
/// `None` with no diagnostic when some value is still unknown (Terraform configures again at
/// apply); `None` with errors when unusable.
pub fn resolve(
    config: &crate::framework::Config,
    env: impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<Settings> {
    if !config.is_fully_known() {
        tracing::debug!("provider configuration has unknown values; deferring client setup");
        return None;
    }
    let errors_before = error_count(diags);
    let lookup = Lookup::new(config, &env);
    let block = ProviderBlock::read(&lookup, &Place::Top, diags);
    block.check(&Place::Top, Stage::Configure, diags);
    let profile = profile::load(&block, &lookup, diags);
    // A profile that could not be read may well have held the region: its error says enough.
    let profile_failed = profile.is_none() && profile::requested(&block);
    let region = match (&block.region, &profile) {
        (Some(region), _) => region.value.clone(),
        (None, Some(profile)) if profile.region.is_some() => {
            profile.region.clone().unwrap_or_default()
        }
        _ => {
            if !profile_failed {
                diags.add_attribute_error(
                    AttributePath::attr("region"),
                    "Missing region",
                    "The mrs provider needs a region. Set `region` in the provider block (e.g. \"cn-north-4\") or the HW_REGION_NAME environment variable.",
                );
            }
            String::new()
        }
    };
    let project_id = block
        .project_id
        .as_ref()
        .map(|p| p.value.clone())
        .or_else(|| profile.as_ref().and_then(|p| p.project_id.clone()));
    let profile_agency = profile.as_ref().and_then(|p| p.agency.clone());
    let oidc_place = oidc_block::place(&lookup);
    let oidc = oidc_place
        .as_ref()
        .and_then(|place| oidc_block::role(&lookup, place, diags));
    let chain = assume_role_block::chain(&lookup, oidc_place.is_some(), profile_agency, diags);
    let mut context = SourceContext {
        block: &block,
        lookup: &lookup,
        oidc,
        profile,
        agencies_follow: !chain.is_empty(),
    };
    let base = sources::choose(&mut context, diags);
    let looked_at = match base {
        Some(Base::Metadata { .. }) => sources::looked_at(&context),
        _ => String::new(),
    };
    let signing_algorithm = block
        .signing_algorithm
        .as_ref()
        .and_then(|s| parse_signing_algorithm(&s.value).ok())
        .unwrap_or_default();
    // Already an error on the attribute when it does not parse.
    let request_timeout = block
        .request_timeout
        .as_ref()
        .and_then(|t| parse_duration(&t.value).ok());
    if error_count(diags) > errors_before {
        return None;
    }
    let (credentials, temporary) = match (base?, chain.is_empty()) {
        (Base::Configured(credentials), true) => (credentials, None),
        (base, _) => {
            // Replaced by the fetched keys in `into_client_config`.
            let placeholder = match &base {
                Base::Configured(credentials) => credentials.clone(),
                _ => Credentials::Token(String::new()),
            };
            let temporary = TemporarySource {
                base,
                chain,
                looked_at,
            };
            (placeholder, Some(temporary))
        }
    };
    Some(Settings {
        block,
        decided: Decided {
            region,
            project_id,
            signing_algorithm,
            request_timeout,
        },
        credentials,
        temporary,
    })
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
