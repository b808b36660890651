//! The shapes of the emulator's answers: plain bodies, JSON, and the error bodies of each party
//! that can refuse a request (the API gateway, MRS, IAM, the admin routes).
//!
//! A client must tell these apart (an APIG 401 is not an MRS 0175), so each shape is written in
//! one place and every handler and the router use it from here.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::{Value, json};

/// What every handler and the router answer with.
pub(crate) type Answer = Response<Full<Bytes>>;

/// Content type of every JSON answer, as Huawei Cloud writes it.
pub(crate) const JSON: &str = "application/json;charset=UTF-8";

/// An answer with `status`, an optional content type and `body` as is.
pub(crate) fn response(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Answer {
    response(status, Some(JSON), value.to_string())
}

/// An error as the API gateway words it.
pub(crate) fn apig_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Answer {
    json_response(
        status,
        &json!({"error_code": code, "error_msg": message, "request_id": request_id}),
    )
}

/// An error as the MRS service words it.
pub(crate) fn mrs_error(status: StatusCode, code: &str, message: &str) -> Answer {
    json_response(status, &json!({"error_code": code, "error_msg": message}))
}

/// An error in IAM's v3 shape: `{"error": {"code", "title", "message"}}`.
pub(crate) fn iam_error(status: StatusCode, message: &str) -> Answer {
    json_response(
        status,
        &json!({"error": {
            "code": status.as_u16(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "message": message,
        }}),
    )
}

/// An error of the emulator's own admin routes: `{"error": message}`.
pub(crate) fn admin_error(status: StatusCode, message: &str) -> Answer {
    json_response(status, &json!({"error": message}))
}
