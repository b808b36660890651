//! The `assume_role_with_oidc` block: its table, and the keyless sign-in it asks for — from
//! the block, or without it from the `HW_ASSUME_ROLE_*` variables when `HW_ASSUME_ROLE_IDP_ID`
//! is set.

use crate::framework::{Diagnostics, Schema};
use crate::mrs::credentials::{AgencyDomain, AssumeRole, IdToken, OidcRole};
use crate::provider::validators::{validate_agency_field, validate_credential, validate_path};
use crate::tfvalue::{AttributePath, Value};

use super::assume_role_block::{AGENCY_NAME_ENV, DURATION, duration_s};
use super::lookup::{Lookup, Place};
use super::row::{Check, Group, Stage, Text, Whole, schema_of};
use super::table::settings_table;

/// The block's name in HCL.
pub(super) const BLOCK: &str = "assume_role_with_oidc";

/// The variable that turns keyless sign-in on when no block is written.
const IDP_ID_ENV: &str = "HW_ASSUME_ROLE_IDP_ID";

/// The ID token, given inline or as a file.
const ID_TOKEN: Group = Group {
    what: "the ID token",
    required: true,
    advice: "assume_role_with_oidc takes exactly one of them. Keep one.",
};

settings_table! {
    /// The `assume_role_with_oidc` block's values, each from the block or its variable.
    pub(super) struct OidcBlock {
        idp_id: Text {
            env: Some(IDP_ID_ENV),
            sensitive: false,
            required: true,
            check: Check::Text(validate_agency_field),
            group: None,
            plain: "ID of the identity provider configured in IAM.",
            markdown: "ID of the identity provider configured in IAM (sent as `X-Idp-Id`); required, in the block or from the environment.",
        },
        id_token: Text {
            env: Some("HW_ASSUME_ROLE_ID_TOKEN"),
            sensitive: true,
            required: false,
            check: Check::Text(validate_credential),
            group: Some(&ID_TOKEN),
            plain: "The OIDC ID token; exactly one of id_token and id_token_file.",
            markdown: "The OIDC ID token issued by the identity provider; exactly one of `id_token` and `id_token_file`. Sensitive: never logged or stored in state.",
        },
        id_token_file: Text {
            env: Some("HW_ASSUME_ROLE_ID_TOKEN_FILE"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_path),
            group: Some(&ID_TOKEN),
            plain: "File holding the OIDC ID token, read again at each renewal.",
            markdown: "Path of a file holding the OIDC ID token (a regular file of at most 64 KiB; surrounding white space is trimmed); exactly one of `id_token` and `id_token_file`. Read again at each renewal of the keys, because CI runners rewrite it.",
        },
        agency_name: Text {
            env: Some(AGENCY_NAME_ENV),
            sensitive: false,
            required: true,
            check: Check::Text(validate_agency_field),
            group: None,
            plain: "Agency the federated user assumes.",
            markdown: "Name of the agency the federated user assumes; required, in the block or from the environment.",
        },
        domain_id: Text {
            env: Some("HW_ASSUME_ROLE_DOMAIN_ID"),
            sensitive: false,
            required: true,
            check: Check::Text(validate_agency_field),
            group: None,
            plain: "ID of the account that created the agency.",
            markdown: "ID of the account (domain) that created the agency; required, in the block or from the environment.",
        },
        duration: Whole {
            env: Some("HW_ASSUME_ROLE_DURATION"),
            sensitive: false,
            required: false,
            check: DURATION,
            group: None,
            plain: "Lifetime of the agency's keys in seconds, 900 to 86400; default 3600.",
            markdown: "Lifetime of the agency's temporary keys in seconds, `900` to `86400`; default `3600`.",
        },
    }
}

/// The schema of the `assume_role_with_oidc` block.
pub(super) fn schema() -> Schema {
    schema_of(
        OidcBlock::ROWS,
        "Sign in with a CI job's OIDC ID token: the federated user of an IAM identity provider assumes an agency.",
        "Sign in without long-lived keys: a CI job's OIDC ID token is exchanged at IAM (`POST /v3.0/OS-AUTH/id-token/tokens` with `X-Idp-Id`) for a federated token, that token buys temporary keys (`POST /v3.0/OS-CREDENTIAL/securitytokens`, method `token`), and those keys assume the agency through STS v5 (`POST /v5/agencies/assume`). The agency's keys sign every request; they are renewed before they expire, and a renewal reads `id_token_file` again. Every attribute falls back to its `HW_ASSUME_ROLE_*` environment variable; without the block, setting `HW_ASSUME_ROLE_IDP_ID` turns it on.",
    )
}

/// Where the block's values are read: the written block, or the environment when
/// `HW_ASSUME_ROLE_IDP_ID` asks for it; `None` when keyless sign-in is off.
pub(super) fn place(lookup: &Lookup<'_>) -> Option<Place> {
    let at = AttributePath::attr(BLOCK);
    match lookup.value_at(&at) {
        Some(Value::Object(_)) => Some(Place::Block { at, name: BLOCK }),
        _ => lookup
            .var(IDP_ID_ENV)
            .map(|_| Place::Environment { name: BLOCK }),
    }
}

/// The keyless sign-in asked for at `place`, or errors on the block's attributes (or naming
/// the variables).
pub(super) fn role(
    lookup: &Lookup<'_>,
    place: &Place,
    diags: &mut Diagnostics,
) -> Option<OidcRole> {
    let block = OidcBlock::read(lookup, place, diags);
    if !block.check(place, Stage::Configure, diags) {
        return None;
    }
    let id_token = match (block.id_token, block.id_token_file) {
        (Some(token), _) => IdToken::Inline(token.value),
        (None, Some(file)) => IdToken::File(std::path::PathBuf::from(file.value)),
        (None, None) => return None,
    };
    let duration_s = duration_s(block.duration)?;
    Some(OidcRole {
        idp_id: block.idp_id?.value,
        id_token,
        agency: AssumeRole {
            agency_name: block.agency_name?.value,
            domain: AgencyDomain::Id(block.domain_id?.value),
            duration_s,
        },
    })
}
