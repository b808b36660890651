//! The `assume_role` blocks: their table, and the chain of agencies they ask for — from the
//! blocks in order, else from the `HW_ASSUME_ROLE_*` variables, else from the shared config
//! profile's agency.

use crate::framework::{Diagnostics, Schema};
use crate::mrs::credentials::{AgencyDomain, AssumeRole};
use crate::provider::validators::validate_agency_field;
use crate::tfvalue::{AttributePath, Value};

use super::lookup::{Lookup, Place};
use super::row::{Check, Group, Origin, Sourced, Stage, Text, Whole, schema_of};
use super::table::settings_table;

/// The block's name in HCL.
pub(super) const BLOCK: &str = "assume_role";

/// The variable that asks for an agency when no block is written.
pub(super) const AGENCY_NAME_ENV: &str = "HW_ASSUME_ROLE_AGENCY_NAME";

/// How long an agency's keys live, in seconds: what IAM grants.
pub(super) const DURATION: Check = Check::Whole {
    min: 900,
    max: 86_400,
};

/// The account that created the agency, named one of two ways that choose different services.
const ACCOUNT: Group = Group {
    what: "the account that created the agency",
    required: true,
    advice: "They name the same thing, the account that created the agency, in two ways that choose different services (domain_name: IAM v3.0, domain_id: STS v5). Keep one.",
};

settings_table! {
    /// One `assume_role` block's values, each from the block or its variable.
    pub(super) struct AssumeRoleBlock {
        agency_name: Text {
            env: Some(AGENCY_NAME_ENV),
            sensitive: false,
            required: true,
            check: Check::Text(validate_agency_field),
            group: None,
            plain: "Name of the agency.",
            markdown: "Name of the agency to assume, at most 64 characters; required, in the block or from the environment.",
        },
        domain_name: Text {
            env: Some("HW_ASSUME_ROLE_DOMAIN_NAME"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_agency_field),
            group: Some(&ACCOUNT),
            plain: "Account that created the agency; conflicts with domain_id.",
            markdown: "Name of the account (domain) that created the agency; this or `domain_id`, not both. The agency is then assumed through IAM v3.0.",
        },
        domain_id: Text {
            env: Some("HW_ASSUME_ROLE_DOMAIN_ID"),
            sensitive: false,
            required: false,
            check: Check::Text(validate_agency_field),
            group: Some(&ACCOUNT),
            plain: "ID of the account that created the agency; conflicts with domain_name.",
            markdown: "ID of the account (domain) that created the agency; this or `domain_name`, not both. The agency is then assumed through STS v5 (`agency_urn = \"iam::{domain_id}:agency:{agency_name}\"`).",
        },
        duration: Whole {
            env: Some("HW_ASSUME_ROLE_DURATION"),
            sensitive: false,
            required: false,
            check: DURATION,
            group: None,
            plain: "Lifetime of the temporary keys in seconds, 900 to 86400; default 3600.",
            markdown: "Lifetime of the agency's temporary keys in seconds, `900` to `86400`; default `3600`. They are renewed when fewer than 10 minutes remain.",
        },
    }
}

/// The schema of one `assume_role` block.
pub(super) fn schema() -> Schema {
    schema_of(
        AssumeRoleBlock::ROWS,
        "Assume an IAM agency with the credentials configured otherwise; repeat the block to chain agencies.",
        "Assume an IAM agency with the credentials configured otherwise; requests are then signed with the agency's temporary keys, renewed before they expire. An agency named by `domain_name` is assumed through IAM (`POST /v3.0/OS-CREDENTIAL/securitytokens`), one named by `domain_id` through STS v5 (`POST /v5/agencies/assume`). Repeat the block to chain agencies: each is assumed, in order, with the keys of the one before.",
    )
}

/// One agency of the chain and where its block is, for errors.
#[derive(Debug)]
pub(super) struct ChainLink {
    /// The agency.
    pub(super) role: AssumeRole,
    /// Its block (or the block name, when it came from elsewhere).
    pub(super) at: AttributePath,
}

/// Where the written blocks are, in order.
pub(super) fn written(lookup: &Lookup<'_>) -> Vec<Place> {
    let roles = AttributePath::attr(BLOCK);
    let at = |at| Place::Block { at, name: BLOCK };
    match lookup.value_at(&roles) {
        Some(Value::List(items)) => (0..items.len())
            .map(|i| at(roles.push_index(i64::try_from(i).unwrap_or(i64::MAX))))
            .collect(),
        Some(Value::Object(_)) => vec![at(roles)],
        _ => Vec::new(),
    }
}

/// The chain of agencies asked for, in order: the blocks; without any, `HW_ASSUME_ROLE_AGENCY_NAME`
/// (unless `assume_role_with_oidc` is on, which owns those variables then); else the profile's
/// agency. An incomplete or invalid one is an error on its block, and is left out.
pub(super) fn chain(
    lookup: &Lookup<'_>,
    oidc_on: bool,
    profile_agency: Option<(String, String)>,
    diags: &mut Diagnostics,
) -> Vec<ChainLink> {
    let mut asked: Vec<(AssumeRoleBlock, Place)> = written(lookup)
        .into_iter()
        .map(|place| (AssumeRoleBlock::read(lookup, &place, diags), place))
        .collect();
    if asked.is_empty() {
        let place = Place::Environment { name: BLOCK };
        if !oidc_on && lookup.var(AGENCY_NAME_ENV).is_some() {
            asked.push((AssumeRoleBlock::read(lookup, &place, diags), place));
        } else if let Some((agency, domain)) = profile_agency {
            let from_profile = |value| {
                Some(Sourced {
                    value,
                    origin: Origin::Other("the shared config profile"),
                })
            };
            let block = AssumeRoleBlock {
                agency_name: from_profile(agency),
                domain_name: from_profile(domain),
                ..AssumeRoleBlock::default()
            };
            asked.push((block, place));
        }
    }
    asked
        .into_iter()
        .filter_map(|(block, place)| link(block, place, diags))
        .collect()
}

fn link(block: AssumeRoleBlock, place: Place, diags: &mut Diagnostics) -> Option<ChainLink> {
    if !block.check(&place, Stage::Configure, diags) {
        return None;
    }
    let domain = match (block.domain_id, block.domain_name) {
        (Some(id), _) => AgencyDomain::Id(id.value),
        (None, Some(name)) => AgencyDomain::Name(name.value),
        (None, None) => return None,
    };
    let duration_s = duration_s(block.duration)?;
    let at = match place {
        Place::Block { at, .. } => at,
        _ => AttributePath::attr(BLOCK),
    };
    Some(ChainLink {
        role: AssumeRole {
            agency_name: block.agency_name?.value,
            domain,
            duration_s,
        },
        at,
    })
}

/// An agency's key lifetime in seconds: the checked `duration`, else IAM's default.
pub(super) fn duration_s(duration: Option<Sourced<i64>>) -> Option<u32> {
    match duration {
        Some(duration) => u32::try_from(duration.value).ok(),
        None => Some(crate::mrs::credentials::DEFAULT_ASSUME_ROLE_DURATION_S),
    }
}
