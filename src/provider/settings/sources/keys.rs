//! `access_key` and `secret_key` (`HW_ACCESS_KEY`, `HW_SECRET_KEY`), with `security_token`
//! (`HW_SECURITY_TOKEN`) for temporary keys. Only when this source wins must it be complete.

use crate::framework::Diagnostics;
use crate::mrs::Credentials;

use super::source::{Base, CredentialSource, SourceContext};

/// An AK/SK pair.
pub(super) struct AccessKeys;

impl CredentialSource for AccessKeys {
    fn name(&self) -> &'static str {
        "access_key/secret_key/security_token (HW_ACCESS_KEY/HW_SECRET_KEY/HW_SECURITY_TOKEN)"
    }

    fn configured(&self, context: &SourceContext<'_>) -> bool {
        let block = context.block;
        block.access_key.is_some() || block.secret_key.is_some() || block.security_token.is_some()
    }

    fn credentials(
        &self,
        context: &mut SourceContext<'_>,
        diags: &mut Diagnostics,
    ) -> Option<Base> {
        let block = context.block;
        let value =
            |v: &Option<super::super::row::Sourced<String>>| v.as_ref().map(|s| s.value.clone());
        match (value(&block.access_key), value(&block.secret_key)) {
            (Some(access_key), Some(secret_key)) => Some(Base::Configured(Credentials::AkSk {
                access_key,
                secret_key,
                security_token: value(&block.security_token),
            })),
            (Some(_), None) | (None, Some(_)) => {
                diags.add_error(
                    "Incomplete credentials",
                    "Only one half of the AK/SK pair is set. Set both access_key and secret_key in the provider block, \
                     or the HW_ACCESS_KEY and HW_SECRET_KEY environment variables.",
                );
                None
            }
            (None, None) => {
                diags.add_error(
                    "Incomplete credentials",
                    "security_token (HW_SECURITY_TOKEN) is set without the access key pair it belongs to. \
                     Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY) too, or remove the security token.",
                );
                None
            }
        }
    }
}
