//! The secrets the provider sends, so they can be blotted out of whatever a server answers.
//!
//! Some gateways echo the request's headers in an error page. Shown as it came, such a body puts
//! `X-Auth-Token`, `X-Security-Token` or the request's signature into the error, the terminal and
//! the trace log. The provider knows every secret it sent: each attempt lists its own (keys,
//! tokens, the signature, in [`SentSecrets`]), and a credential source that sends a secret in a
//! body instead of a header (an OIDC ID token, say) calls [`remember`]. [`SentSecrets::scrub`]
//! replaces all of them with `***` in server-supplied text before it goes anywhere.

use std::sync::{Mutex, PoisonError};

/// What a secret is replaced with.
pub const REDACTED: &str = "***";
/// Values shorter than this are not treated as secrets: blotting out every `ab` of a message
/// would hide more than it protects (keys, tokens and signatures are far longer).
const MIN_SECRET_LEN: usize = 8;
/// Longest-lived secrets remembered by the process; the oldest give way first.
const MAX_REMEMBERED: usize = 64;

static REMEMBERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds `secret` to the secrets scrubbed from every server answer from now on, for secrets
/// the transport cannot see in a request's headers (a token sent in a body).
pub fn remember(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut remembered = REMEMBERED.lock().unwrap_or_else(PoisonError::into_inner);
    if remembered.iter().any(|known| known == secret) {
        return;
    }
    if remembered.len() >= MAX_REMEMBERED {
        remembered.remove(0);
    }
    remembered.push(secret.to_owned());
}

/// The secrets one request carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentSecrets {
    values: Vec<String>,
}

impl SentSecrets {
    /// No secrets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `secret` (ignored when too short to be one).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() >= MIN_SECRET_LEN && !self.values.iter().any(|known| known == secret) {
            self.values.push(secret.to_owned());
        }
    }

    /// Adds what is secret in a header the request carried: the whole value of a token header,
    /// the access key and signature of an `Authorization` header.
    pub fn add_header(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        if name == "authorization" {
            for part in value.split([' ', ',']) {
                if let Some((key, secret)) = part.trim().split_once('=')
                    && matches!(key.to_ascii_lowercase().as_str(), "access" | "signature")
                {
                    self.add(secret);
                }
            }
        } else if name.contains("token") || name == "cookie" || name.contains("secret") {
            self.add(value);
        }
    }

    /// `text` with every secret of this request, and every [`remember`]ed one, replaced by
    /// [`REDACTED`], in the forms a server echoes them: as sent, and JSON-escaped.
    pub fn scrub(&self, text: &str) -> String {
        let remembered = REMEMBERED.lock().unwrap_or_else(PoisonError::into_inner);
        let mut secrets: Vec<&str> = self
            .values
            .iter()
            .chain(remembered.iter())
            .map(String::as_str)
            .collect();
        // Longest first, so a secret that contains another is blotted out whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_owned();
        for secret in secrets {
            if out.contains(secret) {
                out = out.replace(secret, REDACTED);
            }
            let json_escaped = secret.replace('/', "\\/");
            if json_escaped != secret && out.contains(&json_escaped) {
                out = out.replace(&json_escaped, REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echoed_authorization_and_tokens_are_blotted_out() {
        let mut sent = SentSecrets::new();
        let authorization = "SDK-HMAC-SHA256 Access=AKIDEXAMPLE123, SignedHeaders=host;x-sdk-date, \
                             Signature=9f2c0e1d4b6a8c7e5f3a1b2c4d6e8f0a";
        sent.add_header("Authorization", authorization);
        sent.add_header("X-Security-Token", "sts/token+with=slashes");
        sent.add_header("X-Auth-Token", "MIIZfQYJKoZIhvcNAQcCoIIZbjCCGWoCAQEx");
        sent.add_header("X-Sdk-Date", "20260101T000000Z");
        let echo = format!(
            "{{\"headers\": {{\"authorization\": \"{authorization}\", \"x-security-token\": \
             \"sts\\/token+with=slashes\", \"x-auth-token\": \"MIIZfQYJKoZIhvcNAQcCoIIZbjCCGWoCAQEx\", \
             \"x-sdk-date\": \"20260101T000000Z\"}}}}"
        );
        let scrubbed = sent.scrub(&echo);
        for secret in [
            "AKIDEXAMPLE123",
            "9f2c0e1d4b6a8c7e5f3a1b2c4d6e8f0a",
            "sts\\/token",
            "MIIZfQYJ",
        ] {
            assert!(!scrubbed.contains(secret), "{secret} in {scrubbed}");
        }
        assert!(scrubbed.contains("Signature=***"), "{scrubbed}");
        assert!(
            scrubbed.contains("20260101T000000Z"),
            "the date is no secret"
        );
    }

    #[test]
    fn remembered_secrets_are_scrubbed_from_every_answer_and_short_values_are_not_secrets() {
        remember("oidc-id-token-eyJhbGciOiJSUzI1NiJ9");
        let sent = SentSecrets::new();
        assert_eq!(
            sent.scrub("token oidc-id-token-eyJhbGciOiJSUzI1NiJ9 refused"),
            "token *** refused"
        );
        let mut short = SentSecrets::new();
        short.add("abc");
        assert_eq!(short.scrub("abc abc"), "abc abc");
    }
}
