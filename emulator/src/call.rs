//! What a handler is given: one request that passed the gateway, with the parameters its route
//! pattern captured, and the emulator's state.
//!
//! The route table names handlers and the router calls them, so the handler's signature lives
//! here, below both, and handlers need nothing from either.

use bytes::Bytes;
use http::HeaderMap;
use http::request::Parts;

use crate::responses::Answer;
use crate::shared::Shared;

/// A handler: one row of the route table points at one of these.
pub(crate) type Handler = fn(&Call<'_>) -> Answer;

/// The `{name}` segments of a route pattern, percent-decoded, in pattern order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PathParams(pub(crate) Vec<(&'static str, String)>);

impl PathParams {
    /// The value captured for `{name}`; empty if the pattern has no such segment.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// One request as a handler sees it.
pub(crate) struct Call<'a> {
    /// The emulator's state.
    pub(crate) shared: &'a Shared,
    /// Method, URI and headers as received.
    pub(crate) parts: &'a Parts,
    /// The whole body (already bounded by the router).
    pub(crate) body: &'a Bytes,
    /// What the route pattern captured.
    pub(crate) params: &'a PathParams,
    /// False when a `drop_after` fault will lose the answer: the work is done, nobody hears of it.
    pub(crate) answer_delivered: bool,
}

impl Call<'_> {
    /// The path parameter `{name}` (see [`PathParams::get`]).
    pub(crate) fn param(&self, name: &str) -> &str {
        self.params.get(name)
    }

    /// The request headers.
    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The first query parameter called `name`, percent-decoded (`""` for a bare `name`).
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        query_param(self.parts.uri.query(), name)
    }
}

/// A path segment or query part, percent-decoded (invalid UTF-8 replaced, never refused).
pub(crate) fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The first parameter called `name` in a raw query string, percent-decoded.
pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|piece| piece.split_once('=').or(Some((piece, ""))))
        .find(|(key, _)| decode_segment(key) == name)
        .map(|(_, value)| decode_segment(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_decodes_name_and_value() {
        assert_eq!(
            query_param(Some("a=1&name=cn%2Dnorth-4"), "name").as_deref(),
            Some("cn-north-4")
        );
        assert_eq!(query_param(Some("flag"), "flag").as_deref(), Some(""));
        assert_eq!(query_param(None, "name"), None);
    }
}
