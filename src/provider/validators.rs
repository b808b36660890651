//! Checks on the identifiers and settings users write, shared by every resource, data source and
//! action, so each rejects the same values with the same words — before any request is made.

use crate::mrs::config::SigningAlgorithm;

/// MRS cluster, job and project IDs: 1–64 of `A–Z a–z 0–9 - _` (in practice UUIDs, with or
/// without dashes). Anything else could change the request path, so it never leaves the provider.
pub fn validate_id(text: &str) -> Result<(), String> {
    let length = text.chars().count();
    if length == 0 {
        return Err(
            "The ID is empty. Copy the ID from the MRS console or API (usually a UUID).".into(),
        );
    }
    if length > 64 {
        return Err(format!(
            "The ID is {length} characters long; MRS IDs are at most 64 characters (usually a UUID)."
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "The ID {text:?} contains {bad:?}. MRS IDs use only letters, digits, '-' and '_' (usually a UUID)."
        ));
    }
    Ok(())
}

/// The longest filter value (`job_name`, `user`, `job_type`, `queue`), in characters. MRS job
/// names are at most 128 characters; the bound leaves room and keeps a pasted file out of a URL.
pub const MAX_FILTER_CHARS: usize = 256;

/// A filter of a listing (`job_name`, `user`, `job_type`, `queue`): 1–256 characters, no control
/// characters. An empty string would match every job, so quieting a whole cluster would be one
/// empty variable away: leave the attribute out (null) to mean "no filter".
pub fn validate_filter(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err(
            "The filter is empty, which would match every job. Leave the attribute out (or set \
             it to null) for no filter."
                .into(),
        );
    }
    let length = text.chars().count();
    if length > MAX_FILTER_CHARS {
        return Err(format!(
            "The filter is {length} characters long; at most {MAX_FILTER_CHARS} are accepted."
        ));
    }
    if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(format!(
            "The filter has the control character {c:?} at position {}; write it on one line, \
             without tabs or escape characters.",
            at + 1
        ));
    }
    Ok(())
}

/// Region names such as `cn-north-4` or `ap-southeast-1`.
pub fn validate_region(text: &str) -> Result<(), String> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a region name. Write a Huawei Cloud region such as \"cn-north-4\" (lowercase letters, digits and '-')."
        ))
    }
}

/// A domain suffix such as `myhuaweicloud.com`.
pub fn validate_cloud(text: &str) -> Result<(), String> {
    let valid = !text.is_empty()
        && text.len() <= 253
        && !text.starts_with('.')
        && !text.ends_with('.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not a domain name. Write a domain suffix such as \"myhuaweicloud.com\"."
        ))
    }
}

/// An endpoint URL: `https://host[:port][/path]`, or `http://` for a local emulator.
pub fn validate_endpoint(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host_str().is_some() => {
            if url.query().is_some() || url.fragment().is_some() {
                Err(format!(
                    "{text:?} has a query or fragment; write only the scheme, host, port and path."
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "{text:?} is not an endpoint URL. Write it as https://host[:port], for example \"https://mrs.cn-north-4.myhuaweicloud.com\"."
        )),
    }
}

/// Credentials (keys and tokens), which travel in HTTP headers: printable ASCII only. The message
/// never repeats the value, which is secret.
pub fn validate_credential(text: &str) -> Result<(), String> {
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_graphic() || *c == ' '))
    {
        Some((at, c)) if c.is_control() => Err(format!(
            "The value has a control character at position {}; credentials are printable ASCII. \
             Check for a stray newline or tab copied with the key.",
            at + 1
        )),
        Some((at, _)) => Err(format!(
            "The value has a non-ASCII character at position {}; credentials are printable ASCII.",
            at + 1
        )),
        None => Ok(()),
    }
}

/// `ca_cert_file`: a PEM file with at least one certificate, found at plan rather than by the
/// first request. `Err` is the whole detail of the error.
pub fn validate_ca_cert_file(path: &str) -> Result<(), String> {
    crate::mrs::check_ca_file(std::path::Path::new(path)).map_err(|e| {
        format!(
            "{e}. ca_cert_file must name a PEM file with one or more \"BEGIN CERTIFICATE\" \
             blocks; they are trusted in addition to the system's CAs."
        )
    })
}

/// `signing_algorithm`: the two HMAC algorithms; the huaweicloud provider's ECDSA ones are
/// refused with a word on why.
pub fn validate_signing_algorithm(text: &str) -> Result<(), String> {
    parse_signing_algorithm(text).map(|_| ())
}

/// The algorithm a `signing_algorithm` value names, or why it names none we sign with.
pub fn parse_signing_algorithm(text: &str) -> Result<SigningAlgorithm, String> {
    if let Some(algorithm) = SigningAlgorithm::from_setting(text) {
        return Ok(algorithm);
    }
    match text {
        "EcdsaP256SHA256" | "SM2SM3" => Err(format!(
            "{text} is not supported yet by the mrs provider: it signs with an elliptic-curve key derived from the secret key, \
             which this provider does not implement. Use HmacSHA256 (the default) or HmacSM3."
        )),
        _ => {
            let shown: String = text.chars().take(64).collect();
            let more = if shown.len() < text.len() { "…" } else { "" };
            Err(format!(
                "{:?} is not a signing algorithm. Use {} (exact case).",
                format!("{shown}{more}"),
                SigningAlgorithm::SETTING_NAMES.join(" or ")
            ))
        }
    }
}

/// Longest agency name, account name or ID, or identity provider ID accepted (IAM's own limit
/// for agency and identity provider names is 64).
pub const AGENCY_FIELD_MAX_CHARS: usize = 64;

/// `agency_name`, `domain_name`, `domain_id`, `idp_id`: 1 to 64 characters, no control
/// characters, no surrounding white space.
pub fn validate_agency_field(text: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err("The value is empty.".to_owned());
    }
    if chars > AGENCY_FIELD_MAX_CHARS {
        return Err(format!(
            "The value is {chars} characters long; IAM names and IDs are at most {AGENCY_FIELD_MAX_CHARS}."
        ));
    }
    if let Some(at) = text.chars().position(char::is_control) {
        return Err(format!(
            "The value has a control character at position {}; check for a stray newline or tab.",
            at + 1
        ));
    }
    if text.trim() != text {
        return Err("The value has white space at its start or end.".to_owned());
    }
    Ok(())
}

/// `id_token_file`: a path on one line (a stray newline is the usual copy-and-paste slip).
pub fn validate_path(text: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) {
        return Err("The path has a control character; check for a stray newline.".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_uuids_and_reject_path_characters() {
        assert!(validate_id("2f6d1b2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b").is_ok());
        assert!(validate_id("job_1").is_ok());
        for bad in [
            "",
            "a/b",
            "..",
            "a?b",
            "a#b",
            "a%2F",
            "a b",
            "é",
            "a\nb",
            &"x".repeat(65),
        ] {
            assert!(validate_id(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn filters_refuse_empty_oversized_and_control_text() {
        assert!(validate_filter("etl-nightly").is_ok());
        assert!(validate_filter(&"作".repeat(MAX_FILTER_CHARS)).is_ok());
        for bad in [
            "",
            "   ",
            "a\nb",
            "\u{1b}[2J",
            &"x".repeat(MAX_FILTER_CHARS + 1),
            &"x".repeat(1024 * 1024),
        ] {
            let err = validate_filter(bad).expect_err("refused");
            assert!(
                err.len() < 300,
                "the message does not repeat the value: {err}"
            );
        }
        assert!(validate_filter("").unwrap_err().contains("null"));
    }

    #[test]
    fn regions_clouds_and_endpoints() {
        assert!(validate_region("cn-north-4").is_ok());
        assert!(validate_region("CN North").is_err());
        assert!(validate_cloud("myhuaweicloud.com").is_ok());
        assert!(validate_cloud("evil.com/").is_err());
        assert!(validate_endpoint("https://mrs.example.com").is_ok());
        assert!(validate_endpoint("http://127.0.0.1:8080/").is_ok());
        assert!(validate_endpoint("ftp://x").is_err());
        assert!(validate_endpoint("https://x?y=1").is_err());
        assert!(validate_endpoint("not a url").is_err());
    }

    #[test]
    fn provider_block_checks_refuse_what_cannot_be_used() {
        assert!(validate_signing_algorithm("HmacSHA256").is_ok());
        assert!(validate_signing_algorithm("HmacSM3").is_ok());
        assert!(
            validate_signing_algorithm("SM2SM3")
                .unwrap_err()
                .contains("not supported yet")
        );
        let long = "x".repeat(10_000);
        let err = validate_signing_algorithm(&long).unwrap_err();
        assert!(err.len() < 300, "the message quotes a bounded part: {err}");
        assert!(validate_path("/run/token").is_ok());
        assert!(validate_path("/run/token\n").is_err());
        let err = validate_ca_cert_file("/nonexistent/ca.pem").unwrap_err();
        assert!(
            err.contains("/nonexistent/ca.pem") && err.contains("ca_cert_file"),
            "{err}"
        );
    }
}
