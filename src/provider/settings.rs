//! The provider block: its schema, its checks, and how it merges with the environment.

use std::path::PathBuf;
use std::time::Duration;

use crate::framework::duration::{parse_duration, validate_duration};
use crate::framework::{Attr, Attribute, Config, Diagnostics, Nesting, Schema};
use crate::mrs::{ClientConfig, Credentials};
use crate::tfvalue::AttributePath;

use super::credential_settings::{
    self, AssumeRoleInputs, Base, CredentialInputs, Sourced, TemporaryBase, TemporarySource,
    assume_role_inputs, check_assume_role, check_oidc, choose_base, fetch_temporary_credentials,
    load_profile, looked_at, metadata_endpoint, oidc_inputs, parse_signing_algorithm,
    validate_signing_algorithm,
};

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
        "MRS endpoint URL; overrides the region's (the official SDK's table, e.g. `https://mrs.eu-west-101.myhuaweicloud.eu`). `http://` is accepted for a local emulator. With it set, resources cannot pick another `region`. Falls back to `HW_MRS_ENDPOINT`.",
    ))
    .attribute(Attribute::string("iam_endpoint").optional().validate_string(validate_endpoint).describe(
        "IAM endpoint URL override. Environment: HW_IAM_ENDPOINT.",
        "IAM endpoint URL; overrides the region's (the official SDK's table). Falls back to `HW_IAM_ENDPOINT`.",
    ))
    .attribute(Attribute::string("sts_endpoint").optional().validate_string(validate_endpoint).describe(
        "STS endpoint URL override. Environment: HW_STS_ENDPOINT.",
        "STS endpoint URL, for agencies named by `domain_id` (`POST /v5/agencies/assume`); overrides the region's, `https://sts.{region}.{cloud}` on IAM's domain suffix. When only `iam_endpoint` is set, STS calls go there too. Falls back to `HW_STS_ENDPOINT`.",
    ))
    .attribute(Attribute::string("signing_algorithm").optional().validate_string(validate_signing_algorithm).describe(
        "How AK/SK requests are signed: HmacSHA256 (default) or HmacSM3. Environment: HW_SIGNING_ALGORITHM.",
        "How AK/SK requests are signed: `HmacSHA256` (`SDK-HMAC-SHA256`, the default) or `HmacSM3` (`SDK-HMAC-SM3`, the Chinese national standard hash, for regulated accounts). The huaweicloud provider's `EcdsaP256SHA256` and `SM2SM3` are not supported yet and are refused. Falls back to `HW_SIGNING_ALGORITHM`.",
    ))
    .attribute(Attribute::string("cloud").optional().validate_string(validate_cloud).describe(
        "Domain suffix of the endpoints; default: per region, from the official SDK. Environment: HW_CLOUD.",
        "Domain suffix of the endpoints. When set, every endpoint is `https://{service}.{region}.{cloud}`; when not, each region's endpoints come from the official SDK's tables (`myhuaweicloud.com` for most, `myhuaweicloud.eu` for `eu-west-101`, `myhuaweicloud.cn` for MRS in `ap-southeast-1`, `ap-southeast-4` and `ru-northwest-2`). Falls back to `HW_CLOUD`.",
    ))
    .attribute(Attribute::bool("insecure").optional().describe(
        "Skip TLS certificate verification. Environment: HW_INSECURE.",
        "Skip TLS certificate verification (private clouds with self-signed certificates only). Falls back to `HW_INSECURE` (`true`/`false`, `1`/`0`, `t`/`f`, `TRUE`/`FALSE` or `True`/`False`; anything else is an error).",
    ))
    .attribute(Attribute::string("ca_cert_file").optional().describe(
        "PEM file of CA certificates to trust in addition to the system's. Environment: HW_CA_CERT_FILE.",
        "Path of a PEM file with CA certificates to trust *in addition to* the system's roots (which honour `SSL_CERT_FILE` and `SSL_CERT_DIR`). A missing file, or one without a certificate, is an error at plan. Falls back to `HW_CA_CERT_FILE`.",
    ))
    .attribute(Attribute::number("max_retries").optional().describe(
        "Retries for throttled or failed requests; default 5. Environment: HW_MAX_RETRIES.",
        "How many times a throttled (429) or failed (5xx, connection error, timeout) request is retried; default `5`. Falls back to `HW_MAX_RETRIES`.",
    ))
    .attribute(Attribute::string("request_timeout").optional().validate_string(validate_duration).describe(
        "Timeout of one HTTP request, e.g. 30s; default 30s.",
        "Timeout of one HTTP request as a duration string, e.g. `\"30s\"`; default `\"30s\"`.",
    ))
    .block(
        "assume_role",
        Nesting::List,
        credential_settings::assume_role_schema(),
    )
    .block(
        "assume_role_with_oidc",
        Nesting::Single,
        credential_settings::assume_role_with_oidc_schema(),
    )
}

/// At most this many characters of an outside value are quoted back in an error.
const QUOTED_CHARS: usize = 64;

/// `text` shortened for an error message (`{:?}` then escapes what is left).
pub(crate) fn printable(text: &str) -> String {
    if text.chars().count() <= QUOTED_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(QUOTED_CHARS).collect();
    short.push('…');
    short
}

/// `HW_INSECURE`: the forms Go's `strconv.ParseBool` accepts (the huaweicloud provider's).
fn parse_env_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Checks that need more than one value or a number; values may be unknown.
pub fn validate(config: &Config, diags: &mut Diagnostics) {
    if let Attr::Known(retries) = config.integer("max_retries") {
        check_retries(retries, diags);
    }
    if let Attr::Known(path) = config.string("ca_cert_file") {
        check_ca_cert_file(&path, diags);
    }
    credential_settings::validate(config, diags);
}

/// A `ca_cert_file` that is missing, unreadable or holds no certificate is an error on the
/// attribute, found at plan rather than by the first request.
fn check_ca_cert_file(path: &str, diags: &mut Diagnostics) {
    if let Err(e) = crate::mrs::check_ca_file(std::path::Path::new(path)) {
        diags.add_attribute_error(
            AttributePath::attr("ca_cert_file"),
            "Unusable CA certificate file",
            format!(
                "{e}. ca_cert_file (or HW_CA_CERT_FILE) must name a PEM file with one or more \
                 \"BEGIN CERTIFICATE\" blocks; they are trusted in addition to the system's CAs."
            ),
        );
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

/// The provider's settings after merging configuration and environment.
#[derive(Debug)]
pub struct Settings {
    config: ClientConfig,
    temporary: Option<TemporarySource>,
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
        if !fetch_temporary_credentials(&mut config, temporary, diags).await {
            return None;
        }
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

/// What each setting's environment variable must satisfy: the attribute's own validator (the
/// block's values were checked at validate; the environment's are checked here).
type EnvCheck = (&'static str, &'static str, fn(&str) -> Result<(), String>);

const ENV_CHECKS: &[EnvCheck] = &[
    ("region", "HW_REGION_NAME", validate_region),
    ("project_id", "HW_PROJECT_ID", validate_id),
    ("access_key", "HW_ACCESS_KEY", validate_credential),
    ("secret_key", "HW_SECRET_KEY", validate_credential),
    ("security_token", "HW_SECURITY_TOKEN", validate_credential),
    ("auth_token", "HW_AUTH_TOKEN", validate_credential),
    ("endpoint", "HW_MRS_ENDPOINT", validate_endpoint),
    ("iam_endpoint", "HW_IAM_ENDPOINT", validate_endpoint),
    ("sts_endpoint", "HW_STS_ENDPOINT", validate_endpoint),
    ("cloud", "HW_CLOUD", validate_cloud),
    (
        "signing_algorithm",
        "HW_SIGNING_ALGORITHM",
        validate_signing_algorithm,
    ),
];

/// Errors, on the attribute and naming the variable, for every variable that stands in for an
/// unset attribute and would fail that attribute's validation.
fn check_environment(
    config: &Config,
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) {
    for (name, env_name, check) in ENV_CHECKS {
        if !matches!(config.string(name), Attr::Null) {
            continue;
        }
        let Some(value) = env(env_name).filter(|v| !v.is_empty()) else {
            continue;
        };
        if let Err(reason) = check(&value) {
            diags.add_attribute_error(
                AttributePath::attr(name),
                format!("Invalid {env_name}"),
                format!("The environment variable {env_name} (standing in for {name}): {reason}"),
            );
        }
    }
}

/// [`setting`] for an attribute anywhere in the block, e.g. inside `assume_role`.
pub(super) fn setting_at(
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
            (
                get("endpoint", "HW_MRS_ENDPOINT")?,
                get("iam_endpoint", "HW_IAM_ENDPOINT")?,
                get("sts_endpoint", "HW_STS_ENDPOINT")?,
            ),
            get("cloud", "HW_CLOUD")?,
            get("ca_cert_file", "HW_CA_CERT_FILE")?,
            get("signing_algorithm", "HW_SIGNING_ALGORITHM")?,
            oidc_inputs(config, &env)?,
        ))
    })();
    let Ok((
        region,
        project_id,
        inputs,
        (endpoint, iam_endpoint, sts_endpoint),
        cloud,
        ca_cert_file,
        signing_algorithm,
        oidc_inputs,
    )) = values
    else {
        tracing::debug!("provider configuration has unknown values; deferring client setup");
        return None;
    };
    // The environment's agency variables belong to assume_role_with_oidc when it is on.
    let Ok(assume_role_inputs) = assume_role_inputs(config, &env, oidc_inputs.is_none()) else {
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
    check_environment(config, &env, diags);
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
    let oidc = oidc_inputs.and_then(|inputs| check_oidc(inputs, diags));
    let base = choose_base(inputs, profile, oidc, diags);
    let mut assume_role_inputs = assume_role_inputs;
    if assume_role_inputs.is_empty()
        && let Some((agency, domain)) = agency_from_profile
    {
        let profile_value = |value: String| Sourced {
            value,
            env_name: Some("the shared config profile"),
        };
        assume_role_inputs.push(AssumeRoleInputs {
            agency_name: Some(profile_value(agency)),
            domain_name: Some(profile_value(domain)),
            ..AssumeRoleInputs::default()
        });
    }
    let chain: Vec<_> = assume_role_inputs
        .into_iter()
        .filter_map(|inputs| check_assume_role(inputs, diags))
        .collect();
    let signing_algorithm = match signing_algorithm.as_deref().map(parse_signing_algorithm) {
        None => Default::default(),
        Some(Ok(algorithm)) => algorithm,
        // Already an error on the attribute (validate) or the variable (check_environment).
        Some(Err(_)) => Default::default(),
    };

    let insecure = match insecure {
        Attr::Known(v) => v,
        _ => match env("HW_INSECURE").filter(|v| !v.trim().is_empty()) {
            None => false,
            Some(text) => parse_env_bool(&text).unwrap_or_else(|| {
                diags.add_attribute_error(
                    AttributePath::attr("insecure"),
                    "Invalid HW_INSECURE",
                    format!(
                        "HW_INSECURE is {:?}; set it to true or false (1/0, t/f, TRUE/FALSE and True/False are accepted too), or unset it.",
                        printable(&text)
                    ),
                );
                false
            }),
        },
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
    if let Some(path) = &ca_cert_file {
        check_ca_cert_file(path, diags);
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
    let (credentials, base) = match base {
        Base::Configured(credentials) => (credentials, TemporaryBase::Configured),
        // Replaced by the fetched keys in `into_client_config`.
        Base::Oidc(role) => (Credentials::Token(String::new()), TemporaryBase::Oidc(role)),
        Base::Metadata => (
            Credentials::Token(String::new()),
            TemporaryBase::Metadata {
                looked_at: looked_at(&env, !chain.is_empty()),
                endpoint: metadata_endpoint?,
            },
        ),
    };
    let temporary = match (&base, chain.is_empty()) {
        (TemporaryBase::Configured, true) => None,
        _ => Some(TemporarySource { base, chain }),
    };
    let mut client = ClientConfig::new(region, credentials);
    client.cloud = cloud;
    client.project_id = project_id;
    client.endpoint = endpoint;
    client.iam_endpoint = iam_endpoint;
    client.sts_endpoint = sts_endpoint;
    client.signing_algorithm = signing_algorithm;
    client.insecure = insecure;
    client.ca_cert_file = ca_cert_file.map(PathBuf::from);
    client.max_retries = max_retries;
    client.request_timeout = request_timeout;
    Some(Settings {
        config: client,
        temporary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mrs::credentials::{AgencyDomain, DEFAULT_ASSUME_ROLE_DURATION_S};
    use crate::provider::credential_settings::{METADATA_ENDPOINT_ENV, assume_role_schema};
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
    fn ca_cert_file_missing_or_without_certificate_is_an_error_on_the_attribute() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let missing = dir.path().join("missing.pem");
        for path in [&empty, &missing] {
            let mut diags = Diagnostics::new();
            validate(
                &config(&[("ca_cert_file", Value::String(path.display().to_string()))]),
                &mut diags,
            );
            let errors: Vec<_> = diags.iter().collect();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(
                errors[0].attribute,
                Some(AttributePath::attr("ca_cert_file"))
            );
            assert!(errors[0].detail.contains(&path.display().to_string()));
        }
        let good = dir.path().join("ca.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.example".to_owned()]).unwrap();
        std::fs::write(&good, ca.cert.pem()).unwrap();
        let mut diags = Diagnostics::new();
        validate(
            &config(&[("ca_cert_file", Value::String(good.display().to_string()))]),
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn the_first_configured_source_wins_a_token_over_keys_and_a_security_token() {
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[
                ("HW_AUTH_TOKEN", "t"),
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_SECURITY_TOKEN", "s"),
            ]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(
            matches!(settings.client_config().credentials, Credentials::Token(ref t) if t == "t")
        );
        assert!(settings.temporary.is_none());
    }

    fn oidc_env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut vars = vec![
            ("HW_ASSUME_ROLE_IDP_ID", "github-actions"),
            ("HW_ASSUME_ROLE_ID_TOKEN", "eyJ.header.payload"),
            ("HW_ASSUME_ROLE_AGENCY_NAME", "ci_deployer"),
            ("HW_ASSUME_ROLE_DOMAIN_ID", "d0123"),
        ];
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn oidc_from_the_environment_wins_over_keys_and_owns_the_agency_variables() {
        let mut diags = Diagnostics::new();
        let vars = oidc_env(&[("HW_ACCESS_KEY", "AK"), ("HW_SECRET_KEY", "SK")]);
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&vars),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        match &settings.temporary {
            Some(TemporarySource {
                base: TemporaryBase::Oidc(role),
                chain,
            }) => {
                assert_eq!(role.idp_id, "github-actions");
                assert_eq!(
                    role.id_token,
                    crate::mrs::credentials::IdToken::Inline("eyJ.header.payload".into())
                );
                assert_eq!(role.agency.domain, AgencyDomain::Id("d0123".into()));
                assert!(
                    chain.is_empty(),
                    "HW_ASSUME_ROLE_AGENCY_NAME is the OIDC agency, not a second one"
                );
            }
            other => panic!("expected OIDC, got {other:?}"),
        }
        // Debug output of the whole settings never shows the token.
        assert!(!format!("{settings:?}").contains("eyJ.header.payload"));
    }

    #[test]
    fn oidc_needs_exactly_one_token_and_its_agency() {
        let mut diags = Diagnostics::new();
        let vars = oidc_env(&[("HW_ASSUME_ROLE_ID_TOKEN_FILE", "/tmp/token")]);
        assert!(
            resolve(
                &config(&[("region", Value::String("r".into()))]),
                env(&vars),
                &mut diags
            )
            .is_none()
        );
        assert!(
            diags
                .iter()
                .any(|d| d.summary == "Conflicting id_token and id_token_file"),
            "{diags:?}"
        );
        let mut diags = Diagnostics::new();
        let vars = [
            ("HW_ASSUME_ROLE_IDP_ID", "idp"),
            ("HW_ASSUME_ROLE_ID_TOKEN", "tok"),
        ];
        assert!(
            resolve(
                &config(&[("region", Value::String("r".into()))]),
                env(&vars),
                &mut diags
            )
            .is_none()
        );
        let details: Vec<_> = diags.iter().map(|d| d.detail.clone()).collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("HW_ASSUME_ROLE_AGENCY_NAME")),
            "{details:?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("HW_ASSUME_ROLE_DOMAIN_ID")),
            "{details:?}"
        );
    }

    #[test]
    fn assume_role_blocks_chain_in_order_each_by_its_own_route() {
        let first = assume_role_block(&[
            ("agency_name", Value::String("hop1".into())),
            ("domain_name", Value::String("middle".into())),
        ]);
        let second = assume_role_block(&[
            ("agency_name", Value::String("hop2".into())),
            ("domain_id", Value::String("d2".into())),
        ]);
        let (Value::List(mut a), Value::List(b)) = (first, second) else {
            unreachable!()
        };
        a.extend(b);
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[
                ("region", Value::String("r".into())),
                ("assume_role", Value::List(a)),
            ]),
            env(&[("HW_ACCESS_KEY", "AK"), ("HW_SECRET_KEY", "SK")]),
            &mut diags,
        )
        .expect("settings");
        assert!(diags.is_empty(), "{diags:?}");
        let chain = &settings.temporary.as_ref().expect("chain").chain;
        let names: Vec<_> = chain.iter().map(|l| l.role.agency_name.as_str()).collect();
        assert_eq!(names, ["hop1", "hop2"]);
        assert_eq!(chain[1].role.domain, AgencyDomain::Id("d2".into()));
        assert_eq!(
            chain[1].at,
            AttributePath::attr("assume_role").push_index(1)
        );
    }

    #[test]
    fn domain_name_and_domain_id_together_are_refused() {
        let block = assume_role_block(&[
            ("agency_name", Value::String("ops".into())),
            ("domain_name", Value::String("owner".into())),
            ("domain_id", Value::String("d1".into())),
        ]);
        let mut diags = Diagnostics::new();
        validate(&config(&[("assume_role", block)]), &mut diags);
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].summary, "Conflicting domain_name and domain_id");
        // In the environment too.
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_ASSUME_ROLE_AGENCY_NAME", "ops"),
                ("HW_ASSUME_ROLE_DOMAIN_NAME", "owner"),
                ("HW_ASSUME_ROLE_DOMAIN_ID", "d1"),
            ]),
            &mut diags,
        );
        assert!(settings.is_none());
        assert!(
            diags
                .iter()
                .any(|d| d.detail.contains("HW_ASSUME_ROLE_DOMAIN_ID")),
            "{diags:?}"
        );
    }

    #[test]
    fn agency_fields_are_bounded_and_free_of_control_characters() {
        let huge = "a".repeat(1024 * 1024);
        for bad in ["ops\0x", "ops\nx", huge.as_str(), "", " ops"] {
            assert!(
                crate::provider::credential_settings::validate_agency_field(bad).is_err(),
                "{:?}",
                bad.get(..10)
            );
        }
        assert!(crate::provider::credential_settings::validate_agency_field("mrs_ops-1").is_ok());
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[("region", Value::String("r".into()))]),
            env(&[
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
                ("HW_ASSUME_ROLE_AGENCY_NAME", "ops\nx"),
                ("HW_ASSUME_ROLE_DOMAIN_NAME", "owner"),
            ]),
            &mut diags,
        );
        assert!(settings.is_none());
        let errors: Vec<_> = diags.iter().collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].summary.contains("HW_ASSUME_ROLE_AGENCY_NAME"));
    }

    #[test]
    fn environment_values_are_checked_like_attributes_and_name_the_variable() {
        let cases = [
            ("HW_REGION_NAME", "cn north 4", "region"),
            ("HW_PROJECT_ID", "../x", "project_id"),
            ("HW_ACCESS_KEY", "AK\nX", "access_key"),
            ("HW_CLOUD", "my cloud", "cloud"),
            ("HW_STS_ENDPOINT", "sts.example.com", "sts_endpoint"),
            ("HW_SIGNING_ALGORITHM", "SM2SM3", "signing_algorithm"),
            ("HW_INSECURE", "maybe", "insecure"),
        ];
        for (variable, value, attribute) in cases {
            let mut vars = vec![
                ("HW_REGION_NAME", "cn-north-4"),
                ("HW_ACCESS_KEY", "AK"),
                ("HW_SECRET_KEY", "SK"),
            ];
            vars.retain(|(k, _)| *k != variable);
            vars.push((variable, value));
            let mut diags = Diagnostics::new();
            assert!(
                resolve(&config(&[]), env(&vars), &mut diags).is_none(),
                "{variable}"
            );
            let errors: Vec<_> = diags.iter().collect();
            assert_eq!(errors.len(), 1, "{variable}: {errors:?}");
            assert!(errors[0].summary.contains(variable), "{errors:?}");
            assert_eq!(errors[0].attribute, Some(AttributePath::attr(attribute)));
            if variable == "HW_ACCESS_KEY" {
                assert!(!errors[0].detail.contains("AK\nX"));
            }
        }
        for (text, expected) in [("True", true), ("0", false), ("", false)] {
            let mut diags = Diagnostics::new();
            let settings = resolve(
                &config(&[("region", Value::String("r".into()))]),
                env(&[("HW_AUTH_TOKEN", "t"), ("HW_INSECURE", text)]),
                &mut diags,
            )
            .expect("settings");
            assert_eq!(settings.client_config().insecure, expected, "{text:?}");
        }
    }

    #[test]
    fn signing_algorithm_hmac_sm3_reaches_the_client_and_ecdsa_is_refused_clearly() {
        let mut diags = Diagnostics::new();
        let settings = resolve(
            &config(&[
                ("region", Value::String("r".into())),
                ("signing_algorithm", Value::String("HmacSM3".into())),
            ]),
            env(&[("HW_ACCESS_KEY", "AK"), ("HW_SECRET_KEY", "SK")]),
            &mut diags,
        )
        .expect("settings");
        assert_eq!(
            settings.client_config().signing_algorithm,
            crate::mrs::config::SigningAlgorithm::HmacSm3
        );
        let err =
            crate::provider::credential_settings::validate_signing_algorithm("EcdsaP256SHA256")
                .unwrap_err();
        assert!(err.contains("not supported yet"), "{err}");
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
            Some(TemporarySource {
                base:
                    TemporaryBase::Metadata {
                        endpoint,
                        looked_at,
                    },
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
        Value::List(vec![Value::Object(attrs)])
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
            Some(TemporarySource { chain, .. }) => {
                let role = &chain[0].role;
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
            Some(TemporarySource { chain, .. }) => {
                let role = &chain[0].role;
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
        let inside = AttributePath::attr("assume_role").push_index(0);
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
            Some(
                AttributePath::attr("assume_role")
                    .push_index(0)
                    .push_attr("duration")
            )
        );
        assert!(errors[0].detail.contains("900 to 86400"));
        let ok = assume_role_block(&[("duration", Value::Number(900i64.into()))]);
        let mut diags = Diagnostics::new();
        validate(&config(&[("assume_role", ok)]), &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
    }
}
