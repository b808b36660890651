//! The credential part of the provider block: which source signs the requests (the huaweicloud
//! provider's order, the first configured source winning), KooCLI profiles,
//! `assume_role_with_oidc`, chains of `assume_role` blocks, `signing_algorithm`, the ECS
//! metadata fallback, and fetching temporary keys at configure time so that problems show in
//! `plan`.

use crate::framework::{Attr, Attribute, Config, Diagnostics, Schema};
use crate::mrs::config::SigningAlgorithm;
use crate::mrs::credentials::shared_config::{self, ProfileSettings};
use crate::mrs::credentials::{
    AgencyDomain, AssumeRole, DEFAULT_ASSUME_ROLE_DURATION_S, DEFAULT_METADATA_ENDPOINT, IdToken,
    OidcRole, metadata_url,
};
use crate::mrs::{ClientConfig, Credentials, TemporaryCredentials};
use crate::tfvalue::{AttributePath, Value};

use super::validators::validate_credential;

/// Environment variable pointing the ECS metadata lookup elsewhere. Meant for tests only: the
/// test suite points it at a closed loopback port so that no test reaches 169.254.169.254.
pub const METADATA_ENDPOINT_ENV: &str = "HW_METADATA_ENDPOINT";

/// Largest and smallest agency key lifetime IAM grants, in seconds.
const ASSUME_ROLE_DURATION_RANGE: std::ops::RangeInclusive<i64> = 900..=86_400;

/// Credentials that must be fetched before the first request (at configure, so that a problem
/// shows up in `plan`), then the agencies of `assume_role` assumed in order, each with the keys
/// of the one before (the huaweicloud provider's `buildClientByAgencyChain`).
#[derive(Debug)]
pub(super) struct TemporarySource {
    pub(super) base: TemporaryBase,
    pub(super) chain: Vec<ChainLink>,
}

/// One agency of the chain and where its block is, for errors.
#[derive(Debug)]
pub(super) struct ChainLink {
    pub(super) role: AssumeRole,
    pub(super) at: AttributePath,
}

/// Where the keys the chain starts from come from.
#[derive(Debug)]
pub(super) enum TemporaryBase {
    /// Keys or a token configured as they are (`config.credentials`).
    Configured,
    /// Nothing was configured: ECS metadata is the base, the last place to look;
    /// `looked_at` lists the places before it, for the error when it has no keys either.
    Metadata {
        endpoint: url::Url,
        looked_at: String,
    },
    /// `assume_role_with_oidc`: a CI job's ID token traded for an agency's keys.
    Oidc(OidcRole),
}

/// Fetches the keys `temporary` describes and puts them into `config`; false (with one error
/// diagnostic) when they cannot be had.
pub(super) async fn fetch_temporary_credentials(
    config: &mut ClientConfig,
    temporary: TemporarySource,
    diags: &mut Diagnostics,
) -> bool {
    let deadline = std::time::Instant::now() + config.request_timeout;
    let mut current = match temporary.base {
        TemporaryBase::Configured => config.credentials.clone(),
        TemporaryBase::Metadata {
            endpoint,
            looked_at,
        } => {
            let metadata = match TemporaryCredentials::from_ecs_metadata(&endpoint, &config.tls()) {
                Ok(metadata) => metadata,
                Err(e) => {
                    diags.add_error("Unable to set up the ECS metadata client", e.to_string());
                    return false;
                }
            };
            if let Err(e) = metadata.current(deadline).await {
                diags.add_error(
                    "No credentials found",
                    format!(
                        "{looked_at}\n- ECS instance metadata at {}: {} (it answers only on a Huawei Cloud ECS instance with an agency attached).\n\n\
                         Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY), auth_token (HW_AUTH_TOKEN), profile (HW_PROFILE) for a KooCLI profile, \
                         or assume_role_with_oidc (HW_ASSUME_ROLE_IDP_ID) for a CI job's OIDC token.",
                        metadata_url(&endpoint),
                        e.cause.clone().unwrap_or_else(|| e.summary()),
                    ),
                );
                return false;
            }
            Credentials::Temporary(metadata)
        }
        TemporaryBase::Oidc(role) => {
            let oidc = match config
                .identity_service()
                .and_then(|identity| TemporaryCredentials::assume_role_with_oidc(role, &identity))
            {
                Ok(oidc) => oidc,
                Err(e) => {
                    diags.add_error(
                        "Unable to set up the IAM client for assume_role_with_oidc",
                        e.to_string(),
                    );
                    return false;
                }
            };
            if let Err(e) = oidc.current(deadline).await {
                diags.add_attribute_error(
                    AttributePath::attr("assume_role_with_oidc"),
                    e.summary(),
                    e.detail(),
                );
                return false;
            }
            Credentials::Temporary(oidc)
        }
    };
    for link in temporary.chain {
        let assumed = match config
            .identity_service()
            .and_then(|identity| TemporaryCredentials::assume_role(current, link.role, &identity))
        {
            Ok(assumed) => assumed,
            Err(e) => {
                diags.add_error(
                    "Unable to set up the IAM client for assume_role",
                    e.to_string(),
                );
                return false;
            }
        };
        if let Err(e) = assumed.current(deadline).await {
            diags.add_attribute_error(link.at, e.summary(), e.detail());
            return false;
        }
        current = Credentials::Temporary(assumed);
    }
    config.credentials = current;
    true
}

pub(super) fn assume_role_schema() -> Schema {
    Schema::new(
        "Assume an IAM agency with the credentials configured otherwise; repeat the block to chain agencies.",
        "Assume an IAM agency with the credentials configured otherwise; requests are then signed with the agency's temporary keys, renewed before they expire. An agency named by `domain_name` is assumed through IAM (`POST /v3.0/OS-CREDENTIAL/securitytokens`), one named by `domain_id` through STS v5 (`POST /v5/agencies/assume`). Repeat the block to chain agencies: each is assumed, in order, with the keys of the one before.",
    )
    .attribute(Attribute::string("agency_name").optional().validate_string(validate_agency_field).describe(
        "Name of the agency. Environment: HW_ASSUME_ROLE_AGENCY_NAME.",
        "Name of the agency to assume (required in the block or through `HW_ASSUME_ROLE_AGENCY_NAME`); at most 64 characters.",
    ))
    .attribute(Attribute::string("domain_name").optional().validate_string(validate_agency_field).describe(
        "Account that created the agency; conflicts with domain_id. Environment: HW_ASSUME_ROLE_DOMAIN_NAME.",
        "Name of the account (domain) that created the agency; this or `domain_id`, not both. The agency is then assumed through IAM v3.0. Falls back to `HW_ASSUME_ROLE_DOMAIN_NAME`.",
    ))
    .attribute(Attribute::string("domain_id").optional().validate_string(validate_agency_field).describe(
        "ID of the account that created the agency; conflicts with domain_name. Environment: HW_ASSUME_ROLE_DOMAIN_ID.",
        "ID of the account (domain) that created the agency; this or `domain_name`, not both. The agency is then assumed through STS v5 (`agency_urn = \"iam::{domain_id}:agency:{agency_name}\"`). Falls back to `HW_ASSUME_ROLE_DOMAIN_ID`.",
    ))
    .attribute(Attribute::number("duration").optional().describe(
        "Lifetime of the temporary keys in seconds, 900 to 86400; default 3600. Environment: HW_ASSUME_ROLE_DURATION.",
        "Lifetime of the agency's temporary keys in seconds, `900` to `86400`; default `3600`. They are renewed when fewer than 10 minutes remain. Falls back to `HW_ASSUME_ROLE_DURATION`.",
    ))
}

pub(super) fn assume_role_with_oidc_schema() -> Schema {
    Schema::new(
        "Sign in with a CI job's OIDC ID token: the federated user of an IAM identity provider assumes an agency.",
        "Sign in without long-lived keys: a CI job's OIDC ID token is exchanged at IAM (`POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`) for a federated token, that token buys temporary keys (`POST /v3.0/OS-CREDENTIAL/securitytokens`, method `token`), and those keys assume the agency through STS v5 (`POST /v5/agencies/assume`). The agency's keys sign every request; they are renewed before they expire, and a renewal reads `id_token_file` again. Every attribute falls back to its `HW_ASSUME_ROLE_*` environment variable; without the block, setting `HW_ASSUME_ROLE_IDP_ID` turns it on.",
    )
    .attribute(Attribute::string("idp_id").optional().validate_string(validate_agency_field).describe(
        "ID of the identity provider configured in IAM. Environment: HW_ASSUME_ROLE_IDP_ID.",
        "ID of the identity provider configured in IAM (sent as `X-Idp-Id`); required here or in `HW_ASSUME_ROLE_IDP_ID`.",
    ))
    .attribute(Attribute::string("id_token").optional().sensitive().validate_string(validate_credential).describe(
        "The OIDC ID token; exactly one of id_token and id_token_file. Environment: HW_ASSUME_ROLE_ID_TOKEN.",
        "The OIDC ID token issued by the identity provider; exactly one of `id_token` and `id_token_file`. Sensitive: never logged or stored in state. Falls back to `HW_ASSUME_ROLE_ID_TOKEN`.",
    ))
    .attribute(Attribute::string("id_token_file").optional().describe(
        "File holding the OIDC ID token, read again at each renewal. Environment: HW_ASSUME_ROLE_ID_TOKEN_FILE.",
        "Path of a file holding the OIDC ID token (a regular file of at most 64 KiB; surrounding white space is trimmed); exactly one of `id_token` and `id_token_file`. Read again at each renewal of the keys, because CI runners rewrite it. Falls back to `HW_ASSUME_ROLE_ID_TOKEN_FILE`.",
    ))
    .attribute(Attribute::string("agency_name").optional().validate_string(validate_agency_field).describe(
        "Agency the federated user assumes. Environment: HW_ASSUME_ROLE_AGENCY_NAME.",
        "Name of the agency the federated user assumes; required here or in `HW_ASSUME_ROLE_AGENCY_NAME`.",
    ))
    .attribute(Attribute::string("domain_id").optional().validate_string(validate_agency_field).describe(
        "ID of the account that created the agency. Environment: HW_ASSUME_ROLE_DOMAIN_ID.",
        "ID of the account (domain) that created the agency; required here or in `HW_ASSUME_ROLE_DOMAIN_ID`.",
    ))
    .attribute(Attribute::number("duration").optional().describe(
        "Lifetime of the agency's keys in seconds, 900 to 86400; default 3600. Environment: HW_ASSUME_ROLE_DURATION.",
        "Lifetime of the agency's temporary keys in seconds, `900` to `86400`; default `3600`. Falls back to `HW_ASSUME_ROLE_DURATION`.",
    ))
}

/// Longest agency name, account name or ID, or identity provider ID accepted (IAM's own limit
/// for agency and identity provider names is 64).
pub(super) const AGENCY_FIELD_MAX_CHARS: usize = 64;

/// `agency_name`, `domain_name`, `domain_id`, `idp_id`: 1 to 64 characters, no control
/// characters, no surrounding white space.
pub(super) fn validate_agency_field(text: &str) -> Result<(), String> {
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

/// Checks of the `assume_role` blocks and the `assume_role_with_oidc` block that need no
/// environment: durations in range, `domain_name` and `domain_id` not both, not both
/// `id_token` and `id_token_file`.
pub(super) fn validate(config: &Config, diags: &mut Diagnostics) {
    let roles = AttributePath::attr("assume_role");
    let count = match config.value().get_path(&roles) {
        Some(Value::List(items)) => items.len(),
        Some(Value::Object(_)) => 1,
        _ => 0,
    };
    for index in 0..count {
        let at = block_path(config, index);
        check_known_duration(config, &at.push_attr("duration"), diags);
        if matches!(
            config.string_at(&at.push_attr("domain_name")),
            Attr::Known(_)
        ) && matches!(config.string_at(&at.push_attr("domain_id")), Attr::Known(_))
        {
            domain_conflict(at.push_attr("domain_id"), "", diags);
        }
    }
    let oidc = AttributePath::attr("assume_role_with_oidc");
    check_known_duration(config, &oidc.push_attr("duration"), diags);
    if matches!(
        config.string_at(&oidc.push_attr("id_token")),
        Attr::Known(_)
    ) && matches!(
        config.string_at(&oidc.push_attr("id_token_file")),
        Attr::Known(_)
    ) {
        token_conflict(oidc.push_attr("id_token_file"), diags);
    }
}

/// The path of the `index`th `assume_role` block.
fn block_path(config: &Config, index: usize) -> AttributePath {
    let roles = AttributePath::attr("assume_role");
    match config.value().get_path(&roles) {
        Some(Value::List(_)) => roles.push_index(i64::try_from(index).unwrap_or(i64::MAX)),
        _ => roles,
    }
}

fn check_known_duration(config: &Config, at: &AttributePath, diags: &mut Diagnostics) {
    if let Some(n) = config.value().get_path(at).and_then(Value::as_number) {
        match n.as_i64() {
            Some(n) if ASSUME_ROLE_DURATION_RANGE.contains(&n) => {}
            _ => bad_duration(&n.to_string(), at.clone(), diags),
        }
    }
}

fn domain_conflict(at: AttributePath, source: &str, diags: &mut Diagnostics) {
    diags.add_attribute_error(
        at,
        "Conflicting domain_name and domain_id",
        format!(
            "domain_name and domain_id are both set{source}. They name the same thing, the account that created the agency, \
             in two ways that choose different services (domain_name: IAM v3.0, domain_id: STS v5). Keep one."
        ),
    );
}

fn token_conflict(at: AttributePath, diags: &mut Diagnostics) {
    diags.add_attribute_error(
        at,
        "Conflicting id_token and id_token_file",
        "assume_role_with_oidc takes exactly one of id_token (HW_ASSUME_ROLE_ID_TOKEN) and id_token_file (HW_ASSUME_ROLE_ID_TOKEN_FILE); both are set. Keep one.",
    );
}

/// `signing_algorithm`: the two HMAC algorithms; the huaweicloud provider's ECDSA ones are
/// refused with a word on why.
pub(super) fn validate_signing_algorithm(text: &str) -> Result<(), String> {
    parse_signing_algorithm(text).map(|_| ())
}

pub(super) fn parse_signing_algorithm(text: &str) -> Result<SigningAlgorithm, String> {
    if let Some(algorithm) = SigningAlgorithm::from_setting(text) {
        return Ok(algorithm);
    }
    match text {
        "EcdsaP256SHA256" | "SM2SM3" => Err(format!(
            "{text} is not supported yet by the mrs provider: it signs with an elliptic-curve key derived from the secret key, \
             which this provider does not implement. Use HmacSHA256 (the default) or HmacSM3."
        )),
        _ => Err(format!(
            "{:?} is not a signing algorithm. Use {} (exact case).",
            crate::provider::settings::printable(text),
            SigningAlgorithm::SETTING_NAMES.join(" or ")
        )),
    }
}

/// The credential settings of the block and the environment.
#[derive(Debug, Default)]
pub(super) struct CredentialInputs {
    pub(super) access_key: Option<String>,
    pub(super) secret_key: Option<String>,
    pub(super) security_token: Option<String>,
    pub(super) auth_token: Option<String>,
    pub(super) shared_config_file: Option<String>,
    pub(super) profile: Option<String>,
}

/// What the requests are signed with before any agency of `assume_role` is assumed.
#[derive(Debug)]
pub(super) enum Base {
    /// Keys or a token from the block, the environment or the shared config file.
    Configured(Credentials),
    /// `assume_role_with_oidc`.
    Oidc(OidcRole),
    /// Nothing configured: the ECS metadata service, the last place to look.
    Metadata,
}

/// Reads the shared config file when `shared_config_file` or `profile` is set (as the huaweicloud
/// provider does); a problem is an error on the attribute that led there.
pub(super) fn load_profile(
    inputs: &CredentialInputs,
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<ProfileSettings> {
    if inputs.shared_config_file.is_none() && inputs.profile.is_none() {
        return None;
    }
    let home = env("HOME").or_else(|| env("USERPROFILE"));
    let path = match &inputs.shared_config_file {
        Some(file) => shared_config::expand_home(file, home.as_deref()),
        None => match &home {
            Some(home) => shared_config::default_path(home),
            None => {
                diags.add_attribute_error(
                    AttributePath::attr("profile"),
                    "Cannot find the shared config file",
                    "profile is set but HOME is not, so ~/.hcloud/config.json cannot be found. Set shared_config_file (HW_SHARED_CONFIG_FILE) to the file's path.",
                );
                return None;
            }
        },
    };
    match shared_config::load(&path, inputs.profile.as_deref()) {
        Ok(profile) => {
            tracing::debug!(path = %path.display(), profile = %profile.name, "read the shared config file");
            Some(profile)
        }
        Err(e) => {
            // The file's own problems belong to shared_config_file when it was named, the rest
            // (which profile, what is in it) to profile.
            let attribute = match (&e, &inputs.shared_config_file) {
                (
                    shared_config::SharedConfigError::NotFound(_)
                    | shared_config::SharedConfigError::Unreadable { .. }
                    | shared_config::SharedConfigError::Invalid { .. },
                    Some(_),
                ) => "shared_config_file",
                _ if inputs.profile.is_some() => "profile",
                _ => "shared_config_file",
            };
            let summary = match e {
                shared_config::SharedConfigError::NotFound(_) => "Shared config file not found",
                shared_config::SharedConfigError::ProfileNotFound { .. }
                | shared_config::SharedConfigError::NoCurrentProfile { .. } => "Profile not found",
                shared_config::SharedConfigError::NoKeys { .. } => "Profile has no keys",
                _ => "Unusable shared config file",
            };
            diags.add_attribute_error(AttributePath::attr(attribute), summary, e.to_string());
            None
        }
    }
}

/// The credential sources, in the order the huaweicloud provider tries them; the first one
/// configured wins.
const SOURCE_TOKEN: &str = "auth_token (HW_AUTH_TOKEN)";
const SOURCE_OIDC: &str = "assume_role_with_oidc (HW_ASSUME_ROLE_IDP_ID)";
const SOURCE_PROFILE: &str =
    "the shared config profile (profile/shared_config_file, HW_PROFILE/HW_SHARED_CONFIG_FILE)";
const SOURCE_KEYS: &str = "access_key/secret_key (HW_ACCESS_KEY/HW_SECRET_KEY)";
const SOURCE_SECURITY_TOKEN: &str = "security_token (HW_SECURITY_TOKEN)";

/// Picks what to sign with in the huaweicloud provider's order, where the first configured
/// source wins: `auth_token`; then `assume_role_with_oidc` (its keys take the place of any
/// others); then the shared config profile (when `profile` or `shared_config_file` is set, its
/// keys take the place of `access_key`/`secret_key`); then `access_key`/`secret_key`; then ECS
/// metadata. The debug log names the source used and those ignored. An incomplete winning
/// source is ONE diagnostic naming what to set.
pub(super) fn choose_base(
    inputs: CredentialInputs,
    profile: Option<ProfileSettings>,
    oidc: Option<OidcRole>,
    diags: &mut Diagnostics,
) -> Option<Base> {
    let profile_requested = inputs.shared_config_file.is_some() || inputs.profile.is_some();
    let CredentialInputs {
        access_key,
        secret_key,
        security_token,
        auth_token,
        ..
    } = inputs;
    let keys_set = access_key.is_some() || secret_key.is_some();
    let mut configured: Vec<&'static str> = Vec::new();
    if auth_token.is_some() {
        configured.push(SOURCE_TOKEN);
    }
    if oidc.is_some() {
        configured.push(SOURCE_OIDC);
    }
    if profile_requested {
        configured.push(SOURCE_PROFILE);
    }
    if keys_set {
        configured.push(SOURCE_KEYS);
    }
    let log_choice = |used: &str, extra_ignored: Option<&'static str>| {
        let mut ignored: Vec<&str> = configured.iter().copied().filter(|s| *s != used).collect();
        ignored.extend(extra_ignored);
        tracing::debug!(
            used,
            ignored = %if ignored.is_empty() { "none".to_owned() } else { ignored.join(", ") },
            "credential source chosen (the first configured one, in the huaweicloud provider's order)"
        );
    };
    if let Some(token) = auth_token {
        log_choice(
            SOURCE_TOKEN,
            security_token.is_some().then_some(SOURCE_SECURITY_TOKEN),
        );
        return Some(Base::Configured(Credentials::Token(token)));
    }
    if let Some(oidc) = oidc {
        log_choice(
            SOURCE_OIDC,
            security_token.is_some().then_some(SOURCE_SECURITY_TOKEN),
        );
        return Some(Base::Oidc(oidc));
    }
    if profile_requested {
        // A profile that could not be loaded already has its diagnostic.
        let profile = profile?;
        log_choice(
            SOURCE_PROFILE,
            security_token.is_some().then_some(SOURCE_SECURITY_TOKEN),
        );
        return Some(Base::Configured(Credentials::AkSk {
            access_key: profile.access_key,
            secret_key: profile.secret_key,
            security_token: profile.security_token,
        }));
    }
    match (access_key, secret_key) {
        (Some(access_key), Some(secret_key)) => {
            log_choice(SOURCE_KEYS, None);
            Some(Base::Configured(Credentials::AkSk {
                access_key,
                secret_key,
                security_token,
            }))
        }
        (Some(_), None) | (None, Some(_)) => {
            diags.add_error(
                "Incomplete credentials",
                "Only one half of the AK/SK pair is set. Set both access_key and secret_key in the provider block, \
                 or the HW_ACCESS_KEY and HW_SECRET_KEY environment variables.",
            );
            None
        }
        (None, None) if security_token.is_some() => {
            diags.add_error(
                "Incomplete credentials",
                "security_token (HW_SECURITY_TOKEN) is set without the access key pair it belongs to. \
                 Set access_key and secret_key (HW_ACCESS_KEY, HW_SECRET_KEY) too, or remove the security token.",
            );
            None
        }
        (None, None) => {
            tracing::debug!(
                used = "ECS instance metadata",
                "no credential source configured; asking the ECS metadata service"
            );
            Some(Base::Metadata)
        }
    }
}

/// The list of places that had no credentials, for the error when metadata has none either.
pub(super) fn looked_at(env: &impl Fn(&str) -> Option<String>, assume_role: bool) -> String {
    let home = env("HOME").or_else(|| env("USERPROFILE"));
    let shared = match home {
        Some(home) => shared_config::default_path(&home).display().to_string(),
        None => format!("~/{}", shared_config::DEFAULT_RELATIVE_PATH),
    };
    let agency = if assume_role {
        " (assume_role needs base credentials from one of these to sign its request)"
    } else {
        ""
    };
    format!(
        "The mrs provider found no credentials{agency}. It looked, in this order, at:\n\
         - the provider block: auth_token, assume_role_with_oidc, shared_config_file and profile, access_key and secret_key (with security_token): none set;\n\
         - the environment: HW_AUTH_TOKEN, HW_ASSUME_ROLE_IDP_ID, HW_SHARED_CONFIG_FILE and HW_PROFILE, HW_ACCESS_KEY and HW_SECRET_KEY (with HW_SECURITY_TOKEN): none set;\n\
         - the shared config file {shared}: not read, because neither profile nor shared_config_file is set;"
    )
}

/// `HW_METADATA_ENDPOINT` (tests) or 169.254.169.254.
pub(super) fn metadata_endpoint(
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Diagnostics,
) -> Option<url::Url> {
    let text = env(METADATA_ENDPOINT_ENV)
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_METADATA_ENDPOINT.to_owned());
    match url::Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Some(url)
        }
        _ => {
            diags.add_error(
                format!("Invalid {METADATA_ENDPOINT_ENV}"),
                format!("{METADATA_ENDPOINT_ENV} is {text:?}; it must be an http:// URL such as http://127.0.0.1:8080 (it exists for tests; unset it to use {DEFAULT_METADATA_ENDPOINT})."),
            );
            None
        }
    }
}

/// A value and whether it came from the environment (then errors name the variable).
#[derive(Debug, Clone)]
pub(super) struct Sourced {
    pub(super) value: String,
    pub(super) env_name: Option<&'static str>,
}

/// One string of a block: its attribute, else its variable. `Err(())` when unknown.
fn block_field(
    config: &Config,
    at: &AttributePath,
    env_name: &'static str,
    env: &impl Fn(&str) -> Option<String>,
    use_env: bool,
) -> Result<Option<Sourced>, ()> {
    match config.string_at(at) {
        Attr::Known(value) => Ok(Some(Sourced {
            value,
            env_name: None,
        })),
        Attr::Unknown => Err(()),
        Attr::Null if use_env => Ok(env(env_name)
            .filter(|v| !v.is_empty())
            .map(|value| Sourced {
                value,
                env_name: Some(env_name),
            })),
        Attr::Null => Ok(None),
    }
}

/// A block's duration: its attribute, else `HW_ASSUME_ROLE_DURATION`.
fn block_duration(
    config: &Config,
    at: &AttributePath,
    env: &impl Fn(&str) -> Option<String>,
    use_env: bool,
) -> Result<Option<Result<i64, String>>, ()> {
    match config.value().get_path(at) {
        Some(Value::Unknown) => Err(()),
        Some(value) if value.as_number().is_some() => Ok(value
            .as_number()
            .map(|n| n.as_i64().ok_or_else(|| n.to_string()))),
        _ if use_env => Ok(env("HW_ASSUME_ROLE_DURATION")
            .filter(|v| !v.trim().is_empty())
            .map(|text| text.trim().parse::<i64>().map_err(|_| text.clone()))),
        _ => Ok(None),
    }
}

/// One `assume_role` block's values, each falling back to its `HW_ASSUME_ROLE_*` variable.
#[derive(Debug, Default)]
pub(super) struct AssumeRoleInputs {
    pub(super) agency_name: Option<Sourced>,
    pub(super) domain_name: Option<Sourced>,
    pub(super) domain_id: Option<Sourced>,
    /// The duration as written (block number or variable text).
    pub(super) duration: Option<Result<i64, String>>,
    /// Where the block is (diagnostics then point into it); `None` for the environment.
    pub(super) at: Option<AttributePath>,
}

/// The `assume_role` blocks in order, or the one `HW_ASSUME_ROLE_AGENCY_NAME` asks for when there
/// is no block and `env_agency` (no `assume_role_with_oidc`, which owns those variables then);
/// `Err(())` when a value is unknown.
pub(super) fn assume_role_inputs(
    config: &Config,
    env: &impl Fn(&str) -> Option<String>,
    env_agency: bool,
) -> Result<Vec<AssumeRoleInputs>, ()> {
    let roles = AttributePath::attr("assume_role");
    let blocks: Vec<AttributePath> = match config.value().get_path(&roles) {
        Some(Value::Unknown) => return Err(()),
        Some(Value::List(items)) => {
            if items.iter().any(|item| matches!(item, Value::Unknown)) {
                return Err(());
            }
            (0..items.len()).map(|i| block_path(config, i)).collect()
        }
        Some(Value::Object(_)) => vec![roles.clone()],
        _ => Vec::new(),
    };
    if blocks.is_empty() {
        if !env_agency {
            return Ok(Vec::new());
        }
        let field = |name: &'static str| {
            env(name).filter(|v| !v.is_empty()).map(|value| Sourced {
                value,
                env_name: Some(name),
            })
        };
        let Some(agency_name) = field("HW_ASSUME_ROLE_AGENCY_NAME") else {
            return Ok(Vec::new());
        };
        return Ok(vec![AssumeRoleInputs {
            agency_name: Some(agency_name),
            domain_name: field("HW_ASSUME_ROLE_DOMAIN_NAME"),
            domain_id: field("HW_ASSUME_ROLE_DOMAIN_ID"),
            duration: block_duration(config, &roles.push_attr("duration"), env, true)?,
            at: None,
        }]);
    }
    blocks
        .into_iter()
        .map(|at| {
            let domain_name_set =
                !matches!(config.string_at(&at.push_attr("domain_name")), Attr::Null);
            let domain_id_set = !matches!(config.string_at(&at.push_attr("domain_id")), Attr::Null);
            // The account is one setting written two ways: a block that names it one way does
            // not pick up the other way from the environment.
            let domain_env = !domain_name_set && !domain_id_set;
            Ok(AssumeRoleInputs {
                agency_name: block_field(
                    config,
                    &at.push_attr("agency_name"),
                    "HW_ASSUME_ROLE_AGENCY_NAME",
                    env,
                    true,
                )?,
                domain_name: block_field(
                    config,
                    &at.push_attr("domain_name"),
                    "HW_ASSUME_ROLE_DOMAIN_NAME",
                    env,
                    domain_env,
                )?,
                domain_id: block_field(
                    config,
                    &at.push_attr("domain_id"),
                    "HW_ASSUME_ROLE_DOMAIN_ID",
                    env,
                    domain_env,
                )?,
                duration: block_duration(config, &at.push_attr("duration"), env, true)?,
                at: Some(at),
            })
        })
        .collect()
}

/// Where a diagnostic about `field` of a block goes: into the block, or onto the block as a
/// whole when the value came from the environment.
fn field_path(at: &Option<AttributePath>, block: &str, field: &str) -> AttributePath {
    match at {
        Some(at) => at.push_attr(field),
        None => AttributePath::attr(block),
    }
}

/// A bounded agency field, or an error naming the attribute or variable.
fn checked_field(
    value: Option<Sourced>,
    path: AttributePath,
    attribute: &str,
    diags: &mut Diagnostics,
) -> Option<Option<String>> {
    let Some(sourced) = value else {
        return Some(None);
    };
    match validate_agency_field(&sourced.value) {
        Ok(()) => Some(Some(sourced.value)),
        Err(reason) => {
            let name = sourced.env_name.unwrap_or(attribute);
            diags.add_attribute_error(path, format!("Invalid {name}"), format!("{name}: {reason}"));
            None
        }
    }
}

/// The agency to assume, or errors on the block's attributes.
pub(super) fn check_assume_role(
    inputs: AssumeRoleInputs,
    diags: &mut Diagnostics,
) -> Option<ChainLink> {
    let at = |name: &str| field_path(&inputs.at, "assume_role", name);
    let agency_name = checked_field(inputs.agency_name, at("agency_name"), "agency_name", diags);
    let domain_name = checked_field(inputs.domain_name, at("domain_name"), "domain_name", diags);
    let domain_id = checked_field(inputs.domain_id, at("domain_id"), "domain_id", diags);
    let agency_name = match agency_name {
        Some(Some(name)) => Some(name),
        Some(None) => {
            diags.add_attribute_error(
                at("agency_name"),
                "Missing agency_name",
                "assume_role needs the name of the agency to assume: set agency_name in the block or HW_ASSUME_ROLE_AGENCY_NAME.",
            );
            None
        }
        None => None,
    };
    let domain = match (domain_id, domain_name) {
        (Some(Some(_)), Some(Some(_))) => {
            let source = if inputs.at.is_none() {
                " (HW_ASSUME_ROLE_DOMAIN_NAME and HW_ASSUME_ROLE_DOMAIN_ID)"
            } else {
                ""
            };
            domain_conflict(at("domain_id"), source, diags);
            None
        }
        (Some(Some(id)), _) => Some(AgencyDomain::Id(id)),
        (_, Some(Some(name))) => Some(AgencyDomain::Name(name)),
        (Some(None), Some(None)) => {
            diags.add_attribute_error(
                at("domain_name"),
                "Missing agency account",
                "assume_role needs the account that created the agency: set domain_name (HW_ASSUME_ROLE_DOMAIN_NAME) or domain_id (HW_ASSUME_ROLE_DOMAIN_ID).",
            );
            None
        }
        _ => None,
    };
    let duration_s = check_duration(inputs.duration, at("duration"), diags);
    Some(ChainLink {
        role: AssumeRole {
            agency_name: agency_name?,
            domain: domain?,
            duration_s: duration_s?,
        },
        at: inputs
            .at
            .unwrap_or_else(|| AttributePath::attr("assume_role")),
    })
}

fn check_duration(
    duration: Option<Result<i64, String>>,
    at: AttributePath,
    diags: &mut Diagnostics,
) -> Option<u32> {
    match duration {
        None => Some(DEFAULT_ASSUME_ROLE_DURATION_S),
        Some(Ok(n)) if ASSUME_ROLE_DURATION_RANGE.contains(&n) => u32::try_from(n).ok(),
        Some(Ok(n)) => {
            bad_duration(&n.to_string(), at, diags);
            None
        }
        Some(Err(text)) => {
            bad_duration(&text, at, diags);
            None
        }
    }
}

fn bad_duration(text: &str, at: AttributePath, diags: &mut Diagnostics) {
    diags.add_attribute_error(
        at,
        "Invalid assume_role duration",
        format!(
            "duration (HW_ASSUME_ROLE_DURATION) is {:?}; IAM grants agency keys for 900 to 86400 seconds. Write a whole number in that range, or leave it out for {DEFAULT_ASSUME_ROLE_DURATION_S}.",
            crate::provider::settings::printable(text)
        ),
    );
}

/// The `assume_role_with_oidc` block's values (or, without it, the `HW_ASSUME_ROLE_*` variables
/// when `HW_ASSUME_ROLE_IDP_ID` is set).
#[derive(Debug, Default)]
pub(super) struct OidcInputs {
    idp_id: Option<Sourced>,
    id_token: Option<Sourced>,
    id_token_file: Option<Sourced>,
    agency_name: Option<Sourced>,
    domain_id: Option<Sourced>,
    duration: Option<Result<i64, String>>,
    from_block: bool,
}

/// `Ok(None)` when neither the block nor `HW_ASSUME_ROLE_IDP_ID` asks for OIDC; `Err(())` when
/// a value is unknown.
pub(super) fn oidc_inputs(
    config: &Config,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<OidcInputs>, ()> {
    let block = AttributePath::attr("assume_role_with_oidc");
    let from_block = match config.value().get_path(&block) {
        Some(Value::Unknown) => return Err(()),
        Some(Value::Object(_)) => true,
        _ => false,
    };
    if !from_block && env("HW_ASSUME_ROLE_IDP_ID").is_none_or(|v| v.is_empty()) {
        return Ok(None);
    }
    let field = |name: &str, env_name: &'static str| {
        block_field(config, &block.push_attr(name), env_name, env, true)
    };
    // Like domain_name/domain_id, the token is one setting written two ways.
    let token_in_block = !matches!(config.string_at(&block.push_attr("id_token")), Attr::Null)
        || !matches!(
            config.string_at(&block.push_attr("id_token_file")),
            Attr::Null
        );
    let token_field = |name: &str, env_name: &'static str| {
        block_field(
            config,
            &block.push_attr(name),
            env_name,
            env,
            !token_in_block,
        )
    };
    Ok(Some(OidcInputs {
        idp_id: field("idp_id", "HW_ASSUME_ROLE_IDP_ID")?,
        id_token: token_field("id_token", "HW_ASSUME_ROLE_ID_TOKEN")?,
        id_token_file: token_field("id_token_file", "HW_ASSUME_ROLE_ID_TOKEN_FILE")?,
        agency_name: field("agency_name", "HW_ASSUME_ROLE_AGENCY_NAME")?,
        domain_id: field("domain_id", "HW_ASSUME_ROLE_DOMAIN_ID")?,
        duration: block_duration(config, &block.push_attr("duration"), env, true)?,
        from_block,
    }))
}

/// The OIDC sign-in asked for, or errors on the block's attributes (or naming the variables).
pub(super) fn check_oidc(inputs: OidcInputs, diags: &mut Diagnostics) -> Option<OidcRole> {
    let block = AttributePath::attr("assume_role_with_oidc");
    let at = |name: &str| {
        if inputs.from_block {
            block.push_attr(name)
        } else {
            block.clone()
        }
    };
    let mut required = |value: Option<Sourced>, name: &str, env_name: &str| match checked_field(
        value,
        at(name),
        name,
        diags,
    ) {
        Some(Some(v)) => Some(v),
        Some(None) => {
            diags.add_attribute_error(
                at(name),
                format!("Missing {name}"),
                format!("assume_role_with_oidc needs {name}: set it in the block or {env_name}."),
            );
            None
        }
        None => None,
    };
    let idp_id = required(inputs.idp_id, "idp_id", "HW_ASSUME_ROLE_IDP_ID");
    let agency_name = required(
        inputs.agency_name,
        "agency_name",
        "HW_ASSUME_ROLE_AGENCY_NAME",
    );
    let domain_id = required(inputs.domain_id, "domain_id", "HW_ASSUME_ROLE_DOMAIN_ID");
    let id_token = match (inputs.id_token, inputs.id_token_file) {
        (Some(_), Some(_)) => {
            token_conflict(at("id_token_file"), diags);
            None
        }
        (Some(token), None) => match validate_credential(&token.value) {
            Ok(()) => Some(IdToken::Inline(token.value)),
            Err(reason) => {
                let name = token.env_name.unwrap_or("id_token");
                diags.add_attribute_error(
                    at("id_token"),
                    format!("Invalid {name}"),
                    format!("{name}: {reason}"),
                );
                None
            }
        },
        (None, Some(file)) => {
            if file.value.chars().any(char::is_control) {
                let name = file.env_name.unwrap_or("id_token_file");
                diags.add_attribute_error(
                    at("id_token_file"),
                    format!("Invalid {name}"),
                    format!("{name} has a control character; check for a stray newline."),
                );
                None
            } else {
                Some(IdToken::File(std::path::PathBuf::from(file.value)))
            }
        }
        (None, None) => {
            diags.add_attribute_error(
                at("id_token"),
                "Missing ID token",
                "assume_role_with_oidc needs exactly one of id_token (HW_ASSUME_ROLE_ID_TOKEN) and id_token_file (HW_ASSUME_ROLE_ID_TOKEN_FILE).",
            );
            None
        }
    };
    let duration_s = check_duration(inputs.duration, at("duration"), diags);
    Some(OidcRole {
        idp_id: idp_id?,
        id_token: id_token?,
        agency: AssumeRole {
            agency_name: agency_name?,
            domain: AgencyDomain::Id(domain_id?),
            duration_s: duration_s?,
        },
    })
}
