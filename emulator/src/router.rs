//! The way every request travels: matched against the route table, counted, read (bounded), then
//! through the same steps a real request meets at Huawei Cloud (the API gateway's throttling,
//! its bad days as injected faults, authentication, the MRS project checks), then handed to the
//! row's handler.
//!
//! All of these steps are decided by the matched row (`route_table.rs`), never by a handler, so
//! a handler only does its service's work.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use tokio_util::sync::CancellationToken;

use crate::auth::{
    AuthError, AuthPolicy, Identity, RequestParts, authenticate, check_project_header,
};
use crate::call::{Call, PathParams};
use crate::faults::FaultStep;
use crate::responses::{Answer, JSON, apig_error, response};
use crate::route_names::Route;
use crate::route_table::{self, Auth, RouteRow, Service};
use crate::shared::Shared;

/// Largest request body the emulator reads (the gateway's limit is of the same order).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Handles one HTTP request. `drop_connection` closes the client's TCP connection when cancelled.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    drop_connection: CancellationToken,
    request: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let request_id = new_request_id();
    let (parts, body) = request.into_parts();
    let matched = route_table::find(&parts.method, parts.uri.path())
        .filter(|(row, _)| row.service.served(&shared.config));
    let counted = matched
        .as_ref()
        .is_none_or(|(row, _)| row.service != Service::Admin);
    if counted {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let name = matched.as_ref().and_then(|(row, _)| row.name);
        shared.stats.request(name, host);
    }
    let mut response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
            let body = collected.to_bytes();
            match matched {
                None => apig_error(
                    StatusCode::NOT_FOUND,
                    "APIGW.0101",
                    "The API does not exist or has not been published in the environment.",
                    &request_id,
                ),
                Some((row, params)) => {
                    let request = MatchedRequest {
                        shared: &shared,
                        row,
                        params: &params,
                        parts: &parts,
                        body: &body,
                        request_id: &request_id,
                    };
                    match row.name {
                        // Admin rows have no name: no gateway stands in front of them.
                        None => request.handle(true),
                        Some(name) => request.through_gateway(name, &drop_connection).await,
                    }
                }
            }
        }
        Err(_) => apig_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "APIGW.0201",
            "Request entity too large (or the body could not be read).",
            &request_id,
        ),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    if counted {
        shared.stats.response(response.status().as_u16());
    }
    Ok(response)
}

/// One matched request, read in full, on its way to the handler.
struct MatchedRequest<'a> {
    shared: &'a Shared,
    row: &'static RouteRow,
    params: &'a PathParams,
    parts: &'a Parts,
    body: &'a Bytes,
    request_id: &'a str,
}

impl MatchedRequest<'_> {
    /// The gateway's throttling, then latency and the next fault of the route, then (if the fault
    /// allows) authentication and the handler.
    async fn through_gateway(&self, name: Route, drop_connection: &CancellationToken) -> Answer {
        let shared = self.shared;
        if let Some(throttled) = self.throttle() {
            return throttled;
        }
        let (latency, fault) = {
            let mut faults = shared.lock_faults();
            (faults.latency(), faults.next_fault(name))
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if let Some(step) = fault {
            shared.stats.fault_injected();
            let status =
                |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            match step {
                FaultStep::Status {
                    status: code,
                    retry_after,
                    body,
                } => {
                    let mut resp = match body {
                        Some(body) => response(status(code), Some(JSON), body),
                        None => apig_error(
                            status(code),
                            &format!("EMULATOR.{code}"),
                            &format!("Fault injected by the MRS emulator: HTTP {code}."),
                            self.request_id,
                        ),
                    };
                    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                        resp.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                    return resp;
                }
                FaultStep::Drop => {
                    shared.stats.connection_dropped();
                    drop_connection.cancel();
                    // The connection task drops this future together with the connection.
                    std::future::pending::<()>().await;
                }
                FaultStep::DropAfter => {
                    let _carried_out = self.authenticated(name, false);
                    shared.stats.answer_dropped_after_handling();
                    drop_connection.cancel();
                    return std::future::pending().await;
                }
                FaultStep::Delay(delay) => tokio::time::sleep(delay).await,
                FaultStep::Hang => {
                    shared.shutdown.cancelled().await;
                    return apig_error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "EMULATOR.SHUTDOWN",
                        "The emulator is shutting down.",
                        self.request_id,
                    );
                }
                FaultStep::HugeBody {
                    status: code,
                    bytes,
                } => {
                    return response(status(code), Some(JSON), vec![b' '; bytes]);
                }
                FaultStep::Garbage { status: code } => {
                    return response(
                        status(code),
                        Some(JSON),
                        Bytes::from_static(b"<html>\x00\xff\xfe not json {{{"),
                    );
                }
            }
        }
        self.authenticated(name, true)
    }

    /// 429 `APIGW.0308` when the row's service is throttled and its bucket is empty.
    fn throttle(&self) -> Option<Answer> {
        let limiter = self.shared.rate_limiter.as_ref()?;
        let bucket = match self.row.service {
            Service::Mrs => self.params.get("project_id"),
            Service::Iam | Service::Sts => "iam",
            // The instance's metadata service is not behind the API gateway.
            Service::Metadata | Service::Admin => return None,
        };
        if limiter.try_acquire(bucket, Instant::now()) {
            return None;
        }
        self.shared.stats.throttled();
        Some(apig_error(
            StatusCode::TOO_MANY_REQUESTS,
            "APIGW.0308",
            &format!(
                "The throttling threshold has been reached: policy user over ratelimit, limit:{}, time:1 second",
                limiter.rate()
            ),
            self.request_id,
        ))
    }

    /// Authenticates as the row says, checks the MRS project, then handles the call.
    /// `answer_delivered` is false when a `drop_after` fault will lose the answer.
    fn authenticated(&self, name: Route, answer_delivered: bool) -> Answer {
        let gateway = match self.row.auth {
            Auth::Open => false,
            Auth::Gateway => true,
            Auth::GatewayUnless(service_checks_itself) => {
                !service_checks_itself(&self.parts.headers, self.body)
            }
        };
        let refused_by_gateway = if gateway {
            self.authentication_refusal(name)
        } else {
            None
        };
        let refusal = refused_by_gateway.or_else(|| match self.row.service {
            Service::Mrs => self.project_refusal(),
            _ => None,
        });
        if let Some(refused) = refusal {
            return refused;
        }
        self.handle(answer_delivered)
    }

    fn request_parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: self.parts.method.as_str(),
            path: self.parts.uri.path(),
            query: self.parts.uri.query(),
            headers: &self.parts.headers,
            body: self.body,
        }
    }

    /// The gateway's AK/SK or token check, with its counters: `None` when it lets the request in.
    fn authentication_refusal(&self, name: Route) -> Option<Answer> {
        let shared = self.shared;
        let config = &shared.config;
        let policy = AuthPolicy {
            credentials: &config.credentials,
            security_tokens: config.security_tokens.as_deref(),
            auth_tokens: &config.auth_tokens,
            temporary: &shared.issued,
            max_clock_skew: config.max_clock_skew,
        };
        match authenticate(&self.request_parts(), &policy, shared.now()) {
            Ok(identity) => {
                shared.keyless.note_signature(&self.parts.headers);
                if matches!(
                    identity,
                    Identity::AccessKey {
                        temporary: true,
                        ..
                    }
                ) {
                    shared.stats.signed_with_temporary_credentials(name);
                }
                None
            }
            Err(err) => {
                if err.is_token_failure() {
                    shared.stats.rejected_token();
                } else {
                    shared.stats.rejected_signature();
                }
                if matches!(err, AuthError::SecurityTokenExpired { .. }) {
                    shared.stats.rejected_expired_credentials();
                }
                Some(apig_error(
                    StatusCode::UNAUTHORIZED,
                    err.code(),
                    &format!("Incorrect IAM authentication information: {err}"),
                    self.request_id,
                ))
            }
        }
    }

    /// An MRS path's project must match any `X-Project-Id` and be the emulator's project:
    /// `None` when it does.
    fn project_refusal(&self) -> Option<Answer> {
        let config = &self.shared.config;
        let project_id = self.params.get("project_id");
        if let Err(err) = check_project_header(&self.request_parts(), project_id) {
            self.shared.stats.rejected_signature();
            return Some(apig_error(
                StatusCode::UNAUTHORIZED,
                err.code(),
                &format!("Incorrect IAM authentication information: {err}"),
                self.request_id,
            ));
        }
        if project_id != config.project_id {
            return Some(apig_error(
                StatusCode::FORBIDDEN,
                "APIGW.0302",
                &format!(
                    "The IAM user is not authorized to access the API: project {project_id} is not this \
                     account's project in {} (the emulator serves project {})",
                    config.region, config.project_id
                ),
                self.request_id,
            ));
        }
        None
    }

    fn handle(&self, answer_delivered: bool) -> Answer {
        (self.row.handler)(&Call {
            shared: self.shared,
            parts: self.parts,
            body: self.body,
            params: self.params,
            answer_delivered,
        })
    }
}
