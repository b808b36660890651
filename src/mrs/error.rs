//! Failed MRS calls, described well enough for a user to act on.
//!
//! Terraform shows an error as a summary line and a detail paragraph; [`ApiError`] carries
//! what both need: what we tried, how far it got, what the service said (its error code,
//! message and `X-Request-Id`, which support asks for) and advice for the usual causes.
//!
//! Error bodies are parsed tolerantly because MRS does not always send valid JSON: its own
//! documentation shows a body with a missing comma, and gateways answer with HTML or nothing.

use serde_json::Value;
use std::fmt;
use std::path::PathBuf;

use super::sent_secrets::SentSecrets;
use super::shown_text::one_line_bounded;

/// Longest body excerpt kept in an error, in bytes.
pub const MAX_EXCERPT_BYTES: usize = 512;
/// Longest `error_msg` kept from an answer, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;
/// Longest `error_code` or request ID kept from an answer, in bytes.
pub const MAX_CODE_BYTES: usize = 128;

/// MRS error code for "the job could not be terminated": it is being killed or has ended.
pub const CODE_JOB_NOT_RUNNING: &str = "0175";
/// MRS error code for "the job does not exist".
pub const CODE_JOB_NOT_FOUND: &str = "0176";
/// MRS error code for "the cluster does not exist".
pub const CODE_CLUSTER_NOT_FOUND: &str = "12000003";

/// A configuration that cannot work, found before any request is made.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Region is empty or has characters that cannot be part of a host name.
    #[error(
        "region {0:?} is not a valid region name: use the name shown in the console, e.g. \"cn-north-4\""
    )]
    InvalidRegion(String),
    /// Cloud suffix is empty or not a host-name suffix.
    #[error("cloud {0:?} is not a valid domain suffix, e.g. \"myhuaweicloud.com\"")]
    InvalidCloud(String),
    /// An explicit endpoint does not parse or is not an http(s) URL with a host.
    #[error("{field} {value:?} is not usable: {reason}")]
    InvalidEndpoint {
        /// Which setting (`endpoint` or `iam_endpoint`).
        field: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Credentials are missing a part.
    #[error("{0}")]
    InvalidCredentials(&'static str),
    /// The CA bundle could not be read.
    #[error("cannot read ca_cert_file {path}: {source}")]
    CaCertRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The CA bundle holds no usable PEM certificate.
    #[error("ca_cert_file {path} holds no usable PEM certificate: {reason}")]
    CaCertParse {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot set up the HTTPS client: {0}")]
    HttpClient(String),
}

/// Which stage of a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    /// The service answered with a status that is not success.
    Http,
    /// An attempt took longer than its time limit.
    Timeout,
    /// The endpoint could not be reached or the connection broke.
    Connect,
    /// The endpoint was reached, but TLS refused its certificate (or ours).
    Tls,
    /// The call's deadline ran out before an answer worth returning arrived.
    Deadline,
    /// A success answer did not have the expected shape.
    Decode,
    /// The answers were more than the client reads (one body past its byte bound, or a listing
    /// past its page or byte bound): the same request fails the same way until fewer jobs match.
    TooLarge,
    /// A kill was answered with a success status but not the way MRS answers one (a proxy's or
    /// captive portal's page): it cannot be taken as accepted.
    NotConfirmed,
    /// The request could not be made as configured (bad ID, no project found, ...).
    Config,
}

/// A failed MRS or IAM call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status of the last answer, if there was one.
    pub status: Option<u16>,
    /// `error_code` from the body (e.g. `0175`, `APIGW.0301`).
    pub error_code: Option<String>,
    /// `error_msg` from the body.
    pub error_msg: Option<String>,
    /// `X-Request-Id` of the last answer (or `request_id` from its body).
    pub request_id: Option<String>,
    /// Up to [`MAX_EXCERPT_BYTES`] of the body, printable, when it said something.
    pub body_excerpt: Option<String>,
    /// What was being done, e.g. `kill job 1234 on cluster abcd`.
    pub operation: String,
    /// Which stage failed.
    pub kind: ApiErrorKind,
    /// HTTP attempts made (0 when none was).
    pub attempts: u32,
    /// Underlying cause for non-HTTP failures (transport error, decode error, reason).
    pub cause: Option<String>,
}

impl ApiError {
    /// An error of `kind` for `operation` with no HTTP answer attached.
    pub fn new(kind: ApiErrorKind, operation: impl Into<String>, cause: impl Into<String>) -> Self {
        ApiError {
            status: None,
            error_code: None,
            error_msg: None,
            request_id: None,
            body_excerpt: None,
            operation: operation.into(),
            kind,
            attempts: 0,
            cause: Some(cause.into()),
        }
    }

    /// An error for an answer with a non-success `status` and `body`. What the server wrote
    /// (code, message, request ID, excerpt) is kept on one line, escaped and bounded.
    pub fn from_response(
        operation: impl Into<String>,
        status: u16,
        header_request_id: Option<String>,
        body: &[u8],
    ) -> Self {
        let parsed = parse_error_body(body);
        let code = |text: String| one_line_bounded(&text, MAX_CODE_BYTES);
        ApiError {
            status: Some(status),
            error_code: parsed.error_code.map(code),
            error_msg: parsed
                .error_msg
                .map(|text| one_line_bounded(&text, MAX_MESSAGE_BYTES)),
            request_id: header_request_id.or(parsed.request_id).map(code),
            body_excerpt: body_excerpt(body),
            operation: operation.into(),
            kind: ApiErrorKind::Http,
            attempts: 1,
            cause: None,
        }
    }

    /// [`ApiError::from_response`] for an answer to a request that carried `sent`: every secret
    /// the request sent is blotted out of the body first, for gateways that echo headers.
    pub fn from_answer(
        operation: impl Into<String>,
        status: u16,
        header_request_id: Option<String>,
        body: &[u8],
        sent: &SentSecrets,
    ) -> Self {
        let body = sent.scrub(&String::from_utf8_lossy(body));
        let request_id = header_request_id.map(|id| sent.scrub(&id));
        Self::from_response(operation, status, request_id, body.as_bytes())
    }

    /// True when MRS refused a kill because the job is not running (code 0175): it is being
    /// killed (an earlier kill, perhaps ours) or has ended. Only the job's state tells which.
    pub fn is_job_not_running(&self) -> bool {
        self.error_code.as_deref() == Some(CODE_JOB_NOT_RUNNING)
    }

    /// True when a kill got a success status that MRS would not have sent (see
    /// [`ApiErrorKind::NotConfirmed`]): whether the job was killed is known only from its state.
    pub fn is_unconfirmed_kill(&self) -> bool {
        self.kind == ApiErrorKind::NotConfirmed
    }

    /// True when MRS says the job does not exist (code 0176).
    pub fn is_job_not_found(&self) -> bool {
        self.error_code.as_deref() == Some(CODE_JOB_NOT_FOUND)
    }

    /// True when MRS says the cluster does not exist (code 12000003).
    pub fn is_cluster_not_found(&self) -> bool {
        self.error_code.as_deref() == Some(CODE_CLUSTER_NOT_FOUND)
    }

    /// One line: what failed and the gist of why.
    pub fn summary(&self) -> String {
        let why = match self.kind {
            ApiErrorKind::Http => {
                let mut s = self.status_text();
                if let Some(code) = &self.error_code {
                    s.push_str(&format!(", error {code}"));
                }
                if let Some(msg) = &self.error_msg {
                    s.push_str(&format!(": {msg}"));
                }
                s
            }
            ApiErrorKind::Timeout => "timed out".to_owned(),
            ApiErrorKind::Connect => "could not reach the endpoint".to_owned(),
            ApiErrorKind::Tls => "TLS refused the connection".to_owned(),
            ApiErrorKind::Deadline => match self.status {
                Some(_) => format!("deadline reached (last answer {})", self.status_text()),
                None => "deadline reached".to_owned(),
            },
            ApiErrorKind::Decode => "unexpected response".to_owned(),
            ApiErrorKind::TooLarge => "more than the provider reads".to_owned(),
            ApiErrorKind::NotConfirmed => {
                format!("{} that is not an answer from MRS", self.status_text())
            }
            ApiErrorKind::Config => self
                .cause
                .clone()
                .unwrap_or_else(|| "invalid request".into()),
        };
        format!("{} failed: {why}", self.operation)
    }

    /// Several sentences: what was tried, what came back, and what to do about it.
    pub fn detail(&self) -> String {
        let mut lines = Vec::new();
        let tries = match self.attempts {
            0 => String::new(),
            1 => " after 1 attempt".to_owned(),
            n => format!(" after {n} attempts"),
        };
        match (self.kind, self.status) {
            (ApiErrorKind::Http | ApiErrorKind::NotConfirmed, Some(_)) => {
                lines.push(format!(
                    "Could not {}: the service answered {}{tries}.",
                    self.operation,
                    self.status_text()
                ));
            }
            (ApiErrorKind::Deadline, _) => {
                let last = self
                    .status
                    .map(|_| format!(" The last answer was {}.", self.status_text()))
                    .unwrap_or_default();
                lines.push(format!(
                    "Could not {}: the operation's deadline was reached{tries} before a retry could be made.{last}",
                    self.operation
                ));
            }
            _ => lines.push(format!("Could not {}{tries}.", self.operation)),
        }
        if let Some(cause) = &self.cause {
            lines.push(format!("Cause: {cause}."));
        }
        if let Some(code) = &self.error_code {
            lines.push(format!("Error code: {code}."));
        }
        if let Some(msg) = &self.error_msg {
            lines.push(format!("Message: {msg}"));
        }
        if self.error_code.is_none() && self.error_msg.is_none() {
            if let Some(excerpt) = &self.body_excerpt {
                lines.push(format!("Response body: {excerpt}"));
            } else if self.status.is_some() {
                lines.push("The response had no body.".to_owned());
            }
        }
        if let Some(id) = &self.request_id {
            lines.push(format!(
                "Request ID: {id} (quote it if you contact Huawei Cloud support)."
            ));
        }
        if let Some(advice) = self.advice() {
            lines.push(advice.to_owned());
        }
        lines.join("\n")
    }

    /// What the user can do about the usual causes of this error, if we know.
    pub fn advice(&self) -> Option<&'static str> {
        if self.is_job_not_running() {
            return Some(
                "MRS could not terminate the job, usually because it is no longer running \
                 (it already finished, failed or was killed). Check the job's state before retrying.",
            );
        }
        if self.is_job_not_found() {
            return Some(
                "MRS has no such job on this cluster: check job_execution_id, and that cluster_id, \
                 region and project_id are those of the job.",
            );
        }
        if self.is_cluster_not_found() {
            return Some(
                "MRS has no such cluster: check cluster_id, and that region and project_id are \
                 those of the cluster.",
            );
        }
        match (self.kind, self.status) {
            (ApiErrorKind::Http | ApiErrorKind::Deadline, Some(401 | 403)) => {
                if self.mentions_time() {
                    Some(
                        "The service rejected the request's signing time. Signed requests are only \
                         accepted within 15 minutes of the server's clock: make sure this machine's \
                         clock is correct (e.g. enable NTP).",
                    )
                } else {
                    Some(
                        "Check the credentials: access_key and secret_key (HW_ACCESS_KEY, \
                         HW_SECRET_KEY) must belong together, temporary keys need their current \
                         security_token (HW_SECURITY_TOKEN), and the IAM user needs MRS permissions \
                         in this project.",
                    )
                }
            }
            (ApiErrorKind::Http, Some(404)) => Some(
                "The cluster or job was not found: check cluster_id and job_id, and that region \
                 and project_id are those of the cluster.",
            ),
            (_, Some(429)) => Some(
                "The API is throttling requests. Wait a little and run again, or lower Terraform's \
                 -parallelism.",
            ),
            (_, Some(500..=599)) => Some(
                "The service had a problem on its side. Run again later; if it persists, contact \
                 support with the request ID.",
            ),
            (ApiErrorKind::NotConfirmed, _) => Some(
                "Something other than MRS answered in its place (a proxy, a captive portal, or an \
                 endpoint that is not MRS): check the endpoint setting (HW_MRS_ENDPOINT) and the \
                 proxy variables (HTTPS_PROXY, NO_PROXY).",
            ),
            (ApiErrorKind::Tls, _) => Some(
                "This is TLS, not reachability: the endpoint answered, but its certificate was \
                 refused. Check that the endpoint is the service's own host name, and set \
                 ca_cert_file to the CA that issued its certificate if it is a private one.",
            ),
            (ApiErrorKind::Timeout, _) => Some(
                "No answer came within request_timeout (a provider setting, default 30s). If the \
                 service is only slow, raise request_timeout; otherwise check network access to \
                 the endpoint (proxy, firewall) and the region and endpoint settings.",
            ),
            (ApiErrorKind::Connect, _) => Some(
                "Check network access to the endpoint (DNS, proxy, firewall) and the region, \
                 endpoint and certificate settings.",
            ),
            (ApiErrorKind::Deadline, _) => Some(
                "The service may just be slow or busy: run again, or give the operation more time.",
            ),
            _ => None,
        }
    }

    fn status_text(&self) -> String {
        match self.status {
            Some(status) => match http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
            {
                Some(reason) => format!("HTTP {status} {reason}"),
                None => format!("HTTP {status}"),
            },
            None => "no HTTP answer".to_owned(),
        }
    }

    fn mentions_time(&self) -> bool {
        let msg = self.error_msg.as_deref().unwrap_or_default().to_lowercase();
        ["time", "date", "clock", "skew"]
            .iter()
            .any(|word| msg.contains(word))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.summary(), self.detail())
    }
}

impl std::error::Error for ApiError {}

/// What could be recovered from an error body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedErrorBody {
    /// `error_code` (or `code`).
    pub error_code: Option<String>,
    /// `error_msg` (or `message`, or an HTML page's title).
    pub error_msg: Option<String>,
    /// `request_id`, when the body carries one.
    pub request_id: Option<String>,
}

const CODE_KEYS: &[&str] = &["error_code", "errorCode", "code"];
const MESSAGE_KEYS: &[&str] = &["error_msg", "errorMsg", "error_message", "message", "msg"];
const REQUEST_ID_KEYS: &[&str] = &["request_id", "requestId"];

/// Recovers error code, message and request id from whatever the service sent: JSON in the
/// MRS, API-gateway or nested `{"error": {...}}` shapes, almost-JSON (members without commas),
/// or an HTML page. Garbage and empty bodies give an empty result, never an error.
pub fn parse_error_body(body: &[u8]) -> ParsedErrorBody {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return ParsedErrorBody::default();
    }
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) {
        let top = Value::Object(map);
        let mut parsed = from_json_object(&top);
        if let Some(inner) = top.get("error") {
            let nested = from_json_object(inner);
            parsed.error_code = parsed.error_code.or(nested.error_code);
            parsed.error_msg = parsed.error_msg.or(nested.error_msg);
            parsed.request_id = parsed.request_id.or(nested.request_id);
            if let (None, Value::String(s)) = (&parsed.error_msg, inner) {
                parsed.error_msg = Some(s.clone());
            }
        }
        return parsed;
    }
    if looks_like_html(text) {
        return ParsedErrorBody {
            error_msg: html_title(text),
            ..Default::default()
        };
    }
    ParsedErrorBody {
        error_code: scan_member(text, CODE_KEYS),
        error_msg: scan_member(text, MESSAGE_KEYS),
        request_id: scan_member(text, REQUEST_ID_KEYS),
    }
}

fn from_json_object(value: &Value) -> ParsedErrorBody {
    let pick = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| value.get(*k).and_then(scalar_text))
    };
    ParsedErrorBody {
        error_code: pick(CODE_KEYS),
        error_msg: pick(MESSAGE_KEYS),
        request_id: pick(REQUEST_ID_KEYS),
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Finds `"key" : <string or number>` anywhere in `text`, for bodies that are not valid JSON.
fn scan_member(text: &str, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| {
        let quoted = format!("\"{key}\"");
        text.match_indices(&quoted).find_map(|(at, _)| {
            let rest = text[at + quoted.len()..].trim_start();
            let rest = rest.strip_prefix(':')?.trim_start();
            let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
            match values.next() {
                Some(Ok(value)) => scalar_text(&value),
                _ => None,
            }
        })
    })
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text.chars().take(256).collect::<String>().to_lowercase();
    head.starts_with('<') && (head.contains("<html") || head.contains("<!doctype"))
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    ["title", "h1"].iter().find_map(|tag| {
        let open = lower.find(&format!("<{tag}"))?;
        let start = open + lower[open..].find('>')? + 1;
        let end = start + lower[start..].find(&format!("</{tag}"))?;
        let title = collapse_whitespace(text.get(start..end)?);
        (!title.is_empty()).then_some(title)
    })
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A printable, single-line excerpt of at most [`MAX_EXCERPT_BYTES`] bytes; binary data is
/// described instead of shown, HTML is reduced to its text, empty bodies give `None`.
pub fn body_excerpt(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let unprintable = text
        .chars()
        .filter(|c| *c == char::REPLACEMENT_CHARACTER || (c.is_control() && !c.is_whitespace()))
        .count();
    if unprintable * 10 > text.chars().count() || text.contains('\0') {
        return Some(format!("<{} bytes of binary data>", body.len()));
    }
    let text = if looks_like_html(text.trim()) {
        strip_tags(&text)
    } else {
        text.into_owned()
    };
    let text = collapse_whitespace(&text);
    if text.is_empty() {
        return None;
    }
    Some(one_line_bounded(&text, MAX_EXCERPT_BYTES))
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_BODY: &str =
        "{\n\"error_msg\": \"Failed to terminate the job.\"\n\"error_code\":\"0175\"\n}";

    #[test]
    fn seed_error_body_without_comma_yields_code_0175_and_message() {
        let parsed = parse_error_body(SEED_BODY.as_bytes());
        assert_eq!(parsed.error_code.as_deref(), Some("0175"));
        assert_eq!(
            parsed.error_msg.as_deref(),
            Some("Failed to terminate the job.")
        );
    }

    #[test]
    fn kill_with_seed_error_body_reports_code_0175() {
        let err = ApiError::from_response(
            "kill job j1 on cluster c1",
            400,
            Some("req-42".into()),
            SEED_BODY.as_bytes(),
        );
        assert!(err.is_job_not_running());
        let text = err.to_string();
        assert!(text.contains("0175"), "{text}");
        assert!(text.contains("Failed to terminate the job."), "{text}");
        assert!(text.contains("req-42"), "{text}");
        assert!(text.contains("no longer running"), "{text}");
        assert!(
            err.summary()
                .starts_with("kill job j1 on cluster c1 failed: HTTP 400")
        );
    }

    #[test]
    fn apig_error_body_yields_code_message_and_request_id() {
        let body = br#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"a1b2"}"#;
        let parsed = parse_error_body(body);
        assert_eq!(parsed.error_code.as_deref(), Some("APIGW.0301"));
        assert!(parsed.error_msg.unwrap().starts_with("Incorrect IAM"));
        assert_eq!(parsed.request_id.as_deref(), Some("a1b2"));
        let err = ApiError::from_response("show job", 401, None, body);
        assert_eq!(err.request_id.as_deref(), Some("a1b2"));
        assert!(err.detail().contains("HW_ACCESS_KEY"));
    }

    #[test]
    fn nested_error_object_yields_code_and_message() {
        let parsed = parse_error_body(
            br#"{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}"#,
        );
        assert_eq!(parsed.error_code.as_deref(), Some("401"));
        assert_eq!(
            parsed.error_msg.as_deref(),
            Some("The request you have made requires authentication.")
        );
    }

    #[test]
    fn html_error_page_gives_title_and_clean_excerpt() {
        let body = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
        let err = ApiError::from_response("list jobs", 502, None, body);
        assert_eq!(err.error_msg.as_deref(), Some("502 Bad Gateway"));
        let excerpt = err.body_excerpt.unwrap();
        assert!(!excerpt.contains('<'), "{excerpt}");
        assert!(excerpt.contains("nginx"), "{excerpt}");
    }

    #[test]
    fn empty_body_reports_status_cleanly() {
        let err = ApiError::from_response("kill job j on cluster c", 503, None, b"");
        assert_eq!(err.error_code, None);
        assert_eq!(err.body_excerpt, None);
        assert!(err.summary().contains("HTTP 503 Service Unavailable"));
        assert!(err.detail().contains("no body"));
    }

    #[test]
    fn binary_body_is_described_not_dumped() {
        let body: Vec<u8> = (0u8..=255).cycle().take(2000).collect();
        let err = ApiError::from_response("show job", 500, None, &body);
        assert_eq!(err.error_code, None);
        assert_eq!(
            err.body_excerpt.as_deref(),
            Some("<2000 bytes of binary data>")
        );
    }

    #[test]
    fn long_text_excerpt_is_capped_at_512_bytes_on_a_char_boundary() {
        let body = "é".repeat(1000);
        let excerpt = body_excerpt(body.as_bytes()).unwrap();
        assert!(excerpt.len() <= MAX_EXCERPT_BYTES);
        assert!(excerpt.ends_with('…'));
    }

    #[test]
    fn unauthorized_with_time_message_advises_clock_check() {
        let body = br#"{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: the request time is expired"}"#;
        let err = ApiError::from_response("kill job", 401, None, body);
        assert!(err.detail().contains("clock"), "{}", err.detail());
    }

    #[test]
    fn job_and_cluster_not_found_codes_name_the_id_to_check() {
        let job = ApiError::from_response(
            "show job j on cluster c",
            404,
            None,
            br#"{"error_code":"0176","error_msg":"The job does not exist."}"#,
        );
        assert!(job.is_job_not_found() && !job.is_cluster_not_found());
        assert!(
            job.detail().contains("check job_execution_id"),
            "{}",
            job.detail()
        );
        let cluster = ApiError::from_response(
            "show job j on cluster c",
            400,
            None,
            br#"{"error_code":"12000003","error_msg":"The MRS cluster does not exist."}"#,
        );
        assert!(cluster.is_cluster_not_found());
        assert!(
            cluster.detail().contains("check cluster_id"),
            "{}",
            cluster.detail()
        );
    }

    #[test]
    fn not_found_advises_checking_ids() {
        let err = ApiError::from_response("show job x on cluster y", 404, None, b"{}");
        assert!(err.detail().contains("cluster_id and job_id"));
    }
}
