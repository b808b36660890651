//! IAM as the emulator plays it, and the ECS metadata service: the project lookup
//! (`GET /v3/projects`), `POST /v3.0/OS-CREDENTIAL/securitytokens` (assume an agency, or hand a
//! federated token to `keyless.rs`), and `GET /openstack/latest/securitykey`.
//!
//! Keys issued here are remembered (`issued.rs`) with their security token and expiry; the
//! gateway (`auth.rs`) accepts them only together with that token (signed) and refuses them once
//! expired, as the API gateway does.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::call::Call;
use crate::config::Agency;
use crate::issued::credential_body;
use crate::keyless;
use crate::responses::{Answer, iam_error, json_response};
use crate::shared::Shared;

/// Lifetime of metadata keys unless the emulator is told otherwise.
const DEFAULT_METADATA_LIFETIME: Duration = Duration::from_secs(3600);

/// `GET /v3/projects?name={region}`: the one project of the configured region, or none.
pub(crate) fn projects(call: &Call<'_>) -> Answer {
    let config = &call.shared.config;
    let wanted = call.query_param("name");
    let projects: Vec<Value> = if wanted.as_deref().is_none_or(|name| name == config.region) {
        vec![json!({
            "id": config.project_id,
            "name": config.region,
            "domain_id": "emulator-domain-id",
            "parent_id": "emulator-domain-id",
            "description": "",
            "enabled": true,
            "is_domain": false,
        })]
    } else {
        Vec::new()
    };
    json_response(StatusCode::OK, &json!({"projects": projects}))
}

/// `POST /v3.0/OS-CREDENTIAL/securitytokens`: the `token` method (IAM checks the federated token
/// itself, see [`keyless::is_token_method`]) or `assume_role` (already past the gateway).
pub(crate) fn security_tokens(call: &Call<'_>) -> Answer {
    if keyless::is_token_method(call.headers(), call.body) {
        keyless::token_method(call)
    } else {
        assume_agency(call.shared, call.body)
    }
}

#[derive(Deserialize)]
struct AssumeBody {
    auth: AssumeAuth,
}

#[derive(Deserialize)]
struct AssumeAuth {
    identity: AssumeIdentity,
}

#[derive(Deserialize)]
struct AssumeIdentity {
    methods: Vec<String>,
    assume_role: AssumeRole,
}

#[derive(Deserialize)]
struct AssumeRole {
    agency_name: String,
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    domain_id: Option<String>,
    #[serde(default)]
    duration_seconds: Option<u64>,
}

/// `assume_role`, already authenticated by the gateway.
fn assume_agency(shared: &Shared, body: &[u8]) -> Answer {
    let parsed: AssumeBody = match serde_json::from_slice(body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return iam_error(
                StatusCode::BAD_REQUEST,
                &format!("The request body is invalid: {err}"),
            );
        }
    };
    let identity = parsed.auth.identity;
    if identity.methods != ["assume_role"] {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "identity.methods must be [\"assume_role\"]",
        );
    }
    let role = identity.assume_role;
    let duration = role.duration_seconds.unwrap_or(900);
    if !(900..=86_400).contains(&duration) {
        return iam_error(
            StatusCode::BAD_REQUEST,
            &format!("duration_seconds {duration} is out of range; it must be from 900 to 86400"),
        );
    }
    let domain_matches = |agency: &Agency| match (&role.domain_id, &role.domain_name) {
        (Some(id), _) => *id == agency.domain_id,
        (None, Some(name)) => *name == agency.domain_name,
        (None, None) => false,
    };
    if role.domain_id.is_none() && role.domain_name.is_none() {
        return iam_error(
            StatusCode::BAD_REQUEST,
            "assume_role needs domain_id or domain_name",
        );
    }
    let known = shared
        .config
        .agency
        .iter()
        .chain(shared.config.more_agencies.iter())
        .any(|agency| agency.name == role.agency_name && domain_matches(agency));
    match known {
        true => {}
        false => {
            return iam_error(
                StatusCode::FORBIDDEN,
                &format!(
                    "The agency {:?} of domain {} does not exist or does not trust this user",
                    role.agency_name,
                    role.domain_id.or(role.domain_name).unwrap_or_default()
                ),
            );
        }
    }
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(Duration::from_secs(duration));
    let credential = shared.issued.issue(lifetime, shared.now());
    shared.stats.temporary_credentials_issued();
    json_response(StatusCode::CREATED, &credential_body(&credential))
}

/// `GET /openstack/latest/securitykey`: keys of the agency bound to the "instance".
pub(crate) fn metadata_security_key(call: &Call<'_>) -> Answer {
    let shared = call.shared;
    let lifetime = shared
        .config
        .temp_credential_lifetime
        .unwrap_or(DEFAULT_METADATA_LIFETIME);
    let credential = shared.issued.issue(lifetime, shared.now());
    shared.stats.temporary_credentials_issued();
    json_response(StatusCode::OK, &credential_body(&credential))
}
