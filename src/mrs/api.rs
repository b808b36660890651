//! The one generic way an [`Endpoint`] is called: its path filled in from checked arguments, its
//! request handed to the transport, its answer read as the endpoint's response type.
//!
//! Every operation of [`operations`](super::operations) goes through [`Api::call`], so the
//! checks on IDs, the percent-encoding of path segments and the `X-Project-Id` header are
//! written once.

use std::time::Instant;

use url::Url;

use super::error::{ApiError, ApiErrorKind};
use super::operations::{Endpoint, Response, Service};
use super::signer;
use super::transport::{Call, Transport};

/// The arguments of one call: the values its templates name, its query and its body.
#[derive(Default)]
pub(super) struct Args<'a> {
    /// `(name, value)` for each `{name}` of the endpoint's path and operation text.
    pub(super) values: Vec<(&'static str, &'a str)>,
    /// Query parameters, in order.
    pub(super) query: Vec<(&'a str, &'a str)>,
    /// JSON body, if the call sends one.
    pub(super) body: Option<Vec<u8>>,
}

impl<'a> Args<'a> {
    /// Arguments naming `values`, without query or body.
    pub(super) fn values(values: &[(&'static str, &'a str)]) -> Self {
        Self {
            values: values.to_vec(),
            ..Self::default()
        }
    }

    fn value(&self, name: &str) -> Option<&'a str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// The base URLs of MRS and IAM and the transport that reaches them.
pub(super) struct Api {
    mrs_base: Url,
    iam_base: Url,
    transport: Transport,
}

impl Api {
    /// Calls at `mrs_base` and `iam_base` through `transport`.
    pub(super) fn new(mrs_base: Url, iam_base: Url, transport: Transport) -> Self {
        Self {
            mrs_base,
            iam_base,
            transport,
        }
    }

    /// MRS's base URL.
    pub(super) fn mrs_base(&self) -> &Url {
        &self.mrs_base
    }

    /// IAM's base URL.
    pub(super) fn iam_base(&self) -> &Url {
        &self.iam_base
    }

    /// Carries out `endpoint` with `args`, retrying as it allows until `deadline`.
    pub(super) async fn call<R: Response>(
        &self,
        endpoint: &Endpoint<R>,
        args: Args<'_>,
        deadline: Instant,
    ) -> Result<R, ApiError> {
        let operation = fill(endpoint.operation, &args);
        let mut segments = Vec::new();
        for part in endpoint.path.split('/').filter(|p| !p.is_empty()) {
            let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
                segments.push(part);
                continue;
            };
            let Some(value) = args.value(name) else {
                return Err(ApiError::new(
                    ApiErrorKind::Config,
                    &operation,
                    format!("{name} is missing"),
                ));
            };
            if let Some(problem) = id_problem(value) {
                return Err(ApiError::new(
                    ApiErrorKind::Config,
                    &operation,
                    format!("{name} {value:?} {problem}"),
                ));
            }
            segments.push(value);
        }
        let base = match endpoint.service {
            Service::Mrs => &self.mrs_base,
            Service::Iam => &self.iam_base,
        };
        let project_id = match endpoint.service {
            Service::Mrs => args.value("project_id").map(str::to_owned),
            Service::Iam => None,
        };
        let call = Call {
            url: join_url(base, &segments, &args.query),
            operation,
            method: endpoint.method.clone(),
            project_id,
            body: args.body,
            retry_on: endpoint.retry_on,
        };
        let answer = self.transport.execute(&call, deadline).await?;
        R::read(&call.operation, &answer).map_err(|refused| *refused)
    }
}

/// `template` with each `{name}` replaced by its argument (left as it is when there is none),
/// in one pass: a value that itself holds `{...}` is not expanded again.
fn fill(template: &str, args: &Args<'_>) -> String {
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.value(name) {
                    Some(value) => text.push_str(value),
                    None => {
                        text.push('{');
                        text.push_str(name);
                        text.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                text.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    text.push_str(rest);
    text
}

/// Why `value` cannot be a path segment, if it cannot: IDs must be non-empty and not `.`/`..`
/// (those cannot be made to stay one segment), and hold no control characters.
fn id_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if matches!(value, "." | "..") {
        Some("cannot be \".\" or \"..\"")
    } else if value.chars().any(char::is_control) {
        Some("contains control characters")
    } else {
        None
    }
}

/// `base` + percent-encoded `segments` + encoded `query`. Each segment is encoded whole, so a
/// `/` in an ID becomes `%2F` and cannot change the path.
fn join_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut path = base.path().trim_end_matches('/').to_owned();
    for segment in segments {
        path.push('/');
        path.push_str(&signer::encode_component(segment));
    }
    let mut url = base.clone();
    url.set_path(&path);
    if query.is_empty() {
        url.set_query(None);
    } else {
        let q = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    signer::encode_component(k),
                    signer::encode_component(v)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        url.set_query(Some(&q));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_text_is_filled_in_one_pass() {
        let args = Args::values(&[("job_name", "{cluster_id}"), ("cluster_id", "c1")]);
        assert_eq!(
            fill("submit job {job_name} on cluster {cluster_id}", &args),
            "submit job {cluster_id} on cluster c1"
        );
        assert_eq!(
            fill("no {value} here {", &Args::default()),
            "no {value} here {"
        );
    }

    #[test]
    fn a_path_segment_cannot_be_empty_dot_dot_or_hold_control_characters() {
        assert_eq!(id_problem(""), Some("is empty"));
        assert_eq!(id_problem(".."), Some("cannot be \".\" or \"..\""));
        assert_eq!(id_problem("a\u{1b}b"), Some("contains control characters"));
        assert_eq!(
            id_problem("a/b"),
            None,
            "encoded whole, so it stays one segment"
        );
        let url = join_url(
            &Url::parse("https://mrs.example.com/prefix/").unwrap(),
            &["v2", "a/b", "作业"],
            &[("name", "x y")],
        );
        assert_eq!(
            url.as_str(),
            "https://mrs.example.com/prefix/v2/a%2Fb/%E4%BD%9C%E4%B8%9A?name=x%20y"
        );
    }
}
