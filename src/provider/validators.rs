//! Checks on the identifiers and settings users write, shared by every resource, data source and
//! action, so each rejects the same values with the same words — before any request is made.

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
}
