//! The credential part of the provider block: which source signs the requests (the huaweicloud
//! provider's order), KooCLI profiles, `assume_role` and the ECS metadata fallback, and fetching
//! temporary keys at configure time so that problems show in `plan`.

use crate::framework::{Attribute, Config, Diagnostics, Schema};
use crate::mrs::credentials::shared_config::{self, ProfileSettings};
use crate::mrs::credentials::{
    AgencyDomain, AssumeRole, DEFAULT_ASSUME_ROLE_DURATION_S, DEFAULT_METADATA_ENDPOINT,
    metadata_url,
};
use crate::mrs::{ClientConfig, Credentials, TemporaryCredentials};
use crate::tfvalue::{AttributePath, Value};

use super::settings::setting_at;

/// Environment variable pointing the ECS metadata lookup elsewhere. Meant for tests only: the
/// test suite points it at a closed loopback port so that no test reaches 169.254.169.254.
pub const METADATA_ENDPOINT_ENV: &str = "HW_METADATA_ENDPOINT";

/// Largest and smallest agency key lifetime IAM grants, in seconds.
const ASSUME_ROLE_DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=86_400;

/// Credentials that must be fetched before the first request (at configure, so that a problem
/// shows up in `plan`).
#[derive(Debug)]
pub(super) enum TemporarySource {
    /// Nothing was configured: ECS metadata is the base, the last place to look;
    /// `looked_at` lists the places before it, for the error when it has no keys either.
    Metadata {
        endpoint: url::Url,
        looked_at: String,
        assume_role: Option<AssumeRole>,
    },
    /// An agency assumed with the configured credentials.
    AssumeRole(AssumeRole),
}

/// Fetches the keys `temporary` describes and puts them into `config`; false (with one error
/// diagnostic) when they cannot be had.
pub(super) async fn fetch_temporary_credentials(
    config: &mut ClientConfig,
    temporary: TemporarySource,
    diags: &mut Diagnostics,
) -> bool {
    let deadline = std::time::Instant::now() + config.request_timeout;
    let (base, looked_at, assume_role) = match temporary {
        TemporarySource::Metadata {
            endpoint,
            looked_at,
            assume_role,
        } => match TemporaryCredentials::from_ecs_metadata(&endpoint, config) {
            Ok(metadata) => (
                Credentials::Temporary(metadata),
                Some((looked_at, metadata_url(&endpoint))),
                assume_role,
            ),
            Err(e) => {
                diags.add_error("Unable to set up the ECS metadata client", e.to_string());
                return false;
            }
        },
        TemporarySource::AssumeRole(role) => (config.credentials.clone(), None, Some(role)),
    };
    if let Credentials::Temporary(metadata) = &base
        && let Err(e) = metadata.current(deadline).await
    {
        match looked_at {
            Some((looked_at, url)) => diags.add_error(
                "No credentials found",
                format!(
                    "{looked_at}\n- ECS instance metadata at {}: {} (it answers only on a Huawei Cloud ECS instance with an agency attached).\n\n\
                     Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY), auth_token (HW_AUTH_TOKEN), or profile (HW_PROFILE) for a KooCLI profile.",
                    url,
                    e.cause.clone().unwrap_or_else(|| e.summary()),
                ),
            ),
            None => diags.add_error(e.summary(), e.detail()),
        }
        return false;
    }
    config.credentials = match assume_role {
        None => base,
        Some(role) => match TemporaryCredentials::assume_role(base, role, config) {
            Ok(assumed) => {
                if let Err(e) = assumed.current(deadline).await {
                    diags.add_attribute_error(
                        AttributePath::attr("assume_role"),
                        e.summary(),
                        e.detail(),
                    );
                    return false;
                }
                Credentials::Temporary(assumed)
            }
            Err(e) => {
                diags.add_error(
                    "Unable to set up the IAM client for assume_role",
                    e.to_string(),
                );
                return false;
            }
        },
    };
    true
}

pub(super) fn assume_role_schema() -> Schema {
    Schema::new(
        "Assume an IAM agency with the credentials configured otherwise.",
        "Assume an IAM agency (`POST /v3.0/OS-CREDENTIAL/securitytokens`) with the credentials configured otherwise; requests are then signed with the agency's temporary keys, renewed before they expire.",
    )
    .attribute(Attribute::string("agency_name").optional().describe(
        "Name of the agency. Environment: HW_ASSUME_ROLE_AGENCY_NAME.",
        "Name of the agency to assume (required in the block or through `HW_ASSUME_ROLE_AGENCY_NAME`).",
    ))
    .attribute(Attribute::string("domain_name").optional().describe(
        "Account that created the agency. Environment: HW_ASSUME_ROLE_DOMAIN_NAME.",
        "Name of the account (domain) that created the agency; this or `domain_id`. Falls back to `HW_ASSUME_ROLE_DOMAIN_NAME`.",
    ))
    .attribute(Attribute::string("domain_id").optional().describe(
        "ID of the account that created the agency. Environment: HW_ASSUME_ROLE_DOMAIN_ID.",
        "ID of the account (domain) that created the agency; this or `domain_name`. Falls back to `HW_ASSUME_ROLE_DOMAIN_ID`.",
    ))
    .attribute(Attribute::number("duration").optional().describe(
        "Lifetime of the temporary keys in seconds, 900 to 86400; default 3600. Environment: HW_ASSUME_ROLE_DURATION.",
        "Lifetime of the agency's temporary keys in seconds, `900` to `86400`; default `3600`. They are renewed when fewer than 10 minutes remain. Falls back to `HW_ASSUME_ROLE_DURATION`.",
    ))
}

/// Checks of the `assume_role` block that need no environment: a known duration in range.
pub(super) fn validate(config: &Config, diags: &mut Diagnostics) {
    let duration = AttributePath::attr("assume_role").push_attr("duration");
    if let Some(n) = config
        .value()
        .get_path(&duration)
        .and_then(Value::as_number)
    {
        match n.as_i64() {
            Some(n) if ASSUME_ROLE_DURATION_RANGE.contains(&n) => {}
            _ => bad_duration(&n.to_string(), duration, diags),
        }
    }
}

/// The credential settings of the block and the environment.
#[derive(Debug, Default)]
pub(super) struct CredentialInputs {
    pub(super) access_key: Option<String>,
    pub(super) secret_key: Option<String>,
    pub(super) security_token: Option<String>,
    pub(super) auth_token: Option<String>,
    pub(super) shared_config_file: Option<String>,
    pub(super) profile: Option<String>,
}

/// What the requests are signed with before any agency is assumed.
#[derive(Debug)]
pub(super) enum Base {
    /// Keys or a token from the block, the environment or the shared config file.
    Configured(Credentials),
    /// Nothing configured: the ECS metadata service, the last place to look.
    Metadata,
}

/// Reads the shared config file when `shared_config_file` or `profile` is set (as the huaweicloud
/// provider does); a problem is an error on the attribute that led there.
pub(super) fn load_profile(
    inputs: &CredentialInputs,
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<ProfileSettings> {
    if inputs.shared_config_file.is_none() && inputs.profile.is_none() {
        return None;
    }
    let home = env("HOME").or_else(|| env("USERPROFILE"));
    let path = match &inputs.shared_config_file {
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
    match shared_config::load(&path, inputs.profile.as_deref()) {
        Ok(profile) => {
            tracing::debug!(path = %path.display(), profile = %profile.name, "credentials from the shared config file");
            Some(profile)
        }
        Err(e) => {
            // The file's own problems belong to shared_config_file when it was named, the rest
            // (which profile, what is in it) to profile.
            let attribute = match (&e, &inputs.shared_config_file) {
                (
                    shared_config::SharedConfigError::NotFound(_)
                    | shared_config::SharedConfigError::Unreadable { .. }
                    | shared_config::SharedConfigError::Invalid { .. },
                    Some(_),
                ) => "shared_config_file",
                _ if inputs.profile.is_some() => "profile",
                _ => "shared_config_file",
            };
            let summary = match e {
                shared_config::SharedConfigError::NotFound(_) => "Shared config file not found",
                shared_config::SharedConfigError::ProfileNotFound { .. }
                | shared_config::SharedConfigError::NoCurrentProfile { .. } => "Profile not found",
                shared_config::SharedConfigError::NoKeys { .. } => "Profile has no keys",
                _ => "Unusable shared config file",
            };
            diags.add_attribute_error(AttributePath::attr(attribute), summary, e.to_string());
            None
        }
    }
}

/// Picks what to sign with, in the huaweicloud provider's order — `auth_token`, then the shared
/// config profile (when `profile` or `shared_config_file` is set, its keys take the place of
/// `access_key`/`secret_key`), then `access_key`/`secret_key`, then ECS metadata — or adds ONE
/// diagnostic naming what to set.
pub(super) fn choose_base(
    inputs: CredentialInputs,
    profile: Option<ProfileSettings>,
    diags: &mut Diagnostics,
) -> Option<Base> {
    let profile_requested = inputs.shared_config_file.is_some() || inputs.profile.is_some();
    let CredentialInputs {
        access_key,
        secret_key,
        security_token,
        auth_token,
        ..
    } = inputs;
    if auth_token.is_none() && profile_requested {
        // A profile that could not be loaded already has its diagnostic.
        let profile = profile?;
        if access_key.is_some() || secret_key.is_some() {
            tracing::info!(profile = %profile.name, "access_key/secret_key are ignored: the shared config profile is used instead");
        }
        return Some(Base::Configured(Credentials::AkSk {
            access_key: profile.access_key,
            secret_key: profile.secret_key,
            security_token: profile.security_token,
        }));
    }
    match (access_key, secret_key, auth_token) {
        (Some(access_key), Some(secret_key), None) => Some(Base::Configured(Credentials::AkSk {
            access_key,
            secret_key,
            security_token,
        })),
        (None, None, Some(token)) if security_token.is_none() => {
            Some(Base::Configured(Credentials::Token(token)))
        }
        (None, None, Some(_)) => {
            diags.add_error(
                "Incomplete credentials",
                "security_token (HW_SECURITY_TOKEN) belongs to temporary AK/SK credentials, but only auth_token (HW_AUTH_TOKEN) is set. \
                 Either set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY) with the security token, or remove the security token.",
            );
            None
        }
        (Some(_), Some(_), Some(_)) | (Some(_), None, Some(_)) | (None, Some(_), Some(_)) => {
            diags.add_error(
                "Conflicting credentials",
                "Both auth_token (HW_AUTH_TOKEN) and AK/SK credentials (access_key/secret_key, HW_ACCESS_KEY/HW_SECRET_KEY) are set. \
                 Keep one way of authenticating.",
            );
            None
        }
        (Some(_), None, None) | (None, Some(_), None) => {
            diags.add_error(
                "Incomplete credentials",
                "Only one half of the AK/SK pair is set. Set both access_key and secret_key in the provider block, \
                 or the HW_ACCESS_KEY and HW_SECRET_KEY environment variables.",
            );
            None
        }
        (None, None, None) if security_token.is_some() => {
            diags.add_error(
                "Incomplete credentials",
                "security_token (HW_SECURITY_TOKEN) is set without the access key pair it belongs to. \
                 Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY) too, or remove the security token.",
            );
            None
        }
        (None, None, None) => Some(Base::Metadata),
    }
}

/// The list of places that had no credentials, for the error when metadata has none either.
pub(super) fn looked_at(env: &impl Fn(&str) -> Option<String>, assume_role: bool) -> String {
    let home = env("HOME").or_else(|| env("USERPROFILE"));
    let shared = match home {
        Some(home) => shared_config::default_path(&home).display().to_string(),
        None => format!("~/{}", shared_config::DEFAULT_RELATIVE_PATH),
    };
    let agency = if assume_role {
        " (assume_role needs base credentials from one of these to sign its request)"
    } else {
        ""
    };
    format!(
        "The mrs provider found no credentials{agency}. It looked, in this order, at:\n\
         - the provider block: auth_token, access_key and secret_key (with security_token), shared_config_file and profile: none set;\n\
         - the environment: HW_AUTH_TOKEN, HW_ACCESS_KEY and HW_SECRET_KEY (with HW_SECURITY_TOKEN), HW_SHARED_CONFIG_FILE and HW_PROFILE: none set;\n\
         - the shared config file {shared}: not read, because neither profile nor shared_config_file is set;"
    )
}

/// `HW_METADATA_ENDPOINT` (tests) or 169.254.169.254.
pub(super) fn metadata_endpoint(
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<url::Url> {
    let text = env(METADATA_ENDPOINT_ENV)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_owned());
    match url::Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Some(url)
        }
        _ => {
            diags.add_error(
                format!("Invalid {METADATA_ENDPOINT_ENV}"),
                format!("{METADATA_ENDPOINT_ENV} is {text:?}; it must be an http:// URL such as http://127.0.0.1:8080 (it exists for tests; unset it to use {DEFAULT_METADATA_ENDPOINT})."),
            );
            None
        }
    }
}

/// The `assume_role` block's values, each falling back to its `HW_ASSUME_ROLE_*` variable.
#[derive(Debug, Default)]
pub(super) struct AssumeRoleInputs {
    pub(super) agency_name: Option<String>,
    pub(super) domain_name: Option<String>,
    pub(super) domain_id: Option<String>,
    /// The duration as written (block number or variable text).
    pub(super) duration: Option<Result<i64, String>>,
    /// Whether the values come from a block (diagnostics then point into it).
    pub(super) from_block: bool,
}

/// `Ok(None)` when neither the block nor `HW_ASSUME_ROLE_AGENCY_NAME` asks for an agency;
/// `Err(())` when a value is unknown.
pub(super) fn assume_role_inputs(
    config: &Config,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<AssumeRoleInputs>, ()> {
    let block = AttributePath::attr("assume_role");
    let from_block = match config.value().get_path(&block) {
        Some(Value::Unknown) => return Err(()),
        Some(Value::Object(_)) => true,
        _ => false,
    };
    let field = |name: &str, env_name: &str| {
        if from_block {
            setting_at(config, &block.push_attr(name), env_name, env)
        } else {
            Ok(env(env_name).filter(|v| !v.is_empty()))
        }
    };
    let agency_name = field("agency_name", "HW_ASSUME_ROLE_AGENCY_NAME")?;
    if !from_block && agency_name.is_none() {
        return Ok(None);
    }
    let duration = match config
        .value()
        .get_path(&block.push_attr("duration"))
        .filter(|_| from_block)
    {
        Some(Value::Unknown) => return Err(()),
        Some(value) if value.as_number().is_some() => value
            .as_number()
            .map(|n| n.as_i64().ok_or_else(|| n.to_string())),
        _ => env("HW_ASSUME_ROLE_DURATION")
            .filter(|v| !v.trim().is_empty())
            .map(|text| text.trim().parse::<i64>().map_err(|_| text.clone())),
    };
    Ok(Some(AssumeRoleInputs {
        agency_name,
        domain_name: field("domain_name", "HW_ASSUME_ROLE_DOMAIN_NAME")?,
        domain_id: field("domain_id", "HW_ASSUME_ROLE_DOMAIN_ID")?,
        duration,
        from_block,
    }))
}

/// The agency to assume, or errors on the block's attributes.
pub(super) fn check_assume_role(
    inputs: AssumeRoleInputs,
    diags: &mut Diagnostics,
) -> Option<AssumeRole> {
    let at = |name: &str| {
        if inputs.from_block {
            AttributePath::attr("assume_role").push_attr(name)
        } else {
            AttributePath::attr("assume_role")
        }
    };
    let agency_name = match inputs.agency_name.map(|a| a.trim().to_owned()) {
        Some(name) if !name.is_empty() => Some(name),
        _ => {
            diags.add_attribute_error(
                at("agency_name"),
                "Missing agency_name",
                "assume_role needs the name of the agency to assume: set agency_name in the block or HW_ASSUME_ROLE_AGENCY_NAME.",
            );
            None
        }
    };
    let domain = match (inputs.domain_id, inputs.domain_name) {
        // An ID names the account without ambiguity, so it wins when both are given.
        (Some(id), _) => Some(AgencyDomain::Id(id)),
        (None, Some(name)) => Some(AgencyDomain::Name(name)),
        (None, None) => {
            diags.add_attribute_error(
                at("domain_name"),
                "Missing agency account",
                "assume_role needs the account that created the agency: set domain_name (HW_ASSUME_ROLE_DOMAIN_NAME) or domain_id (HW_ASSUME_ROLE_DOMAIN_ID).",
            );
            None
        }
    };
    let duration_s = match inputs.duration {
        None => Some(DEFAULT_ASSUME_ROLE_DURATION_S),
        Some(Ok(n)) if ASSUME_ROLE_DURATION_RANGE.contains(&n) => u32::try_from(n).ok(),
        Some(Ok(n)) => {
            bad_duration(&n.to_string(), at("duration"), diags);
            None
        }
        Some(Err(text)) => {
            bad_duration(&text, at("duration"), diags);
            None
        }
    };
    Some(AssumeRole {
        agency_name: agency_name?,
        domain: domain?,
        duration_s: duration_s?,
    })
}

fn bad_duration(text: &str, at: AttributePath, diags: &mut Diagnostics) {
    diags.add_attribute_error(
        at,
        "Invalid assume_role duration",
        format!(
            "duration (HW_ASSUME_ROLE_DURATION) is {text}; IAM grants agency keys for 900 to 86400 seconds. Write a whole number in that range, or leave it out for {DEFAULT_ASSUME_ROLE_DURATION_S}."
        ),
    );
}
