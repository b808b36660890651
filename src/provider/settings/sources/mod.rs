//! Where the keys come from: an ordered list of credential sources, the huaweicloud provider's
//! order, the first configured one winning. Each source is one file saying when it is
//! configured and how it becomes credentials; a new source is one file and its place in
//! [`ORDER`].

mod keys;
mod metadata;
mod oidc;
mod profile;
mod source;
mod token;

use crate::framework::Diagnostics;

pub(super) use source::{Base, CredentialSource, SourceContext};

/// The sources in the order they are tried.
pub(super) const ORDER: &[&dyn CredentialSource] = &[
    &token::AuthToken,
    &oidc::KeylessOidc,
    &profile::SharedConfigProfile,
    &keys::AccessKeys,
    &metadata::EcsMetadata,
];

/// The first configured source's credentials. The debug line `credential source chosen` names
/// it and the configured ones it ignores.
pub(super) fn choose(context: &mut SourceContext<'_>, diags: &mut Diagnostics) -> Option<Base> {
    let configured: Vec<&dyn CredentialSource> = ORDER
        .iter()
        .copied()
        .filter(|source| source.configured(context))
        .collect();
    let chosen = configured.first()?;
    let ignored: Vec<&str> = configured
        .iter()
        .skip(1)
        .filter(|source| !source.last_resort())
        .map(|source| source.name())
        .collect();
    tracing::debug!(
        used = chosen.name(),
        ignored = %if ignored.is_empty() { "none".to_owned() } else { ignored.join(", ") },
        "credential source chosen (the first configured one, in the huaweicloud provider's order)"
    );
    chosen.credentials(context, diags)
}

/// The places that had no credentials, in the order they were tried, for the error when the
/// last resort has none either.
pub(super) fn looked_at(context: &SourceContext<'_>) -> String {
    let agency = if context.agencies_follow {
        " (assume_role needs base credentials from one of these to sign its request)"
    } else {
        ""
    };
    let places: Vec<String> = ORDER
        .iter()
        .filter(|source| !source.last_resort())
        .map(|source| format!("- {};", source.not_found(context)))
        .collect();
    format!(
        "The mrs provider found no credentials{agency}. It looked, in this order, in the provider block and the environment at:\n{}",
        places.join("\n")
    )
}
