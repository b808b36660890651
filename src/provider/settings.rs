//! The provider block: its schema, its checks, and how it merges with the environment.

use std::path::PathBuf;
use std::time::Duration;

use crate::framework::duration::{parse_duration, validate_duration};
use crate::framework::{Attr, Attribute, Config, Diagnostics, Nesting, Schema};
use crate::mrs::credentials::shared_config::{self, ProfileSettings};
use crate::mrs::credentials::{
    AgencyDomain, AssumeRole, DEFAULT_ASSUME_ROLE_DURATION_S, DEFAULT_METADATA_ENDPOINT,
    metadata_url,
};
use crate::mrs::{ClientConfig, Credentials, TemporaryCredentials};
use crate::tfvalue::{AttributePath, Value};

use super::validators::{
    validate_cloud, validate_credential, validate_endpoint, validate_id, validate_region,
};

/// Default for `max_retries`.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Upper bound for `max_retries`: more would hold an apply for many minutes.
pub const MAX_RETRIES_LIMIT: i64 = 20;
/// Default for `request_timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema of the `provider "mrs"` block.
pub fn schema() -> Schema {
    Schema::new(
        "Kills jobs on Huawei Cloud MapReduce Service (MRS) clusters.",
        "The **mrs** provider kills jobs on Huawei Cloud MapReduce Service (MRS) clusters during `terraform apply`.",
    )
    .attribute(Attribute::string("region").optional().validate_string(validate_region).describe(
        "Region of the MRS service, e.g. cn-north-4. Environment: HW_REGION_NAME.",
        "Region of the MRS service, e.g. `cn-north-4`. Falls back to `HW_REGION_NAME`.",
    ))
    .attribute(Attribute::string("project_id").optional().validate_string(validate_id).describe(
        "Project ID; looked up through IAM for the region when absent. Environment: HW_PROJECT_ID.",
        "Project ID. When absent it is looked up once through IAM (`GET /v3/projects?name={region}`). Falls back to `HW_PROJECT_ID`.",
    ))
    .attribute(Attribute::string("access_key").optional().sensitive().validate_string(validate_credential).describe(
        "Access key (AK). Environment: HW_ACCESS_KEY.",
        "Access key (AK) for AK/SK signing. Falls back to `HW_ACCESS_KEY`.",
    ))
    .attribute(Attribute::string("secret_key").optional().sensitive().validate_string(validate_credential).describe(
        "Secret key (SK). Environment: HW_SECRET_KEY.",
        "Secret key (SK) for AK/SK signing. Falls back to `HW_SECRET_KEY`.",
    ))
    .attribute(Attribute::string("security_token").optional().sensitive().validate_string(validate_credential).describe(
        "Security token of temporary credentials. Environment: HW_SECURITY_TOKEN.",
        "Security token of temporary AK/SK credentials, sent as `X-Security-Token`. Falls back to `HW_SECURITY_TOKEN`.",
    ))
    .attribute(Attribute::string("auth_token").optional().sensitive().validate_string(validate_credential).describe(
        "IAM token, used instead of AK/SK. Environment: HW_AUTH_TOKEN.",
        "IAM token, sent as `X-Auth-Token` instead of AK/SK signing. Falls back to `HW_AUTH_TOKEN`.",
    ))
    .attribute(Attribute::string("shared_config_file").optional().describe(
        "Path of KooCLI's shared config file; default ~/.hcloud/config.json when profile is set. Environment: HW_SHARED_CONFIG_FILE.",
        "Path of KooCLI's shared config file (`hcloud configure`). Read when this or `profile` is set; default `~/.hcloud/config.json`. Its keys take the place of `access_key`/`secret_key`. Falls back to `HW_SHARED_CONFIG_FILE`.",
    ))
    .attribute(Attribute::string("profile").optional().describe(
        "Profile of the shared config file; default its current profile. Environment: HW_PROFILE.",
        "Profile of the shared config file to sign with; default the file's `current` profile. The profile's `region` and `projectId` apply when the provider block sets none. Falls back to `HW_PROFILE`.",
    ))
    .attribute(Attribute::string("endpoint").optional().validate_string(validate_endpoint).describe(
        "MRS endpoint URL override. Environment: HW_MRS_ENDPOINT.",
        "MRS endpoint URL; overrides `https://mrs.{region}.{cloud}`. `http://` is accepted for a local emulator. Falls back to `HW_MRS_ENDPOINT`.",
    ))
    .attribute(Attribute::string("iam_endpoint").optional().validate_string(validate_endpoint).describe(
        "IAM endpoint URL override. Environment: HW_IAM_ENDPOINT.",
        "IAM endpoint URL; overrides `https://iam.{region}.{cloud}`. Falls back to `HW_IAM_ENDPOINT`.",
    ))
    .attribute(Attribute::string("cloud").optional().validate_string(validate_cloud).describe(
        "Domain suffix of the endpoints; default myhuaweicloud.com. Environment: HW_CLOUD.",
        "Domain suffix of the endpoints; default `myhuaweicloud.com`. Falls back to `HW_CLOUD`.",
    ))
    .attribute(Attribute::bool("insecure").optional().describe(
        "Skip TLS certificate verification. Environment: HW_INSECURE.",
        "Skip TLS certificate verification (private clouds with self-signed certificates only). Falls back to `HW_INSECURE`.",
    ))
    .attribute(Attribute::string("ca_cert_file").optional().describe(
        "PEM file of extra CA certificates to trust. Environment: HW_CA_CERT_FILE.",
        "Path of a PEM file with extra CA certificates to trust. Falls back to `HW_CA_CERT_FILE`.",
    ))
    .attribute(Attribute::number("max_retries").optional().describe(
        "Retries for throttled or failed requests; default 5. Environment: HW_MAX_RETRIES.",
        "How many times a throttled (429) or failed (5xx, connection error, timeout) request is retried; default `5`. Falls back to `HW_MAX_RETRIES`.",
    ))
    .attribute(Attribute::string("request_timeout").optional().validate_string(validate_duration).describe(
        "Timeout of one HTTP request, e.g. 30s; default 30s.",
        "Timeout of one HTTP request as a duration string, e.g. `\"30s\"`; default `\"30s\"`.",
    ))
    .block("assume_role", Nesting::Single, assume_role_schema())
}

fn assume_role_schema() -> Schema {
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

/// Checks that need more than one value or a number; values may be unknown.
pub fn validate(config: &Config, diags: &mut Diagnostics) {
    if let Attr::Known(retries) = config.integer("max_retries") {
        check_retries(retries, diags);
    }
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

fn check_retries(retries: Result<i64, String>, diags: &mut Diagnostics) -> Option<u32> {
    match retries {
        Ok(n) if (0..=MAX_RETRIES_LIMIT).contains(&n) => u32::try_from(n).ok(),
        Ok(n) => {
            diags.add_attribute_error(
                AttributePath::attr("max_retries"),
                "Invalid value for max_retries",
                format!("max_retries is {n}; write a whole number from 0 to {MAX_RETRIES_LIMIT}."),
            );
            None
        }
        Err(text) => {
            diags.add_attribute_error(
                AttributePath::attr("max_retries"),
                "Invalid value for max_retries",
                format!(
                    "max_retries is {text}; write a whole number from 0 to {MAX_RETRIES_LIMIT}."
                ),
            );
            None
        }
    }
}

/// Environment variable pointing the ECS metadata lookup elsewhere. Meant for tests only: the
/// test suite points it at a closed loopback port so that no test reaches 169.254.169.254.
pub const METADATA_ENDPOINT_ENV: &str = "HW_METADATA_ENDPOINT";

/// Largest and smallest agency key lifetime IAM grants, in seconds.
const ASSUME_ROLE_DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=86_400;

/// The provider's settings after merging configuration and environment.
#[derive(Debug)]
pub struct Settings {
    config: ClientConfig,
    temporary: Option<TemporarySource>,
}

/// Credentials that must be fetched before the first request (at configure, so that a problem
/// shows up in `plan`).
#[derive(Debug)]
enum TemporarySource {
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

impl Settings {
    /// The MRS client configuration, once any temporary keys have been fetched: ECS metadata,
    /// an assumed agency. `None` with one error diagnostic when they cannot be had.
    pub async fn into_client_config(
        self,
        terraform_version: Option<String>,
        diags: &mut Diagnostics,
    ) -> Option<ClientConfig> {
        let Settings {
            mut config,
            temporary,
        } = self;
        config.terraform_version = terraform_version;
        let Some(temporary) = temporary else {
            return Some(config);
        };
        let deadline = std::time::Instant::now() + config.request_timeout;
        let (base, looked_at, assume_role) = match temporary {
            TemporarySource::Metadata {
                endpoint,
                looked_at,
                assume_role,
            } => match TemporaryCredentials::from_ecs_metadata(&endpoint, &config) {
                Ok(metadata) => (
                    Credentials::Temporary(metadata),
                    Some((looked_at, metadata_url(&endpoint))),
                    assume_role,
                ),
                Err(e) => {
                    diags.add_error("Unable to set up the ECS metadata client", e.to_string());
                    return None;
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
            return None;
        }
        config.credentials = match assume_role {
            None => base,
            Some(role) => match TemporaryCredentials::assume_role(base, role, &config) {
                Ok(assumed) => {
                    if let Err(e) = assumed.current(deadline).await {
                        diags.add_attribute_error(
                            AttributePath::attr("assume_role"),
                            e.summary(),
                            e.detail(),
                        );
                        return None;
                    }
                    Credentials::Temporary(assumed)
                }
                Err(e) => {
                    diags.add_error(
                        "Unable to set up the IAM client for assume_role",
                        e.to_string(),
                    );
                    return None;
                }
            },
        };
        Some(config)
    }

    /// The configuration as resolved, before any temporary keys are fetched (tests).
    #[cfg(test)]
    fn client_config(&self) -> &ClientConfig {
        &self.config
    }
}

/// One string setting: the configuration's value, else the environment's. `Err(())` when unknown.
fn setting(
    config: &Config,
    name: &str,
    env_name: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ()> {
    setting_at(config, &AttributePath::attr(name), env_name, env)
}

fn setting_at(
    config: &Config,
    path: &AttributePath,
    env_name: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ()> {
    match config.string_at(path) {
        Attr::Known(v) => Ok(Some(v)),
        Attr::Unknown => Err(()),
        Attr::Null => Ok(env(env_name).filter(|v| !v.is_empty())),
    }
}

/// Merges the provider block with the environment. `None` with no diagnostic when some value
/// is still unknown (Terraform configures again at apply); `None` with errors when unusable.
pub fn resolve(
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<Settings> {
    let get = |name: &str, env_name: &str| setting(config, name, env_name, &env);
    let values = (|| {
        Ok::<_, ()>((
            get("region", "HW_REGION_NAME")?,
            get("project_id", "HW_PROJECT_ID")?,
            CredentialInputs {
                access_key: get("access_key", "HW_ACCESS_KEY")?,
                secret_key: get("secret_key", "HW_SECRET_KEY")?,
                security_token: get("security_token", "HW_SECURITY_TOKEN")?,
                auth_token: get("auth_token", "HW_AUTH_TOKEN")?,
                shared_config_file: get("shared_config_file", "HW_SHARED_CONFIG_FILE")?,
                profile: get("profile", "HW_PROFILE")?,
            },
            get("endpoint", "HW_MRS_ENDPOINT")?,
            get("iam_endpoint", "HW_IAM_ENDPOINT")?,
            get("cloud", "HW_CLOUD")?,
            get("ca_cert_file", "HW_CA_CERT_FILE")?,
            assume_role_inputs(config, &env)?,
        ))
    })();
    let Ok((
        region,
        project_id,
        inputs,
        endpoint,
        iam_endpoint,
        cloud,
        ca_cert_file,
        assume_role_inputs,
    )) = values
    else {
        tracing::debug!("provider configuration has unknown values; deferring client setup");
        return None;
    };
    let (insecure, max_retries, request_timeout) = match (
        config.bool("insecure"),
        config.integer("max_retries"),
        config.string("request_timeout"),
    ) {
        (Attr::Unknown, _, _) | (_, Attr::Unknown, _) | (_, _, Attr::Unknown) => return None,
        (insecure, retries, timeout) => (insecure, retries, timeout),
    };

    let errors_before = diags
        .iter()
        .filter(|d| d.severity == crate::framework::Severity::Error)
        .count();
    let profile = load_profile(&inputs, &env, diags);
    // A profile that could not be read may well have held the region: its error says enough.
    let profile_failed =
        profile.is_none() && (inputs.shared_config_file.is_some() || inputs.profile.is_some());
    let region = region
        .or_else(|| profile.as_ref().and_then(|p| p.region.clone()))
        .unwrap_or_else(|| {
            if profile_failed {
                return String::new();
            }
            diags.add_attribute_error(
                AttributePath::attr("region"),
                "Missing region",
                "The mrs provider needs a region. Set `region` in the provider block (e.g. \"cn-north-4\") or the HW_REGION_NAME environment variable.",
            );
            String::new()
        });
    let project_id = project_id.or_else(|| profile.as_ref().and_then(|p| p.project_id.clone()));
    let agency_from_profile = profile.as_ref().and_then(|p| p.agency.clone());
    let base = choose_base(inputs, profile, diags);
    let assume_role = assume_role_inputs
        .or_else(|| {
            agency_from_profile.map(|(agency, domain)| AssumeRoleInputs {
                agency_name: Some(agency),
                domain_name: Some(domain),
                ..AssumeRoleInputs::default()
            })
        })
        .and_then(|inputs| check_assume_role(inputs, diags));

    let insecure = match insecure {
        Attr::Known(v) => v,
        _ => env("HW_INSECURE").is_some_and(|v| {
            matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes")
        }),
    };
    let max_retries = match max_retries {
        Attr::Known(n) => check_retries(n, diags).unwrap_or(DEFAULT_MAX_RETRIES),
        _ => match env("HW_MAX_RETRIES") {
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) => check_retries(Ok(n), diags).unwrap_or(DEFAULT_MAX_RETRIES),
                Err(_) => {
                    diags.add_error(
                        "Invalid HW_MAX_RETRIES",
                        format!("HW_MAX_RETRIES is {text:?}; set it to a whole number from 0 to {MAX_RETRIES_LIMIT}."),
                    );
                    DEFAULT_MAX_RETRIES
                }
            },
            None => DEFAULT_MAX_RETRIES,
        },
    };
    let request_timeout = match request_timeout {
        Attr::Known(text) => parse_duration(&text).unwrap_or_else(|e| {
            diags.add_attribute_error(
                AttributePath::attr("request_timeout"),
                "Invalid value for request_timeout",
                e,
            );
            DEFAULT_REQUEST_TIMEOUT
        }),
        _ => DEFAULT_REQUEST_TIMEOUT,
    };
    if let Some(path) = &ca_cert_file
        && !std::path::Path::new(path).is_file()
    {
        diags.add_attribute_error(
            AttributePath::attr("ca_cert_file"),
            "CA certificate file not found",
            format!("ca_cert_file (or HW_CA_CERT_FILE) is {path:?}, which is not a readable file."),
        );
    }
    for (name, env_name, value) in [
        ("endpoint", "HW_MRS_ENDPOINT", &endpoint),
        ("iam_endpoint", "HW_IAM_ENDPOINT", &iam_endpoint),
    ] {
        if let Some(url) = value
            && let Err(e) = validate_endpoint(url)
        {
            diags.add_attribute_error(
                AttributePath::attr(name),
                format!("Invalid {name} (or {env_name})"),
                e,
            );
        }
    }
    // Only looked at when it will be used: a stray value must not break configured credentials.
    let metadata_endpoint = matches!(base, Some(Base::Metadata))
        .then(|| metadata_endpoint(&env, diags))
        .flatten();

    let errors_after = diags
        .iter()
        .filter(|d| d.severity == crate::framework::Severity::Error)
        .count();
    let base = base?;
    if errors_after > errors_before {
        return None;
    }
    let (credentials, temporary) = match base {
        Base::Configured(credentials) => {
            (credentials, assume_role.map(TemporarySource::AssumeRole))
        }
        Base::Metadata => (
            // Replaced by the metadata service's keys in `into_client_config`.
            Credentials::Token(String::new()),
            Some(TemporarySource::Metadata {
                looked_at: looked_at(&env, assume_role.is_some()),
                endpoint: metadata_endpoint?,
                assume_role,
            }),
        ),
    };
    let mut client = ClientConfig::new(region, credentials);
    if let Some(cloud) = cloud {
        client.cloud = cloud;
    }
    client.project_id = project_id;
    client.endpoint = endpoint;
    client.iam_endpoint = iam_endpoint;
    client.insecure = insecure;
    client.ca_cert_file = ca_cert_file.map(PathBuf::from);
    client.max_retries = max_retries;
    client.request_timeout = request_timeout;
    Some(Settings {
        config: client,
        temporary,
    })
}

/// The credential settings of the block and the environment.
#[derive(Debug, Default)]
struct CredentialInputs {
    access_key: Option<String>,
    secret_key: Option<String>,
    security_token: Option<String>,
    auth_token: Option<String>,
    shared_config_file: Option<String>,
    profile: Option<String>,
}

/// What the requests are signed with before any agency is assumed.
#[derive(Debug)]
enum Base {
    /// Keys or a token from the block, the environment or the shared config file.
    Configured(Credentials),
    /// Nothing configured: the ECS metadata service, the last place to look.
    Metadata,
}

/// Reads the shared config file when `shared_config_file` or `profile` is set (as the huaweicloud
/// provider does); a problem is an error on the attribute that led there.
fn load_profile(
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
fn choose_base(
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
fn looked_at(env: &impl Fn(&str) -> Option<String>, assume_role: bool) -> String {
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
fn metadata_endpoint(
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
struct AssumeRoleInputs {
    agency_name: Option<String>,
    domain_name: Option<String>,
    domain_id: Option<String>,
    /// The duration as written (block number or variable text).
    duration: Option<Result<i64, String>>,
    /// Whether the values come from a block (diagnostics then point into it).
    from_block: bool,
}

/// `Ok(None)` when neither the block nor `HW_ASSUME_ROLE_AGENCY_NAME` asks for an agency;
/// `Err(())` when a value is unknown.
fn assume_role_inputs(
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
fn check_assume_role(inputs: AssumeRoleInputs, diags: &mut Diagnostics) -> Option<AssumeRole> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfvalue::Value;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, Value)]) -> Config {
        let mut attrs: std::collections::BTreeMap<String, Value> = schema()
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for (k, v) in pairs {
            attrs.insert(k.to_string(), v.clone());
        }
        Config::new(Value::Object(attrs))
    }

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_fills_what_the_block_leaves_out() {
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("cn-north-4".into()))]),
            env(&[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_MAX_RETRIES", "2"),
                ("HW_MRS_ENDPOINT", "http://127.0.0.1:1"),
            ]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        let c = settings.client_config();
        assert_eq!(c.region, "cn-north-4");
        assert_eq!(c.max_retries, 2);
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert!(
            matches!(c.credentials, Credentials::AkSk { ref access_key, .. } if access_key == "AK")
        );
    }

    #[test]
    fn half_credentials_give_one_diagnostic_naming_attributes_and_variables() {
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[
                ("region", Value::String("cn-north-4".into())),
                ("access_key", Value::String("AK".into())),
            ]),
            env(&[]),
            &mut diags,
        );
        assert!(settings.is_none());
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        for word in ["access_key", "secret_key", "HW_ACCESS_KEY", "HW_SECRET_KEY"] {
            assert!(
                errors[0].detail.contains(word),
                "{word} missing from {:?}",
                errors[0].detail
            );
        }
    }

    #[test]
    fn unknown_values_defer_without_diagnostics() {
        let mut diags = Diagnostics::new();
        let settings = resolve(&config(&[("region", Value::Unknown)]), env(&[]), &mut diags);
        assert!(settings.is_none());
        assert!(diags.is_empty());
    }

    #[test]
    fn missing_region_names_the_variable() {
        let mut diags = Diagnostics::new();
        let settings = resolve(&config(&[]), env(&[("HW_AUTH_TOKEN", "t")]), &mut diags);
        assert!(settings.is_none());
        assert!(diags.iter().any(|d| d.detail.contains("HW_REGION_NAME")));
    }

    #[test]
    fn token_with_security_token_is_refused() {
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[("HW_AUTH_TOKEN", "t"), ("HW_SECURITY_TOKEN", "s")]),
            &mut diags,
        );
        assert!(settings.is_none());
        assert!(diags.has_errors());
    }

    fn write_shared_config(dir: &std::path::Path) -> String {
        let path = dir.join("config.json");
        std::fs::write(
            &path,
            r#"{"current": "ci", "profiles": [
                {"name": "ci", "mode": "AKSK", "accessKeyId": "AKPROFILE", "secretAccessKey": "skprofile",
                 "securityToken": "tokprofile", "region": "ap-southeast-3", "projectId": "projectfromprofile"},
                {"name": "nokeys", "mode": "AKSK"}
            ]}"#,
        )
        .unwrap();
        path.display().to_string()
    }

    fn aksk_of(settings: &Settings) -> (String, Option<String>) {
        match &settings.client_config().credentials {
            Credentials::AkSk {
                access_key,
                security_token,
                ..
            } => (access_key.clone(), security_token.clone()),
            other => panic!("expected AK/SK, got {other:?}"),
        }
    }

    #[test]
    fn a_profile_takes_the_place_of_keys_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_shared_config(dir.path());
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("shared_config_file", Value::String(file))]),
            env(&[("HW_ACCESS_KEY", "AKENV"), ("HW_SECRET_KEY", "SKENV")]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        // No profile named: the file's current one, with its security token.
        assert_eq!(
            aksk_of(&settings),
            ("AKPROFILE".into(), Some("tokprofile".into()))
        );
        let c = settings.client_config();
        assert_eq!(
            c.region, "ap-southeast-3",
            "profile region used when the block has none"
        );
        assert_eq!(c.project_id.as_deref(), Some("projectfromprofile"));
    }

    #[test]
    fn the_block_region_and_project_win_over_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_shared_config(dir.path());
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[
                ("region", Value::String("cn-north-4".into())),
                ("profile", Value::String("ci".into())),
            ]),
            env(&[
                ("HW_SHARED_CONFIG_FILE", file.as_str()),
                ("HW_PROJECT_ID", "projectfromenv"),
            ]),
            &mut diags,
        )
        .expect("settings");
        let c = settings.client_config();
        assert_eq!(c.region, "cn-north-4");
        assert_eq!(c.project_id.as_deref(), Some("projectfromenv"));
    }

    #[test]
    fn the_auth_token_comes_before_a_profile_and_keys_before_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_shared_config(dir.path());
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[("HW_AUTH_TOKEN", "tok"), ("HW_SHARED_CONFIG_FILE", &file)]),
            &mut diags,
        )
        .expect("settings");
        assert!(
            matches!(settings.client_config().credentials, Credentials::Token(ref t) if t == "tok")
        );
        assert!(settings.temporary.is_none());

        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[("HW_ACCESS_KEY", "AK"), ("HW_SECRET_KEY", "SK")]),
            &mut diags,
        )
        .expect("settings");
        assert_eq!(aksk_of(&settings), ("AK".into(), None));
        assert!(
            settings.temporary.is_none(),
            "keys present: no metadata lookup"
        );

        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[(METADATA_ENDPOINT_ENV, "http://127.0.0.1:9")]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        match &settings.temporary {
            Some(TemporarySource::Metadata {
                endpoint,
                looked_at,
                ..
            }) => {
                assert_eq!(endpoint.as_str(), "http://127.0.0.1:9/");
                assert!(looked_at.contains("HW_ACCESS_KEY"), "{looked_at}");
            }
            other => panic!("expected the metadata fallback, got {other:?}"),
        }
    }

    #[test]
    fn shared_config_problems_are_errors_on_the_attribute_that_led_there() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_shared_config(dir.path());
        // (provider block settings, attribute the error is on, word in its detail)
        type Case<'a> = (&'a [(&'a str, Value)], &'a str, &'a str);
        let cases: [Case<'_>; 3] = [
            (
                &[(
                    "shared_config_file",
                    Value::String("/nonexistent/hcloud.json".into()),
                )],
                "shared_config_file",
                "/nonexistent/hcloud.json",
            ),
            (
                &[
                    ("shared_config_file", Value::String(file.clone())),
                    ("profile", Value::String("prod".into())),
                ],
                "profile",
                "\"prod\"",
            ),
            (
                &[
                    ("shared_config_file", Value::String(file.clone())),
                    ("profile", Value::String("nokeys".into())),
                ],
                "profile",
                "accessKeyId/secretAccessKey",
            ),
        ];
        for (pairs, attribute, word) in cases {
            let mut pairs = pairs.to_vec();
            pairs.push(("region", Value::String("r".into())));
            let mut diags = Diagnostics::new();
            assert!(resolve(&config(&pairs), env(&[]), &mut diags).is_none());
            let errors: Vec<_> = diags.iter().collect();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].attribute, Some(AttributePath::attr(attribute)));
            assert!(errors[0].detail.contains(word), "{}", errors[0].detail);
        }
    }

    #[test]
    fn profile_alone_reads_kooclis_file_in_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".hcloud")).unwrap();
        write_shared_config(&home.path().join(".hcloud"));
        let home_text = home.path().display().to_string();
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[]),
            env(&[("HW_PROFILE", "ci"), ("HOME", &home_text)]),
            &mut diags,
        )
        .expect("settings");
        assert_eq!(aksk_of(&settings).0, "AKPROFILE");
    }

    fn assume_role_block(pairs: &[(&str, Value)]) -> Value {
        let mut attrs: std::collections::BTreeMap<String, Value> = assume_role_schema()
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null))
            .collect();
        for (k, v) in pairs {
            attrs.insert(k.to_string(), v.clone());
        }
        Value::Object(attrs)
    }

    #[test]
    fn assume_role_comes_from_the_block_or_the_environment() {
        let mut diags = Diagnostics::new();
        let block = assume_role_block(&[
            ("agency_name", Value::String("ops".into())),
            ("domain_name", Value::String("owner".into())),
        ]);
        let settings = resolve(
            &config(&[
                ("region", Value::String("r".into())),
                ("assume_role", block),
            ]),
            env(&[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_ASSUME_ROLE_DURATION", "1800"),
            ]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        match &settings.temporary {
            Some(TemporarySource::AssumeRole(role)) => {
                assert_eq!(role.agency_name, "ops");
                assert_eq!(role.domain, AgencyDomain::Name("owner".into()));
                assert_eq!(role.duration_s, 1800);
            }
            other => panic!("expected assume_role, got {other:?}"),
        }
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_ASSUME_ROLE_AGENCY_NAME", "ops"),
                ("HW_ASSUME_ROLE_DOMAIN_ID", "d1"),
            ]),
            &mut diags,
        )
        .expect("settings");
        match &settings.temporary {
            Some(TemporarySource::AssumeRole(role)) => {
                assert_eq!(role.domain, AgencyDomain::Id("d1".into()));
                assert_eq!(role.duration_s, DEFAULT_ASSUME_ROLE_DURATION_S);
            }
            other => panic!("expected assume_role, got {other:?}"),
        }
    }

    #[test]
    fn an_incomplete_assume_role_block_is_an_error_inside_the_block() {
        let mut diags = Diagnostics::new();
        let block = assume_role_block(&[
            ("agency_name", Value::String("ops".into())),
            ("duration", Value::Number(60i64.into())),
        ]);
        let settings = resolve(
            &config(&[
                ("region", Value::String("r".into())),
                ("assume_role", block),
            ]),
            env(&[("HW_ACCESS_KEY", "AK"), ("HW_SECRET_KEY", "SK")]),
            &mut diags,
        );
        assert!(settings.is_none());
        let paths: Vec<_> = diags.iter().filter_map(|d| d.attribute.clone()).collect();
        let inside = AttributePath::attr("assume_role");
        assert!(
            paths.contains(&inside.push_attr("domain_name")),
            "{paths:?}"
        );
        assert!(paths.contains(&inside.push_attr("duration")), "{paths:?}");
    }

    #[tokio::test]
    async fn no_credentials_anywhere_is_one_error_naming_every_place_looked_at() {
        // A closed loopback port stands in for a laptop without a metadata service.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("cn-north-4".into()))]),
            env(&[(METADATA_ENDPOINT_ENV, &endpoint), ("HOME", "/home/dev")]),
            &mut diags,
        )
        .expect("settings");
        assert!(
            settings
                .into_client_config(None, &mut diags)
                .await
                .is_none()
        );
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].summary, "No credentials found");
        let detail = &errors[0].detail;
        for place in [
            "provider block",
            "auth_token",
            "access_key",
            "profile",
            "HW_ACCESS_KEY",
            "HW_AUTH_TOKEN",
            "HW_PROFILE",
            "HW_SHARED_CONFIG_FILE",
            "/home/dev/.hcloud/config.json",
            &format!("{endpoint}/openstack/latest/securitykey"),
        ] {
            assert!(detail.contains(place), "{place} missing from: {detail}");
        }
    }

    #[test]
    fn an_out_of_range_duration_is_refused_at_validate() {
        let block = assume_role_block(&[
            ("agency_name", Value::String("ops".into())),
            ("duration", Value::Number(100_000i64.into())),
        ]);
        let mut diags = Diagnostics::new();
        validate(&config(&[("assume_role", block)]), &mut diags);
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::attr("assume_role").push_attr("duration"))
        );
        assert!(errors[0].detail.contains("900 to 86400"));
        let ok = assume_role_block(&[("duration", Value::Number(900i64.into()))]);
        let mut diags = Diagnostics::new();
        validate(&config(&[("assume_role", ok)]), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
    }
}
