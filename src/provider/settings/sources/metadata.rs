//! The ECS instance metadata service, the last resort when nothing else is configured: on an
//! ECS instance with an agency attached it hands out temporary keys.

use crate::framework::Diagnostics;
use crate::mrs::credentials::DEFAULT_METADATA_ENDPOINT;

use super::source::{Base, CredentialSource, SourceContext};

/// Environment variable pointing the ECS metadata lookup elsewhere. Meant for tests only: the
/// test suite points it at a closed loopback port so that no test reaches 169.254.169.254.
const METADATA_ENDPOINT_ENV: &str = "HW_METADATA_ENDPOINT";

/// The metadata service.
pub(super) struct EcsMetadata;

impl CredentialSource for EcsMetadata {
    fn name(&self) -> &'static str {
        "ECS instance metadata"
    }

    fn configured(&self, _: &SourceContext<'_>) -> bool {
        true
    }

    fn last_resort(&self) -> bool {
        true
    }

    fn credentials(
        &self,
        context: &mut SourceContext<'_>,
        diags: &mut Diagnostics,
    ) -> Option<Base> {
        // Only looked at when it will be used: a stray value must not break configured keys.
        let text = context
            .lookup
            .var(METADATA_ENDPOINT_ENV)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_owned());
        let endpoint = match url::Url::parse(text.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => url,
            _ => {
                diags.add_error(
                    format!("Invalid {METADATA_ENDPOINT_ENV}"),
                    format!("{METADATA_ENDPOINT_ENV} is {text:?}; it must be an http:// URL such as http://127.0.0.1:8080 (it exists for tests; unset it to use {DEFAULT_METADATA_ENDPOINT})."),
                );
                return None;
            }
        };
        Some(Base::Metadata { endpoint })
    }
}
