//! The provider block: its schema, its checks, and how it merges with the environment.

use std::path::PathBuf;
use std::time::Duration;

use crate::framework::duration::{parse_duration, validate_duration};
use crate::framework::{Attr, Attribute, Config, Diagnostics, Schema};
use crate::mrs::{ClientConfig, Credentials};
use crate::tfvalue::AttributePath;

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
    .attribute(Attribute::string("endpoint").optional().validate_string(validate_endpoint).describe(
        "MRS endpoint URL override. Environment: HW_MRS_ENDPOINT.",
        "MRS endpoint URL; overrides the region's (the official SDK's table, e.g. `https://mrs.eu-west-101.myhuaweicloud.eu`). `http://` is accepted for a local emulator. With it set, resources cannot pick another `region`. Falls back to `HW_MRS_ENDPOINT`.",
    ))
    .attribute(Attribute::string("iam_endpoint").optional().validate_string(validate_endpoint).describe(
        "IAM endpoint URL override. Environment: HW_IAM_ENDPOINT.",
        "IAM endpoint URL; overrides the region's (the official SDK's table). Falls back to `HW_IAM_ENDPOINT`.",
    ))
    .attribute(Attribute::string("cloud").optional().validate_string(validate_cloud).describe(
        "Domain suffix of the endpoints; default: per region, from the official SDK. Environment: HW_CLOUD.",
        "Domain suffix of the endpoints. When set, every endpoint is `https://{service}.{region}.{cloud}`; when not, each region's endpoints come from the official SDK's tables (`myhuaweicloud.com` for most, `myhuaweicloud.eu` for `eu-west-101`, `myhuaweicloud.cn` for MRS in `ap-southeast-1`, `ap-southeast-4` and `ru-northwest-2`). Falls back to `HW_CLOUD`.",
    ))
    .attribute(Attribute::bool("insecure").optional().describe(
        "Skip TLS certificate verification. Environment: HW_INSECURE.",
        "Skip TLS certificate verification (private clouds with self-signed certificates only). Falls back to `HW_INSECURE`.",
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
}

/// Checks that need more than one value or a number; values may be unknown.
pub fn validate(config: &Config, diags: &mut Diagnostics) {
    if let Attr::Known(retries) = config.integer("max_retries") {
        check_retries(retries, diags);
    }
    if let Attr::Known(path) = config.string("ca_cert_file") {
        check_ca_cert_file(&path, diags);
    }
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
}

impl Settings {
    /// The MRS client configuration these settings describe.
    pub fn into_client_config(self) -> ClientConfig {
        self.config
    }
}

/// One string setting: the configuration's value, else the environment's. `Err(())` when unknown.
fn setting(
    config: &Config,
    name: &str,
    env_name: &str,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, ()> {
    match config.string(name) {
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
            get("access_key", "HW_ACCESS_KEY")?,
            get("secret_key", "HW_SECRET_KEY")?,
            get("security_token", "HW_SECURITY_TOKEN")?,
            get("auth_token", "HW_AUTH_TOKEN")?,
            get("endpoint", "HW_MRS_ENDPOINT")?,
            get("iam_endpoint", "HW_IAM_ENDPOINT")?,
            get("cloud", "HW_CLOUD")?,
            get("ca_cert_file", "HW_CA_CERT_FILE")?,
        ))
    })();
    let Ok((
        region,
        project_id,
        access_key,
        secret_key,
        security_token,
        auth_token,
        endpoint,
        iam_endpoint,
        cloud,
        ca_cert_file,
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
    let region = region.unwrap_or_else(|| {
        diags.add_attribute_error(
            AttributePath::attr("region"),
            "Missing region",
            "The mrs provider needs a region. Set `region` in the provider block (e.g. \"cn-north-4\") or the HW_REGION_NAME environment variable.",
        );
        String::new()
    });
    let credentials = credentials(access_key, secret_key, security_token, auth_token, diags);

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
    if let Some(path) = &ca_cert_file {
        check_ca_cert_file(path, diags);
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

    let errors_after = diags
        .iter()
        .filter(|d| d.severity == crate::framework::Severity::Error)
        .count();
    let credentials = credentials?;
    if errors_after > errors_before {
        return None;
    }
    let mut client = ClientConfig::new(region, credentials);
    client.cloud = cloud;
    client.project_id = project_id;
    client.endpoint = endpoint;
    client.iam_endpoint = iam_endpoint;
    client.insecure = insecure;
    client.ca_cert_file = ca_cert_file.map(PathBuf::from);
    client.max_retries = max_retries;
    client.request_timeout = request_timeout;
    Some(Settings { config: client })
}

/// Picks the authentication method, or adds ONE diagnostic naming what to set.
fn credentials(
    access_key: Option<String>,
    secret_key: Option<String>,
    security_token: Option<String>,
    auth_token: Option<String>,
    diags: &mut Diagnostics,
) -> Option<Credentials> {
    match (access_key, secret_key, auth_token) {
        (Some(access_key), Some(secret_key), None) => Some(Credentials::AkSk {
            access_key,
            secret_key,
            security_token,
        }),
        (None, None, Some(token)) if security_token.is_none() => Some(Credentials::Token(token)),
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
        (None, None, None) => {
            diags.add_error(
                "Missing credentials",
                "The mrs provider needs credentials. Set access_key and secret_key (or HW_ACCESS_KEY and HW_SECRET_KEY), \
                 optionally with security_token (HW_SECURITY_TOKEN) for temporary credentials; or set auth_token (HW_AUTH_TOKEN) to use an IAM token.",
            );
            None
        }
    }
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
        let c = settings.into_client_config();
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
}
