//! The KooCLI shared config profile, when `profile` or `shared_config_file` is set: its keys
//! take the place of `access_key`/`secret_key`.

use crate::framework::Diagnostics;
use crate::mrs::Credentials;

use crate::mrs::credentials::shared_config;

use super::super::profile::{home, requested};
use super::source::{Base, CredentialSource, SourceContext};

/// A profile of `~/.hcloud/config.json` (or the file named).
pub(super) struct SharedConfigProfile;

impl CredentialSource for SharedConfigProfile {
    fn name(&self) -> &'static str {
        "the shared config profile (profile/shared_config_file, HW_PROFILE/HW_SHARED_CONFIG_FILE)"
    }

    fn configured(&self, context: &SourceContext<'_>) -> bool {
        requested(context.block)
    }

    fn not_found(&self, context: &SourceContext<'_>) -> String {
        let shared = match home(context.lookup) {
            Some(home) => shared_config::default_path(&home).display().to_string(),
            None => format!("~/{}", shared_config::DEFAULT_RELATIVE_PATH),
        };
        format!(
            "{}: not set, so the shared config file {shared} was not read",
            self.name()
        )
    }

    fn credentials(&self, context: &mut SourceContext<'_>, _: &mut Diagnostics) -> Option<Base> {
        // A profile that could not be read already has its error.
        let profile = context.profile.take()?;
        Some(Base::Configured(Credentials::AkSk {
            access_key: profile.access_key,
            secret_key: profile.secret_key,
            security_token: profile.security_token,
        }))
    }
}
