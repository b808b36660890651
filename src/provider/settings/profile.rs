//! The KooCLI shared config profile (`profile`, `shared_config_file`): read when either is set,
//! as the huaweicloud provider does. Besides keys it may bring the region, the project and an
//! agency, so it is read whichever credential source wins.

use crate::framework::Diagnostics;
use crate::mrs::credentials::shared_config::{self, ProfileSettings, SharedConfigError};
use crate::tfvalue::AttributePath;

use super::lookup::Lookup;
use super::provider_block::ProviderBlock;

/// The home folder, where KooCLI keeps its file.
pub(super) fn home(lookup: &Lookup<'_>) -> Option<String> {
    lookup.var("HOME").or_else(|| lookup.var("USERPROFILE"))
}

/// Whether the block (or the environment) asks for a profile.
pub(super) fn requested(block: &ProviderBlock) -> bool {
    block.shared_config_file.is_some() || block.profile.is_some()
}

/// The profile asked for, or `None` (with an error on the attribute that led there when it
/// cannot be read).
pub(super) fn load(
    block: &ProviderBlock,
    lookup: &Lookup<'_>,
    diags: &mut Diagnostics,
) -> Option<ProfileSettings> {
    if !requested(block) {
        return None;
    }
    let file = block.shared_config_file.as_ref().map(|f| f.value.as_str());
    let profile = block.profile.as_ref().map(|p| p.value.as_str());
    let home = home(lookup);
    let path = match file {
        Some(file) => shared_config::expand_home(file, home.as_deref()),
        None => match &home {
            Some(home) => shared_config::default_path(home),
            None => {
                diags.add_attribute_error(
                    AttributePath::attr("profile"),
                    "Cannot find the shared config file",
                    "profile is set but HOME is not, so ~/.hcloud/config.json cannot be found. Set shared_config_file (HW_SHARED_CONFIG_FILE) to the file's path.",
                );
                return None;
            }
        },
    };
    match shared_config::load(&path, profile) {
        Ok(profile) => {
            tracing::debug!(path = %path.display(), profile = %profile.name, "read the shared config file");
            Some(profile)
        }
        Err(e) => {
            // The file's own problems belong to shared_config_file when it was named, the rest
            // (which profile, what is in it) to profile.
            let attribute = match (&e, file) {
                (
                    SharedConfigError::NotFound(_)
                    | SharedConfigError::Unreadable { .. }
                    | SharedConfigError::Invalid { .. },
                    Some(_),
                ) => "shared_config_file",
                _ if profile.is_some() => "profile",
                _ => "shared_config_file",
            };
            let summary = match e {
                SharedConfigError::NotFound(_) => "Shared config file not found",
                SharedConfigError::ProfileNotFound { .. }
                | SharedConfigError::NoCurrentProfile { .. } => "Profile not found",
                SharedConfigError::NoKeys { .. } => "Profile has no keys",
                _ => "Unusable shared config file",
            };
            diags.add_attribute_error(AttributePath::attr(attribute), summary, e.to_string());
            None
        }
    }
}
