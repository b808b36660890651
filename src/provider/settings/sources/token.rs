//! `auth_token` (`HW_AUTH_TOKEN`): an IAM token sent as `X-Auth-Token`, the first source tried.

use crate::framework::Diagnostics;
use crate::mrs::Credentials;

use super::source::{Base, CredentialSource, SourceContext};

/// An IAM token.
pub(super) struct AuthToken;

impl CredentialSource for AuthToken {
    fn name(&self) -> &'static str {
        "auth_token (HW_AUTH_TOKEN)"
    }

    fn configured(&self, context: &SourceContext<'_>) -> bool {
        context.block.auth_token.is_some()
    }

    fn credentials(&self, context: &mut SourceContext<'_>, _: &mut Diagnostics) -> Option<Base> {
        let token = context.block.auth_token.as_ref()?;
        Some(Base::Configured(Credentials::Token(token.value.clone())))
    }
}
