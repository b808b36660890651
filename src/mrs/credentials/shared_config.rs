//! KooCLI's shared config file (`~/.hcloud/config.json`), read the way the huaweicloud provider
//! reads it, so a profile set up with `hcloud configure` works here unchanged.
//!
//! The file holds `{"current": NAME, "profiles": [{"name", "mode", "accessKeyId",
//! "secretAccessKey", "securityToken", "region", "projectId", "agencyName",
//! "agencyDomainName", "ssoAuth": {"stsToken": {...}}}]}`. A profile in `SSO` mode signs with the
//! keys under `ssoAuth.stsToken`; every other mode (`AKSK`, ...) with the top-level keys.

use crate::mrs::local_file::{LocalFileError, SHARED_CONFIG_CAP, read_capped_text};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// KooCLI's file, relative to the home directory.
pub const DEFAULT_RELATIVE_PATH: &str = ".hcloud/config.json";

/// What one profile contributes to the provider's settings.
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileSettings {
    /// Name of the profile used (the named one, or the file's `current`).
    pub name: String,
    /// Access key ID.
    pub access_key: String,
    /// Secret access key; never logged.
    pub secret_key: String,
    /// Security token of temporary keys (SSO mode always has one); never logged.
    pub security_token: Option<String>,
    /// The profile's region, used when the provider block sets none.
    pub region: Option<String>,
    /// The profile's project ID, used when the provider block sets none.
    pub project_id: Option<String>,
    /// `agencyName` and `agencyDomainName`: an agency to assume with the keys.
    pub agency: Option<(String, String)>,
}

impl fmt::Debug for ProfileSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileSettings")
            .field("name", &self.name)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("region", &self.region)
            .field("project_id", &self.project_id)
            .field("agency", &self.agency)
            .finish()
    }
}

/// Why no profile could be taken from the file. Each says what to change.
#[derive(Debug, thiserror::Error)]
pub enum SharedConfigError {
    /// The file does not exist.
    #[error("the shared config file {} does not exist; create it with `hcloud configure init` or point shared_config_file (HW_SHARED_CONFIG_FILE) at the right file", .0.display())]
    NotFound(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read the shared config file {}: {source}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not KooCLI's JSON.
    #[error("the shared config file {} is not valid KooCLI JSON: {reason}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// No profile was named and the file has no `current` one.
    #[error("the shared config file {} names no current profile; set profile (HW_PROFILE) to one of: {}", .path.display(), list(.available))]
    NoCurrentProfile {
        /// The file.
        path: PathBuf,
        /// Profile names in the file.
        available: Vec<String>,
    },
    /// The named (or current) profile is not in the file.
    #[error("the shared config file {} has no profile named {name:?}; it has: {}", .path.display(), list(.available))]
    ProfileNotFound {
        /// The file.
        path: PathBuf,
        /// The profile looked for.
        name: String,
        /// Profile names in the file.
        available: Vec<String>,
    },
    /// The profile has no access key pair where its mode keeps it.
    #[error("profile {name:?} in {} has no {where_}; run `hcloud configure set --cli-profile={name}` (or `hcloud configure sso` for SSO mode) to store keys", .path.display())]
    NoKeys {
        /// The file.
        path: PathBuf,
        /// The profile.
        name: String,
        /// Which keys were missing, e.g. `accessKeyId/secretAccessKey`.
        where_: &'static str,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no profiles at all".to_owned()
    } else {
        names.join(", ")
    }
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    current: String,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Profile {
    name: String,
    mode: String,
    access_key_id: String,
    secret_access_key: String,
    security_token: String,
    region: String,
    project_id: String,
    agency_name: String,
    agency_domain_name: String,
    sso_auth: SsoAuth,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SsoAuth {
    sts_token: StsToken,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StsToken {
    access_key_id: String,
    secret_access_key: String,
    security_token: String,
}

/// `$HOME/.hcloud/config.json` for `home`.
pub fn default_path(home: &str) -> PathBuf {
    Path::new(home).join(DEFAULT_RELATIVE_PATH)
}

/// `~/…` expanded with `home`, as the huaweicloud provider (go-homedir) does.
pub fn expand_home(path: &str, home: Option<&str>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => Path::new(home).join(rest),
        _ if path == "~" && home.is_some() => PathBuf::from(home.unwrap_or_default()),
        _ => PathBuf::from(path),
    }
}

/// Reads `path` and picks `profile` (the file's `current` one when `None`).
pub fn load(path: &Path, profile: Option<&str>) -> Result<ProfileSettings, SharedConfigError> {
    // A regular file of at most SHARED_CONFIG_CAP: `/dev/zero` or a FIFO is refused at once.
    let text = match read_capped_text(path, SHARED_CONFIG_CAP) {
        Ok(text) => text,
        Err(LocalFileError::NotFound(_)) => {
            return Err(SharedConfigError::NotFound(path.to_owned()));
        }
        Err(e) => {
            return Err(SharedConfigError::Unreadable {
                path: path.to_owned(),
                source: std::io::Error::other(e),
            });
        }
    };
    parse(&text, path, profile)
}

/// Picks `profile` (or the current one) out of the file's text; `path` is for messages.
pub fn parse(
    text: &str,
    path: &Path,
    profile: Option<&str>,
) -> Result<ProfileSettings, SharedConfigError> {
    let file: File = serde_json::from_str(text).map_err(|e| SharedConfigError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let available: Vec<String> = file.profiles.iter().map(|p| p.name.clone()).collect();
    let name = match profile.map(str::trim).filter(|p| !p.is_empty()) {
        Some(name) => name.to_owned(),
        None if file.current.trim().is_empty() => {
            return Err(SharedConfigError::NoCurrentProfile {
                path: path.to_owned(),
                available,
            });
        }
        None => file.current.trim().to_owned(),
    };
    let Some(found) = file.profiles.into_iter().find(|p| p.name == name) else {
        return Err(SharedConfigError::ProfileNotFound {
            path: path.to_owned(),
            name,
            available,
        });
    };
    let sso = found.mode.eq_ignore_ascii_case("SSO");
    let (access_key, secret_key, security_token, where_) = if sso {
        let sts = found.sso_auth.sts_token;
        (
            sts.access_key_id,
            sts.secret_access_key,
            sts.security_token,
            "ssoAuth.stsToken keys (accessKeyId/secretAccessKey), which SSO mode signs with",
        )
    } else {
        (
            found.access_key_id,
            found.secret_access_key,
            found.security_token,
            "accessKeyId/secretAccessKey",
        )
    };
    if access_key.trim().is_empty() || secret_key.is_empty() {
        return Err(SharedConfigError::NoKeys {
            path: path.to_owned(),
            name,
            where_,
        });
    }
    let some = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let agency = match (some(found.agency_name), some(found.agency_domain_name)) {
        (Some(agency), Some(domain)) => Some((agency, domain)),
        _ => None,
    };
    Ok(ProfileSettings {
        name,
        access_key: access_key.trim().to_owned(),
        secret_key,
        security_token: some(security_token),
        region: some(found.region),
        project_id: some(found.project_id),
        agency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
      "current": "dev",
      "profiles": [
        {"name": "dev", "mode": "AKSK", "accessKeyId": "AKDEV", "secretAccessKey": "skdev",
         "securityToken": "tokdev", "region": "ap-southeast-1", "projectId": "p-dev",
         "language": "en", "readTimeout": 10},
        {"name": "sso", "mode": "SSO", "accessKeyId": "", "secretAccessKey": "",
         "region": "cn-north-4",
         "ssoAuth": {"stsToken": {"accessKeyId": "AKSSO", "secretAccessKey": "sksso",
                                  "securityToken": "toksso", "expiresAt": 1764620000}}},
        {"name": "empty", "mode": "AKSK"},
        {"name": "ssoempty", "mode": "SSO", "accessKeyId": "AKTOP", "secretAccessKey": "sktop"},
        {"name": "agency", "mode": "AKSK", "accessKeyId": "AKA", "secretAccessKey": "ska",
         "agencyName": "ops", "agencyDomainName": "owner"}
      ]
    }"#;

    fn pick(profile: Option<&str>) -> Result<ProfileSettings, SharedConfigError> {
        parse(FILE, Path::new("/home/u/.hcloud/config.json"), profile)
    }

    #[test]
    fn aksk_mode_takes_top_level_keys_with_token_region_and_project() {
        let p = pick(Some("dev")).unwrap();
        assert_eq!(p.access_key, "AKDEV");
        assert_eq!(p.secret_key, "skdev");
        assert_eq!(p.security_token.as_deref(), Some("tokdev"));
        assert_eq!(p.region.as_deref(), Some("ap-southeast-1"));
        assert_eq!(p.project_id.as_deref(), Some("p-dev"));
        assert_eq!(p.agency, None);
        assert!(!format!("{p:?}").contains("skdev"));
        assert!(!format!("{p:?}").contains("tokdev"));
    }

    #[test]
    fn sso_mode_takes_the_sts_token_keys() {
        let p = pick(Some("sso")).unwrap();
        assert_eq!(p.access_key, "AKSSO");
        assert_eq!(p.secret_key, "sksso");
        assert_eq!(p.security_token.as_deref(), Some("toksso"));
        assert_eq!(p.project_id, None);
    }

    #[test]
    fn no_profile_named_means_the_current_one() {
        assert_eq!(pick(None).unwrap().name, "dev");
        let no_current =
            r#"{"profiles": [{"name": "a", "accessKeyId": "A", "secretAccessKey": "s"}]}"#;
        let err = parse(no_current, Path::new("f.json"), None).unwrap_err();
        assert!(matches!(err, SharedConfigError::NoCurrentProfile { .. }));
        assert!(err.to_string().contains("HW_PROFILE") && err.to_string().contains(": a"));
    }

    #[test]
    fn a_missing_profile_lists_the_ones_there_are() {
        let err = pick(Some("prod")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"prod\""), "{text}");
        assert!(text.contains("dev, sso, empty"), "{text}");
    }

    #[test]
    fn a_profile_without_keys_is_refused_naming_where_they_belong() {
        let err = pick(Some("empty")).unwrap_err().to_string();
        assert!(err.contains("accessKeyId/secretAccessKey"), "{err}");
        // SSO mode ignores top-level keys, as the huaweicloud provider does.
        let err = pick(Some("ssoempty")).unwrap_err().to_string();
        assert!(err.contains("ssoAuth.stsToken"), "{err}");
    }

    #[test]
    fn agency_fields_of_a_profile_are_kept() {
        let p = pick(Some("agency")).unwrap();
        assert_eq!(p.agency, Some(("ops".into(), "owner".into())));
    }

    #[test]
    fn a_missing_file_and_bad_json_say_so() {
        let err = load(Path::new("/nonexistent/config.json"), Some("x")).unwrap_err();
        assert!(matches!(err, SharedConfigError::NotFound(_)));
        assert!(err.to_string().contains("/nonexistent/config.json"));
        let err = parse("{not json", Path::new("f.json"), None).unwrap_err();
        assert!(matches!(err, SharedConfigError::Invalid { .. }));
    }

    #[test]
    fn home_is_expanded_like_go_homedir() {
        assert_eq!(
            expand_home("~/.hcloud/x.json", Some("/home/u")),
            PathBuf::from("/home/u/.hcloud/x.json")
        );
        assert_eq!(
            expand_home("/etc/x.json", Some("/home/u")),
            PathBuf::from("/etc/x.json")
        );
        assert_eq!(
            default_path("/root"),
            PathBuf::from("/root/.hcloud/config.json")
        );
    }
}
