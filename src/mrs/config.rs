//! What an [`MrsClient`](super::MrsClient) needs to know before its first request: region,
//! endpoints, credentials, TLS trust and time limits.
//!
//! It lives apart from the client so the provider can build and check it (and tests can inspect
//! the endpoints) without any networking. Secrets never appear in `Debug` output.
//!
//! [`ClientConfig`] is the bundle the provider fills in, field by field. Nothing below the client
//! takes it whole: it hands out the small values each part needs, [`ClientConfig::tls`],
//! [`ClientConfig::retry`], [`ClientConfig::transport_settings`] and
//! [`ClientConfig::identity_service`], and the endpoints one by one.

use std::path::PathBuf;
use std::time::Duration;
use url::Url;

pub use super::credentials::Credentials;
use super::credentials::IdentityService;
pub use super::error::ConfigError;
use super::regions::{Service, sdk_endpoint};
use super::retry::RetryPolicy;
pub use super::signer::SigningAlgorithm;
use super::tls::TlsSettings;
use super::transport::{TransportSettings, user_agent};

/// Domain suffix of Huawei Cloud's public partition.
pub const DEFAULT_CLOUD: &str = "myhuaweicloud.com";
/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default limit for one HTTP attempt, response body included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit for establishing a TCP + TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default first backoff ceiling; doubles per retry.
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(200);
/// Default largest backoff ceiling.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(10);

/// Settings of one MRS client; build with [`ClientConfig::new`] and adjust fields.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Region name, e.g. `cn-north-4`; part of the default host names and the IAM project lookup.
    pub region: String,
    /// Domain suffix of the partition. `None`: the official SDKs' region table decides (see
    /// [`super::regions`]), falling back to [`DEFAULT_CLOUD`] for regions it does not list;
    /// `Some`: every endpoint is `https://{service}.{region}.{cloud}`.
    pub cloud: Option<String>,
    /// MRS endpoint overriding the region's; a path prefix is kept.
    pub endpoint: Option<String>,
    /// IAM endpoint overriding the region's.
    pub iam_endpoint: Option<String>,
    /// STS endpoint (`POST /v5/agencies/assume`) overriding the region's.
    pub sts_endpoint: Option<String>,
    /// How AK/SK requests are signed (`signing_algorithm`).
    pub signing_algorithm: SigningAlgorithm,
    /// Project ID; looked up from IAM by region name when absent.
    pub project_id: Option<String>,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Accept any server certificate. For test rigs only.
    pub insecure: bool,
    /// PEM bundle of CAs to trust in addition to the system's roots.
    pub ca_cert_file: Option<PathBuf>,
    /// Retries after the first attempt for transient failures.
    pub max_retries: u32,
    /// Limit for one HTTP attempt; the call's deadline may cut it shorter.
    pub request_timeout: Duration,
    /// Limit for connecting.
    pub connect_timeout: Duration,
    /// First backoff ceiling (full jitter: a retry waits a random time up to the ceiling).
    pub retry_base_delay: Duration,
    /// Largest backoff ceiling.
    pub retry_max_delay: Duration,
    /// Terraform's version, appended to the User-Agent when known.
    pub terraform_version: Option<String>,
    /// Whether every request of a client takes its turn in one pace set by the gateway's
    /// throttling (on by default; the provider turns it off with `TF_PROVIDER_MRS_GOVERNOR=off`).
    pub paced: bool,
}

impl ClientConfig {
    /// A configuration for `region` with defaults: public cloud, system trust roots,
    /// [`DEFAULT_MAX_RETRIES`], [`DEFAULT_REQUEST_TIMEOUT`], [`DEFAULT_CONNECT_TIMEOUT`].
    pub fn new(region: impl Into<String>, credentials: Credentials) -> Self {
        ClientConfig {
            region: region.into(),
            cloud: None,
            endpoint: None,
            iam_endpoint: None,
            sts_endpoint: None,
            signing_algorithm: SigningAlgorithm::default(),
            project_id: None,
            credentials,
            insecure: false,
            ca_cert_file: None,
            max_retries: DEFAULT_MAX_RETRIES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry_base_delay: DEFAULT_RETRY_BASE_DELAY,
            retry_max_delay: DEFAULT_RETRY_MAX_DELAY,
            terraform_version: None,
            paced: true,
        }
    }

    /// Which servers to trust.
    pub fn tls(&self) -> TlsSettings {
        TlsSettings {
            insecure: self.insecure,
            ca_cert_file: self.ca_cert_file.clone(),
        }
    }

    /// When and how often a transient failure is tried again.
    pub fn retry(&self) -> RetryPolicy {
        RetryPolicy {
            max_retries: self.max_retries,
            base_delay: self.retry_base_delay,
            max_delay: self.retry_max_delay,
        }
    }

    /// How requests travel: timeouts, TLS trust, retries, pacing and the `User-Agent`.
    pub fn transport_settings(&self) -> TransportSettings {
        TransportSettings {
            tls: self.tls(),
            retry: self.retry(),
            request_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            user_agent: user_agent(self.terraform_version.as_deref()),
            paced: self.paced,
        }
    }

    /// Where the credential sources that ask IAM or STS for keys go, and how.
    pub fn identity_service(&self) -> Result<IdentityService, ConfigError> {
        Ok(IdentityService {
            iam: self.iam_endpoint()?,
            sts: self.sts_endpoint()?,
            transport: self.transport_settings(),
            signing_algorithm: self.signing_algorithm,
        })
    }

    /// Base URL of the MRS API: `endpoint` (trailing `/` dropped), else `https://mrs.{region}.{cloud}`
    /// when `cloud` is set, else the SDK's endpoint for the region, else `https://mrs.{region}.myhuaweicloud.com`.
    pub fn mrs_endpoint(&self) -> Result<Url, ConfigError> {
        self.service_endpoint(Service::Mrs, "endpoint", self.endpoint.as_deref())
    }

    /// Base URL of IAM, chosen as [`mrs_endpoint`](Self::mrs_endpoint) is, from `iam_endpoint`.
    pub fn iam_endpoint(&self) -> Result<Url, ConfigError> {
        self.service_endpoint(Service::Iam, "iam_endpoint", self.iam_endpoint.as_deref())
    }

    /// Base URL of STS (agencies named by account ID): `sts_endpoint`; else `iam_endpoint` when
    /// that is set (a private cloud or a test rig names its identity service once, and an
    /// agency call must not leave for the public STS); else `https://sts.{region}.{cloud}` on
    /// IAM's domain suffix.
    pub fn sts_endpoint(&self) -> Result<Url, ConfigError> {
        match (&self.sts_endpoint, &self.iam_endpoint) {
            (None, Some(iam)) => parse_endpoint("iam_endpoint", iam),
            (sts, _) => self.service_endpoint(Service::Sts, "sts_endpoint", sts.as_deref()),
        }
    }

    /// Checks everything that can be checked without the network, `ca_cert_file` included.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.mrs_endpoint()?;
        self.iam_endpoint()?;
        if let Some(path) = &self.ca_cert_file {
            super::tls::check_ca_file(path)?;
        }
        match &self.credentials {
            Credentials::AkSk {
                access_key,
                secret_key,
                ..
            } => {
                if access_key.trim().is_empty() {
                    return Err(ConfigError::InvalidCredentials(
                        "access_key is empty: set it (or HW_ACCESS_KEY)",
                    ));
                }
                if secret_key.is_empty() {
                    return Err(ConfigError::InvalidCredentials(
                        "secret_key is empty: set it (or HW_SECRET_KEY)",
                    ));
                }
            }
            Credentials::Token(token) if token.trim().is_empty() => {
                return Err(ConfigError::InvalidCredentials("the IAM token is empty"));
            }
            Credentials::Token(_) | Credentials::Temporary(_) => {}
        }
        Ok(())
    }

    fn service_endpoint(
        &self,
        service: Service,
        field: &'static str,
        explicit: Option<&str>,
    ) -> Result<Url, ConfigError> {
        if let Some(explicit) = explicit {
            return parse_endpoint(field, explicit);
        }
        if !is_host_label_text(&self.region) {
            return Err(ConfigError::InvalidRegion(self.region.clone()));
        }
        let cloud = match &self.cloud {
            Some(cloud) if !is_host_label_text(cloud) || cloud.starts_with('.') => {
                return Err(ConfigError::InvalidCloud(cloud.clone()));
            }
            Some(cloud) => cloud.as_str(),
            None => match sdk_endpoint(service, &self.region) {
                Some(url) => return parse_endpoint(field, &url),
                None => DEFAULT_CLOUD,
            },
        };
        let text = format!("https://{}.{}.{cloud}", service.prefix(), self.region);
        parse_endpoint(field, &text)
    }
}

/// Letters, digits, `-`, `_` and `.`: safe to paste into a host name.
fn is_host_label_text(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn parse_endpoint(field: &'static str, value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidEndpoint {
        field,
        value: value.to_owned(),
        reason,
    };
    let trimmed = value.trim();
    if !trimmed.contains("://") {
        return Err(invalid(
            "it needs a scheme, e.g. \"https://mrs.cn-north-4.myhuaweicloud.com\"".to_owned(),
        ));
    }
    let mut url = Url::parse(trimmed).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid(format!(
            "scheme {:?} is not supported, use https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".to_owned()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "it must not have a query string or fragment".to_owned(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "credentials do not belong in the URL; use access_key/secret_key".to_owned(),
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aksk() -> Credentials {
        Credentials::AkSk {
            access_key: "AKEXAMPLE".into(),
            secret_key: "very-secret-sk".into(),
            security_token: Some("very-secret-token".into()),
        }
    }

    #[test]
    fn default_endpoints_follow_region_and_cloud() {
        let mut config = ClientConfig::new("cn-north-4", aksk());
        assert_eq!(
            config.mrs_endpoint().unwrap().as_str(),
            "https://mrs.cn-north-4.myhuaweicloud.com/"
        );
        assert_eq!(
            config.iam_endpoint().unwrap().as_str(),
            "https://iam.cn-north-4.myhuaweicloud.com/"
        );
        config.cloud = Some("myhuaweicloud.eu".into());
        assert_eq!(
            config.mrs_endpoint().unwrap().host_str(),
            Some("mrs.cn-north-4.myhuaweicloud.eu")
        );
    }

    #[test]
    fn sdk_table_places_the_exceptional_regions() {
        let hosts = |region: &str| {
            let config = ClientConfig::new(region, aksk());
            (
                config
                    .mrs_endpoint()
                    .unwrap()
                    .host_str()
                    .unwrap()
                    .to_owned(),
                config
                    .iam_endpoint()
                    .unwrap()
                    .host_str()
                    .unwrap()
                    .to_owned(),
            )
        };
        assert_eq!(
            hosts("eu-west-101"),
            (
                "mrs.eu-west-101.myhuaweicloud.eu".to_owned(),
                "iam.eu-west-101.myhuaweicloud.eu".to_owned()
            )
        );
        for region in ["ap-southeast-1", "ap-southeast-4"] {
            assert_eq!(
                hosts(region),
                (
                    format!("mrs.{region}.myhuaweicloud.cn"),
                    format!("iam.{region}.myhuaweicloud.com")
                )
            );
        }
        // MRS is listed, IAM is not: the fallback pattern for IAM.
        assert_eq!(
            hosts("ru-northwest-2"),
            (
                "mrs.ru-northwest-2.myhuaweicloud.cn".to_owned(),
                "iam.ru-northwest-2.myhuaweicloud.com".to_owned()
            )
        );
    }

    #[test]
    fn unlisted_region_falls_back_to_the_usual_pattern() {
        let config = ClientConfig::new("xx-nowhere-7", aksk());
        assert_eq!(
            config.mrs_endpoint().unwrap().as_str(),
            "https://mrs.xx-nowhere-7.myhuaweicloud.com/"
        );
        assert_eq!(
            config.iam_endpoint().unwrap().as_str(),
            "https://iam.xx-nowhere-7.myhuaweicloud.com/"
        );
    }

    #[test]
    fn cloud_and_explicit_endpoints_override_the_sdk_table() {
        let mut config = ClientConfig::new("ap-southeast-1", aksk());
        config.cloud = Some("example.org".into());
        assert_eq!(
            config.mrs_endpoint().unwrap().host_str(),
            Some("mrs.ap-southeast-1.example.org")
        );
        assert_eq!(
            config.iam_endpoint().unwrap().host_str(),
            Some("iam.ap-southeast-1.example.org")
        );
        let mut config = ClientConfig::new("eu-west-101", aksk());
        config.endpoint = Some("https://mrs.internal:8443".into());
        config.iam_endpoint = Some("https://iam.internal".into());
        assert_eq!(
            config.mrs_endpoint().unwrap().as_str(),
            "https://mrs.internal:8443/"
        );
        assert_eq!(
            config.iam_endpoint().unwrap().host_str(),
            Some("iam.internal")
        );
    }

    #[test]
    fn explicit_endpoint_overrides_with_or_without_trailing_slash() {
        let mut config = ClientConfig::new("cn-north-4", aksk());
        for given in ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"] {
            config.endpoint = Some(given.into());
            let url = config.mrs_endpoint().unwrap();
            assert_eq!(url.as_str(), "http://127.0.0.1:8080/", "{given}");
        }
        config.endpoint = Some("https://proxy.example.com/mrs/".into());
        assert_eq!(config.mrs_endpoint().unwrap().path(), "/mrs");
        config.iam_endpoint = Some("https://iam.example.com".into());
        assert_eq!(
            config.iam_endpoint().unwrap().host_str(),
            Some("iam.example.com")
        );
    }

    #[test]
    fn unusable_endpoints_and_regions_are_rejected() {
        let mut config = ClientConfig::new("cn-north-4", aksk());
        for bad in [
            "mrs.example.com",
            "ftp://mrs.example.com",
            "https://mrs.example.com/?x=1",
            "https://user:pw@mrs.example.com",
        ] {
            config.endpoint = Some(bad.into());
            assert!(
                matches!(
                    config.mrs_endpoint(),
                    Err(ConfigError::InvalidEndpoint { .. })
                ),
                "{bad}"
            );
        }
        let config = ClientConfig::new("cn-north-4/../evil", aksk());
        assert!(matches!(
            config.mrs_endpoint(),
            Err(ConfigError::InvalidRegion(_))
        ));
        assert!(matches!(
            ClientConfig::new("", aksk()).mrs_endpoint(),
            Err(ConfigError::InvalidRegion(_))
        ));
    }

    #[test]
    fn debug_of_credentials_and_config_hides_secrets() {
        let config = ClientConfig::new("cn-north-4", aksk());
        let shown = format!("{config:?} {:?}", config.credentials);
        assert!(shown.contains("AKEXAMPLE"));
        assert!(!shown.contains("very-secret-sk"));
        assert!(!shown.contains("very-secret-token"));
        let token = Credentials::Token("iam-token-value".into());
        assert!(!format!("{token:?}").contains("iam-token-value"));
    }

    #[test]
    fn empty_keys_are_rejected_with_the_variable_to_set() {
        let config = ClientConfig::new(
            "cn-north-4",
            Credentials::AkSk {
                access_key: "ak".into(),
                secret_key: String::new(),
                security_token: None,
            },
        );
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("HW_SECRET_KEY"), "{err}");
    }
}
