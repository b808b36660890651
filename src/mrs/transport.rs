//! How one MRS or IAM call travels: sign (afresh for each attempt, so `X-Sdk-Date` stays
//! current), send, read a bounded body, and on a transient failure wait as [`retry`] says,
//! never past the caller's deadline. The API operations in [`client`] describe a call; this
//! module carries it out and turns failures into [`ApiError`]s ready for a user.
//!
//! It is built from a [`TransportSettings`] (timeouts, TLS, retries, pacing: the HTTP part of the
//! configuration only) and an [`Authenticate`]r that adds the headers proving who is asking.
//! It knows no credential type: the credentials room implements [`Authenticate`] and may itself
//! hold a transport (an agency is assumed over HTTP), so the arrow runs from credentials to here.
//!
//! [`retry`]: super::retry
//! [`client`]: super::client

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tracing::debug;
use url::Url;

use super::error::{ApiError, ApiErrorKind, ConfigError};
use super::governor::Governor;
use super::retry::{
    GiveUpReason, RetryDecision, RetryPolicy, is_retryable_status, parse_retry_after,
};
use super::sent_secrets::SentSecrets;
use super::shown_text::one_line_bounded;
use super::tls::{TlsSettings, client_tls_config};

/// Largest error body read; the rest is dropped (only an excerpt is kept anyway).
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// Largest success body read; a longer one is reported as a decode error.
pub const MAX_SUCCESS_BODY_BYTES: usize = 8 * 1024 * 1024;

const REQUEST_ID_HEADER: &str = "x-request-id";
/// Longest header value (request ID, `Location`) kept from an answer, in bytes.
const MAX_HEADER_SHOWN: usize = 256;
const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// How requests travel, whoever sends them: the HTTP part of the provider's settings.
#[derive(Debug, Clone)]
pub struct TransportSettings {
    /// Which servers to trust.
    pub tls: TlsSettings,
    /// When and how often a transient failure is tried again.
    pub retry: RetryPolicy,
    /// Limit for one HTTP attempt; the call's deadline may cut it shorter.
    pub request_timeout: Duration,
    /// Limit for connecting.
    pub connect_timeout: Duration,
    /// The `User-Agent` header (see `user_agent`).
    pub user_agent: String,
    /// Whether attempts take turns from their gateway's shared pace, set by its throttling (see
    /// `governor`).
    pub paced: bool,
}

/// A request about to be sent, as an [`Authenticate`]r sees it.
pub struct Unsigned<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The full URL, query included.
    pub url: &'a Url,
    /// The headers set so far (`User-Agent`, `X-Project-Id`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body; empty when there is none.
    pub body: &'a [u8],
}

/// Proves who is asking: adds the headers that authenticate one attempt (a signature, a token).
#[async_trait]
pub trait Authenticate: Send + Sync {
    /// `request`'s headers with the authenticating ones added, for an attempt that must start
    /// before `deadline`. Every secret the request will carry beyond its headers' values (keys
    /// used to sign) goes into `sent`, so an echo of it in an answer can be blotted out.
    async fn authenticate(
        &self,
        request: Unsigned<'_>,
        deadline: Instant,
        sent: &mut SentSecrets,
    ) -> Result<Vec<(String, String)>, ApiError>;
}

/// The connection pool, authentication and retry policy every call of one client shares.
pub(super) struct Transport {
    auth: Arc<dyn Authenticate>,
    http: reqwest::Client,
    user_agent: String,
    retry: RetryPolicy,
    request_timeout: Duration,
    paced: bool,
}

/// Which failures of a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RetryOn {
    /// Any transient failure: the call is safe to repeat.
    Transient,
    /// Only failures where the request was surely not processed (could not connect, 429, 503),
    /// for calls that would create something twice.
    Unprocessed,
}

pub(super) struct Call {
    pub(super) operation: String,
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) project_id: Option<String>,
    pub(super) body: Option<Vec<u8>>,
    pub(super) retry_on: RetryOn,
}

/// A response as read from the wire.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) request_id: Option<String>,
    pub(super) retry_after: Option<Duration>,
    pub(super) body: Vec<u8>,
    pub(super) truncated: bool,
    /// `Location`, for a redirect (on one line, escaped, secrets blotted out).
    pub(super) location: Option<String>,
    /// The secrets the request carried, to blot out of anything shown from this answer.
    pub(super) sent: SentSecrets,
}

/// Why one attempt got no answer.
enum AttemptError {
    Transport(reqwest::Error),
    BadHeader(String),
    /// Temporary keys could not be had (their source already retried).
    Credentials(ApiError),
}

impl Transport {
    /// Builds the connection pool (kept alive across calls); `uses_https`: whether any endpoint
    /// it will reach is `https`, so that the system's CA roots are worth loading now.
    pub(super) fn new(
        settings: &TransportSettings,
        auth: Arc<dyn Authenticate>,
        uses_https: bool,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            http: build_http_client(settings, uses_https)?,
            user_agent: settings.user_agent.clone(),
            retry: settings.retry,
            request_timeout: settings.request_timeout,
            auth,
            paced: settings.paced,
        })
    }

    /// Runs `call` with retries until success, a permanent failure, or `deadline`.
    pub(super) async fn execute(&self, call: &Call, deadline: Instant) -> Result<Answer, ApiError> {
        let mut attempt = 0u32;
        let mut last_failure: Option<ApiError> = None;
        let governor = self.paced.then(|| Governor::for_gateway(&call.url));
        loop {
            attempt += 1;
            let turn = match &governor {
                Some(governor) => Some(governor.turn(deadline).await),
                None => None,
            };
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero());
            let Some(remaining) = remaining else {
                return Err(deadline_error(call, attempt - 1, last_failure, None));
            };
            let timeout = remaining.min(self.request_timeout);
            let started = Instant::now();
            let outcome = self.attempt(call, timeout).await;
            if let (Some(turn), Ok(answer)) = (turn, &outcome) {
                turn.answered(answer.status, answer.retry_after);
            }
            let latency_ms = started.elapsed().as_millis();
            let (failure, retry_after) = match outcome {
                Ok(answer) => {
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        status = answer.status,
                        request_id = answer.request_id.as_deref().unwrap_or("-"),
                        latency_ms,
                        attempt,
                        "MRS API attempt answered"
                    );
                    if (200..300).contains(&answer.status) {
                        return Ok(answer);
                    }
                    let mut err = ApiError::from_answer(
                        &call.operation,
                        answer.status,
                        answer.request_id.clone(),
                        &answer.body,
                        &answer.sent,
                    );
                    err.attempts = attempt;
                    if (300..400).contains(&answer.status) {
                        err.cause = Some(redirect_cause(answer.location.as_deref()));
                    }
                    let retryable = match call.retry_on {
                        RetryOn::Transient => is_retryable_status(answer.status),
                        RetryOn::Unprocessed => matches!(answer.status, 429 | 503),
                    };
                    if !retryable {
                        return Err(err);
                    }
                    (err, answer.retry_after)
                }
                Err(AttemptError::Credentials(err)) => return Err(err),
                Err(AttemptError::BadHeader(reason)) => {
                    let mut err = ApiError::new(ApiErrorKind::Config, &call.operation, reason);
                    err.attempts = attempt;
                    return Err(err);
                }
                Err(AttemptError::Transport(e)) => {
                    let cause = error_chain(&e);
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        error = %cause,
                        latency_ms,
                        attempt,
                        "MRS API attempt failed"
                    );
                    if e.is_timeout() && timeout < self.request_timeout {
                        // The deadline, not the per-request limit, cut this attempt short.
                        let mut err = ApiError::new(
                            ApiErrorKind::Deadline,
                            &call.operation,
                            format!("no answer before the deadline ({cause})"),
                        );
                        err.attempts = attempt;
                        return Err(err);
                    }
                    if let Some(problem) = certificate_problem(&e) {
                        // A refused certificate stays refused: trying again would only hold
                        // back the error, and its advice, for the whole retry budget.
                        let mut err = ApiError::new(
                            ApiErrorKind::Tls,
                            &call.operation,
                            format!("TLS refused the connection: {problem}"),
                        );
                        err.attempts = attempt;
                        return Err(err);
                    }
                    let (kind, cause) = if e.is_timeout() {
                        let limit = self.request_timeout.as_secs_f64();
                        (
                            ApiErrorKind::Timeout,
                            format!("no answer within request_timeout ({limit}s): {cause}"),
                        )
                    } else {
                        (ApiErrorKind::Connect, cause)
                    };
                    let mut err = ApiError::new(kind, &call.operation, cause);
                    err.attempts = attempt;
                    let retryable = match call.retry_on {
                        RetryOn::Transient => !e.is_builder(),
                        RetryOn::Unprocessed => e.is_connect(),
                    };
                    if !retryable {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            let decision = self.retry.decide(
                attempt,
                retry_after,
                Instant::now(),
                deadline,
                &mut rand::rng(),
            );
            match decision {
                RetryDecision::RetryAfter(wait) => {
                    debug!(
                        method = %call.method,
                        path = call.url.path(),
                        attempt,
                        wait_ms = wait.as_millis(),
                        "retrying MRS API call"
                    );
                    last_failure = Some(failure);
                    tokio::time::sleep(wait).await;
                }
                RetryDecision::GiveUp(GiveUpReason::RetriesExhausted) => return Err(failure),
                RetryDecision::GiveUp(GiveUpReason::DeadlineWouldPass { wait }) => {
                    return Err(deadline_error(call, attempt, Some(failure), Some(wait)));
                }
            }
        }
    }

    /// One signed HTTP exchange with a bounded body read.
    async fn attempt(&self, call: &Call, timeout: Duration) -> Result<Answer, AttemptError> {
        let body = call.body.as_deref().unwrap_or_default();
        let mut headers = vec![("User-Agent".to_owned(), self.user_agent.clone())];
        if let Some(project_id) = &call.project_id {
            headers.push(("X-Project-Id".to_owned(), project_id.clone()));
        }
        if call.body.is_some() {
            headers.push(("Content-Type".to_owned(), JSON_CONTENT_TYPE.to_owned()));
        }
        let mut sent = SentSecrets::new();
        let unsigned = Unsigned {
            method: call.method.as_str(),
            url: &call.url,
            headers,
            body,
        };
        // Asked before each attempt: a retry after a long wait gets renewed temporary keys.
        let auth_deadline = Instant::now()
            .checked_add(timeout)
            .unwrap_or_else(Instant::now);
        let headers = self
            .auth
            .authenticate(unsigned, auth_deadline, &mut sent)
            .await
            .map_err(AttemptError::Credentials)?;
        for (name, value) in &headers {
            sent.add_header(name, value);
        }

        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(timeout);
        for (name, value) in &headers {
            // reqwest derives Host from the URL exactly as the signer did.
            if name.eq_ignore_ascii_case("host") {
                continue;
            }
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| AttemptError::BadHeader(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                AttemptError::BadHeader(format!("header {name} has a value that cannot be sent"))
            })?;
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }

        let mut response = request.send().await.map_err(AttemptError::Transport)?;
        let status = response.status().as_u16();
        let header_text = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| one_line_bounded(&sent.scrub(v), MAX_HEADER_SHOWN))
        };
        let request_id = header_text(REQUEST_ID_HEADER);
        let location = header_text(reqwest::header::LOCATION.as_str());
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let cap = if (200..300).contains(&status) {
            MAX_SUCCESS_BODY_BYTES
        } else {
            MAX_ERROR_BODY_BYTES
        };
        // Sized once from Content-Length (within the cap), so a large listing page is not
        // copied through doubling buffers; a lying length costs at most the cap.
        let expected = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        let mut body = Vec::with_capacity(expected.min(cap));
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(AttemptError::Transport)? {
            let room = cap - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            request_id,
            retry_after,
            body,
            truncated,
            location,
            sent,
        })
    }
}

fn deadline_error(
    call: &Call,
    attempts: u32,
    last: Option<ApiError>,
    wait: Option<Duration>,
) -> ApiError {
    let mut err =
        last.unwrap_or_else(|| ApiError::new(ApiErrorKind::Deadline, &call.operation, ""));
    let earlier = err.cause.take().filter(|c| !c.is_empty());
    let mut cause = match wait {
        Some(wait) => format!(
            "the next retry would have waited {:.1}s, past the deadline",
            wait.as_secs_f64()
        ),
        None => "the deadline passed before another attempt could be made".to_owned(),
    };
    if let Some(earlier) = earlier {
        cause.push_str(&format!("; last failure: {earlier}"));
    }
    err.kind = ApiErrorKind::Deadline;
    err.cause = Some(cause);
    err.attempts = attempts;
    err
}

/// Parses a success body; the error is the reason, for [`decode_error`].
pub(super) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, String> {
    if answer.truncated {
        return Err(format!(
            "the answer is larger than {MAX_SUCCESS_BODY_BYTES} bytes"
        ));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|e| format!("the answer is not the expected JSON ({e})"))
}

pub(super) fn decode_error(operation: &str, answer: &Answer, reason: &str) -> ApiError {
    // A decoder's reason can quote the answer (an unknown variant's name).
    let reason = one_line_bounded(&answer.sent.scrub(reason), MAX_CAUSE_SHOWN);
    let kind = if answer.truncated {
        ApiErrorKind::TooLarge
    } else {
        ApiErrorKind::Decode
    };
    let mut err = ApiError::new(kind, operation, reason);
    err.status = Some(answer.status);
    err.request_id = answer.request_id.clone();
    // Only the excerpt's worth of a large body is scrubbed: the excerpt is all that is shown.
    let head = &answer.body[..answer.body.len().min(4 * MAX_ERROR_BODY_BYTES)];
    err.body_excerpt =
        super::error::body_excerpt(answer.sent.scrub(&String::from_utf8_lossy(head)).as_bytes());
    err
}

/// Longest decoder reason kept in an error, in bytes.
const MAX_CAUSE_SHOWN: usize = 1024;

/// Why a 3xx is an error: where it pointed, and that redirects are not followed.
fn redirect_cause(location: Option<&str>) -> String {
    let to = match location {
        Some(location) => format!("the service redirected the request to {location}"),
        None => "the service answered with a redirect without a Location".to_owned(),
    };
    format!(
        "{to}; redirects are not followed, because a signed request is valid only for the URL it \
         was signed for. Set the endpoint (endpoint, or HW_MRS_ENDPOINT) to the service's own \
         address, not to a proxy or an alias that redirects"
    )
}

/// `terraform-provider-mrs/<version>`, plus ` terraform/<v>` when Terraform's version is known
/// and fit for a header.
pub fn user_agent(terraform_version: Option<&str>) -> String {
    let mut ua = format!("terraform-provider-mrs/{}", env!("CARGO_PKG_VERSION"));
    if let Some(v) = terraform_version
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
    {
        ua.push_str(&format!(" terraform/{v}"));
    }
    ua
}

fn build_http_client(
    config: &TransportSettings,
    uses_https: bool,
) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_keepalive(Duration::from_secs(30))
        // A redirect would be sent unsigned for its new URL; surface it instead.
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(client_tls_config(&config.tls, uses_https)?)
        .build()
        .map_err(|e| ConfigError::HttpClient(error_chain(&e)))
}

/// What TLS said about a certificate it refused (the server's, or ours), found somewhere in
/// `err`'s causes: rustls reports it inside the connector's `io::Error`, itself maybe wrapped.
/// `None` for every other failure.
fn certificate_problem(err: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = source {
        // io::Error's own `source()` skips the error it wraps, so unwrap those by hand.
        let mut inner: &(dyn std::error::Error + 'static) = cause;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        match inner.downcast_ref::<rustls::Error>() {
            // Our verifier's own explanation (which server, which roots), not rustls' debug text.
            Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(
                rustls::OtherError(explained),
            ))) => return Some(explained.to_string()),
            Some(
                refused @ (rustls::Error::InvalidCertificate(_)
                | rustls::Error::NoCertificatesPresented
                | rustls::Error::UnsupportedNameType),
            ) => return Some(refused.to_string()),
            _ => {}
        }
        source = cause.source();
    }
    None
}

/// An error and its sources on one line; reqwest's top-level message alone is often vague.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
