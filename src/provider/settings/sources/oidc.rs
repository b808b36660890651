//! `assume_role_with_oidc` (or `HW_ASSUME_ROLE_IDP_ID`): a CI job's OIDC ID token, traded at
//! configure for an agency's keys; no long-lived keys at all.

use crate::framework::Diagnostics;

use super::source::{Base, CredentialSource, SourceContext};

/// Keyless sign-in.
pub(super) struct KeylessOidc;

impl CredentialSource for KeylessOidc {
    fn name(&self) -> &'static str {
        "assume_role_with_oidc (HW_ASSUME_ROLE_IDP_ID)"
    }

    fn configured(&self, context: &SourceContext<'_>) -> bool {
        // An incomplete block already has its errors; it does not stand in the way of others.
        context.oidc.is_some()
    }

    fn credentials(&self, context: &mut SourceContext<'_>, _: &mut Diagnostics) -> Option<Base> {
        context.oidc.take().map(Base::Oidc)
    }
}
