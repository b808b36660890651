//! The hash and HMAC behind an AK/SK signature: `SDK-HMAC-SHA256`, or `SDK-HMAC-SM3` (the
//! official SDK's `SM3Signer`: SM3 wherever SHA-256 was, and `X-Sdk-Content-Sm3` as the content
//! header). [`super::auth`] asks this module which algorithm an `Authorization` header names and
//! leaves the rest of the verification (canonical form, headers, clock, keys) to itself.
//!
//! Written from the algorithm, sharing no code with the provider's signer; the RustCrypto `sm3`
//! crate supplies the hash.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use sm3::Sm3;

/// A signing algorithm the gateway accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// `SDK-HMAC-SHA256`.
    HmacSha256,
    /// `SDK-HMAC-SM3`.
    HmacSm3,
}

impl Algorithm {
    /// The algorithm of an `Authorization` header's first word, if the emulator knows it.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "SDK-HMAC-SHA256" => Some(Self::HmacSha256),
            "SDK-HMAC-SM3" => Some(Self::HmacSm3),
            _ => None,
        }
    }

    /// The header's first word and the string to sign's first line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "SDK-HMAC-SHA256",
            Self::HmacSm3 => "SDK-HMAC-SM3",
        }
    }

    /// Lower-case name of the header whose value replaces the body hash (`UNSIGNED-PAYLOAD`).
    pub(crate) fn content_header(self) -> &'static str {
        match self {
            Self::HmacSha256 => "x-sdk-content-sha256",
            Self::HmacSm3 => "x-sdk-content-sm3",
        }
    }

    /// `hex(hash(data))`.
    pub(crate) fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Self::HmacSha256 => hex::encode(Sha256::digest(data)),
            Self::HmacSm3 => hex::encode(Sm3::digest(data)),
        }
    }

    /// Whether `signature` is `HMAC(key, message)`, compared in constant time.
    pub(crate) fn verify(self, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + KeyInit>(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
            let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
                return false;
            };
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        match self {
            Self::HmacSha256 => check::<Hmac<Sha256>>(key, message, signature),
            Self::HmacSm3 => check::<Hmac<Sm3>>(key, message, signature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_of_the_empty_string_and_of_abc_are_the_standards() {
        // GM/T 0004-2012, example 1 ("abc"), and the empty-body hash of REFERENCE.md §11.
        assert_eq!(
            Algorithm::HmacSm3.hash_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            Algorithm::HmacSm3.hash_hex(b""),
            "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
        );
    }

    /// tests/data/signing_vectors_sm3.json, made by the official SDK's `SM3Signer`
    /// (tests/data/gen_signing_vectors.py sm3), is accepted by the gateway's verifier.
    #[test]
    fn official_sdk_sm3_vectors_are_accepted_and_a_changed_byte_is_not() {
        use crate::auth::{AuthPolicy, RequestParts, verify_signature};
        use crate::iam::IssuedCredentials;
        use http::{HeaderMap, HeaderName, HeaderValue};

        #[derive(serde::Deserialize)]
        struct Vector {
            name: String,
            method: String,
            url: String,
            headers: std::collections::BTreeMap<String, String>,
            body: String,
            sdk_date: String,
            ak: String,
            sk: String,
            signed_headers: String,
            authorization: String,
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/signing_vectors_sm3.json"
        );
        let vectors: Vec<Vector> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert!(vectors.len() >= 20);
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        for v in &vectors {
            let (_, rest) = v.url.split_once("://").unwrap();
            let (host, target) = rest
                .find('/')
                .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
            let (path, query) = match target.split_once('?') {
                Some((path, query)) => (path, Some(query)),
                None => (target, None),
            };
            let mut headers = HeaderMap::new();
            let mut put = |name: &str, value: &str| {
                headers.insert(
                    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            };
            for (name, value) in &v.headers {
                put(name, value);
            }
            put("host", host);
            put("x-sdk-date", &v.sdk_date);
            put("authorization", &v.authorization);
            if v.signed_headers
                .split(';')
                .any(|h| h == "x-sdk-content-sm3")
            {
                put("x-sdk-content-sm3", "UNSIGNED-PAYLOAD");
            }
            let credentials = [(v.ak.clone(), v.sk.clone())];
            let issued = IssuedCredentials::default();
            let policy = AuthPolicy {
                credentials: &credentials,
                security_tokens: None,
                auth_tokens: &[],
                temporary: &issued,
                max_clock_skew: std::time::Duration::from_secs(900),
            };
            let now = time::PrimitiveDateTime::parse(&v.sdk_date, format)
                .unwrap()
                .assume_utc();
            let req = RequestParts {
                method: &v.method,
                path,
                query,
                headers: &headers,
                body: v.body.as_bytes(),
            };
            assert!(verify_signature(&req, &policy, now).is_ok(), "{}", v.name);
            if v.signed_headers.contains("x-sdk-content-sm3") {
                continue; // UNSIGNED-PAYLOAD: the body is not signed, by design.
            }
            let changed = format!("{}x", v.body);
            let tampered = RequestParts {
                body: changed.as_bytes(),
                ..req
            };
            assert!(
                verify_signature(&tampered, &policy, now).is_err(),
                "{}: a changed body still verifies",
                v.name
            );
        }
    }
}
