//! The ECS instance metadata service: temporary keys of the agency bound to the instance.
//!
//! `GET http://169.254.169.254/openstack/latest/securitykey` answers
//! `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`. The address only
//! exists on an ECS instance; elsewhere the connection fails or hangs, so the connect timeout is
//! short and a missing service is reported at once. The request goes straight to the address,
//! never through `HTTP_PROXY`: a proxy cannot reach the instance's link-local address.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use url::Url;

use super::{CredentialSource, SessionKeys, parse_credential_answer};
use crate::mrs::error::{ApiError, ApiErrorKind, ConfigError};
use crate::mrs::tls::{TlsSettings, client_tls_config};

/// Where the metadata service lives on every ECS instance.
pub const DEFAULT_METADATA_ENDPOINT: &str = "http://169.254.169.254";
/// Path of the security key document under the metadata endpoint.
pub const METADATA_PATH: &str = "/openstack/latest/securitykey";
/// A present metadata service answers within milliseconds; an absent one is found out quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(700);
/// Limit for the whole exchange once connected.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Transient answers (5xx, 429) are tried this many more times; a refused connection is not.
const RETRIES: u32 = 2;
/// Largest answer read; the document is a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// `{endpoint}/openstack/latest/securitykey`; the endpoint's own path is kept as a prefix.
pub fn metadata_url(endpoint: &Url) -> Url {
    let mut url = endpoint.clone();
    let path = format!("{}{METADATA_PATH}", endpoint.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url
}

pub(super) struct MetadataSource {
    url: Url,
    http: reqwest::Client,
}

impl MetadataSource {
    /// A client of `endpoint`; `tls` says which servers to trust should it be `https`.
    pub(super) fn new(endpoint: &Url, tls: &TlsSettings) -> Result<Self, ConfigError> {
        let tls = client_tls_config(tls, endpoint.scheme() == "https")?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            url: metadata_url(endpoint),
            http,
        })
    }

    async fn attempt(&self, deadline: Instant) -> Result<SessionKeys, (ApiError, bool)> {
        let operation = self.operation();
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err((
                ApiError::new(ApiErrorKind::Deadline, &operation, "no time left"),
                false,
            ));
        }
        let mut response = self
            .http
            .get(self.url.clone())
            .timeout(remaining.min(REQUEST_TIMEOUT))
            .send()
            .await
            .map_err(|e| {
                let (kind, cause) = match (e.is_connect(), e.is_timeout()) {
                    (true, true) => (
                        ApiErrorKind::Timeout,
                        format!("no connection within {} ms", CONNECT_TIMEOUT.as_millis()),
                    ),
                    (false, true) => (ApiErrorKind::Timeout, "no answer in time".to_owned()),
                    (true, false) => (
                        ApiErrorKind::Connect,
                        format!("could not connect ({})", root_cause(&e)),
                    ),
                    (false, false) => (ApiErrorKind::Connect, root_cause(&e)),
                };
                (ApiError::new(kind, &operation, cause), false)
            })?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            (
                ApiError::new(ApiErrorKind::Connect, &operation, e.to_string()),
                true,
            )
        })? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY_BYTES {
                break;
            }
        }
        if status != 200 {
            let retryable = status == 429 || status >= 500;
            return Err((
                ApiError::from_response(&operation, status, None, &body),
                retryable,
            ));
        }
        parse_credential_answer(&body).map_err(|reason| {
            let mut err = ApiError::new(ApiErrorKind::Decode, &operation, reason);
            err.status = Some(status);
            (err, false)
        })
    }

    fn operation(&self) -> String {
        format!(
            "get temporary credentials from the ECS metadata service ({})",
            self.url
        )
    }
}

#[async_trait]
impl CredentialSource for MetadataSource {
    fn describe(&self) -> String {
        format!("ECS instance metadata ({})", self.url)
    }

    async fn fetch(&self, deadline: Instant) -> Result<SessionKeys, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(deadline).await {
                Ok(keys) => return Ok(keys),
                Err((mut err, retryable)) => {
                    err.attempts = attempt;
                    if !retryable || attempt > RETRIES {
                        return Err(err);
                    }
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
    }
}

/// The innermost error, e.g. `Connection refused (os error 111)`: the outer ones only repeat the URL.
fn root_cause(err: &dyn std::error::Error) -> String {
    let mut innermost = err;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_url_appends_the_securitykey_path() {
        let base = Url::parse(DEFAULT_METADATA_ENDPOINT).unwrap();
        assert_eq!(
            metadata_url(&base).as_str(),
            "http://169.254.169.254/openstack/latest/securitykey"
        );
        let prefixed = Url::parse("http://127.0.0.1:8080/meta/").unwrap();
        assert_eq!(
            metadata_url(&prefixed).as_str(),
            "http://127.0.0.1:8080/meta/openstack/latest/securitykey"
        );
    }

    #[tokio::test]
    async fn a_closed_port_fails_at_once_with_a_connect_error() {
        // Bind then drop a listener: the port is closed on loopback.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let endpoint = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let source = MetadataSource::new(&endpoint, &TlsSettings::default()).unwrap();
        let err = source
            .fetch(Instant::now() + Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ApiErrorKind::Connect);
        assert_eq!(err.attempts, 1, "a refused connection is not retried");
        let cause = err.cause.unwrap_or_default();
        assert!(cause.starts_with("could not connect ("), "{cause}");
        assert!(cause.contains("refused"), "{cause}");
    }
}
